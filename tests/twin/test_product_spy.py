"""The product's [spy] (asterisk-conf/extensions.conf) on the twin over AMI, with the lab's
phones of the product_spy_* recordings: ChanSpy on the agent leg the engine names, modes
switched by the keys 4/5/6 (``d``, sent with PlayDTMF ``Receive``), and no endless wait
when nothing matches (``S``) or no target is given, unlike product_spy_idle_agent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from telephony.twin import AmiUser, Twin, TwinConfig
from telephony.twin.manager_conf import read_manager_conf
from telephony.twin.twin import ASTERISK_CONF, LAB_DIALPLAN
from tests.conftest import TRACES
from tests.twin.client import AmiClient, eventually

SCALE = 0.05


@pytest.fixture
async def lab() -> AsyncIterator[tuple[Twin, AmiClient]]:
    """The product dialplan with the lab's phones, and the engine's AMI user over TCP."""
    user = read_manager_conf(ASTERISK_CONF.parent / "manager.conf")["atende"]
    twin = Twin(
        TwinConfig(
            users={"atende": AmiUser.from_manager(user, "secret")},
            dialplans=[LAB_DIALPLAN, ASTERISK_CONF, TRACES / "lab-product-extensions.conf"],
            time_scale=SCALE,
        )
    )
    await twin.start()
    ami = AmiClient()
    await ami.connect(twin.port)
    assert (await ami.login("atende", "secret"))["Response"] == "Success"
    yield twin, ami
    await ami.close()
    await twin.stop()


async def _agent_call(twin: Twin, ami: AmiClient) -> str:
    """A caller [connect]ed to agent 2005 (lab-agents-slow: talks 15 s); the agent's bridged
    leg."""
    answer = await ami.action(
        Action="Originate",
        Channel="Local/2005@connect",
        Context="lab-caller",
        Exten="120",
        Priority="1",
        Variable="AGENT_INTERFACE=Local/2005@lab-agents-slow",
        Async="true",
    )
    assert answer["Response"] == "Success"
    await eventually(lambda: len(ami.events("BridgeEnter")) == 2, within=10)
    return next(
        c.name for c in twin.channels() if c.name.startswith("Local/2005@lab-") and c.bridge
    )


def _spy(ami: AmiClient, exten: str, variables: str) -> None:
    ami.send(
        Action="Originate",
        Channel="Local/2999@lab-supervisor",
        Context="spy",
        Exten=exten,
        Priority="1",
        Timeout="30000",
        Variable=variables,
        Async="true",
        ActionID="spy-1",
    )


async def test_listen_then_whisper_barge_and_back_with_keys(lab: tuple[Twin, AmiClient]) -> None:
    """The supervisor spies on the named leg (ChanSpyStart names both); the keys 5, 6 and 4
    his channel receives switch to whisper, barge and listen; when the agent hangs up,
    ChanSpyStop and the supervisor's hang-up follow (cause 16)."""
    twin, ami = lab
    target = await _agent_call(twin, ami)
    _spy(ami, "2005", f"SPY_MODE=listen,SPY_TARGET={target},ATENDE_SPY=abc")
    start = await ami.wait_for(lambda m: m.get("Event") == "ChanSpyStart", within=10)
    assert start["SpyeeChannel"] == target
    spyer = start["SpyerChannel"]
    assert spyer.startswith("Local/2999@lab-supervisor-") and spyer.endswith(";1")
    assert [(s.spyee, s.mode) for s in twin.spies()] == [(target, "listen")]
    for digit, mode in (("5", "whisper"), ("6", "barge"), ("4", "listen")):
        answer = await ami.action(Action="PlayDTMF", Channel=spyer, Digit=digit, Receive="true")
        assert answer["Message"] == "DTMF successfully queued"
        await eventually(lambda mode=mode: [s.mode for s in twin.spies()] == [mode])
    await ami.wait_for(lambda m: m.get("Event") == "ChanSpyStop", within=30)
    gone = await ami.wait_for(
        lambda m: m.get("Event") == "Hangup" and m.get("Channel") == spyer, within=10
    )
    assert (gone["Cause"], gone["Context"]) == ("16", "spy")
    assert {m["Variable"] for m in ami.events("VarSet") if m["Channel"] == spyer} >= {
        "SPY_MODE",
        "SPY_TARGET",
        "ATENDE_SPY",
        "SPY_OPTIONS",
    }


async def test_whisper_and_barge_start_in_their_mode(lab: tuple[Twin, AmiClient]) -> None:
    """SPY_MODE=whisper starts ChanSpy with w, barge with B."""
    twin, ami = lab
    target = await _agent_call(twin, ami)
    _spy(ami, "2005", f"SPY_MODE=barge,SPY_TARGET={target}")
    await ami.wait_for(lambda m: m.get("Event") == "ChanSpyStart", within=10)
    assert [s.mode for s in twin.spies()] == ["barge"]
    options = [m["Value"] for m in ami.events("VarSet") if m["Variable"] == "SPY_OPTIONS"]
    assert options[-1] == "qESdB"


async def test_a_target_that_is_gone_ends_the_spy_at_once(lab: tuple[Twin, AmiClient]) -> None:
    """A leg that no longer exists: ChanSpy gives up after its first scan (S) and the
    supervisor's phone is hung up from [spy] (cause 16), not left waiting as in
    product_spy_idle_agent."""
    _, ami = lab
    _spy(ami, "2006", "SPY_MODE=listen,SPY_TARGET=Local/2006@lab-agents-slow-000000ff;1")
    gone = await ami.wait_for(
        lambda m: m.get("Event") == "Hangup" and m.get("Context") == "spy", within=10
    )
    assert (gone["Cause"], gone["Priority"]) == ("16", "7")
    assert ami.events("ChanSpyStart") == []


async def test_no_target_hangs_up_with_a_reason(lab: tuple[Twin, AmiClient]) -> None:
    """Without SPY_TARGET [spy] never runs ChanSpy: SPY_RESULT=NOTARGET, then hang-up."""
    _, ami = lab
    _spy(ami, "2006", "SPY_MODE=listen")
    gone = await ami.wait_for(
        lambda m: m.get("Event") == "Hangup" and m.get("Context") == "spy", within=10
    )
    results = [m["Value"] for m in ami.events("VarSet") if m["Variable"] == "SPY_RESULT"]
    assert results == ["NOTARGET"] and gone["Cause"] == "16"
    assert ami.events("ChanSpyStart") == []


async def test_the_hash_key_ends_the_spy_and_the_call_goes_on(lab: tuple[Twin, AmiClient]) -> None:
    """# received while spying (x(#)) ends ChanSpy at once: ChanSpyStop, then [spy] hangs the
    supervisor up (cause 16); the agent's call stays bridged."""
    twin, ami = lab
    target = await _agent_call(twin, ami)
    _spy(ami, "2005", f"SPY_MODE=listen,SPY_TARGET={target}")
    start = await ami.wait_for(lambda m: m.get("Event") == "ChanSpyStart", within=10)
    spyer = start["SpyerChannel"]
    await ami.action(Action="PlayDTMF", Channel=spyer, Digit="#", Receive="true")
    await ami.wait_for(lambda m: m.get("Event") == "ChanSpyStop", within=5)
    gone = await ami.wait_for(
        lambda m: m.get("Event") == "Hangup" and m.get("Channel") == spyer, within=5
    )
    assert (gone["Cause"], gone["Priority"]) == ("16", "7")
    assert twin.spies() == []
    assert any(c.name == target and c.bridge for c in twin.channels())
