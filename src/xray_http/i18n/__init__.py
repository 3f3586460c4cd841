"""The catalogues of user-visible text (one JSON file per language) and language choice."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"
COOKIE = "lang"
_HERE = Path(__file__).parent


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Return the texts of ``lang`` (``{key: text}``), English for any key it lacks."""
    english: dict[str, str] = json.loads((_HERE / "en.json").read_text(encoding="utf-8"))
    if lang == DEFAULT_LANGUAGE:
        return english
    own: dict[str, str] = json.loads((_HERE / f"{lang}.json").read_text(encoding="utf-8"))
    return {**english, **own}


def _accepted(header: str) -> list[str]:
    """Return the language tags of an Accept-Language header, most wanted first."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip().lower()))
    return [tag for *_, tag in sorted(ranked)]


def choose_language(query: str | None, cookie: str | None, accept_language: str) -> str:
    """Return the page language: the switch (query, then cookie), else the browser's wish."""
    for given in (query, cookie):
        if given in LANGUAGES:
            return given
    for tag in _accepted(accept_language):
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE
