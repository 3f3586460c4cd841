"""Who last failed a slot, and when: a job a worker failed is left to the others for a while.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add two nullable columns to ``slots`` (existing rows: no failure recorded)."""
    op.add_column("slots", sa.Column("failed_by", sa.String(), nullable=True))
    op.add_column("slots", sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Not supported: restore the backup taken before the upgrade instead."""
    raise NotImplementedError("downgrades are not supported; restore the pre-upgrade backup")
