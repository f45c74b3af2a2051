"""``python -m middleware worker``: RQ workers with the scheduler, on all the product's queues.

Why SimpleWorker: a forking worker pays a fork per job (it ran a third as many no-op jobs a
second: docs/benchmarks.md), and our jobs are short, I/O-bound and idempotent. Every job runs in
the worker process itself, which also keeps the compiled rules and the Zendesk HTTP connection
warm across jobs. A job that raises is caught by RQ and retried; isolation from crashes comes
from running several worker processes (``--processes``) under a supervisor. The worker class
is :class:`~middleware.resilient_worker.ResilientWorker`, a SimpleWorker that heartbeats its
running job so a killed worker's job is retried within seconds, and that restarts a dead
scheduler within seconds of Redis coming back.

Periodic work (SLA audit, reconcile, reminders, reports) is enqueued by a small ticker thread
in each worker with one unique job id per period, so any number of workers produce it once.
A second thread watches Zendesk's health (``jobs.zendesk_watch``): during an outage it probes
every few seconds, and once Zendesk answers it wakes the jobs that were waiting for it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from rq import Queue
from rq.exceptions import DuplicateJobError
from rq.worker_pool import WorkerPool

from jobs import runtime, zendesk_watch
from jobs.staff_roster import EVERY_SECONDS as ROSTER_EVERY
from middleware.resilient_worker import ResilientWorker
from middleware.store import queues
from middleware.store.connection import Keys, connect, redis_url
from rules import accel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    """A job run every ``every_seconds`` by whichever worker gets there first."""

    func: str
    every_seconds: int
    stage: str = queues.MAINTENANCE_STAGE  # the queue, named per deployment (Keys.queue)
    at_front: bool = False  # ahead of what is already queued (work the backlog depends on)


def periodic_jobs() -> list[Periodic]:
    """The product's periodic jobs (each stage adds its own line here)."""
    return [
        Periodic("jobs.sla.audit.run", 60, queues.SLA_STAGE),  # overdue SLA steps and unwritten SLA updates
        Periodic("jobs.report.reminders.remind", 900, queues.LIFECYCLE_STAGE),  # overdue reviews/actions, daily each
        Periodic("jobs.report.delivery.weekly", 3600, queues.LIFECYCLE_STAGE),  # the lead-team report, once a week
        Periodic("jobs.reconcile.run", 60),  # missed webhooks; runs every reconcile.every (config)
        Periodic("jobs.alert_order.sweep", 60, queues.ALERTS_STAGE),  # an alert line never stays stuck
        # Agents and admins cached before a backlog of events is triaged (staff reports, no reads).
        Periodic("jobs.staff_roster.refresh", ROSTER_EVERY, queues.EVENTS_STAGE, at_front=True),
    ]


def enqueue_periodic(redis: Redis, keys: Keys, jobs: Sequence[Periodic], now: float | None = None) -> list[str]:
    """Enqueue each periodic job once for the current period; duplicates are expected. The job
    id carries the prefix: another deployment on the same Redis runs its own."""
    now = time.time() if now is None else now
    made = []
    for p in jobs:
        slot = int(now // p.every_seconds)
        job_id = keys.job_id("periodic", p.func.replace(".", "_"), slot)
        try:
            queues.queue(p.stage, redis, keys).enqueue(
                p.func, job_id=job_id, unique=True, result_ttl=max(p.every_seconds * 3, 600),
                failure_ttl=86400, job_timeout=max(p.every_seconds * 5, 300), at_front=p.at_front,
            )
            made.append(job_id)
        except DuplicateJobError:
            pass
    return made


def _ticker(url: str, keys: Keys, stop: threading.Event, jobs: Sequence[Periodic]) -> None:
    redis = connect(url)
    while not stop.is_set():
        try:
            enqueue_periodic(redis, keys, jobs)
        except Exception:
            log.warning("could not enqueue periodic jobs; will try again", exc_info=True)
        stop.wait(5)


def worker_name(keys: Keys) -> str:
    """``<prefix>-<host>-<pid>-<random>``: RQ registers workers as ``rq:worker:<name>``, so the
    prefix makes a deployment's workers recognisable on a shared Redis."""
    return f"{keys.prefix}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class PrefixedWorkerPool(WorkerPool):
    """RQ's pool names its workers by a bare uuid; ours carry the deployment's prefix, like the
    single worker's (:func:`worker_name`), so ``rq:worker:…`` tells whose a worker is."""

    def __init__(self, *args: Any, prefix: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prefix = prefix

    def get_worker_process(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return super().get_worker_process(f"{self.prefix}-{name}", *args, **kwargs)


def run(url: str | None = None, *, burst: bool = False, processes: int = 1, log_level: str = "INFO") -> None:
    """Run worker(s) until stopped (SIGINT/SIGTERM) or, with ``burst``, until queues are empty."""
    url = url or redis_url()
    keys = runtime.get().keys  # load and check the config now: a broken config stops start-up, not a job
    names = keys.queues()
    # Which code decides (the C speedups or the Python they stand in for): a warning where unbuilt.
    log.log(logging.INFO if accel.native is not None else logging.WARNING, "rules: %s", accel.status())
    stop = threading.Event()
    jobs = periodic_jobs()
    if jobs and not burst:
        threading.Thread(target=_ticker, args=(url, keys, stop, jobs), name="periodic", daemon=True).start()
    if not burst:
        threading.Thread(target=zendesk_watch.run, args=(stop,), name="zendesk-watch", daemon=True).start()
    redis = connect(url)
    started = datetime.now(UTC)
    try:
        if processes <= 1:
            worker = ResilientWorker([Queue(n, connection=redis) for n in names], connection=redis,
                                     name=worker_name(keys))
            worker.work(burst=burst, with_scheduler=True, logging_level=log_level)
        else:
            pool = PrefixedWorkerPool(names, connection=redis, num_workers=processes,
                                      worker_class=ResilientWorker, prefix=keys.prefix)
            pool.start(burst=burst, logging_level=log_level)
    finally:
        stop.set()
        log.info("worker stopped after %s", datetime.now(UTC) - started)
