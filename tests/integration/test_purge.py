"""``teddy-xray purge --event-ended`` and ``owners --delete``: gone means gone, from disk too."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.images import jpeg, png
from tests.integration.conftest import Api, start_api
from tests.integration.test_owner_pages import new_owners
from xray_core.owners.model import short_code

CLI = str(Path(sys.executable).parent / "teddy-xray")
FIRST, LAST = "Zebulonia", "Quaxtromberg"


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEDDY_XRAY_")}
    return subprocess.run(
        [CLI, *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def approve(api: Api, token: str, colour: tuple[int, int, int]) -> tuple[bytes, bytes]:
    """Upload, generate and confirm a case for ``token``; return the photo and the x-ray."""
    photo = jpeg(120, 90, colour)
    data = {"first_name": FIRST, "last_name": LAST, "animal_name": "Brumm", "qr_content": token}
    answer = api.client.post(
        "/upload", headers=api.auth, data=data, files={"file": ("p.jpg", photo, "image/jpeg")}
    )
    job_id = answer.json()["job_id"]
    xray = png(50, 40, colour[::-1])
    for _ in range(2):
        api.client.get("/job", headers=api.auth)
        api.client.post(
            "/job",
            headers=api.auth,
            data={"image_id": str(job_id)},
            files={"result": ("x.png", xray, "image/png")},
        )
    params: dict[str, str | int] = {"image_id": job_id, "choice": 0, "confirm": "confirm"}
    assert api.client.get("/confirm", headers=api.auth, params=params).status_code == 200
    return photo, xray


SCAN = """
import sys
from pathlib import Path
needles = [bytes.fromhex(n) for n in sys.argv[2:]]
for path in Path(sys.argv[1]).rglob("*"):
    if path.is_file():
        content = path.read_bytes()
        for n in needles:
            if n in content:
                print(path.name, n[:12])
"""


def scan(data_dir: Path, needles: list[bytes]) -> list[str]:
    """Return the files of ``data_dir`` holding any needle.

    Read in another process: closing a database file here would drop the SQLite locks this
    process's app holds on it (POSIX locks are per process).
    """
    found = subprocess.run(
        [sys.executable, "-c", SCAN, str(data_dir), *(n.hex() for n in needles)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return found.stdout.splitlines()


@pytest.fixture
def booth(tmp_path: Path) -> Iterator[Api]:
    yield from start_api(tmp_path / "data")


@pytest.mark.slow  # seconds of subprocesses or pixels: the full suite runs it
def test_purge_refuses_without_a_portal_then_with_force_leaves_no_trace(booth: Api) -> None:
    tokens = new_owners(booth, 2)
    sent = [approve(booth, t, (30 + 90 * i, 140, 60)) for i, t in enumerate(tokens)]
    pending = booth.client.post(
        "/upload",
        headers=booth.auth,
        data={"first_name": FIRST, "last_name": LAST, "animal_name": "Pip", "qr_content": "x"},
        files={"file": ("p.jpg", jpeg(60, 40, (1, 2, 3)), "image/jpeg")},
    )
    assert pending.status_code == 200
    data_dir = booth.settings.data_dir
    needles = [FIRST.encode(), LAST.encode(), *(t.encode() for t in tokens)]
    needles += [blob[len(blob) // 2 : len(blob) // 2 + 48] for pair in sent for blob in pair]
    assert scan(data_dir, needles)  # the test can see them before

    refused = cli(data_dir, "purge", "--event-ended")
    assert refused.returncode != 0 and "publishing is off" in refused.stderr
    assert booth.client.get(f"/p/{tokens[0]}").status_code == 200  # nothing deleted

    done = cli(data_dir, "purge", "--event-ended", "--force")  # while the app still runs
    assert done.returncode == 0, done.stderr
    assert "deleted 3 case(s), 2 x-ray(s)" in done.stdout
    assert scan(data_dir, needles) == []
    wal = data_dir / "xray.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    gone = booth.client.get(f"/p/{tokens[0]}")
    assert gone.status_code == 404, gone.text
    assert booth.client.get("/carousel", headers=booth.auth).status_code in {200, 404}


@pytest.mark.slow  # seconds of subprocesses or pixels: the full suite runs it
def test_owners_delete_by_short_code_removes_rows_and_files(booth: Api) -> None:
    mine, other = new_owners(booth, 2)
    approve(booth, mine, (200, 10, 10))
    kept = approve(booth, other, (10, 200, 10))
    files_before = {p for p in booth.settings.blob_dir.rglob("*") if p.is_file()}
    assert list(booth.settings.blob_dir.rglob("*.pdf")), "the QR sheet with both tokens"
    done = cli(booth.settings.data_dir, "owners", "--delete", short_code(mine).lower())
    assert done.returncode == 0, done.stderr
    assert "deleted 1 x-ray(s)" in done.stdout
    page = booth.client.get(f"/p/{mine}")
    assert "Brumm" not in page.text
    files_after = {p for p in booth.settings.blob_dir.rglob("*") if p.is_file()}
    assert len(files_after) < len(files_before)
    assert scan(booth.settings.blob_dir, [kept[1][20:68]])  # the other family keeps theirs
    # No PDF with the deleted family's token is left: its sheet goes (the codes printed on
    # it keep working; the other family's page is still there).
    assert not list(booth.settings.blob_dir.rglob("*.pdf"))
    assert booth.client.get(f"/p/{other}").status_code == 200
    missing = cli(booth.settings.data_dir, "owners", "--delete", "AAAA-AAAA")
    assert missing.returncode != 0 and "no owner has the code" in missing.stderr


@pytest.mark.postgres
def test_compacting_a_postgresql_database_after_a_purge_works(tmp_path: Path) -> None:
    """``VACUUM FULL`` runs outside a transaction, while the app holds its pool."""
    from tests.conftest import wipe
    from tests.postgres import fresh_database
    from xray_storage.purge import compact

    with fresh_database() as url:
        for api in start_api(tmp_path / "data", database_url=url):
            wipe(api.container.storage.engine())
            token = new_owners(api, 1)[0]
            approve(api, token, (10, 20, 30))
            purge = api.client.post("/publishing/purge", headers=api.auth, json={"force": True})
            assert purge.status_code == 200 and purge.json()["owner_items"] == 1
            compact(api.container.storage.engine())  # again, by hand: still fine
            assert api.client.get(f"/p/{token}").status_code == 404
