"""The composition root: builds adapters from settings and the services on top of them.

Sub-containers for storage, security and services; a ``Selector`` picks SQL or in-memory
storage. Engines, hashers and renderers are singletons; units of work are made per
operation by the factory the storage container provides. Tests override providers
(``container.security.hasher.override(...)``) on a function-scoped container.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from dependency_injector import containers, providers
from sqlalchemy import Engine

from xray_core.adapters.fracture import PillowFracturePainter
from xray_core.adapters.pillow_images import PillowImageSanitizer
from xray_core.adapters.qr_sheet import ReportLabQRSheetRenderer
from xray_core.adapters.qr_svg import qr_svg
from xray_core.adapters.security import BcryptPasswordHasher, PyJwtTokenCodec
from xray_core.adapters.zxing_qr import ZxingQRDecoder
from xray_core.auth.service import AuthService, UrlSigner
from xray_core.carousel.service import CarouselService
from xray_core.clock import SystemClock
from xray_core.fracture.service import FractureService
from xray_core.health import HealthService
from xray_core.images.previews import ImageLibrary
from xray_core.jobs.service import JobService
from xray_core.owners.service import OwnerService
from xray_core.publishing.portal import PortalService
from xray_core.publishing.ports import Publisher
from xray_core.publishing.purge import EventPurge
from xray_core.publishing.service import PublishService
from xray_core.qr.reader import QRFrameReader
from xray_core.qr.service import QRService
from xray_core.qr.sheet import SheetKind, SheetLayout
from xray_core.workers.service import WorkerRegistry
from xray_http.deps import AppDeps
from xray_http.prometheus import PrometheusMetrics
from xray_http.publisher import PortalPublisher, PublishLoop
from xray_http.settings import Settings, secret_key
from xray_http.webdav import WebDavPublisher
from xray_storage.backup import snapshot_sqlite
from xray_storage.blobs.filesystem import FilesystemBlobStore
from xray_storage.blobs.health import DirectoryProbe
from xray_storage.memory import InMemoryBlobStore, InMemoryStore
from xray_storage.purge import compact, remove_leftovers
from xray_storage.sql import SqlModelUnitOfWorkFactory, create_db_engine
from xray_storage.sql.blobs import SqlBlobStore
from xray_storage.sql.health import SqlDatabaseProbe
from xray_storage.sql.migrate import MigrationReport, upgrade

log = logging.getLogger("xray_http")
ORPHAN_AGE_SECONDS = 300.0
RETENTION_INTERVAL_SECONDS = 24 * 3600.0


def _publisher(settings: Settings) -> Publisher:
    """Return the publisher the settings name: the family portal, else a WebDAV folder."""
    if settings.webdav_url:
        return WebDavPublisher(settings.webdav_url, settings.webdav_user, settings.webdav_password)
    return PortalPublisher(settings.portal_url, settings.publish_key)


def _holder() -> str:
    """Return a name for this process's hold on the publisher lease."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _engine(settings: Settings) -> Engine:
    if settings.database_url == "":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return create_db_engine(settings.db_url)


class StorageContainer(containers.DeclarativeContainer):
    """Repositories (behind a unit-of-work factory) and the blob store."""

    settings = providers.Dependency(instance_of=Settings)
    backend = providers.Callable(lambda s: s.storage, settings)
    engine = providers.Singleton(_engine, settings)
    uow = providers.Selector(
        backend,
        sql=providers.Singleton(SqlModelUnitOfWorkFactory, engine),
        memory=providers.Singleton(InMemoryStore),
    )
    blobs = providers.Selector(
        backend,
        sql=providers.Selector(
            settings.provided.blob_store,
            files=providers.Singleton(FilesystemBlobStore, settings.provided.blob_dir),
            database=providers.Singleton(SqlBlobStore, engine),
        ),
        memory=providers.Singleton(InMemoryBlobStore),
    )
    # What /health/ready asks: the database and the data dir (nothing to ask in memory).
    probes = providers.Selector(
        backend,
        sql=providers.List(
            providers.Singleton(SqlDatabaseProbe, engine),
            providers.Singleton(
                DirectoryProbe,
                settings.provided.data_dir,
                providers.Callable(lambda s: s.min_free_mb * 1024 * 1024, settings),
            ),
        ),
        memory=providers.List(),
    )


