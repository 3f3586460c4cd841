"""Profile a real ``teddy-xray serve`` under the image benchmark's load (issue 11).

For each phase (noisy 2000x1500 uploads at concurrency 8, noisy 4000x3000 uploads one at a
time, full worker cycles at concurrency 4) it reports the server's CPU seconds per operation
(from ``/proc/<pid>/stat``: carries over between a loaded and a quiet machine) and, with
py-spy installed (``pip install py-spy``; not a dependency of the project), the functions
that hold most of the server's on-CPU samples, cumulative (a function and what it calls).

Run: python bench/profile_server.py [--db sqlite|postgresql] [--phase NAME ...] [--top N]
Set BENCH_PYTHONPATH to profile another checkout's src (e.g. the code before a change).
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_images import Bench, running, timed  # noqa: E402
from photos import noisy_jpeg, result_png  # noqa: E402

PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")


def uploads(bench: Bench, photo: bytes, count: int, threads: int) -> Callable[[], int]:
    def run() -> int:
        timed(threads, count, lambda _: bench.upload(photo))
        return count

    return run


def cycles(bench: Bench, jobs: int) -> Callable[[], int]:
    def run() -> int:
        bench.work(2, jobs, result_png())
        return jobs

    return run


def _frame(text: str) -> str:
    """``func (path/to/mod.py:12)`` -> ``func (mod.py)``: one name per function."""
    name, _, where = text.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0].rsplit('/', 1)[-1]})"


def summary(raw: Path, top: int) -> list[str]:
    """Return the ``top`` functions by cumulative share of the samples (py-spy raw format)."""
    cumulative: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame(f) for f in stack.split(";")[1:]]  # the first one is the thread
        for name in set(frames):
            cumulative[name] += n
        if frames:
            own[frames[-1]] += n
    if not total:
        return ["(no samples)"]
    lines = [f"{total} samples; cumulative % / own % / function"]
    for name, n in cumulative.most_common(top):
        lines.append(f"{100 * n / total:5.1f} {100 * own[name] / total:5.1f}  {name}")
    return lines


def profiled(
    pid: int, out: Path, work: Callable[[], int], *, gil: bool = False
) -> tuple[int, float, float]:
    """Run ``work`` under py-spy (if there is one); return its count, CPU s and wall s."""
    spy = None
    if Path(PY_SPY).exists():
        spy = subprocess.Popen(
            [
                PY_SPY,
                "record",
                "--pid",
                str(pid),
                "--rate",
                "250",
                "--format",
                "raw",
                "--nonblocking",
                *(["--gil"] if gil else []),
                "-o",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu0 = int(fields[11]) + int(fields[12])
    started = time.perf_counter()
    count = work()
    wall = time.perf_counter() - started
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12]) - cpu0) / os.sysconf("SC_CLK_TCK")
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
    return count, cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--phase", action="append", choices=["upload2000", "upload4000", "cycles"])
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--gil", action="store_true", help="only samples holding the GIL (Python work)"
    )
    parser.add_argument("--count", type=int, default=120, help="uploads of the 2000x1500 photo")
    args = parser.parse_args()
    phases = args.phase or ["upload2000", "upload4000", "cycles"]
    noisy, phone = noisy_jpeg(2000, 1500), noisy_jpeg(4000, 3000)
    print(f"load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    with running(args.db) as server, tempfile.TemporaryDirectory() as tmp:
        bench = Bench(server)
        assert server.process is not None
        pid = server.process.pid
        for _ in range(10):  # warm up every route and cache
            bench.upload(noisy)
        bench.work(2, 10, result_png())
        work = {
            "upload2000": uploads(bench, noisy, args.count, 8),
            "upload4000": uploads(bench, phone, 16, 1),
            "cycles": cycles(bench, 40),
        }
        for phase in phases:
            if phase == "cycles":  # queue the jobs to be worked first, outside the profile
                for _ in range(40):
                    bench.upload(noisy)
            out = Path(tmp) / f"{phase}.txt"
            count, cpu, wall = profiled(pid, out, work[phase], gil=args.gil)
            print(
                f"\n## {phase}: {count} ops, server CPU {1000 * cpu / count:.1f} ms/op, "
                f"wall {count / wall:.1f} ops/s, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            if out.exists():
                print("\n".join(summary(out, args.top)), flush=True)
            if phase == "upload2000":  # empty the queue for the next phase
                bench.work(2, args.count, result_png())


if __name__ == "__main__":
    main()
