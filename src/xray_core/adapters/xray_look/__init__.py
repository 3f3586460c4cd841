"""The built-in CPU x-ray generator ``silhouette`` (see docs/generators.md)."""

from xray_core.adapters.xray_look.generator import SilhouetteXrayGenerator

__all__ = ["SilhouetteXrayGenerator"]
