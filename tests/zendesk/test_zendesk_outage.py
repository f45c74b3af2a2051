"""A Zendesk outage longer than RQ's retry schedule, against the simulator and a real Redis.

What matters to a user: no critical ticket is lost however long Zendesk is down. The ticket
counts as handled only once its decision is written; while Zendesk is down the work waits
(the circuit breaker) instead of spending its retries; once Zendesk is back it is written;
and the catch-up finds whatever is still unwritten, even when its job failed for good.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus

from jobs import pipeline, reconcile
from jobs.seen import last_seen
from middleware.store.enqueue import EventEnqueuer
from middleware.store.queues import EVENTS_STAGE
from middleware.zendesk.breaker import FAILURES_TO_OPEN
from middleware.zendesk.errors import TransientError, ZendeskUnavailable
from middleware.zendesk.mapping import ticket_from_api
from rules.model import TicketEvent
from tests.intake_support import queued_events, simulated

FAST = {"grace": "0s", "every": "1m", "first_since": "1h", "seen_ttl": "1d"}
OUTAGE = "Our whole platform is down"


@pytest.fixture
def sim(tmp_path: Path, redis, key_prefix):
    with simulated(tmp_path, redis, key_prefix, reconcile=FAST) as running:
        yield running


def critical_event(control) -> TicketEvent:
    made = control.customer_ticket(OUTAGE, "Nobody can log in, every request fails with 502.", "it@globex.example")
    return TicketEvent(id=f"created-{made['id']}", type="created", ticket=ticket_from_api(made), actor_id=None)


def run_due(redis, rt) -> None:
    """Run what RQ's scheduler would run once its time comes, then everything queued."""
    queue = Queue(rt.keys.queue(EVENTS_STAGE), connection=redis)
    registry = queue.scheduled_job_registry
    for job_id in registry.get_job_ids():
        registry.remove(job_id)
        queue.enqueue_job(Job.fetch(job_id, connection=redis))
    SimpleWorker([queue], connection=redis).work(burst=True)


def zendesk_calls(control, method: str) -> int:
    return sum(1 for r in control.requests_log()["requests"] if r["method"] == method)


def test_a_failed_write_leaves_the_ticket_unseen_for_the_catch_up(sim) -> None:
    rt, control, _ = sim
    event = critical_event(control)
    control.add_fault(503, method="PUT")
    with pytest.raises((TransientError, ZendeskUnavailable)):
        pipeline.handle_event(event.to_dict())
    assert last_seen(rt, [event.ticket.id]) == {event.ticket.id: None}
    counts = reconcile.reconcile(rt)
    assert (counts.read, counts.seen, counts.queued) == (1, 0, 1)  # was: read 1, already seen 1, queued 0


def test_an_outage_longer_than_the_retry_schedule_waits_and_then_flags(sim, redis) -> None:
    rt, control, _ = sim
    event = critical_event(control)
    EventEnqueuer(redis, rt.keys, dedupe_ttl=timedelta(days=1)).enqueue(event)
    control.add_fault(503)  # Zendesk is down, reads and writes
    started = time.time()  # the breaker's clock stands still: however slowly the eight runs go,
    rt.zendesk.breaker.clock = lambda: started  # its cooldown does not run out before the checks
    for _ in range(8):  # more runs than RQ's 6 tries
        run_due(redis, rt)
    queue = Queue(rt.keys.queue(EVENTS_STAGE), connection=redis)
    assert queue.failed_job_registry.count == 0  # nothing given up on
    (waiting,) = queue.scheduled_job_registry.get_job_ids()
    assert Job.fetch(waiting, connection=redis).retries_left == 5  # waiting spent no retry
    assert rt.zendesk.breaker.is_open()
    assert zendesk_calls(control, "PUT") <= FAILURES_TO_OPEN  # the breaker stopped the calls
    assert last_seen(rt, [event.ticket.id])[event.ticket.id] is None
    assert rt.incidents.get(event.ticket.id) is None

    control.clear_faults()  # Zendesk is back; the breaker's cooldown has passed
    rt.zendesk.breaker.clock = lambda: time.time() + 3600
    run_due(redis, rt)
    ticket = control.get_ticket(event.ticket.id)["ticket"]
    assert "critical_incident" in ticket["tags"]
    assert rt.incidents.get(event.ticket.id).rules != ["manual"]
    assert not rt.zendesk.breaker.is_open()
    assert queue.failed_job_registry.count == 0 and queue.scheduled_job_registry.count == 0
    assert reconcile.reconcile(rt).queued == 0  # handled: nothing left for the catch-up


