"""Benchmark 3, end to end: ticket events through the simulator, gunicorn, Redis and K workers.

Everything is real and local: the Zendesk simulator creates tickets and sends signed event
webhooks, ``gunicorn wsgi:app`` queues them, ``python -m middleware worker --processes K``
triages them and writes back to the simulator over HTTP. Tickets come from the labelled corpus
(subjects, descriptions, requesters with their roles), 10 % critical by default: labelled
critical tickets that the shipped rules flag (what a flag costs is measured here; how many
critical tickets the rules flag is ``rules eval``'s subject).

Three phases in one run, on one private Redis:

1. **Drain.** N tickets are created while no worker runs, so N events wait in the queue; then K
   workers start, suspended (RQ's ``suspend``) until their start-up is over. Events/s = N /
   (first job started -> last job ended), timed by polling the queue and its jobs in progress
   every 10 ms (a finished event job is deleted at once, timestamps and all). The follow-up work
   (SLA, alerts, customer messages) is waited for too and reported as "all work done".
2. **RQ no-op ceiling.** N no-op jobs through the same worker command, measured the same way,
   once before and once after the drain (the machine is shared: the ceiling is bracketed).

For both, the CPU the worker processes and Redis spent per job is read from ``/proc``: unlike
a rate, it does not move with what the neighbours on the machine are doing.
3. **Latency.** Workers running, tickets created at a steady ``--rate`` (10 % critical):
   for each critical ticket, the time from its creation in the simulator (so Zendesk's webhook
   delivery is included) to the write that tagged it (the simulator's request log).

Zendesk API calls are counted by the simulator (``/_sim/requests``), reads and writes apart,
and our writes on critical tickets are classified from the tickets' audits (the decision's
flag, the SLA clock, the customer message).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import time
from collections import Counter
from pathlib import Path
from typing import Any

from redis import Redis
from rq import Queue
from rq.suspension import resume, suspend

from bench.common import (
    Report,
    cpu_seconds,
    fmt,
    private_redis_server,
    process_tree,
    profile_summary,
    py_spy,
    redis_client,
    summary,
    wait_for,
)
from bench.workload import (
    KEYS,
    TICKET_WRITE,
    RescheduleWatch,
    all_idle,
    api_user_id,
    budget_config,
    classify_reads,
    commands_delta,
    corpus_plan,
    create_ticket,
    pending_reschedules,
    redis_commands,
    reschedules,
    seed_requesters,
    wait_jobs_done,
    worker_args,
)
from middleware.local.simulator import SimulatorControl
from middleware.local.stack import Stack, running_stack
from middleware.store import queues

NAME = "e2e"
DECISION_NOTE = "Flagged as a critical incident"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=int, default=2000, help="events in the drain phase (default 2000)")
    parser.add_argument("--critical", type=float, default=0.10, help="share of critical tickets (default 0.10)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes K (default 2, one per core)")
    parser.add_argument("--latency-events", type=int, default=600, help="events in the latency phase")
    parser.add_argument("--rate", type=float, default=30.0, help="events/s in the latency phase (default 30)")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--budget", type=int, default=2500,
                        help="zendesk.requests_per_minute and ticket_updates_per_minute for this run (default 2500, "
                             "the largest Zendesk plan, so the workers' own speed is measured; the budget "
                             "has its own benchmark)")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up on a phase after this many s")
    parser.add_argument("--profile", action="store_true",
                        help="sample the workers with py-spy during the drain (collapsed stacks in the log dir)")


# ---------------------------------------------------------------------------------------------
# Zendesk calls
# ---------------------------------------------------------------------------------------------
def classify_writes(sim: SimulatorControl, ticket_ids: list[int], api_user: int | None) -> dict[str, Any]:
    """Our writes on these tickets, by purpose, read from the tickets' audits."""
    kinds: Counter[str] = Counter()
    per_ticket_decision: list[int] = []
    for tid in ticket_ids:
        audits = sim.get_ticket(tid)["audits"]
        decision = 0
        for audit in audits:
            if api_user is not None and audit.get("author_id") != api_user:
                continue
            comments = [e for e in audit.get("events", []) if e.get("type") == "Comment"]
            body = comments[0].get("body", "") if comments else ""
            if DECISION_NOTE in body:
                kinds["decision (tags + priority + note)"] += 1
                decision += 1
            elif body.startswith("First-response SLA") or "SLA" in body[:40]:
                kinds["sla clock"] += 1
            elif comments and comments[0].get("public"):
                kinds["public message to the customer"] += 1
            elif comments:
                kinds["other internal note"] += 1
            else:
                kinds["field/tag change without comment"] += 1
        per_ticket_decision.append(decision)
    return {"by_purpose": dict(kinds), "decision_writes_per_ticket": dict(Counter(per_ticket_decision))}


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> Report:
    report = Report.of_run(NAME, args)
    logs = report.keep_logs()
    with report.timed():
        config = budget_config(logs, args.budget, ticket_updates_per_minute=args.budget)
        with private_redis_server() as server, running_stack(redis_url=server.url, worker=False, log_dir=logs,
                                                              config_path=str(config),
                                                              gunicorn_workers=args.gunicorn_workers) as stack:
            r = redis_client(server.url)
            pid = server.process.pid
            sim = SimulatorControl(stack.simulator_url, timeout=30)
            # RQ's no-op rate before and after the drain: the machine is shared, so the
            # ceiling is bracketed around the measurement instead of taken at one moment.
            # The requesters exist before any worker runs, as staff and customers exist before
            # the service is deployed: the staff roster (a periodic job) finds the agents.
            plan = corpus_plan(args.events, args.critical, flagged=True)  # critical: tickets the rules flag
            seed_requesters(sim, plan)
            before = _noop(args, stack, r, pid)
            drain = _drain(report, args, stack, sim, r, pid, plan)
            after = _noop(args, stack, r, pid)
            noop = {**after, "jobs_per_s": round((before["jobs_per_s"] + after["jobs_per_s"]) / 2, 1),
                    "runs": [before["jobs_per_s"], after["jobs_per_s"]],
                    "worker_cpu_ms_per_job": round((before["worker_cpu_ms_per_job"]
                                                    + after["worker_cpu_ms_per_job"]) / 2, 2)}
            report.results["rq_noop"] = {**noop, "workers": args.workers, "before": before, "after": after}
            _latency(report, args, stack, sim, r)
            ratio = drain["jobs_per_s"] / noop["jobs_per_s"] if drain["jobs_per_s"] and noop["jobs_per_s"] else 0
            report.results["ratio_vs_noop"] = round(ratio, 3)
            report.targets.insert(0, _target_ratio(args, drain, noop, ratio))
    return report


