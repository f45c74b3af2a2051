"""The SLA's RQ jobs: a timer per step of a clock, the follow-up jobs, and how each of them runs.

Timers are only wake-up calls: the clock in Redis says what is due, so a timer that fires twice,
late, or after the clock stopped finds nothing to do. Each job id is unique per clock, generation
and step, so scheduling the same step twice queues it once. The dotted names below are stored
in Redis with every queued job: they are a contract with jobs queued by earlier releases (see
``middleware.store.queues.RENAMED``).
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rq import Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from jobs import runtime
from jobs.runtime import Runtime
from jobs.scheduling import put_off_when_told
from middleware.store import queues
from middleware.store.clocks import Clock

log = logging.getLogger(__name__)

__all__ = ["CHECK", "SETTLE", "SYNC", "cancel_step", "enqueue_once", "enqueue_sync", "run_job", "schedule_step"]

CHECK = "jobs.sla.clock.check"  # a step is due
SETTLE = "jobs.sla.clock.settle_job"  # the ticket was solved while the clock ran
SYNC = "jobs.sla.writeback.sync"  # write the clock's new transitions onto the ticket

JOB_RETRY = (5, [10, 30, 60])  # RQ Retry(max, interval): an abandoned or failed job runs again
KEEP_JOB_SECONDS = 7 * 24 * 3600  # a timer's unique id lasts this long after it ran
FAILURE_TTL_SECONDS = 365 * 86400  # a step that failed for good stays listed (jobs failed), as alerts do
_JOB_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def run_job(what: str, incident_id: int, action: Callable[[Runtime], str]) -> str:
    """Run one SLA job; a 429 puts it off by Zendesk's ``Retry-After`` instead of failing it."""
    rt = runtime.get()
    outcome = put_off_when_told(lambda: action(rt))
    log.info("incident %s: SLA %s: %s", incident_id, what, outcome)
    return outcome


def _job_id(rt: Runtime, clock: Clock, what: str) -> str:
    """``sla-{prefix}-{incident}-{generation}-{what}``, with only the characters RQ allows."""
    return _JOB_ID_UNSAFE.sub("_", f"sla-{rt.keys.prefix}-{clock.incident_id}-{clock.generation}-{what}")


def _retry() -> Retry:
    return Retry(max=JOB_RETRY[0], interval=JOB_RETRY[1])


def schedule_step(rt: Runtime, clock: Clock) -> None:
    """Schedule the job for the clock's next step (once: the id is unique per clock and step).

    It is scheduled at the next whole second: the scheduler compares whole seconds, and a job
    that ran a moment early would find its step not yet due. No ``ttl``: a job whose ttl is
    shorter than its delay silently never runs.
    """
    if clock.next_step is None:
        return
    when = datetime.fromtimestamp(math.ceil(clock.step_at(clock.next_step).timestamp()), UTC)
    with contextlib.suppress(DuplicateJobError):  # already scheduled
        queues.queue(queues.SLA_STAGE, rt.redis, rt.keys).enqueue_at(
            when, CHECK, clock.incident_id, clock.next_step,
            job_id=_job_id(rt, clock, f"step{clock.next_step}"), unique=True, retry=_retry(),
            result_ttl=KEEP_JOB_SECONDS, failure_ttl=FAILURE_TTL_SECONDS, job_timeout=300,
        )


def cancel_step(rt: Runtime, clock: Clock) -> None:
    """Unschedule the clock's waiting timer. One already moved to the queue (or running: the
    timer that found a missed reply) is left alone and will find nothing to do."""
    job_id = _job_id(rt, clock, f"step{clock.next_step}")
    if ScheduledJobRegistry(rt.keys.queue(queues.SLA_STAGE), connection=rt.redis).remove(job_id):
        with contextlib.suppress(NoSuchJobError):
            Job.fetch(job_id, connection=rt.redis).delete()


def enqueue_sync(rt: Runtime, clock: Clock | None, seq: int | None) -> None:
    """A job that writes the clock's new transition(s) to Zendesk, apart from the event's job,
    so a slow or rate-limited Zendesk never holds up triage."""
    if clock is not None:
        enqueue_once(rt, clock, f"sync{seq or clock.seq}", SYNC, clock.incident_id)


def enqueue_once(rt: Runtime, clock: Clock, what: str, func: str, *args: Any) -> None:
    """Queue ``func`` for the clock now, once per clock, generation and ``what``."""
    with contextlib.suppress(DuplicateJobError):  # already queued
        queues.queue(queues.SLA_STAGE, rt.redis, rt.keys).enqueue(
            func, *args, job_id=_job_id(rt, clock, what), unique=True, retry=_retry(),
            result_ttl=KEEP_JOB_SECONDS, failure_ttl=FAILURE_TTL_SECONDS, job_timeout=300,
        )
