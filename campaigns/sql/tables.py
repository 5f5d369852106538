"""Tables of campaigns and their lists (``campaign_`` prefix); migrations ``campaigns_0001``
(lists) and ``campaigns_0002`` (campaigns) freeze them."""

from __future__ import annotations

import sqlalchemy as sa

campaign_metadata = sa.MetaData()
_TS = sa.DateTime(timezone=True)

lists = sa.Table(
    "campaign_lists",
    campaign_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("campaign", sa.String(128), nullable=True),
    sa.Column("scope", sa.String(160), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
)

uploads = sa.Table(
    "campaign_uploads",
    campaign_metadata,
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
    sa.Column("started_at", _TS, nullable=False),
    sa.Column("finished_at", _TS, nullable=True),
    sa.Index("ix_campaign_uploads_list_hash", "list_id", "file_hash"),
)

leads = sa.Table(
    "campaign_leads",
    campaign_metadata,
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
    sa.Column("created_at", _TS, nullable=False),
    sa.UniqueConstraint("scope", "lead_key", name="uq_campaign_leads_scope_key"),
)

phones = sa.Table(
    "campaign_lead_phones",
    campaign_metadata,
    sa.Column("scope", sa.String(160), primary_key=True),
    sa.Column("number", sa.String(20), primary_key=True),
    sa.Column("lead_key", sa.String(32), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("zones", sa.String(255), nullable=False, server_default=""),
    sa.Index("ix_campaign_lead_phones_lead", "scope", "lead_key"),
)

do_not_call = sa.Table(
    "campaign_do_not_call",
    campaign_metadata,
    sa.Column("number", sa.String(20), primary_key=True),
    sa.Column("register", sa.String(64), primary_key=True),
    sa.Column("added_at", _TS, nullable=False),
)

upload_problems = sa.Table(
    "campaign_upload_problems",
    campaign_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("upload_id", sa.Integer, sa.ForeignKey("campaign_uploads.id"), nullable=False),
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("field", sa.String(255), nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("message", sa.String(512), nullable=False),
    sa.Column("value", sa.String(128), nullable=False, server_default=""),
    sa.Column("loaded", sa.Boolean, nullable=False),
    sa.Index("ix_campaign_upload_problems_upload", "upload_id", "line"),
)

definitions = sa.Table(
    "campaign_definitions",
    campaign_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
    sa.Column("started_at", _TS, nullable=True),
)

# ---------------------------------------------------------------------- dialer (campaigns.dialer)
dial_state = sa.Table(
    "campaign_dial_state",
    campaign_metadata,
    sa.Column("campaign", sa.String(128), primary_key=True),
    sa.Column("lead_id", sa.Integer, sa.ForeignKey("campaign_leads.id"), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),  # retry | final
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("attempts", sa.JSON, nullable=False),  # {result: count}
    sa.Column("next_phone", sa.Integer, nullable=False, server_default="0"),
    sa.Column("not_before", _TS, nullable=True),
    sa.Column("last_abandoned_at", _TS, nullable=True),
    sa.Column("updated_at", _TS, nullable=False),
)

dial_attempts = sa.Table(
    "campaign_dial_attempts",
    campaign_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("attempt", sa.String(96), nullable=False, unique=True),
    sa.Column("campaign", sa.String(128), nullable=False),
    sa.Column("lead_id", sa.Integer, sa.ForeignKey("campaign_leads.id"), nullable=False),
    sa.Column("number", sa.String(20), nullable=False),
    sa.Column("presented", sa.String(20), nullable=False),
    sa.Column("dialled_at", _TS, nullable=False),
    sa.Column("answered_at", _TS, nullable=True),
    sa.Column("ended_at", _TS, nullable=False),
    sa.Column("result", sa.String(16), nullable=False),
    sa.Column("amd_status", sa.String(16), nullable=False, server_default=""),
    sa.Column("amd_cause", sa.String(64), nullable=False, server_default=""),
    sa.Column("short_call", sa.Boolean, nullable=False),
    sa.Index("ix_campaign_dial_attempts_campaign", "campaign", "ended_at"),
)

callbacks = sa.Table(
    "campaign_callbacks",
    campaign_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("campaign", sa.String(128), nullable=False, server_default=""),
    sa.Column("lead_id", sa.Integer, nullable=True),
    sa.Column("number", sa.String(20), nullable=False),
    sa.Column("name", sa.String(255), nullable=False, server_default=""),
    sa.Column("customer_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("due_at", _TS, nullable=False),
    sa.Column("agent", sa.String(64), nullable=True),  # None: anyone
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("note", sa.String(512), nullable=False, server_default=""),
    sa.Column("status", sa.String(16), nullable=False),  # pending | dialled | skipped
    sa.Column("done_by", sa.String(64), nullable=True),
    sa.Column("done_at", _TS, nullable=True),
    sa.Index("ix_campaign_callbacks_status_due", "status", "due_at"),
)
