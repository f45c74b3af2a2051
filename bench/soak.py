"""Soak: the whole product under a realistic mixed load for a bounded time, sliced.

``python -m bench soak --minutes 30`` (5-minute slices) or ``--quick`` (3 minutes, 1-minute
slices). Everything runs on 127.0.0.1 (a private Redis, the simulator, gunicorn, the product's
worker) and stops by itself: the load for ``--minutes``, then at most ``--drain`` seconds for the
queues to empty, then every process is stopped.

The load, driven through the simulator as Zendesk would drive it (so every ticket event comes in
as a signed webhook):

* customer tickets at a steady ``--rate`` per second, plus a burst of ``--burst`` at once every
  ``--burst-every`` seconds; ``--critical`` of them (5 %) critical, from the labelled corpus;
* agents replying publicly to most critical tickets, some before the SLA's promise (met), some
  after (breached, so the escalation and reminders fire), and solving many of them later (the
  customer is told, the review task is opened); customers adding comments and agents solving
  ordinary tickets;
* a monitoring alert on ``/intake/alerts`` every ``--alert-every`` seconds, firing then resolved;
* the SLA shortened in the soak's copy of config.yaml (``--sla``: first response 90 s, warnings
  at 30 s and 60 s, reminders every 60 s with --quick; 4 minutes, 2 and 3, 1 otherwise), so
  timers fire within the run. Shortening the SLA packs an hour of SLA writes (warnings, breach,
  reminders) into minutes, so by default the account has Zendesk's High Volume figures (2,500
  requests and 300 ticket updates a minute); ``--no-high-volume`` gives the standard 400 and 100,
  where those writes fill the ticket-updates window within minutes (see docs/scaling.md).

Zendesk's limits are on in the simulator (the config's requests per minute and the endpoint
limits) so a 429 would show. Per slice: RSS of every process (gunicorn master and workers, the
worker and its children), Redis ``used_memory``, jobs queued and scheduled at the slice's end,
failed jobs in RQ's registries, p99 webhook→tagged for the critical tickets created in the
slice (from the simulator's log: the ticket's creation to our first write on it), p99 lateness
of the SLA timers due in the slice (their due time read from RQ's scheduled registry, against
the time the job started), Zendesk calls and 429s. At the end, a census of every Redis key by
kind (count, bytes by ``MEMORY USAGE``, time to live): what is kept per event and per incident.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import re
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import requests
from redis import Redis

from bench.common import Report, fmt, percentile, private_redis, process_tree, redis_client, wait_for
from bench.workload import KEYS, TICKET_WRITE, budget_config, corpus_plan, create_ticket, seed_requesters, worker_args
from middleware.local.simulator import SimulatorControl
from middleware.local.stack import Stack, running_stack

NAME = "soak"
INTAKE_TOKEN = "soak-intake-token"
AGENT = "agent@simulator.example"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--minutes", type=float, default=30.0, help="load duration (default 30)")
    parser.add_argument("--quick", action="store_true", help="3 minutes, 1-minute slices, a shorter SLA")
    parser.add_argument("--slice", type=float, default=None, help="slice length in s (300; 60 with --quick)")
    parser.add_argument("--rate", type=float, default=4.0, help="customer tickets per second, steady (4)")
    parser.add_argument("--burst", type=int, default=40, help="tickets in each burst (40)")
    parser.add_argument("--burst-every", type=float, default=None, help="s between bursts (150; 50 with --quick)")
    parser.add_argument("--critical", type=float, default=0.05, help="share of critical tickets (0.05)")
    parser.add_argument("--alert-every", type=float, default=20.0, help="s between monitoring alerts (20)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--drain", type=float, default=120.0, help="at most this many s for the queues to empty")
    parser.add_argument("--high-volume", action=argparse.BooleanOptionalAction, default=True,
                        help="Zendesk's High Volume figures (2500 requests, 300 ticket updates a minute; the "
                             "default, because the shortened SLA packs an hour of SLA writes into minutes) or, "
                             "with --no-high-volume, the standard 400 and 100")
    parser.add_argument("--seed", type=int, default=16)


def _sla(quick: bool) -> dict[str, Any]:
    if quick:
        return {"first_response": "90s", "warnings": ["30s", "60s"], "reminder_every": "60s"}
    return {"first_response": "4m", "warnings": ["2m", "3m"], "reminder_every": "1m"}


# ---------------------------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------------------------
class Driver(threading.Thread):
    """Sends the mixed load until ``stop_at``; every action is scheduled on one heap."""

    def __init__(self, args: argparse.Namespace, sim: SimulatorControl, web_url: str, stop_at: float,
                 first_response: float) -> None:
        super().__init__(name="soak-driver", daemon=True)
        self.args, self.sim, self.web_url, self.stop_at = args, sim, web_url, stop_at
        self.first_response = first_response
        self.rng = random.Random(args.seed)
        self.plan = corpus_plan(20_000, args.critical, seed=args.seed)
        self.n = 0
        self.heap: list[tuple[float, int, str, Any]] = []
        self.seq = itertools.count()
        self.created: list[tuple[int, float, bool]] = []  # (ticket id, created at, critical)
        self.actions: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.http = requests.Session()

    def at(self, when: float, kind: str, arg: Any = None) -> None:
        heapq.heappush(self.heap, (when, next(self.seq), kind, arg))

    def run(self) -> None:
        now = time.time()
        self.at(now, "tick")
        self.at(now + self.args.burst_every, "burst")
        self.at(now + 2, "alert", 0)
        while self.heap:
            when, _, kind, arg = heapq.heappop(self.heap)
            if when >= self.stop_at:
                continue  # past the end: dropped (the heap empties itself)
            delay = when - time.time()
            if delay > 0:
                time.sleep(delay)
            try:
                getattr(self, f"_{kind}")(when, arg)
                self.actions[kind] += 1
            except Exception as exc:  # a failed action is counted, never stops the soak
                self.errors[f"{kind}: {type(exc).__name__}"] += 1

    # -- actions -------------------------------------------------------------------------------
    def _tick(self, when: float, _: Any) -> None:
        self._ticket()
        self.at(when + self.rng.expovariate(self.args.rate), "tick")

    def _burst(self, when: float, _: Any) -> None:
        for _ in range(self.args.burst):
            self._ticket()
        self.at(when + self.args.burst_every, "burst")

    def _ticket(self) -> None:
        item = self.plan[self.n % len(self.plan)]
        tid, began, critical = create_ticket(self.sim, item, self.n)
        self.n += 1
        self.created.append((tid, began, critical))
        r, fr = self.rng.random(), self.first_response
        if critical:
            if r < 0.7:  # most get an answer: before the promise (met) or after it (breached)
                reply_at = began + self.rng.uniform(0.2, 1.4) * fr
                self.at(reply_at, "reply", tid)
                if self.rng.random() < 0.6:
                    self.at(reply_at + self.rng.uniform(10, 60), "solve", tid)
        elif r < 0.3:
            self.at(began + self.rng.uniform(5, 60), "customer_comment", tid)
        elif r < 0.6:
            self.at(began + self.rng.uniform(10, 90), "solve", tid)

    def _reply(self, _: float, tid: int) -> None:
        self.sim.agent_reply(tid, "We are on it: our engineers are working on the fix now.", agent_email=AGENT)

    def _solve(self, _: float, tid: int) -> None:
        self.sim.update(tid, author_email=AGENT, status="solved")

    def _customer_comment(self, _: float, tid: int) -> None:
        self.sim.comment(tid, "Any news on this? Thanks.")

    def _alert(self, when: float, n: int) -> None:
        fingerprint = f"soak-{n // 2 % 7}"
        status = "firing" if n % 2 == 0 else "resolved"
        body = {"title": f"Checkout error rate above 20 % ({fingerprint})", "severity": "critical",
                "description": "5xx on /checkout since a few minutes", "fingerprint": fingerprint,
                "status": status, "labels": {"service": "checkout"}}
        answer = self.http.post(f"{self.web_url}/intake/alerts", json=body, timeout=10,
                                headers={"Authorization": f"Bearer {INTAKE_TOKEN}"})
        if answer.status_code >= 300:
            self.errors[f"alert: HTTP {answer.status_code}"] += 1
        self.at(when + self.args.alert_every, "alert", n + 1)


# ---------------------------------------------------------------------------------------------
# What is measured
# ---------------------------------------------------------------------------------------------
def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def process_rss(stack: Stack) -> dict[str, int]:
    """RSS (KiB) of every process of ours: gunicorn master and workers, the worker and its children."""
    out: dict[str, int] = {}
    for name, label in (("web", "web"), ("workers", "worker")):
        proc = stack.processes.get(name)
        if proc is None:
            continue
        for i, pid in enumerate(process_tree(proc.pid)):
            kib = rss_kib(pid)
            if kib is not None and i == 0:
                out[f"{label}-main"] = kib
            elif kib is not None:
                out[f"{label}-{i}"] = kib
    sim = stack.processes.get("simulator")
    if sim is not None and (kib := rss_kib(sim.pid)) is not None:
        out["simulator (not ours)"] = kib
    return out


class TimerWatch(threading.Thread):
    """Reads RQ's scheduled registry of the SLA queue twice a second: each timer's due time."""

    def __init__(self, r: Redis) -> None:
        super().__init__(name="soak-timers", daemon=True)
        self.r = r
        self.due: dict[str, float] = {}  # the last due time seen (a job put off again moves)
        self.first_due: dict[str, float] = {}
        self.seen_at: dict[str, float] = {}  # when it was first seen scheduled
        self.stop = threading.Event()
        self.key = f"rq:scheduled:{KEYS.queue('sla')}"

    def run(self) -> None:
        while not self.stop.wait(0.5):
            try:
                now = time.time()
                for job_id, score in self.r.zrange(self.key, 0, -1, withscores=True):
                    name = job_id.decode()
                    self.due[name] = float(score)
                    self.first_due.setdefault(name, float(score))
                    self.seen_at.setdefault(name, now)
            except Exception:  # a missed sample only loses timers scheduled and fired within it
                continue


def _rq_time(raw: bytes | None) -> float | None:
    if not raw:
        return None
    from bench.workload import _parse_rq_time

    return _parse_rq_time(raw)


def timer_lateness(r: Redis, watch: TimerWatch, start: float, end: float) -> dict[str, Any]:
    """The SLA timers due in [start, end): lateness (s) of those that ran, against their due
    time, and how many never ran (cancelled: the clock stopped first). A timer scheduled when
    its step was already due (its due time had passed when it was first seen) counts from the
    moment it was scheduled: the machinery cannot run it earlier; those are counted apart."""
    due = watch.due
    ids = [j for j, d in due.items() if start <= d < end and re.search(r"-step\d+", j)]
    pipe = r.pipeline(transaction=False)
    for job_id in ids:
        pipe.hmget(f"rq:job:{job_id}", "started_at", "created_at")
    late, examples, cancelled, overdue, moved = [], [], 0, 0, 0
    for job_id, (started, created) in zip(ids, pipe.execute(), strict=True):
        t = _rq_time(started)
        if t is None:
            cancelled += 1
            continue
        reference = due[job_id]
        made = _rq_time(created)
        if made is not None and made > reference:  # scheduled already overdue
            overdue += 1
            reference = made
        if watch.first_due.get(job_id) != due[job_id]:
            moved += 1
        late.append(t - reference)
        examples.append((round(t - reference, 2), job_id, round(due[job_id] - start, 2)))
    return {"late": late, "cancelled": cancelled, "scheduled_overdue": overdue, "moved": moved,
            "latest": sorted(examples, reverse=True)[:3]}


def queue_state(r: Redis) -> dict[str, int]:
    pipe = r.pipeline(transaction=False)
    names = KEYS.queues()
    for name in names:
        pipe.llen(f"rq:queue:{name}")
        pipe.zcard(f"rq:scheduled:{name}")
        pipe.zcard(f"rq:failed:{name}")
    values = pipe.execute()
    return {"queued": sum(values[0::3]), "scheduled": sum(values[1::3]), "failed": sum(values[2::3])}


def failed_jobs(r: Redis) -> list[dict[str, str]]:
    """What failed, for the report: the job's function and the last line of its exception."""
    out = []
    for name in KEYS.queues():
        for job_id in r.zrange(f"rq:failed:{name}", 0, 20):
            data = r.hmget(f"rq:job:{job_id.decode()}", "description", "exc_info")
            exc = (data[1] or b"").decode(errors="replace").strip().splitlines()
            out.append({"queue": name, "job": job_id.decode(), "description": (data[0] or b"").decode()[:120],
                        "exception": exc[-1][:200] if exc else ""})
    return out


