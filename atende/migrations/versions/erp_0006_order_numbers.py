"""erp: on PostgreSQL, order numbers from a sequence (concurrent orders no longer queue on
one row), starting after the last number given

Revision ID: erp_0006
Revises: erp_0005
Create Date: 2026-11-29
"""

from alembic import op

revision = "erp_0006"
down_revision = "erp_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE SEQUENCE erp_order_seq")
    op.execute(
        "SELECT setval('erp_order_seq', COALESCE((SELECT value FROM erp_sequence "
        "WHERE name = 'order'), 0) + 1, false)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "INSERT INTO erp_sequence (name, value) SELECT 'order', last_value FROM erp_order_seq "
        "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value"
    )
    op.execute("DROP SEQUENCE erp_order_seq")
