"""Putting a job off without parking a worker: used when Zendesk says 429 or our budget is spent.

The running job is enqueued again, same function and arguments, after ``delay`` seconds via
RQ's scheduler. The new id is derived from the original (``…-rl2``) and enqueued with
``unique=True``, so a job that runs twice still reschedules only once per attempt.
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


def reschedule_current(delay_seconds: float) -> str | None:
    """Enqueue the current job again in ``delay_seconds``; returns the new job id.

    Outside a worker (a direct call in a test or the CLI) there is nothing to reschedule and
    the caller's exception should propagate instead, so this returns None.
    """
    job = get_current_job()
    if job is None:
        return None
    attempt = int(job.meta.get("rate_limited", 0)) + 1
    if attempt > MAX_RESCHEDULES:
        raise RuntimeError(f"job {job.id} rate limited {MAX_RESCHEDULES} times; giving up")
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
            meta={"rate_limited": attempt},
            retry=(job.retry_intervals and Retry(max=job.retries_left or 3, interval=job.retry_intervals)) or None,
            job_timeout=job.timeout,
            result_ttl=job.result_ttl,
            failure_ttl=job.failure_ttl,
        )
    except DuplicateJobError:
        log.info("job %s already rescheduled as %s", job.id, new_id)
    return new_id
