"""The per-event read of a ticket's state, against a real Redis.

What matters: the catch-up still learns which changes were delivered (the newest wins), the
stages get the incident, clock and link that are really there, and a ticket that is not
critical costs one Redis round trip for everything the event needs.
"""

from __future__ import annotations

from datetime import timedelta

import responses

from jobs import pipeline, ticket_state
from jobs.runtime import Runtime
from jobs.seen import last_seen
from middleware.store.clocks import ClockStore
from tests.jobs.test_triage import CREATED, make_event, make_ticket, put_ok, rt  # noqa: F401  (rt is a fixture)


def seen(runtime_: Runtime, ticket_id: int) -> int | None:
    return last_seen(runtime_, [ticket_id])[ticket_id]


def test_it_marks_the_change_seen_and_the_newest_change_wins(rt: Runtime) -> None:  # noqa: F811
    newer = make_ticket(updated_at=CREATED + timedelta(minutes=5))
    ticket_state.read(rt, newer)
    ticket_state.read(rt, make_ticket())  # an older snapshot delivered late
    assert seen(rt, newer.id) == int(newer.updated_at.timestamp())
    ticket_state.read(rt, make_ticket(id=7000), mark_seen=False)
    assert seen(rt, 7000) is None


def test_a_ticket_we_know_nothing_about(rt: Runtime) -> None:  # noqa: F811
    assert ticket_state.read(rt, make_ticket()) == ticket_state.TicketState(None, None, None)


@responses.activate
def test_it_reads_the_incident_the_clock_and_the_link_as_the_stores_have_them(rt: Runtime) -> None:  # noqa: F811
    ticket = make_ticket()
    put_ok(ticket, ["customer_tag", "critical_incident", "critical_outage", "critical_sla_pending"])
    pipeline.handle_event(make_event(ticket).to_dict())
    rt.redis.set(rt.incidents.link_key(6000), str(ticket.id))
    state = ticket_state.read(rt, ticket)
    assert state.incident == rt.incidents.get(ticket.id)
    assert state.clock == ClockStore(rt.redis, rt.keys).get(ticket.id)
    assert state.clock is not None and state.clock.state == "pending"
    assert ticket_state.read(rt, make_ticket(id=6000)).linked_to == ticket.id


def test_an_event_that_is_not_critical_costs_one_redis_round_trip(rt: Runtime, monkeypatch) -> None:  # noqa: F811
    calls: list[str] = []
    real = rt.redis.execute_command

    def counting(*args, **kwargs):
        calls.append(str(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(rt.redis, "execute_command", counting)
    ticket = make_ticket(subject="How do I export invoices?", description="Where is the button?")
    assert pipeline.process(rt, make_event(ticket)) == "not critical"
    assert calls == ["EVALSHA"]
    assert seen(rt, ticket.id) == int(ticket.updated_at.timestamp())
