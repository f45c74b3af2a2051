"""What every job needs (config, Redis, the Zendesk client, the incident store, a clock),
built once per worker process and reused across jobs.

Building it per job would recompile the rules and open a new HTTP connection to Zendesk for
every event; a worker process keeps one. Tests install their own with :func:`install` (a test
Redis database, a client pointed at ``responses`` or the simulator, a fixed clock).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from redis import Redis

from middleware.config import Config, load_config
from middleware.store.connection import Keys, connect, redis_url
from middleware.store.incidents import IncidentStore
from middleware.zendesk.client import ZendeskClient, client_from_env


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    config: Config
    redis: Redis
    zendesk: ZendeskClient
    clock: Callable[[], datetime] = utcnow
    keys: Keys = field(init=False)
    incidents: IncidentStore = field(init=False)

    def __post_init__(self) -> None:
        self.keys = Keys(self.config.redis_prefix)
        self.incidents = IncidentStore(self.redis, self.keys)


_lock = threading.Lock()
_current: Runtime | None = None


def build(env: dict[str, str] | None = None) -> Runtime:
    """A runtime from the environment: ``MIDDLEWARE_CONFIG``, ``REDIS_URL``, ``ZENDESK_*``."""
    env = dict(os.environ) if env is None else env
    config = load_config(env=env)
    redis = connect(redis_url(env))
    keys = Keys(config.redis_prefix)
    return Runtime(config=config, redis=redis, zendesk=client_from_env(config.zendesk, redis, keys, env))


def get() -> Runtime:
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = build()
    return _current


def install(runtime: Runtime | None) -> None:
    """Use ``runtime`` for the jobs of this process (``None`` to forget it)."""
    global _current
    _current = runtime
