"""extensions.conf, read with pyst2: the product's call flow is what the dialplan does."""

from __future__ import annotations

import re
from typing import Any

CONTEXTS = {
    "inbound",
    "inbound-hold",
    "connect",
    "connect-result",
    "agents",
    "outbound",
    "dialer",
    "dialer-hold",
    "dialer-connect",
    "dialer-machine",
    "dialer-abandon",
    "spy",
}


def _globals(extensions: Any) -> dict[str, str]:
    return dict(extensions.one("globals").items)


def _follow(dialplan: Any, context: str, exten: str, limit: int = 40) -> list[tuple[str, str]]:
    """(App, args) in the order a call runs them, following unconditional Goto jumps."""
    steps: list[tuple[str, str]] = []
    seen = set()
    while (context, exten) not in seen and len(steps) < limit:
        seen.add((context, exten))
        jumped = False
        for step in dialplan[context][exten]:
            steps.append((step.app, step.args))
            if step.app == "Goto":
                parts = step.args.split(",")
                if len(parts) == 3:
                    context, exten = parts[0], parts[1]
                    jumped = True
                    break
        if not jumped:
            break
    return steps


def test_contexts_of_the_product_exist(dialplan: Any) -> None:
    """Every context the engine Redirects or Originates into is defined."""
    assert CONTEXTS <= set(dialplan)


def test_inbound_runs_the_ivr_on_the_engine_then_holds(dialplan: Any, extensions: Any) -> None:
    """A DID is answered, runs AGI(agi://ENGINE:4573/inbound), then waits on music on hold."""
    apps = _follow(dialplan, "inbound", "_X.")
    names = [app for app, _ in apps]
    assert names.index("Answer") < names.index("AGI") < names.index("MusicOnHold")
    agi_args = dict(apps)["AGI"]
    assert agi_args == "agi://${ATENDE_ENGINE}/inbound"
    host, port = _globals(extensions)["ATENDE_ENGINE"].rsplit(":", 1)
    assert host and int(port) == 4573
    assert dict(apps)["MusicOnHold"].split(",")[0] == "default"


def test_engine_down_still_leaves_a_route(dialplan: Any, extensions: Any) -> None:
    """Only when the IVR set no ROUTE (not whenever AGISTATUS is FAILURE: a missing sound
    file fails the AGI run too) the default queue is written, marked as a fallback, and the
    DID stays on the channel for the engine to choose by."""
    apps = _follow(dialplan, "inbound", "_X.")
    assert not any("AGISTATUS" in args for app, args in apps if app != "NoOp")
    fallback = [args for app, args in apps if app == "ExecIf" and "ROUTE" in args]
    assert fallback == [
        '$["${ROUTE}" = ""]?Set(ATENDE_ROUTE_FROM=fallback):Set(ATENDE_ROUTE_FROM=ivr)',
        '$["${ROUTE}" = ""]?Set(ROUTE=queue:${DEFAULT_QUEUE})',
    ]
    names = [app for app, _ in apps]
    assert ("Set", "__ATENDE_DID=${EXTEN}") in apps
    assert names.index("Set") < names.index("AGI")
    assert _globals(extensions)["DEFAULT_QUEUE"] == "vendas"


def test_connect_dials_the_agent_with_a_ring_timeout(dialplan: Any, extensions: Any) -> None:
    """[connect] takes the engine's AGENT_INTERFACE and RING_TIMEOUT for this offer only
    (copied, then cleared before dialing), dials with Dial's ``g`` (so the dialplan goes on
    after an answered call), and without an interface rings nobody: back on hold with
    ATENDE_CONNECT_RESULT=NOINTERFACE."""
    steps = dialplan["connect"]["_X."]
    (dial,) = [s for s in steps if s.app == "Dial"]
    interface, timeout, options = dial.args.split(",")
    assert (interface, timeout) == ("${ATENDE_DIAL_TO}", "${ATENDE_RING_FOR}")
    assert options == "${CONNECT_DIAL_OPTIONS}gt"  # t: the agent may transfer (Atxfer)
    before = [(s.app, s.args) for s in steps if s.priority < dial.priority]
    names = [args for _, args in before]
    copied = names.index("ATENDE_DIAL_TO=${AGENT_INTERFACE}")
    assert names.index("ATENDE_RING_FOR=${RING_TIMEOUT}") < names.index("RING_TIMEOUT=")
    assert copied < names.index("AGENT_INTERFACE=")
    assert ("GotoIf", '$["${ATENDE_DIAL_TO}" = ""]?nointerface') in before
    assert (
        "ExecIf",
        '$["${ATENDE_RING_FOR}" = ""]?Set(ATENDE_RING_FOR=${DEFAULT_RING_TIMEOUT})',
    ) in before
    labelled = next(s for s in steps if s.label == "nointerface")
    assert (labelled.app, labelled.args) == ("Set", "ATENDE_CONNECT_RESULT=NOINTERFACE")
    assert (steps[-1].app, steps[-1].args) == ("Goto", "inbound-hold,s,1")
    assert int(_globals(extensions)["DEFAULT_RING_TIMEOUT"]) > 0


