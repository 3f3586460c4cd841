"""Value objects of the generation feature."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DEFAULT_HOSPITAL_NAME = "Teddy Bear Hospital"


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """What a generator needs to know besides the photo.

    Attributes:
        job_id: the job this x-ray is made for (for logging and tracing only).
        seed: the variation to draw; the same seed and photo give the same x-ray.
        broken_bone: whether the x-ray shows a fractured bone.
        animal_type: the kind of toy as entered by the doctor (e.g. "bear", "other").
        animal_name: the toy's name as entered by the doctor.
        option: which of the job's options (result slots) this is, from 0; generators draw
            each option in a different style, so the options of one job always differ.
            None: the style follows the seed.
        hospital_name: the hospital's name, for the film's label.
        taken_on: the date for the film's label; None leaves the date out.
    """

    job_id: int
    seed: int
    broken_bone: bool = False
    animal_type: str = "other"
    animal_name: str = ""
    option: int | None = None
    hospital_name: str = DEFAULT_HOSPITAL_NAME
    taken_on: date | None = None
