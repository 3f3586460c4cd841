"""Settings: typed values from the environment and the file, the key file, editing the file."""

from __future__ import annotations

import multiprocessing
import stat
import threading
import tomllib
from pathlib import Path

import pytest

from xray_http.settings import (
    Settings,
    SettingsError,
    coerce_setting,
    load_settings,
    secret_key,
    write_setting,
)


def env(**values: str) -> dict[str, str]:
    return {f"TEDDY_XRAY_{name.upper()}": value for name, value in values.items()}


def test_numbers_from_the_environment_are_typed(tmp_path: Path) -> None:
    """Integers and decimals given as text become numbers."""
    settings = load_settings(
        env(results_per_image="3", qr_offset_x_mm="-1.5", lease_seconds=" 90 "), data_dir=tmp_path
    )
    assert settings.results_per_image == 3
    assert settings.qr_offset_x_mm == -1.5
    assert settings.lease_seconds == 90


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("results_per_image", "two", "results_per_image: expected an integer"),
        ("results_per_image", "2.5", "results_per_image: expected an integer"),
        ("qr_offset_y_mm", "left", "qr_offset_y_mm: expected a number"),
        ("max_upload_mb", "", "max_upload_mb: expected an integer"),
    ],
)
def test_a_bad_value_is_refused_naming_the_setting(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    """A value of the wrong kind stops start-up with the setting's name and what it expects."""
    with pytest.raises(SettingsError) as caught:
        load_settings(env(**{name: value}), data_dir=tmp_path)
    assert message in str(caught.value)
    assert repr(value) in str(caught.value)


def test_the_fleet_times_can_be_lowered_but_not_below_two_poll_writes(tmp_path: Path) -> None:
    """Gone and no-worker times take 10 s and more; less is refused, naming both settings."""
    settings = load_settings(
        env(worker_gone_seconds="10", no_worker_warning_seconds="12"), data_dir=tmp_path
    )
    assert (settings.worker_gone_seconds, settings.no_worker_warning_seconds) == (10, 12)
    with pytest.raises(SettingsError, match="worker_gone_seconds and no_worker_warning_seconds"):
        load_settings(env(no_worker_warning_seconds="5"), data_dir=tmp_path)


def test_a_bad_value_in_the_file_names_the_setting_too(tmp_path: Path) -> None:
    """The TOML file's values are checked the same way (a list where a number belongs)."""
    (tmp_path / "teddy-xray.toml").write_text("carousel_size = [1, 2]\n")
    with pytest.raises(SettingsError, match="carousel_size: expected an integer"):
        load_settings({}, data_dir=tmp_path)


def test_the_file_may_use_toml_types_or_text(tmp_path: Path) -> None:
    """Numbers, lists and quoted numbers from the file all land typed."""
    (tmp_path / "teddy-xray.toml").write_text(
        'carousel_size = 7\nqr_offset_x_mm = 2\nresults_per_image = "4"\n'
        'animal_types = ["dog", "rabbit"]\n'
    )
    settings = load_settings({}, data_dir=tmp_path)
    assert settings.carousel_size == 7
    assert settings.qr_offset_x_mm == 2.0
    assert settings.results_per_image == 4
    assert settings.animal_types == ("dog", "rabbit")


def test_a_comma_list_from_the_environment_becomes_a_tuple(tmp_path: Path) -> None:
    """ANIMAL_TYPES=dog, cat ,,bear is three names."""
    settings = load_settings(env(animal_types="dog, cat ,,bear"), data_dir=tmp_path)
    assert settings.animal_types == ("dog", "cat", "bear")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("False", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("NO", False),
        ("on", True),
        ("off", False),
        (True, True),
    ],
)
def test_booleans_accept_the_usual_words(raw: str | bool, expected: bool) -> None:
    """true/false, 1/0, yes/no and on/off all work for a boolean setting."""
    assert coerce_setting("metrics_enabled", raw, bool) is expected


def test_a_bad_boolean_is_refused_naming_the_setting() -> None:
    """'maybe' is not a boolean."""
    with pytest.raises(SettingsError, match="metrics_enabled: expected true or false"):
        coerce_setting("metrics_enabled", "maybe", bool)


def _race_for_the_key(data_dir: Path, workers: int) -> list[bytes]:
    settings = Settings(data_dir=data_dir)
    barrier = threading.Barrier(workers)
    keys: list[bytes] = []

    def read() -> None:
        barrier.wait()
        keys.append(secret_key(settings))

    threads = [threading.Thread(target=read) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return keys


def test_threads_starting_at_once_all_read_the_same_full_key(tmp_path: Path) -> None:
    """However many start together on a fresh data dir, each gets the one 64-hex-digit key."""
    for attempt in range(40):
        keys = _race_for_the_key(tmp_path / f"data{attempt}", workers=8)
        assert len(set(keys)) == 1, f"attempt {attempt}: {keys}"
        assert len(keys[0]) == 64


def _key_in_process(data_dir: str, start: object, out: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    out.put(secret_key(Settings(data_dir=Path(data_dir))))  # type: ignore[attr-defined]


def test_processes_starting_at_once_all_read_the_same_full_key(tmp_path: Path) -> None:
    """Server processes started together on a fresh data dir agree on the key."""
    context = multiprocessing.get_context("fork")
    for attempt in range(3):
        data_dir = tmp_path / f"data{attempt}"
        start, out = context.Event(), context.Queue()
        processes = [
            context.Process(target=_key_in_process, args=(str(data_dir), start, out))
            for _ in range(6)
        ]
        for process in processes:
            process.start()
        start.set()
        keys = [out.get(timeout=30) for _ in processes]
        for process in processes:
            process.join(timeout=30)
        assert len(set(keys)) == 1 and len(keys[0]) == 64, keys
        key_file = data_dir / "secret.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert sorted(p.name for p in data_dir.iterdir()) == ["secret.key"]


def test_an_empty_key_file_is_refused(tmp_path: Path) -> None:
    """A key file left empty (by hand, or an old crash) stops start-up instead of signing with b''."""
    (tmp_path / "secret.key").write_text("")
    with pytest.raises(SettingsError, match=r"secret\.key"):
        secret_key(Settings(data_dir=tmp_path))


SETTINGS_FILE = """\
# Teddy X-Ray at the spring fair
"password_hash" = "old"  # set on Friday

carousel_size = 12   # the big screen in hall B
animal_types = [
    "dog",  # most of them
    "cat",
]
"""


def test_writing_a_setting_keeps_comments_and_other_keys(tmp_path: Path) -> None:
    """set-password replaces the one value in place; comments, layout and other keys stay."""
    path = tmp_path / "teddy-xray.toml"
    path.write_text(SETTINGS_FILE)
    write_setting(path, "password_hash", 'new "quoted" \\ value')
    text = path.read_text()
    assert tomllib.loads(text) == {
        "password_hash": 'new "quoted" \\ value',
        "carousel_size": 12,
        "animal_types": ["dog", "cat"],
    }
    comments = ("# Teddy X-Ray at the spring fair", "# set on Friday", "in hall B", "# most of")
    for kept in comments:
        assert kept in text
    assert text.index("password_hash") < text.index("carousel_size")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_writing_a_new_setting_adds_it(tmp_path: Path) -> None:
    """A setting not yet in the file (or no file) is added, and the server reads it back."""
    path = tmp_path / "teddy-xray.toml"
    write_setting(path, "password_hash", "first")
    write_setting(path, "public_url", "http://192.168.1.20:8000")
    settings = load_settings({}, data_dir=tmp_path)
    assert settings.password_hash == "first"
    assert settings.public_url == "http://192.168.1.20:8000"
