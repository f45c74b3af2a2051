"""Alerts to people (stub until the alerting work lands): the interface the other stages call.

``notify`` is called by the declared path, the SLA clock and the lifecycle with one of the
event names ``incident.declared``, ``sla.at_risk``, ``sla.breached``, ``incident.resolved``
(and others a route may name). ``occurrence`` tells repeated alerts apart (breach reminder 1,
2, …) so each person gets each one once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from jobs.runtime import Runtime
from middleware.incidents import Incident

log = logging.getLogger(__name__)


def notify(rt: Runtime, incident: Incident, event: str, at: datetime, *, occurrence: str = "",
           details: dict[str, Any] | None = None) -> None:
    """Record the alert on the incident's timeline (delivery comes with the alerting work)."""
    key = f"alert:{event}:{occurrence}"
    if rt.incidents.add_event(incident.id, "alert", at, {"event": event, "occurrence": occurrence,
                                                          **(details or {})}, dedupe_key=key):
        log.info("incident %s: alert %s %s", incident.id, event, occurrence)
