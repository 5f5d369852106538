"""The ``callback-offer`` FastAGI route: a waiting caller is offered a queued callback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from ivr.events import CallbackAccepted, CallbackAcceptedPort
from ivr.menu import caller_digits
from telephony.agi.session import AgiSession

log = structlog.get_logger("ivr")

ACCEPT_KEY = "1"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CallbackOffer:
    """Mount as ``AgiServer(routes={"callback-offer": CallbackOffer(report)})``.

    Commands: GET DATA prompt timeout 1, then on ``1`` (GET VARIABLE CALLERID(num) only
    when the environment has no caller number) SET VARIABLE CALLBACK_RESULT accepted, and
    the acceptance is reported to ``report`` (the route never calls the ACD itself). Any
    other answer (no key, another key, a caller without a number to call back) leaves
    ``CALLBACK_RESULT`` as the dialplan set it (``declined``): back to hold.
    """

    def __init__(
        self,
        report: CallbackAcceptedPort,
        prompt: str = "beep",
        timeout_ms: int = 5000,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.prompt = prompt
        self.timeout_ms = timeout_ms
        self._report = report
        self._clock = clock

    async def __call__(self, session: AgiSession) -> None:
        env = session.env
        data = await session.get_data(self.prompt, self.timeout_ms, 1)
        if data.failed:
            log.warning("callback_prompt_failed", file=self.prompt)
        if data.digits != ACCEPT_KEY:
            log.info("callback_declined", uniqueid=env.uniqueid, digits=data.digits)
            return
        number = caller_digits(env.callerid)
        if not number:
            number = caller_digits(await session.get_variable("CALLERID(num)"))
        if not number:
            log.warning("callback_without_number", uniqueid=env.uniqueid)
            return
        await session.set_variable("CALLBACK_RESULT", "accepted")
        log.info("callback_accepted", uniqueid=env.uniqueid)
        self._report(CallbackAccepted(env.uniqueid, env.channel, number, self._clock()))
