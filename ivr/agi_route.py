"""The ``inbound`` FastAGI route: plays the menu, sets ``ROUTE``, reports the decision."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import structlog

from ivr.events import CallerRouted, CallerRoutedPort
from ivr.menu import TAX_ID_DIGITS, IvrMenu, caller_digits, route_caller
from telephony.agi.session import AgiSession

log = structlog.get_logger("ivr")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class InboundIvr:
    """Mount as ``AgiServer(routes={"inbound": InboundIvr(menu, queue.put_nowait)})``.

    Command sequence (default menu): ANSWER, SET VARIABLE IVR_START <unix seconds>, STREAM
    FILE greeting "123", GET DATA prompt timeout max, GET VARIABLE CALLERID(num), SET
    VARIABLE ROUTE queue:<name>, VERBOSE "ivr done" 1. Steps the menu leaves out are not
    sent (a DID's menu, :func:`ivr.menu.did_menu`, sends only SET VARIABLE ROUTE). A
    prompt Asterisk does not have (GET DATA answering ``-1`` at once) is logged
    (``ivr_prompt_missing``) and the menu's ``fallback_prompt`` is played instead, so keys
    are still read; a missing greeting is logged and the menu goes on. The decision is
    reported to ``report`` once ROUTE is set; the route never calls the ACD itself.
    ``menus_by_did`` picks another menu by the number dialled (``agi_extension``).
    """

    def __init__(
        self,
        menu: IvrMenu,
        report: CallerRoutedPort,
        clock: Callable[[], datetime] = _utc_now,
        menus_by_did: Mapping[str, IvrMenu] | None = None,
    ) -> None:
        self.menu = menu
        self._report = report
        self._clock = clock
        self._menus: dict[str, IvrMenu] = {}
        for did, did_menu in (menus_by_did or {}).items():
            if not caller_digits(did):
                raise ValueError(f"DID {did!r} has no digits")
            self._menus[caller_digits(did)] = did_menu

    def menu_for(self, did: str) -> IvrMenu:
        """The menu of the number dialled (digits compared), else the default one."""
        return self._menus.get(caller_digits(did), self.menu)

    async def __call__(self, session: AgiSession) -> None:
        env = session.env
        menu = self.menu_for(env.extension)
        if menu.answer:
            await session.answer()
        if menu.record_start:  # AGI does not expand ${EPOCH}: send the number itself
            await session.set_variable("IVR_START", str(int(self._clock().timestamp())))
        digits = await self._read_keys(session, menu)
        caller = env.callerid
        if menu.read_caller_from_channel:
            caller = await session.get_variable("CALLERID(num)") or caller
        tax_id = await self._read_tax_id(session, menu)
        decision = route_caller(menu, caller, digits)
        await session.set_variable(menu.route_variable, f"queue:{decision.queue}")
        log.info("ivr_caller_routed", queue=decision.queue, reason=decision.reason, digits=digits)
        self._report(
            CallerRouted(
                uniqueid=env.uniqueid,
                channel=env.channel,
                caller=caller,
                caller_name=env.calleridname,
                queue=decision.queue,
                digits=digits,
                reason=decision.reason,
                at=self._clock(),
                tax_id=tax_id,
            )
        )
        if menu.done_message is not None:
            await session.verbose(menu.done_message, 1)

    async def _read_tax_id(self, session: AgiSession, menu: IvrMenu) -> str:
        """The CPF/CNPJ digits typed after the menu, when it asks for one (else ``""``)."""
        prompt = menu.tax_id_prompt
        if prompt is None:
            return ""
        data = await session.get_data(prompt, menu.tax_id_timeout_ms, TAX_ID_DIGITS)
        fallback = menu.fallback_prompt
        if data.failed and fallback and fallback != prompt:
            log.warning("ivr_prompt_missing", file=prompt, role="tax_id", fallback=fallback)
            data = await session.get_data(fallback, menu.tax_id_timeout_ms, TAX_ID_DIGITS)
        typed = "".join(ch for ch in data.digits if ch.isdigit())
        log.info("ivr_tax_id_read", typed=len(typed))
        return typed

    async def _read_keys(self, session: AgiSession, menu: IvrMenu) -> str:
        digits = ""
        if menu.greeting is not None:
            played = await session.stream_file(menu.greeting, menu.greeting_escape_digits)
            if played.failed:  # no such file (or the caller left): the menu goes on
                log.warning("ivr_prompt_missing", file=menu.greeting, role="greeting")
            digits = played.digit or ""
        if menu.prompt is not None and len(digits) < menu.max_digits:
            wanted = menu.max_digits - len(digits)
            prompt = "" if digits else menu.prompt
            data = await session.get_data(prompt, menu.timeout_ms, wanted)
            fallback = menu.fallback_prompt
            if data.failed and prompt and fallback and fallback != prompt:
                # GET DATA of a missing file answers -1 at once: without this the menu
                # would never take a key
                log.warning("ivr_prompt_missing", file=prompt, role="prompt", fallback=fallback)
                prompt = fallback
                data = await session.get_data(prompt, menu.timeout_ms, wanted)
            if data.failed:
                log.warning("ivr_prompt_missing", file=prompt, role="prompt")
            digits += data.digits
        return digits
