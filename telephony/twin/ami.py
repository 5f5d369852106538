"""The twin's AMI server: login, event filtering and the actions the engine uses."""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from telephony.twin.manager_conf import EventFilter, ManagerUser, excluded
from telephony.twin.pbx import Pbx
from telephony.twin.wire import (
    BANNER,
    BadFrame,
    FrameSplitter,
    Message,
    encode,
    get,
    parse_frame,
)

log = structlog.get_logger("telephony.twin.ami")

ALL_CLASSES = frozenset(
    {
        "system",
        "call",
        "log",
        "verbose",
        "command",
        "agent",
        "user",
        "config",
        "dtmf",
        "reporting",
        "cdr",
        "dialplan",
        "originate",
        "agi",
        "cc",
        "aoc",
        "test",
        "security",
        "message",
    }
)

#: Write classes that allow each action (empty: any logged-in user).
ACTION_CLASSES: dict[str, frozenset[str]] = {
    "originate": frozenset({"originate"}),
    "redirect": frozenset({"call"}),
    "hangup": frozenset({"system", "call"}),
    "getvar": frozenset({"call", "reporting"}),
    "setvar": frozenset({"call"}),
    "status": frozenset({"system", "call", "reporting"}),
    "coreshowchannels": frozenset({"system", "reporting"}),
    "corestatus": frozenset({"system", "reporting"}),
    "playdtmf": frozenset({"call"}),
    "atxfer": frozenset({"call"}),
    "bridge": frozenset({"call"}),
    "blindtransfer": frozenset({"call"}),
    "ping": frozenset(),
    "logoff": frozenset(),
    "filter": frozenset({"system"}),
}


def classes(text: str) -> frozenset[str]:
    """Privilege classes from a ``read =``/``write =`` value (``all`` expands)."""
    names = {c.strip().lower() for c in text.split(",") if c.strip()}
    if "all" in names:
        return ALL_CLASSES
    return frozenset(names & ALL_CLASSES)


@dataclass
class AmiUser:
    """One ``manager.conf`` user: secret, read/write privileges and event filters."""

    secret: str
    read: frozenset[str] = ALL_CLASSES
    write: frozenset[str] = ALL_CLASSES
    filters: tuple[EventFilter, ...] = ()

    @classmethod
    def from_manager(cls, user: ManagerUser, secret: str | None = None) -> AmiUser:
        """The user as ``manager.conf`` declares it (``secret`` replaces its secret)."""
        return cls(
            user.secret if secret is None else secret,
            classes(user.read),
            classes(user.write),
            user.filters,
        )


