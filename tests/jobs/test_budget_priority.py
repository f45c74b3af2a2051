"""Flags before reminders: a share of Zendesk's account-wide windows is kept for urgent work.

What matters to a user: when SLA reminders and other background writes have spent the minute's
ticket updates, a new critical ticket is still flagged at once, not minutes later behind them
(the soak saw a flag wait 14 minutes); background work waits in a line of its own; and with
``urgent_share: 0`` the budget is first come, first served, as before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from jobs import priority
from jobs.runtime import Runtime
from middleware.local.simulator import SimulatorControl
from middleware.resilient_worker import ResilientWorker
from middleware.store.connection import Keys
from middleware.store.enqueue import EventEnqueuer
from middleware.store.queues import EVENTS_STAGE
from middleware.zendesk.budget import CallBudget
from middleware.zendesk.errors import RateLimited
from middleware.zendesk.limits import BACKGROUND, URGENT, Limits, current_lane, lane, reserved, windows_for
from rules.model import Ticket, TicketEvent
from tests.budget_support import Clock, refused
from tests.intake_support import simulated

UPDATE = ("PUT", "/api/v2/tickets/{}.json")


def update(b: CallBudget, tid: int, lane_: str) -> None:
    b.take(UPDATE[0], UPDATE[1].format(tid), lane=lane_)


# -- the windows ------------------------------------------------------------------------------------
def test_background_work_may_use_the_account_windows_less_the_urgent_share():
    limits = Limits(requests_per_minute=400, ticket_updates_per_minute=100, urgent_share=0.25)
    background = {w.key: w.limit for w in windows_for(limits, "PUT", "/api/v2/tickets/5.json", lane=BACKGROUND)}
    urgent = {w.key: w.limit for w in windows_for(limits, "PUT", "/api/v2/tickets/5.json", lane=URGENT)}
    assert background == {("calls",): 300, ("updates",): 75, ("ticket", "5"): 30}  # one ticket: no reserve
    assert urgent == {("calls",): 400, ("updates",): 100, ("ticket", "5"): 30}
    export = windows_for(limits, "GET", "/api/v2/incremental/tickets/cursor.json", lane=BACKGROUND)
    assert [w.limit for w in export] == [300, 10]  # only the sweep exports: no reserve
    assert reserved(1, 0.25) == 0 and reserved(2, 0.9) == 1  # background always keeps a slot


def test_with_the_background_share_spent_an_urgent_update_still_goes(redis: Redis, key_prefix: str):
    clock = Clock(1_800_000_000.0)
    b = CallBudget(redis, Keys(key_prefix), clock=clock, limits=Limits(ticket_updates_per_minute=8))
    for tid in range(1, 7):  # 8 less the urgent share of 2: six SLA write-backs, say
        update(b, tid, BACKGROUND)
        clock.now += 1
    refused(lambda: update(b, 7, BACKGROUND))
    update(b, 100, URGENT)  # a new critical ticket's flag
    update(b, 101, URGENT)
    wait = refused(lambda: update(b, 102, URGENT))  # the window itself is full now
    assert wait == pytest.approx(60.5 - 6 + 0.5)  # when the first write leaves it


def test_an_urgent_caller_does_not_queue_behind_background_waiters(redis: Redis, key_prefix: str):
    clock = Clock(1_800_000_000.0)
    b = CallBudget(redis, Keys(key_prefix), clock=clock, limits=Limits(ticket_updates_per_minute=4))
    for tid in range(1, 5):  # the whole window, the urgent slot included
        update(b, tid, URGENT if tid == 4 else BACKGROUND)
        clock.now += 1
    waits = [refused(lambda n=n: update(b, 10 + n, BACKGROUND)) for n in range(6)]  # a backlog of reminders
    flag = refused(lambda: update(b, 99, URGENT))
    assert flag == pytest.approx(60.5 - 4 + 0.5)  # the first slot to free, not a slot after the backlog
    assert flag < max(waits)


def test_with_no_urgent_share_the_budget_is_first_come_first_served(redis: Redis, key_prefix: str):
    clock = Clock(1_800_000_000.0)
    b = CallBudget(redis, Keys(key_prefix), clock=clock,
                   limits=Limits(ticket_updates_per_minute=8, urgent_share=0.0))
    for tid in range(1, 9):
        update(b, tid, BACKGROUND)
    refused(lambda: update(b, 100, URGENT))


def test_the_lane_is_the_callers_context_and_urgent_outside_one():
    assert current_lane() == URGENT  # a command a person typed is not held back
    with lane(BACKGROUND):
        assert current_lane() == BACKGROUND
        with lane(URGENT):
            assert current_lane() == URGENT
        assert current_lane() == BACKGROUND
    assert current_lane() == URGENT
    with pytest.raises(ValueError), lane("fast"):
        pass


# -- which jobs are urgent --------------------------------------------------------------------------
@pytest.mark.parametrize(("func", "args", "expected"), [
    ("jobs.pipeline.handle_webhook", (b"{}", "inv-1"), URGENT),
    ("jobs.pipeline.handle_event", ({"id": "e1"},), URGENT),
    ("jobs.pipeline.handle_alert", ({},), URGENT),
    ("jobs.pipeline.handle_report", ({},), URGENT),
    # queued by an earlier release under the names these entry points had then
    ("jobs.triage.handle_event", ({"id": "e1"},), URGENT),
    ("jobs.intake.handle_alert", ({},), URGENT),
    ("jobs.intake.handle_report", ({},), URGENT),
    ("jobs.alerts.notify.fan_out", ({}, "incident.declared", "t", "", {}), URGENT),
    ("jobs.alerts.notify.fan_out", ({}, "sla.breached", "t", "3", {}), BACKGROUND),  # a reminder
    ("jobs.sla.clock.check", (5, 3), BACKGROUND),
    ("jobs.sla.clock.sync", (5,), BACKGROUND),
    ("jobs.lifecycle.messages.send", (), BACKGROUND),
    ("jobs.reconcile.run", (), BACKGROUND),
    ("jobs.report.delivery.weekly", (), BACKGROUND),
    ("jobs.lifecycle.review.create", (), BACKGROUND),
    ("jobs.staff_roster.refresh", (), BACKGROUND),
])
def test_flagging_jobs_are_urgent_and_the_rest_is_background(func, args, expected):
    assert priority.lane_of(func, args) == expected


# -- through the worker, against the simulator ----------------------------------------------------
def _spend_background_share(rt: Runtime, control: SimulatorControl, writes: int) -> None:
    """SLA write-backs on open incidents' tickets, as the SLA jobs make them, until the background
    share of the minute's ticket updates is spent."""
    with lane(BACKGROUND):
        for n in range(writes):
            tid = int(control.customer_ticket(f"Outage {n}", "still down", f"c{n}@customer.example")["id"])
            rt.zendesk.safe_update(tid, None, add_tags=["critical_sla_breached"], note="SLA breached: reminder")
        with pytest.raises(RateLimited):  # spent: the next background write waits
            rt.zendesk.safe_update(tid, None, add_tags=["critical_sla_breached"], note="SLA breached: reminder")


