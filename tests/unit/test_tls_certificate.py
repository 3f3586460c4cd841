"""The self-signed certificate of ``serve --tls``: made once, private key 0600, right names."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

from xray_http.tls import ensure_certificate


def test_certificate_is_made_once_and_reused(tmp_path: Path) -> None:
    """A second call (a restart) returns the same certificate: the same fingerprint."""
    first = ensure_certificate(tmp_path / "data")
    pem = first.certfile.read_bytes()
    again = ensure_certificate(tmp_path / "data")
    assert again.certfile == first.certfile
    assert again.sha256 == first.sha256 and again.certfile.read_bytes() == pem
    assert len(first.sha256.split(":")) == 32


def test_private_key_is_readable_by_the_owner_only(tmp_path: Path) -> None:
    """The key file has mode 0600 and lives in the data dir."""
    cert = ensure_certificate(tmp_path / "data")
    assert cert.keyfile.parent == tmp_path / "data" / "tls"
    assert stat.S_IMODE(cert.keyfile.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in cert.keyfile.read_bytes()


def test_certificate_names_this_machine_and_the_loopback(tmp_path: Path) -> None:
    """It is valid for localhost, 127.0.0.1, the host name and any address it was given."""
    cert = ensure_certificate(tmp_path / "data", ("192.168.77.5", "booth.example"))
    names = cert.names()
    for expected in (
        "localhost",
        "127.0.0.1",
        socket.gethostname(),
        "192.168.77.5",
        "booth.example",
    ):
        assert expected in names
