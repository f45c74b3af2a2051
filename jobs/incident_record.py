"""What the incident room shows about people, recorded when an event tells us (Redis only).

The dashboard never calls Zendesk, so what it shows must be recorded by the job that learns it.
Every ticket event passes here after triage (from :func:`jobs.pipeline.after_event`), with the
ticket's incident and multi-customer link as triage already read them:

* the **assignee** of an incident's ticket, kept on the incident (``assignee_id``, and the
  agent's name when the staff roster's cache has it) with an ``assigned`` timeline entry per
  change; a snapshot older than the one that last set it changes nothing;
* every **public comment** on an incident's ticket or a ticket linked to it, as a ``comment``
  entry (who, on which ticket, staff or customer; never the text), so the timeline shows the
  conversation's rhythm next to the SLA clock. Our own messages are recorded by the stage that
  sends them (``customer_message``), not here.

A ticket with no incident costs nothing here: the state read by triage already says so.
"""

from __future__ import annotations

import logging

from jobs.lookup import person_name
from jobs.runtime import Runtime
from jobs.ticket_state import TicketState
from middleware.store.incidents import Incident
from rules.model import TicketEvent, format_time, parse_time

log = logging.getLogger(__name__)

__all__ = ["after_event", "note_assignee", "note_comment"]


def after_event(rt: Runtime, event: TicketEvent, state: TicketState | None = None) -> None:
    """Record the assignee and public comments of incident tickets (see the module's docstring)."""
    ticket = event.ticket
    incident = state.incident if state is not None else rt.incidents.get(ticket.id)
    owner: int | None
    if incident is not None and incident.ticket_id == ticket.id:
        note_assignee(rt, incident, event)
        owner = incident.id
    else:
        owner = state.linked_to if state is not None else rt.incidents.incident_of_linked(ticket.id)
    if owner is not None:
        note_comment(rt, owner, event)


def note_assignee(rt: Runtime, incident: Incident, event: TicketEvent) -> bool:
    """Keep the incident's assignee current; True if it changed."""
    ticket = event.ticket
    if ticket.assignee_id == incident.assignee_id:
        return False
    if ticket.assignee_id is None and event.source == "trigger":
        return False  # the trigger body carries no assignee: None means "not said", not "unassigned"
    stamp_key = rt.keys("incident", incident.id, "assignee_stamp")
    seen = parse_time((rt.redis.get(stamp_key) or b"").decode() or None)
    if seen is not None and ticket.updated_at is not None and ticket.updated_at < seen:
        return False  # an older snapshot, delivered late
    name = person_name(rt, ticket.assignee_id)
    pipe = rt.redis.pipeline()
    pipe.hset(rt.incidents.key(incident.id), mapping={"assignee_id": str(ticket.assignee_id or ""),
                                                      "assignee_name": name or ""})
    if ticket.updated_at is not None:
        pipe.set(stamp_key, format_time(ticket.updated_at) or "")
    pipe.execute()
    at = event.time or ticket.updated_at or rt.clock()
    rt.incidents.add_event(incident.id, "assigned", at, {"assignee_id": ticket.assignee_id, "assignee_name": name,
                                                         "ticket_id": ticket.id},
                           dedupe_key=f"assigned:{ticket.assignee_id}:{format_time(ticket.updated_at)}")
    log.info("incident %s: assignee %s", incident.id, ticket.assignee_id)
    return True


def note_comment(rt: Runtime, incident_id: int, event: TicketEvent) -> bool:
    """A public comment on one of the incident's tickets, as a timeline entry; True if recorded."""
    comment = event.comment
    if event.type != "comment_added" or comment is None or not comment.public or comment.id is None:
        return False
    if comment.author_id is not None and comment.author_id == rt.zendesk.api_user_id():
        return False  # our own message: its stage records it
    name = comment.author_name or person_name(rt, comment.author_id)
    return rt.incidents.add_event(
        incident_id, "comment", event.time or rt.clock(),
        {"ticket_id": event.ticket.id, "comment_id": comment.id, "author_id": comment.author_id,
         "author_name": name, "staff": comment.author_is_staff},
        dedupe_key=f"comment:{comment.id}")
