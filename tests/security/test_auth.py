"""Attacks on logging in, on bearer tokens and on signed image links."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from tests.fakes.fakes import FakeClock
from tests.images import jpeg
from tests.security.conftest import NAMES, PASSWORD, Api, Live, assert_json_error
from xray_core.auth.service import UrlSigner


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], key: bytes | None, digest: Any) -> str:
    """A JWT with any header and claims, HMAC-signed with ``key`` (unsigned if None)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64(signature)}"


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        k: v
        for k, v in ({"sub": "booth", "iat": now, "exp": now + 3600} | changes).items()
        if v is not None
    }


HS256 = {"alg": "HS256", "typ": "JWT"}
# name -> token made from the server's real secret key
FORGED: dict[str, Callable[[bytes], str]] = {
    "alg none": lambda key: forge({"alg": "none", "typ": "JWT"}, claims(), None, None),
    "alg None": lambda key: forge({"alg": "None"}, claims(), None, None),
    "HS512 with the right key": lambda key: forge({"alg": "HS512"}, claims(), key, hashlib.sha512),
    "RS256 header, HMAC body": lambda key: forge({"alg": "RS256"}, claims(), key, hashlib.sha256),
    "another key": lambda key: forge(HS256, claims(), b"k" * 32, hashlib.sha256),
    "expired": lambda key: forge(
        HS256, claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 60), key, hashlib.sha256
    ),
    "missing exp": lambda key: forge(HS256, claims(exp=None), key, hashlib.sha256),
    "missing iat": lambda key: forge(HS256, claims(iat=None), key, hashlib.sha256),
    "missing sub": lambda key: forge(HS256, claims(sub=None), key, hashlib.sha256),
    "another subject": lambda key: forge(HS256, claims(sub="admin"), key, hashlib.sha256),
    "exp as text": lambda key: forge(HS256, claims(exp="tomorrow"), key, hashlib.sha256),
    "signature cut off": lambda key: forge(HS256, claims(), key, hashlib.sha256).rsplit(".", 1)[0],
    "garbage": lambda key: "not.a.token",
    "three dots of nothing": lambda key: "..",
}


def secret_of(api: Api) -> bytes:
    return bytes(api.container.security.secret())


def assert_refused(response: httpx.Response) -> None:
    """401 with WWW-Authenticate: Bearer and a JSON reason."""
    assert_json_error(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


class TestBearerTokens:
    def test_a_token_forged_the_right_way_is_accepted(self, api: Api) -> None:
        """The forging helper makes valid tokens with the right key, so the refusals below are real."""
        token = forge(HS256, claims(), secret_of(api), hashlib.sha256)
        response = api.client.get("/results", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200

    @pytest.mark.parametrize("name", list(FORGED))
    def test_forged_tokens_are_401(self, api: Api, name: str) -> None:
        """Tokens with a wrong algorithm, key, expiry or claims are refused with 401."""
        token = FORGED[name](secret_of(api))
        assert_refused(api.client.get("/results", headers={"Authorization": f"Bearer {token}"}))

    @pytest.mark.parametrize(
        "header",
        [
            "",
            "Bearer",
            "Bearer ",
            "Bearer    ",
            "Basic dXNlcjpwYXNz",
            "Token {t}",
            "{t}",
            "Bearer {t} x",
        ],
    )
    def test_malformed_authorization_headers_are_401(self, api: Api, header: str) -> None:
        """Empty bearers, other schemes and a valid token without its scheme are refused."""
        token = api.auth["Authorization"].split(" ", 1)[1]
        headers = {"Authorization": header.format(t=token)} if header else {}
        assert_refused(api.client.get("/results", headers=headers))

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/job"),
            ("POST", "/upload"),
            ("POST", "/job"),
            ("GET", "/confirm"),
            ("GET", "/qr?n=1"),
            ("GET", "/qr/progress"),
            ("GET", "/qr/download"),
            ("GET", "/results/1/original"),
        ],
    )
    def test_every_protected_endpoint_refuses_a_forged_token(
        self, api: Api, method: str, path: str
    ) -> None:
        """Not only /results: every protected route answers an alg-none token with 401."""
        token = FORGED["alg none"](secret_of(api))
        response = api.client.request(method, path, headers={"Authorization": f"Bearer {token}"})
        assert_refused(response)


class TestSecretKey:
    def test_key_file_is_private_and_never_printed(self, live: Live) -> None:
        """secret.key is mode 0600 and neither it nor the password hash appear in the output."""
        key_file = live.server.data_dir / "secret.key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        key = key_file.read_text().strip()
        assert len(bytes.fromhex(key)) >= 32
        with live.client() as client:
            token = client.post("/token", data={"password": live.password}).json()["access_token"]
            for bad in ("wrong", "", "x" * 100):
                client.post(
                    "/token", data={"password": bad}, headers={"X-Forwarded-For": "10.9.9.9"}
                )
            client.get("/results", headers={"Authorization": "Bearer not.a.token"})
            client.get("/results", headers={"Authorization": f"Bearer {token}x"})
            client.post("/upload", headers=live.auth, files={"file": ("x.jpg", b"no")})
        output = live.server.output
        assert key not in output
        assert key.encode().hex() not in output
        assert "$2b$" not in output  # the bcrypt hash
        assert token not in output