class SecurityContainer(containers.DeclarativeContainer):
    """Password hashing, tokens and URL signing."""

    settings = providers.Dependency(instance_of=Settings)
    clock: providers.Dependency[Any] = providers.Dependency()
    secret = providers.Singleton(secret_key, settings)
    hasher = providers.Singleton(BcryptPasswordHasher)
    codec = providers.Singleton(PyJwtTokenCodec, secret)
    signer = providers.Singleton(
        UrlSigner,
        secret,
        clock,
        providers.Callable(lambda s: timedelta(seconds=s.signed_url_seconds), settings),
    )


def _layout(s: Settings) -> SheetLayout:
    return SheetLayout(
        kind=cast("SheetKind", s.qr_layout),  # SheetLayout refuses unknown kinds
        offset_x_mm=s.qr_offset_x_mm,
        offset_y_mm=s.qr_offset_y_mm,
        start_at=s.qr_start_at,
    )


class Container(containers.DeclarativeContainer):
    """Everything the server needs, built from :class:`Settings`."""

    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Singleton(SystemClock)
    storage = providers.Container(StorageContainer, settings=settings)
    security = providers.Container(SecurityContainer, settings=settings, clock=clock)
    images = providers.Singleton(
        PillowImageSanitizer, providers.Callable(lambda s: s.max_image_pixels, settings)
    )
    library = providers.Singleton(
        ImageLibrary,
        storage.blobs,
        images,
        web_edge=settings.provided.web_image_edge,
        thumb_edge=settings.provided.thumb_image_edge,
    )
    renderer = providers.Singleton(ReportLabQRSheetRenderer, providers.Callable(_layout, settings))
    metrics = providers.Singleton(PrometheusMetrics)
    health = providers.Singleton(HealthService, storage.probes)

    auth = providers.Singleton(
        AuthService,
        security.hasher,
        security.codec,
        providers.Callable(lambda s: s.password_hash, settings),
        clock,
        providers.Callable(lambda s: timedelta(minutes=s.token_ttl_minutes), settings),
        metrics=metrics,
    )
    jobs = providers.Singleton(
        JobService,
        storage.uow,
        storage.blobs,
        images,
        clock,
        results_per_image=providers.Callable(lambda s: s.results_per_image, settings),
        lease=providers.Callable(lambda s: timedelta(seconds=s.lease_seconds), settings),
        animal_types=providers.Callable(lambda s: s.animal_types, settings),
        metrics=metrics,
        max_photo_edge=settings.provided.max_photo_edge,
        library=library,
        max_attempts=settings.provided.max_attempts,
        workflows=settings.provided.workflows,
        retry_elsewhere=providers.Callable(
            lambda s: timedelta(seconds=s.retry_elsewhere_seconds), settings
        ),
        publishing=providers.Callable(lambda s: s.publishes, settings),
    )
    workers = providers.Singleton(
        WorkerRegistry,
        storage.uow,
        clock,
        gone_after=settings.provided.worker_gone_seconds,
        quiet_after=settings.provided.no_worker_warning_seconds,
    )
    carousel = providers.Singleton(
        CarouselService,
        storage.uow,
        storage.blobs,
        providers.Callable(lambda s: s.carousel_size, settings),
        library,
    )
    qr = providers.Singleton(
        QRService,
        storage.uow,
        storage.blobs,
        renderer,
        clock,
        providers.Callable(lambda s: s.qr_base_url, settings),
        providers.Callable(lambda s: s.qr_batches_kept, settings),
        providers.Callable(_layout, settings),
    )
    owners = providers.Singleton(
        OwnerService,
        storage.uow,
        storage.blobs,
        library,
        publishing=providers.Callable(lambda s: s.publishes, settings),
        now=clock.provided.now,
    )
    publisher = providers.Singleton(_publisher, settings)
    publishing = providers.Singleton(
        PublishService,
        storage.uow,
        storage.blobs,
        publisher,
        clock,
        holder=providers.Callable(_holder),
        forget_owner=providers.Callable(
            lambda owners: lambda token: owners.delete(token, tell_portal=False), owners
        ),
        share_first_name=settings.provided.share_first_name,
        retry_max=settings.provided.publish_retry_max_seconds,
    )
    # On the family portal: owners under their token hashes, what booths deliver, retention.
    portal_owners = providers.Singleton(
        OwnerService, storage.uow, storage.blobs, library, hashed=True, now=clock.provided.now
    )
    portal = providers.Singleton(
        PortalService,
        storage.uow,
        storage.blobs,
        library,
        images,
        clock,
        retention_days=settings.provided.retention_days,
        max_photo_edge=settings.provided.max_photo_edge,
    )
    painter = providers.Singleton(PillowFracturePainter)
    fracture = providers.Singleton(FractureService, storage.uow, storage.blobs, painter)
    qr_decoder = providers.Singleton(ZxingQRDecoder)
    qr_reader = providers.Singleton(QRFrameReader, qr_decoder)


