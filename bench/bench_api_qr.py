"""Time of GET /qr?n=1000 until the PDF is downloadable, through a real server process."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.serverproc import Server


def main(runs: int = 5, n: int = 1000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "data").start()
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                token = client.post("/token", data={"password": server.printed_password()})
                auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
                times, sizes = [], []
                for _ in range(runs):
                    started = time.perf_counter()
                    client.get("/qr", headers=auth, params={"n": n}).raise_for_status()
                    while client.get("/qr/progress", headers=auth).json()["progress"] < 100:
                        time.sleep(0.01)
                    times.append(time.perf_counter() - started)
                    sizes.append(len(client.get("/qr/download", headers=auth).content))
        finally:
            server.stop()
    median = statistics.median(times)
    print(f"| GET /qr?n={n} until the PDF is ready (median of {runs}) | {median:.2f} s |")
    print(f"| min / max | {min(times):.2f} s / {max(times):.2f} s |")
    print(f"| PDF size | {statistics.median(sizes) / 1e6:.2f} MB |")


if __name__ == "__main__":
    main()