def _tv(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def caller_id(text: str) -> tuple[str, str] | None:
    if not text:
        return None
    match = re.match(r'^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$', text)
    if match:
        return match.group(2), match.group(1) or "<unknown>"
    return text.strip(), "<unknown>"


def hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


@dataclass
class AmiServer:
    """TCP AMI server bound to ``host:port`` (port 0 picks a free one)."""

    pbx: Pbx
    users: dict[str, AmiUser]
    host: str = "127.0.0.1"
    port: int = 0
    login_failure_delay: float = 1.0
    sessions: set[AmiSession] = field(default_factory=set)
    _server: asyncio.Server | None = None
    _session_seq: int = 0

    async def start(self) -> int:
        """Listen and return the bound port."""
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("twin_ami_listening", host=self.host, port=self.port)
        return self.port

    async def stop(self) -> None:
        """Stop listening and close every session."""
        if self._server is not None:
            self._server.close()
        self.drop_connections()
        for session in list(self.sessions):
            if session.task is not None:
                session.task.cancel()
        if self._server is not None:
            await self._server.wait_closed()

    def drop_connections(self) -> None:
        """Close every AMI socket at once (fault injection)."""
        for session in list(self.sessions):
            session.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._session_seq += 1
        session = AmiSession(self, reader, writer, self._session_seq)
        session.task = asyncio.current_task()
        self.sessions.add(session)
        self.pbx.listeners.append(session.deliver)
        try:
            await session.serve()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            # stop() cancels sessions; end quietly (asyncio's stream callback would otherwise
            # report the cancelled task as an unhandled exception)
            pass
        finally:
            self.pbx.listeners.remove(session.deliver)
            self.sessions.discard(session)
            session.close()


class AmiSession:
    """One AMI connection."""

    def __init__(
        self,
        server: AmiServer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        number: int,
    ) -> None:
        self.server, self.pbx = server, server.pbx
        self.reader, self.writer = reader, writer
        self.user: str | None = None
        self.read: frozenset[str] = frozenset()
        self.write: frozenset[str] = frozenset()
        self.events: frozenset[str] = ALL_CLASSES
        self.filters: tuple[EventFilter, ...] = ()
        self.challenge = ""
        self.session_id = f"0x{0x7F0000000000 + number * 0x5C0:x}"
        self.opened = time.time()
        self.task: asyncio.Task[None] | None = None
        local = writer.get_extra_info("sockname") or ("127.0.0.1", 0)
        remote = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        self.local = f"IPV4/TCP/{local[0]}/{local[1]}"
        self.remote = f"IPV4/TCP/{remote[0]}/{remote[1]}"

    # -- output --------------------------------------------------------------------------

    def send(self, message: Message) -> None:
        """Write a response or list event to this client."""
        if not self.writer.is_closing():
            self.writer.write(encode(message))

    def deliver(self, message: Message) -> None:
        """Write a broadcast event if this user may read it and asked for events."""
        if self.user is None or self.writer.is_closing():
            return
        wanted = classes(",".join(c for c in get(message, "Privilege").split(",") if c != "all"))
        if wanted and not (wanted & self.read & self.events):
            return
        if self.filters and excluded(self.filters, message):
            return
        self.send(message)

    def set_event_mask(self, mask: str) -> bool:
        """``on``/``off`` or a list of classes, as in Login and the Events action."""
        mask = mask.strip().lower()
        if mask in ("off", "no", "false", "0"):
            self.events = frozenset()
        elif mask in ("on", "yes", "true", "1", ""):
            self.events = ALL_CLASSES
        else:
            self.events = classes(mask)
        return bool(self.events)

    def close(self) -> None:
        """Close the socket."""
        if not self.writer.is_closing():
            self.writer.close()

    def respond(self, m: Message, ok: bool, *fields: tuple[str, str]) -> None:
        out: Message = [("Response", "Success" if ok else "Error")]
        if get(m, "ActionID"):
            out.append(("ActionID", get(m, "ActionID")))
        out += list(fields)
        self.send(out)

    def error(self, m: Message, text: str) -> None:
        self.respond(m, False, ("Message", text))

    def _security_event(self, event: str, fields: Message) -> None:
        now = time.time()
        message: Message = [
            ("Event", event),
            ("Privilege", "security,all"),
            ("EventTV", _tv(now)),
            *fields[:2],
            ("EventVersion", "1"),
            *fields[2:],
        ]
        if "security" in self.read:
            self.send(message)

    # -- input ---------------------------------------------------------------------------

    async def serve(self) -> None:
        """Greet, then handle frames until the client leaves."""
        self.writer.write(BANNER)
        splitter = FrameSplitter()
        while True:
            data = await self.reader.read(65536)
            if not data:
                return
            for frame in splitter.feed(data):
                if not await self.handle(frame):
                    await self.writer.drain()
                    self.close()
                    return
            await self.writer.drain()

    async def handle(self, frame: str) -> bool:
        """Handle one frame; False closes the session."""
        try:
            m = parse_frame(frame)
        except BadFrame as exc:
            log.warning("twin_ami_bad_frame", error=str(exc))
            m = []
        action = get(m, "Action").strip()
        if not action:
            self.error(m, "Missing action in request")
            return True
        name = action.lower()
        if name == "login":
            if self.user is not None:
                self.respond(m, True, ("Message", "Already authenticated"))
                return True
            return await self.login(m)
        if name == "challenge":
            self.challenge = str(random.randint(100000000, 999999999))
            self.respond(m, True, ("Challenge", self.challenge))
            return True
        if self.user is None and name != "logoff":
            self.error(m, "Permission denied")
            return True
        if name == "logoff":
            self.send(
                [
                    ("Response", "Goodbye"),
                    *([("ActionID", get(m, "ActionID"))] if get(m, "ActionID") else []),
                    ("Message", "Thanks for all the fish."),
                ]
            )
            return False
        from telephony.twin.ami_actions import ACTIONS

        handler = ACTIONS.get(name)
        if handler is None:
            self.error(
                m,
                f"Invalid/unknown command: {action}. "
                "Use Action: ListCommands to show available commands.",
            )
            self._security_event(
                "RequestBadFormat",
                [
                    ("Severity", "Error"),
                    ("Service", "AMI"),
                    ("SessionID", self.session_id),
                    ("LocalAddress", self.local),
                    ("RemoteAddress", self.remote),
                    ("RequestType", f"Action: {action}"),
                    ("SessionTV", _tv(self.opened)),
                    ("AccountID", self.user or ""),
                ],
            )
            return True
        allowed = ACTION_CLASSES.get(name, frozenset())
        if allowed and not (allowed & self.write):
            self.error(m, "Permission denied")
            return True
        try:
            await handler(self, m)
        except ValueError as exc:
            log.warning("twin_ami_bad_action", action=action, error=str(exc))
            self.error(m, f"Invalid value in {action}: {exc}")
        return True

    async def login(self, m: Message) -> bool:
        """Plain or MD5 login; a failure answers after a delay and closes the session."""
        username = get(m, "Username")
        user = self.server.users.get(username)
        ok = False
        if user is not None:
            if get(m, "AuthType").lower() == "md5":
                digest = hashlib.md5((self.challenge + user.secret).encode()).hexdigest()
                ok = bool(self.challenge) and get(m, "Key").lower() == digest
            else:
                ok = get(m, "Secret") == user.secret
        if not ok:
            log.warning("twin_ami_login_failed", username=username)
            await asyncio.sleep(self.server.login_failure_delay)
            self.error(m, "Authentication failed")
            return False
        assert user is not None
        self.user, self.read, self.write = username, user.read, user.write
        self.filters = user.filters
        self.set_event_mask(get(m, "Events", "on"))
        self.respond(m, True, ("Message", "Authentication accepted"))
        uptime = str(int(time.time() - self.pbx.started))
        self.deliver(
            [
                ("Event", "FullyBooted"),
                ("Privilege", "system,all"),
                ("Uptime", uptime),
                ("LastReload", uptime),
                ("Status", "Fully Booted"),
            ]
        )
        if self.events:
            self._security_event(
                "SuccessfulAuth",
                [
                    ("Severity", "Informational"),
                    ("Service", "AMI"),
                    ("AccountID", username),
                    ("SessionID", self.session_id),
                    ("LocalAddress", self.local),
                    ("RemoteAddress", self.remote),
                    ("UsingPassword", "0"),
                    ("SessionTV", _tv(self.opened)),
                ],
            )
        log.info("twin_ami_login", username=username)
        return True
