"""Domain types of owners."""

from __future__ import annotations

import hashlib
import re
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

_TOKEN_IN_URL = re.compile(r"/p/([A-Za-z0-9_-]{16,64})(?:[/?#]|$)")
_CODE_CHARS = re.compile(r"[^A-Z2-7]")
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def short_code(token: str) -> str:
    """Return the short human-readable code printed under a token's QR code (``XXXX-XXXX``)."""
    digest = b32encode(hashlib.sha256(token.encode()).digest()).decode()
    return f"{digest[:4]}-{digest[4:8]}"


def normalise_code(text: str) -> str | None:
    """Return ``text`` as a short code if it looks like one typed by hand, else ``None``."""
    # Base32 has no 0, 1 or 8: read them as the letters people mistake them for.
    letters = _CODE_CHARS.sub("", text.upper().translate(_LOOKALIKES))
    if len(letters) != 8 or len(text.strip()) > 12:
        return None
    return f"{letters[:4]}-{letters[4:]}"


def token_in(qr_content: str) -> str | None:
    """Return the owner token inside a scanned owner URL (``.../p/{token}``), if any."""
    match = _TOKEN_IN_URL.search(qr_content.strip())
    return match.group(1) if match else None


@dataclass(frozen=True, slots=True)
class Owner:
    """A family, known by the secret token of its QR code."""

    token: str
    code: str
    batch_id: int | None
    position: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OwnerRef:
    """Whom a confirmed x-ray belongs to: one of our tokens, or an external QR text."""

    ref: str
    external: bool


@dataclass(frozen=True, slots=True)
class OwnerItem:
    """One confirmed x-ray kept for an owner."""

    id: int
    owner_ref: str
    external: bool
    job_id: int
    first_name: str
    last_name: str
    animal_name: str
    animal_type: str
    xray_key: str
    original_key: str
    created_at: datetime
