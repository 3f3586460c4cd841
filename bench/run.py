"""Run every benchmark (``nox -s bench``) and print their figures as markdown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    "bench_generator.py",
    "bench_qr.py",
    "bench_api_qr.py",
    "bench_queue.py",
    "bench_migrate.py",
    "bench_ui_api.py",
    "bench_images.py",
    "bench_portal.py",
]


def main() -> int:
    failed = 0
    for name in SCRIPTS:
        script = HERE / name
        if not script.exists():
            continue
        print(f"\n## {name}\n", flush=True)
        failed |= subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
