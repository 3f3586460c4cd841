"""The family portal app and the booth's publishing, in-process: pages, deletion, status, QR base."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from tests.fakes.fakes import FakePasswordHasher
from tests.images import png
from tests.integration.conftest import PASSWORD, Api
from tests.integration.test_owner_pages import deliver, new_owners
from xray_core.publishing.model import EntryKind, owner_hash
from xray_http.app import create_app, create_portal_app
from xray_http.container import Container, build_deps, build_portal_deps, make_container
from xray_http.publisher import PortalPublisher
from xray_http.settings import load_settings

KEY = "an-in-process-publish-key-0123456789"
PORTAL = "https://portal.example.org"


@dataclass
class Both:
    """A booth (its publisher driven by the test) and the portal it publishes to."""

    booth: Api
    portal: TestClient  # type: ignore[type-arg]
    portal_container: Container

    def publish(self) -> int:
        return int(self.booth.container.publishing().run_once(force=True))

    def outbox(self) -> list[EntryKind]:
        with self.booth.container.storage.uow()() as uow:
            return [e.kind for e in uow.outbox.pending()]


@pytest.fixture
def both(tmp_path: Path) -> Iterator[Both]:
    portal_settings = load_settings(environ={}, data_dir=tmp_path / "portal", publish_key=KEY)
    portal_container = make_container(portal_settings)
    portal_app = create_portal_app(build_portal_deps(portal_container))
    with TestClient(portal_app, base_url=PORTAL) as portal:
        settings = load_settings(
            environ={},
            data_dir=tmp_path / "booth",
            password_hash=f"fake${PASSWORD}",
            portal_url=PORTAL,
            publish_key=KEY,
        )
        container = make_container(settings)
        container.security.hasher.override(providers.Object(FakePasswordHasher()))
        container.publisher.override(providers.Object(PortalPublisher(PORTAL, KEY, client=portal)))
        deps = build_deps(container)
        deps = replace(deps, on_startup=deps.on_startup[:-1])  # the test drives the publisher
        with TestClient(create_app(deps), base_url="http://booth.test") as client:
            token = client.post("/token", data={"password": PASSWORD}).json()["access_token"]
            booth = Api(client, {"Authorization": f"Bearer {token}"}, container, settings)
            yield Both(booth, portal, portal_container)
        container.storage.engine().dispose()
    portal_container.storage.engine().dispose()


def test_the_portal_documents_its_publish_api_only(both: Both) -> None:
    schema = both.portal.get("/publish/schema/openapi.json").json()
    assert all(
        path.startswith(("/publish", "/p/", "/media", "/health")) for path in schema["paths"]
    )
    assert "/publish/owners/{owner}/items/{job_id}" in schema["paths"]
    assert both.portal.get("/schema").status_code == 404


def test_qr_codes_and_their_sheet_header_carry_the_owner_url(both: Both) -> None:
    token = new_owners(both.booth, 1)[0]
    qr = both.booth.container.qr()
    assert qr.owner_url(token) == f"{PORTAL}/p/{token}"
    with both.booth.container.storage.uow()() as uow:
        batch = uow.batches.latest()
    assert batch is not None and PORTAL in batch.header


def test_a_published_page_on_the_portal_shows_web_sizes_and_until_when_it_stays(
    both: Both,
) -> None:
    token = new_owners(both.booth, 1)[0]
    sent = deliver(both.booth, f"{PORTAL}/p/{token}", "Brumm", (200, 30, 30))
    assert both.outbox() == [EntryKind.PUBLISH]
    assert both.publish() == 1
    page = both.portal.get(f"/p/{token}")
    assert page.status_code == 200 and "Brumm" in page.text and "Smith" not in page.text
    assert re.search(r"stay here until \d+ \w+ \d{4}", page.text)
    images = re.findall(r'<img src="([^"]+)"', page.text)
    assert images and all("/media/" in src for src in images)
    web = both.portal.get(html.unescape(images[0]).removeprefix(".."))
    assert web.status_code == 200 and web.headers["content-type"] == "image/webp"
    link = re.search(r'href="([^"]+/xray\.png)"', page.text)
    assert link is not None
    assert both.portal.get(f"/p/{link.group(1)}").content == sent.xray


def test_a_family_deleting_on_the_portal_deletes_on_the_booth_too(both: Both) -> None:
    token = new_owners(both.booth, 1)[0]
    deliver(both.booth, f"{PORTAL}/p/{token}", "Brumm", (10, 130, 30))
    both.publish()
    ask = both.portal.get(f"/p/{token}/delete")
    assert ask.status_code == 200 and 'method="post"' in ask.text
    assert "form-action 'self'" in ask.headers["content-security-policy"]
    done = both.portal.post(f"/p/{token}/delete")
    assert done.status_code == 200 and "deleted" in done.text.lower()
    after = both.portal.get(f"/p/{token}").text
    assert "Brumm" not in after and "Your pictures are deleted" in after
    both.publish()
    with both.booth.container.storage.uow()() as uow:
        assert uow.owners.items(token) == []


def test_a_deletion_on_the_booth_page_reaches_the_portal(both: Both) -> None:
    token = new_owners(both.booth, 1)[0]
    deliver(both.booth, f"{PORTAL}/p/{token}", "Brumm", (10, 30, 130))
    both.publish()
    assert both.booth.client.post(f"/p/{token}/delete").status_code == 200
    assert both.outbox() == [EntryKind.DELETE_OWNER]
    both.publish()
    assert both.outbox() == []
    with both.portal_container.storage.uow()() as uow:
        assert uow.owners.items(owner_hash(token)) == []
    blobs = Path(both.portal_container.settings().blob_dir)
    assert not any(p.is_file() for p in blobs.rglob("*"))


def test_the_admin_status_says_what_waits_and_publish_now_sends_it(both: Both) -> None:
    token = new_owners(both.booth, 1)[0]
    deliver(both.booth, f"{PORTAL}/p/{token}", "Brumm", (90, 90, 30))
    client, auth = both.booth.client, both.booth.auth
    assert client.get("/publishing").status_code == 401
    state = client.get("/publishing", headers=auth).json()
    assert state["enabled"] and state["waiting"] == 1 and state["published"] == 0
    assert state["owner_url"] == PORTAL and state["owner_url_private"] is False
    # The loop is not running here; "publish now" wakes nothing, so deliver by hand.
    assert client.post("/publishing/now", headers=auth).status_code == 200
    both.publish()
    state = client.get("/publishing", headers=auth).json()
    assert (state["waiting"], state["published"]) == (0, 1)
    admin = client.get("/admin").text
    assert 'id="publishing"' in admin and "/static/js/publishing.js" in admin


def test_a_booth_without_a_portal_warns_of_a_private_owner_url(tmp_path: Path) -> None:
    from tests.integration.conftest import start_api

    for api in start_api(tmp_path / "data", public_url="http://192.168.1.20:8000"):
        state = api.client.get("/publishing", headers=api.auth).json()
        assert state == {
            "enabled": False,
            "owner_url": "http://192.168.1.20:8000",
            "owner_url_private": True,
            "target": "",
            "published": 0,
            "waiting": 0,
            "failing": 0,
            "last_error": "",
            "next_attempt": None,
        }


def test_publish_requests_with_bad_input_get_a_clear_4xx(both: Both) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    owner = "b" * 64
    form = {"animal_name": "X", "animal_type": "bear", "photo_suffix": ".png"}
    files = {"xray": ("x.png", png(8, 8), "image/png"), "photo": ("p.png", png(8, 8), "image/png")}
    cases = [
        (f"/publish/owners/{owner}/items/1", {**form, "created_at": "yesterday"}, files),
        (f"/publish/owners/{owner}/items/1", {**form, "created_at": "2026-01-01T00:00:00"}, files),
        ("/publish/owners/NOTHEX/items/1", {**form, "created_at": "2026-01-01T00:00:00Z"}, files),
        (f"/publish/owners/{owner}/items/1", {**form, "photo_suffix": "../x"}, files),
        (f"/publish/owners/{owner}/items/1", form, {"xray": files["xray"]}),
        (
            f"/publish/owners/{owner}/items/1",
            {**form, "created_at": "2026-01-01T00:00:00Z"},
            {"xray": ("x.png", b"not an image", "image/png"), "photo": files["photo"]},
        ),
        (
            f"/publish/owners/{owner}/items/1",
            {**form, "created_at": "2026-01-01T00:00:00Z"},
            {"xray": files["xray"], "photo": ("p.png", b"<script>", "image/png")},
        ),
    ]
    for path, data, sent in cases:
        answer = both.portal.put(path, headers=auth, data=data, files=sent)
        assert 400 <= answer.status_code < 500, (path, data, answer.text)
        assert answer.headers["content-type"].startswith("application/json")
    good = {**form, "created_at": "2026-01-01T00:00:00+00:00"}
    path = f"/publish/owners/{owner}/items/1"
    assert both.portal.put(path, headers=auth, data=good, files=files).status_code == 201
    assert both.portal.put(path, headers=auth, data=good, files=files).status_code == 200


def test_the_admin_purge_names_what_goes_refuses_while_unpublished_then_deletes(
    both: Both,
) -> None:
    client, auth = both.booth.client, both.booth.auth
    token = new_owners(both.booth, 1)[0]
    deliver(both.booth, f"{PORTAL}/p/{token}", "Brumm", (90, 30, 90))
    preview = client.get("/publishing/purge", headers=auth).json()
    assert preview["cases"] == 1 and preview["owner_items"] == 1 and preview["qr_batches"] == 1
    assert preview["unpublished"] == "1 publish entry"
    refused = client.post("/publishing/purge", headers=auth, json={})
    assert refused.status_code == 409 and "not everything is published" in refused.text
    both.publish()
    done = client.post("/publishing/purge", headers=auth, json={"force": False})
    assert done.status_code == 200 and done.json()["done"] and done.json()["files"] >= 3
    after = client.get("/publishing/purge", headers=auth).json()
    assert (after["cases"], after["owner_items"], after["qr_batches"]) == (0, 0, 0)
    assert "Brumm" in both.portal.get(f"/p/{token}").text  # the portal keeps its copy
    assert client.post("/publishing/purge", json={}).status_code == 401
