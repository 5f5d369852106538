"""The inbound menu as pure data and one pure function: who pressed what → which queue.

No I/O and no clock here; the FastAGI adapter (:mod:`ivr.agi_route`) plays the menu.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

_KEYS = re.compile(r"^[0-9*#]+$")
_QUEUE = re.compile(r"^[A-Za-z0-9_.-]+$")
TAX_ID_DIGITS = 14  # a CNPJ; a CPF has 11 (ended by ``#`` or the timeout)

Reason = Literal["key", "caller", "default", "unknown_key"]


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


def caller_digits(number: str | None) -> str:
    """A caller number reduced to its digits (``+55 11 99999-0002`` → ``5511999990002``)."""
    return "".join(ch for ch in number or "" if ch.isdigit())


@dataclass(frozen=True)
class IvrMenu:
    """One inbound menu.

    The caller hears ``greeting`` (``None``: none; any of ``greeting_escape_digits`` cuts it
    short and counts as the first key), then ``prompt`` while up to ``max_digits`` keys are
    read for ``timeout_ms`` (``None``: no key is read). When Asterisk does not have the
    prompt (GET DATA answers ``-1`` at once), ``fallback_prompt`` (a core sound; ``None``:
    none) is played instead so the caller can still choose. ``options`` maps keys to queues;
    ``caller_queues`` sends known callers (by number) to a queue when they press no listed
    key; everyone else goes to ``default_queue``. With ``record_start`` the time the menu
    started (Unix seconds) is written to the ``IVR_START`` channel variable,
    ``read_caller_from_channel`` reads ``CALLERID(num)`` from the channel instead of trusting
    the AGI environment, and ``done_message`` goes to the Asterisk console at the end (None:
    nothing). With ``answer`` the route starts with ANSWER; a menu that plays nothing may leave
    the channel as the dialplan has it (setting ROUTE needs no answered channel). Prompt
    names are sound files without extension, looked up by Asterisk in the
    channel's language folder (``pt_BR`` on the trunk), then ``en``.

    With ``tax_id_prompt`` (``None``: not asked) the caller is then asked for a CPF or CNPJ:
    up to 14 keys (``#`` ends them) read with ``tax_id_timeout_ms`` between keys; the digits
    are reported as they were typed (the check digits are the customer view's business).
    """

    options: Mapping[str, str]
    default_queue: str
    greeting: str | None = "atende-welcome"
    greeting_escape_digits: str = ""
    prompt: str | None = "atende-menu"
    fallback_prompt: str | None = "beep"
    timeout_ms: int = 3000
    max_digits: int = 1
    caller_queues: Mapping[str, str] = field(default_factory=dict)
    record_start: bool = True
    read_caller_from_channel: bool = True
    done_message: str | None = "ivr done"
    answer: bool = True
    route_variable: str = "ROUTE"
    tax_id_prompt: str | None = None
    tax_id_timeout_ms: int = 5000

    def __post_init__(self) -> None:
        problems: list[str] = []
        for key, queue in self.options.items():
            if not _KEYS.match(key):
                problems.append(f"option key {key!r} is not made of 0-9, * or #")
            elif len(key) > self.max_digits:
                problems.append(f"option key {key!r} is longer than max_digits={self.max_digits}")
            if not _QUEUE.match(queue):
                problems.append(f"option {key!r} names an invalid queue {queue!r}")
        for number, queue in self.caller_queues.items():
            if not caller_digits(number):
                problems.append(f"caller rule {number!r} has no digits")
            if not _QUEUE.match(queue):
                problems.append(f"caller rule {number!r} names an invalid queue {queue!r}")
        if not _QUEUE.match(self.default_queue):
            problems.append(f"default_queue {self.default_queue!r} is not a queue name")
        if self.timeout_ms <= 0:
            problems.append(f"timeout_ms must be positive, not {self.timeout_ms}")
        if self.tax_id_timeout_ms <= 0:
            problems.append(f"tax_id_timeout_ms must be positive, not {self.tax_id_timeout_ms}")
        if self.max_digits < 1:
            problems.append(f"max_digits must be at least 1, not {self.max_digits}")
        if set(self.greeting_escape_digits) - set("0123456789*#"):
            problems.append(f"greeting_escape_digits {self.greeting_escape_digits!r} not keys")
        plays = self.greeting or self.prompt or self.tax_id_prompt
        if plays and not self.answer:
            problems.append("a menu that plays a prompt must answer the channel")
        if problems:
            raise ValueError("invalid IVR menu: " + "; ".join(problems))
        object.__setattr__(self, "options", _frozen(self.options))
        rules = {caller_digits(n): q for n, q in self.caller_queues.items()}
        object.__setattr__(self, "caller_queues", _frozen(rules))


@dataclass(frozen=True)
class RoutingDecision:
    """Where the caller goes and why (``key``, ``caller``, ``default`` or ``unknown_key``)."""

    queue: str
    reason: Reason
    digits: str


def route_caller(menu: IvrMenu, caller: str | None, digits: str) -> RoutingDecision:
    """Decide the queue from the keys pressed, then the caller's number, then the default."""
    if digits in menu.options:
        return RoutingDecision(menu.options[digits], "key", digits)
    known = menu.caller_queues.get(caller_digits(caller))
    if known is not None:
        return RoutingDecision(known, "caller", digits)
    return RoutingDecision(menu.default_queue, "unknown_key" if digits else "default", digits)


def default_menu(tax_id_prompt: str | None = None) -> IvrMenu:
    """The product's inbound menu: 1 sales, 2 support, 3 collections; no key → sales.

    The greeting ``atende-welcome`` and the prompt ``atende-menu`` are shipped in
    ``asterisk-conf/sounds/`` (pt_BR and en); a key pressed during the greeting counts.
    With ``tax_id_prompt`` the caller is then asked for a CPF/CNPJ with that sound file.
    """
    return IvrMenu(
        options={"1": "vendas", "2": "suporte", "3": "cobranca"},
        default_queue="vendas",
        greeting_escape_digits="123",
        tax_id_prompt=tax_id_prompt,
    )


def did_menu(queue: str, tax_id_prompt: str | None = None) -> IvrMenu:
    """The menu of a number dialled straight to ``queue`` (``ATENDE_IVR_DID_QUEUES``): no
    greeting, no key; with ``tax_id_prompt`` the caller is asked for a CPF/CNPJ.

    When it plays nothing it sends only SET VARIABLE ROUTE: no ANSWER (nothing is played; the
    shipped dialplan answers before the AGI anyway), no IVR_START (no menu ran; nothing in
    the product reads it), no GET VARIABLE CALLERID(num) (Asterisk writes that very value as
    ``agi_callerid`` when the session starts, and no caller rule reads it here) and no
    VERBOSE (the dialplan's NoOp after the AGI prints the route).
    """
    asks = tax_id_prompt is not None
    return IvrMenu(
        options={},
        default_queue=queue,
        greeting=None,
        prompt=None,
        tax_id_prompt=tax_id_prompt,
        answer=asks,
        record_start=asks,
        read_caller_from_channel=False,
        done_message="ivr done" if asks else None,
    )
