"""Benchmark 5, Zendesk budget: for each of Zendesk's limits, a burst that would exceed it.

Each phase sets one limit small in a copy of config.yaml, has the simulator enforce the same
figure as Zendesk would (429 with ``Retry-After`` past it), and sends more work than the
window holds. A phase whose work fits in its window tests nothing, and says so (not met).

* ``requests``: the account's requests per minute (``--budget``, 60): ``--burst`` critical
  tickets at once, each costing about two calls (the decision's write, the customer message).
* ``updates``: ticket updates per minute per account (``--updates``, 30; Zendesk: 100, 300 with
  High Volume), the requests budget left large: ``--updates-burst`` critical tickets.
* ``ticket``: updates per ticket in 10 minutes (Zendesk's 30): ``--ticket-attempts`` updates of
  one ticket from two clients sharing the budget, as two workers would. The phase does not
  wait the 10 minutes out: it checks that 30 went, the rest were refused by our budget with the
  time the window frees, and Zendesk said no 429.
* ``export``: incremental exports per minute (``--exports``, 4; Zendesk: 10, 30 with High
  Volume): a reconcile sweep over ``--export-tickets`` tickets, ``--export-page`` per page. A
  refused page ends a run with its cursor kept; the driver starts the next run when the
  refusal says, as the periodic reconcile would.

Measured from the simulator's request log (its own timestamps, not the product's word): calls
per wall-clock minute and in *any* window of the limit's length, 429 answers (none expected),
and for the bursts of critical tickets, every update applied once once the queues drain.
"""

from __future__ import annotations

