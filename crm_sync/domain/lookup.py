"""Who is calling: the caller's number in E.164 (Brazil by default) or a CPF/CNPJ with valid
check digits (the ERP's own check, not a copy)."""

from __future__ import annotations

from erp_bridge.domain.phones import normalize_phone
from erp_bridge.domain.taxid import normalize_tax_id

__all__ = ["caller_number", "normalize_tax_id"]


def caller_number(raw: str, region: str = "BR") -> str:
    """The caller's number in E.164, or ``phone_invalid`` (anonymous, short, not a number);
    the ERP's own normalization (a number it normalized once is not parsed again)."""
    return normalize_phone((raw or "").strip(), region)
