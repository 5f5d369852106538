"""The time zones of a number, memoised on the part of its prefix the data can tell apart,
are those of the plain longest-prefix lookup; the fast CPF/CNPJ check digits are the
textbook ones."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from campaigns.domain.phones import _EXTRA_ZONES, zones_for_prefix
from erp_bridge.domain.taxid import cnpj_check_digits, cpf_check_digits


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
