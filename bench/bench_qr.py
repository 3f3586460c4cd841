"""Time ReportLabQRSheetRenderer on 1000 labels of the default layout (Avery L7160).

Run: python bench/bench_qr.py
"""

from __future__ import annotations

import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from xray_core.adapters.qr_sheet import ReportLabQRSheetRenderer
from xray_core.qr.sheet import QRLabel, SheetLayout, page_count

COUNT = 1000
RUNS = 3
PUBLIC_URL = "https://teddy-hospital.example.org"


def _labels() -> list[QRLabel]:
    alphabet = "ACDEFGHJKMNPQRTUVWXY34679"
    return [
        QRLabel(
            f"{PUBLIC_URL}/p/{secrets.token_urlsafe(16)}",
            "".join(secrets.choice(alphabet) for _ in range(8)),
        )
        for _ in range(COUNT)
    ]


def _time(renderer: ReportLabQRSheetRenderer, labels: list[QRLabel]) -> tuple[float, int]:
    start = time.perf_counter()
    pdf = renderer.render(labels, "2026-11-25 teddy-hospital", lambda _: None)
    return time.perf_counter() - start, len(pdf)


def main() -> None:
    labels = _labels()
    pages = page_count(COUNT, SheetLayout())
    # Cold: a new renderer each run, so each run builds its linear QR model with qrcode.
    cold = [_time(ReportLabQRSheetRenderer(), labels) for _ in range(RUNS)]
    warm_renderer = ReportLabQRSheetRenderer()
    _time(warm_renderer, labels)
    warm = [_time(warm_renderer, labels) for _ in range(RUNS)]
    size = warm[-1][1]
    print(f"{COUNT} labels, {pages} pages of avery-l7160, median of {RUNS}:")
    print(f"  first render (new renderer): {statistics.median(t for t, _ in cold):.3f} s")
    print(f"  later renders (same renderer): {statistics.median(t for t, _ in warm):.3f} s")
    print(f"  PDF size: {size / 1e6:.2f} MB ({size} bytes)")


if __name__ == "__main__":
    main()
