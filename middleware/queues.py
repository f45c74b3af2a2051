"""The RQ queues the product uses, and the order a worker serves them in.

SLA timers come first (a late timer is a broken promise), then new ticket events, then
alert delivery, then the slower lifecycle and maintenance work.
"""

from __future__ import annotations

from redis import Redis
from rq import Queue

SLA = "cim-sla"
EVENTS = "cim-events"
ALERTS = "cim-alerts"
LIFECYCLE = "cim-lifecycle"
MAINTENANCE = "cim-maintenance"

ALL = (SLA, EVENTS, ALERTS, LIFECYCLE, MAINTENANCE)


def queue(name: str, connection: Redis) -> Queue:
    return Queue(name, connection=connection)
