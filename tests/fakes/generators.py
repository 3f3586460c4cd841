"""Generators for worker processes in e2e tests (``--generator tests.fakes.generators:Slow``).

Each returns the photo it was given (a valid PNG) as its "x-ray", so that results are quick
to check; an animal called "Cursed" makes every one of them fail.
"""

from __future__ import annotations

import os
import time

from xray_core.generation.model import GenerationRequest

CURSED = "Cursed"


class _Base:
    name = "test"
    seconds = 0.0

    def generate(self, photo: bytes, request: GenerationRequest) -> bytes:
        if request.animal_name == CURSED:
            raise RuntimeError(f"{self.name} cannot draw a cursed animal")
        time.sleep(self.seconds)
        return photo


class Quick(_Base):
    """Returns the photo at once."""

    name = "quick"


class Slow(_Base):
    """Takes ``TEST_GENERATOR_SECONDS`` (default 10) per photo, like a diffusion model."""

    name = "slow"

    def __init__(self) -> None:
        self.seconds = float(os.environ.get("TEST_GENERATOR_SECONDS", "10"))


class Failing(_Base):
    """Fails every photo after a moment (a GPU whose driver crashed)."""

    name = "failing"

    def generate(self, photo: bytes, request: GenerationRequest) -> bytes:
        time.sleep(0.5)
        raise RuntimeError("CUDA error: an illegal memory access was encountered")
