"""Chaos suite: the running stack under faults, checked for lost, duplicated and 5xx answers.

``python -m bench chaos`` (``make chaos``) runs every scenario, each on its own fresh stack
(a private redis-server with AOF, the Zendesk simulator, gunicorn with 2 sync workers, the
product's worker), all on 127.0.0.1, and stops by itself. Each scenario prints

    sent / flagged / duplicated / lost / 5xx

plus its own figures, and the command exits 1 on any loss, duplicate or 5xx (a 503 with
``Retry-After`` is the documented "retry later" and is counted apart), or when a scenario's
own check fails. ``--scenario NAME`` (repeatable) runs a subset; ``--quick`` shortens the
long ones (the Zendesk outage then does not outlast RQ's retry schedule: say so when quoting
it). What each scenario proves, and the last figures: docs/reliability.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import signal
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

from redis import Redis
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job

from bench.chaos_support import (
    CRITICAL_DESCRIPTION,
    CRITICAL_SUBJECT,
    AlertSink,
    ChaosRedis,
    Poster,
    Tally,
    critical_ticket,
    outcome,
    sample_event,
    wait_flagged,
    wait_until,
    webhook_server_errors,
)
from bench.common import Report, log_dir, process_tree
from bench.workload import KEYS, budget_config
from middleware.local.simulator import SimulatorControl
from middleware.local.stack import Stack, running_stack
from middleware.store import queues
from middleware.store.incidents import IncidentStore

NAME = "chaos"
RECOVERY_CEILING_SECONDS = 15  # after an outage: a probe every 2-5 s, then the waiting work is woken at once
INTAKE_TOKEN = "chaos-intake-token"
OUR_QUEUES = KEYS.queues()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS), default=None,
                        help="run only this scenario (repeatable); default: all")
    parser.add_argument("--quick", action="store_true",
                        help="shorter runs (the outage lasts 60 s, fewer tickets and hostile requests)")
    parser.add_argument("--outage-seconds", type=float, default=None,
                        help="how long Zendesk answers 5xx (default 260: longer than RQ's ~4 min retry schedule)")
    parser.add_argument("--hostile", type=int, default=None, help="hostile requests (default 10,000)")
    parser.add_argument("--processes", type=int, default=1,
                        help="worker processes (python -m middleware worker --processes N) in every scenario's "
                             "stack (default 1; pool-kill uses at least 2)")


# ---------------------------------------------------------------------------------------------
# One stack per scenario
# ---------------------------------------------------------------------------------------------
WORKER_PROCESSES = {"n": 1}  # --processes, for every scenario's stack (set by run())


@contextmanager
def chaos_stack(name: str, *, config: Path | None = None, env: dict[str, str] | None = None,
                processes: int | None = None) -> Iterator[tuple[Stack, SimulatorControl, ChaosRedis]]:
    processes = processes or WORKER_PROCESSES["n"]
    redis = ChaosRedis()
    redis.start()
    logs = log_dir(f"chaos-{name}")
    try:
        with running_stack(redis_url=redis.url, config_path=str(config) if config else None, log_dir=logs,
                           worker=False, extra_env={"INTAKE_TOKEN": INTAKE_TOKEN, **(env or {})}) as stack:
            stack.start_worker(extra_args=("--processes", str(processes)))
            with SimulatorControl(stack.simulator_url) as sim:
                yield stack, sim, redis
    finally:
        redis.close()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def rq_counts(redis_url: str) -> dict[str, int]:
    """Failed, scheduled and running jobs over the product's queues."""
    r = Redis.from_url(redis_url)
    try:
        counts: Counter[str] = Counter()
        for name in OUR_QUEUES:
            q = Queue(name, connection=r)
            counts["failed"] += q.failed_job_registry.count
            counts["scheduled"] += q.scheduled_job_registry.count
            counts["running"] += r.zcard(f"rq:wip:{name}")
        return dict(counts)
    finally:
        r.close()


def finish(t: Tally, sim: SimulatorControl, result: Any, *, sent: int) -> None:
    t.sent = sent
    t.flagged, t.duplicated, t.lost = len(result.flagged), len(result.duplicated), len(result.lost)
    other, unavailable = webhook_server_errors(sim)
    t.server_errors += other
    if unavailable:
        t.extra["503 with Retry-After"] = unavailable


