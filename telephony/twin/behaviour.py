"""How the twin's simulated people behave: agents' phones and outbound customers.

A behaviour replaces the dialplan of the called half (``;2``) of a Local channel with a
short script of real applications (Ringing, Wait, Answer, Busy, Congestion), so the
events stay Asterisk's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from telephony.twin.dialplan import Step

PhoneAnswer = bool | Literal["busy"]
CustomerOutcome = Literal["human", "machine", "silent", "busy", "noanswer", "congestion", "fail"]

_FOREVER = "86400"


@dataclass(frozen=True)
class AgentPhone:
    """An agent's phone: answers after ``delay`` seconds, rings forever, or is busy.

    With ``talk_time`` the agent hangs up that many seconds after answering.
    """

    answer: PhoneAnswer = True
    delay: float = 0.0
    talk_time: float | None = None

    def script(self) -> list[Step]:
        """The applications the phone's side of the call runs."""
        if self.answer == "busy":
            return [Step(1, "Busy", "5")]
        steps = [Step(1, "Ringing", ""), Step(2, "Wait", f"{self.delay:g}")]
        if self.answer:
            talk = _FOREVER if self.talk_time is None else f"{self.talk_time:g}"
            return [*steps, Step(3, "Answer", ""), Step(4, "Wait", talk), Step(5, "Hangup", "")]
        return [Step(1, "Ringing", ""), Step(2, "Wait", _FOREVER)]


@dataclass(frozen=True)
class Customer:
    """A customer reached by the dialer."""

    outcome: CustomerOutcome = "human"
    delay: float = 2.0

    def script(self) -> list[Step]:
        """The applications the customer's side of the call runs ([] = does not exist)."""
        if self.outcome == "fail":
            return []
        if self.outcome == "busy":
            return [Step(1, "Busy", "5")]
        if self.outcome == "congestion":
            return [Step(1, "Congestion", "5")]
        if self.outcome == "noanswer":
            return [Step(1, "Ringing", ""), Step(2, "Wait", _FOREVER)]
        return [
            Step(1, "Ringing", ""),
            Step(2, "Wait", f"{self.delay:g}"),
            Step(3, "Answer", ""),
            Step(4, "Wait", _FOREVER),
        ]

    def amd(self) -> tuple[str, str, float]:
        """What AMD() concludes about this customer: status, cause, seconds taken (as the
        product_dialer_* traces recorded them; a silent person is a MACHINE to AMD)."""
        if self.outcome == "machine":
            return "MACHINE", "LONGGREETING-1500-1500", 2.2
        if self.outcome == "silent":
            return "MACHINE", "INITIALSILENCE-2500-2500", 3.0
        return "HUMAN", "HUMAN-800-800", 3.0

    def silence_after(self) -> float:
        """Seconds until WaitForSilence hears enough silence (a machine's greeting and beep
        last 8.7 s in product_dialer_machine; a silent line is quiet at once)."""
        return 8.7 if self.outcome == "machine" else 1.5
