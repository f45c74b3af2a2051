"""What the worker leaves in Redis after a job: only what something still needs.

What matters to a user: Redis memory is spent on what is meant to be kept. A finished ticket
event leaves only its dedupe marks (RQ's job and result were 7 KB per event for an hour, most of
Redis's memory); a finished job with a unique id (an SLA step, an alert) keeps its hash, so the
id still guards against a second run, but no result stream; a failed job is kept, with its
error, for its failure TTL, so ``jobs failed`` still lists it and nothing is lost silently.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus

from middleware.cli.jobs import failed_jobs
from middleware.resilient_worker import ResilientWorker
from middleware.store.connection import Keys
from middleware.store.enqueue import EventEnqueuer
from middleware.store.queues import EVENTS_STAGE, SLA_STAGE
from rules.model import Ticket, TicketEvent

WEEK = 7 * 86400
YEAR = 365 * 86400


def step_done(incident_id: int) -> str:
    return f"incident {incident_id}: nothing to do"


def step_fails(incident_id: int) -> None:
    raise RuntimeError(f"incident {incident_id}: Zendesk said no")


def event_done(event_data: dict[str, Any]) -> str:
    return "not critical"


def results_of(redis: Redis, job_id: str) -> int:
    return int(redis.exists(f"rq:results:{job_id}"))


def test_a_finished_event_job_leaves_only_its_dedupe_marks(redis: Redis, key_prefix: str) -> None:
    keys = Keys(key_prefix)
    enqueuer = EventEnqueuer(redis, keys, dedupe_ttl=timedelta(days=3), func="tests.store.test_job_memory.event_done")
    event = TicketEvent(id="e-1", type="created", ticket=Ticket(id=7))
    job_id = enqueuer.enqueue(event, invocation_id="inv-1").job_id
    ResilientWorker([Queue(keys.queue(EVENTS_STAGE), connection=redis)], connection=redis).work(burst=True)
    assert not redis.exists(Job.key_for(job_id)) and not results_of(redis, job_id)
    assert sorted(k.decode() for k in redis.keys(f"{key_prefix}:*")) == [
        keys("seen", "event", "e-1"), keys("seen", "invocation", "inv-1")]
    assert enqueuer.enqueue(event, invocation_id="inv-2").outcome.value == "duplicate"  # still deduped


def test_a_finished_unique_job_keeps_its_hash_but_no_result(redis: Redis, key_prefix: str) -> None:
    queue = Queue(Keys(key_prefix).queue(SLA_STAGE), connection=redis)
    job = queue.enqueue(step_done, 5, job_id=f"sla-{key_prefix}-5-step1", unique=True, result_ttl=WEEK)
    ResilientWorker([queue], connection=redis).work(burst=True)
    kept = Job.fetch(job.id, connection=redis)
    assert kept.get_status() == JobStatus.FINISHED
    assert WEEK - 60 < redis.ttl(kept.key) <= WEEK
    assert not results_of(redis, job.id)  # RQ would keep a ~4.8 KB stream of its return value
    with pytest.raises(DuplicateJobError):  # the step's id still guards against a second run
        queue.enqueue(step_done, 5, job_id=job.id, unique=True, result_ttl=WEEK)


def test_a_failed_job_is_kept_with_its_error_for_its_failure_ttl(redis: Redis, key_prefix: str) -> None:
    keys = Keys(key_prefix)
    queue = Queue(keys.queue(SLA_STAGE), connection=redis)
    job = queue.enqueue(step_fails, 5, job_id=f"sla-{key_prefix}-5-step2", result_ttl=WEEK, failure_ttl=YEAR)
    ResilientWorker([queue], connection=redis).work(burst=True)
    assert queue.failed_job_registry.get_job_ids() == [job.id]
    assert YEAR - 60 < redis.ttl(Job.key_for(job.id)) <= YEAR
    (listed,) = failed_jobs(redis, keys)
    assert listed.id == job.id and "Zendesk said no" in listed.error
