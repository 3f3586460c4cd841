"""SQLModel tables. These are storage rows, never domain objects: see ``mapping.py``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlmodel import Field, SQLModel


def _when(*, nullable: bool = False, index: bool = False) -> datetime:
    column = Column(DateTime(timezone=True), nullable=nullable, index=index)
    return Field(sa_column=column)  # type: ignore[no-any-return]


class JobRow(SQLModel, table=True):
    """A job: the photo and what the doctor typed in."""

    __tablename__ = "jobs"

    id: int | None = Field(default=None, primary_key=True)
    first_name: str
    last_name: str
    animal_name: str
    animal_type: str
    qr_content: str
    broken_bone: bool = False
    original_key: str
    status: str = Field(index=True)
    created_at: datetime = _when()
    workflow: str = Field(default="", sa_column=Column(String, nullable=False, server_default=""))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # The failure reasons as a JSON list of strings.
    failures: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))


class SlotRow(SQLModel, table=True):
    """One wanted result of a job, with its lease."""

    __tablename__ = "slots"

    job_id: int = Field(
        sa_column=Column(Integer, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    )
    idx: int = Field(primary_key=True)
    lease_id: str | None = None
    leased_until: datetime | None = _when(nullable=True)
    result_key: str | None = None
    filled_at: datetime | None = _when(nullable=True)
    worker: str | None = None
    claimed_at: datetime | None = _when(nullable=True)
    failed_by: str | None = None
    failed_at: datetime | None = _when(nullable=True)


class CarouselRow(SQLModel, table=True):
    """A confirmed pair on the big screen."""

    __tablename__ = "carousel"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int
    xray_key: str
    original_key: str
    created_at: datetime = _when()


class OwnerRow(SQLModel, table=True):
    """A family's QR token."""

    __tablename__ = "owners"

    token: str = Field(primary_key=True)
    code: str = Field(index=True)
    batch_id: int | None = Field(default=None, index=True)
    position: int = 0
    created_at: datetime = _when()


class OwnerItemRow(SQLModel, table=True):
    """A confirmed x-ray kept for an owner reference (token or external QR text)."""

    __tablename__ = "owner_items"

    id: int | None = Field(default=None, primary_key=True)
    owner_ref: str = Field(index=True)
    external: bool = False
    job_id: int
    first_name: str
    last_name: str
    animal_name: str
    animal_type: str
    xray_key: str
    original_key: str
    created_at: datetime = _when()


class BatchRow(SQLModel, table=True):
    """A QR batch and its PDF."""

    __tablename__ = "qr_batches"

    id: int | None = Field(default=None, primary_key=True)
    size: int
    status: str
    progress: float = 0.0
    header: str
    pdf_key: str | None = None
    created_at: datetime = _when()
    # The sheet layout (migration 0007); NULL on batches recorded before: the default layout.
    layout: str | None = None
    offset_x_mm: float | None = None
    offset_y_mm: float | None = None
    start_at: int | None = None


class SchemaHistoryRow(SQLModel, table=True):
    """Which release applied a schema revision (written by ``migrate.upgrade``)."""

    __tablename__ = "schema_history"

    revision: str = Field(primary_key=True)
    version: str
    applied_at: datetime = _when()


class BlobRow(SQLModel, table=True):
    """A blob kept in the database instead of a file (``BLOB_STORE=database``)."""

    __tablename__ = "blobs"

    key: str = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    size: int
    created_at: datetime = _when()


class WorkerRow(SQLModel, table=True):
    """A worker of the fleet: when it was seen, what it delivered and how fast."""

    __tablename__ = "workers"

    name: str = Field(primary_key=True)
    address: str = ""
    user_agent: str = ""
    info: str = ""
    first_seen: datetime = _when()
    last_seen: datetime = _when()
    results: int = 0
    failures: int = 0
    # The last claim-to-result times in seconds, as a JSON list of numbers.
    durations: str = Field(default="[]", sa_column=Column(Text, nullable=False))


class OutboxRow(SQLModel, table=True):
    """An entry the booth still has to deliver to the family portal (written with its change)."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    owner: str = Field(index=True)
    job_id: int
    item_id: int
    created_at: datetime = _when()
    attempts: int = 0
    next_at: datetime = _when()
    last_error: str = ""


class PublisherRow(SQLModel, table=True):
    """The publisher's lease (one process at a time) and its place in the portal's deletions."""

    __tablename__ = "publisher"

    name: str = Field(primary_key=True)
    holder: str = ""
    until: datetime = _when()
    cursor: int = 0


class TombstoneRow(SQLModel, table=True):
    """On the portal: an owner (token hash) whose pictures were deleted, and when."""

    __tablename__ = "tombstones"

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(index=True)
    deleted_at: datetime = _when()
