"""Putting user text (owner names) into HTTP headers safely and printably.

Names go out as they are when every name header is latin-1 (so existing clients reading
headers as latin-1 see "Jürgen" as is). Otherwise each name that is not latin-1 is replaced
by a readable ASCII transliteration ("Анна" -> "Anna", "Мишка 🧸" -> "Mishka", emoji
dropped), which the existing GPU worker prints on the film, and the exact names go
percent-encoded UTF-8 in extension headers ``<name>_utf8``, announced by ``name_encoding:
utf-8-percent``. Control characters never reach a header, so no value can break or inject
one.
Extension headers of our own (``hospital_name``) are encoded on their own, with their own
``<name>_encoding`` header, so that they never change how the contract's names are sent.
See ADR 0003.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from urllib.parse import quote, unquote

from anyascii import anyascii

ENCODING_HEADER = "name_encoding"
PERCENT = "utf-8-percent"
EXACT_SUFFIX = "_utf8"


def _plain(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return all(" " <= c != "\x7f" for c in value)


def printable(value: str) -> str:
    """Return ``value`` transliterated to readable ASCII, symbols and controls dropped."""
    out: list[str] = []
    for char in value:
        kind = unicodedata.category(char)
        if kind[0] in "CS" or kind in {"Mn", "Me"}:
            out.append(" " if char in "\t\r\n" else "")  # controls, emoji, joiners, marks
        elif kind[0] == "Z":
            out.append(" ")
        else:
            out.append(anyascii(char))
    return " ".join("".join(out).split())


def encode_names(values: Mapping[str, str]) -> dict[str, str]:
    """Return ``values`` ready for headers, adding the exact names when any is not latin-1."""
    if all(_plain(v) for v in values.values()):
        return dict(values)
    encoded = {k: v if _plain(v) else printable(v) for k, v in values.items()}
    encoded |= {k + EXACT_SUFFIX: quote(v, safe=" ") for k, v in values.items()}
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
