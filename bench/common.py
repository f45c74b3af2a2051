"""What every benchmark shares: results (JSON + table), machine facts, percentiles, and
processes and Redis servers that are always stopped.

Why a private Redis per benchmark: other engineers (and their tests) use the machine's Redis
at the same time; a storm of 10,000 events or a FLUSHDB must not touch their data, and their
traffic must not disturb our figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis import Redis

from middleware.local.localredis import PrivateRedis, free_port, start_private_redis
from middleware.local.processes import stop_process, wait_until

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------
@dataclass
class Target:
    """One row of the issue's target table: what was promised, what was measured, against what.

    ``ceiling`` names the reference the figure is compared with (bare Flask, RQ's no-op rate,
    the configured budget), so a reader can tell a slow product from a slow machine.
    """

    measure: str
    target: str
    result: str
    ceiling: str = ""
    met: bool | None = None


@dataclass
class Report:
    """Everything one benchmark run produced; saved as ``bench/results/<name>.json``."""

    name: str
    params: dict[str, Any]
    results: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    command: str = field(default_factory=lambda: "python -m bench " + shlex.join(sys.argv[1:]))
    duration_s: float = 0.0
    machine: dict[str, Any] = field(default_factory=lambda: machine_info())
    ok: bool = True
    error: str | None = None
    # The machine is shared: the load average around a run says how far to trust its figures.
    loadavg: dict[str, list[float]] = field(default_factory=lambda: {"start": list(os.getloadavg())})
    # Share of all CPUs busy during the run (ours and the neighbours'), from /proc/stat.
    machine_busy_percent: float | None = None
    _cpu_start: tuple[int, int] = field(default_factory=lambda: _cpu_totals(), repr=False)

    @classmethod
    def of_run(cls, name: str, args: argparse.Namespace) -> Report:
        """A report whose parameters are the run's options (not the subcommand's name)."""
        return cls(name, params={k: v for k, v in vars(args).items() if k not in ("command", "func")})

    def keep_logs(self) -> Path:
        """The run's log folder, named in the results so a failed run can be read afterwards."""
        logs = log_dir(self.name)
        self.results["logs"] = str(logs)
        return logs

    @contextmanager
    def timed(self) -> Iterator[None]:
        """The run's wall time in ``duration_s``, whether it ends or fails."""
        started = time.monotonic()
        try:
            yield
        finally:
            self.duration_s = round(time.monotonic() - started, 1)

    def target(self, measure: str, target: str, result: str, ceiling: str = "", met: bool | None = None) -> None:
        self.targets.append(Target(measure, target, result, ceiling, met))

    def save(self) -> Path:
        """Write atomically (``.tmp`` then rename) so a killed run never leaves half a file."""
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        self.loadavg["end"] = list(os.getloadavg())
        busy, total = _cpu_totals()
        if total > self._cpu_start[1]:
            self.machine_busy_percent = round((busy - self._cpu_start[0]) / (total - self._cpu_start[1]) * 100, 1)
        path = RESULTS_DIR / f"{self.name}.json"
        tmp = path.with_suffix(".json.tmp")
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
        tmp.replace(path)
        return path

    def table(self) -> str:
        """The target rows, long cells wrapped so the table fits a terminal."""
        limits = (34, 18, 56, 56, 3)
        rows = [("measure", "target", "result", "ceiling / reference", "met")]
        for t in self.targets:
            met = "-" if t.met is None else ("yes" if t.met else "NO")
            rows.append((t.measure, t.target, t.result, t.ceiling, met))
        wrapped = [[textwrap.wrap(cell, limits[i]) or [""] for i, cell in enumerate(row)] for row in rows]
        widths = [max(len(line) for row in wrapped for line in row[i]) for i in range(5)]
        load = self.loadavg.get("start", [0.0])[0]
        busy = f", CPUs {self.machine_busy_percent:.0f}% busy" if self.machine_busy_percent is not None else ""
        lines = [f"== {self.name} ({self.duration_s:.0f} s, load average {load:.1f} at start{busy}) =="]
        for n, row in enumerate(wrapped):
            for k in range(max(len(cell) for cell in row)):
                parts = [(cell[k] if k < len(cell) else "").ljust(widths[i]) for i, cell in enumerate(row)]
                lines.append("  ".join(parts).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        lines.extend(f"note: {note}" for note in self.notes)
        if self.error:
            lines.append(f"ERROR: {self.error}")
        return "\n".join(lines)


def _cpu_totals() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from the first line of /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values[:8]) - idle, sum(values[:8])


def machine_info() -> dict[str, Any]:
    """What the figures depend on: CPU, cores, memory, kernel, versions, commit."""
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = None
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    versions = {}
    for mod in ("flask", "gunicorn", "rq", "redis", "zenpy", "marshmallow", "werkzeug"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[mod] = version(mod)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": versions,
        "redis_server": redis_server_version(),
        "git_commit": git_commit(),
    }