def test_hold_forgets_the_last_offer_and_only_times_out_at_hold_max(dialplan: Any) -> None:
    """[inbound-hold] clears ATENDE_AGENT before the music (a requeued caller names no
    agent), and sets ATENDE_HOLD_RESULT=TIMEOUT only when HOLD_MAX has passed since the
    hold began."""
    apps = [(s.app, s.args) for s in dialplan["inbound-hold"]["s"]]
    moh = [app for app, _ in apps].index("MusicOnHold")
    before, after = apps[:moh], apps[moh + 1 :]
    assert ("Set", "ATENDE_AGENT=") in before
    # the engine's Setvar may land while the caller walks here: hold must not clear it
    assert not any("AGENT_INTERFACE" in args or "RING_TIMEOUT" in args for _, args in before)
    assert ("Set", "ATENDE_HOLD_UNTIL=$[${EPOCH} + ${HOLD_MAX}]") in before
    assert after[0] == (
        "ExecIf",
        "$[${EPOCH} >= ${ATENDE_HOLD_UNTIL}]?Set(ATENDE_HOLD_RESULT=TIMEOUT)",
    )
    assert not any(args == "ATENDE_HOLD_RESULT=TIMEOUT" for app, args in apps if app == "Set")


def test_agent_not_answering_sends_the_caller_back_to_hold(dialplan: Any) -> None:
    """After Dial the engine's variable holds DIALSTATUS; each failure returns to hold."""
    steps = dialplan["connect"]["_X."]
    dial_at = next(s.priority for s in steps if s.app == "Dial")
    after = [(s.app, s.args) for s in steps if s.priority > dial_at and not s.label]
    assert after[0] == ("Set", "ATENDE_CONNECT_RESULT=${DIALSTATUS}")
    assert ("Goto", "connect-result,${DIALSTATUS},1") in after
    for status in ("NOANSWER", "BUSY", "CHANUNAVAIL", "CONGESTION"):
        apps = _follow(dialplan, "connect-result", status)
        assert apps[0] == ("Goto", "inbound-hold,s,1"), status
        assert any(app == "MusicOnHold" for app, _ in apps), status
    assert "i" in dialplan["connect-result"]  # unknown status: back on hold too


def test_dialer_runs_amd_and_reports_it(dialplan: Any) -> None:
    """Answered dialer calls run AMD(); AMD_RESULT carries AMDSTATUS; people hold, and a
    silent answer (INITIALSILENCE) holds as a person unless the site says otherwise."""
    steps = dialplan["dialer"]["s"]
    apps = [(s.app, s.args) for s in steps]
    names = [a for a, _ in apps]
    assert names.index("AMD") < names.index("Set")
    assert ("Set", "AMD_RESULT=${AMDSTATUS}") in apps
    assert ("GotoIf", '$["${AMDSTATUS}" != "MACHINE"]?dialer-hold,s,1') in apps
    silent = [a for n, a in apps if n == "GotoIf" and "INITIALSILENCE" in a]
    assert silent and silent[0].endswith("?dialer-hold,s,1")
    assert "DIALER_SILENCE_IS_PERSON" in silent[0]
    assert apps[-1] == ("Goto", "dialer-machine,s,1")
    hold = _follow(dialplan, "dialer-hold", "s")
    assert ("MusicOnHold", "default,${DIALER_HOLD_MAX}") in hold
    assert ("Playback", "atende-abandon-message,noanswer") in hold  # the engine never came


def test_dialer_messages_are_never_silent(dialplan: Any, extensions: Any) -> None:
    """The machine and safe-harbour recordings report their PLAYBACKSTATUS and a missing one
    is followed by the core fallback sound (a person never hears silence)."""
    for context, recording in (
        ("dialer-abandon", "atende-abandon-message"),
        ("dialer-machine", "atende-machine-message"),
    ):
        apps = [(s.app, s.args) for s in dialplan[context]["s"]]
        played = apps.index(("Playback", f"{recording},noanswer"))
        assert apps[played + 1] == ("Set", "ATENDE_DIALER_MESSAGE=${PLAYBACKSTATUS}")
        assert apps[played + 2] == ("GotoIf", '$["${PLAYBACKSTATUS}" = "SUCCESS"]?done')
        assert apps[played + 3] == ("Playback", "${DIALER_FALLBACK},noanswer")
        assert any(a.startswith("ATENDE_DIALER_RESULT=") for n, a in apps[:played] if n == "Set")
    assert _globals(extensions)["DIALER_FALLBACK"] == "vm-goodbye"


def test_dialer_person_whose_agent_misses_goes_back_to_the_dialer_hold(dialplan: Any) -> None:
    """[dialer-connect] rings the agent like [connect], but every miss returns to
    [dialer-hold], never to the inbound hold."""
    steps = dialplan["dialer-connect"]["_X."]
    apps = [(s.app, s.args) for s in steps]
    assert ("Dial", "${ATENDE_DIAL_TO},${ATENDE_RING_FOR},${CONNECT_DIAL_OPTIONS}g") in apps
    gotos = [a for n, a in apps if n == "Goto"]
    assert gotos and all(g == "dialer-hold,s,1" for g in gotos)
    assert not any("inbound-hold" in a for _, a in apps)