# Ids in key names: UUIDs (event ids) first, so their leading digits are not taken for a number;
# ULIDs (Zendesk's invocation ids), long hex digests, numbers.
_ID = re.compile(r"(?<=[:\-_])([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9A-HJKMNP-TV-Z]{26}"
                 r"|[0-9a-f]{16,}|\d+)(?=$|[:\-_])")


def key_census(r: Redis, sample: int = 200) -> list[dict[str, Any]]:
    """Every key by kind (ids replaced by ``{id}``): count, bytes (``MEMORY USAGE`` of up to
    ``sample`` keys, scaled), time to live (min/max s; -1 = kept until deleted)."""
    kinds: dict[str, list[bytes]] = defaultdict(list)
    for key in r.scan_iter(count=1000):
        kinds[_ID.sub("{id}", key.decode(errors="replace"))].append(key)
    out = []
    for kind, keys in kinds.items():
        picked = keys if len(keys) <= sample else random.Random(1).sample(keys, sample)
        pipe = r.pipeline(transaction=False)
        for key in picked:
            pipe.memory_usage(key, samples=0)
            pipe.ttl(key)
        values = pipe.execute()
        sizes = [v or 0 for v in values[0::2]]
        ttls = [int(v) for v in values[1::2]]
        total = sum(sizes) * len(keys) / max(1, len(picked))
        out.append({"kind": kind, "keys": len(keys), "bytes": int(total), "bytes_per_key": int(total / len(keys)),
                    "ttl_min_s": min(ttls), "ttl_max_s": max(ttls)})
    return sorted(out, key=lambda k: -k["bytes"])


