"""Start the whole product on one machine: Redis, the Zendesk simulator, gunicorn and a worker.

Used by ``python -m middleware demo``, the end-to-end tests and the benchmarks, so that all
three run the real processes the way a deployment does, over real HTTP, and all three stop
every process they started (even on Ctrl-C or a failed assertion).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import requests

from middleware.local.localredis import PrivateRedis, answers, free_port, start_private_redis, with_db
from middleware.local.processes import stop_process

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stack:
    """Handles and addresses of a running stack."""

    redis_url: str
    simulator_url: str
    web_url: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    private_redis: PrivateRedis | None = None
    log_dir: Path | None = None

    @property
    def webhook_url(self) -> str:
        return f"{self.web_url}/webhooks/zendesk"

    def start_worker(self, name: str = "worker", extra_args: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
        proc = _spawn(name, [sys.executable, "-m", "middleware", "worker", *extra_args], self.env, self.log_dir)
        self.processes[name] = proc
        return proc

    def start_web(self, name: str, extra_env: dict[str, str], workers: int = 1) -> str:
        """One more gunicorn on the same Redis with some settings changed (another config file, a
        token); returns its base URL. Stopped with the rest of the stack."""
        port = free_port()
        env = {**self.env, **extra_env}
        proc = _spawn(name, [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
                             "--workers", str(workers), "--log-level", "info"], env, self.log_dir)
        self.processes[name] = proc
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/healthz", proc=proc)
        return url

    def stop_process(self, name: str) -> None:
        proc = self.processes.pop(name, None)
        if proc is not None:
            stop_process(proc)

    def stop(self) -> None:
        """Stop every process, the last started first, then the private Redis. A second Ctrl-C or
        SIGTERM arriving while one is being stopped does not leave the others running: each is
        still stopped, then the interruption goes on."""
        redis, self.private_redis = self.private_redis, None
        steps = [partial(self.stop_process, name) for name in reversed(list(self.processes))]
        if redis is not None:
            steps.append(redis.stop)
        interrupted: KeyboardInterrupt | None = None
        for step in steps:
            try:
                step()
            except KeyboardInterrupt as exc:
                interrupted = interrupted or exc
        if interrupted is not None:
            raise interrupted

    def logs(self, name: str) -> str:
        if self.log_dir is None:
            return ""
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _spawn(name: str, argv: list[str], env: dict[str, str], log_dir: Path | None) -> subprocess.Popen[bytes]:
    out = open(log_dir / f"{name}.log", "ab") if log_dir else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_http(url: str, timeout: float = 20.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with code {proc.returncode}")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s ({last})")


@contextmanager
def running_stack(
    *,
    redis_url: str | None = None,
    redis_db: int | None = None,
    config_path: str | None = None,
    worker: bool = True,
    gunicorn_workers: int = 2,
    log_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
    sim_port: int | None = None,
    web_port: int | None = None,
) -> Iterator[Stack]:
    """Start Redis (if nothing answers), the simulator, gunicorn and a worker; stop them all after."""
    private = None
    url = redis_url or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    if not answers(url):
        private = start_private_redis()
        url = private.url
    if redis_db is not None:
        url = with_db(url, redis_db)
    sim_port, web_port = sim_port or free_port(), web_port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "MIDDLEWARE_"))}
    env.update(
        REDIS_URL=url,
        ZENDESK_API_URL=f"http://127.0.0.1:{sim_port}",
        ZENDESK_SUBDOMAIN="local",
        ZENDESK_EMAIL="middleware@example.com",
        ZENDESK_API_TOKEN="simulator-token",
        ZENDESK_WEBHOOK_SECRET=secrets.token_urlsafe(24),
        MIDDLEWARE_CONFIG=str(config_path or ROOT / "config.yaml"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra_env or {})
    stack = Stack(url, f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{web_port}", env,
                  private_redis=private, log_dir=log_dir)
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
    try:
        sim = _spawn("simulator", [sys.executable, "-m", "middleware", "simulator", "--host", "127.0.0.1",
                                   "--port", str(sim_port), "--webhook-url", stack.webhook_url], env, log_dir)
        stack.processes["simulator"] = sim
        web = _spawn("web", [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{web_port}",
                             "--workers", str(gunicorn_workers), "--access-logfile", "-", "--log-level", "info"],
                     env, log_dir)
        stack.processes["web"] = web
        wait_http(f"{stack.simulator_url}/_sim/health", proc=sim)
        wait_http(f"{stack.web_url}/healthz", proc=web)
        if worker:
            stack.start_worker()
        yield stack
    finally:
        stack.stop()
