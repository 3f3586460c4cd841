"""Teddy X-Ray's framework-free core: domain types, ports and services.

Embed it by handing the services adapters for every port (see ``xray_storage`` for
SQLModel, filesystem and in-memory ones, and ``xray_core.adapters`` for images, QR sheets,
passwords and tokens).
"""

from xray_core.auth.service import AuthService, UrlSigner
from xray_core.carousel.service import CarouselPair, CarouselService
from xray_core.clock import Clock, SystemClock
from xray_core.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    TooLargeError,
    TooManyRequestsError,
    UnavailableError,
    UnsupportedMediaError,
    XrayError,
)
from xray_core.jobs.model import Claim, ConfirmAction, Job, JobInfo, JobStatus, Slot, Upload
from xray_core.jobs.service import JobService
from xray_core.owners.service import OwnerService
from xray_core.ports import BlobStore, UnitOfWork
from xray_core.qr.service import QRService

__all__ = [
    "AuthService",
    "AuthenticationError",
    "BlobStore",
    "CarouselPair",
    "CarouselService",
    "Claim",
    "Clock",
    "ConfirmAction",
    "ConflictError",
    "InvalidInputError",
    "Job",
    "JobInfo",
    "JobService",
    "JobStatus",
    "NotFoundError",
    "OwnerService",
    "PermissionDeniedError",
    "QRService",
    "Slot",
    "SystemClock",
    "TooLargeError",
    "TooManyRequestsError",
    "UnavailableError",
    "UnitOfWork",
    "UnsupportedMediaError",
    "Upload",
    "UrlSigner",
    "XrayError",
]
