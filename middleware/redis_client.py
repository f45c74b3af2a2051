"""Redis connections and key names, in one place so every key carries the configured prefix.

The web process fails fast (1 s to connect, 2 s per command) so that when Redis is away the
receiver answers 503 well inside Zendesk's ~10 s patience; workers can afford to wait longer.
"""

from __future__ import annotations

import os

from redis import Redis

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_url(env: dict[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("REDIS_URL") or DEFAULT_REDIS_URL


def connect(url: str | None = None, *, for_web: bool = False) -> Redis:
    """A client for ``url`` (default ``REDIS_URL``). Not decoding: RQ stores bytes."""
    if for_web:
        return Redis.from_url(url or redis_url(), socket_connect_timeout=1, socket_timeout=2, health_check_interval=30)
    return Redis.from_url(url or redis_url(), socket_connect_timeout=5, socket_timeout=30, health_check_interval=30)


class Keys:
    """Key names under one prefix (``redis.prefix`` in config; tests use their own)."""

    def __init__(self, prefix: str = "cim") -> None:
        self.prefix = prefix

    def __call__(self, *parts: object) -> str:
        return ":".join((self.prefix, *(str(p) for p in parts)))
