"""Delivery log indexes for the log page's date and status filters within one shop and plugin.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 03:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the indexes."""
    with op.batch_alter_table("delivery_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_log_shop_id_plugin_at_id", ["shop_id", "plugin", "at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_delivery_log_shop_id_plugin_outcome_id", ["shop_id", "plugin", "outcome", "id"], unique=False
        )


def downgrade() -> None:
    """Drop the indexes."""
    with op.batch_alter_table("delivery_log", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_log_shop_id_plugin_outcome_id")
        batch_op.drop_index("ix_delivery_log_shop_id_plugin_at_id")
