"""campaigns: dialer lists, leads, phones, do-not-call registers, upload reports

Revision ID: campaigns_0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "campaigns_0001"
down_revision = None
branch_labels = ("campaigns",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaign_lists",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("campaign", sa.String(128), nullable=True),
        sa.Column("scope", sa.String(160), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "campaign_uploads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("list_id", sa.Integer, sa.ForeignKey("campaign_lists.id"), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("file_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False, server_default="0"),
        sa.Column("leads_added", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rows_rejected", sa.Integer, nullable=False, server_default="0"),
        sa.Column("problems", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
    )
    op.create_index("ix_campaign_uploads_list_hash", "campaign_uploads", ["list_id", "file_hash"])
    op.create_table(
        "campaign_leads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(160), nullable=False),
        sa.Column("lead_key", sa.String(32), nullable=False),
        sa.Column("list_id", sa.Integer, sa.ForeignKey("campaign_lists.id"), nullable=False),
        sa.Column("upload_id", sa.Integer, sa.ForeignKey("campaign_uploads.id"), nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False, server_default=""),
        sa.Column("name", sa.String(1024), nullable=False, server_default=""),
        sa.Column("tax_id", sa.String(14), nullable=False, server_default=""),
        sa.Column("email", sa.String(1024), nullable=False, server_default=""),
        sa.Column("state", sa.String(2), nullable=False, server_default=""),
        sa.Column("city", sa.String(1024), nullable=False, server_default=""),
        sa.Column("timezone", sa.String(64), nullable=False, server_default=""),
        sa.Column("custom", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="new"),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("scope", "lead_key", name="uq_campaign_leads_scope_key"),
    )
    op.create_table(
        "campaign_lead_phones",
        sa.Column("scope", sa.String(160), primary_key=True),
        sa.Column("number", sa.String(20), primary_key=True),
        sa.Column("lead_key", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("zones", sa.String(255), nullable=False, server_default=""),
    )
    op.create_index("ix_campaign_lead_phones_lead", "campaign_lead_phones", ["scope", "lead_key"])
    op.create_table(
        "campaign_do_not_call",
        sa.Column("number", sa.String(20), primary_key=True),
        sa.Column("register", sa.String(64), primary_key=True),
        sa.Column("added_at", TS, nullable=False),
    )
    op.create_table(
        "campaign_upload_problems",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("upload_id", sa.Integer, sa.ForeignKey("campaign_uploads.id"), nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("field", sa.String(255), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("message", sa.String(512), nullable=False),
        sa.Column("value", sa.String(128), nullable=False, server_default=""),
        sa.Column("loaded", sa.Boolean, nullable=False),
    )
    op.create_index(
        "ix_campaign_upload_problems_upload", "campaign_upload_problems", ["upload_id", "line"]
    )


def downgrade() -> None:
    op.drop_index("ix_campaign_upload_problems_upload", "campaign_upload_problems")
    op.drop_table("campaign_upload_problems")
    op.drop_table("campaign_do_not_call")
    op.drop_index("ix_campaign_lead_phones_lead", "campaign_lead_phones")
    op.drop_table("campaign_lead_phones")
    op.drop_table("campaign_leads")
    op.drop_index("ix_campaign_uploads_list_hash", "campaign_uploads")
    op.drop_table("campaign_uploads")
    op.drop_table("campaign_lists")
