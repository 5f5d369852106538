"""AMI event filters as Asterisk 22 applies them: per session, before an event is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from telephony.twin import AmiUser, Twin, TwinConfig
from telephony.twin.ami import classes
from telephony.twin.manager_conf import (
    FilterError,
    excluded,
    make_filter,
    parse_filter,
    read_manager_conf,
)
from telephony.twin.wire import Message
from tests.twin.client import AmiClient, FastAgiServer

SHIPPED = Path(__file__).resolve().parents[2] / "asterisk-conf" / "manager.conf"


def varset(variable: str, value: str = "x") -> Message:
    return [
        ("Event", "VarSet"),
        ("Privilege", "dialplan,all"),
        ("Channel", "PJSIP/trunk-00000001"),
        ("Uniqueid", "1700000000.1"),
        ("Variable", variable),
        ("Value", value),
    ]


NEWCHANNEL: Message = [
    ("Event", "Newchannel"),
    ("Privilege", "call,all"),
    ("Channel", "PJSIP/trunk-00000001"),
    ("Uniqueid", "1700000000.1"),
]


def test_exclude_filters_alone_let_every_other_event_through() -> None:
    """Only exclusions: what one matches is dropped, everything else is written."""
    filters = (
        parse_filter("eventfilter(action(exclude),name(Newexten))", ""),
        parse_filter(
            "eventfilter(action(exclude),name(VarSet),header(Variable),method(regex))",
            "^(BRIDGEPEER|DIALSTATUS)$",
        ),
    )
    assert excluded(filters, [("Event", "Newexten"), ("Channel", "x")])
    assert excluded(filters, varset("BRIDGEPEER"))
    assert excluded(filters, varset("DIALSTATUS"))
    assert not excluded(filters, varset("ROUTE"))
    assert not excluded(filters, varset("DIALSTATUS2"))  # the regex is anchored by ^...$
    assert not excluded(filters, NEWCHANNEL)


def test_include_filters_keep_only_what_they_match_less_the_exclusions() -> None:
    """An include filter means 'nothing else'; an exclusion still removes from what it let in."""
    filters = (
        make_filter("eventfilter(action(include),name(VarSet))", ""),
        make_filter("eventfilter(action(exclude),header(Variable),method(starts_with))", "BRIDGE"),
    )
    assert not excluded(filters, varset("ROUTE"))
    assert excluded(filters, varset("BRIDGEPEER"))
    assert excluded(filters, NEWCHANNEL)
    assert not excluded((), NEWCHANNEL)


def test_header_is_the_start_of_a_line_case_sensitive_any_line_may_match() -> None:
    """``header(Variable)`` reads lines starting ``Variable:`` (not ``variable:`` nor
    ``VariableX:``); every such line is tried; an empty value never matches."""
    f = make_filter("eventfilter(action(exclude),header(Variable),method(exact))", "ROUTE=q")
    status: Message = [("Event", "Status"), ("Variable", "A=1"), ("Variable", "ROUTE=q")]
    assert f.matches(status)
    assert not f.matches([("Event", "Status"), ("variable", "ROUTE=q")])
    assert not f.matches([("Event", "Status"), ("VariableX", "ROUTE=q")])
    anything = make_filter("eventfilter(action(exclude),header(Value))", "")
    assert anything.matches(varset("X", "1"))
    assert not anything.matches(varset("X", ""))


def test_methods_compare_as_asterisk_does() -> None:
    """starts_with, ends_with, contains, exact and a regex searched anywhere in the value."""

    def hits(method: str, pattern: str) -> bool:
        criteria = f"eventfilter(name(VarSet),header(Variable),method({method}))"
        return make_filter(criteria, pattern).matches(varset("ATENDE_CONNECT_RESULT"))

    assert hits("starts_with", "ATENDE_") and not hits("starts_with", "CONNECT")
    assert hits("ends_with", "_RESULT") and not hits("ends_with", "ATENDE")
    assert hits("contains", "CONNECT") and not hits("contains", "HOLD")
    assert hits("exact", "ATENDE_CONNECT_RESULT") and not hits("exact", "ATENDE")
    assert hits("regex", "CONNECT") and not hits("regex", "^CONNECT")


def test_without_header_the_pattern_reads_the_whole_event() -> None:
    """A legacy filter (``eventfilter = !regex``) and an advanced one with no header match the
    event as written on the socket, every line of it."""
    legacy = parse_filter("eventfilter", "!Variable: BRIDGEPEER")
    assert legacy.action == "exclude"
    assert excluded((legacy,), varset("BRIDGEPEER"))
    assert not excluded((legacy,), varset("ROUTE"))
    advanced = make_filter("eventfilter(action(include),method(contains))", "Value: yes")
    assert not excluded((advanced,), varset("AMD", "yes"))
    assert excluded((advanced,), NEWCHANNEL)


@pytest.mark.parametrize(
    ("criteria", "pattern", "kind"),
    [
        ("eventfilter(action(exclude),name(VarSet))", "ROUTE", "format"),  # none + pattern
        ("eventfilter(name(VarSet),method(regex))", "", "format"),  # regex, no pattern
        ("eventfilter(action(drop),name(VarSet))", "", "format"),
        ("eventfilter(colour(red))", "", "format"),
        ("eventfilter(action(exclude))", "", "format"),  # nothing to match on
        ("eventfilter", "", "format"),  # legacy with no pattern
        ("eventfilter(header(Variable),method(regex))", "(", "compile"),
    ],
)
def test_filters_asterisk_refuses(criteria: str, pattern: str, kind: str) -> None:
    """The filters Asterisk's manager_add_filter refuses, with the same kind of error."""
    with pytest.raises(FilterError) as refused:
        make_filter(criteria, pattern)
    assert refused.value.kind == kind


