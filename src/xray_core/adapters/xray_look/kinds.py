"""What the animal type changes: the skull's shape and a few proportions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Kind:
    """The anatomy of one kind of animal, in shares of the head's radius.

    Attributes:
        name: the kind ("bear", "dog", ... or "generic").
        snout: how far the snout reaches out of the skull.
        snout_width: the snout's half-width.
        skull: the skull's (width, height) as shares of the head disc.
        beak: a bird's beak instead of a snout.
        wings: the arms are wings.
        bone: long bones' thickness relative to the usual.
    """

    name: str
    snout: float
    snout_width: float
    skull: tuple[float, float]
    beak: bool = False
    wings: bool = False
    bone: float = 1.0


GENERIC = Kind("generic", 0.3, 0.3, (0.8, 0.75))
KINDS = {
    "bear": Kind("bear", 0.35, 0.32, (0.86, 0.8), bone=1.15),
    "dog": Kind("dog", 0.65, 0.3, (0.78, 0.72)),
    "cat": Kind("cat", 0.25, 0.26, (0.8, 0.72), bone=0.85),
    "horse": Kind("horse", 1.0, 0.28, (0.7, 0.66), bone=1.1),
    "rabbit": Kind("rabbit", 0.45, 0.24, (0.7, 0.8), bone=0.85),
    "bird": Kind("bird", 0.55, 0.18, (0.76, 0.76), beak=True, wings=True, bone=0.8),
}
# Other words doctors type (in English and German) for the same kinds.
_SYNONYMS = {
    "teddy": "bear",
    "teddybear": "bear",
    "bär": "bear",
    "baer": "bear",
    "hund": "dog",
    "puppy": "dog",
    "katze": "cat",
    "kitten": "cat",
    "pferd": "horse",
    "pony": "horse",
    "unicorn": "horse",
    "einhorn": "horse",
    "hase": "rabbit",
    "kaninchen": "rabbit",
    "bunny": "rabbit",
    "vogel": "bird",
    "owl": "bird",
    "eule": "bird",
    "duck": "bird",
    "ente": "bird",
    "penguin": "bird",
    "pinguin": "bird",
    "chicken": "bird",
    "huhn": "bird",
    "parrot": "bird",
}


def kind_of(animal_type: str) -> Kind:
    """Return the anatomy for ``animal_type``; unknown types get the generic one."""
    key = animal_type.strip().casefold().replace(" ", "").replace("-", "")
    return KINDS.get(_SYNONYMS.get(key, key), GENERIC)
