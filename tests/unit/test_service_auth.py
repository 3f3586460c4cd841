"""AuthService (shared password, bearer tokens) and UrlSigner (signed image links)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from tests.fakes.fakes import FakeClock, FakePasswordHasher
from xray_core.adapters.security import PyJwtTokenCodec
from xray_core.auth.errors import InvalidTokenError, WrongPasswordError
from xray_core.auth.service import AuthService, UrlSigner

SECRET = b"k" * 32
TTL = timedelta(hours=12)
PASSWORD = "secret"


def real_now() -> datetime:
    """Return the wall-clock time, to which PyJWT compares ``exp``."""
    return datetime.now(UTC)


def auth_at(clock: FakeClock) -> AuthService:
    """Return the auth service with the fake hasher, the real JWT codec and ``clock``."""
    return AuthService(FakePasswordHasher(), PyJwtTokenCodec(SECRET), "fake$secret", clock, TTL)


@pytest.fixture
def now_clock() -> FakeClock:
    """A fake clock set to the real time, so that tokens it stamps are valid now."""
    return FakeClock(real_now())


def test_the_right_password_gives_a_token_that_check_accepts(now_clock: FakeClock) -> None:
    """Logging in with the booth password yields a bearer token that check() lets through."""
    auth = auth_at(now_clock)

    token = auth.login(PASSWORD)

    auth.check(token)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == int(TTL.total_seconds())


@pytest.mark.parametrize(
    "password",
    ["wrong", "", "Secret", "secret ", " secret", "é" * 40, "x" * 73, "secret" + "x" * 67],
    ids=["wrong", "empty", "case", "trailing", "leading", "80-bytes", "73-bytes", "long-prefix"],
)
def test_a_wrong_password_is_refused(now_clock: FakeClock, password: str) -> None:
    """A wrong, empty or over-long password raises WrongPasswordError."""
    with pytest.raises(WrongPasswordError):
        auth_at(now_clock).login(password)


def test_a_password_of_72_bytes_is_accepted(now_clock: FakeClock) -> None:
    """The longest password bcrypt can tell apart (72 bytes) works."""
    password = "ü" * 36
    auth = AuthService(
        FakePasswordHasher(), PyJwtTokenCodec(SECRET), f"fake${password}", now_clock, TTL
    )

    auth.check(auth.login(password))


def test_a_password_over_72_bytes_is_refused_even_if_the_hasher_agrees(
    now_clock: FakeClock,
) -> None:
    """A 73-byte password is refused before hashing (bcrypt would ignore its last byte)."""
    password = "x" * 73
    auth = AuthService(
        FakePasswordHasher(), PyJwtTokenCodec(SECRET), f"fake${password}", now_clock, TTL
    )

    with pytest.raises(WrongPasswordError):
        auth.login(password)


def test_a_token_is_refused_once_its_time_to_live_has_passed(now_clock: FakeClock) -> None:
    """A token issued more than the TTL ago raises InvalidTokenError."""
    issued_long_ago = FakeClock(real_now() - TTL - timedelta(seconds=5))
    token = auth_at(issued_long_ago).login(PASSWORD)

    with pytest.raises(InvalidTokenError, match="expired"):
        auth_at(now_clock).check(token)


def test_a_token_is_accepted_just_before_its_time_to_live_ends(now_clock: FakeClock) -> None:
    """A token issued a little less than the TTL ago still passes."""
    issued_earlier = FakeClock(real_now() - TTL + timedelta(minutes=1))
    token = auth_at(issued_earlier).login(PASSWORD)

    auth_at(now_clock).check(token)


def _forged(claims: dict[str, object], key: bytes = SECRET, alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg)


def _unsigned(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize(
    "make",
    [
        lambda c: "garbage",
        lambda c: "",
        lambda c: "a.b.c",
        lambda c: _forged(c, key=b"another key of at least 32 bytes!!"),
        lambda c: _forged({**c, "sub": "someone-else"}),
        lambda c: _forged({k: v for k, v in c.items() if k != "exp"}),
        _unsigned,
    ],
    ids=["garbage", "empty", "dots", "other-key", "other-subject", "no-exp", "alg-none"],
)
def test_a_bad_token_is_refused(now_clock: FakeClock, make: object) -> None:
    """Garbage, forged, unsigned or incomplete tokens raise InvalidTokenError."""
    now = int(real_now().timestamp())
    claims: dict[str, object] = {"sub": "booth", "iat": now, "exp": now + 3600}

    with pytest.raises(InvalidTokenError):
        auth_at(now_clock).check(make(claims))  # type: ignore[operator]


def test_a_tampered_token_is_refused(now_clock: FakeClock) -> None:
    """Changing one character of the signature of a real token makes it invalid."""
    auth = auth_at(now_clock)
    token = auth.login(PASSWORD)
    head, body, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    with pytest.raises(InvalidTokenError):
        auth.check(f"{head}.{body}.{flipped}")


# --- UrlSigner -------------------------------------------------------------------------------

PATH = "/results/3/original"


@pytest.fixture
def signer(clock: FakeClock) -> UrlSigner:
    """A URL signer with a five-minute link lifetime on the fake clock."""
    return UrlSigner(SECRET, clock, timedelta(minutes=5))


def test_a_signed_url_is_valid(signer: UrlSigner) -> None:
    """The signature made for a path validates for that path and expiry."""
    expires, sig = signer.sign(PATH)

    assert signer.valid(PATH, expires, sig)


def test_a_signed_url_is_valid_until_it_expires(signer: UrlSigner, clock: FakeClock) -> None:
    """A link works for at least its lifetime, up to its expiry, and not a second longer."""
    expires, sig = signer.sign(PATH)

    clock.advance(seconds=300)
    assert signer.valid(PATH, expires, sig)
    clock.current = datetime.fromtimestamp(expires, UTC)
    assert signer.valid(PATH, expires, sig)
    clock.advance(seconds=1)
    assert not signer.valid(PATH, expires, sig)


def test_a_signature_for_another_path_is_refused(signer: UrlSigner) -> None:
    """A signature of one image cannot be reused for another."""
    expires, sig = signer.sign(PATH)

    assert not signer.valid("/results/3/0", expires, sig)
    assert not signer.valid("/results/4/original", expires, sig)


def test_a_prolonged_expiry_is_refused(signer: UrlSigner) -> None:
    """Moving the expiry later invalidates the signature."""
    expires, sig = signer.sign(PATH)

    assert not signer.valid(PATH, expires + 3600, sig)


def test_a_tampered_signature_is_refused(signer: UrlSigner) -> None:
    """A changed, shortened or empty signature is refused."""
    expires, sig = signer.sign(PATH)
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]

    for bad in (flipped, sig[:-1], "", sig.upper() if sig != sig.upper() else sig + "0"):
        assert not signer.valid(PATH, expires, bad)


def test_a_signature_from_another_secret_is_refused(clock: FakeClock) -> None:
    """A link signed by a server with another secret does not validate here."""
    expires, sig = UrlSigner(b"x" * 32, clock, timedelta(minutes=5)).sign(PATH)

    assert not UrlSigner(SECRET, clock, timedelta(minutes=5)).valid(PATH, expires, sig)


@pytest.mark.parametrize(
    "sig", ["é" * 32, "ü", "0" * 31 + "é"], ids=["accents", "one-letter", "hex-then-accent"]
)
def test_a_non_ascii_signature_is_refused_not_crashed_on(signer: UrlSigner, sig: str) -> None:
    """A signature with non-ASCII characters (from a hand-edited link) is simply invalid."""
    expires, _ = signer.sign(PATH)

    assert signer.valid(PATH, expires, sig) is False


def test_signed_urls_stay_the_same_between_polls(clock: FakeClock) -> None:
    """Two /results polls a few seconds apart get identical image URLs (browsers keep them)."""
    signer = UrlSigner(SECRET, clock, timedelta(hours=1))
    first = signer.sign("/results/1/0")
    clock.advance(seconds=5)
    assert signer.sign("/results/1/0") == first
    expires, sig = first
    assert signer.valid("/results/1/0", expires, sig)
    clock.advance(hours=1)
    assert signer.valid("/results/1/0", expires, sig) == (expires >= clock.now().timestamp())
