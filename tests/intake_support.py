"""Helpers shared by the intake, correlation and reconcile tests: a runtime whose Zendesk is the
local simulator (in this process, over real HTTP) and whose Redis is the test database.

The shipped config.yaml is the base (its real rules decide), with the test's own key prefix and
whatever sections a test overrides.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from redis import Redis
from rq import Queue

from jobs import runtime
from jobs.runtime import Runtime
from middleware.config import Config, load_config
from middleware.config.redis import load_redis
from middleware.config.schema import load_yaml
from middleware.local.simulator import SimulatorControl, SimulatorServer
from middleware.store.connection import Keys
from middleware.store.queues import EVENTS_STAGE
from middleware.zendesk.client import ZendeskClient
from middleware.zendesk.transport import Credentials

ROOT = Path(__file__).resolve().parent.parent

ALERTMANAGER = {
    "version": "4",
    "groupKey": '{}:{alertname="HighErrorRate"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "critical-incidents",
    "groupLabels": {"alertname": "HighErrorRate"},
    "commonLabels": {"alertname": "HighErrorRate", "severity": "critical"},
    "commonAnnotations": {"summary": "API 5xx rate above 5%"},
    "externalURL": "http://alertmanager.local:9093",
    "alerts": [
        {"status": "firing", "labels": {"alertname": "HighErrorRate", "severity": "critical", "instance": "api-1"},
         "annotations": {"description": "api-1 is failing"}, "startsAt": "2025-03-01T09:00:00.123456789Z",
         "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus.local/graph?g0", "fingerprint": "aa11"},
        {"status": "firing", "labels": {"alertname": "HighErrorRate", "severity": "critical", "instance": "api-2"},
         "annotations": {"description": "api-2 is failing"}, "startsAt": "2025-03-01T09:00:30Z",
         "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus.local/graph?g0", "fingerprint": "bb22"},
    ],
}
REPORT = {"reporter_email": "sam@ourco.example", "summary": "Checkout down for Acme",
          "description": "Acme cannot take payments since 10:00.", "organizations": [360000000022],
          "category": "outage"}


def shipped_config() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def write_config(tmp_path: Path, key_prefix: str, **sections: Any) -> Path:
    """The shipped config with ``redis.prefix`` = ``key_prefix`` and ``sections`` replaced."""
    config = shipped_config()
    config["redis"] = {"prefix": key_prefix}
    config.update(sections)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


_configs: dict[str, Config] = {}


def load_config_once(config_path: Path) -> Config:
    """``load_config(config_path, env={})``, loaded once per test session for each content but
    the key prefix (compiling the shipped rules and their models takes most of a second), then
    a copy on this file's prefix and path. A config that does not load raises every time. The
    sections are frozen, so a test replacing one on its copy (``rt.config.reconcile = ...``)
    changes nothing for the others."""
    raw = load_yaml(config_path.read_text(encoding="utf-8"))
    key = json.dumps({**raw, "redis": None}, sort_keys=True, default=str)
    if key not in _configs:
        _configs[key] = load_config(config_path, env={})
    return dataclasses.replace(_configs[key], path=str(config_path), redis_prefix=load_redis(raw.get("redis")).prefix)


def make_runtime(config_path: Path, redis: Redis, base_url: str,
                 clock: Callable[[], datetime] | None = None) -> Runtime:
    config = load_config_once(config_path)
    creds = Credentials("local", "middleware@example.com", "token", None, base_url)
    client = ZendeskClient(creds, config.zendesk, redis, Keys(config.redis_prefix))  # budget, breaker: this prefix
    return Runtime(config=config, redis=redis, zendesk=client, clock=clock or (lambda: datetime.now(UTC)))


@contextmanager
def simulated(tmp_path: Path, redis: Redis, key_prefix: str, clock: Callable[[], datetime] | None = None,
              **sections: Any) -> Iterator[tuple[Runtime, SimulatorControl, SimulatorServer]]:
    """A simulator server, a runtime pointed at it (installed for RQ entry points), a control client."""
    with SimulatorServer() as server:
        rt = make_runtime(write_config(tmp_path, key_prefix, **sections), redis, server.url, clock)
        runtime.install(rt)
        control = SimulatorControl(server.url)
        try:
            yield rt, control, server
        finally:
            control.close()
            runtime.install(None)


def tickets(control: SimulatorControl) -> list[dict[str, Any]]:
    return sorted(control.tickets(), key=lambda t: t["id"])


def comments(control: SimulatorControl, ticket_id: int) -> list[dict[str, Any]]:
    return list(control.get_ticket(ticket_id)["comments"])


def writes(control: SimulatorControl, path_prefix: str = "/api/v2/tickets") -> list[dict[str, Any]]:
    return [r for r in control.requests_log()["requests"]
            if r["method"] != "GET" and r["path"].startswith(path_prefix)]


def queued_events(redis: Redis, key_prefix: str) -> list[Any]:
    return Queue(Keys(key_prefix).queue(EVENTS_STAGE), connection=redis).get_jobs()