def p99(values: list[float], scale: float = 1.0) -> float | None:
    return round(percentile(sorted(values), 99) * scale, 1) if values else None


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> Report:
    if args.quick:
        args.minutes = 3.0
    slice_s = args.slice or (60.0 if args.quick else 300.0)
    args.burst_every = args.burst_every or (50.0 if args.quick else 150.0)
    name = f"{NAME}-quick" if args.quick else NAME  # a smoke run keeps its own results file
    report = Report.of_run(name, args)
    logs = report.keep_logs()
    sla = _sla(args.quick)
    first_response = {"90s": 90.0, "4m": 240.0}[sla["first_response"]]
    with report.timed():
        rpm, updates = (2500, 300) if args.high_volume else (400, 100)
        config = budget_config(logs, rpm, name="config-soak.yaml", sections={"sla": sla},
                               ticket_updates_per_minute=updates, high_volume=args.high_volume,
                               **({"plan": "enterprise"} if args.high_volume else {}))
        with private_redis() as redis_url, running_stack(redis_url=redis_url, worker=False, log_dir=logs,
                                                         config_path=str(config),
                                                         gunicorn_workers=args.gunicorn_workers,
                                                         extra_env={"INTAKE_TOKEN": INTAKE_TOKEN}) as stack:
            _soak(args, report, stack, redis_client(redis_url), slice_s, first_response, sla, rpm, updates)
    return report