def _flag_new_critical_ticket(rt: Runtime, control: SimulatorControl, redis: Redis) -> tuple[int, list[str]]:
    """A new customer ticket that the shipped rules find critical, its webhook queued as the
    receiver queues it and run by the product's worker; (ticket id, ids of jobs left queued)."""
    created = control.customer_ticket("URGENT - platform down, none of our users can log in",
                                      "Since 09:00 nobody in our company can log in; the platform is down.",
                                      "ops@customer.example")
    ticket = Ticket(id=int(created["id"]), subject=created["subject"], description=created["description"],
                    status="new", requester_id=created["requester_id"])
    enqueuer = EventEnqueuer(redis, rt.keys, dedupe_ttl=rt.config.webhook.dedupe_ttl)
    enqueuer.enqueue(TicketEvent(id=f"created-{ticket.id}", type="created", ticket=ticket))
    events = Queue(rt.keys.queue(EVENTS_STAGE), connection=redis)
    ResilientWorker([events], connection=redis).work(burst=True)
    scheduled = events.scheduled_job_registry.get_job_ids()
    return ticket.id, scheduled


ZENDESK = {"ticket_updates_per_minute": 8, "api_user_id": None}


def test_a_new_critical_ticket_is_flagged_at_once_when_background_writes_spent_the_window(
        tmp_path: Path, redis: Redis, key_prefix: str) -> None:
    with simulated(tmp_path, redis, key_prefix, zendesk=ZENDESK) as (rt, control, _):
        control.endpoint_limits({"ticket_updates_per_minute": 8})  # Zendesk would 429 past it
        _spend_background_share(rt, control, 6)  # 8 less the urgent share (25 %: 2)
        tid, put_off = _flag_new_critical_ticket(rt, control, redis)
        assert "critical_incident" in control.get_ticket(tid)["ticket"]["tags"]
        assert put_off == []  # flagged by its own job's first run, not rescheduled
        assert all(r["status"] != 429 for r in control.requests_log()["requests"])


def write_reminder(ticket_id: int, marker: str) -> None:
    """Job body: an SLA-reminder-like write; records in Redis whether the budget let it go."""
    from jobs import runtime

    rt = runtime.get()
    try:
        rt.zendesk.safe_update(ticket_id, None, note="SLA breached: reminder")
        outcome = "went"
    except RateLimited:
        outcome = "put off"
    rt.redis.set(marker, outcome)


def test_the_worker_runs_other_jobs_in_the_background_lane(tmp_path: Path, redis: Redis, key_prefix: str) -> None:
    with simulated(tmp_path, redis, key_prefix, zendesk=ZENDESK) as (rt, control, _):
        _spend_background_share(rt, control, 6)
        tid = int(control.customer_ticket("Outage", "down", "c@customer.example")["id"])
        marker = rt.keys("test", "reminder")
        Queue(rt.keys.queue(EVENTS_STAGE), connection=redis).enqueue(write_reminder, tid, marker)
        ResilientWorker([Queue(rt.keys.queue(EVENTS_STAGE), connection=redis)], connection=redis).work(burst=True)
        assert redis.get(marker) == b"put off"  # the two slots left are the flags'
        rt.zendesk.safe_update(tid, None, note="outside a worker: a person's command")  # urgent lane


def test_first_come_first_served_would_have_put_the_flag_off(tmp_path: Path, redis: Redis, key_prefix: str) -> None:
    with simulated(tmp_path, redis, key_prefix, zendesk={**ZENDESK, "urgent_share": 0}) as (rt, control, _):
        control.endpoint_limits({"ticket_updates_per_minute": 8})
        _spend_background_share(rt, control, 8)  # with no share kept, background writes take it all
        tid, put_off = _flag_new_critical_ticket(rt, control, redis)
        assert "critical_incident" not in control.get_ticket(tid)["ticket"]["tags"]
        assert len(put_off) == 1 and put_off[0].endswith("-rl1")  # waits for the window to free
