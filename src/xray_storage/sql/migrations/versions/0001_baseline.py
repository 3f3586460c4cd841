"""Baseline: the schema of release 0.1.0, made by ``create_all`` before migrations existed.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the six tables of 0.1.0."""
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("first_name", sa.String(), nullable=False),
        sa.Column("last_name", sa.String(), nullable=False),
        sa.Column("animal_name", sa.String(), nullable=False),
        sa.Column("animal_type", sa.String(), nullable=False),
        sa.Column("qr_content", sa.String(), nullable=False),
        sa.Column("broken_bone", sa.Boolean(), nullable=False),
        sa.Column("original_key", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        _when("created_at"),
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_table(
        "slots",
        sa.Column(
            "job_id",
            sa.Integer(),
            sa.ForeignKey("jobs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("idx", sa.Integer(), primary_key=True),
        sa.Column("lease_id", sa.String(), nullable=True),
        _when("leased_until", nullable=True),
        sa.Column("result_key", sa.String(), nullable=True),
        _when("filled_at", nullable=True),
    )
    op.create_table(
        "carousel",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("xray_key", sa.String(), nullable=False),
        sa.Column("original_key", sa.String(), nullable=False),
        _when("created_at"),
    )
    op.create_table(
        "owners",
        sa.Column("token", sa.String(), primary_key=True),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        _when("created_at"),
    )
    op.create_index("ix_owners_code", "owners", ["code"])
    op.create_index("ix_owners_batch_id", "owners", ["batch_id"])
    op.create_table(
        "owner_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_ref", sa.String(), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(), nullable=False),
        sa.Column("last_name", sa.String(), nullable=False),
        sa.Column("animal_name", sa.String(), nullable=False),
        sa.Column("animal_type", sa.String(), nullable=False),
        sa.Column("xray_key", sa.String(), nullable=False),
        sa.Column("original_key", sa.String(), nullable=False),
        _when("created_at"),
    )
    op.create_index("ix_owner_items_owner_ref", "owner_items", ["owner_ref"])
    op.create_table(
        "qr_batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("header", sa.String(), nullable=False),
        sa.Column("pdf_key", sa.String(), nullable=True),
        _when("created_at"),
    )


def downgrade() -> None:
    """Not supported: restore the backup taken before the upgrade instead."""
    raise NotImplementedError("downgrades are not supported; restore the pre-upgrade backup")
