"""What the lifecycle, review and report tests share: the shipped config on a test prefix, the
Zendesk simulator in this process (real HTTP, real zenpy), a clock the test sets, and a way to
run the queued jobs the way a worker does."""

from __future__ import annotations

import dataclasses
import functools
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from redis import Redis
from rq import Queue
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from jobs import runtime
from jobs.runtime import Runtime
from middleware.config import Config, load_config
from middleware.local.simulator import SimulatorControl, SimulatorServer
from middleware.store import queues
from middleware.store.connection import Keys
from middleware.zendesk.client import ZendeskClient
from middleware.zendesk.mapping import ticket_from_api
from middleware.zendesk.transport import Credentials
from rules.model import Comment, TicketEvent

ROOT = Path(__file__).resolve().parent.parent
API_EMAIL = "middleware@example.com"
OUTAGE = ("Checkout is down for everyone", "Nothing loads since 10:00, all our stores are down.")


@functools.lru_cache(maxsize=1)
def _shipped() -> str:
    return (ROOT / "config.yaml").read_text(encoding="utf-8")


def write_config(tmp_path: Path, prefix: str, **sections: Any) -> Path:
    """The shipped config.yaml with a test key prefix and the given sections replaced."""
    config = yaml.safe_load(_shipped())
    config["redis"] = {"prefix": prefix}
    config.update(sections)
    path = tmp_path / f"config-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


_configs: dict[str, Config] = {}


def config_for(tmp_path: Path, prefix: str, **sections: Any) -> Config:
    """The loaded config for these sections, parsed once per test session (the shipped file is
    large and YAML parsing is slow), on the test's own key prefix."""
    key = json.dumps(sections, sort_keys=True, default=str)
    if key not in _configs:
        _configs[key] = load_config(write_config(tmp_path, "cim", **sections), env={})
    return dataclasses.replace(_configs[key], redis_prefix=prefix)


@dataclass
class Env:
    """One test's world: runtime, simulator control, the clock (``env.now``)."""

    rt: Runtime
    sim: SimulatorControl
    server: SimulatorServer
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def redis(self) -> Redis:
        return self.rt.redis

    def drain(self, *stages: str) -> int:
        """Run the queued jobs of these stages' queues (default: lifecycle), and the jobs they queue, in
        this process: the job's function with its arguments, as a worker calls it (a worker's
        start-up costs most of a second; the end-to-end tests use real ones). A failing job
        raises here. Returns how many jobs ran."""
        ran = 0
        for _ in range(100):
            named = [queues.queue(s, self.redis, self.rt.keys) for s in (stages or (queues.LIFECYCLE_STAGE,))]
            jobs = [(q, job) for q in named for job in q.get_jobs()]
            if not jobs:
                return ran
            for q, job in jobs:
                q.remove(job)
                job.func(*job.args, **job.kwargs)
                ran += 1
        raise AssertionError("jobs keep queueing jobs")

    def queued(self, stage: str = queues.LIFECYCLE_STAGE) -> list[str]:
        return queues.queue(stage, self.redis, self.rt.keys).get_job_ids()

    def event(self, ticket_id: int, type_: str = "status_changed", actor_id: int | None = None,
              at: datetime | None = None, comment: Comment | None = None) -> TicketEvent:
        """An event carrying the ticket as the simulator has it now (what a webhook would say)."""
        ticket = ticket_from_api(self.sim.get_ticket(ticket_id)["ticket"])
        return TicketEvent(id=uuid.uuid4().hex, type=type_, ticket=ticket, time=at or ticket.updated_at,
                           actor_id=actor_id, comment=comment)

    def api_user(self) -> int:
        return self.rt.zendesk.api_user_id()

    def comments(self, ticket_id: int) -> list[dict[str, Any]]:
        return list(self.sim.get_ticket(ticket_id)["comments"])

    def our_public(self, ticket_id: int) -> list[dict[str, Any]]:
        """Public comments our API user wrote on the ticket (customer messages)."""
        me = self.api_user()
        return [c for c in self.comments(ticket_id) if c["public"] and c["author_id"] == me]


def make_env(server: SimulatorServer, redis: Redis, tmp_path: Path, prefix: str, **sections: Any) -> Iterator[Env]:
    """Build and install a runtime on the simulator; uninstall it after the test."""
    sim = SimulatorControl(server.url)
    sim.reset(keep_webhook=False)
    config = config_for(tmp_path, prefix, **sections)
    creds = Credentials("local", API_EMAIL, "tok", None, server.url)
    holder: dict[str, Env] = {}
    client = ZendeskClient(creds, config.zendesk, redis, Keys(prefix))
    rt = Runtime(config=config, redis=redis, zendesk=client, clock=lambda: holder["env"].now)
    env = Env(rt=rt, sim=sim, server=server)
    holder["env"] = env
    for name in rt.keys.queues():
        Queue(name, connection=redis).empty()
    runtime.install(rt)
    try:
        yield env
    finally:
        runtime.install(None)
        sim.close()


class Sink:
    """An HTTP server on 127.0.0.1 recording (path, JSON body) of every POST: an Apprise
    ``json://127.0.0.1:PORT/<role>`` destination that can be looked at."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.port = self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), name="sink",
                                        daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.posts.append((request.path, json.loads(request.get_data() or b"{}")))
        return Response("ok")(environ, start_response)

    def received(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return list(self.posts)

    def close(self) -> None:
        self.server.shutdown()
