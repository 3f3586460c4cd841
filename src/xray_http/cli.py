"""The ``teddy-xray`` command: serve, password tools, garbage collection, owner listing."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xray_http import __version__
from xray_http.settings import CONFIG_NAME, Settings, SettingsError, load_settings, write_setting

if TYPE_CHECKING:
    from xray_http.tls import Certificate

log = logging.getLogger("teddy_xray")


def _lan_address() -> str:
    """Return this machine's address on its LAN (no packet is sent), else localhost."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.254.254.254", 1))  # UDP connect only picks a route
        return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def _when_listening(host: str, port: int, then: Callable[[], None]) -> None:
    """Run ``then`` once something accepts connections on ``host:port`` (the server is up)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    then()


def _hash(password: str) -> str:
    from xray_core.adapters.security import BcryptPasswordHasher  # noqa: PLC0415

    if not password or len(password.encode()) > 72:
        raise SystemExit("the password must be 1 to 72 bytes long")
    return BcryptPasswordHasher().hash(password)


def _config_path(settings: Settings) -> Path:
    return settings.config_file or settings.data_dir / CONFIG_NAME


def _ensure_password(settings: Settings) -> Settings:
    """On first start, make a password, keep its hash, and print it once."""
    if settings.password_hash:
        return settings
    password = secrets.token_urlsafe(9)
    path = _config_path(settings)
    write_setting(path, "password_hash", _hash(password))
    bar = "=" * 64
    print(
        f"\n{bar}\n  Teddy X-Ray: no password was set, so one was made for you.\n\n"
        f"      password:  {password}\n\n"
        f"  It is shown only this once; its hash is kept in {path}.\n"
        f"  Change it with: teddy-xray set-password --data-dir {settings.data_dir}\n{bar}\n",
        flush=True,
    )
    return load_settings(data_dir=settings.data_dir, default_public_url=settings.default_public_url)


def serve(args: argparse.Namespace) -> None:
    """Run the server (and, with --with-worker, one built-in worker beside it)."""
    from xray_http.memory import tune_malloc  # noqa: PLC0415
    from xray_http.observability import configure_logging  # noqa: PLC0415

    tune_malloc()  # first: photos' buffers then go back to the system when freed
    configure_logging(args.log_format, args.log_level)  # before imports that log (alembic)
    import uvicorn  # noqa: PLC0415

    from xray_http.app import create_app  # noqa: PLC0415
    from xray_http.container import build_deps, make_container  # noqa: PLC0415

    host = "127.0.0.1" if args.host in {"0.0.0.0", "::"} else args.host  # noqa: S104
    scheme = "https" if args.tls or args.certfile else "http"
    lan = _lan_address() if args.host in {"0.0.0.0", "::"} else host  # noqa: S104
    public = f"{scheme}://{lan}:{args.port}"
    settings = load_settings(data_dir=args.data_dir, default_public_url=public)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings = _ensure_password(settings)
    container = make_container(settings)
    _prepare(container)
    deps = build_deps(container)
    app = create_app(deps)
    configure_logging(args.log_format, args.log_level)  # after the app: Litestar sets its own
    cert = _certificate(args, settings, lan) if scheme == "https" else None
    print(
        f"Teddy X-Ray serving on {scheme}://{args.host}:{args.port} "
        f"(data in {settings.data_dir.resolve()}, docs at /schema)",
        flush=True,
    )
    worker = None
    if args.with_worker:
        from xray_http.client import XrayClient  # noqa: PLC0415
        from xray_http.worker import Worker, load_generator  # noqa: PLC0415

        # The built-in worker talks HTTP to this very server, with tokens minted in-process.
        generator = load_generator(args.generator)
        client = XrayClient(
            f"{scheme}://{host}:{args.port}",
            lambda _http: deps.auth.issue(),
            verify=cert.client_context() if cert else True,
            name=f"builtin-{socket.gethostname()}-{os.getpid()}",
            info=f"built-in worker, generator {generator.name}",
        )
        # GPU first: while another worker is alive, fresh jobs are left to it for a while.
        worker = Worker(
            client,
            generator,
            concurrency=args.concurrency,
            fallback_after=settings.fallback_after_seconds,
        )
        threading.Thread(
            target=_when_listening,
            args=(host, args.port, worker.run),
            name="builtin-worker",
            daemon=True,
        ).start()
        log.info("built-in worker started (generator %s)", args.generator)
    try:
        # log_config=None: uvicorn's records go through our handler (and format) too; our
        # access log replaces its own, which would print raw paths with tokens in them.
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            access_log=False,
            log_config=None,
            ssl_certfile=str(cert.certfile) if cert else None,
            ssl_keyfile=str(cert.keyfile) if cert else None,
        )
    finally:
        if worker is not None:
            worker.stop()


def portal(args: argparse.Namespace) -> None:
    """Run the family portal (owner pages and the publish API), or print a new publish key."""
    if args.new_key:
        print(secrets.token_urlsafe(32))
        return
    from xray_http.memory import tune_malloc  # noqa: PLC0415
    from xray_http.observability import configure_logging  # noqa: PLC0415

    tune_malloc()  # as for serve: delivered photos' buffers go back to the system
    configure_logging(args.log_format, args.log_level)
    import uvicorn  # noqa: PLC0415

    from xray_http.app import create_portal_app  # noqa: PLC0415
    from xray_http.container import build_portal_deps, make_container  # noqa: PLC0415
    from xray_http.settings import MIN_PUBLISH_KEY  # noqa: PLC0415

    settings = load_settings(data_dir=args.data_dir)
    if len(settings.publish_key) < MIN_PUBLISH_KEY:
        raise SystemExit(
            "teddy-xray: the portal needs TEDDY_XRAY_PUBLISH_KEY (at least "
            f"{MIN_PUBLISH_KEY} characters); make one with `teddy-xray portal --new-key`"
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    container = make_container(settings)
    _prepare(container)
    app = create_portal_app(build_portal_deps(container))
    configure_logging(args.log_format, args.log_level)
    print(
        f"Teddy X-Ray family portal on http://{args.host}:{args.port} "
        f"(data in {settings.data_dir.resolve()}, pictures kept {settings.retention_days} days)",
        flush=True,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        log_config=None,
        proxy_headers=True,
    )


def publish(args: argparse.Namespace) -> None:
    """Show what is published, waiting and failing; with --now, deliver what waits at once."""
    from xray_http.container import make_container  # noqa: PLC0415

    settings = load_settings(data_dir=args.data_dir)
    if not settings.publishes:
        raise SystemExit("teddy-xray: publishing is off: set TEDDY_XRAY_PORTAL_URL (or WEBDAV_URL)")
    container = make_container(settings)
    _prepare(container)
    service = container.publishing()
    if args.now:
        waiting = service.retry_now()
        delivered = service.run_once(force=True)
        print(f"delivered {delivered} of {waiting} waiting entr{'y' if waiting == 1 else 'ies'}")
    status = service.status()
    print(f"portal:    {status.target}")
    print(f"published: {status.published} x-ray(s)")
    print(f"waiting:   {status.waiting} entr{'y' if status.waiting == 1 else 'ies'}")
    print(f"failing:   {status.failing}")
    if status.next_attempt is not None and status.waiting:
        print(f"next try:  {status.next_attempt:%Y-%m-%d %H:%M:%S} UTC")
    if status.last_error:
        print(f"last error: {status.last_error}")


def purge(args: argparse.Namespace) -> None:
    """At the event's end: delete every photo, result, name and QR batch from this booth."""
    from xray_core.publishing.purge import EventPurge, UnpublishedError  # noqa: PLC0415
    from xray_http.container import make_container  # noqa: PLC0415
    from xray_storage.purge import compact, remove_leftovers  # noqa: PLC0415

    if not args.event_ended:
        raise SystemExit("teddy-xray: say --event-ended to delete the event's data")
    settings = load_settings(data_dir=args.data_dir)
    container = make_container(settings)
    _prepare(container)
    if settings.storage != "sql":
        raise SystemExit("teddy-xray: purge works on a data dir's database (storage = sql)")
    purger = EventPurge(
        container.storage.uow(), container.storage.blobs(), publishing=settings.publishes
    )
    try:
        report = purger.purge(force=args.force)
    except UnpublishedError as exc:
        raise SystemExit(
            f"teddy-xray: nothing deleted: {exc.what}.\n"
            "  Publish first (teddy-xray publish --now), or delete anyway with --force."
        ) from None
    engine = container.storage.engine()
    compact(engine)
    leftovers = remove_leftovers(settings.data_dir, settings.blob_dir)
    engine.dispose()
    print(
        f"deleted {report.jobs} case(s), {report.items} x-ray(s) kept for families, "
        f"{report.batches} QR batch(es), {report.outbox} unsent entr(ies) and "
        f"{report.blobs + leftovers} file(s); the database is compacted. "
        "The portal keeps its copies until its retention ends."
    )


