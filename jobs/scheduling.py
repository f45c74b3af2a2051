"""Putting a job off without parking a worker: used when Zendesk says 429, our budget is
spent, or Zendesk is down (the circuit breaker is open).

The running job is enqueued again, same function and arguments, after ``delay`` seconds via
RQ's scheduler. The new id is derived from the original (``…-rl2``) and enqueued with
``unique=True``, so a job that runs twice still reschedules only once per attempt. Its RQ
retries are kept: waiting for the budget or for Zendesk is not a failure of the job.

Waits are counted per reason: a job may wait for the budget ``MAX_RESCHEDULES`` times, and
for Zendesk to come back ``MAX_OUTAGE_RESCHEDULES`` times (about a day at the breaker's
longest wait), so an outage of any reasonable length loses nothing.

A job waiting for Zendesk to come back (the circuit breaker is open) is also listed in a
Redis sorted set: when the breaker closes, the worker's watcher (``jobs.zendesk_watch``) makes
every listed job due at once (:func:`wake_waiting`), so the work resumes within seconds of
Zendesk answering instead of at each job's own time, up to a minute later.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import timedelta

from redis import Redis
from rq import Queue, Retry, get_current_job
from rq.exceptions import DuplicateJobError
from rq.registry import ScheduledJobRegistry

from jobs import runtime
from middleware.store.connection import Keys
from middleware.zendesk.errors import RateLimited, TransientError

log = logging.getLogger(__name__)

_SUFFIX = re.compile(r"-rl\d+$")
MAX_RESCHEDULES = 50
MAX_OUTAGE_RESCHEDULES = 1500
RATE_LIMITED = "rate_limited"
UNAVAILABLE = "unavailable"
_CAPS = {RATE_LIMITED: MAX_RESCHEDULES, UNAVAILABLE: MAX_OUTAGE_RESCHEDULES}
WAITING_TTL_SECONDS = 86400  # the list of jobs waiting for Zendesk outlives any job's wait


def reason_of(exc: Exception) -> str:
    """Which wait a Zendesk exception asks for: the budget/429, or Zendesk coming back."""
    return UNAVAILABLE if getattr(exc, "source", None) == "breaker" or not hasattr(exc, "retry_after") else RATE_LIMITED


def wait_for(exc: Exception, delay_seconds: float | None = None) -> str | None:
    """Put the current job off for what a Zendesk exception asks (the budget, a 429, Zendesk
    down); returns the new job id, or None outside a worker (the caller then re-raises).

    ``delay_seconds`` defaults to the exception's ``retry_after``. A job put off because the
    breaker is open is listed to be woken as soon as Zendesk answers again."""
    delay = float(getattr(exc, "retry_after", 10.0)) if delay_seconds is None else delay_seconds
    return reschedule_current(delay, reason_of(exc), wake_with_zendesk=getattr(exc, "source", None) == "breaker")


def reschedule_current(delay_seconds: float, reason: str = RATE_LIMITED, *,
                       wake_with_zendesk: bool = False) -> str | None:
    """Enqueue the current job again in ``delay_seconds``; returns the new job id.

    Outside a worker (a direct call in a test or the CLI) there is nothing to reschedule and
    the caller's exception should propagate instead, so this returns None. With
    ``wake_with_zendesk`` the new job is listed for :func:`wake_waiting`.
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
    if wake_with_zendesk:
        _list_waiting(job.connection, job.origin, new_id, time.time() + delay_seconds)
    return new_id


def _waiting_key(keys: Keys) -> str:
    return keys("zendesk", "waiting")


def _list_waiting(redis: Redis, queue_name: str, job_id: str, wake_at: float) -> None:
    key = _waiting_key(runtime.get().keys)  # the deployment's key prefix
    pipe = redis.pipeline(transaction=False)
    pipe.zadd(key, {f"{queue_name}|{job_id}": wake_at})
    pipe.expire(key, WAITING_TTL_SECONDS)
    pipe.execute()


def waiting_count(redis: Redis, keys: Keys) -> int:
    """How many jobs are listed as waiting for Zendesk to come back."""
    return int(redis.zcard(_waiting_key(keys)))


def wake_waiting(redis: Redis, keys: Keys) -> int:
    """Make every job waiting for Zendesk due now (RQ's scheduler enqueues it within a second);
    returns how many were still waiting. Only jobs still in a scheduled registry are touched
    (``ZADD XX``): one that ran meanwhile is simply forgotten."""
    key = _waiting_key(keys)
    members = [m.decode() if isinstance(m, bytes) else str(m) for m in redis.zrange(key, 0, -1)]
    if not members:
        return 0
    now = time.time()
    pipe = redis.pipeline(transaction=False)
    for member in members:
        queue_name, _, job_id = member.partition("|")
        pipe.zadd(ScheduledJobRegistry(queue_name, connection=redis).key, {job_id: now}, xx=True, ch=True)
    pipe.zrem(key, *members)
    woken = sum(int(n) for n in pipe.execute()[:-1])
    if woken:
        log.info("Zendesk answers again: %d waiting jobs are due now", woken)
    return woken


def put_off_when_told(work: Callable[[], str], *, unavailable_wait: float | None = None) -> str:
    """Run a job's ``work``; when Zendesk or the budget says wait, put the job off instead.

    ``RateLimited`` (a 429, the shared budget spent, or the circuit breaker open) reschedules
    the running job for when it may go on (:func:`wait_for`), with its RQ retries intact:
    waiting is not a failure. With ``unavailable_wait``, a failed call that did not open the
    breaker (``TransientError``) is put off that many seconds too. Outside a worker the
    exception propagates. Returns ``work``'s outcome, or what was put off and until when.
    """
    try:
        return work()
    except RateLimited as exc:
        wait, source = exc.retry_after, exc.source
        new_id = wait_for(exc)
        if new_id is None:
            raise
    except TransientError as exc:
        if unavailable_wait is None:
            raise
        wait, source = unavailable_wait, "zendesk unavailable"
        new_id = wait_for(exc, wait)
        if new_id is None:
            raise
    return f"rate limited ({source}); rescheduled in {wait:.0f} s as {new_id}"
