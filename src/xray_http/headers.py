"""Putting user text (owner names) into HTTP headers safely.

Names go out as latin-1 when every name header can be (so existing clients reading headers
as latin-1 see "Jürgen" as is). Otherwise every name header is percent-encoded UTF-8 and the
extra header ``name_encoding: utf-8-percent`` says so ("Анна" -> "%D0%90%D0%BD%D0%BD%D0%B0").
Control characters are always percent-encoded, so no value can break or inject a header.
Extension headers of our own (``hospital_name``) are encoded on their own, with their own
``<name>_encoding`` header, so that they never change how the contract's names are sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, unquote

ENCODING_HEADER = "name_encoding"
PERCENT = "utf-8-percent"


def _plain(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return all(" " <= c != "\x7f" for c in value)


def encode_names(values: Mapping[str, str]) -> dict[str, str]:
    """Return ``values`` ready for headers, adding ``name_encoding`` when percent-encoded."""
    if all(_plain(v) for v in values.values()):
        return dict(values)
    encoded = {k: quote(v, safe=" ") for k, v in values.items()}
    encoded[ENCODING_HEADER] = PERCENT
    return encoded


def encode_extra(name: str, value: str) -> dict[str, str]:
    """Return the header ``name`` for ``value``, plus ``<name>_encoding`` when percent-encoded."""
    if _plain(value):
        return {name: value}
    return {name: quote(value, safe=" "), f"{name}_encoding": PERCENT}


def decode_extra(headers: Mapping[str, str], name: str, default: str) -> str:
    """Return the value of the extension header ``name`` (see :func:`encode_extra`)."""
    if name not in headers:
        return default
    value = headers[name]
    return unquote(value) if headers.get(f"{name}_encoding") == PERCENT else value
