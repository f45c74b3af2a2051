"""What a critical decision writes on a ticket and records, for every way a ticket gets flagged.

Triage flags a customer's ticket; the intake creates an already flagged ticket for a monitoring
alert or a staff report. Both write the same tags, priority, group and note, and record the
incident the same way (once, after the write that flagged it succeeded), so that is here, below
both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jobs import happened
from jobs.runtime import Runtime
from jobs.seen import found_at_creation
from middleware.store.incidents import OPEN, Incident
from rules import Decision
from rules.model import Ticket, TicketEvent

__all__ = ["incident_of", "note_of", "open_incident", "record_flagged", "writeback_of"]

_PRIORITY_RANK = {None: 0, "low": 1, "normal": 2, "high": 3, "urgent": 4}


def writeback_of(rt: Runtime, ticket: Ticket, decision: Decision) -> tuple[list[str], dict[str, Any]]:
    """Tags to add and fields to set. Priority is only ever raised, never lowered."""
    wb = rt.config.writeback
    tags = [wb.critical_tag]
    category_tag = wb.category_tags.get(decision.category or "")
    if category_tag:
        tags.append(category_tag)
    tags.extend(decision.tags)
    tags = [t for t in dict.fromkeys(tags) if t not in ticket.tags]
    fields: dict[str, Any] = {}
    wanted = decision.priority or wb.priority
    if _PRIORITY_RANK.get(wanted, 0) > _PRIORITY_RANK.get(ticket.priority, 0):
        fields["priority"] = wanted
    group_id = decision.group_id
    if group_id is None:
        group_id = rt.config.security.routed_group(decision.category)
    if group_id is not None and group_id != ticket.group_id:
        fields["group_id"] = group_id
    return tags, fields


def note_of(rt: Runtime, decision: Decision) -> str:
    return f"Flagged as a critical incident by the critical-incident middleware.\n\n{decision.note}"


def open_incident(rt: Runtime, event: TicketEvent, before: Ticket, decision: Decision, after: Ticket,
                  extra: dict[str, Any] | None = None) -> None:
    """Record the incident for a ticket flagged by ``after``'s write and start the declared path."""
    record_flagged(rt, event, incident_of(rt, event, before, decision, rt.clock(), extra=extra), after)


def record_flagged(rt: Runtime, event: TicketEvent, incident: Incident, after: Ticket) -> None:
    """Record ``incident`` once ``after``'s write flagged its ticket; the first to record it
    (never a redelivery or a second run) starts the declared path."""
    incident.flagged_updated_at = after.updated_at
    if rt.incidents.open(incident):
        happened.declared(rt, incident, event)


def incident_of(rt: Runtime, event: TicketEvent, before: Ticket, decision: Decision, now: datetime,
                extra: dict[str, Any] | None = None) -> Incident:
    """The incident ``decision`` declares on ``before``, as it will be recorded once flagged."""
    return Incident(
        id=before.id,
        ticket_id=before.id,
        category=decision.category,
        rules=[m.rule for m in decision.matches],
        reasons=[r for m in decision.matches for r in m.reasons],
        subject=before.subject,
        organization_id=before.organization_id,
        requester_id=before.requester_id,
        ticket_created_at=before.created_at,
        declared_at=now,
        critical_from_start=event.type == "created" or found_at_creation(event),
        status=OPEN,
        extra=dict(extra or {}),
    )
