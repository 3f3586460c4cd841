"""Image checks: photos and results are decoded by content and kept as PNG."""