def _target_ratio(args: argparse.Namespace, drain: dict[str, Any], noop: dict[str, Any], ratio: float) -> Any:
    from bench.common import Target

    setup = f"{args.workers} SimpleWorker process{'es' if args.workers > 1 else ''}"
    event_cpu, noop_cpu = drain.get("worker_cpu_ms_per_event"), noop.get("worker_cpu_ms_per_job")
    by_cpu = f"; by worker CPU {noop_cpu / event_cpu:.2f}x ({event_cpu} vs {noop_cpu} ms)" if event_cpu else ""
    return Target("end to end vs RQ no-op rate", ">= 0.5x",
                  f"{ratio:.2f}x ({fmt(drain['jobs_per_s'])} events/s){by_cpu}",
                  f"RQ no-op {fmt(noop['jobs_per_s'])} jobs/s (before/after the drain), {setup}", ratio >= 0.5)


def _drain(report: Report, args: argparse.Namespace, stack: Stack, sim: SimulatorControl, r: Redis,
           redis_pid: int, plan: list[dict[str, Any]]) -> dict[str, Any]:
    sim.clear_requests()
    began = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        created = list(pool.map(lambda pair: create_ticket(SimulatorControl(stack.simulator_url), pair[1], pair[0]),
                                enumerate(plan)))
    create_s = time.monotonic() - began
    queue_key = f"rq:queue:{KEYS.queue(queues.EVENTS_STAGE)}"
    wait_for(lambda: r.llen(queue_key) >= args.events and sim.wait_deliveries(5), args.timeout, interval=0.2,
             what=f"{args.events} events queued")
    job_ids = [m.decode() for m in r.lrange(queue_key, 0, -1)]
    workers, cpu_start = start_suspended(stack, r, "drain-workers", args.workers, redis_pid)
    watch = RescheduleWatch(r)
    watch.start()
    try:
        pids = process_tree(workers.pid)
        commands_before = redis_commands(r)
        resume(r)
        with py_spy(pids if args.profile else [], stack.log_dir or Path("/tmp"), "drain-profile") as profiles:
            drain = wait_jobs_done(r, job_ids, args.timeout)
            events_done = time.time()
            commands_events = commands_delta(commands_before, redis_commands(r))
            cpu_events = cpu_used(pids, cpu_start, redis_pid)
            wait_for(lambda: all_idle(r) and pending_reschedules(r) == 0 and sim.wait_deliveries(5), args.timeout,
                     interval=0.2, what="follow-up work")
            all_done = time.time()
    finally:
        watch.stop.set()
        stack.stop_process("drain-workers")
    if args.profile:
        report.results["drain_profile"] = {"files": [str(f) for f in profiles],
                                           "top": profile_summary(profiles, 40)}
    log = sim.requests_log()
    entries = log["requests"]
    critical_ids = [tid for tid, _, crit in created if crit]
    flagged = [t for t in critical_ids if "critical_incident" in sim.get_ticket(t)["ticket"]["tags"]]
    normal_flagged = sum(
        1 for tid, _, crit in created[: min(len(created), 400)]
        if not crit and "critical_incident" in sim.get_ticket(tid)["ticket"]["tags"]
    )
    api_user = api_user_id(entries)
    writes = classify_writes(sim, critical_ids, api_user)
    reads = classify_reads(entries)
    decisions = writes["by_purpose"].get("decision (tags + priority + note)", 0)
    report.results["drain"] = {
        **drain,
        "events": args.events,
        "workers": args.workers,
        "tickets_created_s": round(create_s, 2),
        "events_done_after_s": round(events_done - drain["first_start"], 2) if drain["first_start"] else None,
        "all_work_done_after_s": round(all_done - drain["first_start"], 2) if drain["first_start"] else None,
        "critical_labelled": len(critical_ids),
        "critical_flagged": len(flagged),
        "normal_flagged_in_first_400": normal_flagged,
        "zendesk": {"reads": log["reads"], "writes": log["writes"], "by_status": log["by_status"],
                    "reads_by_endpoint": reads, "writes_on_critical_tickets": writes},
        "reads_per_event": round(log["reads"] / args.events, 3),
        "writes_per_event": round(log["writes"] / args.events, 3),
        "writes_per_critical_ticket": round(log["writes"] / max(1, len(critical_ids)), 2),
        **reschedules(r, watch),
        "redis_commands_per_event": round(sum(commands_events.values()) / args.events, 1),
        "worker_cpu_ms_per_event": round(cpu_events["workers"] / args.events * 1000, 2),
        "redis_cpu_ms_per_event": round(cpu_events["redis"] / args.events * 1000, 3),
        "redis_commands_while_events_ran": commands_events,
    }
    decision_reads = reads.get("users/{id}", 0) + reads.get("organizations/{id}", 0)
    # Reads of the requester or organisation of any ticket flagged critical (the corpus's false
    # positives too), wherever they came from: a read made for another ticket of the same
    # requester counts against the critical one as well.
    context_ids = set()
    for snapshot in sim.tickets():
        if "critical_incident" in (snapshot.get("tags") or []):
            context_ids |= {f"/api/v2/users/{snapshot.get('requester_id')}",
                            f"/api/v2/organizations/{snapshot.get('organization_id')}"}
    critical_reads = sum(1 for e in entries if e["method"] == "GET" and e["path"].removesuffix(".json") in context_ids)
    report.results["drain"]["context_reads_for_critical_tickets"] = critical_reads
    report.target("Zendesk calls per critical decision", "1 write, 0 reads",
                  f"{decisions / max(1, len(flagged)):.2f} decision write(s) per critical ticket; "
                  f"{critical_reads} reads of critical tickets' requesters/organisations; "
                  f"{decision_reads} requester/organisation reads for the rules in all "
                  f"({decision_reads / args.events:.4f}/event)",
                  f"{len(flagged)}/{len(critical_ids)} critical flagged; all stages: "
                  f"{log['writes'] / max(1, len(flagged)):.2f} writes per critical ticket, reads {reads}",
                  decisions == len(flagged) and critical_reads == 0 and len(flagged) == len(critical_ids))
    return dict(report.results["drain"])


