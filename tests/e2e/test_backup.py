"""``teddy-xray backup`` while uploads and a worker run, then ``restore`` into a fresh dir.

Every upload acknowledged and every case confirmed before the backup began must be in the
restored data dir, and no row of it may point at a missing blob.
"""

from __future__ import annotations

import subprocess
import tarfile
import threading
import time
from pathlib import Path

import bcrypt
import httpx
import pytest

from tests.images import asset, png
from tests.serverproc import CLI, Server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "backup-test"
UPLOADS = 24


def login(http: httpx.Client) -> dict[str, str]:
    token = http.post("/token", data={"password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, check=False)


def confirmed_jobs(data_dir: Path) -> set[int]:
    """Job ids of confirmed x-rays, from `teddy-xray owners` on a data dir."""
    out = cli("owners", "--data-dir", str(data_dir))
    assert out.returncode == 0, out.stderr
    return {int(line.split(" job ", 1)[1].split(":", 1)[0]) for line in out.stdout.splitlines()}


def test_a_backup_taken_under_traffic_restores_everything_acknowledged(tmp_path: Path) -> None:
    """Uploads, a worker and confirmations run while the backup is taken; nothing is lost."""
    env = {
        "TEDDY_XRAY_PASSWORD_HASH": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode(),
        "TEDDY_XRAY_CAROUSEL_SIZE": "100",
    }
    server = Server(tmp_path / "data", env=env).start()
    acked: list[tuple[int, float]] = []
    confirmed: list[tuple[int, float]] = []
    stop = threading.Event()
    errors: list[str] = []

    def uploader() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            auth = login(http)
            for n in range(UPLOADS):
                response = http.post(
                    "/upload",
                    headers=auth,
                    data={
                        "first_name": "Lena",
                        "last_name": "Backup",
                        "animal_name": f"Bear {n}",
                        "qr_content": f"BK-{n}",
                    },
                    files={"file": ("teddy.jpg", asset("teddy.jpg"))},
                )
                if response.status_code != 200:
                    errors.append(f"upload {n}: {response.status_code}")
                    continue
                acked.append((response.json()["job_id"], time.monotonic()))

    def worker_and_doctor() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            auth = login(http)
            while not stop.is_set():
                claim = http.get("/job", headers=auth)
                if claim.status_code == 200:
                    http.post(
                        "/job",
                        headers=auth,
                        data={
                            "image_id": claim.headers["img_id"],
                            "lease_id": claim.headers["lease_id"],
                        },
                        files={"result": ("x.png", png(64, 48), "image/png")},
                    )
                results = http.get("/results", headers=auth).json()
                for job_id, urls in results["results"].items():
                    if len(urls) == results["results_per_image"] and int(job_id) % 3 != 0:
                        decided = http.get(
                            "/confirm",
                            headers=auth,
                            params={"image_id": job_id, "choice": 0, "confirm": "confirm"},
                        )
                        if decided.status_code == 200:
                            confirmed.append((int(job_id), time.monotonic()))
                if claim.status_code == 204:
                    time.sleep(0.05)

    threads = [threading.Thread(target=uploader), threading.Thread(target=worker_and_doctor)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acked) < UPLOADS // 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        began = time.monotonic()
        archive = tmp_path / "booth.tar"
        made = cli("backup", str(archive), "--data-dir", str(server.data_dir))
        assert made.returncode == 0, made.stderr
        threads[0].join(timeout=60)
        stop.set()
        threads[1].join(timeout=60)
    finally:
        stop.set()
        server.stop()
    assert not errors
    acked_before = {job for job, at in acked if at < began}
    confirmed_before = {job for job, at in confirmed if at < began}
    assert len(acked_before) >= UPLOADS // 2 and confirmed_before, "traffic ran before the backup"

    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "xray.db" in names and "MANIFEST.json" in names and "secret.key" in names

    restored = tmp_path / "restored"
    done = cli("restore", str(archive), "--data-dir", str(restored))
    assert done.returncode == 0, done.stderr
    assert cli("restore", str(archive), "--data-dir", str(restored)).returncode != 0

    confirmed_after = confirmed_jobs(restored)
    assert confirmed_before <= confirmed_after
    again = Server(restored, env=env).start()
    try:
        with httpx.Client(base_url=again.url, timeout=30) as http:
            auth = login(http)
            results = http.get("/results", headers=auth).json()
            pending = {int(j) for j in results["results"]}
            assert acked_before <= pending | confirmed_after
            for job_id in pending:
                for url in [*results["results"][str(job_id)], results["originals"][str(job_id)]]:
                    assert http.get(url).status_code == 200, url
            for url in http.get("/carousel").json():
                assert http.get(url).status_code == 200, url
    finally:
        again.stop()


@pytest.mark.postgres
def test_blobs_only_backup_holds_every_blob_a_postgresql_row_names(tmp_path: Path) -> None:
    """On PostgreSQL, `backup --blobs-only` writes every blob that the database's rows name."""
    import json
    import os
    import shutil

    import psycopg

    from tests.postgres import fresh_database

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "v0.1.0" / "postgres"
    with fresh_database() as url:
        plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
        subprocess.run(["psql", "-q", "-f", str(fixture / "dump.sql"), plain], check=True)
        with psycopg.connect(plain) as db:
            named = {r[0] for r in db.execute("SELECT original_key FROM jobs")}
            named |= {
                r[0]
                for r in db.execute("SELECT result_key FROM slots WHERE result_key IS NOT NULL")
            }
            named |= {r[0] for r in db.execute("SELECT pdf_key FROM qr_batches")}
        data = tmp_path / "data"
        shutil.copytree(fixture / "blobs", data / "blobs")
        archive = tmp_path / "blobs.tar"
        made = subprocess.run(
            [str(CLI), "backup", "--blobs-only", str(archive), "--data-dir", str(data)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "TEDDY_XRAY_DATABASE_URL": url},
        )
        refused = subprocess.run(
            [str(CLI), "backup", str(tmp_path / "x.tar"), "--data-dir", str(data)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "TEDDY_XRAY_DATABASE_URL": url},
        )
    assert made.returncode == 0, made.stderr
    with tarfile.open(archive) as tar:
        members = {n.removeprefix("blobs/") for n in tar.getnames()}
        manifest = json.loads(tar.extractfile("MANIFEST.json").read())  # type: ignore[union-attr]
    assert named <= members and "xray.db" not in members
    assert manifest["kind"] == "blobs"
    assert refused.returncode != 0 and "pg_dump" in refused.stderr