def test_the_catch_up_queues_again_a_catch_up_job_that_failed_for_good(sim, redis) -> None:
    rt, control, _ = sim
    event = critical_event(control)
    assert reconcile.reconcile(rt).queued == 1
    (job,) = queued_events(redis, rt.keys.prefix)
    queue = Queue(rt.keys.queue(EVENTS_STAGE), connection=redis)
    queue.remove(job)
    job.set_status(JobStatus.FAILED)
    queue.failed_job_registry.add(job, exc_string="gave up")
    again = reconcile.reconcile(rt, since=timedelta(hours=1))
    assert (again.queued, again.requeued, again.duplicate) == (0, 1, 0)
    job.refresh()
    queue.remove(job)
    job.set_status(JobStatus.FAILED)
    queue.failed_job_registry.add(job, exc_string="failed again")
    once_more = reconcile.reconcile(rt, since=timedelta(hours=1))
    assert (once_more.requeued, once_more.duplicate) == (0, 1)  # revived once, not every run
    queue.failed_job_registry.requeue(job.id)
    SimpleWorker([queue], connection=redis).work(burst=True)
    assert "critical_incident" in control.get_ticket(event.ticket.id)["ticket"]["tags"]


def test_periodic_jobs_leave_an_outage_to_their_next_run_instead_of_failing(sim) -> None:
    from jobs import staff_roster

    _rt, control, _ = sim
    control.add_fault(503)
    assert staff_roster.refresh() == "Zendesk unavailable: left for the next run"
    assert "resumes next run" in reconcile.run()  # the breaker may have opened by then: same answer


def test_after_a_long_outage_the_waiting_work_is_due_within_seconds_of_zendesk_answering(sim, redis) -> None:
    """Was up to ~90 s: the breaker's cooldown had doubled to 60 s, and each waiting job came
    back on its own schedule (up to 30 s of jitter later). Now the worker's watcher probes every
    few seconds while the breaker is open and, once Zendesk answers, makes every job that was
    waiting for it due at once; the jobs themselves sleep longer the longer the outage lasts."""
    from jobs import zendesk_watch

    rt, control, _ = sim
    event = critical_event(control)
    EventEnqueuer(redis, rt.keys, dedupe_ttl=timedelta(days=1)).enqueue(event)
    control.add_fault(503)
    breaker = rt.zendesk.breaker
    started = time.time()  # held still, so a slow run cannot outlast the cooldown before the check
    breaker.clock = lambda: started
    for _ in range(3):  # five failed attempts open the breaker; the job waits
        run_due(redis, rt)
    assert breaker.is_open()
    long_ago = time.time() - 600
    redis.hset(rt.keys("zendesk", "breaker"), "since", f"{long_ago:.3f}")  # down for ten minutes
    breaker.clock = lambda: time.time() + 3600  # past any probe time: every run is "later"
    run_due(redis, rt)  # the job wakes, finds Zendesk still down, and waits again
    queue = Queue(rt.keys.queue(EVENTS_STAGE), connection=redis)
    registry = queue.scheduled_job_registry
    (waiting,) = registry.get_job_ids()
    assert registry.get_scheduled_time(waiting).timestamp() - time.time() > 30  # a long outage: a long sleep
    assert queue.failed_job_registry.count == 0

    breaker.clock = time.time
    redis.hset(rt.keys("zendesk", "breaker"), "open_until", f"{time.time() - 1:.3f}")  # a probe is due
    assert "still down" in zendesk_watch.tick(rt)  # the watcher's probe: Zendesk still answers 503
    assert breaker.is_open()
    assert registry.get_scheduled_time(waiting).timestamp() - time.time() > 30  # nobody woken

    control.clear_faults()  # Zendesk is back
    redis.hset(rt.keys("zendesk", "breaker"), "open_until", f"{time.time() - 1:.3f}")
    assert "woke 1" in zendesk_watch.tick(rt)
    assert not breaker.is_open()
    assert registry.get_job_ids(cleanup=False) == [waiting]
    assert registry.get_scheduled_time(waiting).timestamp() <= time.time()  # due now: the scheduler runs it
    run_due(redis, rt)
    assert "critical_incident" in control.get_ticket(event.ticket.id)["ticket"]["tags"]
    assert zendesk_watch.tick(rt) == "Zendesk answers; nothing waiting"


def test_the_watcher_leaves_a_healthy_zendesk_alone(sim, redis) -> None:
    from jobs import zendesk_watch

    rt, control, _ = sim
    before = control.requests_log()["total"]
    assert zendesk_watch.tick(rt) == "Zendesk answers; nothing waiting"
    assert control.requests_log()["total"] == before  # no probe while the breaker is closed
