"""Owner names in ``GET /job`` headers, read byte by byte from a real server.

Litestar's test client does not see what goes wrong on the wire (a non-latin-1 value, a CR/LF),
so these tests talk to ``teddy-xray serve`` over a socket.
"""

from __future__ import annotations

import socket
from urllib.parse import unquote, urlsplit

import pytest

from tests.images import jpeg
from tests.security.conftest import Live

pytestmark = pytest.mark.e2e
NAME_HEADERS = ("first_name", "last_name", "animal_name")


def upload(live: Live, **names: str) -> int:
    data = {"first_name": "A", "last_name": "B", "animal_name": "C", "qr_content": "q", **names}
    with live.client() as client:
        response = client.post(
            "/upload", headers=live.auth, data=data, files={"file": ("p.jpg", jpeg())}
        )
    assert response.status_code == 200, response.text
    return int(response.json()["job_id"])


def cancel(live: Live, job_id: int) -> None:
    with live.client() as client:
        params = {"image_id": job_id, "choice": 0, "confirm": "cancel"}
        assert client.get("/confirm", headers=live.auth, params=params).status_code == 200


def raw_claim(live: Live) -> list[tuple[str, bytes]]:
    """GET /job over a bare socket: the status line and every header line, as raw bytes."""
    parts = urlsplit(live.url)
    request = (
        f"GET /job HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: {live.auth['Authorization']}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        connection.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            assert chunk, "connection closed before the headers ended"
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert head[0].startswith(b"HTTP/1.1 200"), head[0]
    lines = []
    for line in head[1:]:
        assert b"\r" not in line and b"\n" not in line and b"\x00" not in line
        name, _, value = line.partition(b":")
        lines.append((name.decode("ascii").lower(), value.strip()))
    return lines


@pytest.mark.parametrize(
    "names",
    [
        {"first_name": "Jürgen", "last_name": "Müller", "animal_name": "Bärli"},
        {"first_name": "Zoë", "last_name": "Ñúñez", "animal_name": "Façade ½"},
        {"first_name": "Анна", "last_name": "Иванова", "animal_name": "Мишка"},
        {"first_name": "Zoë", "last_name": "🦄", "animal_name": "Teddy 🧸"},
        {"first_name": "李", "last_name": "Smith", "animal_name": "Panda"},
        {"first_name": "%41nna", "last_name": "100%", "animal_name": "a+b"},
        {"first_name": "%41nna", "last_name": "Иванова", "animal_name": "a+b %"},
        {"first_name": 'O\'Brien "Bo"', "last_name": "a;b,c", "animal_name": "x: y"},
    ],
)
def test_any_name_arrives_intact_in_exactly_one_header_line(
    live: Live, names: dict[str, str]
) -> None:
    """Latin-1 names go out as is; otherwise printable Latin-1, the exact names in *_utf8."""
    job_id = upload(live, **names)
    lines = raw_claim(live)
    cancel(live, job_id)
    header_names = [name for name, _ in lines]
    exact = [f"{k}_utf8" for k in NAME_HEADERS]
    for name in (*NAME_HEADERS, "img_id"):
        assert header_names.count(name) == 1, header_names
    headers = dict(lines)
    latin1 = all(ord(c) < 256 for value in names.values() for c in value)
    if latin1:
        assert "name_encoding" not in headers
        got = {k: headers[k].decode("latin-1") for k in NAME_HEADERS}
    else:
        assert headers["name_encoding"] == b"utf-8-percent"
        assert all(header_names.count(name) == 1 for name in exact), header_names
        assert all(headers[k].isascii() for k in exact)
        assert all(b"%" not in headers[k] or "%" in names[k] for k in NAME_HEADERS)
        got = {
            k: unquote(headers[f"{k}_utf8"].decode("ascii"), errors="strict") for k in NAME_HEADERS
        }
    assert got == names


@pytest.mark.parametrize(
    "name",
    [
        "Eve\r\nSet-Cookie: session=stolen",
        "Eve\nX-Injected: 1",
        "Eve\rX-Injected: 1",
        "Eve\x00",
        "Eve\u2028X-Injected: 1",
        "Eve\x85X-Injected: 1",
    ],
)
def test_header_injection_is_refused_at_upload(live: Live, name: str) -> None:
    """A name that could split a header line never gets into the queue."""
    with live.client() as client:
        data = {"first_name": name, "last_name": "S", "animal_name": "A", "qr_content": "q"}
        response = client.post(
            "/upload", headers=live.auth, data=data, files={"file": ("p.jpg", jpeg())}
        )
        assert response.status_code == 422
        assert response.json()["detail"].startswith("first_name:")
        assert client.get("/results", headers=live.auth).json()["metadata"] == {}
