"""Settings of publishing: where QR codes point, what a portal needs, one publisher at a time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from xray_http.controllers.publishing_api import private_url
from xray_http.settings import SettingsError, load_settings

KEY = "x" * 32


def test_owner_url_defaults_to_the_portal_then_the_public_url(tmp_path: Path) -> None:
    base = {"environ": {}, "data_dir": tmp_path}
    assert load_settings(**base, public_url="http://10.0.0.2:8000").qr_base_url == (
        "http://10.0.0.2:8000"
    )
    portal = load_settings(
        **base, public_url="http://10.0.0.2:8000", portal_url="https://p.example/", publish_key=KEY
    )
    assert portal.qr_base_url == "https://p.example" and portal.publishes
    owner = load_settings(
        **base, portal_url="https://p.example", publish_key=KEY, owner_url="https://x.example"
    )
    assert owner.qr_base_url == "https://x.example"
    assert not load_settings(**base).publishes


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"portal_url": "https://p.example"}, "publish_key must be too"),
        ({"portal_url": "https://p.example", "publish_key": "short"}, "publish_key must be too"),
        ({"owner_url": "p.example"}, "owner_url: expected an http"),
        ({"retention_days": "0"}, "retention_days"),
        (
            {"portal_url": "https://p.example", "publish_key": KEY, "webdav_url": "https://d.x/"},
            "not both",
        ),
    ],
)
def test_unusable_publishing_settings_are_refused(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(environ={}, data_dir=tmp_path, **values)


@pytest.mark.parametrize(
    ("url", "private"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),
        ("http://192.168.1.20:8000", True),
        ("http://10.1.2.3", True),
        ("http://booth.local:8000", True),
        ("http://booth:8000", True),
        ("http://[::1]:8000", True),
        ("https://fotos.example.org", False),
        ("https://203.0.113.7", True),  # documentation range: counted private by Python
        ("https://8.8.8.8", False),
    ],
)
def test_private_owner_urls_are_recognised(url: str, private: bool) -> None:
    assert private_url(url) is private


def test_new_key_prints_a_long_random_key() -> None:
    cli = str(Path(sys.executable).parent / "teddy-xray")
    keys = {
        subprocess.run(
            [cli, "portal", "--new-key"], capture_output=True, text=True, check=True, timeout=60
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(keys) == 2 and all(len(k) >= 40 for k in keys)
