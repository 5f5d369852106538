"""Preview mode and scheduled callbacks in the dialer's pure core (no I/O): a preview campaign
places no call by itself, offers one lead at a time (never one the agent skipped), the
customer's leg decides the lead's result, an agent who misses his own phone costs the lead no
attempt; the callback due for an agent is his own first, then anyone's, never another's."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from campaigns.dialer.callbacks import Callback, next_due
from campaigns.dialer.core import Agents, DialerCore, Stage
from campaigns.dialer.leads import DialLead, LeadPhone
from campaigns.dialer.plan import DialingPlan
from campaigns.domain.profiles import BR

T0 = datetime(2026, 12, 2, 12, 30, tzinfo=UTC)  # Wednesday 09:30 in São Paulo
SP = ("America/Sao_Paulo",)


def _core(n: int = 3) -> DialerCore:
    plan = DialingPlan(
        "p1", "televendas", "ativo", mode="preview", caller_id="030312345678", profile=BR
    )
    leads = [DialLead(i, (LeadPhone(f"+55119{i:08d}", SP),), state="SP") for i in range(1, n + 1)]
    return DialerCore(plan, leads, T0)


def test_preview_places_no_call_and_offers_one_lead_at_a_time() -> None:
    """Ticks with free agents dial nothing; offers come in list order, a lead held for one
    agent is not offered to another, a skipped lead is not offered to the agent who skipped
    it but is to the others once released."""
    core = _core()
    assert core.tick(T0, Agents(5)).dial == ()
    first = core.offer(T0)
    second = core.offer(T0)
    assert first is not None and second is not None
    assert (first[0].lead_id, second[0].lead_id) == (1, 2)
    core.release(1)  # agent A skipped lead 1
    again = core.offer(T0, skipped={1})
    assert again is not None and again[0].lead_id == 3
    other = core.offer(T0)  # agent B may get it
    assert other is not None and other[0].lead_id == 1
    assert core.offer(T0) is None  # all held
    core.pause()
    core.release(2)
    assert core.offer(T0) is None  # a paused campaign offers nothing


def test_the_customer_leg_decides_the_result() -> None:
    """Answered: connected, and the end makes the lead final (reached); busy: retried after
    the busy cool-down; the agent missing his own phone: no attempt counted."""
    core = _core()
    lead, number = core.offer(T0) or (None, "")
    assert lead is not None
    attempt = core.agent_dialled(lead.lead_id, number, "2001", T0)
    assert core.customer_dial_ended(attempt, "ANSWER", T0 + timedelta(seconds=9)) is None
    assert core.attempts[attempt].stage is Stage.CONNECTED
    done = core.ended(attempt, T0 + timedelta(minutes=2))
    assert done is not None and done.result.value == "human" and done.decision.final

    busy_lead, busy_number = core.offer(T0) or (None, "")
    assert busy_lead is not None
    busy = core.agent_dialled(busy_lead.lead_id, busy_number, "2001", T0)
    outcome = core.customer_dial_ended(busy, "BUSY", T0 + timedelta(seconds=5))
    assert outcome is not None and outcome.result.value == "busy"
    assert not outcome.decision.final and outcome.decision.not_before == T0 + timedelta(
        seconds=5, minutes=15
    )

    missed_lead, missed_number = core.offer(T0) or (None, "")
    assert missed_lead is not None
    missed = core.agent_dialled(missed_lead.lead_id, missed_number, "2001", T0)
    assert core.agent_not_reached(missed) == missed_lead.lead_id
    assert sum(missed_lead.attempts.values()) == 0 and missed not in core.attempts
    assert core.figures(T0).remaining_leads == 2  # busy (retry) and the missed one


def test_the_callback_due_for_an_agent() -> None:
    """Not before its time; his own before anyone's; never another agent's; not one held for
    someone else."""
    base = Callback(1, "+5511970000001", T0, "2001")
    mine = replace(base, id=1, due_at=T0 + timedelta(minutes=5))
    anyone = replace(base, id=2, agent=None, due_at=T0)
    other = replace(base, id=3, agent="2002", due_at=T0 - timedelta(hours=1))
    pending = [mine, anyone, other]
    assert next_due(pending, "2001", T0) == anyone
    assert next_due(pending, "2001", T0 + timedelta(minutes=5)) == mine
    assert next_due(pending, "2003", T0 + timedelta(minutes=5)) == anyone
    assert next_due(pending, "2003", T0, held={2}) is None
    assert next_due(pending, "2002", T0 - timedelta(minutes=1)) == other
