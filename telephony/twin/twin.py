"""The programmatic face of the Asterisk twin: start it, place calls, inspect it."""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from telephony.twin.ami import AmiServer, AmiUser, classes
from telephony.twin.behaviour import AgentPhone, Customer, CustomerOutcome, PhoneAnswer
from telephony.twin.channel import STATE_DESC, Channel
from telephony.twin.dialplan import Dialplan, Step
from telephony.twin.pbx import OriginateRequest, Pbx
from telephony.twin.sounds import installed_sounds
from telephony.twin.wire import Message, get

log = structlog.get_logger("telephony.twin")

HERE = Path(__file__).resolve().parent
LAB_DIALPLAN = HERE / "lab-extensions.conf"
PRODUCT_DIALPLAN = HERE / "product-extensions.conf"
#: The product dialplan for a real Asterisk (``asterisk-conf/extensions.conf`` of the repo).
ASTERISK_CONF = HERE.parents[1] / "asterisk-conf" / "extensions.conf"
#: features.conf shipped next to it (the ``atxfer`` code the engine's Atxfer needs)
FEATURES_CONF = ASTERISK_CONF.with_name("features.conf")
#: The contexts of ``ASTERISK_CONF`` that carry the inbound call path (IVR, hold, connect).
INBOUND_CONTEXTS = (
    "inbound",
    "inbound-hold",
    "connect",
    "connect-result",
    "queue-exit",
    "callback-offer",
    "callback-result",
    "callback-dial",
    "call-hold",
    "agent-hold",
    "transfer-out",
    "outbound",
)


@dataclass
class TwinConfig:
    """Everything a twin needs; defaults match ``atende.settings`` defaults."""

    host: str = "127.0.0.1"
    ami_port: int = 0
    users: dict[str, AmiUser] = field(
        default_factory=lambda: {"atende": AmiUser("atende"), "acd": AmiUser("acdsecret")}
    )
    dialplans: list[Path] = field(default_factory=lambda: [LAB_DIALPLAN, PRODUCT_DIALPLAN])
    agi_address: tuple[str, int] | None = None
    time_scale: float = 1.0
    login_failure_delay: float = 1.0
    inbound_context: str = "inbound"
    #: run the product's inbound path (``INBOUND_CONTEXTS`` of ``ASTERISK_CONF``) over the
    #: lab's ``inbound`` and the twin's simple ``connect``
    product_inbound: bool = False
    event_log_size: int = 20000
    #: sound files the twin's Asterisk has (name -> length in 8 kHz samples)
    sounds: dict[str, int] = field(default_factory=installed_sounds)
    #: ``[globals]`` values that replace the dialplan files' (e.g. ``ATENDE_ENGINE``)
    globals: dict[str, str] = field(default_factory=dict)
    #: features.conf ``[featuremap]`` codes (``{"atxfer": "*2"}``); none, as the sample
    features: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelInfo:
    """One row of the live channel table."""

    name: str
    uniqueid: str
    linkedid: str
    state: str
    context: str
    exten: str
    priority: int
    application: str
    bridge: str | None
    caller_id_num: str


@dataclass
class DidStats:
    """What happened to the calls on one number (DID).

    ``arrived`` counts every call placed; ``offered`` only callers routed to a queue (their
    channel got a non-empty ``ROUTE`` from the IVR or the dialplan's fallback, as Asterisk's
    VarSet shows it); ``lost_before_routing`` callers who hung up before that (in the IVR,
    before or during the FastAGI session). ``answered_by_agent`` and ``abandoned`` split the
    routed callers: ``arrived == offered + lost_before_routing`` once every call ended.
    """

    offered: int = 0
    answered_by_agent: int = 0
    abandoned: int = 0
    arrived: int = 0
    lost_before_routing: int = 0