def test_outbound_dials_through_the_trunk(dialplan: Any, conf: Any) -> None:
    """An agent's own call goes out through the PJSIP trunk with a ring timeout."""
    (dial,) = [s for s in dialplan["outbound"]["_X."] if s.app == "Dial"]
    assert dial.args == "PJSIP/${EXTEN}@${TRUNK},${OUTBOUND_RING_TIMEOUT},g"
    pjsip = conf("pjsip.conf")
    trunk_name = dict(conf("extensions.conf").one("globals").items)["TRUNK"]
    assert pjsip.one(trunk_name, "endpoint").get("context") == "inbound"


def test_spy_listens_whispers_and_barges(dialplan: Any) -> None:
    """[spy] runs one ChanSpy on the agent leg the engine names: quiet (q), ended with the
    call (E), ended at once when nothing matches (S), modes switched by 4/5/6 (d); w to
    whisper, B to barge; without SPY_TARGET it hangs up rather than wait."""
    steps = dialplan["spy"]["_X."]
    (spy,) = [s for s in steps if s.app == "ChanSpy"]
    assert spy.args == "${SPY_TARGET},${SPY_OPTIONS}x(#)"  # '#' ends it (the engine's stop)
    options = {
        s.args.split("?")[0]: s.args.split("SPY_OPTIONS=")[1].rstrip(")")
        for s in steps
        if "SPY_OPTIONS=" in s.args
    }
    default = next(v for k, v in options.items() if k.startswith("SPY_OPTIONS="))
    assert set("qESd") <= set(default) and not set("wB") & set(default)
    whisper = next(v for k, v in options.items() if "whisper" in k)
    barge = next(v for k, v in options.items() if "barge" in k)
    assert set("qESdw") <= set(whisper) and "B" not in whisper
    assert set("qESdB") <= set(barge) and "w" not in barge
    (jump,) = [s.args for s in steps if s.app == "GotoIf"]
    assert jump == '$["${SPY_TARGET}" = ""]?notarget'
    assert "notarget" in {s.label for s in steps}


def test_every_jump_lands_somewhere(dialplan: Any) -> None:
    """Each Goto/GotoIf target (context, extension or label) exists: no call falls off."""
    for context, extens in dialplan.items():
        labels = {s.label for steps in extens.values() for s in steps if s.label}
        for steps in extens.values():
            for step in steps:
                if step.app == "Goto":
                    targets = [step.args]
                elif step.app == "GotoIf":
                    targets = re.split(r"[:]", step.args.split("?", 1)[1])
                else:
                    continue
                for target in targets:
                    parts = target.split(",")
                    if len(parts) == 1:
                        assert parts[0] in labels, f"[{context}] {step}"
                    elif len(parts) == 3:
                        assert parts[0] in dialplan, f"[{context}] {step}"
                        if "$" not in parts[1]:
                            assert parts[1] in dialplan[parts[0]], f"[{context}] {step}"


def test_agent_extensions_have_hints(hints: Any) -> None:
    """Agents' device state is published through a hint on their extensions."""
    assert hints["agents"]["_2XXX"] == "PJSIP/${EXTEN}"


def test_priorities_are_numbered_from_one(dialplan: Any) -> None:
    """Every extension starts at priority 1 and counts up without gaps."""
    for context, extens in dialplan.items():
        for exten, steps in extens.items():
            assert [s.priority for s in steps] == list(range(1, len(steps) + 1)), (context, exten)


ASTERISK_SETS = {
    "EXTEN",
    "DIALSTATUS",
    "AMDSTATUS",
    "AMDCAUSE",
    "AGISTATUS",
    "EPOCH",
    "PLAYBACKSTATUS",
}
ENGINE_SETS = {
    "CAMPAIGN_ID",
    "LEAD_ID",
    "CAMPAIGN_CALLERID",
    "CUSTOMER_ID",
    "DIALER_MACHINE",
    "SPY_MODE",
    "SPY_TARGET",
    "AGENT_INTERFACE",
    "ATENDE_EXIT_REASON",
    "ATENDE_CALLBACK",
}


def test_every_variable_read_is_set_somewhere(dialplan: Any, extensions: Any) -> None:
    """A ``${NAME}`` read in the dialplan is a global, set by the dialplan, by Asterisk, or
    by the engine (documented in the README): no typo leaves a Dial without its target."""
    defined = set(_globals(extensions)) | ASTERISK_SETS | ENGINE_SETS
    read: set[str] = set()
    for extens in dialplan.values():
        for steps in extens.values():
            for step in steps:
                for target in re.findall(r"Set\(_*(\w+)=", f"{step.app}({step.args})"):
                    defined.add(target)
                for name in re.findall(r"\$\{(\w+)(?![\w(])", step.args):
                    read.add(name)
    assert read - defined == set()
    readme = (extensions.path.parent / "README.md").read_text()
    for name in ENGINE_SETS:
        assert f"`{name}`" in readme, f"{name} is set by the engine but not documented"