def wrong(client: Any, times: int, **kwargs: Any) -> list[int]:
    return [
        client.post("/token", data={"password": "wrong"}, **kwargs).status_code
        for _ in range(times)
    ]


class TestLoginRateLimit:
    def test_tenth_failure_blocks_the_eleventh_attempt(self, api: Api) -> None:
        """Ten wrong passwords are 401; the eleventh attempt is 429 with Retry-After and JSON."""
        assert wrong(api.client, 10) == [401] * 10
        response = api.client.post("/token", data={"password": "wrong"})
        assert_json_error(response, 429)
        assert 1 <= int(response.headers["retry-after"]) <= 60
        assert "try again" in response.json()["detail"]

    def test_right_password_is_refused_too_while_blocked(self, api: Api) -> None:
        """A blocked address gets 429 whatever it sends, so the block is no password oracle."""
        wrong(api.client, 10)
        response = api.client.post("/token", data={"password": PASSWORD})
        assert response.status_code == 429
        assert "access_token" not in response.text

    def test_right_logins_never_count(self, api: Api) -> None:
        """Many right logins from one address (a booth's router) never trip the limit."""
        right = [api.client.post("/token", data={"password": PASSWORD}) for _ in range(30)]
        assert {r.status_code for r in right} == {200}
        assert wrong(api.client, 9) == [401] * 9
        assert api.client.post("/token", data={"password": PASSWORD}).status_code == 200
        assert wrong(api.client, 2) == [401, 429]

    def test_a_booth_device_renewing_its_token_logs_in_while_blocked(self, api: Api) -> None:
        """A device that sends a token we issued (even expired) logs in during a block."""
        wrong(api.client, 11)
        expired = _forged_for(api, {"exp": 1, "iat": int(time.time()) - 3600})
        response = api.client.post(
            "/token", data={"password": PASSWORD}, headers={"Authorization": f"Bearer {expired}"}
        )
        assert response.status_code == 200
        assert (
            api.client.get(
                "/results", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
            ).status_code
            == 200
        )

    def test_a_stranger_with_a_forged_token_stays_blocked(self, api: Api) -> None:
        """A token signed with another key, or issued long ago, does not lift the block."""
        wrong(api.client, 11)
        forged = jwt.encode(
            {"sub": "booth", "iat": int(time.time()), "exp": int(time.time()) + 60},
            "another-key-of-32-bytes-or-more!!",
            algorithm="HS256",
        )
        ancient = _forged_for(api, {"iat": int(time.time()) - 30 * 86400, "exp": 1})
        for token in (forged, ancient):
            response = api.client.post(
                "/token", data={"password": PASSWORD}, headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 429

    def test_tokens_issued_before_a_block_keep_working(self, api: Api) -> None:
        """A block stops logins only: devices already logged in carry on."""
        wrong(api.client, 11)
        assert api.client.get("/results", headers=api.auth).status_code == 200

    @pytest.mark.slow
    def test_a_blocked_address_does_not_block_another(self, live: Live) -> None:
        """On a real server, the limit is per client address (here set by a local proxy header)."""
        with live.client() as client:
            attacker = {"X-Forwarded-For": "10.20.30.40"}
            assert wrong(client, 11, headers=attacker)[-1] == 429
            booth = client.post(
                "/token",
                data={"password": live.password},
                headers={"X-Forwarded-For": "10.20.30.41"},
            )
            assert booth.status_code == 200
            blocked = client.post("/token", data={"password": live.password}, headers=attacker)
            assert blocked.status_code == 429
            assert int(blocked.headers["retry-after"]) >= 1


MULTIPART_BAD_UTF8 = (
    b'--B\r\nContent-Disposition: form-data; name="password"\r\n\r\n\xff\xfe\xc3\r\n--B--\r\n'
)


class TestPasswords:
    @pytest.mark.parametrize(
        "password",
        ["x" * 73, "ü" * 37, "x" * 60_000, "", " ", PASSWORD + "\x00", "\x00" + PASSWORD],
    )
    def test_odd_passwords_are_a_clean_401(self, api: Api, password: str) -> None:
        """Over 72 bytes, empty, blank and NUL-laced passwords are 401, never a 500."""
        assert_json_error(api.client.post("/token", data={"password": password}), 401)

    def test_missing_password_field_is_401(self, api: Api) -> None:
        """A form without the password field is just a wrong password."""
        assert_json_error(api.client.post("/token", data={"user": "admin"}), 401)

    @pytest.mark.parametrize(
        "body", [b"password=%FF%FE", b"password=\xff\xfe", b"pass\xffword=x", b"password=%E2%82"]
    )
    def test_non_utf8_urlencoded_body_is_a_clean_4xx(self, api: Api, body: bytes) -> None:
        """Invalid UTF-8 in a url-encoded login is refused cleanly."""
        response = api.client.post(
            "/token", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert_json_error(response, 401)

    def test_non_utf8_multipart_part_is_422(self, api: Api) -> None:
        """A multipart password part with invalid UTF-8 is 422, never a 500."""
        response = api.client.post(
            "/token",
            content=MULTIPART_BAD_UTF8,
            headers={"Content-Type": "multipart/form-data; boundary=B"},
        )
        assert_json_error(response, 422)

    @pytest.mark.parametrize(
        ("content_type", "body"),
        [
            ("application/json", b'{"password": "booth-secret"}'),
            ("text/plain", b"password=booth-secret"),
            ("multipart/form-data", b"password=booth-secret"),
            ("multipart/form-data; boundary=B", b"garbage"),
            ("multipart/form-data; boundary=B", b"--B\r\nContent-Disposition: form-data\r\n\r\nx"),
        ],
    )
    def test_unreadable_login_bodies_are_422(
        self, api: Api, content_type: str, body: bytes
    ) -> None:
        """JSON, plain text, a missing boundary and broken multipart are 422."""
        response = api.client.post("/token", content=body, headers={"Content-Type": content_type})
        assert_json_error(response, 422)

    def test_a_file_as_password_is_422(self, api: Api) -> None:
        """Sending the password field as a file upload is refused, naming the field."""
        response = api.client.post("/token", files={"password": ("p.txt", PASSWORD.encode())})
        assert_json_error(response, 422)
        assert "password" in response.json()["detail"]

    def test_huge_login_body_is_413(self, api: Api) -> None:
        """A login body over 64 KB is refused as too large."""
        response = api.client.post("/token", data={"password": "x" * 70_000})
        assert_json_error(response, 413)


def signed(api: Api, job_id: int) -> tuple[str, dict[str, str]]:
    """The path and query of the signed original URL /results gives for ``job_id``."""
    url = api.client.get("/results", headers=api.auth).json()["originals"][str(job_id)]
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def upload(api: Api) -> int:
    files = {"file": ("p.jpg", jpeg(), "image/jpeg")}
    response = api.client.post("/upload", headers=api.auth, data=NAMES, files=files)
    assert response.status_code == 200, response.text
    return int(response.json()["job_id"])


class TestSignedImageLinks:
    def test_valid_signature_loads_the_image_without_a_token(self, api: Api) -> None:
        """The signed URL from /results works for a browser <img> with no header."""
        path, query = signed(api, upload(api))
        response = api.client.get(path, params=query)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"

    @pytest.mark.parametrize(
        "change",
        [
            {"sig": "flip"},
            {"sig": ""},
            {"sig": "0" * 32},
            {"sig": "ä" * 32},
            {"expires": "+1"},
            {"expires": "abc"},
            {"expires": "1e10"},
            {"expires": "-5"},
            {"expires": " 1"},
            {"expires": "9" * 30},
            {"expires": "٣٣٣"},
            {"expires": None},
            {"sig": None},
            {"expires": None, "sig": None},
        ],
    )
    def test_tampered_links_are_401(self, api: Api, change: dict[str, str | None]) -> None:
        """A changed, emptied, non-numeric, huge or missing expires or sig is refused."""
        path, query = signed(api, upload(api))
        for key, value in change.items():
            if value is None:
                query.pop(key)
            elif value == "flip":
                query[key] = query[key][:-1] + ("0" if query[key][-1] != "0" else "1")
            elif key == "expires" and value == "+1":
                query[key] = str(int(query[key]) + 1)
            else:
                query[key] = value
        assert_refused(api.client.get(path, params=query))

    def test_signature_of_another_path_is_401(self, api: Api) -> None:
        """A link signed for one job's image opens no other image."""
        first, second = upload(api), upload(api)
        _, query = signed(api, first)
        assert_refused(api.client.get(f"/results/{second}/original", params=query))
        assert_refused(api.client.get(f"/results/{first}/0", params=query))

    def test_expired_signature_is_401(self, api: Api) -> None:
        """A genuine signature whose expiry has passed is refused."""
        job_id = upload(api)
        path = f"/results/{job_id}/original"
        past = FakeClock(datetime.now(UTC) - timedelta(hours=3))
        expires, sig = UrlSigner(secret_of(api), past, timedelta(hours=1)).sign(path)
        assert_refused(api.client.get(path, params={"expires": str(expires), "sig": sig}))
        future = FakeClock(datetime.now(UTC))
        expires, sig = UrlSigner(secret_of(api), future, timedelta(hours=1)).sign(path)
        assert api.client.get(path, params={"expires": str(expires), "sig": sig}).status_code == 200

    def test_signature_opens_no_other_endpoint(self, api: Api) -> None:
        """A valid image signature is no token for /results, /job or /confirm."""
        _, query = signed(api, upload(api))
        for path in ("/results", "/job", "/qr/progress"):
            assert_refused(api.client.get(path, params=query))


def _forged_for(api: Api, claims: dict[str, int]) -> str:
    """A token signed with the app's own key (as the server would have issued it)."""
    secret = api.container.security.secret()
    return jwt.encode({"sub": "booth", **claims}, secret, algorithm="HS256")
