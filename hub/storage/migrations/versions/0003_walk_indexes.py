"""Indexes for walking a shop's records in id order (backfill, streaming) and for one record's
delivery history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 01:55:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the indexes."""
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index("ix_records_shop_id_id", ["shop_id", "id"], unique=False)
        batch_op.create_index("ix_records_shop_id_kind_id", ["shop_id", "kind", "id"], unique=False)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_record_id", ["record_id"], unique=False)


def downgrade() -> None:
    """Drop the indexes."""
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_record_id")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_shop_id_kind_id")
        batch_op.drop_index("ix_records_shop_id_id")
