"""Phone numbers in E.164: a number normalized once is its own E.164 form, not parsed again."""

from __future__ import annotations

import phonenumbers
import pytest

from crm_sync.domain.lookup import caller_number
from erp_bridge.domain import phones
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.phones import normalize_phone


@pytest.mark.parametrize(
    "raw",
    ["11 99999-0000", "(11) 3333-0001", "+55 21 2222-3333", "5511988887777", "+1 212 555 0100"],
)
def test_an_e164_number_given_back_is_answered_without_a_parse(raw: str) -> None:
    """The E.164 form of a number normalizes to itself, as libphonenumber formats it, and the
    second step (the ERP's search after the caller's lookup) parses nothing."""
    e164 = caller_number(raw)
    fresh = phonenumbers.format_number(
        phonenumbers.parse(e164, "BR"), phonenumbers.PhoneNumberFormat.E164
    )
    assert fresh == e164
    misses = phones._parsed.cache_info().misses
    assert normalize_phone(e164) == e164
    assert caller_number(f" {e164} ") == e164
    assert phones._parsed.cache_info().misses == misses


@pytest.mark.parametrize("raw", ["", "abc", "123", "  "])
def test_a_number_that_is_none_stays_refused(raw: str) -> None:
    """Anonymous, short or non-numeric callers are ``phone_invalid`` on every ask."""
    for _ in range(2):
        with pytest.raises(ErpError) as err:
            caller_number(raw)
        assert err.value.code == "phone_invalid"
