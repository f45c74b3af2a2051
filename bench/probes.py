"""RQ job functions the benchmarks enqueue (the workers import them by dotted name).

``noop`` is the ceiling for the end-to-end benchmark: what the same worker setup does per
second when the job itself costs nothing. ``timer_fired`` records when a scheduled job actually
ran, for the SLA timer benchmark.
"""

from __future__ import annotations

import time

from rq import get_current_job

LATENESS_KEY = "bench:timers:fired"


def noop() -> None:
    """Nothing: the job rate is then RQ's own dequeue/run/finish overhead."""
    return None


def timer_fired(due_epoch: float) -> float:
    """Record (due, ran) for a timer job; returns the lateness in seconds."""
    ran = time.time()
    job = get_current_job()
    if job is not None:
        job.connection.rpush(LATENESS_KEY, f"{due_epoch:.6f} {ran:.6f} {job.id}")
    return ran - due_epoch
