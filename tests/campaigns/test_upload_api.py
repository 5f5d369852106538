"""Uploading lists through the API (SQLite and PostgreSQL): streamed multipart, progress,
the report as CSV, the same file twice adding nothing, and bad input refused clearly."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from atende.web import campaign_uploads_api

from .helpers import cpf
from .web import Client, campaign_server


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[Client]:
    """The web app with the campaign endpoints."""
    async with campaign_server(database_url) as c:
        yield c


BAD_ROWS = [
    ["Nome", "Telefone", "CPF", "Obs"],
    ["Ana", "(11) 98765-4321", cpf(1), "ok"],  # 2 loaded
    ["Bruno", "123", cpf(2), ""],  # 3 no valid phone
    ["Carla", "11911112222", "111.111.111-11", ""],  # 4 bad CPF
    ["Ana dup", "11922223333", cpf(1), ""],  # 5 duplicate
    ['=HYPERLINK("x")', "11933334444", cpf(4), "@SUM(1)"],  # 6 loaded, neutralised
]


def _latin1(rows: list[list[str]]) -> bytes:
    return "\r\n".join(";".join(r) for r in rows).encode("cp1252")


def _leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("atende-list-*")}


async def test_upload_progress_report_and_repeat(client: Client) -> None:
    """A Latin-1 file with bad rows: 202 with the running upload, then done with 2 leads and
    3 rows rejected; the report downloads as CSV (BOM, one line per problem, formulas
    neutralised); the same bytes again answer 200 with the same upload and add nothing."""
    before = _leftovers()
    data = _latin1(BAD_ROWS)
    status, up = await client.upload("jan", "jan.csv", data)
    assert status == 202, up
    assert up["status"] in ("running", "done") and up["file_name"] == "jan.csv"
    done = await client.finished(up["id"])
    assert (done["status"], done["rows_read"], done["leads_added"], done["rows_rejected"]) == (
        "done", 5, 2, 3,
    )  # fmt: skip
    assert done["reasons"] == {"no_valid_phone": 1, "phone_invalid": 1, "tax_id_invalid": 1,
                               "duplicate": 1}  # fmt: skip
    status, text = await client.call("GET", done["report"])
    assert status == 200 and text.startswith("\ufeffline,field,reason")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["line"], r["reason"]) for r in rows] == [
        ("3", "phone_invalid"), ("3", "no_valid_phone"), ("4", "tax_id_invalid"),
        ("5", "duplicate"),
    ]  # fmt: skip
    status, again = await client.upload("jan", "copy.csv", data)
    assert (status, again["id"], again["repeated"]) == (200, up["id"], True)
    status, lists = await client.call("GET", "/api/campaigns/lists")
    assert [(x["name"], x["leads"], x["remaining"]) for x in lists["lists"]] == [("jan", 2, 2)]
    assert _leftovers() <= before  # the temporary file is gone once loaded
    status, body = await client.call("GET", "/api/campaigns/uploads/999/report")
    assert (status, body["error"]["code"]) == (404, "upload_unknown")
    status, body = await client.call("GET", f"/api/campaigns/uploads/{up['id']}", role="agent")
    assert status == 403


async def test_bad_files_are_refused_clearly(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty file, a binary file, a file without a phone column, a bad mapping, a body
    that is not multipart, a file over the size limit: each refused with its code and
    nothing stored or left on disk."""
    before = _leftovers()
    cases = [
        (b"", "", 422, "file_empty"),
        (b"\x00\x01\x02\x03" * 100, "", 422, "file_not_csv"),
        (b"Nome;Cidade\r\nAna;Recife\r\n", "", 422, "no_phone_column"),
        (b"Nome;Tel\r\nAna;11987654321\r\n", "?map=Tel", 422, "mapping_invalid"),
        (b"Nome;Tel\r\nAna;11987654321\r\n", "?campaign=42", 404, "campaign_not_found"),
    ]
    for data, query, want, code in cases:
        status, body = await client.upload("bad", "bad.csv", data, query)
        assert (status, body["error"]["code"]) == (want, code), (data[:20], body)
    headers = {"Authorization": f"Bearer {client.tokens['campaign_manager']}"}
    url = client.base + "/api/campaigns/lists/bad/uploads"
    async with client.http.post(url, data=b"a;b", headers=headers) as resp:
        refused = (resp.status, (await resp.json())["error"]["code"])
    assert refused == (415, "unsupported_media_type")
    monkeypatch.setattr(campaign_uploads_api, "MAX_UPLOAD_BYTES", 1000)
    big = _latin1([["Nome", "Telefone"]] + [["x" * 50, "11987654321"]] * 40)
    status, body = await client.upload("bad", "big.csv", big)
    assert (status, body["error"]["code"]) == (413, "upload_too_large")
    status, lists = await client.call("GET", "/api/campaigns/lists")
    assert [x["name"] for x in lists["lists"]] == []
    assert _leftovers() <= before


async def test_broken_forms_are_400(client: Client) -> None:
    """A multipart type without its boundary, and a form cut before its end, are 400
    ``invalid_multipart``; nothing is left on disk."""
    before = _leftovers()
    headers = {"Authorization": f"Bearer {client.tokens['campaign_manager']}"}
    url = client.base + "/api/campaigns/lists/x/uploads"
    cases = [
        ("multipart/form-data", b"abc"),
        ("multipart/form-data; boundary=zz",
         b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
         b"Nome;Tel\r\n"),
    ]  # fmt: skip
    for content_type, data in cases:
        async with client.http.post(
            url, data=data, headers={**headers, "Content-Type": content_type}
        ) as resp:
            body = await resp.json()
            assert resp.status == 400, body
            assert body["error"]["code"] == "invalid_multipart"
    assert _leftovers() <= before
