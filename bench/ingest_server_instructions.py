"""What the whole server side spends per webhook, in instructions: the gunicorn worker (HTTP
parsing, Flask, our code, logging) and Redis, for the receiver and the floor.

Why: ``bench ingest``'s target is a ratio of server CPU (gunicorn and Redis) per request, and on
the shared 2-core box that ratio moves by ±0.1 between runs while neighbours come and go
(docs/benchmarks.md). ``bench.ingest_instructions`` counts the app in-process, without gunicorn
and without Redis's side; this counts both, the way ``bench ingest`` serves them (the same
gunicorn flags, one sync worker), under callgrind, which the neighbours do not move. Kernel time
(sockets, the log writes) is not counted: it is about the same per request for both apps, so the
ratio here is, if anything, a little above the CPU ratio.

How: a private ``redis-server`` and ``gunicorn APP --workers 1`` run under callgrind; after a
warm-up, the worker's and Redis's counters are zeroed (``callgrind_control -z PID``: only
these processes, never another callgrind run on the machine), ``N`` signed ``ticket.created``
webhooks are sent one at a time, and both are dumped. About four minutes::

    python -m bench.ingest_server_instructions 300

``--cpu CYCLES`` runs the same servers without valgrind and reads their CPU time from ``/proc``
around the counted webhooks instead (user + system, kernel included), receiver and floor in turn
``CYCLES`` times, and prints the median ratio: the CPU measure with one request at a time, which
the neighbours move far less than ``bench ingest``'s 16 connections on 2 workers (use ``N`` in
the thousands: the kernel counts CPU in 10 ms ticks).

Not run by ``bench all``: it needs valgrind (but for ``--cpu``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, cpu_seconds, free_port, process, wait_for
from bench.payloads import read_requests, write_signed_requests

SECRET = "bench-server-instructions-secret"
APPS = {"receiver": "wsgi:app", "floor": "bench.bare_app:redis_app"}
CALLGRIND = ["valgrind", "--tool=callgrind", "--trace-children=yes"]


def send(port: int, requests: list[bytes]) -> int:
    """Send each raw request on its own connection (a sync worker closes it), one at a time;
    how many were not answered 2xx."""
    refused = 0
    for raw in requests:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
            conn.sendall(raw)
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        refused += not answer.startswith(b"HTTP/1.1 2")
    return refused


def control(option: str, pid: int) -> None:
    subprocess.run(["callgrind_control", option, str(pid)], check=True, capture_output=True, timeout=120)


def dumped(out_dir: Path, prefix: str, pid: int) -> int:
    """Instructions in the first dump of ``pid`` (what ``-d`` wrote after ``-z``)."""
    path = out_dir / f"{prefix}.{pid}.1"
    wait_for(path.exists, 60, what=f"callgrind dump {path.name}")
    for line in wait_for(lambda: path.read_text().splitlines() or None, 60, what="dump text"):
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def count(app: str, n: int, warm_up: int, out_dir: Path, *, cpu: bool = False) -> dict[str, float]:
    """Instructions (or, with ``cpu``, microseconds of CPU) per request of the gunicorn worker
    and of Redis serving ``app``."""
    port, redis_port = free_port(), free_port()
    env = {**os.environ, "ZENDESK_WEBHOOK_SECRET": SECRET, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
           "PYTHONHASHSEED": "0"}
    redis_argv = ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    web_argv = [sys.executable, "-m", "gunicorn", APPS[app], "--bind", f"127.0.0.1:{port}", "--workers", "1",
                "--access-logfile", "-", "--log-level", "info"]
    if not cpu:
        redis_argv = [*CALLGRIND, f"--callgrind-out-file={out_dir}/{app}-redis.%p", *redis_argv]
        web_argv = [*CALLGRIND, f"--callgrind-out-file={out_dir}/{app}-web.%p", *web_argv]
    files = out_dir / f"{app}.bin"
    write_signed_requests(files, warm_up + n, SECRET, first_ticket_id=int.from_bytes(os.urandom(3), "big") * 100)
    requests = read_requests(files)
    with process(redis_argv, env=env, log=out_dir / f"{app}-redis.log") as redis, \
            process(web_argv, env=env, log=out_dir / f"{app}-web.log") as web:
        wait_for(lambda: _answers(port), 180, interval=0.5, what=f"gunicorn {APPS[app]}")
        if send(port, requests[:warm_up]):
            raise RuntimeError(f"{app}: a warm-up request was refused (see {out_dir})")
        worker = wait_for(lambda: _child(web.pid), 30, what="the gunicorn worker")
        if cpu:
            before = cpu_seconds([worker]), cpu_seconds([redis.pid])
        else:
            control("-z", worker)
            control("-z", redis.pid)
        if send(port, requests[warm_up:]):
            raise RuntimeError(f"{app}: a counted request was refused (see {out_dir})")
        if cpu:
            web_count = (cpu_seconds([worker]) - before[0]) * 1e6
            redis_count = (cpu_seconds([redis.pid]) - before[1]) * 1e6
        else:
            control("-d", worker)
            control("-d", redis.pid)
            web_count, redis_count = dumped(out_dir, f"{app}-web", worker), dumped(out_dir, f"{app}-redis", redis.pid)
    return {"worker": web_count / n, "redis": redis_count / n, "total": (web_count + redis_count) / n}


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _child(pid: int) -> int | None:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                return int(stat.parent.name)
        except (OSError, ValueError, IndexError):
            continue
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=300, help="requests counted (default 300)")
    parser.add_argument("--warm-up", type=int, default=300, help="requests served first, not counted")
    parser.add_argument("--cpu", type=int, metavar="CYCLES", help="CPU time from /proc instead, CYCLES rounds in turn")
    parser.add_argument("--keep", action="store_true", help="keep callgrind's files (printed)")
    args = parser.parse_args()
    if not args.cpu and (not shutil.which("valgrind") or not shutil.which("callgrind_control")):
        raise SystemExit("needs valgrind (apt-get install valgrind)")
    out_dir = Path(tempfile.mkdtemp(prefix="cim-bench-server-instr-"))
    started = time.monotonic()
    try:
        cycles = [{app: count(app, args.n, args.warm_up, out_dir, cpu=bool(args.cpu)) for app in APPS}
                  for _ in range(args.cpu or 1)]
    finally:
        if args.keep:
            print(f"files: {out_dir}")
        else:
            shutil.rmtree(out_dir, ignore_errors=True)
    unit, scale = ("µs of CPU", 1.0) if args.cpu else ("instructions (k)", 1000.0)
    print(f"{unit} per webhook ({args.n} counted after {args.warm_up}, {time.monotonic() - started:.0f} s"
          f"{'' if args.cpu else '; kernel time not counted'}):")
    for counts in cycles:
        for app, c in counts.items():
            print(f"  {app:9s} gunicorn worker {c['worker'] / scale:7.1f}  redis {c['redis'] / scale:6.1f}  "
                  f"total {c['total'] / scale:7.1f}")
        r, f = counts["receiver"], counts["floor"]
        print(f"  receiver / floor: worker {r['worker'] / f['worker']:.3f}x, redis {r['redis'] / f['redis']:.2f}x, "
              f"total {r['total'] / f['total']:.3f}x")
    if len(cycles) > 1:
        ratios = [c["receiver"]["total"] / c["floor"]["total"] for c in cycles]
        print(f"median receiver / floor over {len(cycles)} cycles: {statistics.median(ratios):.3f}x "
              f"(range {min(ratios):.3f}-{max(ratios):.3f}x)")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
