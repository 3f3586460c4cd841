"""QR batches keep their sheet layout, so a batch drawn again after a restart looks the same.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add nullable layout columns to ``qr_batches``; existing batches keep the default layout."""
    # Plain ADD COLUMN of nullable columns: SQLite adds them in place, no table copy.
    op.add_column("qr_batches", sa.Column("layout", sa.String(), nullable=True))
    op.add_column("qr_batches", sa.Column("offset_x_mm", sa.Float(), nullable=True))
    op.add_column("qr_batches", sa.Column("offset_y_mm", sa.Float(), nullable=True))
    op.add_column("qr_batches", sa.Column("start_at", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Not supported: restore the backup taken before the upgrade instead."""
    raise NotImplementedError("downgrades are not supported; restore the pre-upgrade backup")
