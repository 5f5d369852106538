"""CPF and CNPJ check digits."""

from __future__ import annotations

import pytest

from erp_bridge.domain.errors import TaxIdError
from erp_bridge.domain.taxid import cnpj_check_digits, cpf_check_digits, normalize_tax_id


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("529.982.247-25", "52998224725"),
        ("11.222.333/0001-81", "11222333000181"),
        ("11222333000181", "11222333000181"),
    ],
)
def test_valid_ids_are_normalized(raw: str, digits: str) -> None:
    """Punctuated CPF and CNPJ come back as bare digits."""
    assert normalize_tax_id(raw) == digits


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("529.982.247-24", "check digits should be 25"),
        ("11.222.333/0001-80", "check digits should be 81"),
        ("111.111.111-11", "repeats one digit"),
        ("1234", "has 4 digits"),
        ("52998224A25", "characters other than digits"),
    ],
)
def test_invalid_ids_say_why(raw: str, message: str) -> None:
    """A wrong id raises tax_id_invalid with the reason."""
    with pytest.raises(TaxIdError) as err:
        normalize_tax_id(raw)
    assert err.value.code == "tax_id_invalid"
    assert message in err.value.message


def test_check_digit_helpers_match_known_ids() -> None:
    """The helpers compute the digits of known valid ids."""
    assert cpf_check_digits("529982247") == "25"
    assert cnpj_check_digits("112223330001") == "81"
