"""The worker fleet: a registry of workers, failed attempts and workflows of jobs, who holds a slot.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``workers``; add columns to ``jobs`` and ``slots`` (existing rows stay valid)."""
    op.create_table(
        "workers",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("user_agent", sa.String(), nullable=False),
        sa.Column("info", sa.String(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("durations", sa.Text(), nullable=False),
    )
    # Plain ADD COLUMN, not batch mode: SQLite adds a NOT NULL column with a constant default
    # in place, while batch mode would copy ``jobs`` (and dropping the old copy could cascade
    # to ``slots``). Existing rows get the defaults: no failures, no workflow, no worker.
    op.add_column("jobs", sa.Column("workflow", sa.String(), nullable=False, server_default=""))
    op.add_column("jobs", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("jobs", sa.Column("failures", sa.Text(), nullable=False, server_default="[]"))
    op.add_column("slots", sa.Column("worker", sa.String(), nullable=True))
    op.add_column("slots", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Not supported: restore the backup taken before the upgrade instead."""
    raise NotImplementedError("downgrades are not supported; restore the pre-upgrade backup")