def _noop(args: argparse.Namespace, stack: Stack, r: Redis, redis_pid: int) -> dict[str, Any]:
    queue = Queue(KEYS.queue(queues.EVENTS_STAGE), connection=r)
    jobs = [Queue.prepare_data("bench.probes.noop", result_ttl=600) for _ in range(args.events)]
    enqueued = queue.enqueue_many(jobs)
    job_ids = [j.id for j in enqueued]
    workers, cpu_start = start_suspended(stack, r, "noop-workers", args.workers, redis_pid)
    try:
        pids = process_tree(workers.pid)
        before = redis_commands(r)
        resume(r)
        done = wait_jobs_done(r, job_ids, args.timeout)
        commands = commands_delta(before, redis_commands(r))
        cpu = cpu_used(pids, cpu_start, redis_pid)
    finally:
        stack.stop_process("noop-workers")
    return {**done, "redis_commands_per_job": round(sum(commands.values()) / len(job_ids), 1),
            "worker_cpu_ms_per_job": round(cpu["workers"] / len(job_ids) * 1000, 2),
            "redis_cpu_ms_per_job": round(cpu["redis"] / len(job_ids) * 1000, 3), "redis_commands": commands}


def start_suspended(stack: Stack, r: Redis, name: str, k: int, redis_pid: int) -> tuple[Any, dict[str, float]]:
    """Start K workers with RQ suspended, so their start-up (imports, config) is done before
    the CPU they spend on jobs is counted; ``resume`` lets them go."""
    suspend(r)
    workers = stack.start_worker(name, worker_args(k))
    wait_for(lambda: r.scard("rq:workers") >= k, 60, interval=0.05, what="workers to start")
    time.sleep(1.0)
    pids = process_tree(workers.pid)
    return workers, {"workers": cpu_seconds(pids), "redis": cpu_seconds([redis_pid])}