def incidents_recorded_as_manual(redis_url: str, ticket_ids: list[int]) -> int:
    r = Redis.from_url(redis_url)
    try:
        store = IncidentStore(r, KEYS)
        return sum(1 for tid in ticket_ids if (inc := store.get(tid)) is not None and inc.rules == ["manual"])
    finally:
        r.close()


# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------
def outage(args: argparse.Namespace) -> Tally:
    seconds = args.outage_seconds or (60.0 if args.quick else 260.0)
    t = Tally("zendesk-outage", f"Zendesk answering 503 to every call for {seconds:.0f} s "
              "(RQ's retry schedule is ~4 min): the work waits behind the circuit breaker, spends no "
              "retry, and every critical ticket is flagged within seconds of Zendesk coming back")
    with chaos_stack("outage") as (stack, sim, _redis):
        sim.add_fault(503, path_regex=r"^/api/v2/")
        ids = [critical_ticket(sim, n) for n in range(3)]
        started = time.monotonic()
        failed_during = 0
        while time.monotonic() - started < seconds:
            time.sleep(5)
            failed_during = max(failed_during, rq_counts(stack.redis_url).get("failed", 0))
        calls = sim.requests_log()["total"]
        sim.clear_faults()
        back = time.monotonic()
        result = wait_flagged(sim, ids, timeout=240)
        recovery = time.monotonic() - back
        t.extra["Zendesk calls during the outage"] = calls
        t.extra["flagged after Zendesk came back (s)"] = round(recovery, 1)
        t.extra["jobs in the failed registry"] = failed_during
        if not result.lost and recovery > RECOVERY_CEILING_SECONDS:
            t.failures.append(f"flagged {recovery:.0f} s after Zendesk came back "
                              f"(ceiling {RECOVERY_CEILING_SECONDS} s)")
        if failed_during:
            t.failures.append(f"{failed_during} jobs ended in the failed registry during the outage")
        finish(t, sim, result, sent=len(ids))
    return t


def lost_writes(args: argparse.Namespace) -> Tally:
    n = 5 if args.quick else 10
    t = Tally("lost-write", "Zendesk applies our flagging write but the answer is lost (504 after the write): "
              "the retry's 409 is recognised as our own write (audit author), the incident keeps the "
              "rules' reasons, nothing is written twice")
    with chaos_stack("lost-write") as (stack, sim, _redis):
        sim.add_fault(504, method="PUT", path_regex=r"^/api/v2/tickets/\d+(\.json)?$", after=True, count=n)
        ids = [critical_ticket(sim, k) for k in range(n)]
        result = wait_flagged(sim, ids, timeout=120)
        manual = incidents_recorded_as_manual(stack.redis_url, ids)
        t.extra["answers lost"] = sum(1 for r in sim.requests_log()["requests"] if r["status"] == 504)
        t.extra["incidents taken for an agent's flag"] = manual
        if manual:
            t.failures.append(f"{manual} incidents recorded as flagged by an agent (rules: manual)")
        finish(t, sim, result, sent=n)
    return t