def _prepare(container: Any) -> None:
    """Migrate the database (after a backup), or stop with the reason it is too new."""
    from xray_http.container import prepare_database  # noqa: PLC0415
    from xray_storage.sql.migrate import SchemaTooNewError  # noqa: PLC0415

    try:
        prepare_database(container)
    except SchemaTooNewError as exc:
        raise SystemExit(f"teddy-xray: {exc}") from None


def migrate(args: argparse.Namespace) -> None:
    """Upgrade the database to this code's schema, or print the SQL that would."""
    from xray_http.container import make_container  # noqa: PLC0415
    from xray_storage.sql import migrate as migrations  # noqa: PLC0415

    settings = load_settings(data_dir=args.data_dir)
    if args.sql:
        print(migrations.offline_sql(settings.db_url, args.start), end="")
        return
    container = make_container(settings)
    engine = container.storage.engine()
    before = migrations.check(engine)
    _prepare(container)
    after = migrations.check(engine)
    if before == after:
        print(f"the database is current (schema {after})")
    else:
        print(f"upgraded the database from schema {before or 'empty'} to {after}")


def backup(args: argparse.Namespace) -> None:
    """Write a consistent online backup of the data dir (or only its blobs)."""
    from xray_http.container import make_container  # noqa: PLC0415
    from xray_storage import backup as backups  # noqa: PLC0415
    from xray_storage.sql import migrate as migrations  # noqa: PLC0415

    settings = load_settings(data_dir=args.data_dir)
    sqlite = settings.db_url.startswith("sqlite")
    try:
        if args.blobs_only or not sqlite:
            if not args.blobs_only:
                raise SystemExit(
                    "teddy-xray: the database is not SQLite: back it up with pg_dump and use "
                    "`teddy-xray backup --blobs-only FILE` for the blobs (docs/operations.md)"
                )
            engine = make_container(settings).storage.engine()
            report = backups.backup_blobs(
                settings.data_dir, engine, args.file, version=migrations.code_version()
            )
        else:
            db = Path(settings.db_url.removeprefix("sqlite:///"))
            engine = make_container(settings).storage.engine()
            report = backups.backup_sqlite(
                settings.data_dir,
                args.file,
                db=db,
                version=migrations.code_version(),
                revision=migrations.check(engine),
            )
    except backups.BackupError as exc:
        raise SystemExit(f"teddy-xray: {exc}") from None
    print(
        f"backup written to {report.path}: {report.size / 1e6:.1f} MB "
        f"(database {report.database_bytes / 1e6:.1f} MB, {report.blobs} blobs "
        f"{report.blob_bytes / 1e6:.1f} MB)"
    )


