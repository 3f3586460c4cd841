"""The Litestar application factory."""

from __future__ import annotations

import importlib.util
import logging
from os import PathLike
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response
from litestar.config.cors import CORSConfig
from litestar.datastructures import ResponseHeader, State
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from xray_core.auth.limiter import FailureLimiter
from xray_core.clock import SystemClock
from xray_core.errors import XrayError
from xray_core.owners.errors import OwnerNotFoundError
from xray_http import __version__
from xray_http.auth import SCHEME
from xray_http.controllers._base import in_thread
from xray_http.controllers.auth import AuthController
from xray_http.controllers.booth_api import BoothApiController
from xray_http.controllers.carousel import CarouselController
from xray_http.controllers.fleet import FleetController
from xray_http.controllers.fracture import FractureController
from xray_http.controllers.health import HealthController
from xray_http.controllers.jobs import JobController
from xray_http.controllers.media import MediaController
from xray_http.controllers.metrics import MetricsController
from xray_http.controllers.owners import OwnerController, not_found_page
from xray_http.controllers.pages.booth import BoothPages
from xray_http.controllers.pages.render import STATIC, TEMPLATES
from xray_http.controllers.publish import PUBLISH_SCHEME, PUBLISH_SECURITY, PublishController
from xray_http.controllers.publishing_api import EventPurgeController, PublishingController
from xray_http.controllers.qr import QRController
from xray_http.controllers.qr_decode import QRDecodeController
from xray_http.controllers.results import ResultsController
from xray_http.deps import AppDeps
from xray_http.errors import unexpected_error_handler, xray_error_handler
from xray_http.observability import Observed

log = logging.getLogger("xray_http")

# Headers a browser front end on another origin may read from GET /job.
JOB_HEADERS = [
    "img_id",
    "first_name",
    "last_name",
    "animal_name",
    "animal_type",
    "broken_bone",
    "lease_id",
    "slot",
    "results_per_image",
    "name_encoding",
    "hospital_name",
    "hospital_name_encoding",
    "first_name_utf8",
    "last_name_utf8",
    "animal_name_utf8",
    "workflow",
    "lease_seconds",
    "retry-after",
]


# The services handlers ask for by name (``jobs: NamedDependency[JobService]``).
SERVICES = (
    "auth",
    "signer",
    "jobs",
    "carousel",
    "qr",
    "owners",
    "fracture",
    "qr_reader",
    "workers",
)


def _swagger_assets() -> list[str | PathLike[Any] | Path]:
    """Return the folders of Swagger UI 5's files, shipped by a package (see ADR 0005)."""
    # Found without importing: the package's plugin module imports mkdocs, which we lack.
    spec = importlib.util.find_spec("mkdocs_swagger_ui_tag")
    if spec is None or spec.origin is None:
        raise RuntimeError("mkdocs-swagger-ui-tag (Swagger UI's files) is not installed")
    root = Path(spec.origin).parent / "swagger-ui"
    return [root / "javascripts", root / "stylesheets"]


def _openapi() -> OpenAPIConfig:
    static = "/schema/static"
    swagger = SwaggerRenderPlugin(
        js_url=f"{static}/swagger-ui-bundle.js",
        css_url=f"{static}/swagger-ui.css",
        standalone_preset_js_url=f"{static}/swagger-ui-standalone-preset.js",
        favicon="",  # none shipped; the default would load one from a CDN
        path=["/", "/swagger"],
    )
    bearer = SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="JWT",
        description="POST /token with the booth password, then send `Authorization: Bearer ...`",
    )
    return OpenAPIConfig(
        components=Components(security_schemes={SCHEME: bearer}),
        title="Teddy X-Ray",
        version=__version__,
        description="Photos of stuffed animals in, pretend x-rays out. See docs/api.md.",
        path="/schema",
        render_plugins=[swagger, JsonRenderPlugin(path="/openapi.json")],
    )


def route_not_found(request: Request[Any, Any, Any], exc: NotFoundException) -> Response[Any]:
    """Answer a path no route matches: the family's 404 page under /p, else JSON."""
    if request.url.path == "/p" or request.url.path.startswith("/p/"):
        return not_found_page(request, OwnerNotFoundError())
    return unexpected_error_handler(request, exc)


def _provide(name: str | None) -> Provide:
    """Provide the bound deps (``name=None``) or one of their fields, read per request."""

    def service(state: State) -> Any:
        deps = state["deps"]
        return deps if name is None else getattr(deps, name)

    return Provide(service, sync_to_thread=False)


def _login_limiter(state: State) -> FailureLimiter:
    limiter: FailureLimiter = state["login_limiter"]
    return limiter


async def _startup(app: Litestar) -> None:
    for hook in deps_of_app(app).on_startup:
        await in_thread(hook)


