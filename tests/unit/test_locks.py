"""The lock files pin every dependency that pyproject.toml names, at an allowed version."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)
RELOCK = "re-lock with `nox -s lock` (then commit requirements/*.lock)"


def pins(lock: str) -> dict[str, list[Version]]:
    """The versions ``requirements/{lock}.lock`` pins, by normalised name (forks give several)."""
    found: dict[str, list[Version]] = {}
    text = (ROOT / "requirements" / f"{lock}.lock").read_text(encoding="utf-8")
    for name, version in PIN.findall(text):
        found.setdefault(canonicalize_name(name), []).append(Version(version))
    return found


def group(name: str) -> list[str]:
    """The requirements of a dependency group, its included groups resolved."""
    requirements: list[str] = []
    for item in PYPROJECT["dependency-groups"][name]:
        if isinstance(item, dict):
            requirements += group(item["include-group"])
        else:
            requirements.append(item)
    return requirements


def _sets() -> dict[str, list[str]]:
    project: dict[str, Any] = PYPROJECT["project"]
    base = list(project["dependencies"])
    postgres = list(project["optional-dependencies"]["postgres"])
    every_group = [r for g in PYPROJECT["dependency-groups"] for r in group(g)]
    return {
        "run": base,
        "postgres": base + postgres,
        "dev": base + postgres + every_group,
        "build": list(PYPROJECT["build-system"]["requires"]),
    }


@pytest.mark.parametrize(("lock", "requirements"), sorted(_sets().items()))
def test_every_dependency_is_pinned_at_an_allowed_version(
    lock: str, requirements: list[str]
) -> None:
    """Each requirement of the set (and each extra it asks for) has a pin its specifier allows."""
    pinned = pins(lock)
    problems: list[str] = []
    for text in requirements:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if name not in pinned:
            problems.append(f"{text} is not in requirements/{lock}.lock")
            continue
        refused = [v for v in pinned[name] if not requirement.specifier.contains(v, True)]
        if refused:
            problems.append(f"{text}: requirements/{lock}.lock pins {refused[0]}")
        if "binary" in requirement.extras and name == "psycopg" and "psycopg-binary" not in pinned:
            problems.append(f"{text}: psycopg-binary is not in requirements/{lock}.lock")
    assert not problems, "; ".join(problems) + f" -> {RELOCK}"


def test_every_lock_pins_a_package_at_the_same_version() -> None:
    """A package shared by two lock files has one version in both (the sets never drift)."""
    dev = pins("dev")
    for lock in ("run", "postgres", "build"):
        for name, versions in pins(lock).items():
            if name in dev:
                assert set(versions) <= set(dev[name]), f"{name} differs in {lock}.lock: {RELOCK}"


def test_every_pin_carries_a_hash() -> None:
    """Every pin is installable with --require-hashes: no pin is without its sha256 lines."""
    for lock in ("run", "postgres", "dev", "build"):
        text = (ROOT / "requirements" / f"{lock}.lock").read_text(encoding="utf-8")
        entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        for entry in entries:
            if entry.strip() and not entry.startswith("#"):
                assert "--hash=sha256:" in entry, f"{entry.splitlines()[0]} has no hash: {RELOCK}"
