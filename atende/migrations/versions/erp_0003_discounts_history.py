"""erp: discounts on order items (money off, percentage) and the order history (who released,
rejected, reversed or blocked an order, when and why; what each analysis decided)

Revision ID: erp_0003
Revises: erp_0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "erp_0003"
down_revision = "erp_0002"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(18, 4).with_variant(sa.String(40), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("erp_order_item") as batch:
        batch.add_column(sa.Column("discount", AMOUNT, nullable=False, server_default="0"))
        batch.add_column(sa.Column("discount_percent", AMOUNT, nullable=False, server_default="0"))
    op.create_table(
        "erp_order_event",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("order", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=200), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("why", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=200), nullable=False),
        sa.Column("items", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_erp_order_event_order", "erp_order_event", ["order"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_erp_order_event_order", table_name="erp_order_event")
    op.drop_table("erp_order_event")
    with op.batch_alter_table("erp_order_item") as batch:
        batch.drop_column("discount_percent")
        batch.drop_column("discount")
