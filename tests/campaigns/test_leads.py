"""Pure validation of list rows: column mapping, phones, tax ids, cells, screening."""

from __future__ import annotations

import pytest

from campaigns.domain.cells import neutralise
from campaigns.domain.errors import CampaignError
from campaigns.domain.leads import map_columns, validate_row
from campaigns.domain.phones import PhoneProblem, normalise_phone
from campaigns.domain.screening import screen

from .helpers import cpf

HEADER = ["Nome", "Telefone", "Celular", "CPF", "E-mail", "UF", "Plano"]


def test_headers_map_to_lead_fields_and_custom_fields() -> None:
    """Portuguese headers find their fields; unknown ones are kept as custom fields."""
    columns = map_columns(HEADER)
    assert columns.targets == (
        "name", "phone", "phone", "tax_id", "email", "state", "custom:plano",
    )  # fmt: skip


def test_overrides_map_ignore_and_refuse() -> None:
    """--map wins over the header; an unknown column, unknown field or no phone is refused."""
    columns = map_columns(["Cliente", "Numero", "Obs"], {"Numero": "phone", "Obs": "-"})
    assert columns.targets == ("name", "phone", None)
    with pytest.raises(CampaignError) as err:
        map_columns(["Nome", "Numero"])
    assert err.value.code == "no_phone_column"
    with pytest.raises(CampaignError) as err:
        map_columns(HEADER, {"Fax": "phone"})
    assert err.value.code == "mapping_invalid"
    with pytest.raises(CampaignError) as err:
        map_columns(HEADER, {"Plano": "salary"})
    assert err.value.code == "mapping_invalid"


def test_brazilian_phones_in_e164_with_zones() -> None:
    """Spreadsheet phone formats become E.164; the zone follows the DDD (Acre, Amazonas, SP);
    DDD 81 keeps Noronha and Recife so a window must hold in both."""
    assert normalise_phone("(11) 98765-4321").number == "+5511987654321"
    assert normalise_phone("11987654321").zones == ("America/Sao_Paulo",)
    assert normalise_phone("68 99999-0000").zones == ("America/Rio_Branco",)
    assert normalise_phone("(92) 98888-7777").zones == ("America/Manaus",)
    assert set(normalise_phone("81 99999-0000").zones) == {"America/Noronha", "America/Recife"}
    assert normalise_phone("+1 212 555 0100").zones == ("America/New_York",)
    for bad in ("12345", "(00) 91234-5678", "abc"):
        with pytest.raises(PhoneProblem):
            normalise_phone(bad)


def test_fast_path_agrees_with_the_parser() -> None:
    """Every DDD and subscriber start, 10 and 11 digits, and the special ranges (800, 900,
    300x, 400x): the fast path accepts and formats exactly what phonenumbers.parse does."""
    import phonenumbers

    starts = [f"{ddd}{lead}" for ddd in range(10, 100) for lead in ("2", "3", "5", "6", "7",
              "8", "90", "91", "99", "70", "1", "0")]  # fmt: skip
    starts += ["800", "900", "500", "3003", "3000", "4004", "4020", "4370", "4864", "4000"]
    for start in starts:
        for length in (10, 11):
            raw = (start + "7345678912")[:length]
            try:
                ours: str | None = normalise_phone(raw).number
            except PhoneProblem:
                ours = None
            parsed = phonenumbers.parse(raw, "BR")
            valid = phonenumbers.is_valid_number(parsed)
            theirs = phonenumbers.format_number(parsed, 0) if valid else None
            assert ours == theirs, raw


def test_row_with_several_phones_one_bad() -> None:
    """A lead keeps its valid phones; the bad one is reported on its column, row loaded."""
    columns = map_columns(HEADER)
    result = validate_row(
        7, ["Ana", "(11) 98765-4321; 11 3333-4444", "999", cpf(123456789), "", "sp", "Gold"],
        columns,
    )  # fmt: skip
    assert result.lead is not None
    assert [p.number for p in result.lead.phones] == ["+5511987654321", "+551133334444"]
    assert result.lead.key == cpf(123456789)
    assert result.lead.state == "SP" and result.lead.custom == {"plano": "Gold"}
    assert [(p.line, p.field, p.reason, p.loaded) for p in result.problems] == [
        (7, "Celular", "phone_invalid", True)
    ]


def test_rejected_rows_say_why() -> None:
    """Bad CPF, no valid phone and a huge cell reject the row with field and reason."""
    columns = map_columns(HEADER)
    bad_cpf = validate_row(2, ["A", "11987654321", "", "123.456.789-00"], columns)
    no_phone = validate_row(3, ["B", "000", "", ""], columns)
    huge = validate_row(4, ["C", "11987654321", "", "", "", "", "x" * 5000], columns)
    assert bad_cpf.lead is None and [(p.field, p.reason) for p in bad_cpf.problems] == [
        ("tax_id", "tax_id_invalid")
    ]
    assert no_phone.lead is None
    assert [(p.field, p.reason) for p in no_phone.problems] == [
        ("Telefone", "phone_invalid"),
        ("phone", "no_valid_phone"),
    ]
    assert huge.lead is None and huge.problems[0].reason == "cell_too_large"
    assert huge.problems[0].field == "Plano" and len(huge.problems[0].value) < 100


def test_formula_cells_neutralised() -> None:
    """A name or custom field that a spreadsheet would run is stored with a leading '."""
    columns = map_columns(HEADER)
    lead = validate_row(
        2, ['=HYPERLINK("http://x")', "11987654321", "", "", "", "", "@SUM(A1)"], columns
    ).lead
    assert lead is not None
    assert lead.name == '\'=HYPERLINK("http://x")' and lead.custom["plano"] == "'@SUM(A1)"
    assert neutralise("-12.5") == "-12.5" and neutralise("+cmd") == "'+cmd"


def test_screening_duplicates_and_do_not_call() -> None:
    """Against the scope and earlier rows: same key rejected, taken phone dropped, DNC phone
    dropped, a lead left without phones rejected."""
    columns = map_columns(HEADER)
    rows = [
        validate_row(2, ["A", "11987654321", "", cpf(1)], columns),
        validate_row(3, ["A again", "11911112222", "", cpf(1)], columns),
        validate_row(4, ["B", "11987654321", "11922223333", cpf(2)], columns),
        validate_row(5, ["C", "11933334444", "", cpf(3)], columns),
        validate_row(6, ["D", "11944445555", "", cpf(4)], columns),
    ]
    out = screen(rows, {cpf(4)}, set(), {"+5511933334444": "procon-sp"})
    assert [(lead.line, [p.number for p in lead.phones]) for lead in out.leads] == [
        (2, ["+5511987654321"]),
        (4, ["+5511922223333"]),
    ]
    assert [(p.line, p.reason, p.loaded) for p in out.problems] == [
        (3, "duplicate", False),
        (4, "duplicate_phone", True),
        (5, "do_not_call", False),
        (5, "no_phone_left", False),
        (6, "duplicate", False),
    ]
    assert out.rejected_rows == 3
