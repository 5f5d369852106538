"""The AMI actions the twin answers, worded as Asterisk 22 words them."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from telephony.twin import parking
from telephony.twin.ami import AmiSession, caller_id, hms
from telephony.twin.channel import Channel
from telephony.twin.manager_conf import FilterError, make_filter
from telephony.twin.pbx import OriginateRequest
from telephony.twin.transfer import attended_transfer, pass_digits
from telephony.twin.wire import Message, get, get_all


async def ping(session: AmiSession, m: Message) -> None:
    """Ping."""
    session.respond(m, True, ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}"))


async def corestatus(session: AmiSession, m: Message) -> None:
    """CoreStatus."""
    started = datetime.fromtimestamp(session.pbx.started, UTC)
    session.respond(
        m,
        True,
        ("CoreStartupDate", started.strftime("%Y-%m-%d")),
        ("CoreStartupTime", started.strftime("%H:%M:%S")),
        ("CoreReloadDate", started.strftime("%Y-%m-%d")),
        ("CoreReloadTime", started.strftime("%H:%M:%S")),
        ("CoreCurrentCalls", str(len({c.linkedid for c in session.pbx.channels.values()}))),
        ("CoreProcessedCalls", str(session.pbx.processed_calls)),
    )


async def getvar(session: AmiSession, m: Message) -> None:
    """Getvar (channel or global)."""
    name, chan = get(m, "Variable"), get(m, "Channel")
    ch = session.pbx.find(chan) if chan else None
    if chan and ch is None:
        session.error(m, "No such channel")
        return
    value = session.pbx.lookup(ch, name)
    session.respond(m, True, ("Variable", name), ("Value", value))


async def setvar(session: AmiSession, m: Message) -> None:
    """Setvar: the value is set now, its VarSet event follows the responses."""
    name, value, chan = get(m, "Variable"), get(m, "Value"), get(m, "Channel")
    if not name:
        session.error(m, "No variable specified")
        return
    if not chan:
        session.pbx.dialplan.globals[name] = value
        session.respond(m, True, ("Message", "Variable Set"))
        return
    ch = session.pbx.find(chan)
    if ch is None:
        session.error(m, "No such channel")
        return
    ch.store(name, value)
    session.respond(m, True, ("Message", "Variable Set"))
    asyncio.get_running_loop().call_soon(_varset_event, session, ch, name, value)


def _varset_event(session: AmiSession, ch: Channel, name: str, value: str) -> None:
    if ch.alive:
        session.pbx.emit(
            "VarSet", "dialplan,all", [*ch.block(), ("Variable", name), ("Value", value)]
        )


async def redirect(session: AmiSession, m: Message) -> None:
    """Redirect a channel to context/exten/priority."""
    chan = get(m, "Channel")
    ch = session.pbx.find(chan)
    if ch is None:
        session.error(m, f"Channel does not exist: {chan}")
        return
    try:
        priority = int(get(m, "Priority", "1") or "1")
    except ValueError:
        session.error(m, "Invalid priority")
        return
    extra_name = get(m, "ExtraChannel")
    extra = session.pbx.find(extra_name) if extra_name else None
    if extra_name and extra is None:
        session.error(m, f"ExtraChannel does not exist: {extra_name}")
        return
    if extra is None:
        session.respond(m, True, ("Message", "Redirect successful"))
    else:
        session.respond(m, True, ("Message", "Dual Redirect successful"))
        session.pbx.redirect(
            extra,
            get(m, "ExtraContext") or extra.context,
            get(m, "ExtraExten") or extra.exten,
            int(get(m, "ExtraPriority", "1") or "1"),
        )
    session.pbx.redirect(ch, get(m, "Context") or ch.context, get(m, "Exten") or ch.exten, priority)


async def blindtransfer(session: AmiSession, m: Message) -> None:
    """BlindTransfer: ``Channel`` (the transferer) leaves; its bridge peer goes to
    ``Exten@Context``."""
    chan, exten = get(m, "Channel"), get(m, "Exten")
    ch = session.pbx.find(chan) if chan else None
    if not chan:
        session.error(m, "No channel specified")
    elif ch is None:
        session.error(m, "Channel specified does not exist")
    elif not exten:
        session.error(m, "No extension specified")
    elif ch.bridge is None:
        session.error(m, "Transfer failed")
    else:
        session.respond(m, True, ("Message", "Transfer succeeded"))
        session.pbx.blind_transfer(ch, get(m, "Context") or ch.context, exten)


async def bridge(session: AmiSession, m: Message) -> None:
    """Bridge Channel1 and Channel2 (both leave what they run)."""
    one, two = get(m, "Channel1"), get(m, "Channel2")
    first, second = session.pbx.find(one), session.pbx.find(two)
    if first is None:
        session.error(m, f"Channel1 does not exist: {one}")
        return
    if second is None:
        session.error(m, f"Channel2 does not exist: {two}")
        return
    session.respond(m, True, ("Message", "Channels have been bridged"))
    session.pbx.bridge_channels(first, second)


async def hangup(session: AmiSession, m: Message) -> None:
    """Hangup one channel, or every channel matching ``/regex/``."""
    chan = get(m, "Channel")
    cause_text = get(m, "Cause")
    cause = int(cause_text) if cause_text.isdigit() else None
    if len(chan) > 1 and chan.startswith("/") and chan.endswith("/"):
        try:
            pattern = re.compile(chan[1:-1])
        except re.error:
            session.error(m, "Invalid regex")
            return
        found = [c for c in session.pbx.channels.values() if pattern.search(c.name)]
        found.sort(key=lambda c: -c.half)
        session.respond(
            m, True, ("EventList", "start"), ("Message", "Channels hung up will follow")
        )
        action_id = get(m, "ActionID")
        for ch in found:
            session.send(
                [("Event", "ChannelHungup"), ("Channel", ch.name), ("ActionID", action_id)]
            )
        session.send(
            [
                ("Event", "ChannelsHungupListComplete"),
                ("ActionID", action_id),
                ("EventList", "Complete"),
                ("ListItems", str(len(found))),
            ]
        )
        for ch in found:
            session.pbx.request_hangup(ch, cause)
        return
    target = session.pbx.find(chan)
    if target is None:
        session.error(m, "No such channel")
        return
    session.respond(m, True, ("Message", "Channel Hungup"))
    session.pbx.request_hangup(target, cause)


async def originate(session: AmiSession, m: Message) -> None:
    """Originate (Async or not) to a Local channel."""
    chan = get(m, "Channel")
    if not chan:
        session.error(m, "Channel not specified")
        return
    variables: list[tuple[str, str]] = []
    for header in get_all(m, "Variable"):
        for pair in header.split(","):
            name, sep, value = pair.partition("=")
            if sep:
                variables.append((name.strip(), value))
    try:
        timeout = float(get(m, "Timeout", "30000") or "30000") / 1000
        priority = int(get(m, "Priority", "1") or "1")
    except ValueError:
        session.error(m, "Invalid timeout or priority")
        return
    req = OriginateRequest(
        channel=chan,
        context=get(m, "Context"),
        exten=get(m, "Exten"),
        priority=priority,
        application=get(m, "Application"),
        data=get(m, "Data"),
        caller_id=caller_id(get(m, "CallerID")),
        timeout=timeout,
        variables=variables,
        action_id=get(m, "ActionID"),
        channel_id=get(m, "ChannelId"),
        other_channel_id=get(m, "OtherChannelId"),
    )
    if not req.application and not req.exten:
        session.error(m, "Exten not specified")
        return
    if get(m, "Async").lower() in ("true", "yes", "1", "on"):
        session.respond(m, True, ("Message", "Originate successfully queued"))
        session.pbx.spawn(session.pbx.originate(req), f"originate:{chan}")
        return
    req.announce = False
    result = await session.pbx.originate(req)
    if result.reason == 4:
        session.respond(m, True, ("Message", "Originate successfully queued"))
    else:
        session.error(m, "Originate failed")


async def coreshowchannels(session: AmiSession, m: Message) -> None:
    """CoreShowChannels: one CoreShowChannel per channel, then the summary."""
    action_id = get(m, "ActionID")
    session.respond(m, True, ("EventList", "start"), ("Message", "Channels will follow"))
    now = session.pbx.now()
    channels = list(session.pbx.channels.values())
    for ch in channels:
        session.send(
            [
                ("Event", "CoreShowChannel"),
                ("ActionID", action_id),
                *ch.block(),
                ("Application", ch.app),
                ("ApplicationData", ch.appdata),
                ("Duration", hms(now - ch.created)),
                ("BridgeId", ch.bridge.uniqueid if ch.bridge else ""),
            ]
        )
    session.send(
        [
            ("Event", "CoreShowChannelsComplete"),
            ("ActionID", action_id),
            ("EventList", "Complete"),
            ("ListItems", str(len(channels))),
        ]
    )


async def status(session: AmiSession, m: Message) -> None:
    """Status of all channels or one, with the ``Variables`` asked for."""
    action_id, chan = get(m, "ActionID"), get(m, "Channel")
    if chan:
        one = session.pbx.find(chan)
        if one is None:
            session.error(m, "No such channel")
            return
        channels = [one]
    else:
        channels = list(session.pbx.channels.values())
    wanted = [v.strip() for v in get(m, "Variables").split(",") if v.strip()]
    session.respond(m, True, ("EventList", "start"), ("Message", "Channel status will follow"))
    now = session.pbx.now()
    for ch in channels:
        held = ch.on_hold
        fields: Message = [
            ("Event", "Status"),
            ("Privilege", "Call"),
            *ch.block(),
            ("Type", ch.name.split("/", 1)[0]),
            ("DNID", ""),
            ("EffectiveConnectedLineNum", ch.conn_num),
            ("EffectiveConnectedLineName", ch.conn_name),
            ("TimeToHangup", "0"),
            ("BridgeID", ch.bridge.uniqueid if ch.bridge else ""),
            ("Application", ch.app),
            ("Data", ch.appdata),
            ("Nativeformats", "(slin)"),
            ("Readformat", "slin"),
            ("Readtrans", ""),
            ("Writeformat", "gsm" if held else "slin"),
            ("Writetrans", "(gsm@8000)->(slin@8000)" if held else ""),
            ("Callgroup", "0"),
            ("Pickupgroup", "0"),
            ("Seconds", str(int(now - ch.created))),
        ]
        for v in wanted:
            value = session.pbx.lookup_set(ch, v)
            fields.append(("Variable", f"{v}={'(null)' if value is None else value}"))
        if action_id:
            fields.append(("ActionID", action_id))
        session.send(fields)
    session.send(
        [
            ("Event", "StatusComplete"),
            ("ActionID", action_id),
            ("EventList", "Complete"),
            ("ListItems", str(len(channels))),
            ("Items", str(len(channels))),
        ]
    )


async def playdtmf(session: AmiSession, m: Message) -> None:
    """PlayDTMF: the digit reaches the far side of the channel after its duration; with
    ``Receive: true`` the channel itself receives it (as from its phone)."""
    chan, digit = get(m, "Channel"), get(m, "Digit")
    ch = session.pbx.find(chan)
    if ch is None:
        session.error(m, f"Channel '{chan}' not found")
        return
    if not digit:
        session.error(m, "No digit specified")
        return
    duration = int(get(m, "Duration", "250") or "250")
    if get(m, "Receive").lower() in ("true", "yes", "1", "on"):
        # Asterisk queues the digit as if the channel's phone had sent it and acks at once;
        # its reader (ChanSpy reads DTMF ends only) publishes the DTMFEnd
        session.respond(m, True, ("Message", "DTMF successfully queued"))
        session.pbx.emit(
            "DTMFEnd",
            "dtmf,all",
            [
                *ch.block(),
                ("Digit", digit[0]),
                ("DurationMs", str(duration)),
                ("Direction", "Received"),
            ],
        )
        ch.dtmf.put_nowait(digit[0])
        return
    await asyncio.sleep(duration / 1000 * session.pbx.time_scale)
    session.respond(m, True, ("Message", "DTMF successfully queued"))
    target = ch.peer if ch.peer is not None and ch.peer.alive else ch
    session.pbx.emit(
        "DTMFBegin",
        "dtmf,all",
        [*target.block(), ("Digit", digit[0]), ("Direction", "Received")],
    )
    session.pbx.emit(
        "DTMFEnd",
        "dtmf,all",
        [
            *target.block(),
            ("Digit", digit[0]),
            ("DurationMs", str(duration)),
            ("Direction", "Received"),
        ],
    )
    target.dtmf.put_nowait(digit[0])


async def atxfer(session: AmiSession, m: Message) -> None:
    """Atxfer: without an ``atxfer`` feature code (features.conf ``[featuremap]``; the
    sample leaves it commented out) Asterisk refuses; with one it queues the code's digits
    on the channel and sets TRANSFER_CONTEXT. The transfer itself only happens on a channel
    whose Dial gave it the feature (``t``/``T``): :mod:`telephony.twin.transfer`."""
    chan, exten = get(m, "Channel"), get(m, "Exten")
    ch = session.pbx.find(chan) if chan else None
    if not chan:
        session.error(m, "No channel specified")
    elif not exten:
        session.error(m, "No extension specified")
    elif ch is None:
        session.error(m, "Channel specified does not exist")
    elif not session.pbx.features.get("atxfer"):
        session.error(m, "No attended transfer feature code found")
    else:
        session.respond(m, True, ("Message", "Atxfer successfully queued"))
        context = get(m, "Context") or ch.context
        session.pbx.set_var(ch, "TRANSFER_CONTEXT", context)
        if ch.may_transfer and ch.bridge is not None and not ch.consulting:
            session.pbx.spawn(attended_transfer(session.pbx, ch, context, exten), "atxfer")
        elif ch.bridge is not None:  # no feature on this channel: the digits go through
            digits = session.pbx.features["atxfer"] + exten
            session.pbx.spawn(pass_digits(session.pbx, ch, digits), "atxfer-digits")


async def park(session: AmiSession, m: Message) -> None:
    """Park Channel (the parkee) into the default lot; TimeoutChannel hears the space."""
    chan = get(m, "Channel")
    ch = session.pbx.find(chan) if chan else None
    if ch is None:
        session.error(m, "Unable to park: No such channel")
        return
    announce = session.pbx.find(get(m, "TimeoutChannel"))
    try:
        timeout = int(get(m, "Timeout", "45000") or "45000")
    except ValueError:
        timeout = 45000
    if ch.bridge is None:
        session.error(m, "Park action failed")
        return
    session.respond(m, True, ("Message", "Park successful\n"))  # Asterisk's own newline
    parking.park(session.pbx, ch, announce, timeout)


async def parkedcalls(session: AmiSession, m: Message) -> None:
    """ParkedCalls: one ParkedCall event per parked call, then ParkedCallsComplete."""
    action_id = get(m, "ActionID")
    session.respond(m, True, ("EventList", "start"), ("Message", "Parked calls will follow"))
    listed = parking.parked_calls(session.pbx)
    for body in listed:  # the ActionID comes last in these
        session.send([("Event", "ParkedCall"), *body, ("ActionID", action_id)])
    count = str(len(listed))
    session.send(
        [("Event", "ParkedCallsComplete"), ("ActionID", action_id), ("EventList", "Complete"),
         ("ListItems", count), ("Total", count)]
    )  # fmt: skip


async def events(session: AmiSession, m: Message) -> None:
    """Events: change which events this session receives."""
    on = session.set_event_mask(get(m, "EventMask", "on"))
    session.respond(m, True, ("Events", "On" if on else "Off"))


async def filter_(session: AmiSession, m: Message) -> None:
    """Filter (Operation: Add): one more event filter for this session only (``Filter`` is
    the pattern, ``!`` first for an exclusion; ``MatchCriteria`` the advanced criteria)."""
    if get(m, "Operation").lower() != "add":
        session.error(m, "Unknown operation")
        return
    criteria = get(m, "MatchCriteria")
    try:
        added = make_filter(
            f"eventfilter({criteria})" if criteria else "eventfilter", get(m, "Filter")
        )
    except FilterError as exc:
        session.error(m, _FILTER_ERRORS[exc.kind])
        return
    session.filters = (*session.filters, added)
    session.respond(m, True, ("Message", "Success"))


_FILTER_ERRORS = {
    "compile": "Filter did not compile.  Check the syntax of the filter given.",
    "format": "Filter was formatted incorrectly.  Check the syntax of the filter given.",
}


ACTIONS: dict[str, Callable[[AmiSession, Message], Awaitable[None]]] = {
    "ping": ping,
    "corestatus": corestatus,
    "getvar": getvar,
    "setvar": setvar,
    "redirect": redirect,
    "hangup": hangup,
    "originate": originate,
    "coreshowchannels": coreshowchannels,
    "status": status,
    "playdtmf": playdtmf,
    "events": events,
    "atxfer": atxfer,
    "bridge": bridge,
    "blindtransfer": blindtransfer,
    "park": park,
    "parkedcalls": parkedcalls,
    "filter": filter_,
}
