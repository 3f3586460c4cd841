"""Value objects of the generation feature."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """What a generator needs to know besides the photo.

    Attributes:
        job_id: the job this x-ray is made for (for logging and tracing only).
        seed: the variation to draw; the same seed and photo give the same x-ray.
        broken_bone: whether the x-ray shows a fractured bone.
        animal_type: the kind of toy as entered by the doctor (e.g. "bear", "other").
        animal_name: the toy's name as entered by the doctor.
    """

    job_id: int
    seed: int
    broken_bone: bool = False
    animal_type: str = "other"
    animal_name: str = ""
