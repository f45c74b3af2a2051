"""Benchmark 1, ingest: signed ``ticket.created`` webhooks against ``gunicorn wsgi:app``.

Three measurements, all against real processes on 127.0.0.1 with a private Redis:

1. **Throughput vs bare Flask.** The receiver, a Flask endpoint that only answers 202 and the
   same plus one Redis write (``bench/bare_app.py``), served by the *same* gunicorn command line
   (copied from the one ``middleware.local.stack`` starts, only the app and port differ), are driven
   in alternating rounds by the same load generator (wrk replaying pre-signed requests; our
   asyncio client if wrk is missing). The target (issue 16) is the receiver against bare Flask
   + one Redis write, the floor of any receiver that answers 2xx only once the event is stored:
   >= 0.8x its rate, i.e. server CPU per request (gunicorn and Redis, read from ``/proc``, which
   the neighbours' noise moves less) <= 1.25x the floor's. The ratio to bare Flask is kept as
   the reference.
2. **Latency at a fixed 300 requests/s**, open loop: requests leave on a fixed schedule and
   latency counts from the scheduled moment (a stalled server cannot hide behind a waiting
   client). p50/p99 for the receiver, and for bare Flask as the reference.
3. **Storm**: 10,000 distinct webhooks as fast as the client can send them (many connections
   at once, as Zendesk does during an outage). Every answer is recorded; then Redis is checked:
   each accepted event must have its RQ job hash and its id in the queue. No worker runs, so
   nothing leaves the queue while we count.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    Report,
    cpu_seconds,
    fmt,
    free_port,
    private_redis_server,
    process,
    process_tree,
    profile_summary,
    py_spy,
    redis_client,
)
from bench.payloads import write_signed_requests
from bench.workload import EVENTS_QUEUE, KEYS
from middleware.local.stack import Stack, running_stack, wait_http
from middleware.store.enqueue import job_id_for

NAME = "ingest"
WRK_SCRIPT = ROOT / "bench" / "wrk_presigned.lua"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per throughput round (default 6)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating bare/receiver rounds (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections for throughput")
    parser.add_argument("--rate", type=float, default=300.0, help="fixed rate for the latency test (req/s)")
    parser.add_argument("--latency-duration", type=float, default=20.0, help="seconds at the fixed rate")
    parser.add_argument("--storm", type=int, default=10_000, help="webhooks in the storm (default 10000)")
    parser.add_argument("--storm-concurrency", type=int, default=64, help="connections at once in the storm")
    parser.add_argument("--gunicorn-workers", type=int, default=2, help="gunicorn --workers for both apps")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto",
                        help="throughput load generator (auto: wrk if installed or installable)")
    parser.add_argument("--profile", action="store_true",
                        help="sample the receiver's gunicorn workers with py-spy during its throughput rounds "
                             "(the sampling costs CPU: the rounds' figures are then not comparable)")


def ensure_wrk() -> str | None:
    """wrk's path; installed with apt-get when missing and we may (a fresh machine)."""
    found = shutil.which("wrk")
    if found or not shutil.which("apt-get") or os.geteuid() != 0:
        return found
    print("wrk not found: installing it with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        if subprocess.run(argv, env=env, capture_output=True, timeout=300).returncode != 0:
            return None
    return shutil.which("wrk")


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def bare_argv(stack: Stack, port: int, app: str = "bench.bare_app:app") -> list[str]:
    """The receiver's gunicorn command line with only the app and the port changed."""
    argv = [str(a) for a in stack.processes["web"].args]  # type: ignore[union-attr]
    argv[argv.index("wsgi:app")] = app
    argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    return argv


def run_wrk(wrk: str, port: int, requests: Path, duration: float, connections: int) -> dict[str, Any]:
    argv = [wrk, "-t1", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s", "-s", str(WRK_SCRIPT),
            f"http://127.0.0.1:{port}/webhooks/zendesk", "--", str(requests), "1"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {out.stdout[-500:]} {out.stderr[-500:]}")
    data = json.loads(line[len("WRKJSON "):])
    data["throughput"] = round(data["requests"] / (data["duration_us"] / 1e6), 1)
    return data


def run_loadgen(mode: str, port: int, requests: Path, *, timeout: float, **options: Any) -> dict[str, Any]:
    """``python -m bench.loadgen`` in its own process; its JSON answer."""
    argv = [sys.executable, "-m", "bench.loadgen", mode, "--port", str(port), "--requests", str(requests)]
    for key, value in options.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed: {out.stderr[-1000:]}")
    return dict(json.loads(out.stdout))


def throughput_round(tool: str, wrk: str | None, port: int, requests: Path, args: argparse.Namespace,
                     server_pids: list[int]) -> dict[str, Any]:
    """One closed-loop round; also the CPU the server side (gunicorn master and workers, Redis)
    spent per request, which neighbours on a shared machine do not move."""
    cpu_before = cpu_seconds(server_pids)
    if tool == "wrk" and wrk:
        result = run_wrk(wrk, port, requests, args.duration, args.connections)
    else:
        result = run_loadgen("closed", port, requests, timeout=args.duration + 120, concurrency=args.connections,
                             duration=args.duration)
    used = cpu_seconds(server_pids) - cpu_before
    done = result.get("requests", result.get("sent", 0))
    result["server_cpu_s"] = round(used, 2)
    result["server_cpu_ms_per_request"] = round(used / done * 1000, 3) if done else None
    return result


def verify_storm(redis_url: str, event_ids: list[str], results: list[Any]) -> dict[str, Any]:
    """Every 2xx-accepted event must be in Redis: its job hash and its id in the queue."""
    r = redis_client(redis_url)
    accepted = [event_ids[i] for i, status in enumerate(results) if isinstance(status, int) and 200 <= status < 300]
    queued_202 = [event_ids[i] for i, status in enumerate(results) if status == 202]
    job_ids = [job_id_for(e, KEYS) for e in accepted]
    pipe = r.pipeline(transaction=False)
    for job_id in job_ids:
        pipe.exists(f"rq:job:{job_id}")
    exists = pipe.execute()
    in_queue = {m.decode() for m in r.lrange(f"rq:queue:{EVENTS_QUEUE}", 0, -1)}
    missing_hash = [j for j, ok in zip(job_ids, exists, strict=True) if not ok]
    missing_queue = [j for j in job_ids if j not in in_queue]
    lost = sorted(set(missing_hash) | set(missing_queue))
    return {
        "accepted_2xx": len(accepted),
        "queued_202": len(queued_202),
        "queue_length": r.llen(f"rq:queue:{EVENTS_QUEUE}"),
        "job_hashes_found": sum(1 for ok in exists if ok),
        "lost": len(lost),
        "lost_examples": lost[:5],
    }


def run(args: argparse.Namespace) -> Report:
    report = Report.of_run(NAME, args)
    wrk = ensure_wrk() if args.tool in ("auto", "wrk") else None
    tool = "wrk" if wrk else "python"
    if args.tool == "wrk" and not wrk:
        raise RuntimeError("wrk is not installed and could not be installed")
    report.results["throughput_tool"] = tool
    logs = report.keep_logs()
    work = Path(tempfile.mkdtemp(prefix="cim-bench-ingest-req-"))
    with report.timed():
        try:
            with private_redis_server() as redis_server, \
                    running_stack(redis_url=redis_server.url, worker=False, log_dir=logs,
                                  gunicorn_workers=args.gunicorn_workers) as stack:
                redis_url = redis_server.url
                secret = stack.env["ZENDESK_WEBHOOK_SECRET"]
                app_port, bare_port, floor_port = _port(stack.web_url), free_port(), free_port()
                argv = bare_argv(stack, bare_port)
                floor_argv = bare_argv(stack, floor_port, "bench.bare_app:redis_app")
                report.results["gunicorn_command"] = {
                    "receiver": " ".join(str(a) for a in stack.processes["web"].args[1:]),  # type: ignore[union-attr]
                    "bare": " ".join(argv[1:]),
                    "bare_plus_redis": " ".join(floor_argv[1:]),
                }
                with process(argv, env=stack.env, log=logs / "bare.log") as bare, \
                        process(floor_argv, env=stack.env, log=logs / "floor.log") as floor:
                    wait_http(f"http://127.0.0.1:{bare_port}/healthz", proc=bare)
                    wait_http(f"http://127.0.0.1:{floor_port}/healthz", proc=floor)
                    ports = {"bare": bare_port, "bare_plus_redis": floor_port, "receiver": app_port}
                    pids = {"receiver": [*process_tree(stack.processes["web"].pid), redis_server.process.pid],
                            "bare": [*process_tree(bare.pid), redis_server.process.pid],
                            "bare_plus_redis": [*process_tree(floor.pid), redis_server.process.pid]}
                    _throughput(report, args, tool, wrk, secret, ports, work, pids)
                    _latency(report, args, secret, app_port, bare_port, work)
                    _storm(report, args, secret, app_port, redis_url, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return report


def _throughput(report: Report, args: argparse.Namespace, tool: str, wrk: str | None, secret: str,
                ports: dict[str, int], work: Path, pids: dict[str, list[int]]) -> None:
    # Warm every server (imports, first Redis connection, script load), then alternate short
    # rounds, bare first: its rate bounds how many distinct requests a receiver round can use.
    warm = write_signed_requests(work / "warm.bin", 600, secret)
    for port in ports.values():
        run_loadgen("closed", port, warm.path, timeout=60, concurrency=8, duration=2)
    bare_file = write_signed_requests(work / "bare.bin", 4000, secret, first_ticket_id=1)
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in ports}
    profiles: list[Path] = []
    (Path(report.results["logs"]) / "profiles").mkdir(parents=True, exist_ok=True)
    for n in range(args.rounds):
        bare = throughput_round(tool, wrk, ports["bare"], bare_file.path, args, pids["bare"])
        rounds["bare"].append(bare)
        rounds["bare_plus_redis"].append(
            throughput_round(tool, wrk, ports["bare_plus_redis"], bare_file.path, args, pids["bare_plus_redis"]))
        budget = int(bare["throughput"] * args.duration * 1.5) + 2000
        fresh = write_signed_requests(work / f"app{n}.bin", budget, secret, first_ticket_id=1_000_000 * (n + 1))
        if args.profile:
            workers = pids["receiver"][1:-1]  # gunicorn's workers (not the master, not Redis)
            with py_spy(workers, Path(report.results["logs"]) / "profiles", f"receiver{n}") as files:
                rounds["receiver"].append(
                    throughput_round(tool, wrk, ports["receiver"], fresh.path, args, pids["receiver"]))
            profiles.extend(files)
        else:
            rounds["receiver"].append(
                throughput_round(tool, wrk, ports["receiver"], fresh.path, args, pids["receiver"]))
    if args.profile:
        report.results["profile_receiver"] = {
            "files": [str(f) for f in profiles],
            "all_frames": profile_summary(profiles, top=40),
            "our_code": profile_summary(profiles, top=40, only=("middleware/", "flask/", "werkzeug/", "redis/")),
        }
        print("receiver profile (inclusive share of py-spy samples, our code and the web stack):")
        print("\n".join(report.results["profile_receiver"]["our_code"]))
    rate = {name: statistics.median(r["throughput"] for r in rs) for name, rs in rounds.items()}
    cpu = {name: statistics.median(r["server_cpu_ms_per_request"] or 0 for r in rs) for name, rs in rounds.items()}
    # Each round against the bare round just before it: the neighbours' load drifts.
    ratio = {name: statistics.median(a["throughput"] / b["throughput"]
                                     for a, b in zip(rs, rounds["bare"], strict=True))
             for name, rs in rounds.items()}
    cpu_ratio = cpu["bare"] / cpu["receiver"] if cpu["receiver"] else 0.0
    # The target (16): against bare Flask + one Redis write, the floor of any receiver
    # that answers 2xx only once the event is stored; each receiver round against the floor
    # round just before it.
    vs_floor = statistics.median(a["throughput"] / b["throughput"]
                                 for a, b in zip(rounds["receiver"], rounds["bare_plus_redis"], strict=True))
    cpu_vs_floor = cpu["receiver"] / cpu["bare_plus_redis"] if cpu["bare_plus_redis"] else 0.0
    non_2xx = sum(v for r in rounds["receiver"] for k, v in r["statuses"].items() if not str(k).startswith("2"))
    dup = sum(r["statuses"].get("200", 0) for r in rounds["receiver"])
    report.results["throughput"] = {
        "req_s": rate, "ratio_to_bare": {k: round(v, 3) for k, v in ratio.items()},
        "server_cpu_ms_per_request": cpu, "cpu_ratio": round(cpu_ratio, 3),
        "ratio_to_floor": round(vs_floor, 3), "cpu_vs_floor": round(cpu_vs_floor, 3),
        "connections": args.connections, "duration_s": args.duration,
        "rounds": rounds, "receiver_non_2xx": non_2xx, "receiver_duplicates_200": dup,
    }
    report.target("ingest throughput vs bare Flask + one Redis write", ">= 0.8x (CPU <= 1.25x)",
                  f"{vs_floor:.2f}x ({fmt(rate['receiver'], 0)} req/s); server CPU per request "
                  f"{cpu_vs_floor:.2f}x the floor's ({cpu['receiver']:.2f} vs {cpu['bare_plus_redis']:.2f} ms)",
                  f"floor {fmt(rate['bare_plus_redis'], 0)} req/s; bare Flask {fmt(rate['bare'], 0)} req/s "
                  f"({cpu['bare']:.2f} ms), receiver {ratio['receiver']:.2f}x and floor "
                  f"{ratio['bare_plus_redis']:.2f}x of it; same gunicorn ({args.gunicorn_workers} sync workers), "
                  f"median of {args.rounds} rounds", vs_floor >= 0.8 and cpu_vs_floor <= 1.25)
    if dup or non_2xx:
        report.notes.append(f"throughput rounds saw {dup} duplicate answers and {non_2xx} non-2xx answers")


def _latency(report: Report, args: argparse.Namespace, secret: str, app_port: int, bare_port: int,
             work: Path) -> None:
    """Open loop at a fixed rate, receiver then bare Flask (same schedule, same client)."""
    count = int(args.rate * args.latency_duration)
    out: dict[str, Any] = {}
    for name, port, first in (("receiver", app_port, 5_000_000), ("bare", bare_port, 6_000_000)):
        requests = write_signed_requests(work / f"lat-{name}.bin", count, secret, first_ticket_id=first)
        out[name] = run_loadgen("open", port, requests.path, timeout=args.latency_duration + 120, rate=args.rate,
                                duration=args.latency_duration)
    report.results["latency_at_rate"] = out
    lat = out["receiver"]["latency_ms"]
    ok_statuses = all(str(k).startswith("2") for k in out["receiver"]["statuses"])
    report.target(f"ingest p99 at {args.rate:g} req/s", "<= 25 ms",
                  f"p99 {fmt(lat.get('p99'))} ms (p50 {fmt(lat.get('p50'))} ms)",
                  f"bare Flask p99 {fmt(out['bare']['latency_ms'].get('p99'))} ms",
                  bool(lat.get("p99", 1e9) <= 25 and ok_statuses))


def _storm(report: Report, args: argparse.Namespace, secret: str, app_port: int, redis_url: str,
           work: Path) -> None:
    redis_client(redis_url).flushdb()  # our private server: count this storm's events only
    requests = write_signed_requests(work / "storm.bin", args.storm, secret, first_ticket_id=7_000_000)
    result = run_loadgen("storm", app_port, requests.path, timeout=600, concurrency=args.storm_concurrency)
    statuses = result.pop("results")
    check = verify_storm(redis_url, requests.event_ids, statuses)
    refused = sum(1 for s in statuses if not (isinstance(s, int) and 200 <= s < 300))
    report.results["storm"] = {**result, **check, "refused": refused}
    report.target(f"storm of {args.storm:,}", "0 refused, 0 lost",
                  f"{refused} refused, {check['lost']} lost, {check['queued_202']:,} queued "
                  f"({fmt(result['throughput'], 0)} req/s, max {fmt(result['latency_ms'].get('max'), 0)} ms)",
                  f"{args.storm_concurrency} connections at once; Zendesk gives up after 10 s",
                  refused == 0 and check["lost"] == 0 and check["queued_202"] == args.storm)
