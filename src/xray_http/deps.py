"""What the HTTP layer needs from the composition root: the core services and a few values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from xray_core.auth.service import AuthService, UrlSigner
from xray_core.carousel.service import CarouselService
from xray_core.jobs.service import JobService
from xray_core.owners.service import OwnerService
from xray_core.qr.service import QRService
from xray_core.workers.service import WorkerRegistry


@dataclass(frozen=True)
class AppDeps:
    """The services and values handed to :func:`xray_http.app.create_app`."""

    auth: AuthService
    signer: UrlSigner
    jobs: JobService
    carousel: CarouselService
    qr: QRService
    owners: OwnerService
    workers: WorkerRegistry
    public_url: str = ""
    max_upload_bytes: int = 20 * 1024 * 1024
    login_failures_per_minute: int = 10
    health: Callable[[], None] = lambda: None
    on_startup: tuple[Callable[[], None], ...] = field(default=())
    on_shutdown: tuple[Callable[[], None], ...] = field(default=())
