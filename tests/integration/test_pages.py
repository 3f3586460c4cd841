"""The booth pages' HTML: strict CSP, no inline code, labels, languages, static files."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.integration.conftest import Api

PAGES = ["/", "/login", "/intake", "/review", "/screen", "/admin"]
I18N = Path(__file__).resolve().parents[2] / "src" / "xray_http" / "i18n"


class Markup(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would refuse, and the form controls."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.style_attributes = 0
        self.handlers: list[str] = []
        self.sources: list[str] = []
        self.controls: list[dict[str, str | None]] = []
        self.labels: set[str] = set()
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.style_attributes += "style" in values
        self.handlers += [name for name in values if name.startswith("on")]
        if tag == "script":
            self.in_script = "src" not in values and values.get("type") != "application/json"
            self.sources += [str(values["src"])] if "src" in values else []
        if tag == "link" and values.get("rel") == "stylesheet":
            self.sources.append(str(values["href"]))
        if tag in {"input", "select", "textarea"}:
            self.controls.append(values)
        if tag == "label" and values.get("for"):
            self.labels.add(str(values["for"]))

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_strict_csp_and_no_inline_code(api: Api, path: str) -> None:
    """Each page is public HTML with script-src 'self', no inline script, style or handler."""
    response = api.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    markup = Markup()
    markup.feed(response.text)
    assert (markup.inline_scripts, markup.style_attributes, markup.handlers) == (0, 0, [])
    for source in markup.sources:
        assert source.startswith("/static/")
        assert api.client.get(source).status_code == 200, source


@pytest.mark.parametrize("path", PAGES)
def test_every_form_control_has_a_label(api: Api, path: str) -> None:
    """Every visible input and select is named by a <label for> or an aria-label."""
    markup = Markup()
    markup.feed(api.client.get(path).text)
    for control in markup.controls:
        if control.get("type") == "hidden":
            continue
        assert control.get("id") in markup.labels or control.get("aria-label"), control


def test_language_follows_the_browser_and_the_switch_is_kept(api: Api) -> None:
    """Accept-Language picks German; ?lang=en switches and sets a cookie that then wins."""
    german = api.client.get("/intake", headers={"Accept-Language": "de-CH,de;q=0.9,en;q=0.5"})
    assert '<html lang="de">' in german.text and "Hochladen" in german.text
    switched = api.client.get("/intake?lang=en", headers={"Accept-Language": "de"})
    assert '<html lang="en">' in switched.text and ">Upload<" in switched.text
    assert "lang=en" in switched.headers["set-cookie"]
    kept = api.client.get("/review", headers={"Accept-Language": "de"})
    assert '<html lang="en">' in kept.text
    api.client.cookies.clear()


def test_the_german_catalogue_has_every_english_text() -> None:
    """de.json translates every key of en.json (the language names aside) with the same fields."""
    english = json.loads((I18N / "en.json").read_text(encoding="utf-8"))
    german = json.loads((I18N / "de.json").read_text(encoding="utf-8"))
    assert set(english) - set(german) <= {"lang.en", "lang.de"}
    for key, text in german.items():
        fields = {part.split("}")[0] for part in english[key].split("{")[1:]}
        assert fields == {part.split("}")[0] for part in text.split("{")[1:]}, key


def test_intake_lists_the_animal_types_bear_first_other_last(api: Api) -> None:
    """The animal type options come from the setting: bear first, other last."""
    text = api.client.get("/intake?lang=en").text
    api.client.cookies.clear()
    values = [part.split('"')[0] for part in text.split('<option value="')[1:]]
    assert values == ["bear", "dog", "cat", "rabbit", "horse", "other"]


def test_home_shows_the_address_and_its_qr_code(api: Api) -> None:
    """The home page shows an address to type, and /address.svg is its QR code."""
    text = api.client.get("/").text
    assert 'class="address"' in text and 'src="/address.svg"' in text
    svg = api.client.get("/address.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.content.lstrip().startswith(b"<?xml") and b"<path" in svg.content