def cpu_used(pids: list[int], start: dict[str, float], redis_pid: int) -> dict[str, float]:
    """CPU seconds the workers and Redis used since ``start`` (what the jobs cost, whatever
    the neighbours on the machine were doing)."""
    return {"workers": cpu_seconds(pids) - start["workers"], "redis": cpu_seconds([redis_pid]) - start["redis"]}


def _latency(report: Report, args: argparse.Namespace, stack: Stack, sim: SimulatorControl, r: Redis) -> None:
    plan = corpus_plan(args.latency_events, args.critical, seed=11, flagged=True)
    sim.clear_requests()
    stack.start_worker("latency-workers", worker_args(args.workers))
    try:
        # The workers' start-up (imports, config) is not what we measure: wait until they listen.
        wait_for(lambda: r.scard("rq:workers") >= args.workers, 60, interval=0.1, what="workers to start")
        time.sleep(1)
        created: list[tuple[int, float, bool]] = []
        t0 = time.time()
        for n, item in enumerate(plan):
            delay = t0 + n / args.rate - time.time()
            if delay > 0:
                time.sleep(delay)
            created.append(create_ticket(sim, item, 100_000 + n))
        critical = {tid: began for tid, began, crit in created if crit}

        def tagged() -> dict[int, float] | None:
            found: dict[int, float] = {}
            for e in sim.requests_log()["requests"]:
                m = TICKET_WRITE.match(e["path"])
                if e["method"] == "PUT" and m and e["status"] == 200:
                    tid = int(m.group(1))
                    if tid in critical and tid not in found:
                        found[tid] = e["time"]
            return found if len(found) >= len(critical) else None

        try:
            found = wait_for(tagged, 60, interval=0.5, what="critical tickets tagged")
        except TimeoutError:
            found = {}
            for e in sim.requests_log()["requests"]:
                m = TICKET_WRITE.match(e["path"])
                if e["method"] == "PUT" and m and int(m.group(1)) in critical:
                    found.setdefault(int(m.group(1)), e["time"])
    finally:
        stack.stop_process("latency-workers")
    latencies = [found[t] - critical[t] for t in critical if t in found]
    stats = summary(latencies, 1000, 0)
    sent_rate = len(created) / max(1e-9, created[-1][1] - created[0][1]) if len(created) > 1 else 0
    report.results["latency"] = {"events": len(created), "rate": args.rate, "achieved_rate": round(sent_rate, 1),
                                 "critical": len(critical), "tagged": len(latencies),
                                 "created_to_tagged_ms": stats}
    met = len(latencies) == len(critical) and stats.get("p99", 1e9) <= 1000
    report.target("webhook -> critical ticket tagged, p99", "<= 1 s",
                  f"p99 {fmt(stats.get('p99'), 0)} ms (p50 {fmt(stats.get('p50'), 0)} ms), "
                  f"{len(latencies)}/{len(critical)} tagged",
                  f"from ticket creation (webhook delivery included), {args.rate:g} events/s, "
                  f"{args.workers} workers", met)
