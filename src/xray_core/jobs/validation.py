"""Checks of what the doctor types in at the booth."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from xray_core.jobs.errors import InvalidFieldError
from xray_core.jobs.model import JobInfo

MAX_NAME = 100
MAX_QR = 500
DEFAULT_ANIMAL_TYPE = "other"
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_TRUE = frozenset({"true", "1", "yes", "on", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "off", "n", "f", ""})


def clean_text(field: str, value: str | None, *, limit: int = MAX_NAME) -> str:
    """Return ``value`` trimmed and NFC-normalised.

    Raises:
        InvalidFieldError: empty, too long, or with control characters.
    """
    text = unicodedata.normalize("NFC", (value or "").strip())
    if not text:
        raise InvalidFieldError(field, "is required and must not be empty")
    if len(text) > limit:
        raise InvalidFieldError(field, f"must be at most {limit} characters, got {len(text)}")
    # Format characters (Cf: emoji joiners, flag tags) are fine; controls, line breaks and
    # bidi overrides (which make a name display as something else) are not.
    if any(unicodedata.category(c) in {"Cc", "Zl", "Zp"} or c in _BIDI for c in text):
        raise InvalidFieldError(field, "must not contain control characters or line breaks")
    return text


def parse_flag(field: str, value: str | bool | None) -> bool:
    """Return a boolean form value (true/false, 1/0, yes/no, on/off); refuse anything else."""
    if value is None or isinstance(value, bool):
        return bool(value)
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InvalidFieldError(field, f"must be a boolean (true/false), got {value[:20]!r}")


def normalise_types(configured: Sequence[str]) -> list[str]:
    """Return the configured animal types, without duplicates, always ending with ``other``."""
    seen = [t.strip().lower() for t in configured if t.strip()]
    unique = list(dict.fromkeys(t for t in seen if t != DEFAULT_ANIMAL_TYPE))
    return [*unique, DEFAULT_ANIMAL_TYPE]


def job_info(
    *,
    first_name: str | None,
    last_name: str | None,
    animal_name: str | None,
    qr_content: str | None,
    animal_type: str | None,
    broken_bone: str | bool | None,
    allowed_types: Sequence[str],
) -> JobInfo:
    """Return the checked :class:`JobInfo` of an upload.

    Raises:
        InvalidFieldError: naming the first field that is wrong and why.
    """
    kind = (animal_type or "").strip().lower() or DEFAULT_ANIMAL_TYPE
    if kind not in allowed_types:
        raise InvalidFieldError("animal_type", f"must be one of {', '.join(allowed_types)}")
    return JobInfo(
        first_name=clean_text("first_name", first_name),
        last_name=clean_text("last_name", last_name),
        animal_name=clean_text("animal_name", animal_name),
        qr_content=clean_text("qr_content", qr_content, limit=MAX_QR),
        animal_type=kind,
        broken_bone=parse_flag("broken_bone", broken_bone),
    )