import argparse
import bisect
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import Report, log_dir, private_redis, redis_client, wait_for
from bench.workload import (
    TICKET_WRITE,
    RescheduleWatch,
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
from middleware.local.simulator import SimulatorControl, SimulatorServer
from middleware.local.stack import running_stack

NAME = "budget"
RESCHEDULED = re.compile(rb"-rl\d+$")
PHASES = ("requests", "updates", "ticket", "export")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--budget", type=int, default=60, help="requests phase: zendesk.requests_per_minute (60)")
    parser.add_argument("--burst", type=int, default=45, help="requests phase: critical tickets at once (45)")
    parser.add_argument("--updates", type=int, default=30, help="updates phase: ticket_updates_per_minute (30)")
    parser.add_argument("--updates-burst", type=int, default=24, help="updates phase: critical tickets (24)")
    parser.add_argument("--ticket-attempts", type=int, default=40, help="ticket phase: updates of one ticket (40)")
    parser.add_argument("--exports", type=int, default=4, help="export phase: incremental_exports_per_minute (4)")
    parser.add_argument("--export-tickets", type=int, default=200, help="export phase: tickets swept (200)")
    parser.add_argument("--export-page", type=int, default=25, help="export phase: reconcile.per_page (25)")
    parser.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated subset of {','.join(PHASES)}")
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


def arrivals(entries: list[dict[str, Any]], keep: Callable[[dict[str, Any]], bool] = lambda e: True) -> list[float]:
    """When each call reached the simulator (its log stamps the answer): Zendesk counts arrivals."""
    return [e["time"] - e.get("duration_ms", 0) / 1000 for e in entries if keep(e)]


def is_update(entry: dict[str, Any]) -> bool:
    return entry["method"] == "PUT" and bool(TICKET_WRITE.match(entry["path"]))


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


# ---------------------------------------------------------------------------------------------
# requests / updates: a burst of critical tickets through the whole stack
# ---------------------------------------------------------------------------------------------
def burst_phase(args: argparse.Namespace, report: Report, phase: str, burst: int, limit: int,
                zendesk: dict[str, Any], sim_endpoint: dict[str, int] | None, rpm: int) -> None:
    logs = log_dir(f"{NAME}-{phase}")
    config = budget_config(logs, rpm, **zendesk)
    with private_redis() as redis_url, running_stack(redis_url=redis_url, worker=False, log_dir=logs,
                                                     config_path=str(config)) as stack:
        r = redis_client(redis_url)
        sim = SimulatorControl(stack.simulator_url, timeout=30)
        plan = corpus_plan(burst, 1.0, flagged=True)  # tickets the rules flag: one decision write each
        seed_requesters(sim, plan)
        sim.rate_limit(rpm)  # the plan's own limits: anything over them is a 429
        sim.endpoint_limits(sim_endpoint or {})
        sim.clear_requests()
        stack.start_worker("workers", worker_args(args.workers))
        watch = RescheduleWatch(r)
        watch.start()
        burst_at = time.time()
        ids = [tid for tid, _, _ in (create_ticket(sim, item, n) for n, item in enumerate(plan))]

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
        watch.stop.set()
        put_off = reschedules(r, watch)
        log = sim.requests_log()
        entries = log["requests"]
        api_user = next((e["user_id"] for e in entries if e.get("user_id") is not None), None)
        purposes = {t: audit_purposes(sim, t, api_user) for t in ids}
        flagged = sum(1 for t in ids if "critical_incident" in sim.get_ticket(t)["ticket"]["tags"])
    counted = arrivals(entries, is_update if phase == "updates" else (lambda e: True))
    statuses = Counter(e["status"] for e in entries)
    minute_counts = per_minute(counted)
    sliding = max_sliding(counted)
    by_purpose: Counter[str] = Counter()
    for kinds in purposes.values():
        by_purpose.update(kinds)
    duplicated = {t: {k: v for k, v in kinds.items() if v > 1} for t, kinds in purposes.items()}
    duplicated = {t: d for t, d in duplicated.items() if d}
    decisions_once = sum(1 for kinds in purposes.values() if kinds.get("decision") == 1)
    worst_minute = max(minute_counts.values()) if minute_counts else 0
    what = "calls" if phase == "requests" else "ticket updates"
    report.results[phase] = {
        "finished": finished, "limit_per_minute": limit, "config_zendesk": {"requests_per_minute": rpm, **zendesk},
        "burst_tickets": len(ids), "work_took_s": round(finished_at - burst_at, 1),
        "requests": len(entries), "reads": log["reads"], "writes": log["writes"],
        "ticket_updates": sum(1 for e in entries if is_update(e)),
        "reads_by_endpoint": classify_reads(entries), "statuses": {str(k): v for k, v in statuses.items()},
        f"{what.replace(' ', '_')}_per_wall_clock_minute": minute_counts,
        "max_per_wall_clock_minute": worst_minute, "max_in_any_60s_window": sliding,
        "writes_by_purpose": dict(by_purpose), **put_off, "tickets_flagged": flagged,
        "tickets_with_one_decision_write": decisions_once,
        "duplicated_writes": {str(k): v for k, v in duplicated.items()},
        "calls": [[round(t, 3), e["method"], e["path"], e["status"]]
                  for t, e in zip(arrivals(entries), entries, strict=True)],
    }
    report.target(f"{phase}: {what} per minute never exceeded", f"<= {limit}/min",
                  f"max {worst_minute}/wall-clock minute, {sliding} in any 60 s window; "
                  f"{statuses.get(429, 0)} x 429; {put_off['rescheduled_jobs']} jobs put off, "
                  f"at most {put_off['max_reschedules_of_one_job']} times each",
                  f"{len(counted)} {what} for {len(ids)} critical tickets over "
                  f"{report.results[phase]['work_took_s']} s; simulator limit {limit}/min"
                  + ("" if len(counted) > limit else "; the work fitted in the window: raise the burst"),
                  len(counted) > limit and sliding <= limit and worst_minute <= limit and statuses.get(429, 0) == 0)
    report.target(f"{phase}: every update applied once", "all flagged, no duplicate",
                  f"{flagged}/{len(ids)} flagged, {decisions_once} with exactly one decision write, "
                  f"{len(duplicated)} tickets with a duplicated write",
                  "writes classified from the tickets' audits",
                  finished and flagged == len(ids) and decisions_once == len(ids) and not duplicated)


# ---------------------------------------------------------------------------------------------
# ticket / export: the client and the reconcile sweep in this process, against a simulator
# ---------------------------------------------------------------------------------------------
def _runtime(redis_url: str, sim_url: str, workdir: Path, **config: Any) -> Any:
    from redis import Redis

    from tests.intake_support import make_runtime

    zendesk = config.pop("zendesk", {})
    path = budget_config(workdir, 400, sections=config, **zendesk)
    return make_runtime(path, Redis.from_url(redis_url), sim_url)


def ticket_phase(args: argparse.Namespace, report: Report) -> None:
    from middleware.zendesk.errors import RateLimited

    per_ticket = 30  # Zendesk's figure; its window is 10 minutes
    with private_redis() as redis_url, SimulatorServer() as server, tempfile.TemporaryDirectory() as tmp:
        sim = SimulatorControl(server.url)
        sim.endpoint_limits({})  # Zendesk's figures: 100 updates/min, 30 per ticket per user in 10 min
        tid = int(sim.customer_ticket("Flapping monitor", "many updates", "ops@customer.example")["id"])
        workers = [_runtime(redis_url, server.url, Path(tmp)).zendesk for _ in range(2)]  # two workers
        went, refusals = 0, []
        started = time.time()
        for n in range(args.ticket_attempts):
            try:
                workers[n % 2].safe_update(tid, None, note=f"status update {n}")
                went += 1
            except RateLimited as exc:
                refusals.append((exc.source, round(exc.retry_after, 1)))
            if n < per_ticket:
                time.sleep(0.6)  # inside 100 updates a minute, so only the ticket's own window binds
        log = sim.requests_log()
        sim.close()
    entries = [e for e in log["requests"] if is_update(e)]
    statuses = Counter(e["status"] for e in entries)
    in_window = max_sliding(arrivals(entries), 600.0)
    ours = [w for s, w in refusals if s == "budget"]
    report.results["ticket"] = {
        "attempts": args.ticket_attempts, "went": went, "refused_by_budget": len(ours),
        "refused_by_zendesk": sum(1 for s, _ in refusals if s != "budget"),
        "retry_after_s": sorted(set(ours)), "statuses": {str(k): v for k, v in statuses.items()},
        "max_updates_in_any_600s_window": in_window, "took_s": round(time.time() - started, 1),
    }
    report.target("ticket: updates of one ticket in 10 min never exceeded", f"<= {per_ticket}/10 min",
                  f"{went} went, {len(ours)} put off by the budget (retry after "
                  f"{min(ours, default=0):.0f}-{max(ours, default=0):.0f} s), {statuses.get(429, 0)} x 429; "
                  f"{in_window} in any 600 s window",
                  f"{args.ticket_attempts} updates of one ticket from two clients sharing the budget",
                  args.ticket_attempts > per_ticket and in_window <= per_ticket and statuses.get(429, 0) == 0
                  and went == per_ticket)


def export_phase(args: argparse.Namespace, report: Report) -> None:
    from jobs import reconcile
    from middleware.zendesk.errors import RateLimited

    limit = args.exports
    with private_redis() as redis_url, SimulatorServer() as server, tempfile.TemporaryDirectory() as tmp:
        sim = SimulatorControl(server.url)
        for n in range(args.export_tickets):  # no webhook configured: nothing delivered, all missed
            sim.customer_ticket(f"Question {n}", "how do I export invoices?", f"c{n % 50}@customer.example")
        sim.endpoint_limits({"incremental_exports_per_minute": limit})
        sim.clear_requests()
        rt = _runtime(redis_url, server.url, Path(tmp),
                      zendesk={"incremental_exports_per_minute": limit},
                      reconcile={"per_page": args.export_page, "grace": "1s", "first_since": "2h"})
        time.sleep(1.5)  # past the grace: every ticket is settled
        runs, refusals, queued = 0, [], 0
        started = time.time()
        while time.time() - started < args.timeout:
            runs += 1
            try:
                counts = reconcile.reconcile(rt)
                queued += counts.queued
                break
            except RateLimited as exc:
                refusals.append((exc.source, round(exc.retry_after, 1)))
                time.sleep(exc.retry_after)  # the next run (RQ puts it off as long)
        took = time.time() - started
        log = sim.requests_log()
        sim.close()
    pages = [e for e in log["requests"] if e["path"].startswith("/api/v2/incremental/")]
    statuses = Counter(e["status"] for e in pages)
    times = arrivals(pages)
    sliding = max_sliding(times)
    worst_minute = max(per_minute(times).values(), default=0)
    report.results["export"] = {
        "tickets": args.export_tickets, "per_page": args.export_page, "limit_per_minute": limit,
        "pages": len(pages), "runs": runs, "refusals": refusals, "statuses": {str(k): v for k, v in statuses.items()},
        "max_in_any_60s_window": sliding, "pages_per_wall_clock_minute": per_minute(times),
        "took_s": round(took, 1),
    }
    report.target("export: incremental exports per minute never exceeded", f"<= {limit}/min",
                  f"max {worst_minute}/wall-clock minute, {sliding} in any 60 s window; {statuses.get(429, 0)} x 429; "
                  f"{len(refusals)} runs put off by the budget",
                  f"reconcile sweep of {args.export_tickets} tickets in {len(pages)} pages over {took:.0f} s, "
                  f"{runs} runs" + ("" if len(pages) > limit else "; the sweep fitted in the window"),
                  len(pages) > limit and sliding <= limit and statuses.get(429, 0) == 0
                  and all(s == "budget" for s, _ in refusals))


def run(args: argparse.Namespace) -> Report:
    report = Report.of_run(NAME, args)
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        raise SystemExit(f"unknown phase(s): {', '.join(sorted(unknown))} (known: {', '.join(PHASES)})")
    with report.timed():
        if "requests" in phases:
            burst_phase(args, report, "requests", args.burst, args.budget, {}, None, args.budget)
        if "updates" in phases:
            burst_phase(args, report, "updates", args.updates_burst, args.updates,
                        {"ticket_updates_per_minute": args.updates},
                        {"ticket_updates_per_minute": args.updates}, 400)
        if "ticket" in phases:
            ticket_phase(args, report)
        if "export" in phases:
            export_phase(args, report)
    return report