def prepare_database(container: Container) -> MigrationReport | None:
    """Bring the database to this code's schema; back a SQLite file up before any change.

    Called at start-up (``serve``, the ASGI factory, the CLI tools), never by a provider.

    Raises:
        xray_storage.sql.migrate.SchemaTooNewError: the database is newer than this code.
    """
    settings: Settings = container.settings()
    if settings.storage != "sql":
        return None
    engine: Engine = container.storage.engine()
    sqlite_file = engine.url.database if engine.dialect.name == "sqlite" else None

    def backup(revision: str | None) -> Path | None:
        if not sqlite_file:
            return None
        folder = settings.data_dir / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = folder / f"xray-before-upgrade-from-{revision}-{stamp}.db"
        snapshot_sqlite(Path(sqlite_file), target)
        return target

    report = upgrade(engine, before_change=backup)
    if report.backup is not None:
        log.warning("backed up the database before upgrading it: %s", report.backup)
    if report.changed and report.before is None:  # a new data dir: nothing to warn about
        log.info("created the database schema (revision %s)", report.after)
    elif report.changed:
        log.warning(
            "upgraded the database schema from %s to %s (%s)",
            report.before,
            report.after,
            ", ".join(report.applied),
        )
    return report


SECRET_SETTINGS = frozenset(
    {
        "password_hash",
        "secret_key",
        "database_url",
        "publish_key",
        "webdav_password",
        "metrics_token",
    }
)


def settings_view(settings: Settings) -> dict[str, str]:
    """Return the settings as text for the admin page; secrets only say whether they are set."""
    shown = {}
    for item in fields(settings):
        if item.name in {"config_file", "default_public_url"}:
            continue
        value = getattr(settings, item.name)
        if item.name in SECRET_SETTINGS:
            shown[item.name] = "(set)" if value else "(not set)"
        elif isinstance(value, tuple):
            shown[item.name] = ", ".join(value)
        else:
            shown[item.name] = str(value)
    shown["qr_base_url"] = settings.qr_base_url
    return shown