def git_commit() -> str | None:
    """HEAD plus ``-dirty`` when the working tree differs (read-only git commands only)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if head and dirty else head or None


def redis_server_version() -> str | None:
    from middleware.local.localredis import redis_executable

    with contextlib.suppress(Exception):
        out = subprocess.run([redis_executable(), "--version"], capture_output=True, text=True, timeout=5).stdout
        for part in out.split():
            if part.startswith("v="):
                return part[2:]
    return None


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------
def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (p in 0..100): a value that was
    actually observed, never an interpolation between two."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


def summary(values: Iterable[float], scale: float = 1.0, digits: int = 1) -> dict[str, float | int]:
    """count, p50, p90, p99, max and mean of ``values`` times ``scale`` (e.g. 1000 for ms)."""
    data = sorted(v * scale for v in values)
    if not data:
        return {"count": 0}
    return {
        "count": len(data),
        "p50": round(percentile(data, 50), digits),
        "p90": round(percentile(data, 90), digits),
        "p99": round(percentile(data, 99), digits),
        "max": round(data[-1], digits),
        "mean": round(sum(data) / len(data), digits),
    }


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


# ---------------------------------------------------------------------------------------------
# Processes and Redis
# ---------------------------------------------------------------------------------------------
class Interrupted(BaseException):
    """SIGTERM turned into an exception so every ``finally`` (process stops) still runs."""


def install_signal_handlers() -> None:
    def _raise(signum: int, _frame: Any) -> None:
        raise Interrupted(f"signal {signum}")

    signal.signal(signal.SIGTERM, _raise)


@contextmanager
def private_redis_server() -> Iterator[PrivateRedis]:
    """A redis-server of our own on a free loopback port, persistence off, stopped after."""
    server: PrivateRedis = start_private_redis()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def private_redis() -> Iterator[str]:
    with private_redis_server() as server:
        yield server.url


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (gunicorn's workers, an RQ pool's workers)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU time used so far by these processes (those still alive).

    Why: the machine is shared, so a throughput figure moves with the neighbours' load; the
    CPU our own processes spend per request does not, and says what the code costs.
    """
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / _TICKS


def redis_client(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=5, socket_timeout=60)


@contextmanager
def process(argv: Sequence[str], *, env: dict[str, str] | None = None, log: Path | None = None,
            cwd: Path = ROOT) -> Iterator[subprocess.Popen[bytes]]:
    """A child in its own session, stopped with its whole process group on exit (gunicorn's
    and RQ's children too): SIGTERM, then SIGKILL after 10 s."""
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        yield proc
    finally:
        stop_process(proc)
        if log is not None:
            out.close()  # type: ignore[union-attr]


@contextmanager
def py_spy(pids: Sequence[int], out_dir: Path, name: str, rate: int = 100) -> Iterator[list[Path]]:
    """Sample these processes with py-spy while the block runs (``--profile``); the collapsed
    stacks are written to ``out_dir/<name>-<pid>.txt``. Does nothing if py-spy is missing."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        yield []
        return
    files = [out_dir / f"{name}-{pid}.txt" for pid in pids]
    spies = [subprocess.Popen([exe, "record", "-p", str(pid), "-r", str(rate), "-f", "raw", "-o", str(path),
                               "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for pid, path in zip(pids, files, strict=True)]
    try:
        yield files
    finally:
        for spy in spies:
            with contextlib.suppress(ProcessLookupError):
                spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for spy in spies:
            try:
                spy.wait(timeout=20)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait(timeout=5)


def profile_summary(files: Iterable[Path], top: int = 25, only: tuple[str, ...] = ()) -> list[str]:
    """The functions most often on the stack (inclusive share of samples) in py-spy's raw
    output, optionally only frames from files whose path contains one of ``only``."""
    inclusive: dict[str, int] = {}
    total = 0
    for path in files:
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            total += n
            for frame in set(stack.split(";")):
                if not only or any(o in frame for o in only):
                    inclusive[frame] = inclusive.get(frame, 0) + n
    ranked = sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]
    return [f"{count / total * 100:5.1f}%  {frame}" for frame, count in ranked] if total else []


def log_dir(name: str) -> Path:
    """Where the processes of one run write their logs (kept for a post-mortem, in /tmp)."""
    return Path(tempfile.mkdtemp(prefix=f"cim-bench-{name}-"))


def pinned(argv: list[str], cpus: str) -> tuple[list[str], bool]:
    """``taskset -c cpus argv`` when taskset exists (else argv unchanged, False)."""
    if shutil.which("taskset"):
        return ["taskset", "-c", cpus, *argv], True
    return argv, False


def wait_for(predicate: Any, timeout: float, interval: float = 0.05, what: str = "condition") -> Any:
    """``middleware.local.processes.wait_until`` in the bench's argument order (TimeoutError)."""
    return wait_until(predicate, timeout, what, interval)


__all__ = [
    "RESULTS_DIR",
    "ROOT",
    "Interrupted",
    "Report",
    "Target",
    "cpu_seconds",
    "fmt",
    "free_port",
    "install_signal_handlers",
    "log_dir",
    "machine_info",
    "percentile",
    "pinned",
    "private_redis",
    "private_redis_server",
    "process",
    "process_tree",
    "profile_summary",
    "py_spy",
    "redis_client",
    "stop_process",
    "summary",
    "wait_for",
]
