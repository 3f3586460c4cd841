"""Running ``teddy-xray serve`` as a real process on a free loopback port."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

CLI = Path(sys.executable).parent / "teddy-xray"


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One server process; ``output`` collects what it printed."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        extra_args: tuple[str, ...] = (),
        *,
        tls: bool = False,
        command: str = "serve",
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.tls = tls  # readiness is polled without verification; tests verify themselves
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.log = data_dir.parent / f"server-{self.port}-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.extra_args = extra_args
        self.command = command  # "serve" (a booth) or "portal" (the family portal)

    def start(self, timeout: float = 30.0) -> Server:
        """Start the process and wait until /health answers."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    str(CLI),
                    self.command,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                    "--log-level",
                    "warning",
                    *self.extra_args,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.output}")
            try:
                health = httpx.get(f"{self.url}/health", timeout=1, verify=not self.tls)
                if health.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer in {timeout}s:\n{self.output}")

    @property
    def output(self) -> str:
        """What the server printed so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def printed_password(self) -> str | None:
        """The password printed on first start, if it printed one."""
        match = re.search(r"password:\s+(\S+)", self.output)
        return match.group(1) if match else None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the process (SIGKILL for a crash) and wait for it."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