async def _shutdown(app: Litestar) -> None:
    for hook in deps_of_app(app).on_shutdown:
        await in_thread(hook)


def deps_of_app(app: Litestar) -> AppDeps:
    """Return the services ``app`` serves now."""
    deps: AppDeps = app.state["deps"]
    return deps


def bind(app: Litestar, deps: AppDeps) -> None:
    """Make ``app`` serve ``deps`` from its next request (and lifespan) on.

    The services, the login limiter and the metrics are read from ``app.state`` at request
    time, so an app built by :func:`create_app` can be given other services while it is not
    running: the tests build one app per process and bind each test's own services to it
    (building a Litestar app costs more than most tests). ``max_upload_bytes`` is part of
    the app itself and must stay the same.
    """
    if deps.max_upload_bytes != app.request_max_body_size:
        raise ValueError("bind() cannot change max_upload_bytes; build another app")
    app.state["deps"] = deps
    # Failed logins per client address, counted in this process only.
    app.state["login_limiter"] = FailureLimiter(SystemClock(), deps.login_failures_per_minute)


def create_app(deps: AppDeps, *, debug: bool = False) -> Litestar:
    """Return the Litestar app serving the User API on the given services."""
    app = Litestar(
        route_handlers=[
            AuthController,
            JobController,
            FleetController,
            ResultsController,
            QRController,
            CarouselController,
            HealthController,
            MetricsController,
            OwnerController,
            FractureController,
            QRDecodeController,
            BoothApiController,
            PublishingController,
            EventPurgeController,
            BoothPages,
            MediaController,
            create_static_files_router(
                path="/static", directories=[STATIC], include_in_schema=False
            ),
            create_static_files_router(
                path="/schema/static", directories=_swagger_assets(), include_in_schema=False
            ),
        ],
        dependencies={
            "deps": _provide(None),
            **{name: _provide(name) for name in SERVICES},
            "login_limiter": Provide(_login_limiter, sync_to_thread=False),
        },
        exception_handlers={
            XrayError: xray_error_handler,
            NotFoundException: route_not_found,
            Exception: unexpected_error_handler,
        },
        openapi_config=_openapi(),
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        cors_config=CORSConfig(allow_origins=["*"], expose_headers=JOB_HEADERS),
        request_max_body_size=deps.max_upload_bytes,
        # Browsers must take our content types as given (an "image" is never run as a page).
        response_headers=[ResponseHeader(name="X-Content-Type-Options", value="nosniff")],
        on_startup=[_startup],
        on_shutdown=[_shutdown],
        debug=debug,
    )
    bind(app, deps)
    # Outermost, around routing and error handling, so 404s and errors are logged too.
    app.asgi_handler = Observed(app.asgi_handler, lambda: deps_of_app(app).metrics)
    return app


def create_portal_app(deps: AppDeps, *, debug: bool = False) -> Litestar:
    """Return the family portal: the owner pages, their images and the publish API, nothing else.

    No booth API, login page or big screen: the portal runs on a public host.
    """
    if deps.portal is None:
        raise ValueError("the portal app needs deps.portal")

    def provide(value: Any) -> Provide:
        return Provide(lambda: value, use_cache=True, sync_to_thread=False)

    async def startup() -> None:
        for hook in deps.on_startup:
            await in_thread(hook)

    async def shutdown() -> None:
        for hook in deps.on_shutdown:
            await in_thread(hook)

    openapi = OpenAPIConfig(
        title="Teddy X-Ray family portal",
        version=__version__,
        description="The publish API of the family portal. See docs/api.md.",
        path="/publish/schema",
        components=Components(security_schemes={PUBLISH_SCHEME: PUBLISH_SECURITY}),
        render_plugins=[JsonRenderPlugin(path="/openapi.json")],
    )
    app = Litestar(
        route_handlers=[
            OwnerController,
            MediaController,
            PublishController,
            HealthController,
            create_static_files_router(
                path="/static", directories=[STATIC], include_in_schema=False
            ),
        ],
        dependencies={
            "deps": provide(deps),
            "signer": provide(deps.signer),
            "jobs": provide(deps.jobs),
            "owners": provide(deps.owners),
            "portal": provide(deps.portal),
        },
        exception_handlers={
            XrayError: xray_error_handler,
            NotFoundException: route_not_found,
            Exception: unexpected_error_handler,
        },
        openapi_config=openapi,
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        request_max_body_size=deps.max_upload_bytes * 3,  # a PNG x-ray and a photo
        response_headers=[ResponseHeader(name="X-Content-Type-Options", value="nosniff")],
        on_startup=[startup],
        on_shutdown=[shutdown],
        debug=debug,
    )
    app.state["deps"] = deps
    app.asgi_handler = Observed(app.asgi_handler, lambda: deps.metrics)
    return app
