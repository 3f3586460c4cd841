"""Health, metrics and the access log through the HTTP API (SQLite in a temp dir)."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import wipe
from tests.images import jpeg, png
from tests.integration.conftest import PASSWORD, Api, start_api

SECRET_NAMES = {
    "first_name": "Wilhelmina",
    "last_name": "Zwetschgenbaum",
    "animal_name": "Knuddelbaer",
}


@pytest.fixture
def api(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Api]:
    """The app on a fresh SQLite data dir."""
    yield from start_api(tmp_path / "data", migrated_sqlite)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(api: Api, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = api.client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


def upload(api: Api, **fields: Any) -> int:
    data = {**SECRET_NAMES, "qr_content": "QR-1", **fields}
    files = {"file": ("photo.jpg", jpeg(), "image/jpeg")}
    response = api.client.post("/upload", headers=api.auth, data=data, files=files)
    assert response.status_code == 200, response.text
    return int(response.json()["job_id"])


class TestHealth:
    def test_live_answers_ok(self, api: Api) -> None:
        """/health/live answers 200 {"status": "ok"} without a token."""
        response = api.client.get("/health/live")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_ready_names_each_check(self, api: Api) -> None:
        """/health/ready answers 200 with the database and data dir checks ok."""
        response = api.client.get("/health/ready")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "checks": {"database": "ok", "data_dir": "ok"}}

    def test_health_is_ready_with_the_pending_count(self, api: Api) -> None:
        """/health answers like ready and still counts the pending jobs, as it always did."""
        upload(api)
        upload(api)
        body = api.client.get("/health").json()
        assert body["status"] == "ok"
        assert body["pending_jobs"] == 2

    def test_ready_is_503_when_free_space_is_below_the_setting(self, tmp_path: Path) -> None:
        """With min_free_mb above what the disk has, ready and /health say 503 and why."""
        for api in start_api(tmp_path / "data", min_free_mb=10**9):
            for path in ("/health/ready", "/health"):
                response = api.client.get(path)
                assert response.status_code == 503
                body = response.json()
                assert body["status"] == "unavailable"
                assert body["reason"].startswith("data_dir: OSError: ")
                assert "below the minimum of 1000000000 MB" in body["reason"]
            assert api.client.get("/health/live").status_code == 200

    def test_ready_is_503_when_the_data_dir_cannot_be_written(self, api: Api) -> None:
        """A data dir that was removed and replaced by a file fails the data_dir check."""
        shutil.rmtree(api.settings.data_dir)
        api.settings.data_dir.write_text("not a directory")
        response = api.client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["checks"]["data_dir"].startswith("NotADirectoryError")
        assert api.client.get("/health/live").status_code == 200


class TestMetrics:
    def test_metrics_count_real_traffic(self, api: Api) -> None:
        """After uploads, a claim, a result, a confirm and a bad login, the scrape shows them."""
        before = scrape(api)
        jobs = [upload(api) for _ in range(3)]
        claim = api.client.get("/job", headers=api.auth)
        assert claim.headers["img_id"] == str(jobs[0])
        posted = api.client.post(
            "/job",
            headers=api.auth,
            data={"image_id": str(jobs[0])},
            files={"result": ("x.png", png(), "image/png")},
        )
        assert posted.status_code == 200
        params: dict[str, str | int] = {"image_id": jobs[0], "choice": 0, "confirm": "confirm"}
        assert api.client.get("/confirm", headers=api.auth, params=params).status_code == 200
        assert api.client.post("/token", data={"password": "wrong"}).status_code == 401
        assert api.client.get("/results/999/0", headers=api.auth).status_code == 404
        got = scrape(api)

        def delta(name: str, *labels: tuple[str, str]) -> float:
            key = (name, tuple(sorted(labels)))
            return got.get(key, 0) - before.get(key, 0)

        assert delta("teddy_xray_uploads_total") == 3
        assert delta("teddy_xray_login_failures_total") == 1
        upload_route = (("method", "POST"), ("route", "/upload"), ("status", "200"))
        assert delta("teddy_xray_http_requests_total", *upload_route) == 3
        missing = (("method", "GET"), ("route", "/results/{job_id}/{option}"))
        assert delta("teddy_xray_http_requests_total", *missing, ("status", "404")) == 1
        latency = (("method", "POST"), ("route", "/upload"))
        assert delta("teddy_xray_http_request_duration_seconds_count", *latency) == 3
        assert got[("teddy_xray_cases", (("state", "active"),))] == 2
        assert got[("teddy_xray_cases", (("state", "confirmed"),))] == 1
        assert got[("teddy_xray_queue_waiting_slots", ())] == 4
        assert delta("teddy_xray_time_to_first_result_seconds_count") == 1
        assert delta("teddy_xray_time_to_confirmation_seconds_count") == 1
        # The worker that claimed (known by its address and User-Agent) is in the fleet.
        assert got[("teddy_xray_workers", (("state", "alive"),))] == 1
        assert got[("teddy_xray_workers", (("state", "gone"),))] == 0
        assert got[("teddy_xray_worker_slots_held", ())] == 0

    def test_metrics_token_protects_the_scrape(self, tmp_path: Path) -> None:
        """With metrics_token set, /metrics wants it as bearer token (401 otherwise)."""
        for api in start_api(tmp_path / "data", metrics_token="scrape-me-please"):
            assert api.client.get("/metrics").status_code == 401
            assert api.client.get("/metrics", headers=api.auth).status_code == 401
            bad = {"Authorization": "Bearer scrape-me-not"}
            assert api.client.get("/metrics", headers=bad).status_code == 401
            assert scrape(api, Authorization="Bearer scrape-me-please")


class TestAccessLog:
    def test_one_line_per_request_with_the_route_template(
        self, api: Api, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Each request logs method, route template, status, duration and client address."""
        caplog.set_level(logging.INFO, logger="xray_http.access")
        api.client.get("/carousel")
        api.client.get("/p/not-a-real-token-abc")
        api.client.get("/no/such/path?sig=abc")
        lines = [r for r in caplog.records if r.name == "xray_http.access"]
        assert [(r.method, r.route, r.status) for r in lines] == [  # type: ignore[attr-defined]
            ("GET", "/carousel", 200),
            ("GET", "/p/{token}", 404),
            ("GET", "<unmatched>", 404),
        ]
        assert all(r.duration_ms >= 0 and r.client for r in lines)  # type: ignore[attr-defined]

    def test_no_secret_or_name_reaches_any_log_line(
        self, api: Api, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Logins, uploads, signed image links and owner pages log no password, token or name."""
        from tests.integration.test_owner_pages import deliver, new_owners, owner_url

        caplog.set_level(logging.DEBUG)
        api.client.post("/token", data={"password": "Wrong-Horse-Battery"})
        token = api.client.post("/token", data={"password": PASSWORD}).json()["access_token"]
        (owner,) = new_owners(api, 1)
        deliver(api, owner_url(api, owner), SECRET_NAMES["animal_name"], (10, 200, 30))
        job_id = upload(api, qr_content=owner_url(api, owner))
        urls = api.client.get("/results", headers=api.auth).json()["originals"]
        signed = urls[str(job_id)]
        assert "sig=" in signed
        assert api.client.get(signed.replace("http://testserver.local", "")).status_code == 200
        assert api.client.get(f"/p/{owner}").status_code == 200
        api.client.get(f"/p/{owner}/999/xray.png")
        assert api.client.get("/metrics").status_code == 200
        text = "\n".join(
            f"{r.getMessage()} {r.exc_text or ''} {r.__dict__}"
            for r in caplog.records
            if r.name != "httpx"  # the test client's own requests, not the server's
        )
        assert "xray_http.access" in {r.name for r in caplog.records}
        signature = signed.split("sig=")[1].split("&")[0]
        secrets = [
            PASSWORD,
            "Wrong-Horse-Battery",
            token,
            api.auth["Authorization"].split()[1],
            owner,
            signature,
            *SECRET_NAMES.values(),
        ]
        for secret in secrets:
            assert secret not in text, f"{secret!r} was logged"


@pytest.mark.postgres
def test_ready_gives_up_on_a_database_that_does_not_answer(
    tmp_path: Path, postgres_url: str
) -> None:
    """While another session locks the jobs table, ready answers 503 instead of waiting."""
    for api in start_api(tmp_path / "data", database_url=postgres_url):
        wipe(api.container.storage.engine())
        assert api.client.get("/health/ready").status_code == 200
        admin = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(admin) as blocker:
            blocker.execute("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE")
            response = api.client.get("/health/ready")
            assert response.status_code == 503
            assert response.json()["reason"].startswith("database: ")
            blocker.rollback()
        assert api.client.get("/health/ready").status_code == 200
