"""The HTTP edge of Teddy X-Ray (Litestar) and its composition root."""

__version__ = "0.3.0"  # the one place; hatchling reads it into the package metadata
