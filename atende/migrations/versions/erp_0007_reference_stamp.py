"""erp: a stamp raised with every change of the site's parameters, operation types or payment
terms, so a process may keep them between transactions and read them again only when changed

Revision ID: erp_0007
Revises: erp_0006
Create Date: 2026-11-29
"""

from alembic import op

revision = "erp_0007"
down_revision = "erp_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("INSERT INTO erp_sequence (name, value) VALUES ('reference_data', 0)")


def downgrade() -> None:
    op.execute("DELETE FROM erp_sequence WHERE name = 'reference_data'")