def build_deps(container: Container) -> AppDeps:
    """Return the services of ``container`` as the HTTP layer wants them."""
    settings: Settings = container.settings()
    jobs: JobService = container.jobs()
    qr: QRService = container.qr()

    def collect_garbage() -> None:
        removed = jobs.collect_garbage(ORPHAN_AGE_SECONDS)
        if removed:
            log.warning("removed %d orphaned blob(s) left by an interrupted write", removed)

    def resume_batches() -> None:
        for batch_id in qr.unfinished():
            log.warning("QR batch %d was interrupted; drawing it again", batch_id)
            try:
                qr.render(batch_id)
            except Exception:
                log.exception("QR batch %d failed", batch_id)

    def migrate() -> None:
        prepare_database(container)

    health: HealthService = container.health()
    metrics: PrometheusMetrics = container.metrics()
    metrics.watch(jobs.counts, container.workers().fleet)

    loop: PublishLoop | None = None
    publishing: PublishService | None = None
    if settings.publishes:
        publishing = container.publishing()
        loop = PublishLoop(publishing.run_once)

    event_purge = EventPurge(
        container.storage.uow(), container.storage.blobs(), publishing=settings.publishes
    )

    def after_purge() -> int:
        compact(container.storage.engine())
        return remove_leftovers(settings.data_dir, settings.blob_dir)

    def start_publishing() -> None:
        if loop is not None:
            loop.start()
            log.info("publishing to %s", publishing.target if publishing else "")

    def dispose() -> None:
        if loop is not None:
            loop.stop()
        health.close()
        if settings.storage == "sql":
            container.storage.engine().dispose()

    return AppDeps(
        auth=container.auth(),
        signer=container.security.signer(),
        jobs=jobs,
        carousel=container.carousel(),
        qr=qr,
        owners=container.owners(),
        fracture=container.fracture(),
        qr_reader=container.qr_reader(),
        workers=container.workers(),
        public_url=settings.public_url,
        max_upload_bytes=settings.max_upload_mb * 1024 * 1024,
        login_failures_per_minute=settings.login_failures_per_minute,
        hospital_name=settings.hospital_name,
        health=health,
        screen_seconds=settings.screen_seconds,
        settings_view=settings_view(settings),
        qr_svg=qr_svg,
        metrics=metrics,
        metrics_token=settings.metrics_token,
        # The schema first: an app built by any entry point upgrades its database on start.
        publishing=publishing,
        publish_now=loop.wake if loop is not None else None,
        event_purge=event_purge,
        after_purge=after_purge if settings.storage == "sql" else None,
        owner_url=settings.qr_base_url,
        on_startup=(migrate, collect_garbage, resume_batches, start_publishing),
        on_shutdown=(dispose,),
    )


def build_portal_deps(container: Container) -> AppDeps:
    """Return the services of the family portal: owner pages under hashed tokens, publishing."""
    settings: Settings = container.settings()
    portal: PortalService = container.portal()
    booth = build_deps(container)
    stop = threading.Event()

    def retention() -> None:
        while not stop.is_set():
            try:
                removed = portal.expire()
                if removed:
                    log.warning(
                        "retention: deleted %d x-ray(s) older than %d days",
                        removed,
                        settings.retention_days,
                    )
            except Exception:
                log.exception("the retention job failed; it runs again in a day")
            stop.wait(RETENTION_INTERVAL_SECONDS)

    def start_retention() -> None:
        threading.Thread(target=retention, name="retention", daemon=True).start()

    def dispose() -> None:
        stop.set()
        if settings.storage == "sql":
            container.storage.engine().dispose()

    def migrate() -> None:
        prepare_database(container)

    def collect_garbage() -> None:  # files of a receipt a crash interrupted
        removed = container.jobs().collect_garbage(ORPHAN_AGE_SECONDS)
        if removed:
            log.warning("removed %d orphaned blob(s) left by an interrupted write", removed)

    return replace(
        booth,
        owners=container.portal_owners(),
        portal=portal,
        publish_key=settings.publish_key,
        publishing=None,
        publish_now=None,
        event_purge=None,
        after_purge=None,
        on_startup=(migrate, collect_garbage, start_retention),
        on_shutdown=(dispose,),
    )


def make_container(settings: Settings, **overrides: Any) -> Container:
    """Return a container for ``settings``; ``overrides`` replace providers by name."""
    container = Container(settings=settings)
    for name, value in overrides.items():
        getattr(container, name).override(providers.Object(value))
    return container