def _soak(args: argparse.Namespace, report: Report, stack: Stack, r: Redis, slice_s: float,
          first_response: float, sla: dict[str, Any], rpm: int, updates: int) -> None:
    sim = SimulatorControl(stack.simulator_url, timeout=30)
    seed_requesters(sim, corpus_plan(2000, args.critical, seed=args.seed))
    sim.create_user("agent", AGENT, role="agent")
    sim.rate_limit(rpm)  # Zendesk's own limits, so a 429 would show
    sim.endpoint_limits({"ticket_updates_per_minute": updates,
                         "incremental_exports_per_minute": 30 if args.high_volume else 10})
    sim.clear_requests()
    stack.start_worker("workers", worker_args(args.workers))
    wait_for(lambda: r.scard("rq:workers") >= args.workers, 60, interval=0.2, what="workers to start")
    watch = TimerWatch(r)
    watch.start()
    t0 = time.time()
    stop_at = t0 + args.minutes * 60
    driver = Driver(args, sim, stack.web_url, stop_at, first_response)
    driver.start()
    slices: list[dict[str, Any]] = []
    seen_log, first_write, calls = 0, {}, []
    n_slices = max(1, round(args.minutes * 60 / slice_s))

    def read_log() -> None:
        nonlocal seen_log
        total = sim.requests_log(limit=1)["total"]
        new = total - seen_log
        if new <= 0:
            return
        for e in sim.requests_log(limit=new)["requests"]:
            calls.append((e["time"], e["status"]))
            m = TICKET_WRITE.match(e["path"])
            if e["method"] == "PUT" and m and e["status"] == 200:
                first_write.setdefault(int(m.group(1)), e["time"])
        seen_log = total

    for k in range(n_slices):
        start, end = t0 + k * slice_s, t0 + (k + 1) * slice_s
        peak = {"queued": 0}
        while time.time() < end:
            time.sleep(min(5.0, max(0.0, end - time.time())))
            peak["queued"] = max(peak["queued"], queue_state(r)["queued"])
        read_log()
        slices.append({"slice": k + 1, "from_s": round(start - t0), "to_s": round(end - t0),
                       "rss_kib": process_rss(stack), "redis_used_memory": int(r.info("memory")["used_memory"]),
                       **queue_state(r), "max_queued": peak["queued"]})
        print(f"  slice {k + 1}/{n_slices}: {slices[-1]['redis_used_memory'] / 1e6:.1f} MB Redis, "
              f"{slices[-1]['queued']} queued, {slices[-1]['failed']} failed", flush=True)
    driver.join(timeout=30)
    load_ended = time.time()
    # Drain: the queues empty (SLA timers due later stay scheduled, as they would in production).
    try:
        wait_for(lambda: queue_state(r)["queued"] == 0 and not any(
            r.zcard(f"rq:wip:{q}") for q in KEYS.queues()), args.drain, interval=1.0, what="queues to drain")
        drained = True
    except TimeoutError:
        drained = False
    time.sleep(max(0.0, min(args.drain, first_response * 0.5)))  # timers due right after the load ran
    read_log()
    watch.stop.set()
    # Per slice, what needs the whole log: latency by creation time, timers by due time, calls.
    for s in slices:
        start, end = t0 + s["from_s"], t0 + s["to_s"]
        crit = [(tid, began) for tid, began, c in driver.created if c and start <= began < end]
        lat = [first_write[tid] - began for tid, began in crit if tid in first_write]
        timers = timer_lateness(r, watch, start, end)
        late = timers["late"]
        in_slice = [st for t, st in calls if start <= t < end]
        s.update({"events": sum(1 for _, b, _ in driver.created if start <= b < end), "critical": len(crit),
                  "critical_tagged": len(lat), "p99_webhook_to_tagged_ms": p99(lat, 1000),
                  "p50_webhook_to_tagged_ms": round(percentile(sorted(lat), 50) * 1000, 1) if lat else None,
                  "timers_fired": len(late), "timers_cancelled": timers["cancelled"],
                  "timers_scheduled_overdue": timers["scheduled_overdue"], "timers_moved": timers["moved"],
                  "latest_timers": timers["latest"],
                  "p99_timer_lateness_s": p99(late), "max_timer_lateness_s": round(max(late), 2) if late else None,
                  "zendesk_calls": len(in_slice), "zendesk_429": sum(1 for st in in_slice if st == 429)})
    census = key_census(r)
    final = queue_state(r)
    events = len(driver.created)
    incidents = sum(k["keys"] for k in census if re.fullmatch(r"cim:incident:\{id\}", k["kind"]))
    report.results.update({
        "slices": slices, "events": events, "critical": sum(1 for *_, c in driver.created if c),
        "actions": dict(driver.actions), "driver_errors": dict(driver.errors), "drained": drained,
        "drain_s": round(time.time() - load_ended, 1), "final": final, "failed_jobs": failed_jobs(r),
        "redis_used_memory_end": int(r.info("memory")["used_memory"]), "incident_records": incidents,
        "key_census": census, "sla": sla, "slice_s": slice_s,
    })
    _targets(report, slices, final, drained)
    print(_census_table(census[:25]))


