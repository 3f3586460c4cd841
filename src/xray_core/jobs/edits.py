"""Edited results: where an edit is kept and how the unedited image is found again.

An edited result is stored under a key derived from the unedited one,
``<unedited>.fx<n>-<random>`` (``n`` counts the edits stacked on it; the random part makes
every edit's URL new, so a browser fetches it). The slot points at the newest edit; the
unedited blob stays under its own key until the job is decided. See
docs/adr/0009-fracture-edits-in-blob-keys.md.
"""

from __future__ import annotations

import uuid

MARK = ".fx"


def unedited_key(key: str) -> str:
    """Return the key of the unedited result behind ``key`` (``key`` itself if unedited)."""
    return key.partition(MARK)[0]


def edit_count(key: str) -> int:
    """Return how many edits are stacked on the result stored under ``key``."""
    _, mark, rest = key.partition(MARK)
    number = rest.partition("-")[0]
    return int(number) if mark and number.isdigit() else 0


def next_edit_key(key: str) -> str:
    """Return a fresh key for one more edit stacked on the result under ``key``."""
    return f"{unedited_key(key)}{MARK}{edit_count(key) + 1}-{uuid.uuid4().hex[:12]}"


def edit_version(key: str) -> str | None:
    """Return a short tag that changes with every edit, ``None`` for an unedited result."""
    _, mark, rest = key.partition(MARK)
    return f"fx{rest}" if mark else None
