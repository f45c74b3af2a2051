"""The declared path: what follows once a ticket is a critical incident, in one place.

Triage decides and flags; this module fans the incident out to the later stages (SLA clock,
alerts to people, the customer's "handled as critical" message) and routes the events that
matter to them (a public staff reply, a status change). Each stage is idempotent on its own,
so calling these twice for one incident does nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from jobs import alerts, correlate, incident_record, lifecycle, sla
from jobs.runtime import Runtime
from jobs.ticket_state import TicketState
from middleware.incidents import Incident
from rules.model import TicketEvent

log = logging.getLogger(__name__)


def on_declared(rt: Runtime, incident: Incident, event: TicketEvent) -> None:
    """A new critical incident was recorded (exactly once per incident)."""
    log.info("incident %s declared (category %s, rules %s)", incident.id, incident.category,
             ",".join(incident.rules))
    sla.on_declared(rt, incident, event)  # first, so the declared alert can say when the SLA is due
    alerts.notify(rt, incident, "incident.declared", incident.declared_at)
    lifecycle.on_declared(rt, incident, event)


def on_linked(rt: Runtime, incident: Incident, ticket_ids: Iterable[int]) -> None:
    """Tickets joined a running incident (multi-customer correlation): their requesters are told
    it is handled as critical, and they count among the incident's tickets at resolution."""
    lifecycle.on_linked(rt, incident, ticket_ids)


def on_overridden(rt: Runtime, incident: Incident, event: TicketEvent) -> None:
    """An agent said this is not critical: stop everything that was started for it."""
    log.info("incident %s overridden by an agent", incident.id)
    sla.on_overridden(rt, incident, event)


def after_event(rt: Runtime, event: TicketEvent, state: TicketState | None = None) -> None:
    """Every ticket event, after triage: route what the later stages listen for.

    ``state``: the ticket's incident, clock and link as triage read them (one round trip);
    without it each stage reads what it needs.
    """
    sla.after_event(rt, event, state)
    lifecycle.after_event(rt, event, state)
    incident_record.after_event(rt, event, state)  # assignee and comments, for the incident room
    correlate.after_event(rt, event)  # several customers, one problem: may declare or link
