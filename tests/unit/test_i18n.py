"""Choosing the page language and reading the catalogues."""

from __future__ import annotations

import pytest

from xray_http.i18n import catalogue, choose_language


@pytest.mark.parametrize(
    ("query", "cookie", "header", "expected"),
    [
        (None, None, "", "en"),
        (None, None, "de-AT,de;q=0.9,en;q=0.8", "de"),
        (None, None, "fr-FR,fr;q=0.9,de;q=0.5,en;q=0.4", "de"),
        (None, None, "en;q=0.2,de;q=0.9", "de"),
        (None, None, "de;q=0,en", "en"),
        (None, None, "x;q=abc, ;;, de", "de"),
        (None, "en", "de", "en"),
        ("de", "en", "en", "de"),
        ("xx", None, "de", "de"),
        (None, "<script>", "", "en"),
    ],
)
def test_the_switch_wins_then_the_browsers_wish(
    query: str | None, cookie: str | None, header: str, expected: str
) -> None:
    """?lang beats the cookie, which beats Accept-Language (by quality); junk is ignored."""
    assert choose_language(query, cookie, header) == expected


def test_german_falls_back_to_english_for_a_missing_key() -> None:
    """Every English key exists in the German catalogue as it is read."""
    assert set(catalogue("en")) <= set(catalogue("de"))
    assert catalogue("de")["intake.upload"] == "Hochladen"
