"""Putting a job off without parking a worker: used when Zendesk says 429, our budget is
spent, or Zendesk is down (the circuit breaker is open).

The running job is enqueued again, same function and arguments, after ``delay`` seconds via
RQ's scheduler. The new id is derived from the original (``…-rl2``) and enqueued with
``unique=True``, so a job that runs twice still reschedules only once per attempt. Its RQ
retries are kept: waiting for the budget or for Zendesk is not a failure of the job.

Waits are counted per reason: a job may wait for the budget ``MAX_RESCHEDULES`` times, and
for Zendesk to come back ``MAX_OUTAGE_RESCHEDULES`` times (about a day at the breaker's
longest cooldown), so an outage of any reasonable length loses nothing.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from rq import Queue, Retry, get_current_job
from rq.exceptions import DuplicateJobError

log = logging.getLogger(__name__)

_SUFFIX = re.compile(r"-rl\d+$")
MAX_RESCHEDULES = 50
MAX_OUTAGE_RESCHEDULES = 1500
RATE_LIMITED = "rate_limited"
UNAVAILABLE = "unavailable"
_CAPS = {RATE_LIMITED: MAX_RESCHEDULES, UNAVAILABLE: MAX_OUTAGE_RESCHEDULES}


def reason_of(exc: Exception) -> str:
    """Which wait a Zendesk exception asks for: the budget/429, or Zendesk coming back."""
    return UNAVAILABLE if getattr(exc, "source", None) == "breaker" or not hasattr(exc, "retry_after") else RATE_LIMITED


def reschedule_current(delay_seconds: float, reason: str = RATE_LIMITED) -> str | None:
    """Enqueue the current job again in ``delay_seconds``; returns the new job id.

    Outside a worker (a direct call in a test or the CLI) there is nothing to reschedule and
    the caller's exception should propagate instead, so this returns None.
    """
    job = get_current_job()
    if job is None:
        return None
    counts = {name: int(job.meta.get(name, 0)) for name in _CAPS}
    counts[reason] = counts.get(reason, 0) + 1
    if counts[reason] > _CAPS.get(reason, MAX_RESCHEDULES):
        raise RuntimeError(f"job {job.id} rescheduled {counts[reason] - 1} times ({reason}); giving up")
    attempt = sum(counts.values())
    base = _SUFFIX.sub("", job.id)
    new_id = f"{base}-rl{attempt}"
    queue = Queue(job.origin, connection=job.connection)
    try:
        queue.enqueue_in(
            timedelta(seconds=max(1.0, delay_seconds)),
            job.func_name,
            args=job.args,
            kwargs=job.kwargs,
            job_id=new_id,
            unique=True,
            meta=counts,
            retry=(job.retry_intervals and Retry(max=job.retries_left or 3, interval=job.retry_intervals)) or None,
            job_timeout=job.timeout,
            result_ttl=job.result_ttl,
            failure_ttl=job.failure_ttl,
        )
    except DuplicateJobError:
        log.info("job %s already rescheduled as %s", job.id, new_id)
    return new_id
