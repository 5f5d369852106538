"""Two engine processes, one Redis, one twin: an agent is never given two calls at once."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import defaultdict
from pathlib import Path

import aiohttp

from acd.domain import QueueLogRecord
from acd.live.sql import AcdConfigStore
from atende.db import make_engine
from telephony.twin import Twin
from tests.conftest import migrated_sqlite
from tests.integration.acd_process import (
    engine_env,
    engine_process,
    free_port,
    supervisor_token,
    terminate,
    wait_live,
)
from tests.integration.acd_stack import four_queues, product_twin, seed_acd
from tests.integration.conftest import eventually

AGENTS = {
    "2001": {"sales": 3},
    "2002": {"sales": 2, "support": 2},
    "2003": {"support": 3},
    "2004": {"sales": 1, "support": 1},
}


class RoundRobinAgi:
    """FastAGI load balancer: each new session goes to the next engine (as ``hagi://``)."""

    def __init__(self, backends: list[int]) -> None:
        self._next = itertools.cycle(backends)
        self._tasks: set[asyncio.Task[None]] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", next(self._next))
        pipes = [
            asyncio.create_task(self._pipe(reader, up_writer)),
            asyncio.create_task(self._pipe(up_reader, writer)),
        ]
        self._tasks.update(pipes)
        try:
            await asyncio.gather(*pipes)
        finally:
            self._tasks.difference_update(pipes)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _agent_legs(twin: Twin) -> dict[str, int]:
    """Live agent phone legs (``Local/<ext>@agents-...;1``) per extension."""
    legs: dict[str, int] = defaultdict(int)
    for ch in twin.pbx.channels.values():
        if ch.name.startswith("Local/") and "@agents-" in ch.name and ch.name.endswith(";1"):
            legs[ch.name[6:].split("@", 1)[0]] += 1
    return legs


def _overlaps(records: list[QueueLogRecord]) -> list[str]:
    """Agents whose connected calls overlap in the queue log (CONNECT .. COMPLETE*)."""
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    start: dict[str, tuple[str, float]] = {}
    for r in sorted(records, key=lambda r: r.time):
        if r.event == "CONNECT":
            start[r.call_id] = (r.agent, r.time)
        elif r.event in ("COMPLETEAGENT", "COMPLETECALLER") and r.call_id in start:
            agent, began = start.pop(r.call_id)
            spans[agent].append((began, r.time))
    bad = []
    for agent, items in spans.items():
        items.sort()
        if any(b[0] < a[1] for a, b in itertools.pairwise(items)):
            bad.append(agent)
    return bad


async def test_two_engines_never_give_one_agent_two_calls(
    tmp_path: Path, redis_prefix: str
) -> None:
    """40 callers shared by two engines (round-robin FastAGI) on one Redis: at every twin event
    each agent has at most one phone leg, the queue logs show no overlapping calls, every caller
    is served or abandons."""
    urls = [migrated_sqlite(tmp_path / f"engine{n}.db") for n in (1, 2)]
    for url in urls:
        await seed_acd(url, four_queues(), AGENTS)
    token = await supervisor_token(urls[0])
    twin = product_twin(0.05)
    port = await twin.start()
    agi_ports = [free_port(), free_port()]
    http_ports = [free_port(), free_port()]
    proxy = RoundRobinAgi(agi_ports)
    twin.pbx.agi_address = ("127.0.0.1", await proxy.start())
    for ext in AGENTS:
        twin.set_agent_phone(f"Local/{ext}@agents", answer=True, delay=1, talk_time=20)
    twin.set_agent_phone("Local/2004@agents", answer=False)  # never answers: re-offers
    worst: dict[str, int] = defaultdict(int)

    def watch(_message: object) -> None:
        for ext, legs in _agent_legs(twin).items():
            worst[ext] = max(worst[ext], legs)

    twin.pbx.listeners.append(watch)
    log = tmp_path / "engines.log"
    procs = []
    http = aiohttp.ClientSession()
    try:
        for n in range(2):
            env = engine_env(urls[n], port, agi_ports[n], http_ports[n], redis_prefix)
            env["ATENDE_ACD_ENGINE_ID"] = f"engine{n + 1}"
            procs.append(await engine_process(env, log))
        await wait_live(http, f"http://127.0.0.1:{http_ports[0]}", token, lambda x: x["agents"])
        token2 = await supervisor_token(urls[1])
        await wait_live(http, f"http://127.0.0.1:{http_ports[1]}", token2, lambda x: x["agents"])
        for n in range(40):
            did = "1133330001" if n % 2 else "1133330002"
            await twin.place_inbound_call(did, f"55119000{n:05d}", "Caller", patience=400)
            await asyncio.sleep(0.05)

        def all_done() -> bool:
            return sum(s.answered_by_agent + s.abandoned for s in twin.stats.values()) == 40

        await eventually(all_done, timeout=60)
        assert max(worst.values()) == 1, dict(worst)
        assert sum(s.answered_by_agent for s in twin.stats.values()) >= 30
    finally:
        await http.close()
        for proc in procs:
            await terminate(proc)
        await proxy.stop()
        await twin.stop()
    records: list[QueueLogRecord] = []
    for url in urls:
        db = make_engine(url)
        records += await AcdConfigStore(db).queue_log()
        await db.dispose()
    connects = [r for r in records if r.event == "CONNECT"]
    assert len(connects) == sum(s.answered_by_agent for s in twin.stats.values())
    assert "2004" not in {r.agent for r in connects}
    assert _overlaps(records) == []
