"""The fleet's parts of the Admin and Review pages, in both languages (HTML only)."""

from __future__ import annotations

import json
import re

import pytest

from tests.integration.conftest import Api


def script_texts(html: str) -> dict[str, str]:
    found = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', html, re.S)
    assert found
    texts: dict[str, str] = json.loads(found.group(1))
    return texts


@pytest.mark.parametrize(
    ("lang", "title", "state"), [("en", "Workers", "gone"), ("de", "Rechner (Worker)", "weg")]
)
def test_admin_has_the_fleet_section_and_its_texts(
    api: Api, lang: str, title: str, state: str
) -> None:
    """Admin includes the live fleet (its own module) with the texts fleet.js needs."""
    html = api.client.get(f"/admin?lang={lang}").text
    assert f'<h2 id="fleet-title">{title}</h2>' in html
    assert 'id="fleet-news" class="fleet-news" aria-live="polite"' in html
    assert '<script type="module" src="/static/js/fleet.js"></script>' in html
    assert script_texts(html)["fleet.state_gone"] == state
    assert api.client.get("/static/js/fleet.js").status_code == 200
    api.client.cookies.clear()


@pytest.mark.parametrize(
    ("lang", "banner", "todo"),
    [
        ("en", "No worker is making x-rays", "check the GPU laptop"),
        ("de", "Kein Rechner macht Röntgenbilder", "den GPU-Laptop prüfen"),
    ],
)
def test_review_has_the_no_worker_banner_in_an_alert_region(
    api: Api, lang: str, banner: str, todo: str
) -> None:
    """Review holds the banner (what to do, in volunteer words) for a role=alert region."""
    html = api.client.get(f"/review?lang={lang}").text
    assert '<div id="no-worker" class="no-worker" role="alert"></div>' in html
    assert f"<h2>{banner}</h2>" in html and todo in html
    texts = script_texts(html)
    assert "{worker}" in texts["review.being_made_by"] and "{s}" in texts["review.no_worker_quiet"]
    api.client.cookies.clear()