def restore(args: argparse.Namespace) -> None:
    """Unpack a backup into a data dir (an empty one unless --force)."""
    from xray_storage import backup as backups  # noqa: PLC0415

    try:
        manifest = backups.restore(args.file, args.data_dir, force=args.force)
    except backups.BackupError as exc:
        raise SystemExit(f"teddy-xray: {exc}") from None
    print(
        f"restored a backup of {manifest.get('created_at')} (teddy-xray "
        f"{manifest.get('version')}) into {args.data_dir}; `teddy-xray serve --data-dir "
        f"{args.data_dir}` upgrades it if it is older than this release"
    )


def _certificate(args: argparse.Namespace, settings: Settings, lan: str) -> Certificate:
    """Return the certificate to serve: the one given, else the data dir's self-signed one."""
    from xray_http.tls import Certificate, ensure_certificate  # noqa: PLC0415

    if bool(args.certfile) != bool(args.keyfile):
        raise SystemExit("give both --certfile and --keyfile (or neither, for a self-signed one)")
    if args.certfile:
        return Certificate(Path(args.certfile), Path(args.keyfile))
    cert = ensure_certificate(settings.data_dir, (lan, args.host, _lan_address()))
    print(
        f"HTTPS with the self-signed certificate {cert.certfile}\n"
        f"  valid for: {', '.join(cert.names())}\n"
        f"  fingerprint (SHA-256): {cert.sha256}\n"
        "  Devices warn once about it: compare the fingerprint, then accept it.",
        flush=True,
    )
    return cert


