"""The product's RQ queues (stages), and the order a worker serves them in.

SLA timers come first (a late timer is a broken promise), then new ticket events, then
alert delivery, then the slower lifecycle and maintenance work.

A queue's name carries the deployment's ``redis.prefix``: ``Keys.queue(SLA)`` is ``cim-sla``
with the default prefix, ``staging-sla`` with ``staging`` (see :class:`Keys`). Always name a
queue through the runtime's keys, never by a fixed string.
"""

from __future__ import annotations

from redis import Redis
from rq import Queue

from middleware.redis_client import Keys

SLA_STAGE = "sla"
EVENTS_STAGE = "events"
ALERTS_STAGE = "alerts"
LIFECYCLE_STAGE = "lifecycle"
MAINTENANCE_STAGE = "maintenance"

ORDER = (SLA_STAGE, EVENTS_STAGE, ALERTS_STAGE, LIFECYCLE_STAGE, MAINTENANCE_STAGE)


def queue(stage: str, connection: Redis, keys: Keys) -> Queue:
    """The RQ queue of ``stage`` for the deployment whose prefix ``keys`` carries."""
    return Queue(keys.queue(stage), connection=connection)
