"""Redis connections and key names, in one place so every key carries the configured prefix.

The web process fails fast (1 s to connect, 2 s per command) so that when Redis is away the
receiver answers 503 well inside Zendesk's ~10 s patience; workers can afford to wait longer.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

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


_JOB_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


# The product's RQ queues, one per stage, in the order a worker serves them (middleware.store.queues).
SLA_STAGE = "sla"
EVENTS_STAGE = "events"
ALERTS_STAGE = "alerts"
LIFECYCLE_STAGE = "lifecycle"
MAINTENANCE_STAGE = "maintenance"
ORDER = (SLA_STAGE, EVENTS_STAGE, ALERTS_STAGE, LIFECYCLE_STAGE, MAINTENANCE_STAGE)


class Keys:
    """Key, queue and job names under one prefix (``redis.prefix`` in config; tests use their own).

    Our own keys are ``<prefix>:…``. RQ's keys always start with ``rq:`` (RQ's namespace is
    per process, not per queue), so the prefix goes into what RQ builds them from: queue names
    are ``<prefix>-<stage>`` (``rq:queue:cim-events``, ``rq:scheduled:cim-sla``…) and job ids
    carry ``-<prefix>-`` (``rq:job:evt-cim-…``). Two environments on one Redis then never
    share a queue, a scheduled job or a unique job id, and everything one of them wrote can be
    found by its prefix. With the default prefix ``cim`` the queue names are the ones every
    release has used, so an upgrade needs no queue migration.
    """

    def __init__(self, prefix: str = "cim") -> None:
        self.prefix = prefix
        self.job_prefix = _JOB_ID_UNSAFE.sub("_", prefix)  # RQ job ids allow [A-Za-z0-9_-] only

    def __call__(self, *parts: object) -> str:
        return ":".join((self.prefix, *(str(p) for p in parts)))

    def queue(self, stage: str) -> str:
        """The RQ queue name of a stage (:mod:`middleware.store.queues`): ``<prefix>-<stage>``."""
        return f"{self.prefix}-{stage}"

    def queues(self) -> list[str]:
        """Every queue name, in the order a worker serves them."""
        return [self.queue(stage) for stage in ORDER]

    def job_id(self, kind: str, *parts: object) -> str:
        """``<kind>-<prefix>-<part>-…`` with only the characters RQ accepts in a job id."""
        return _JOB_ID_UNSAFE.sub("_", "-".join((kind, self.job_prefix, *(str(p) for p in parts))))


def redact_url(url: str) -> str:
    """``redis://:secret@host/0`` -> ``redis://:***@host/0``: a URL may carry a password."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
