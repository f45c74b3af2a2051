"""Benchmark 5, Zendesk budget: a burst of work larger than the per-minute budget.

The product runs with ``zendesk.requests_per_minute`` set small (``--budget``, default 60) in a
copy of config.yaml, and the simulator enforces the same figure as the plan's own limit (429
with ``Retry-After`` past it). A burst of critical tickets is created at once; each costs
about two calls (the decision's write, the customer message), so 45 of them are half as much
work again as a minute's budget and the work must span two minutes. A run whose work fits in
the budget tests nothing, and says so (the target is then not met).

Measured from the simulator's request log (its own timestamps, not the product's word):

* requests per wall-clock minute (how ``CallBudget`` counts) and in *any* 60-second window
  (stricter: if Zendesk's window does not start on the minute, this is what it could see);
* 429 answers (none expected; a 429 must lead to a reschedule, never a retry loop);
* every update applied once: each critical ticket flagged, with exactly one decision write,
  and no write of any purpose duplicated, once the queues and the rate-limit reschedules drain.
"""

from __future__ import annotations

import argparse
import bisect
import re
import time
from collections import Counter

from bench.common import Report, log_dir, private_redis, redis_client, wait_for
from bench.workload import (
    all_idle,
    budget_config,
    classify_reads,
    corpus_plan,
    create_ticket,
    pending_reschedules,
    reschedules,
    seed_requesters,
    worker_args,
)
from middleware.simulator import SimulatorControl
from middleware.stack import running_stack

NAME = "budget"
RESCHEDULED = re.compile(rb"-rl\d+$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--budget", type=int, default=60, help="zendesk.requests_per_minute (default 60)")
    parser.add_argument("--burst", type=int, default=45, help="critical tickets created at once (default 45)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300.0)


def per_minute(times: list[float]) -> dict[str, int]:
    counts = Counter(time.strftime("%H:%M", time.gmtime(t)) for t in times)
    return dict(sorted(counts.items()))


def max_sliding(times: list[float], window: float = 60.0) -> int:
    data = sorted(times)
    best = 0
    for i, t in enumerate(data):
        j = bisect.bisect_left(data, t + window)  # requests in [t, t + window)
        best = max(best, j - i)
    return best


def audit_purposes(sim: SimulatorControl, ticket_id: int, api_user: int | None) -> Counter[str]:
    """What each of our writes on a ticket did, by its comment (one comment per update)."""
    kinds: Counter[str] = Counter()
    for audit in sim.get_ticket(ticket_id)["audits"]:
        if api_user is not None and audit.get("author_id") != api_user:
            continue
        comments = [e for e in audit.get("events", []) if e.get("type") == "Comment"]
        body = comments[0].get("body", "") if comments else ""
        key = "decision" if "Flagged as a critical incident" in body else (body.split("\n", 1)[0][:60] or "no comment")
        kinds[key] += 1
    return kinds


def run(args: argparse.Namespace) -> Report:
    report = Report(NAME, params={k: v for k, v in vars(args).items() if k != "command"})
    started = time.monotonic()
    logs = log_dir(NAME)
    report.results["logs"] = str(logs)
    try:
        config = budget_config(logs, args.budget)
        with private_redis() as redis_url, running_stack(redis_url=redis_url, worker=False, log_dir=logs,
                                                         config_path=str(config)) as stack:
            r = redis_client(redis_url)
            sim = SimulatorControl(stack.simulator_url, timeout=30)
            plan = corpus_plan(args.burst, 1.0)
            seed_requesters(sim, plan)
            sim.rate_limit(args.budget)  # the plan's own limit: anything over it is a 429
            sim.clear_requests()
            stack.start_worker("workers", worker_args(args.workers))
            burst_at = time.time()
            created = [create_ticket(sim, item, n) for n, item in enumerate(plan)]
            ids = [tid for tid, _, _ in created]

            def done() -> bool:
                flagged = all("critical_incident" in sim.get_ticket(t)["ticket"]["tags"] for t in ids)
                return flagged and all_idle(r) and pending_reschedules(r) == 0 and sim.wait_deliveries(5)

            try:
                wait_for(done, args.timeout, interval=1.0, what="the burst to be written")
                finished = True
            except TimeoutError:
                finished = False
            finished_at = time.time()
            stack.stop_process("workers")
            put_off = reschedules(r)
            log = sim.requests_log()
            entries = log["requests"]
            api_user = next((e["user_id"] for e in entries if e.get("user_id") is not None), None)
            purposes = {t: audit_purposes(sim, t, api_user) for t in ids}
            flagged = sum(1 for t in ids if "critical_incident" in sim.get_ticket(t)["ticket"]["tags"])
    finally:
        report.duration_s = round(time.monotonic() - started, 1)
    # When each call reached the simulator (its log stamps the answer): Zendesk counts arrivals.
    times = [e["time"] - e.get("duration_ms", 0) / 1000 for e in entries]
    statuses = Counter(e["status"] for e in entries)
    minute_counts = per_minute(times)
    sliding = max_sliding(times)
    by_purpose: Counter[str] = Counter()
    for kinds in purposes.values():
        by_purpose.update(kinds)
    duplicated = {t: {k: v for k, v in kinds.items() if v > 1} for t, kinds in purposes.items()}
    duplicated = {t: d for t, d in duplicated.items() if d}
    decisions_once = sum(1 for kinds in purposes.values() if kinds.get("decision") == 1)
    report.results.update({
        "finished": finished,
        "burst_tickets": len(ids),
        "work_took_s": round(finished_at - burst_at, 1),
        "requests": len(entries),
        "reads": log["reads"],
        "writes": log["writes"],
        "reads_by_endpoint": classify_reads(entries),
        "statuses": {str(k): v for k, v in statuses.items()},
        "per_wall_clock_minute": minute_counts,
        "max_per_wall_clock_minute": max(minute_counts.values()) if minute_counts else 0,
        "max_in_any_60s_window": sliding,
        "writes_by_purpose": dict(by_purpose),
        **put_off,
        "tickets_flagged": flagged,
        "tickets_with_one_decision_write": decisions_once,
        "duplicated_writes": {str(k): v for k, v in duplicated.items()},
        "calls": [[round(t, 3), e["method"], e["path"], e["status"]] for t, e in zip(times, entries, strict=True)],
    })
    worst_minute = report.results["max_per_wall_clock_minute"]
    report.target("Zendesk budget never exceeded", f"<= {args.budget}/min",
                  f"max {worst_minute}/wall-clock minute, {sliding} in any 60 s window; "
                  f"{statuses.get(429, 0)} x 429; {put_off['rescheduled_jobs']} jobs put off, "
                  f"at most {put_off['max_reschedules_of_one_job']} times each",
                  f"{len(entries)} calls for {len(ids)} critical tickets over {report.results['work_took_s']} s; "
                  f"simulator limit {args.budget}/min"
                  + ("" if len(entries) > args.budget else "; the work fitted in the budget: raise --burst"),
                  len(entries) > args.budget and sliding <= args.budget and worst_minute <= args.budget
                  and statuses.get(429, 0) == 0)
    report.target("every update applied once", "all flagged, no duplicate",
                  f"{flagged}/{len(ids)} flagged, {decisions_once} with exactly one decision write, "
                  f"{len(duplicated)} tickets with a duplicated write",
                  "writes classified from the tickets' audits",
                  finished and flagged == len(ids) and decisions_once == len(ids) and not duplicated)
    return report
