"""erp: the site's credit parameters (MV_BLOQUEI, MV_CREDCLI, MV_RISCOB/C/D, MV_LIMINCR,
MV_PERMAX, MV_PEDIDOA/B/C, currency rates) with their change log; customers' secondary limit
(A1_LCFIN), limit currency (A1_MOEDALC) and largest delay (A1_MATR)

Revision ID: erp_0004
Revises: erp_0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "erp_0004"
down_revision = "erp_0003"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(18, 4).with_variant(sa.String(40), "sqlite")


def upgrade() -> None:
    op.create_table(
        "erp_parameter",
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("site", "name"),
    )
    op.create_table(
        "erp_parameter_change",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("old", sa.String(length=200), nullable=False),
        sa.Column("new", sa.String(length=200), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("erp_customer") as batch:
        batch.add_column(sa.Column("secondary_limit", AMOUNT, nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("limit_currency", sa.Integer(), nullable=False, server_default="1")
        )
        batch.add_column(
            sa.Column("largest_delay", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("erp_customer") as batch:
        batch.drop_column("largest_delay")
        batch.drop_column("limit_currency")
        batch.drop_column("secondary_limit")
    op.drop_table("erp_parameter_change")
    op.drop_table("erp_parameter")
