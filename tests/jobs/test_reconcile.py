"""Catch-up of missed webhooks against the Zendesk simulator's incremental export and a real Redis.

What matters to a user: a ticket whose webhook never arrived is found and sent down the normal
path (and flagged if critical); a ticket the receiver did see is left alone; running the
catch-up twice changes nothing; a ticket changed moments ago is left to its own webhook.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rq import SimpleWorker

from jobs import reconcile
from jobs.seen import found_at_creation, last_seen, mark_seen
from middleware.cli import main as cli
from middleware.store.queues import EVENTS_STAGE
from middleware.zendesk.mapping import ticket_from_api
from rules.model import TicketEvent
from tests.intake_support import queued_events, simulated

FAST = {"grace": "0s", "every": "1m", "first_since": "1h", "seen_ttl": "1d"}


def a_moment_later() -> datetime:
    """The catch-up runs a little after the changes (the simulator stamps a second change on a
    ticket one second later, which may be "now" plus a second)."""
    return datetime.now(UTC) + timedelta(seconds=5)


@pytest.fixture
def sim(tmp_path: Path, redis, key_prefix):
    with simulated(tmp_path, redis, key_prefix, clock=a_moment_later, reconcile=FAST) as running:
        yield running


def customer_tickets(control, n: int = 2) -> list[dict]:
    made = [control.customer_ticket("Our whole platform is down", "Nobody can log in, every request fails with 502.",
                                    "it@globex.example")]
    made += [control.customer_ticket(f"Question {i}", "How do I change my invoice address?", "pat@initech.example")
             for i in range(n - 1)]
    return made


def test_tickets_never_seen_are_queued_for_triage_once(sim, redis, key_prefix: str) -> None:
    rt, control, _ = sim
    made = customer_tickets(control, 3)
    counts = reconcile.reconcile(rt)
    assert counts.queued == 3 and counts.cursor_saved
    events = [TicketEvent.from_dict(job.args[0]) for job in queued_events(redis, key_prefix)]
    assert sorted(e.ticket.id for e in events) == sorted(t["id"] for t in made)
    assert all(e.source == "reconcile" and e.type == "reconcile" for e in events)
    assert all(e.id.startswith(f"reconcile-{e.ticket.id}-") for e in events)
    assert all(job.func_name == "jobs.pipeline.handle_event" for job in queued_events(redis, key_prefix))
    assert all(found_at_creation(e) for e in events)  # created in the gap: SLA from creation

    again = reconcile.reconcile(rt)  # from the cursor: nothing new since
    assert (again.read, again.queued) == (0, 0)
    from_scratch = reconcile.reconcile(rt, since=timedelta(hours=1))
    assert (from_scratch.read, from_scratch.queued, from_scratch.duplicate) == (3, 0, 3)  # twice: nothing new
    assert len(queued_events(redis, key_prefix)) == 3


def test_tickets_the_receiver_saw_are_left_alone_until_they_change_again(sim, redis, key_prefix: str) -> None:
    rt, control, _ = sim
    seen, unseen = customer_tickets(control, 2)
    mark_seen(rt, ticket_from_api(seen))
    counts = reconcile.reconcile(rt)
    assert (counts.seen, counts.queued) == (1, 1)
    assert [TicketEvent.from_dict(j.args[0]).ticket.id for j in queued_events(redis, key_prefix)] == [unseen["id"]]

    control.comment(seen["id"], "Any news? Still nothing works.")  # a change whose webhook is lost too
    later = reconcile.reconcile(rt)
    assert later.queued == 1
    event = TicketEvent.from_dict(queued_events(redis, key_prefix)[-1].args[0])
    assert event.ticket.id == seen["id"] and not found_at_creation(event)


def test_mark_seen_never_goes_back(sim, redis) -> None:
    rt, control, _ = sim
    (ticket,) = [ticket_from_api(t) for t in customer_tickets(control, 1)]
    mark_seen(rt, ticket)
    mark_seen(rt, replace(ticket, updated_at=ticket.updated_at - timedelta(minutes=5)))  # late, older
    assert last_seen(rt, [ticket.id]) == {ticket.id: int(ticket.updated_at.timestamp())}


def test_recent_changes_wait_for_their_webhook(tmp_path: Path, redis, key_prefix) -> None:
    with simulated(tmp_path, redis, key_prefix, reconcile={**FAST, "grace": "1h"}) as (rt, control, _):
        customer_tickets(control, 2)
        counts = reconcile.reconcile(rt)
        assert (counts.waiting, counts.queued, counts.cursor_saved) == (2, 0, False)
        assert queued_events(redis, key_prefix) == []


def test_closed_tickets_are_skipped(sim, redis) -> None:
    rt, control, _ = sim
    (ticket,) = customer_tickets(control, 1)
    control.update(ticket["id"], status="closed")
    counts = reconcile.reconcile(rt)
    assert (counts.closed, counts.queued) == (1, 0)


def test_a_missed_critical_ticket_is_flagged_by_the_worker(sim, redis, key_prefix: str) -> None:
    rt, control, _ = sim
    critical, normal = customer_tickets(control, 2)
    reconcile.reconcile(rt)
    SimpleWorker([rt.keys.queue(EVENTS_STAGE)], connection=redis).work(burst=True)
    after = control.get_ticket(critical["id"])["ticket"]
    assert "critical_incident" in after["tags"] and after["priority"] == "urgent"
    assert "critical_incident" not in control.get_ticket(normal["id"])["ticket"]["tags"]
    incident = rt.incidents.get(critical["id"])
    assert incident is not None and incident.critical_from_start  # its creation was missed, not its urgency
    before = len(queued_events(redis, key_prefix))
    assert reconcile.reconcile(rt).queued == 0 and len(queued_events(redis, key_prefix)) == before


def test_the_periodic_job_runs_once_per_interval_and_can_be_disabled(sim) -> None:
    rt, control, _ = sim
    customer_tickets(control, 1)
    assert reconcile.run().startswith("read 1")
    assert reconcile.run() == "not due"
    rt.config.reconcile = replace(rt.config.reconcile, enabled=False)
    assert reconcile.run() == "disabled"


def test_one_run_at_a_time(sim) -> None:
    rt, _, _ = sim
    lock = rt.redis.lock(rt.keys("reconcile", "lock"), timeout=30)
    assert lock.acquire()
    try:
        assert reconcile.reconcile(rt).notes == ["another reconcile run holds the lock"]
    finally:
        lock.release()


def test_the_command_line_reconciles_since_a_duration(sim, redis) -> None:
    _, control, _ = sim
    customer_tickets(control, 2)
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["reconcile", "--since", "2h"]) == 0
    assert "queued 2" in out.getvalue()
    with redirect_stdout(out):
        assert cli.main(["reconcile", "--since", "2h"]) == 0
    assert "queued 0, queued before 2" in out.getvalue()
    assert cli.main(["reconcile", "--since", "soon"]) == 2
