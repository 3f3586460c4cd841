"""What the HTTP layer needs from the composition root: the core services and a few values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from xray_core.auth.service import AuthService, UrlSigner
from xray_core.carousel.service import CarouselService
from xray_core.fracture.service import FractureService
from xray_core.generation.model import DEFAULT_HOSPITAL_NAME
from xray_core.health import HealthService
from xray_core.jobs.service import JobService
from xray_core.owners.service import OwnerService
from xray_core.publishing.portal import PortalService
from xray_core.publishing.purge import EventPurge
from xray_core.publishing.service import PublishService
from xray_core.qr.reader import QRFrameReader
from xray_core.qr.service import QRService
from xray_core.workers.service import WorkerRegistry
from xray_http.prometheus import PrometheusMetrics


@dataclass(frozen=True)
class AppDeps:
    """The services and values handed to :func:`xray_http.app.create_app`."""

    auth: AuthService
    signer: UrlSigner
    jobs: JobService
    carousel: CarouselService
    qr: QRService
    owners: OwnerService
    fracture: FractureService
    qr_reader: QRFrameReader
    workers: WorkerRegistry
    public_url: str = ""
    max_upload_bytes: int = 20 * 1024 * 1024
    login_failures_per_minute: int = 10
    hospital_name: str = DEFAULT_HOSPITAL_NAME
    health: HealthService = field(default_factory=lambda: HealthService(()))
    metrics: PrometheusMetrics | None = None
    metrics_token: str = ""
    # For the booth pages: the slide time of the big screen, the settings shown on /admin
    # (secrets hidden) and a QR code drawer (text -> SVG bytes) for the home page.
    screen_seconds: int = 8
    settings_view: Mapping[str, str] = field(default_factory=dict)
    qr_svg: Callable[[str], bytes] | None = None
    # Publishing: the booth's publisher (PORTAL_URL set), or on the portal its service and key.
    publishing: PublishService | None = None
    publish_now: Callable[[], None] | None = None
    portal: PortalService | None = None
    publish_key: str = ""
    owner_url: str = ""
    # The end of the event (admin page): what would go, and the purge itself (force or not).
    event_purge: EventPurge | None = None
    after_purge: Callable[[], int] | None = None
    on_startup: tuple[Callable[[], None], ...] = field(default=())
    on_shutdown: tuple[Callable[[], None], ...] = field(default=())
