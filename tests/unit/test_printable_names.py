"""Names in GET /job headers: printable for the old GPU worker, exact for those who ask."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from xray_http.headers import encode_names, printable


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Анна", "Anna"),
        ("Мишка 🧸", "Mishka"),
        ("Ελένη", "Eleni"),
        ("Jürgen Анна", "Jurgen Anna"),
        ("🧸🐻", ""),
        ("Zoë\r\nInjected: yes", "Zoe Injected: yes"),
        ("👩\u200d👩\u200d👧 Familie", "Familie"),
    ],
)
def test_printable_is_readable_ascii_without_emoji_or_controls(name: str, shown: str) -> None:
    """Cyrillic, Greek and umlauts are transliterated to ASCII, emoji and controls dropped."""
    assert printable(name) == shown
    assert shown.isascii()


def test_latin_1_names_go_out_exactly_as_they_are() -> None:
    """Names that fit Latin-1 get no extra headers and no encoding marker."""
    names = {"first_name": "Jürgen", "last_name": "Groß", "animal_name": "Brösel"}
    assert encode_names(names) == names


def test_other_names_get_a_transliteration_and_the_exact_name_beside_it() -> None:
    """The three name headers carry ASCII; *_utf8 carry the exact names percent-encoded."""
    names = {"first_name": "Анна", "last_name": "Jürgen", "animal_name": "Мишка 🧸"}
    headers = encode_names(names)
    assert headers["first_name"] == "Anna"
    assert headers["last_name"] == "Jürgen"  # a Latin-1 name stays as it is
    assert headers["animal_name"] == "Mishka"
    assert headers["name_encoding"] == "utf-8-percent"
    assert {k: unquote(headers[k + "_utf8"]) for k in names} == names
    for value in headers.values():
        value.encode("latin-1")
        assert "\r" not in value and "\n" not in value
