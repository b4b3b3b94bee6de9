"""Delivery log indexes for the per-plugin log page (shop + plugin, plugin + outcome).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 01:37:21
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the indexes."""
    with op.batch_alter_table("delivery_log", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_log_plugin_outcome_id", ["plugin", "outcome", "id"], unique=False)
        batch_op.create_index("ix_delivery_log_shop_id_plugin_id", ["shop_id", "plugin", "id"], unique=False)


def downgrade() -> None:
    """Drop the indexes."""
    with op.batch_alter_table("delivery_log", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_log_shop_id_plugin_id")
        batch_op.drop_index("ix_delivery_log_plugin_outcome_id")
