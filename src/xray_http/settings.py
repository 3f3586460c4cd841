"""Settings: environment variables (``TEDDY_XRAY_*``) over a TOML file over defaults.

Read only by the composition root; the core gets plain values.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

import msgspec
import tomlkit
import tomlkit.exceptions

from xray_core.generation.model import DEFAULT_HOSPITAL_NAME
from xray_core.workers.service import SEEN_WRITE_SECONDS

PREFIX = "TEDDY_XRAY_"
CONFIG_NAME = "teddy-xray.toml"
SECRET_NAME = "secret.key"  # noqa: S105  (a file name)
DEFAULT_DATA_DIR = Path("data")
MIN_QUIET_SECONDS = 2 * SEEN_WRITE_SECONDS
MIN_PUBLISH_KEY = 24


class SettingsError(ValueError):
    """A setting has a value we cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server can be told. See docs/operations.md for each setting."""

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    password_hash: str = ""
    secret_key: str = ""
    token_ttl_minutes: int = 720
    results_per_image: int = 2
    carousel_size: int = 10
    animal_types: tuple[str, ...] = ("bear", "dog", "cat", "rabbit", "horse", "other")
    public_url: str = ""
    lease_seconds: int = 120
    max_attempts: int = 3
    fallback_after_seconds: float = 30.0
    retry_elsewhere_seconds: float = 30.0
    worker_gone_seconds: float = 60.0
    no_worker_warning_seconds: float = 30.0
    workflows: tuple[str, ...] = ()
    max_upload_mb: int = 20
    max_image_pixels: int = 40_000_000
    max_photo_edge: int = 2048
    web_image_edge: int = 1280
    thumb_image_edge: int = 320
    qr_layout: str = "avery-l7160"
    qr_offset_x_mm: float = 0.0
    qr_offset_y_mm: float = 0.0
    qr_start_at: int = 1
    qr_batches_kept: int = 10
    signed_url_seconds: int = 3600
    login_failures_per_minute: int = 10
    storage: str = "sql"
    blob_store: str = "files"
    hospital_name: str = DEFAULT_HOSPITAL_NAME
    min_free_mb: int = 200
    metrics_token: str = ""
    screen_seconds: int = 8
    portal_url: str = ""
    owner_url: str = ""
    publish_key: str = ""
    share_first_name: bool = False
    publish_retry_max_seconds: float = 60.0
    retention_days: int = 90
    webdav_url: str = ""
    webdav_user: str = ""
    webdav_password: str = ""
    # Not a setting: what ``serve`` derives from its host and port when public_url is unset.
    default_public_url: str = field(default="http://localhost:8000", compare=False)
    config_file: Path | None = field(default=None, compare=False)

    @property
    def db_url(self) -> str:
        """The database URL: the setting, or SQLite in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'xray.db'}"

    @property
    def qr_base_url(self) -> str:
        """The base of the owner URLs printed in QR codes: OWNER_URL, else PORTAL_URL, else ours."""
        base = self.owner_url or self.portal_url or self.public_url or self.default_public_url
        return base.rstrip("/")

    @property
    def publishes(self) -> bool:
        """Whether confirmed x-rays go out: to a portal (PORTAL_URL) or a WebDAV folder."""
        return bool(self.portal_url or self.webdav_url)

    @property
    def blob_dir(self) -> Path:
        """Where images and PDFs are kept."""
        return self.data_dir / "blobs"


_BOOLEANS = {"true": True, "yes": True, "on": True, "1": True}
_BOOLEANS |= {"false": False, "no": False, "off": False, "0": False}
_EXPECTED = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def coerce_setting(name: str, raw: Any, kind: Any) -> Any:
    """Return ``raw`` (text from the environment, or a TOML value) as a ``kind`` setting.

    Numbers may come as text; booleans as true/false, yes/no, on/off or 1/0; a tuple of
    names as a TOML list or comma-separated text. Anything else is refused with a message
    that names the setting and what it expects.
    """
    path = kind is Path or kind == (Path | None)
    target = str if path else kind
    value = str(raw) if isinstance(raw, Path) else raw
    if isinstance(value, str) and target is not str:  # text is kept as given
        value = value.strip()
    if target is bool and isinstance(value, str):
        value = _BOOLEANS.get(value.lower(), value)
    names = target == tuple[str, ...]
    if names and isinstance(value, str):
        value = value.split(",")
    try:
        converted = msgspec.convert(value, target, strict=False)
    except msgspec.ValidationError as exc:
        expected = "a list of names" if names else _EXPECTED.get(target, str(target))
        raise SettingsError(f"{name}: expected {expected}, got {raw!r}") from exc
    if names:
        return tuple(item.strip() for item in converted if item.strip())
    return Path(converted) if path else converted


