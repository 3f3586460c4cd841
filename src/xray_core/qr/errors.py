"""Errors of the QR feature."""

from __future__ import annotations

from xray_core.errors import InvalidInputError, NotFoundError, UnavailableError
from xray_core.qr.model import MAX_BATCH


class BatchSizeError(InvalidInputError):
    """A batch must hold 1 to 1000 codes."""

    def __init__(self, n: int) -> None:
        super().__init__(f"n must be between 1 and {MAX_BATCH}, got {n}")
        self.field = "n"


class NoBatchError(NotFoundError):
    """No QR batch was made yet."""

    def __init__(self) -> None:
        super().__init__("no QR codes were generated yet: call /qr?n=... first")


class BatchNotReadyError(UnavailableError):
    """The latest batch is still being made (or failed)."""

    def __init__(self, batch_id: int, progress: float, failed: bool) -> None:
        super().__init__(
            f"QR batch {batch_id} failed; start a new one with /qr?n=..."
            if failed
            else f"QR batch {batch_id} is not ready yet ({progress:.0f}%); see /qr/progress"
        )