def test_the_shipped_engine_user_drops_noise_and_keeps_what_the_engine_reads() -> None:
    """``asterisk-conf/manager.conf``'s atende user: the variables the engine reads, channels
    and dials get through; dial bookkeeping, caller id updates and Newexten do not."""
    filters = read_manager_conf(SHIPPED)["atende"].filters
    for kept in ("ROUTE", "AMDSTATUS", "AMDCAUSE", "AMD_RESULT", "ATENDE_SPY", "CAMPAIGN_ID"):
        assert not excluded(filters, varset(kept)), kept
    assert not excluded(filters, varset("ATENDE_DIALER_RESULT"))
    assert not excluded(filters, varset("ATENDE_DIALER_MESSAGE"))
    assert not excluded(filters, NEWCHANNEL)
    for noise in ("BRIDGEPEER", "DIALEDPEERNUMBER", "__ATENDE_DID", "AGENT_INTERFACE", "RINGTIME"):
        assert excluded(filters, varset(noise)), noise
    for name in ("NewCallerid", "NewConnectedLine", "Newexten"):
        assert excluded(filters, [("Event", name), ("Channel", "PJSIP/a-1")]), name


async def test_filter_action_adds_to_one_session_only(agi_server: FastAgiServer) -> None:
    """``Action: Filter`` (write=system) filters the session that sent it; another session of
    the same user still gets everything; without system it is refused; a bad filter is
    answered with Asterisk's message."""
    assert agi_server.server is not None
    port = agi_server.server.sockets[0].getsockname()[1]
    twin = Twin(
        TwinConfig(
            users={"admin": AmiUser("s1"), "engine": AmiUser("s2", write=classes("call"))},
            agi_address=("127.0.0.1", port),
            time_scale=0.02,
        )
    )
    await twin.start()
    filtered, plain, engine = AmiClient(), AmiClient(), AmiClient()
    try:
        for client, user, secret in ((filtered, "admin", "s1"), (plain, "admin", "s1")):
            await client.connect(twin.port)
            assert (await client.login(user, secret))["Response"] == "Success"
        await engine.connect(twin.port)
        assert (await engine.login("engine", "s2"))["Response"] == "Success"
        added = await filtered.action(
            Action="Filter", Operation="Add", MatchCriteria="action(exclude),name(Newexten)"
        )
        assert (added["Response"], added["Message"]) == ("Success", "Success")
        legacy = await filtered.action(Action="Filter", Operation="Add", Filter="!Variable: ROUTE")
        assert legacy["Response"] == "Success"
        bad = await filtered.action(
            Action="Filter", Operation="Add", MatchCriteria="name(VarSet),method(regex)"
        )
        assert bad["Message"] == (
            "Filter was formatted incorrectly.  Check the syntax of the filter given."
        )
        unknown = await filtered.action(Action="Filter", Operation="Remove", Filter="x")
        assert unknown["Message"] == "Unknown operation"
        denied = await engine.action(Action="Filter", Operation="Add", Filter="!Event: VarSet")
        assert denied["Message"] == "Permission denied"

        await twin.place_inbound_call("1133330001", "5511999990001")
        await plain.wait_for(lambda m: m.get("Event") == "MusicOnHoldStart")
        await filtered.wait_for(lambda m: m.get("Event") == "MusicOnHoldStart")
        await filtered.action(Action="Ping")  # every event before it was written

        def routes(client: AmiClient) -> int:
            return sum(1 for m in client.events("VarSet") if m.get("Variable") == "ROUTE")

        assert plain.events("Newexten") and routes(plain) > 0
        assert not filtered.events("Newexten") and routes(filtered) == 0
        assert filtered.events("Newchannel") and filtered.events("VarSet")
    finally:
        for client in (filtered, plain, engine):
            await client.close()
        await twin.stop()