def load_settings(
    environ: Mapping[str, str] | None = None,
    file: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Return the settings from ``overrides``, then ``environ``, then the TOML ``file``.

    The file defaults to ``TEDDY_XRAY_CONFIG`` or ``{data_dir}/teddy-xray.toml``; keys are the
    lower-case setting names (``password_hash = "..."``).
    """
    env = os.environ if environ is None else environ
    hints = get_type_hints(Settings)
    known = {
        f.name: hints[f.name]
        for f in fields(Settings)
        if f.name not in {"config_file", "default_public_url"}
    }
    from_env = {n: env[PREFIX + n.upper()] for n in known if PREFIX + n.upper() in env}
    data_dir = Path(overrides.get("data_dir") or from_env.get("data_dir") or DEFAULT_DATA_DIR)
    path = file or Path(env.get(PREFIX + "CONFIG", "") or data_dir / CONFIG_NAME)
    from_file: dict[str, Any] = {}
    if path.is_file():
        try:
            from_file = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: {exc}") from exc
    unknown = set(from_file) - set(known)
    if unknown:
        raise SettingsError(f"{path}: unknown settings {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    given = {k: v for k, v in overrides.items() if v is not None and k in known}
    for source in (from_file, from_env, given):
        values.update({k: coerce_setting(k, v, known[k]) for k, v in source.items() if k in known})
    values["data_dir"] = data_dir
    if overrides.get("default_public_url"):
        values["default_public_url"] = overrides["default_public_url"]
    settings = Settings(**values, config_file=path)
    _check(settings)
    return settings


def _check(s: Settings) -> None:
    if s.results_per_image < 1 or s.results_per_image > 16:
        raise SettingsError("results_per_image must be between 1 and 16")
    if s.carousel_size < 1:
        raise SettingsError("carousel_size must be at least 1")
    if s.lease_seconds < 1 or s.token_ttl_minutes < 1:
        raise SettingsError("lease_seconds and token_ttl_minutes must be positive")
    if s.min_free_mb < 0:
        raise SettingsError("min_free_mb must not be negative")
    if s.screen_seconds < 2:
        raise SettingsError("screen_seconds must be at least 2")
    if s.max_photo_edge < 64 or min(s.web_image_edge, s.thumb_image_edge) < 16:
        raise SettingsError("max_photo_edge must be >= 64, web/thumb_image_edge >= 16 pixels")
    if s.max_attempts < 1 or min(s.fallback_after_seconds, s.retry_elsewhere_seconds) < 0:
        raise SettingsError(
            "max_attempts must be positive, fallback_after_seconds and "
            "retry_elsewhere_seconds not negative"
        )
    if min(s.worker_gone_seconds, s.no_worker_warning_seconds) < MIN_QUIET_SECONDS:
        # A polling worker's row is written every few seconds only (SEEN_WRITE_SECONDS):
        # a shorter time would show a worker that polls all the time as gone now and then.
        raise SettingsError(
            "worker_gone_seconds and no_worker_warning_seconds must be at least "
            f"{MIN_QUIET_SECONDS:g} seconds (polls are recorded every {SEEN_WRITE_SECONDS:g} s)"
        )
    if s.storage not in {"sql", "memory"}:
        raise SettingsError("storage must be 'sql' or 'memory'")
    if s.blob_store not in {"files", "database"}:
        raise SettingsError("blob_store must be 'files' or 'database'")
    _check_publishing(s)
    if s.storage == "sql":
        _check_driver(s.db_url)


def _check_publishing(s: Settings) -> None:
    if s.retention_days < 1 or s.publish_retry_max_seconds < 1:
        raise SettingsError("retention_days and publish_retry_max_seconds must be at least 1")
    if s.portal_url and s.webdav_url:
        raise SettingsError("set portal_url or webdav_url, not both: one publisher per booth")
    for name in ("portal_url", "owner_url", "webdav_url"):
        url = getattr(s, name)
        if url and not url.startswith(("http://", "https://")):
            raise SettingsError(f"{name}: expected an http:// or https:// URL, got {url!r}")
    if s.portal_url and len(s.publish_key) < MIN_PUBLISH_KEY:
        raise SettingsError(
            "portal_url is set, so publish_key must be too (at least "
            f"{MIN_PUBLISH_KEY} characters): make one with `teddy-xray portal --new-key`"
        )


def _check_driver(url: str) -> None:
    """Refuse a PostgreSQL URL early, and clearly, when its optional driver is not installed."""
    dialect, _, driver = url.split(":", 1)[0].partition("+")
    if dialect not in {"postgresql", "postgres"} or driver not in {"", "psycopg"}:
        return
    try:
        found = importlib.util.find_spec("psycopg") is not None
    except ImportError:
        found = False
    if not found:
        raise SettingsError(
            "database_url: PostgreSQL needs the psycopg driver, which is not installed: "
            "pip install 'teddy-xray[postgres]'"
        )


def secret_key(settings: Settings) -> bytes:
    """Return the signing key: the setting, else ``{data_dir}/secret.key`` (made once, 0600)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / SECRET_NAME
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _create_key_file(path)
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise SettingsError(
            f"{path} is empty: delete it to make a new key (tokens and image links signed "
            "with the old one stop working), or set TEDDY_XRAY_SECRET_KEY"
        )
    return key.encode()


def _create_key_file(path: Path) -> None:
    """Write a new key under a temporary name, then link it into place.

    A process starting at the same moment sees no file or a complete one, never an empty
    one; the first link wins and every process reads the winner's key.
    """
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.link(temporary, path)
    finally:
        Path(temporary).unlink()


def write_setting(path: Path, name: str, value: str) -> None:
    """Set ``name = "value"`` in the TOML file at ``path``, keeping the rest of it (mode 0600).

    The file is edited as TOML (tomlkit), so comments, layout, quoted keys and the other
    settings stay as they were; it is replaced atomically.
    """
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    try:
        document = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise SettingsError(f"{path}: {exc}") from exc
    document[name] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(tomlkit.dumps(document))
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