def budget_burst(args: argparse.Namespace) -> Tally:
    n, per_minute = (10, 20) if args.quick else (25, 30)
    t = Tally("budget-burst", f"{n} critical tickets from {n} organisations on a {per_minute}/min budget: "
              "the alert fan-out waits for the budget instead of falling back, every organisation's "
              "own Engagement Director is alerted once, none of them the default")
    sink = AlertSink()
    tmp = log_dir("chaos-budget-config")
    config = budget_config(tmp, per_minute)
    env = {"ALERT_HEAD_OF_SUPPORT_URLS": sink.url("hos"), "ALERT_ENGAGEMENT_DIRECTOR_URLS": sink.url("default-ed")}
    try:
        with chaos_stack("budget", config=config, env=env) as (stack, sim, _redis):
            orgs = [sim.create_organization(f"Customer {k}", organization_fields={
                "engagement_director": sink.url(f"ed-{k}")})["id"] for k in range(n)]
            ids = [critical_ticket(sim, k, organization_id=org) for k, org in enumerate(orgs)]
            result = wait_flagged(sim, ids, timeout=60 + n * 4 * 60 / per_minute)

            def directors() -> list[str]:
                return [p for p in sink.paths() if p.startswith("/ed-")]

            with suppress(TimeoutError):
                wait_until(lambda: len(set(directors())) >= n, 60 + n * 4 * 60 / per_minute, "every director")
            told = directors()
            fallback = sink.paths().count("/default-ed")
            t.extra["directors alerted"] = f"{len(set(told))} of {n}"
            t.extra["default director used"] = fallback
            order = [int(p.split("-")[1]) for p in told]
            t.extra["director alerts, in ticket order"] = " ".join(map(str, order))
            declared = declaration_order(stack.redis_url, ids)
            t.extra["declared, in ticket order"] = " ".join(str(ids.index(tid)) for tid in declared)
            # One destination (the Head of Support) gets its alerts strictly in order. The directors
            # are 25 destinations: their fan-outs go in order, but with several worker processes
            # their deliveries run side by side, so their order is checked with one process only.
            strict = {"Head of Support": True, "directors": WORKER_PROCESSES["n"] == 1}
            for who, path in (("Head of Support", "/hos"), ("directors", None)):
                got = (sink.tickets(path, "Critical incident declared") if path else
                       [ids[k] for k in order])
                out_of_order = inversions(got, declared)
                t.extra[f"{who}: alerts out of declaration order"] = f"{out_of_order} of {len(got)}"
                if out_of_order and strict[who]:
                    t.failures.append(f"{out_of_order} alerts to the {who} out of declaration order")
            if fallback:
                t.failures.append(f"the default director was alerted {fallback} times instead of the customer's")
            if len(set(told)) < n:
                t.failures.append(f"{n - len(set(told))} directors never alerted")
            finish(t, sim, result, sent=n)
            t.duplicated += len(told) - len(set(told))
    finally:
        sink.close()
    return t


def declaration_order(redis_url: str, ticket_ids: list[int]) -> list[int]:
    """The tickets whose incidents are recorded, in the order they were declared."""
    r = Redis.from_url(redis_url)
    try:
        store = IncidentStore(r, KEYS)
        declared = [(inc.declared_at, tid) for tid in ticket_ids if (inc := store.get(tid)) is not None]
        return [tid for _, tid in sorted(declared)]
    finally:
        r.close()


def inversions(received: list[int], expected: list[int]) -> int:
    """How many alerts arrived after one that should have come after them."""
    rank = {tid: k for k, tid in enumerate(expected)}
    ranks = [rank[t] for t in received if t in rank]
    return sum(1 for k in range(1, len(ranks)) if ranks[k] < max(ranks[:k]))


