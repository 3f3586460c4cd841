"""Settings: environment variables (``TEDDY_XRAY_*``) over a TOML file over defaults.

Read only by the composition root; the core gets plain values.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PREFIX = "TEDDY_XRAY_"
CONFIG_NAME = "teddy-xray.toml"
SECRET_NAME = "secret.key"  # noqa: S105  (a file name)
DEFAULT_DATA_DIR = Path("data")


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
    animal_types: tuple[str, ...] = ("dog", "cat", "horse", "other")
    public_url: str = ""
    lease_seconds: int = 120
    max_attempts: int = 3
    fallback_after_seconds: float = 30.0
    workflows: tuple[str, ...] = ()
    max_upload_mb: int = 20
    max_image_pixels: int = 40_000_000
    qr_layout: str = "avery-l7160"
    qr_offset_x_mm: float = 0.0
    qr_offset_y_mm: float = 0.0
    qr_start_at: int = 1
    qr_batches_kept: int = 10
    signed_url_seconds: int = 3600
    login_failures_per_minute: int = 10
    storage: str = "sql"
    blob_store: str = "files"
    # Not a setting: what ``serve`` derives from its host and port when public_url is unset.
    default_public_url: str = field(default="http://localhost:8000", compare=False)
    config_file: Path | None = field(default=None, compare=False)

    @property
    def db_url(self) -> str:
        """The database URL: the setting, or SQLite in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'xray.db'}"

    @property
    def qr_base_url(self) -> str:
        """The base of the owner URLs printed in QR codes."""
        return (self.public_url or self.default_public_url).rstrip("/")

    @property
    def blob_dir(self) -> Path:
        """Where images and PDFs are kept."""
        return self.data_dir / "blobs"


def _convert(name: str, raw: Any, kind: Any) -> Any:
    try:
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
        if kind in (Path, "Path", "Path | None"):
            return Path(str(raw))
        if kind == "tuple[str, ...]":
            items = raw if isinstance(raw, list) else str(raw).split(",")
            return tuple(str(i).strip() for i in items if str(i).strip())
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting {name}: cannot use {raw!r} ({exc})") from exc
    return str(raw)


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
    known = {
        f.name: f.type
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
        values.update({k: _convert(k, v, known[k]) for k, v in source.items() if k in known})
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
    if s.max_attempts < 1 or s.fallback_after_seconds < 0:
        raise SettingsError("max_attempts must be positive, fallback_after_seconds not negative")
    if s.storage not in {"sql", "memory"}:
        raise SettingsError("storage must be 'sql' or 'memory'")
    if s.blob_store not in {"files", "database"}:
        raise SettingsError("blob_store must be 'files' or 'database'")


def secret_key(settings: Settings) -> bytes:
    """Return the signing key: the setting, else ``{data_dir}/secret.key`` (made once, 0600)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / SECRET_NAME
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip().encode()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip().encode()


def write_setting(path: Path, name: str, value: str) -> None:
    """Set ``name = "value"`` in the TOML file at ``path``, keeping its other lines (mode 0600)."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    kept = [ln for ln in lines if not ln.strip().startswith((f"{name} ", f"{name}="))]
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    kept.append(f'{name} = "{escaped}"')
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(kept) + "\n")
    tmp.replace(path)
