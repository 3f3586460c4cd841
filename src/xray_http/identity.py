"""Who a request comes from, for the worker registry.

A worker may name itself with a ``worker_name`` header (and describe itself in
``worker_info``); one that sends neither is known by its address and User-Agent.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from xray_core.workers.model import Identity

MAX_HEADER = 200


def _clean(value: str) -> str:
    return "".join(c for c in value if c.isprintable())[:MAX_HEADER].strip()


def identity(request: Request[Any, Any, Any]) -> Identity:
    """Return the identity a request's headers and peer address give."""
    address = request.client.host if request.client else ""
    agent = _clean(request.headers.get("user-agent", ""))
    name = _clean(request.headers.get("worker_name", "")) or f"{address} {agent}".strip()
    info = _clean(request.headers.get("worker_info", ""))
    return Identity(name=name or "unknown", address=address, user_agent=agent, info=info)
