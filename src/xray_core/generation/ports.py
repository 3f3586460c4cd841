"""Ports of the generation feature."""

from __future__ import annotations

from typing import Protocol

from xray_core.generation.model import GenerationRequest


class Generator(Protocol):
    """Turns a photo of a stuffed animal into a pretend x-ray.

    Implementations are deterministic: the same photo bytes and the same request seed give
    byte-identical output, while different seeds give visibly different x-rays so that a
    doctor can choose; generators that can, draw each ``request.option`` in its own style.
    With ``request.broken_bone`` set, the x-ray shows a visible fracture. The output is
    always an x-ray, even when no toy can be found in the photo.

    Attributes:
        name: short stable identifier of the generator (e.g. ``"silhouette"``).
    """

    @property
    def name(self) -> str:
        """Short stable identifier of the generator."""
        ...

    def generate(self, photo: bytes, request: GenerationRequest) -> bytes:
        """Return the x-ray of ``photo`` as PNG bytes.

        Args:
            photo: the encoded photo (PNG or JPEG); its EXIF orientation is honoured.
            request: the seed and options of this x-ray.

        Returns:
            A PNG image with the same pixel size as the (upright) photo.

        Raises:
            xray_core.errors.UnsupportedMediaError: ``photo`` is not a decodable image.
        """
        ...