def work(args: argparse.Namespace) -> None:
    """Run a worker against a server that speaks the User API."""
    import signal  # noqa: PLC0415

    from xray_http.client import XrayClient, password_login  # noqa: PLC0415
    from xray_http.worker import Worker, load_generator  # noqa: PLC0415

    password = args.password or os.environ.get("TEDDY_XRAY_PASSWORD", "")
    if not password:
        raise SystemExit("give the booth password: --password or TEDDY_XRAY_PASSWORD")
    try:
        generator = load_generator(args.generator)
    except LookupError as exc:
        raise SystemExit(str(exc)) from exc
    client = XrayClient(
        args.server,
        password_login(password),
        name=args.name or f"{socket.gethostname()}-{os.getpid()}",
        info=f"teddy-xray {_version()}, generator {generator.name}",
    )
    workflows = tuple(w.strip() for w in (args.workflow or "").split(",") if w.strip())
    worker = Worker(client, generator, concurrency=args.concurrency, workflows=workflows)

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %d: finishing the result in hand, then stopping", signum)
        worker.stop()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    log.info(
        "worker polling %s with %d thread(s), generator %s",
        args.server,
        args.concurrency,
        generator.name,
    )
    worker.run()
    client.close()
    log.info("worker stopped after %d result(s)", worker.done)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("teddy-xray")
    except PackageNotFoundError:
        return "unknown"


def hash_password(args: argparse.Namespace) -> None:
    """Print the bcrypt hash of a password (for TEDDY_XRAY_PASSWORD_HASH)."""
    password = args.password or getpass.getpass("password: ")
    print(_hash(password))


def set_password(args: argparse.Namespace) -> None:
    """Write the hash of a new password into the settings file."""
    settings = load_settings(data_dir=args.data_dir)
    password = args.password or getpass.getpass("new password: ")
    if not args.password and getpass.getpass("again: ") != password:
        raise SystemExit("the passwords differ")
    path = _config_path(settings)
    write_setting(path, "password_hash", _hash(password))
    print(f"password hash written to {path}")


def gc(args: argparse.Namespace) -> None:
    """Delete blobs that no row points at (left by a crash between file and row)."""
    from xray_http.container import make_container  # noqa: PLC0415

    container = make_container(load_settings(data_dir=args.data_dir))
    _prepare(container)
    jobs = container.jobs()
    print(f"removed {jobs.collect_garbage(args.min_age)} orphaned blob(s)")


def owners(args: argparse.Namespace) -> None:
    """List confirmed x-rays by owner, external QR references included."""
    from xray_http.container import make_container  # noqa: PLC0415

    container = make_container(load_settings(data_dir=args.data_dir))
    _prepare(container)
    if args.delete:
        service = container.owners()
        token = service.by_code(args.delete)
        if token is None:
            raise SystemExit(f"teddy-xray: no owner has the code {args.delete!r}")
        removed = service.delete(token)
        print(f"deleted {removed} x-ray(s) of {args.delete.upper()} on this booth", end="")
        told = container.settings().publishes
        print(" (the other side is told as soon as it is reachable)" if told else "")
        return
    for item in container.owners().listing():
        kind = "external" if item.external else "owner"
        print(
            f"{item.created_at:%Y-%m-%d %H:%M}  {kind:8}  {item.owner_ref!r}  "
            f"job {item.job_id}: {item.animal_name} ({item.first_name} {item.last_name})"
        )


