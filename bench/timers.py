"""Benchmark 4, SLA timers: how late do 200 timers due within a few seconds of each other run?

Timers are scheduled exactly as ``jobs.sla.timers.schedule_step`` schedules an SLA step: on the
``cim-sla`` queue with ``enqueue_at`` at a whole second, a unique job id, a ``Retry``, no
``ttl``. The job is a probe (``bench.probes.timer_fired``) that records when it actually ran,
so the figure is the timer machinery's own lateness (RQ's scheduler moving due jobs + a real
worker picking them up), not the SLA logic's run time. The worker is the product's own
``python -m middleware worker`` (scheduler included), started by ``middleware.local.stack``.

Two rounds: an idle worker, then a worker busy with a backlog of event jobs when the timers
fall due (the SLA queue is served first, so a backlog should not delay them much).
Lateness = time the job started - its due time (whole-second due times, as SLA steps use).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import time
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError

from bench.common import Report, fmt, private_redis, redis_client, summary, wait_for
from bench.probes import LATENESS_KEY
from bench.workload import KEYS
from middleware.local.stack import Stack, running_stack
from middleware.store import queues

NAME = "timers"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timers", type=int, default=200, help="timers per round (default 200)")
    parser.add_argument("--spread", type=float, default=3.0, help="due times spread over this many s (default 3)")
    parser.add_argument("--lead", type=float, default=4.0, help="first due time this many s ahead (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2, as in e2e)")
    parser.add_argument("--backlog", type=int, default=1500,
                        help="no-op event jobs queued for the busy round (default 1500; 0 skips it)")


def schedule_timers(r: Redis, count: int, lead: float, spread: float, tag: str) -> list[float]:
    """``count`` timers due on whole seconds between now+lead and now+lead+spread."""
    queue = Queue(KEYS.queue(queues.SLA_STAGE), connection=r)
    now = time.time()
    rng = random.Random(count)
    dues = []
    for n in range(count):
        due = math.ceil(now + lead + rng.random() * spread)
        dues.append(float(due))
        with contextlib.suppress(DuplicateJobError):
            queue.enqueue_at(datetime.fromtimestamp(due, UTC), "bench.probes.timer_fired", float(due),
                             job_id=f"bench-timer-{tag}-{n}", unique=True, retry=Retry(max=5, interval=[10, 30, 60]),
                             result_ttl=600, failure_ttl=600, job_timeout=300)
    return dues


def fired(r: Redis) -> list[tuple[float, float]]:
    out = []
    for raw in r.lrange(LATENESS_KEY, 0, -1):
        due, ran, _ = raw.decode().split(" ", 2)
        out.append((float(due), float(ran)))
    return out


def one_round(stack: Stack, r: Redis, args: argparse.Namespace, tag: str, backlog: int) -> dict[str, Any]:
    r.delete(LATENESS_KEY)
    dues = schedule_timers(r, args.timers, args.lead, args.spread, tag)
    if backlog:
        # The backlog lands about a second before the first timer is due and lasts past the last.
        time.sleep(max(0.0, min(dues) - time.time() - 1.0))
        queue = Queue(KEYS.queue(queues.EVENTS_STAGE), connection=r)
        queue.enqueue_many([Queue.prepare_data("bench.probes.noop", result_ttl=60) for _ in range(backlog)])
    wait_for(lambda: r.llen(LATENESS_KEY) >= args.timers, args.lead + args.spread + 60, interval=0.1,
             what=f"{args.timers} timers to fire")
    backlog_left = r.llen(f"rq:queue:{KEYS.queue(queues.EVENTS_STAGE)}")
    records = fired(r)
    lateness = [ran - due for due, ran in records]
    stats = summary(lateness, 1, 3)
    return {"timers": args.timers, "fired": len(records), "distinct_due_seconds": len(set(dues)),
            "backlog_jobs": backlog, "backlog_left_when_last_timer_ran": backlog_left, "lateness_s": stats,
            "early": sum(1 for v in lateness if v < 0)}


def run(args: argparse.Namespace) -> Report:
    report = Report.of_run(NAME, args)
    logs = report.keep_logs()
    with report.timed(), private_redis() as redis_url, \
            running_stack(redis_url=redis_url, worker=False, log_dir=logs) as stack:
        r = redis_client(redis_url)
        stack.start_worker("worker", ("--processes", str(args.workers)) if args.workers > 1 else ())
        # Up when the worker has registered and its scheduler holds the queue locks.
        sla_lock = f"rq:scheduler-lock:{KEYS.queue(queues.SLA_STAGE)}"
        wait_for(lambda: r.scard("rq:workers") >= args.workers and r.exists(sla_lock),
                 30, interval=0.1, what="the worker and its scheduler")
        rounds = {"idle": one_round(stack, r, args, "idle", 0)}
        if args.backlog:
            rounds["busy"] = one_round(stack, r, args, "busy", args.backlog)
        report.results["rounds"] = rounds
    for name, res in report.results.get("rounds", {}).items():
        lat = res["lateness_s"]
        report.target(f"SLA timer lateness p99 ({name} worker)", "<= 2 s",
                      f"p50 {fmt(lat.get('p50'), 2)} s, p99 {fmt(lat.get('p99'), 2)} s, max {fmt(lat.get('max'), 2)} s",
                      f"{res['fired']}/{res['timers']} fired, due over {res['distinct_due_seconds']} whole seconds; "
                      f"RQ scheduler polls every 1 s" + (f"; {res['backlog_jobs']} event jobs queued" if name == "busy"
                                                          else ""),
                      res["fired"] == res["timers"] and lat.get("p99", 1e9) <= 2)
    return report
