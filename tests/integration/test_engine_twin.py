"""The engine against the Asterisk twin over real AMI and FastAGI: calls, faults, resync."""

from __future__ import annotations

from pathlib import Path

from atende.wiring import Engine, run_engine
from telephony.twin import AmiUser, Twin, TwinConfig
from tests.conftest import migrated_sqlite
from tests.integration.conftest import Stack, engine_settings, eventually


def _engine_table(stack: Stack) -> set[tuple[str, str, str]]:
    return {
        (ch.name, ch.uniqueid, ch.state_desc) for ch in stack.engine.link.tracker.channels("pbx1")
    }


def _twin_table(stack: Stack) -> set[tuple[str, str, str]]:
    return {(ch.name, ch.uniqueid, ch.state) for ch in stack.twin.channels()}


def _row(stack: Stack, caller: str) -> dict[str, object] | None:
    for row in stack.engine.link.live_calls_view():
        if row["caller"] == caller:
            return row
    return None


async def test_inbound_caller_goes_through_ivr_to_hold(stack: Stack) -> None:
    """A caller dials a DID: the engine's IVR picks the queue and the call shows on hold."""
    ivr = await stack.twin.place_inbound_call("1133330001", "5511999990001", "Maria Souza")
    assert ivr is not None

    def on_hold() -> bool:
        row = _row(stack, "5511999990001")
        return row is not None and row["state"] == "on_hold"

    await eventually(on_hold)
    answer = await stack.engine.link.send_action(
        "pbx1", {"Action": "Getvar", "Channel": ivr.name, "Variable": "ROUTE"}
    )
    assert answer.response["Value"] == "queue:vendas"
    assert _engine_table(stack) == _twin_table(stack)


async def test_reconnect_and_resync_after_ami_drop(stack: Stack) -> None:
    """The twin closes AMI mid-call; calls change meanwhile; the engine ends equal to the twin."""
    twin = stack.twin
    await twin.place_inbound_call("1133330001", "5511999990001", "Maria Souza")
    second = await twin.place_inbound_call("1133330001", "5511999990002", "Joao Lima")
    assert second is not None
    await eventually(
        lambda: _engine_table(stack) == _twin_table(stack) and len(_twin_table(stack)) == 4
    )

    twin.drop_ami_connections()
    # while the link is down: one caller hangs up, a new one arrives
    assert twin.hangup(second.name)
    await twin.place_inbound_call("1133330001", "5511999990003", "Rita Alves")
    await eventually(lambda: len(twin.channels()) == 4)

    await eventually(lambda: _engine_table(stack) == _twin_table(stack), timeout=15)
    assert (
        _row(stack, "5511999990002") is None or _row(stack, "5511999990002")["state"] == "hung_up"
    )
    assert _row(stack, "5511999990003") is not None


async def test_wrong_secret_stops_the_engine_with_a_clear_error(tmp_path: Path) -> None:
    """A wrong AMI secret ends ``atende serve`` with exit code 3 instead of retrying forever."""
    twin = Twin(
        TwinConfig(ami_port=0, users={"atende": AmiUser("right")}, login_failure_delay=0.05)
    )
    port = await twin.start()
    try:
        settings = engine_settings(port, migrated_sqlite(tmp_path / "e.db"), "wrong")
        assert await run_engine(settings) == 3
    finally:
        await twin.stop()


async def test_engine_start_does_not_need_asterisk_up(tmp_path: Path) -> None:
    """With Asterisk down the engine starts and connects once it comes up."""
    twin = Twin(TwinConfig(ami_port=0, users={"atende": AmiUser("atende")}))
    port = await twin.start()
    await twin.stop()
    engine = Engine(engine_settings(port, migrated_sqlite(tmp_path / "e.db")))
    await engine.start()
    try:
        assert not engine.link.synced("pbx1")
        twin = Twin(TwinConfig(ami_port=port, users={"atende": AmiUser("atende")}))
        await twin.start()
        try:
            await engine.link.wait_synced(timeout=10)
        finally:
            await twin.stop()
    finally:
        await engine.stop()


async def test_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    """When the HTTP port is taken (another engine running), ``atende serve`` exits with 2."""
    import socket

    twin = Twin(TwinConfig(ami_port=0, users={"atende": AmiUser("atende")}))
    port = await twin.start()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = engine_settings(port, migrated_sqlite(tmp_path / "e.db"))
        settings = settings.model_copy(update={"http_port": taken.getsockname()[1]})
        try:
            assert await run_engine(settings) == 2
        finally:
            await twin.stop()
