"""erp: the embedded ERP (customers, products, stock, orders, releases, invoices,
receivables, promises, production, field service, idempotency keys, change feed)

Revision ID: erp_0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "erp_0001"
down_revision = None
branch_labels = ("erp",)
depends_on = None

# Decimal money and quantities: NUMERIC on PostgreSQL, exact decimal text on SQLite.
AMOUNT = sa.Numeric(18, 4).with_variant(sa.String(40), "sqlite")


def upgrade() -> None:
    op.create_table(
        "erp_bom_line",
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("component", sa.String(length=200), nullable=False),
        sa.Column("quantity", AMOUNT, nullable=False),
        sa.PrimaryKeyConstraint("product", "component"),
    )
    op.create_table(
        "erp_changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("customer_code", sa.String(length=200), nullable=False),
        sa.Column("customer_store", sa.String(length=200), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "erp_customer",
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("store", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tax_id", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=200), nullable=False),
        sa.Column("phone2", sa.String(length=200), nullable=False),
        sa.Column("seller", sa.String(length=200), nullable=False),
        sa.Column("risk", sa.String(length=200), nullable=False),
        sa.Column("size_class", sa.String(length=200), nullable=False),
        sa.Column("credit_limit", AMOUNT, nullable=False),
        sa.Column("credit_limit_expiry", sa.Date(), nullable=True),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("payment_terms", sa.String(length=200), nullable=False),
        sa.Column("open_receivables", AMOUNT, nullable=False),
        sa.Column("open_orders", AMOUNT, nullable=False),
        sa.Column("released_orders", AMOUNT, nullable=False),
        sa.Column("credit_blocked_orders", AMOUNT, nullable=False),
        sa.Column("largest_purchase", AMOUNT, nullable=False),
        sa.Column("largest_title", AMOUNT, nullable=False),
        sa.Column("average_days_late", AMOUNT, nullable=False),
        sa.Column("paid_titles", sa.Integer(), nullable=False),
        sa.Column("protested_titles", sa.Integer(), nullable=False),
        sa.Column("returned_cheques", sa.Integer(), nullable=False),
        sa.Column("first_purchase", sa.Date(), nullable=True),
        sa.Column("last_purchase", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("code", "store"),
    )
    op.create_index("ix_erp_customer_phone", "erp_customer", ["phone"], unique=False)
    op.create_index("ix_erp_customer_phone2", "erp_customer", ["phone2"], unique=False)
    op.create_index("ix_erp_customer_tax_id", "erp_customer", ["tax_id"], unique=False)
    op.create_table(
        "erp_idempotency",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "erp_installed_base",
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("serial", sa.String(length=200), nullable=False),
        sa.Column("customer_code", sa.String(length=200), nullable=False),
        sa.Column("customer_store", sa.String(length=200), nullable=False),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("product", "serial"),
    )
    op.create_table(
        "erp_invoice",
        sa.Column("series", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=200), nullable=False),
        sa.Column("customer_code", sa.String(length=200), nullable=False),
        sa.Column("customer_store", sa.String(length=200), nullable=False),
        sa.Column("order", sa.String(length=200), nullable=False),
        sa.Column("issued", sa.Date(), nullable=False),
        sa.Column("total", AMOUNT, nullable=False),
        sa.PrimaryKeyConstraint("series", "number"),
    )
    op.create_table(
        "erp_invoice_item",
        sa.Column("release_id", sa.String(length=200), nullable=False),
        sa.Column("series", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=200), nullable=False),
        sa.Column("order", sa.String(length=200), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("warehouse", sa.String(length=200), nullable=False),
        sa.Column("quantity", AMOUNT, nullable=False),
        sa.Column("value", AMOUNT, nullable=False),
        sa.PrimaryKeyConstraint("release_id"),
    )
    op.create_table(
        "erp_operation_type",
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("creates_receivable", sa.Boolean(), nullable=False),
        sa.Column("moves_stock", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "erp_order_item",
        sa.Column("order", sa.String(length=200), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("quantity", AMOUNT, nullable=False),
        sa.Column("unit_price", AMOUNT, nullable=False),
        sa.Column("value", AMOUNT, nullable=False),
        sa.Column("operation", sa.String(length=200), nullable=False),
        sa.Column("warehouse", sa.String(length=200), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("released_qty", AMOUNT, nullable=False),
        sa.Column("invoiced_qty", AMOUNT, nullable=False),
        sa.Column("rejected_qty", AMOUNT, nullable=False),
        sa.Column("reserved_qty", AMOUNT, nullable=False),
        sa.Column("production", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("order", "item"),
    )
    op.create_table(
        "erp_payment",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=200), nullable=False),
        sa.Column("installment", sa.String(length=200), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_erp_payment_prefix_number_installment",
        "erp_payment",
        ["prefix", "number", "installment"],
        unique=False,
    )
    op.create_table(
        "erp_payment_terms",
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("days", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "erp_product",
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("list_price", AMOUNT, nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "erp_production_component",
        sa.Column("production_order", sa.String(length=200), nullable=False),
        sa.Column("component", sa.String(length=200), nullable=False),
        sa.Column("quantity", AMOUNT, nullable=False),
        sa.PrimaryKeyConstraint("production_order", "component"),
    )
    op.create_table(
        "erp_production_order",
        sa.Column("number", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("warehouse", sa.String(length=200), nullable=False),
        sa.Column("quantity", AMOUNT, nullable=False),
        sa.Column("order", sa.String(length=200), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "erp_promise",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("customer_code", sa.String(length=200), nullable=False),
        sa.Column("customer_store", sa.String(length=200), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("promised_on", sa.Date(), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("status", sa.String(length=200), nullable=False),
        sa.Column("operator", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_erp_promise_customer_code_customer_store",
        "erp_promise",
        ["customer_code", "customer_store"],
        unique=False,
    )
    op.create_table(
        "erp_promise_title",
        sa.Column("promise", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=200), nullable=False),
        sa.Column("installment", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("promise", "prefix", "number", "installment"),
    )
    op.create_index(
        "ix_erp_promise_title_prefix_number_installment",
        "erp_promise_title",
        ["prefix", "number", "installment"],
        unique=False,
    )
    op.create_table(
        "erp_receivable",
        sa.Column("prefix", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=200), nullable=False),
        sa.Column("installment", sa.String(length=200), nullable=False),
        sa.Column("customer_code", sa.String(length=200), nullable=False),
        sa.Column("customer_store", sa.String(length=200), nullable=False),
        sa.Column("issued", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("value", AMOUNT, nullable=False),
        sa.Column("balance", AMOUNT, nullable=False),
        sa.Column("order", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=200), nullable=False),
        sa.Column("protested", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "number", "installment"),
    )
    op.create_index(
        "ix_erp_receivable_customer_code_customer_store",
        "erp_receivable",
        ["customer_code", "customer_store"],
        unique=False,
    )
    op.create_index(
        "ix_erp_receivable_status_due", "erp_receivable", ["status", "due"], unique=False
    )
    op.create_table(
        "erp_release_row",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("order", sa.String(length=200), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("quantity", AMOUNT, nullable=False),
        sa.Column("value", AMOUNT, nullable=False),
        sa.Column("credit_block", sa.String(length=200), nullable=False),
        sa.Column("stock_block", sa.String(length=200), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("invoice", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_erp_release_row_order", "erp_release_row", ["order"], unique=False)
    op.create_table(
        "erp_sales_order",
        sa.Column("number", sa.String(length=200), nullable=False),
        sa.Column("customer_code", sa.String(length=200), nullable=False),
        sa.Column("customer_store", sa.String(length=200), nullable=False),
        sa.Column("issued", sa.Date(), nullable=False),
        sa.Column("payment_terms", sa.String(length=200), nullable=False),
        sa.Column("release_mode", sa.String(length=200), nullable=False),
        sa.Column("allow_partial", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("seller", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_index(
        "ix_erp_sales_order_customer_code_customer_store",
        "erp_sales_order",
        ["customer_code", "customer_store"],
        unique=False,
    )
    op.create_table(
        "erp_sequence",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "erp_service_ticket",
        sa.Column("number", sa.String(length=200), nullable=False),
        sa.Column("customer_code", sa.String(length=200), nullable=False),
        sa.Column("customer_store", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("serial", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=200), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("work_order", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_index(
        "ix_erp_service_ticket_customer_code_customer_store",
        "erp_service_ticket",
        ["customer_code", "customer_store"],
        unique=False,
    )
    op.create_table(
        "erp_stock",
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("warehouse", sa.String(length=200), nullable=False),
        sa.Column("on_hand", AMOUNT, nullable=False),
        sa.Column("reserved", AMOUNT, nullable=False),
        sa.Column("allocated", AMOUNT, nullable=False),
        sa.Column("incoming", AMOUNT, nullable=False),
        sa.Column("in_sales_orders", AMOUNT, nullable=False),
        sa.PrimaryKeyConstraint("product", "warehouse"),
    )
    op.create_table(
        "erp_visit",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("work_order", sa.String(length=200), nullable=False),
        sa.Column("technician", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "erp_work_order",
        sa.Column("number", sa.String(length=200), nullable=False),
        sa.Column("ticket", sa.String(length=200), nullable=False),
        sa.Column("customer_code", sa.String(length=200), nullable=False),
        sa.Column("customer_store", sa.String(length=200), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=200), nullable=False),
        sa.Column("sales_order", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "erp_work_order_line",
        sa.Column("work_order", sa.String(length=200), nullable=False),
        sa.Column("line", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("quantity", AMOUNT, nullable=False),
        sa.Column("unit_price", AMOUNT, nullable=False),
        sa.PrimaryKeyConstraint("work_order", "line"),
    )
    sequences = sa.table(
        "erp_sequence", sa.column("name", sa.String), sa.column("value", sa.Integer)
    )
    op.bulk_insert(
        sequences,
        [
            {"name": n, "value": 0}
            for n in ("order", "invoice", "production", "ticket", "work_order")
        ],
    )


def downgrade() -> None:
    op.drop_table("erp_work_order_line")
    op.drop_table("erp_work_order")
    op.drop_table("erp_visit")
    op.drop_table("erp_stock")
    op.drop_index(
        "ix_erp_service_ticket_customer_code_customer_store", table_name="erp_service_ticket"
    )
    op.drop_table("erp_service_ticket")
    op.drop_table("erp_sequence")
    op.drop_index("ix_erp_sales_order_customer_code_customer_store", table_name="erp_sales_order")
    op.drop_table("erp_sales_order")
    op.drop_index("ix_erp_release_row_order", table_name="erp_release_row")
    op.drop_table("erp_release_row")
    op.drop_index("ix_erp_receivable_status_due", table_name="erp_receivable")
    op.drop_index("ix_erp_receivable_customer_code_customer_store", table_name="erp_receivable")
    op.drop_table("erp_receivable")
    op.drop_index("ix_erp_promise_title_prefix_number_installment", table_name="erp_promise_title")
    op.drop_table("erp_promise_title")
    op.drop_index("ix_erp_promise_customer_code_customer_store", table_name="erp_promise")
    op.drop_table("erp_promise")
    op.drop_table("erp_production_order")
    op.drop_table("erp_production_component")
    op.drop_table("erp_product")
    op.drop_table("erp_payment_terms")
    op.drop_index("ix_erp_payment_prefix_number_installment", table_name="erp_payment")
    op.drop_table("erp_payment")
    op.drop_table("erp_order_item")
    op.drop_table("erp_operation_type")
    op.drop_table("erp_invoice_item")
    op.drop_table("erp_invoice")
    op.drop_table("erp_installed_base")
    op.drop_table("erp_idempotency")
    op.drop_index("ix_erp_customer_tax_id", table_name="erp_customer")
    op.drop_index("ix_erp_customer_phone2", table_name="erp_customer")
    op.drop_index("ix_erp_customer_phone", table_name="erp_customer")
    op.drop_table("erp_customer")
    op.drop_table("erp_changes")
    op.drop_table("erp_bom_line")