def worker_kill(args: argparse.Namespace) -> Tally:
    n = 20 if args.quick else 50
    t = Tally("worker-sigkill", f"{n} critical tickets, the worker SIGKILLed mid-burst (jobs in flight): its "
              "jobs are retried within seconds, the dead worker stops being listed, each ticket flagged once")
    with chaos_stack("worker-kill") as (stack, sim, _redis):
        sim.add_fault(latency_ms=300, method="PUT")  # writes in flight when the worker dies
        ids = [critical_ticket(sim, k) for k in range(n)]
        wait_until(lambda: len(outcome(sim, ids[: n // 4]).flagged) >= 3, 120, "the first flags")
        r = Redis.from_url(stack.redis_url)
        wait_until(lambda: sum(r.zcard(f"rq:wip:{q}") for q in OUR_QUEUES) > 0, 30, "a job in flight")
        dead = {w.name for w in Worker.all(connection=r)}
        proc = stack.processes.pop("worker")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        killed_at = time.monotonic()
        # What the dead worker left registered as running: nobody will ever finish these.
        abandoned = {(q, m) for q in OUR_QUEUES for m in r.zrange(f"rq:wip:{q}", 0, -1)}
        t.extra["jobs in flight when killed"] = len(abandoned)
        stack.start_worker("worker-2")
        wait_until(lambda: not any(r.zscore(f"rq:wip:{q}", m) is not None for q, m in abandoned), 180,
                   "the killed worker's jobs retried")
        t.extra["abandoned jobs retried after (s)"] = round(time.monotonic() - killed_at, 1)
        wait_until(lambda: not (dead & {w.name for w in Worker.all(connection=r)}), 120, "dead worker unlisted")
        t.extra["dead worker unlisted after (s)"] = round(time.monotonic() - killed_at, 1)
        if not abandoned:
            t.failures.append("no job was in flight when the worker was killed: nothing tested")
        result = wait_flagged(sim, ids, timeout=180)
        r.close()
        finish(t, sim, result, sent=n)
    return t


def pool_kill(args: argparse.Namespace) -> Tally:
    processes = max(2, args.processes)
    n = 20 if args.quick else 50
    t = Tally("pool-sigkill", f"{n} critical tickets on `worker --processes {processes}`; one worker process "
              "SIGKILLed mid-burst with a job in flight: the pool starts a new process, the others retry the "
              "killed one's job within seconds, each ticket flagged once")
    with chaos_stack("pool-kill", processes=processes) as (stack, sim, _redis):
        sim.add_fault(latency_ms=300, method="PUT")  # writes in flight when the process dies
        ids = [critical_ticket(sim, k) for k in range(n)]
        wait_until(lambda: len(outcome(sim, ids[: n // 4]).flagged) >= 3, 120, "the first flags")
        r = Redis.from_url(stack.redis_url)

        def busy_worker() -> Worker | None:
            return next((w for w in Worker.all(connection=r) if w.pid and w.get_current_job_id()), None)

        victim = wait_until(busy_worker, 30, "a worker process with a job in flight", interval=0.05)
        before = {w.name for w in Worker.all(connection=r)}
        os.kill(victim.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        victim.refresh()  # what it was running when it died: it can no longer change that
        in_flight = victim.get_current_job_id()
        t.extra["worker processes"] = processes
        t.extra["job in flight when killed"] = in_flight
        if in_flight is None:
            t.failures.append("the killed process had no job in flight: nothing tested")

        def retried() -> bool:
            """No longer registered as running (by the dead process), and done by another."""
            wip = [_text(m) for q in OUR_QUEUES for m in r.zrange(f"rq:wip:{q}", 0, -1)]
            if any(m.startswith(in_flight or "-") for m in wip):
                return False
            with suppress(NoSuchJobError):
                return Job.fetch(in_flight or "-", connection=r).get_status() == "finished"
            return False

        checks = {"its job retried and done after (s)": retried if in_flight else lambda: True,
                  "new process started after (s)": lambda: bool({w.name for w in Worker.all(connection=r)} - before),
                  "killed process unlisted after (s)": lambda: victim.name not in
                  {w.name for w in Worker.all(connection=r)}}
        seen: dict[str, float] = {}
        deadline = killed_at + 180
        while len(seen) < len(checks) and time.monotonic() < deadline:
            for what, check in checks.items():
                if what not in seen and check():
                    seen[what] = round(time.monotonic() - killed_at, 1)
            time.sleep(0.2)
        for what in checks:
            t.extra[what] = seen.get(what, "never (180 s)")
            if what not in seen:
                t.failures.append(f"{what.removesuffix(' after (s)')}: not within 180 s")
        result = wait_flagged(sim, ids, timeout=180)
        alive = len(Worker.all(connection=r))
        t.extra["worker processes at the end"] = alive
        if alive != processes:
            t.failures.append(f"{alive} worker processes at the end, not {processes}")
        r.close()
        finish(t, sim, result, sent=n)
    return t


def redis_restart(args: argparse.Namespace) -> Tally:
    n = 10
    t = Tally("redis-restart", "Redis (AOF on) restarted while jobs wait in RQ's scheduler (429s) and webhooks "
              "arrive: webhooks get 503 + Retry-After and are retried, the scheduler is back within seconds, "
              "every ticket flagged once")
    with chaos_stack("redis-restart") as (stack, sim, redis):
        sim.add_fault(429, retry_after=4, method="PUT", count=n)
        ids = [critical_ticket(sim, k) for k in range(n // 2)]
        r = Redis.from_url(stack.redis_url)
        wait_until(lambda: rq_counts(stack.redis_url).get("scheduled", 0) > 0, 60, "jobs waiting in the scheduler")
        r.close()
        redis.stop()
        ids += [critical_ticket(sim, k) for k in range(n // 2, n)]  # their webhooks meet a Redis that is away
        time.sleep(3)
        redis.start()
        back = time.monotonic()
        r = Redis.from_url(stack.redis_url)
        probe = Queue(KEYS.queue(queues.MAINTENANCE_STAGE), connection=r).enqueue_in(timedelta(seconds=1), "time.sleep",
                                                                                    0)
        wait_until(lambda: probe.get_status(refresh=True) == "finished", 120, "a job scheduled after the restart")
        t.extra["scheduler running again after (s)"] = round(time.monotonic() - back, 1)
        r.close()
        result = wait_flagged(sim, ids, timeout=180)
        finish(t, sim, result, sent=n)
    return t


def redis_stall(args: argparse.Namespace) -> Tally:
    n = 32
    t = Tally("redis-stall", f"Redis paused (SIGSTOP) under {n} concurrent deliveries to 2 sync gunicorn workers: "
              "every answer is a 503 within Zendesk's 10 s, and once Redis resumes the same deliveries are "
              "accepted (none lost)")
    with chaos_stack("redis-stall") as (stack, _sim, redis):
        poster = Poster(stack.web_url, stack.env["ZENDESK_WEBHOOK_SECRET"])
        bodies = [sample_event(900000 + k, f"stall-{k}") for k in range(n)]
        poster.webhook(sample_event(899999, "warm-up"))
        redis.pause()
        try:
            with concurrent.futures.ThreadPoolExecutor(n) as pool:
                answers = list(pool.map(lambda b: poster.webhook(b, invocation_id=None), bodies))
        finally:
            redis.resume()
        statuses = Counter(s for s, _ in answers)
        slowest = max(d for _, d in answers)
        t.extra["answers while stalled"] = dict(statuses)
        t.extra["slowest answer (s)"] = round(slowest, 2)
        over = sum(1 for _, d in answers if d > 10)
        t.extra["answers over 10 s"] = over
        if over:
            t.failures.append(f"{over} answers took over 10 s")
        t.server_errors = sum(c for s, c in statuses.items() if s >= 500 and s != 503)
        time.sleep(4)  # past the web gate's cooldown: the retry probes Redis again
        retried = [poster.webhook(b)[0] for b in bodies]
        accepted = sum(1 for s in retried if s in (200, 202))
        t.sent, t.flagged = n, 0
        t.lost = n - accepted
        t.extra["accepted on Zendesk's retry"] = accepted
    return t


def storm_429(args: argparse.Namespace) -> Tally:
    n, limit = (8, 5) if args.quick else (20, 10)
    t = Tally("429-storm", f"Zendesk's own limit at {limit} requests/min under {n} critical tickets: every 429 "
              "reschedules its job at Retry-After, each ticket flagged once")
    with chaos_stack("429-storm") as (_stack, sim, _redis):
        sim.rate_limit(limit)
        ids = [critical_ticket(sim, k) for k in range(n)]
        result = wait_flagged(sim, ids, timeout=120 + n * 60 / limit)
        t.extra["429 answers"] = sim.requests_log()["by_status"].get("429", 0)
        if not t.extra["429 answers"]:
            t.failures.append("Zendesk never answered 429: nothing tested")
        finish(t, sim, result, sent=n)
    return t


def agent_edits(args: argparse.Namespace) -> Tally:
    n = 10
    t = Tally("agent-edits", f"{n} critical tickets each edited by an agent while we flag them: the 409 is "
              "re-read and re-decided, the agent's tags are kept, each ticket flagged once")
    with chaos_stack("agent-edits") as (_stack, sim, _redis):
        sim.add_fault(latency_ms=400, method="PUT", count=n)  # our writes land after the agents'
        ids = []
        for k in range(n):
            tid = critical_ticket(sim, k)
            sim.update(tid, additional_tags=[f"agent_edit_{k}"])
            ids.append(tid)
        result = wait_flagged(sim, ids, timeout=120)
        kept = sum(1 for k, tid in enumerate(ids) if f"agent_edit_{k}" in sim.get_ticket(tid)["ticket"]["tags"])
        t.extra["agents' tags kept"] = f"{kept} of {n}"
        t.extra["409 answers"] = sim.requests_log()["by_status"].get("409", 0)
        if kept < n:
            t.failures.append(f"{n - kept} agents' tags lost")
        finish(t, sim, result, sent=n)
    return t


def gunicorn_kill(args: argparse.Namespace) -> Tally:
    n = 40
    t = Tally("gunicorn-kill", f"both gunicorn workers SIGKILLed mid-request while {n} critical tickets' "
              "webhooks arrive: a cut request never got a 2xx, so Zendesk's retry brings it; gunicorn "
              "replaces the workers and serves the backlog; each ticket flagged once")
    with chaos_stack("gunicorn-kill") as (stack, sim, _redis):
        sim.pause_webhooks()  # this scenario delivers the events itself, to cut some mid-request
        ids = [critical_ticket(sim, k) for k in range(n)]
        poster = Poster(stack.web_url, stack.env["ZENDESK_WEBHOOK_SECRET"])
        bodies = {tid: sample_event(tid, f"gunicorn-kill-{tid}", CRITICAL_SUBJECT, CRITICAL_DESCRIPTION) for tid in ids}
        web = stack.processes["web"]
        slow_ids, fast_ids = ids[:2], ids[2:]
        # Two deliveries whose bodies trickle in hold both sync workers mid-request; the rest wait
        # in gunicorn's backlog. Then both workers are SIGKILLed: the two are cut for sure.
        answers_slow: dict[int, int] = {}
        slow = [threading.Thread(target=_trickle, args=(stack.web_url, poster, bodies[tid], answers_slow, tid))
                for tid in slow_ids]
        for thread in slow:
            thread.start()
        time.sleep(1.0)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            pending = [pool.submit(lambda tid=tid: (tid, poster.webhook(bodies[tid])[0])) for tid in fast_ids]
            time.sleep(0.2)
            workers = [p for p in process_tree(web.pid) if p != web.pid]
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            t.extra["gunicorn workers killed"] = len(workers)
            answers = dict(f.result() for f in pending)
        for thread in slow:
            thread.join(timeout=30)
        answers.update(answers_slow)
        cut = [tid for tid, status in answers.items() if status == 0]
        t.extra["requests cut by the kill"] = len(cut)
        t.server_errors = sum(1 for s in answers.values() if s >= 500 and s != 503)
        for tid in cut:  # Zendesk retries a delivery that got no answer
            wait_until(lambda tid=tid: poster.webhook(bodies[tid])[0] in (200, 202), 30, "the retried delivery")
        result = wait_flagged(sim, ids, timeout=180)
        finish(t, sim, result, sent=n)
    return t


def _trickle(web_url: str, poster: Poster, body: bytes, answers: dict[int, int], key: int) -> None:
    """A delivery whose body arrives slowly (status 0 when the connection is cut)."""
    import http.client
    from urllib.parse import urlsplit

    from middleware.local.simulator.webhooks import signature_timestamp
    from middleware.web.signature import sign

    target = urlsplit(web_url)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    stamp = signature_timestamp()
    try:
        conn.putrequest("POST", "/webhooks/zendesk")
        for name, value in (("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("X-Zendesk-Webhook-Signature-Timestamp", stamp),
                            ("X-Zendesk-Webhook-Signature", sign(poster.secret, stamp, body))):
            conn.putheader(name, value)
        conn.endheaders()
        for start in range(0, len(body), 16):
            conn.send(body[start:start + 16])
            time.sleep(0.1)
        answers[key] = conn.getresponse().status
    except (OSError, http.client.HTTPException):
        answers[key] = 0
    finally:
        conn.close()


def alert_down(args: argparse.Namespace) -> Tally:
    n = 3
    t = Tally("alert-down", "the Head of Support's alert destination refuses for 30 s, then is back: every alert "
              "is delivered exactly once")
    sink = AlertSink()
    sink.failing["/hos"] = time.time() + 30
    env = {"ALERT_HEAD_OF_SUPPORT_URLS": sink.url("hos")}
    try:
        with chaos_stack("alert-down", env=env) as (_stack, sim, _redis):
            ids = [critical_ticket(sim, k) for k in range(n)]
            result = wait_flagged(sim, ids, timeout=120)
            with suppress(TimeoutError):
                wait_until(lambda: sink.paths().count("/hos") >= n, 180, "the alerts after the destination is back")
            delivered = sink.paths().count("/hos")
            t.extra["refused while down"] = len(sink.refused)
            t.extra["delivered"] = f"{delivered} of {n}"
            if delivered < n:
                t.failures.append(f"{n - delivered} alerts never delivered")
            finish(t, sim, result, sent=n)
            t.duplicated += max(0, delivered - n)
    finally:
        sink.close()
    return t


def hostile(args: argparse.Namespace) -> Tally:
    from bench.chaos_hostile import run_hostile

    total = args.hostile or (2000 if args.quick else 10000)
    t = Tally("hostile-input", f"{total:,} generated requests (Hypothesis strategies over the webhook and intake "
              "schemas, raw-byte mutations, deep nesting, lone surrogates, far-future times, deleted tickets): "
              "no 5xx, no accepted event whose job can never succeed")
    with chaos_stack("hostile") as (stack, _sim, _redis):
        poster = Poster(stack.web_url, stack.env["ZENDESK_WEBHOOK_SECRET"], INTAKE_TOKEN)
        statuses = run_hostile(poster, total)
        t.sent = sum(statuses.values())
        t.server_errors = sum(c for s, c in statuses.items() if s >= 500 or s == 0)
        t.extra["answers"] = dict(sorted(statuses.items()))
        r = Redis.from_url(stack.redis_url)
        try:
            wait_until(lambda: all(r.llen(f"rq:queue:{q}") == 0 and r.zcard(f"rq:wip:{q}") == 0
                                   for q in OUR_QUEUES), 600, "the accepted events' jobs")
        except TimeoutError:
            t.failures.append("the accepted events' jobs did not finish within 10 min")
        counts = rq_counts(stack.redis_url)
        r.close()
        t.extra["jobs failed"] = counts.get("failed", 0)
        t.extra["jobs scheduled (SLA timers, waits)"] = counts.get("scheduled", 0)
        if counts.get("failed", 0):
            t.failures.append(f"{counts['failed']} accepted jobs failed")
        t.lost = counts.get("failed", 0)
    return t


SCENARIOS: dict[str, Callable[[argparse.Namespace], Tally]] = {
    "outage": outage,
    "lost-write": lost_writes,
    "budget": budget_burst,
    "hostile": hostile,
    "worker-kill": worker_kill,
    "pool-kill": pool_kill,
    "redis-restart": redis_restart,
    "redis-stall": redis_stall,
    "429-storm": storm_429,
    "agent-edits": agent_edits,
    "gunicorn-kill": gunicorn_kill,
    "alert-down": alert_down,
}


def run(args: argparse.Namespace) -> Report:
    """Every chosen scenario in turn; the report's targets are the scenarios."""
    report = Report.of_run(NAME, args)
    WORKER_PROCESSES["n"] = max(1, args.processes)
    started = time.monotonic()
    for name in args.scenario or list(SCENARIOS):
        print(f"--- chaos {name}: starting", flush=True)
        began = time.monotonic()
        try:
            tally = SCENARIOS[name](args)
        except Exception as exc:  # a scenario that breaks is a failure, and the others still run
            traceback.print_exc()
            tally = Tally(name, SCENARIOS[name].__doc__ or "", error=f"{type(exc).__name__}: {exc}")
        tally.seconds = time.monotonic() - began
        print(tally.line(), flush=True)
        report.results[name] = {"proves": tally.proves, "sent": tally.sent, "flagged": tally.flagged,
                                "duplicated": tally.duplicated, "lost": tally.lost, "5xx": tally.server_errors,
                                "ok": tally.ok, "seconds": round(tally.seconds, 1), **tally.extra,
                                "failures": tally.failures, "error": tally.error}
        report.target(name, "0 lost, 0 duplicated, 0 × 5xx",
                      f"sent {tally.sent}, flagged {tally.flagged}, duplicated {tally.duplicated}, "
                      f"lost {tally.lost}, 5xx {tally.server_errors}"
                      + (f"; {'; '.join(tally.failures)}" if tally.failures else "")
                      + (f"; error {tally.error}" if tally.error else ""),
                      json.dumps(tally.extra, default=str)[:300], tally.ok)
    report.duration_s = time.monotonic() - started
    if not all(t.met for t in report.targets):
        report.error = "a scenario lost, duplicated or failed something (see above)"
    return report
