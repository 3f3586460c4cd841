"""Bodies of the health endpoints."""

from __future__ import annotations

import msgspec


class Live(msgspec.Struct):
    """``GET /health/live``."""

    status: str = "ok"


class Ready(msgspec.Struct, omit_defaults=True):
    """``GET /health/ready`` and ``GET /health``: ``ok`` or ``unavailable`` with a reason."""

    status: str
    checks: dict[str, str]
    reason: str | None = None
    pending_jobs: int | None = None
