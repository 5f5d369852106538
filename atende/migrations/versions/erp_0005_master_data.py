"""erp: master data a site loads (customer contacts, price tables and their prices, input
documents adding stock; customers' price table, products' own warehouse, orders' price
table), production orders' completed quantity and components' reservation and consumption,
and the standard operation types and payment terms every site starts with

Revision ID: erp_0005
Revises: erp_0004
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "erp_0005"
down_revision = "erp_0004"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(18, 4).with_variant(sa.String(40), "sqlite")
S = sa.String(length=200)


def upgrade() -> None:
    op.create_table(
        "erp_customer_contact",
        sa.Column("customer_code", S, nullable=False),
        sa.Column("customer_store", S, nullable=False),
        sa.Column("name", S, nullable=False),
        sa.Column("role", S, nullable=False),
        sa.Column("phone", S, nullable=False),
        sa.Column("email", S, nullable=False),
        sa.PrimaryKeyConstraint("customer_code", "customer_store", "name"),
    )
    op.create_index("ix_erp_customer_contact_phone", "erp_customer_contact", ["phone"])
    op.create_table(
        "erp_price_table",
        sa.Column("code", S, nullable=False),
        sa.Column("description", S, nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "erp_price_table_item",
        sa.Column("table", S, nullable=False),
        sa.Column("product", S, nullable=False),
        sa.Column("price", AMOUNT, nullable=False),
        sa.Column("discount_percent", AMOUNT, nullable=False),
        sa.PrimaryKeyConstraint("table", "product"),
    )
    op.create_table(
        "erp_stock_entry",
        sa.Column("document", S, nullable=False),
        sa.Column("item", S, nullable=False),
        sa.Column("product", S, nullable=False),
        sa.Column("warehouse", S, nullable=False),
        sa.Column("quantity", AMOUNT, nullable=False),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("supplier", S, nullable=False),
        sa.PrimaryKeyConstraint("document", "item"),
    )
    with op.batch_alter_table("erp_customer") as batch:
        batch.add_column(sa.Column("price_table", S, nullable=False, server_default=""))
    with op.batch_alter_table("erp_product") as batch:
        batch.add_column(sa.Column("warehouse", S, nullable=False, server_default="01"))
    with op.batch_alter_table("erp_sales_order") as batch:
        batch.add_column(sa.Column("price_table", S, nullable=False, server_default=""))
    with op.batch_alter_table("erp_production_order") as batch:
        batch.add_column(sa.Column("completed", AMOUNT, nullable=False, server_default="0"))
    with op.batch_alter_table("erp_production_component") as batch:
        batch.add_column(sa.Column("reserved", AMOUNT, nullable=False, server_default="0"))
        batch.add_column(sa.Column("consumed", AMOUNT, nullable=False, server_default="0"))
    operations = sa.table(
        "erp_operation_type",
        sa.column("code", S),
        sa.column("description", S),
        sa.column("creates_receivable", sa.Boolean()),
        sa.column("moves_stock", sa.Boolean()),
    )
    op.bulk_insert(
        operations,
        [
            {
                "code": "501",
                "description": "Venda de mercadoria",
                "creates_receivable": True,
                "moves_stock": True,
            },
            {
                "code": "502",
                "description": "Prestacao de servico",
                "creates_receivable": True,
                "moves_stock": False,
            },
            {
                "code": "503",
                "description": "Bonificacao",
                "creates_receivable": False,
                "moves_stock": True,
            },
            {
                "code": "504",
                "description": "Remessa sem cobranca",
                "creates_receivable": False,
                "moves_stock": False,
            },
        ],
    )
    terms = sa.table(
        "erp_payment_terms", sa.column("code", S), sa.column("description", S), sa.column("days", S)
    )
    op.bulk_insert(
        terms,
        [
            {"code": "001", "description": "A vista", "days": "0"},
            {"code": "002", "description": "30 dias", "days": "30"},
            {"code": "003", "description": "30/60/90", "days": "30,60,90"},
            {"code": "004", "description": "28/56", "days": "28,56"},
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM erp_payment_terms WHERE code IN ('001', '002', '003', '004')")
    op.execute("DELETE FROM erp_operation_type WHERE code IN ('501', '502', '503', '504')")
    with op.batch_alter_table("erp_production_component") as batch:
        batch.drop_column("consumed")
        batch.drop_column("reserved")
    with op.batch_alter_table("erp_production_order") as batch:
        batch.drop_column("completed")
    with op.batch_alter_table("erp_sales_order") as batch:
        batch.drop_column("price_table")
    with op.batch_alter_table("erp_product") as batch:
        batch.drop_column("warehouse")
    with op.batch_alter_table("erp_customer") as batch:
        batch.drop_column("price_table")
    op.drop_table("erp_stock_entry")
    op.drop_table("erp_price_table_item")
    op.drop_table("erp_price_table")
    op.drop_index("ix_erp_customer_contact_phone", table_name="erp_customer_contact")
    op.drop_table("erp_customer_contact")
