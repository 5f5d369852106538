"""Benchmark of dialer list upload: a generated CSV of N rows (default 1,000,000) validated
and loaded into SQLite (default) or PostgreSQL; prints rows per second and peak memory.

The file looks like a spreadsheet's export: ``;``-separated, cp1252, Brazilian phones in
several formats (two per lead on a third of rows), CPFs, a custom field, and about 3% bad rows
(bad CPF, bad phone, duplicates, do-not-call hits). Goal: under 60 s and under 300 MB.

    python bench/list_upload.py [--rows 1000000] [--pg postgresql+asyncpg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog

from atende.db import make_engine, upgrade
from campaigns.app.upload_list import UploadRequest, upload_list
from campaigns.files.source import file_sha256, open_rows
from campaigns.port import UploadCounts
from campaigns.sql.store import SqlListStore
from erp_bridge.domain.taxid import cpf_check_digits

DDDS = [11, 12, 19, 21, 27, 31, 41, 47, 51, 61, 62, 65, 67, 68, 71, 81, 85, 91, 92, 98]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write the CSV (cp1252, ';'), with a few bad rows of every kind."""
    rng = random.Random(seed)
    with path.open("w", encoding="cp1252", newline="") as out:
        out.write("Nome;Telefone;Celular;CPF;Cidade;Plano\r\n")
        for i in range(rows):
            ddd = DDDS[i % len(DDDS)]
            base = f"{(i * 7919) % 999_999_999 + 1:09d}"
            cpf = base + cpf_check_digits(base)
            mobile = f"({ddd}) 9{rng.randrange(6000, 10000):04d}-{i % 10000:04d}"
            landline = f"{ddd} 3{i % 1000:03d}-{rng.randrange(10000):04d}" if i % 3 == 0 else ""
            kind = i % 97
            if kind == 1:
                cpf = cpf[:-1] + str((int(cpf[-1]) + 1) % 10)
            elif kind == 2:
                mobile = "123"
            elif kind == 3 and i > 10:
                cpf = f"{((i - 7) * 7919) % 999_999_999 + 1:09d}"
                cpf += cpf_check_digits(cpf)
            out.write(f"Cliente São João {i};{mobile};{landline};{cpf};Recife;Ouro\r\n")


async def run(url: str, rows: int, folder: Path) -> None:
    path = folder / "lista.csv"
    t0 = time.perf_counter()
    generate(path, rows)
    print(f"generated {rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    store = SqlListStore(engine)
    now = datetime.now(UTC)
    await store.add_do_not_call(
        [f"+55119{n:04d}0000" for n in range(6000, 10000, 50)], "bench", now
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    last = [0.0]

    def progress(counts: UploadCounts) -> None:
        if time.perf_counter() - last[0] > 10:
            last[0] = time.perf_counter()
            print(f"  {counts.rows_read:,} rows read", flush=True)

    load_before = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    request = UploadRequest("bench", path.name, file_sha256(path), "bench")
    result = await upload_list(
        store, open_rows(path), request, clock=lambda: datetime.now(UTC), progress=progress
    )
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    await engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    c = result.upload.counts
    print(f"{url.split(':')[0]}: {c.rows_read:,} rows in {elapsed:.1f} s = "
          f"{c.rows_read / elapsed:,.0f} rows/s; {c.leads_added:,} leads, "
          f"{c.rows_rejected:,} rejected rows, {c.problems:,} problems")  # fmt: skip
    print(f"  CPU of this process: {cpu:.1f} s (wall time counts a busy machine; this does "
          f"not; the database server's own CPU is apart)")  # fmt: skip
    print(f"  load average of the machine (1 min): {load_before:.1f} at the start, "
          f"{os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} CPUs)")  # fmt: skip
    print(f"  peak memory (max RSS of the process): {peak:.0f} MB "
          f"(before the upload: {rss_before:.0f} MB)")  # fmt: skip
    print(f"  goal: under 60 s ({'met' if elapsed < 60 else 'NOT met'}), "
          f"under 300 MB ({'met' if peak < 300 else 'NOT met'})")  # fmt: skip
    print("  reasons:", dict(sorted(result.upload.reasons.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", default=None, help="PostgreSQL admin URL (a scratch db is made)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    with tempfile.TemporaryDirectory() as tmp:
        if args.pg is None:
            asyncio.run(run(f"sqlite+aiosqlite:///{tmp}/bench.db", args.rows, Path(tmp)))
            return
        import asyncpg  # type: ignore[import-untyped]

        name = f"atende_bench_{uuid.uuid4().hex[:8]}"
        dsn = args.pg.replace("postgresql+asyncpg://", "postgresql://")

        async def admin(sql: str) -> None:
            conn = await asyncpg.connect(dsn)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        try:
            asyncio.run(run(f"{args.pg.rsplit('/', 1)[0]}/{name}", args.rows, Path(tmp)))
        finally:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
