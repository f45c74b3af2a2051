"""``python -m middleware jobs failed`` and ``jobs retry ID|--all``: the jobs that failed for good.

A job that exhausts its retries is kept in RQ's failed registry of its queue (30 days for
events, a year for customer messages) and logged with its ticket id. ``rq info`` counts them
but names neither the ticket nor the error, and ``rq requeue`` needs each queue's name; these
commands work on this deployment's queues (its ``redis.prefix``) only, so another environment
on the same Redis is never touched.

Printed per job: id, queue, when it failed, the ticket or incident it was about, and the last
line of its error (the exception, not the traceback; any URL in it is cut to its scheme).

The commands import what they need inside their functions, so the command line starts fast
(none of these imports breaks a cycle).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from middleware.store.queues import job_subject

__all__ = ["FailedJob", "add_parsers", "failed_jobs", "retry"]

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    func: str
    failed_at: datetime | None
    about: str  # "ticket 123", "incident 5" or "" (periodic work)
    error: str

    def line(self) -> str:
        when = self.failed_at.strftime("%Y-%m-%d %H:%M UTC") if self.failed_at else "?"
        return f"{self.id}  {self.queue}  {when}  {self.about or '-'}  {self.func}: {self.error}"


def _error(job: Any) -> str:
    text = job.exc_info or ""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else "(no error recorded)"
    return _redact_urls(last)[:300]


def _redact_urls(text: str) -> str:
    """``slack://T0/B0/XX`` -> ``slack://…``: in an alert URL even the host may be a token."""
    return _URL.sub(lambda m: m.group(0).split("://", 1)[0] + "://…", text)


def failed_jobs(redis: Any, keys: Any) -> list[FailedJob]:
    """Every job in this deployment's failed registries, oldest first."""
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    found = []
    for name in keys.queues():
        registry = Queue(name, connection=redis).failed_job_registry
        for job_id in registry.get_job_ids():
            try:
                job = Job.fetch(job_id, connection=redis)
            except NoSuchJobError:
                continue  # expired between the two reads
            found.append(FailedJob(job.id, name, job.func_name, job.ended_at, job_subject(job), _error(job)))
    return sorted(found, key=lambda j: (j.failed_at is None, j.failed_at or datetime.min, j.id))


def retry(redis: Any, keys: Any, job_ids: list[str] | None) -> tuple[list[str], list[str]]:
    """Requeue these failed jobs (None: all of them) on their own queue; returns (requeued, unknown)."""
    from rq import Queue

    registries = [Queue(name, connection=redis).failed_job_registry for name in keys.queues()]
    where = {job_id: registry for registry in registries for job_id in registry.get_job_ids()}
    wanted = list(where) if job_ids is None else job_ids
    done, unknown = [], []
    for job_id in wanted:
        registry = where.get(job_id)
        if registry is None:
            unknown.append(job_id)
            continue
        registry.requeue(job_id)
        done.append(job_id)
    return done, unknown


def _connection() -> tuple[Any, Any]:
    """Redis and this deployment's names, without building a Zendesk client (not needed here)."""
    from middleware.config import load_config
    from middleware.store.connection import Keys, connect

    config = load_config()
    return connect(), Keys(config.redis_prefix)


def _cmd_failed(args: argparse.Namespace) -> int:
    redis, keys = _connection()
    jobs = failed_jobs(redis, keys)
    if not jobs:
        print(f"no failed jobs on the {keys.prefix}-* queues")
        return 0
    print(f"{len(jobs)} failed job(s) on the {keys.prefix}-* queues (retry: python -m middleware jobs retry ID|--all)")
    for job in jobs:
        print(job.line())
    return 0


def _cmd_retry(args: argparse.Namespace) -> int:
    if bool(args.ids) == bool(args.all):
        print("jobs retry: give job ids or --all (not both)", file=sys.stderr)
        return 2
    redis, keys = _connection()
    done, unknown = retry(redis, keys, None if args.all else args.ids)
    for job_id in done:
        print(f"requeued {job_id}")
    if args.all and not done:
        print("no failed jobs to retry")
    for job_id in unknown:
        print(f"jobs retry: {job_id} is not a failed job of the {keys.prefix}-* queues", file=sys.stderr)
    return 2 if unknown else 0


def add_parsers(sub: Any) -> None:
    """Add ``jobs failed`` and ``jobs retry`` to the CLI."""
    p = sub.add_parser("jobs", help="jobs that failed for good: list them, retry them")
    commands = p.add_subparsers(dest="jobs_command", required=True)
    f = commands.add_parser("failed", help="failed jobs with their ticket and error")
    f.set_defaults(func=_cmd_failed)
    r = commands.add_parser("retry", help="requeue failed jobs (by id, or --all)")
    r.add_argument("ids", nargs="*", help="job ids as `jobs failed` lists them")
    r.add_argument("--all", action="store_true", help="every failed job of this deployment")
    r.set_defaults(func=_cmd_retry)
