"""Errors of the owner feature."""

from __future__ import annotations

from xray_core.errors import NotFoundError


class OwnerNotFoundError(NotFoundError):
    """No owner has this token (the message reveals nothing about other tokens)."""

    def __init__(self) -> None:
        super().__init__("no such page")
