"""QR batches: printable sheets of owner codes, made in the background."""
