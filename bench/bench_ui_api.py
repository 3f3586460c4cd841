"""QR frame decoding and fracture painting: in-process, and POST /qr/decode over real HTTP."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.frames import photo_frame, qr_frame
from tests.images import asset
from tests.serverproc import Server

from xray_core.adapters.fracture import PillowFracturePainter
from xray_core.adapters.zxing_qr import ZxingQRDecoder


def median_ms(fn, runs: int = 30) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    decoder = ZxingQRDecoder()
    with_code, without = qr_frame(), photo_frame()
    painter = PillowFracturePainter()
    xray = asset("bluemonkey_post.png")
    stroke = [(300.0, 500.0), (420.0, 520.0), (560.0, 505.0)]
    rows = [
        ("decode 640x480 JPEG with a QR code (in process)", lambda: decoder.decode(with_code), 30),
        ("decode 640x480 JPEG without a code (in process)", lambda: decoder.decode(without), 30),
        (
            "fracture a 1024x1024 PNG, 260 px stroke, width 24",
            lambda: painter.paint(xray, stroke, 24),
            10,
        ),
    ]
    print("| what | median |\n|---|---|")
    for label, fn, runs in rows:
        print(f"| {label} | {median_ms(fn, runs):.1f} ms |")
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "data").start()
        try:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                token = client.post("/token", data={"password": server.printed_password()})
                auth = {"Authorization": f"Bearer {token.json()['access_token']}"}

                def post() -> None:
                    files = {"frame": ("f.jpg", with_code, "image/jpeg")}
                    client.post("/qr/decode", headers=auth, files=files).raise_for_status()

                print(
                    f"| POST /qr/decode round trip over HTTP (uvicorn) | {median_ms(post):.1f} ms |"
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
