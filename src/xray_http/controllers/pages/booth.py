"""The booth's pages: home, login, intake, review, big screen, admin (public HTML)."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from xray_core.jobs.service import JobService
from xray_core.qr.sheet import SHEETS
from xray_http.controllers.pages.render import render
from xray_http.deps import AppDeps


def lan_address() -> str | None:
    """Return this machine's address on the LAN, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
            found = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if ipaddress.ip_address(found).is_loopback else found


def address_for(request: Request[Any, Any, Any], deps: AppDeps) -> str:
    """Return the address other devices type: the public URL, else ours with a LAN host."""
    if deps.public_url:
        return deps.public_url.rstrip("/")
    parts = urlsplit(str(request.base_url))
    host = parts.hostname or "localhost"
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    lan = lan_address() if loopback else None
    if lan:
        host = lan
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


class BoothPages(Controller):
    """Each page is HTML that its own script fills through the API (with the token)."""

    include_in_schema = False

    @get("/", media_type="text/html")
    async def home(
        self, request: Request[Any, Any, Any], deps: NamedDependency[AppDeps]
    ) -> Response[str]:
        """What the booth is, its stations and the address for other devices."""
        context = {"page_name": "home", "address": address_for(request, deps)}
        return render(request, "index.html", context)

    @get("/address.svg", media_type="image/svg+xml")
    async def address_qr(
        self, request: Request[Any, Any, Any], deps: NamedDependency[AppDeps]
    ) -> Response[bytes]:
        """The QR code of the address shown on the home page."""
        if deps.qr_svg is None:
            return Response(b"", status_code=404, media_type="image/svg+xml")
        svg = deps.qr_svg(address_for(request, deps))
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-cache"})

    @get("/login", media_type="text/html")
    async def login(self, request: Request[Any, Any, Any]) -> Response[str]:
        """The shared password."""
        return render(request, "login.html", {"page_name": "login"})

    @get("/intake", media_type="text/html")
    async def intake(
        self, request: Request[Any, Any, Any], jobs: NamedDependency[JobService]
    ) -> Response[str]:
        """The doctor's form: QR, names, animal, photo."""
        context = {"page_name": "intake", "animal_types": jobs.animal_types}
        return render(request, "intake.html", context)

    @get("/review", media_type="text/html")
    async def review(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Every case awaiting approval, updated live."""
        return render(request, "review.html", {"page_name": "review"})

    @get("/screen", media_type="text/html")
    async def screen(
        self, request: Request[Any, Any, Any], deps: NamedDependency[AppDeps]
    ) -> Response[str]:
        """The waiting room's slideshow (public, like /carousel)."""
        context = {"page_name": "screen", "screen_seconds": deps.screen_seconds}
        return render(request, "screen.html", context)

    @get("/admin", media_type="text/html")
    async def admin(
        self, request: Request[Any, Any, Any], deps: NamedDependency[AppDeps]
    ) -> Response[str]:
        """QR sheets, the state of the booth and the settings in force."""
        context = {"page_name": "admin", "qr_sheets": SHEETS, "qr_default": deps.qr.default_layout}
        return render(request, "admin.html", context)
