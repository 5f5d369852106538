"""Use case: the rejection report of an upload as CSV (line, field, reason, message, value).

Every cell is neutralised against spreadsheet formulas; rows are streamed from the store.
"""

from __future__ import annotations

import csv
from typing import TextIO

from campaigns.domain.cells import neutralise
from campaigns.domain.errors import CampaignError
from campaigns.port import ListStore

REPORT_COLUMNS = ("line", "field", "reason", "message", "value", "loaded")


async def write_report(store: ListStore, upload_id: int, out: TextIO) -> int:
    """Write the report of ``upload_id`` to ``out``; returns the number of problem rows.

    Raises ``CampaignError`` (``upload_unknown``) for an unknown upload.
    """
    if await store.get_upload(upload_id) is None:
        raise CampaignError("upload_unknown", f"no upload {upload_id}")
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    written = 0
    async for p in store.problems(upload_id):
        writer.writerow(
            [p.line, neutralise(p.field), p.reason, neutralise(p.message), neutralise(p.value),
             "yes" if p.loaded else "no"]
        )  # fmt: skip
        written += 1
    return written