def read_featuremap(path: Path) -> dict[str, str]:
    """``[featuremap]`` of a features.conf (``atxfer => *2``; comments dropped)."""
    out: dict[str, str] = {}
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.split(";", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif section == "featuremap" and "=" in line:
            name, _, value = line.partition("=")
            out[name.strip()] = value.lstrip(">").strip()
    return out


class Twin:
    """An Asterisk 22 look-alike: AMI server, dialplan, Local channels, FastAGI client."""

    def __init__(self, config: TwinConfig | None = None) -> None:
        self.config = config or TwinConfig()
        plan = Dialplan()
        for path in self.config.dialplans:
            plan.merge(Dialplan.from_file(path))
        if self.config.product_inbound:
            product = Dialplan.from_file(ASTERISK_CONF)
            product.contexts = {c: product.contexts[c] for c in INBOUND_CONTEXTS}
            plan.merge(product)
        plan.globals.update(self.config.globals)
        self.pbx = Pbx(
            plan,
            time_scale=self.config.time_scale,
            agi_address=self.config.agi_address,
            sounds=self.config.sounds,
        )
        self.pbx.features = dict(self.config.features)
        self.ami = AmiServer(
            self.pbx,
            self.config.users,
            host=self.config.host,
            port=self.config.ami_port,
            login_failure_delay=self.config.login_failure_delay,
        )
        self.phones: dict[str, AgentPhone] = {}
        self.customers: dict[str, Customer] = {}
        self.customer_source: Callable[[str], Customer | None] = lambda _number: None
        self.phone_source: Callable[[str], AgentPhone | None] = lambda _interface: None
        self.stats: dict[str, DidStats] = {}
        self.event_log: deque[Message] = deque(maxlen=self.config.event_log_size)
        self.event_counts: Counter[str] = Counter()
        self._inbound: dict[str, str] = {}  # linkedid -> DID
        self._bridged: set[str] = set()
        self._routed: set[str] = set()  # linkedids whose caller got ROUTE
        self._legs: dict[str, set[str]] = {}  # linkedid -> uniqueids of the inbound pair
        self._caller_left: set[str] = set()  # linkedids whose inbound pair began to hang up
        self._patience: set[asyncio.TimerHandle] = set()
        self.pbx.behaviour = self._behaviour
        self.pbx.amd_result = self._amd
        self.pbx.listeners.append(self._observe)
        self.pbx.on_hangup.append(self._on_hangup)

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> int:
        """Bind the AMI port (0 = ephemeral) and return it."""
        return await self.ami.start()

    @property
    def port(self) -> int:
        """The bound AMI port."""
        return self.ami.port

    async def stop(self) -> None:
        """Close AMI, hang up nothing gracefully: cancel every call's work."""
        for handle in self._patience:
            handle.cancel()
        await self.ami.stop()
        await self.pbx.close()

    def drop_ami_connections(self) -> None:
        """Fault injection: close every AMI socket now (calls keep going)."""
        self.ami.drop_connections()

    # -- inspection ----------------------------------------------------------------------

    def channels(self) -> list[ChannelInfo]:
        """The live channel table, in creation order."""
        return [self._info(ch) for ch in self.pbx.channels.values()]

    @staticmethod
    def _info(ch: Channel) -> ChannelInfo:
        return ChannelInfo(
            name=ch.name,
            uniqueid=ch.uniqueid,
            linkedid=ch.linkedid,
            state=STATE_DESC.get(ch.state, "Unknown"),
            context=ch.context,
            exten=ch.exten,
            priority=ch.priority,
            application=ch.app,
            bridge=ch.bridge.uniqueid if ch.bridge else None,
            caller_id_num=ch.cid_num,
        )

    @property
    def answered_calls(self) -> frozenset[str]:
        """Linkedids of the inbound callers bridged with an agent (``answered_by_agent``)."""
        return frozenset(self._bridged)

    # -- behaviour -----------------------------------------------------------------------

    def set_agent_phone(
        self,
        interface: str,
        answer: PhoneAnswer = True,
        delay: float = 0.0,
        talk_time: float | None = None,
    ) -> None:
        """How the phone behind ``interface`` (``Local/2001@agents`` or ``2001@agents``) acts.

        ``answer``: True, False (rings until the caller's Dial gives up) or ``"busy"``;
        ``delay``: seconds of ringing before answering; ``talk_time``: the agent hangs up
        that long after answering (None: only the caller or the engine ends the call).
        """
        key = interface.removeprefix("Local/")
        self.phones[key] = AgentPhone(answer, delay, talk_time)

    def hangup(self, channel: str, cause: int | None = None) -> bool:
        """Hang up a channel by name (as a caller or an agent putting the phone down)."""
        ch = self.pbx.find(channel)
        if ch is None:
            return False
        self.pbx.request_hangup(ch, cause)
        return True

    def set_customer(self, number: str, outcome: CustomerOutcome, delay: float = 2.0) -> None:
        """How the customer at ``number`` answers the dialer."""
        self.customers[number] = Customer(outcome, delay)

    def _behaviour(self, context: str, exten: str) -> list[Step] | None:
        interface = f"{exten}@{context}"
        phone = self.phones.get(interface) or self.phone_source(interface)
        if phone is not None:
            return phone.script()
        if context != self.config.inbound_context:
            customer = self._customer(exten)
            if customer is not None:
                return customer.script()
        return None

    def _customer(self, number: str) -> Customer | None:
        customer = self.customers.get(number)
        if customer is None and number.isdigit() and len(number) >= 8:
            customer = self.customer_source(number)
        return customer

    def _amd(self, ch: Channel) -> tuple[str, str, float]:
        called = ch.peer.exten if ch.peer is not None else ch.exten
        customer = self._customer(called)
        if customer is None:
            return "NOTSURE", "TOOLONG-4820", 5.0
        return customer.amd()

    # -- calls ---------------------------------------------------------------------------

    async def place_inbound_call(
        self, did: str, caller_num: str, caller_name: str = "", patience: float | None = None
    ) -> ChannelInfo | None:
        """A caller dials ``did``: the twin originates into the inbound context.

        With ``patience`` the caller hangs up after that many seconds unless an agent
        answered first (an abandoned call). Returns, once the call is answered, the
        channel that runs the inbound dialplan and the FastAGI IVR (``agi_channel``, the
        one the engine redirects); ``None`` if the call could not be placed.
        """
        stats = self.stats.setdefault(did, DidStats())
        stats.arrived += 1
        req = OriginateRequest(
            channel=f"Local/{did}@{self.config.inbound_context}",
            application="Wait",
            data="86400",
            caller_id=(caller_num, caller_name or "<unknown>"),
        )
        result = await self.pbx.originate(req)
        if result.channel is None:
            return None
        ch = result.channel
        self._inbound[ch.linkedid] = did
        self._legs[ch.linkedid] = {ch.uniqueid} | ({ch.peer.uniqueid} if ch.peer else set())
        if patience is not None:
            loop = asyncio.get_running_loop()
            handles = self._patience

            def give_up() -> None:
                handles.discard(handle)
                self._give_up(ch)

            handle = loop.call_later(patience * self.config.time_scale, give_up)
            handles.add(handle)
        return self._info(ch.peer if ch.peer is not None else ch)

    def _give_up(self, ch: Channel) -> None:
        if ch.alive and ch.linkedid not in self._bridged:
            self.pbx.request_hangup(ch)

    def _observe(self, message: Message) -> None:
        event = get(message, "Event")
        self.event_counts[event] += 1
        self.event_log.append(message)
        if event == "VarSet" and get(message, "Variable") == "ROUTE" and get(message, "Value"):
            # routed as Asterisk shows it: ROUTE set by the IVR or the dialplan's fallback,
            # even on a channel hanging up (Asterisk runs SET VARIABLE on a dead channel)
            linkedid = get(message, "Linkedid")
            did = self._inbound.get(linkedid)
            if did is not None and linkedid not in self._routed:
                self._routed.add(linkedid)
                self.stats[did].offered += 1
                log.debug("twin_caller_routed", linkedid=linkedid, did=did)
        if event == "BridgeEnter" and get(message, "BridgeNumChannels") == "2":
            # answered: bridged with the agent while the caller was still there (a bridge
            # formed after a leg of his pair hung up is an abandon, as the engine sees it)
            linkedid = get(message, "Linkedid")
            did = self._inbound.get(linkedid)
            left = linkedid in self._caller_left
            if did is not None and not left and linkedid not in self._bridged:
                self._bridged.add(linkedid)
                self.stats[did].answered_by_agent += 1
                log.debug("twin_caller_answered", linkedid=linkedid, did=did)

    def _on_hangup(self, ch: Channel) -> None:
        # a caller is settled when both channels of his inbound pair are gone: the IVR's
        # channel may still get ROUTE after the caller's side hung up
        did = self._inbound.get(ch.linkedid)
        legs = self._legs.get(ch.linkedid)
        if did is None or legs is None or ch.uniqueid not in legs:
            return
        legs.discard(ch.uniqueid)
        self._caller_left.add(ch.linkedid)
        if legs:
            return
        del self._legs[ch.linkedid]
        self._caller_left.discard(ch.linkedid)
        if ch.linkedid not in self._routed:
            self.stats[did].lost_before_routing += 1
        elif ch.linkedid not in self._bridged:
            self.stats[did].abandoned += 1
        self._inbound.pop(ch.linkedid, None)
        self._routed.discard(ch.linkedid)


__all__ = [
    "ASTERISK_CONF",
    "INBOUND_CONTEXTS",
    "AmiUser",
    "ChannelInfo",
    "DidStats",
    "Twin",
    "TwinConfig",
    "classes",
]
