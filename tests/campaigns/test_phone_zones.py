"""The time zones of a number, memoised on the part of its prefix the data can tell apart,
are those of the plain longest-prefix lookup; the fast path of Brazilian numbers gives what
phonenumbers gives; the fast CPF/CNPJ check digits are the textbook ones."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from campaigns.domain.leads import map_columns, validate_row
from campaigns.domain.phones import _EXTRA_ZONES, PhoneProblem, normalise_phone, zones_for_prefix
from erp_bridge.domain.errors import TaxIdError
from erp_bridge.domain.taxid import cnpj_check_digits, cpf_check_digits, normalize_tax_id


def reference(prefix: str) -> tuple[str, ...]:
    """The longest known prefix, looked up from the longest down (no memo)."""
    for size in range(min(len(prefix), TIMEZONE_LONGEST_PREFIX), 0, -1):
        zones = TIMEZONE_DATA.get(prefix[:size])
        if zones is not None:
            found = tuple(z for z in zones if z != "Etc/Unknown")
            return found + _EXTRA_ZONES.get(prefix[:4], ())
    return ()


KEYS = sorted(TIMEZONE_DATA)


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(KEYS), st.text(alphabet="0123456789", min_size=0, max_size=9))
def test_zones_match_the_plain_lookup(key: str, tail: str) -> None:
    """Known keys with any digits after them, cut at the data's longest prefix."""
    prefix = (key + tail)[:TIMEZONE_LONGEST_PREFIX]
    assert zones_for_prefix(prefix) == reference(prefix)


def test_brazilian_examples() -> None:
    """DDD 81 keeps Noronha and Recife; DDD 11 is São Paulo; DDD 92 Manaus."""
    assert zones_for_prefix("558198765") == reference("558198765")
    assert "America/Recife" in zones_for_prefix("558198765")
    assert zones_for_prefix("551198765") == ("America/Sao_Paulo",)
    assert zones_for_prefix("559298765") == ("America/Manaus",)


def _textbook(digits: str, weights: list[int]) -> int:
    rest = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if rest < 2 else 11 - rest


@given(st.text(alphabet="0123456789", min_size=9, max_size=9),
       st.text(alphabet="0123456789", min_size=12, max_size=12))  # fmt: skip
def test_check_digits_are_the_textbook_ones(cpf9: str, cnpj12: str) -> None:
    """CPF weights 10..2 then 11..2; CNPJ 5..2,9..2 then 6,5..2,9..2."""
    first = _textbook(cpf9, list(range(10, 1, -1)))
    second = _textbook(cpf9 + str(first), list(range(11, 1, -1)))
    assert cpf_check_digits(cpf9) == f"{first}{second}"
    w1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    first = _textbook(cnpj12, w1)
    second = _textbook(cnpj12 + str(first), [6, *w1])
    assert cnpj_check_digits(cnpj12) == f"{first}{second}"


def _parser_says(raw: str) -> tuple[str, tuple[str, ...]] | None:
    """What phonenumbers makes of ``raw`` read in Brazil: E.164 and zones, or None."""
    try:
        number = phonenumbers.parse(raw, "BR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, reference(e164[1 : 1 + TIMEZONE_LONGEST_PREFIX])


def _ours(raw: str) -> tuple[str, tuple[str, ...]] | None:
    try:
        phone = normalise_phone(raw)
    except PhoneProblem:
        return None
    return phone.number, phone.zones


@st.composite
def spreadsheet_phones(draw: st.DrawFn) -> str:
    """A DDD (any two digits) and 6 to 10 more digits, with the punctuation people type
    between any of them; now and then a non-ASCII digit (superscript, Arabic-Indic)."""
    digits = f"{draw(st.integers(0, 99)):02d}" + draw(
        st.text(alphabet="0123456789", min_size=6, max_size=10)
    )
    out = []
    for digit in digits:
        out.append(draw(st.sampled_from(["", "", "", "", " ", "-", ".", "(", ")", "/"])))
        out.append(draw(st.sampled_from([digit] * 30 + ["\u00b2", "\u0661", "\uff11"])))
    return "".join(out)


@settings(max_examples=500, deadline=None)
@given(spreadsheet_phones())
def test_brazilian_numbers_as_phonenumbers_reads_them(raw: str) -> None:
    """Valid or not, E.164 and time zones: the fast path agrees with phonenumbers."""
    assert _ours(raw) == _parser_says(raw)


@pytest.mark.parametrize(
    "raw", ["11\u00b287654321", "\u0661\u0661987654321", "(11) 9876\u00b2-4321"]
)
def test_odd_digits_in_a_phone_never_stop_the_upload(raw: str) -> None:
    """A superscript or Arabic-Indic digit in a phone cell is judged like phonenumbers
    judges it; a refused phone is a row problem, not a failed file."""
    assert _ours(raw) == _parser_says(raw)
    columns = map_columns(["Nome", "Telefone"])
    result = validate_row(2, ["Ana", raw], columns)
    if _parser_says(raw) is None:
        assert result.lead is None
        assert [p.reason for p in result.problems] == ["phone_invalid", "no_valid_phone"]
    else:
        assert result.lead is not None and result.lead.phones[0].number.isascii()


@pytest.mark.parametrize(
    "raw", ["52998224\u00b225", "\u0665\u0662998224725", "529.982.247-2\u00b2"]
)
def test_odd_digits_in_a_tax_id_are_refused(raw: str) -> None:
    """A tax id with a digit that is not 0-9 is refused with tax_id_invalid."""
    with pytest.raises(TaxIdError) as err:
        normalize_tax_id(raw)
    assert err.value.code == "tax_id_invalid"
    columns = map_columns(["Nome", "Telefone", "CPF"])
    result = validate_row(2, ["Ana", "11987654321", raw], columns)
    assert result.lead is None and [p.reason for p in result.problems] == ["tax_id_invalid"]


def test_every_brazilian_zone_key_as_phonenumbers_reads_it() -> None:
    """Numbers starting with each Brazilian key of the time-zone data (those that set a zone
    for part of a DDD included), 10 and 11 digits: same validity, E.164 and zones."""
    keys = sorted(k for k in TIMEZONE_DATA if k.startswith("55") and len(k) > 3)
    assert len(keys) > 300
    for key in keys:
        for length in (10, 11):
            raw = (key[2:] + "3456789012")[:length]
            assert _ours(raw) == _parser_says(raw), raw