def _serve_parser(sub: Any, data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("serve", help="run the server")
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")  # noqa: S104
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    p.add_argument(
        "--log-format", default="text", choices=["text", "json"], help="json: one object a line"
    )
    p.add_argument("--with-worker", action="store_true", help="also run the built-in CPU worker")
    p.add_argument("--generator", default="silhouette", help="generator of the built-in worker")
    p.add_argument("--concurrency", type=int, default=1, help="threads of the built-in worker")
    p.add_argument("--tls", action="store_true", help="serve HTTPS (cameras on other devices)")
    p.add_argument("--certfile", default=None, help="a real certificate (PEM) instead of one made")
    p.add_argument("--keyfile", default=None, help="the private key (PEM) of --certfile")
    data_dir(p)
    p.set_defaults(func=serve)


def _portal_parsers(sub: Any, data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("portal", help="run the family portal (owner pages, publish API)")
    p.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1: a proxy's)")
    p.add_argument("--port", type=int, default=8100)
    p.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    p.add_argument("--log-format", default="text", choices=["text", "json"])
    p.add_argument("--new-key", action="store_true", help="print a new publish key and exit")
    data_dir(p)
    p.set_defaults(func=portal)

    p = sub.add_parser("purge", help="delete the event's photos, names and QR batches")
    p.add_argument("--event-ended", action="store_true", help="required: the event is over")
    p.add_argument("--force", action="store_true", help="even what is not published yet")
    data_dir(p)
    p.set_defaults(func=purge)

    p = sub.add_parser("publish", help="what the booth has published to the portal")
    p.add_argument("--status", action="store_true", help="show published/waiting/failing (default)")
    p.add_argument("--now", action="store_true", help="deliver what waits now")
    data_dir(p)
    p.set_defaults(func=publish)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="teddy-xray", description=__doc__)
    parser.add_argument("--version", action="version", version=f"teddy-xray {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def data_dir(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data-dir", type=Path, default=None, help="default: ./data or TEDDY_XRAY_DATA_DIR"
        )

    _serve_parser(sub, data_dir)

    _portal_parsers(sub, data_dir)

    p = sub.add_parser("worker", help="turn queued photos into x-rays (polls a server)")
    p.add_argument("--server", required=True, help="e.g. http://192.168.1.20:8000")
    p.add_argument("--password", default=None, help="or TEDDY_XRAY_PASSWORD")
    p.add_argument("--concurrency", type=int, default=1, help="jobs worked on at once")
    p.add_argument(
        "--generator",
        default="silhouette",
        help="a teddy_xray.generators plugin, or package.module:factory",
    )
    p.add_argument("--name", default=None, help="how GET /workers shows it (default host-pid)")
    p.add_argument("--workflow", default=None, help="only these workflows (comma-separated)")
    p.set_defaults(func=work)

    p = sub.add_parser("hash-password", help="print the bcrypt hash of a password")
    p.add_argument("--password", default=None)
    p.set_defaults(func=hash_password)

    p = sub.add_parser("set-password", help="store a new password's hash in the settings file")
    p.add_argument("--password", default=None)
    data_dir(p)
    p.set_defaults(func=set_password)

    p = sub.add_parser("gc", help="remove orphaned blobs")
    p.add_argument("--min-age", type=float, default=60.0, help="seconds (spares in-flight writes)")
    data_dir(p)
    p.set_defaults(func=gc)

    p = sub.add_parser("migrate", help="upgrade the database schema (serve does it on start)")
    p.add_argument("--sql", action="store_true", help="print the SQL instead (for a DBA)")
    p.add_argument(
        "--start", default=None, help="with --sql: the revision the database is at (default: empty)"
    )
    data_dir(p)
    p.set_defaults(func=migrate)

    p = sub.add_parser("backup", help="write a consistent backup while the server runs")
    p.add_argument("file", type=Path, help="the backup file to write (a tar)")
    p.add_argument(
        "--blobs-only",
        action="store_true",
        help="only the blob files (PostgreSQL: pg_dump the rest)",
    )
    data_dir(p)
    p.set_defaults(func=backup)

    p = sub.add_parser("restore", help="restore a backup into a data dir")
    p.add_argument("file", type=Path)
    p.add_argument("--data-dir", type=Path, required=True, help="where to restore (empty)")
    p.add_argument("--force", action="store_true", help="replace a database that is there")
    p.set_defaults(func=restore)

    p = sub.add_parser("owners", help="list confirmed x-rays by owner, or delete an owner's")
    p.add_argument("--delete", metavar="CODE", default=None, help="delete by short code")
    data_dir(p)
    p.set_defaults(func=owners)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``teddy-xray`` command."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        args.func(args)
    except SettingsError as exc:
        sys.exit(f"teddy-xray: {exc}")
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