def _targets(report: Report, slices: list[dict[str, Any]], final: dict[str, int], drained: bool) -> None:
    first, last = slices[0], slices[-1]

    def total_rss(s: dict[str, Any]) -> int:
        return sum(v for k, v in s["rss_kib"].items() if "not ours" not in k)

    growth = (total_rss(last) - total_rss(first)) / 1024
    report.target("RSS of our processes, first slice -> last", "flat after warm-up",
                  f"{total_rss(first) / 1024:.0f} -> {total_rss(last) / 1024:.0f} MiB ({growth:+.0f} MiB)",
                  " | ".join(f"{k} {v / 1024:.0f}" for k, v in sorted(last["rss_kib"].items())), None)
    report.target("Redis used_memory, first slice -> last", "flat except data meant to be kept",
                  f"{first['redis_used_memory'] / 1e6:.1f} -> {last['redis_used_memory'] / 1e6:.1f} MB",
                  "see the key census: dedupe marks and job hashes live for their TTL", None)
    failed = final["failed"]
    report.target("failed jobs", "0", f"{failed}", "RQ's failed registries, all queues", failed == 0)
    tagged = [s["p99_webhook_to_tagged_ms"] for s in slices if s["p99_webhook_to_tagged_ms"] is not None]
    report.target("p99 webhook -> tagged per slice", "as in the first minutes",
                  " / ".join(fmt(v, 0) for v in tagged) + " ms",
                  f"{sum(s['critical_tagged'] for s in slices)}/{sum(s['critical'] for s in slices)} critical tagged",
                  None)
    late = [s["p99_timer_lateness_s"] for s in slices if s["p99_timer_lateness_s"] is not None]
    report.target("p99 SLA timer lateness per slice", "as in the first minutes",
                  " / ".join(fmt(v, 2) for v in late) + " s",
                  f"{sum(s['timers_fired'] for s in slices)} timers fired", None)
    report.target("Zendesk 429s", "0", f"{sum(s['zendesk_429'] for s in slices)}",
                  f"{sum(s['zendesk_calls'] for s in slices)} calls; simulator enforces Zendesk's limits",
                  sum(s["zendesk_429"] for s in slices) == 0)
    report.target("queues drained after the load", "yes", "yes" if drained else "no", "", drained)


def _census_table(census: list[dict[str, Any]]) -> str:
    lines = [f"{'key kind':60} {'keys':>7} {'bytes':>11} {'B/key':>7} {'ttl s':>15}"]
    for k in census:
        lines.append(f"{k['kind'][:60]:60} {k['keys']:>7} {k['bytes']:>11} {k['bytes_per_key']:>7} "
                     f"{k['ttl_min_s']:>7}..{k['ttl_max_s']}")
    return "\n".join(lines)
