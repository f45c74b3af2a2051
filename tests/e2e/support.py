"""What the end-to-end tests share: polling with a deadline, a clean Redis database, the shipped
config with some sections changed, and a local JSON sink to receive the alerts.

Each test file keeps its own Redis database number (so suites can run side by side on one
server) and passes it to :func:`flush_db`. The ``sink`` fixture is in ``conftest.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from redis import Redis
from rq import Queue
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from middleware.local import processes
from middleware.local.localredis import answers, with_db
from middleware.local.simulator import SimulatorControl
from middleware.local.stack import ROOT, Stack
from middleware.store.connection import Keys
from middleware.store.incidents import IncidentStore


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy and return that; fail the test
    (AssertionError naming ``what``) if it has not within ``timeout`` seconds."""
    return processes.wait_until(predicate, timeout, what, interval=0.1, error=AssertionError)


def flush_db(db: int) -> None:
    """Empty database ``db`` of the Redis on REDIS_URL, if one answers: left-over keys (timers,
    dedupe marks) of an aborted run would act too. A private Redis started by the stack is fresh."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    if answers(url):
        with Redis.from_url(with_db(url, db)) as redis:
            redis.flushdb()


def write_config(tmp_path: Path, merge: Mapping[str, Mapping[str, Any]] | None = None, **sections: Any) -> Path:
    """Write the shipped config.yaml to ``tmp_path/config.yaml`` with the given top-level
    ``sections`` replaced whole, and the keys in ``merge`` (section → keys) laid over the shipped
    section's own keys; return the path."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config.update(sections)
    for name, keys in (merge or {}).items():
        config[name] = {**config.get(name, {}), **keys}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


class World:
    """A running stack as the people in a story use it (the simulator, the command line) and what
    the middleware recorded (its Redis, on the story's key prefix). A story adds its people."""

    def __init__(self, stack: Stack, prefix: str) -> None:
        self.stack = stack
        self.sim = SimulatorControl(stack.simulator_url)
        self.redis = Redis.from_url(stack.redis_url)
        self.keys = Keys(prefix)
        self.incidents = IncidentStore(self.redis, self.keys)

    def ticket(self, tid: int) -> dict[str, Any]:
        return self.sim.get_ticket(tid)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``python -m middleware …`` against this stack, as an operator runs it."""
        return subprocess.run([sys.executable, "-m", "middleware", *args], cwd=ROOT, env=self.stack.env,
                              capture_output=True, text=True, timeout=120)

    def idle(self, timeout: float = 60) -> None:
        """Webhooks delivered and every queue empty with no job running: nothing more will happen
        on its own (scheduled SLA timers aside). Asked twice, so a job queued by the last one counts."""

        def quiet() -> bool:
            if not self.sim.wait_deliveries(timeout=5):
                return False
            return all(not Queue(n, connection=self.redis).count
                       and not Queue(n, connection=self.redis).started_job_registry.count for n in self.keys.queues())

        wait_until(lambda: quiet() and quiet(), timeout, "the stack to go idle")


class Sink:
    """An HTTP server on 127.0.0.1 (in a thread of the test process) recording (path, JSON body)
    of every POST: an Apprise ``json://127.0.0.1:PORT/<role>`` destination that can be looked at."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.port: int = self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), name="alert-sink",
                                        daemon=True)

    def url(self, path: str = "") -> str:
        """The Apprise URL of ``path`` on this sink (``json://127.0.0.1:PORT/path``)."""
        return f"json://127.0.0.1:{self.port}/{path}" if path else f"json://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        body = json.loads(request.get_data() or b"{}")
        with self._lock:
            self.posts.append((request.path, body))
        return Response("ok")(environ, start_response)

    def received(self) -> list[tuple[str, dict[str, Any]]]:
        """A copy of the posts so far (the list grows while deliveries arrive)."""
        with self._lock:
            return list(self.posts)
