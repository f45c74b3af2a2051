"""The "possible critical" tier: a ticket the score puts between its thresholds goes to a person.

Why: there the rules are neither sure enough to page people and start the one-hour promise nor
sure enough to stay silent; a person decides with the reasons in front of them, and the verdict
becomes feedback for the rules.

Read top to bottom, a possible ticket goes:

1. :func:`mark` (from triage): one safe update adds the tag ``possible_critical_incident`` and
   an internal note saying what looked critical and how to confirm (add ``critical_incident``)
   or dismiss (add ``not_critical``); the ticket is recorded in Redis; the ``possible`` route
   is alerted; one reminder is scheduled ``possible.remind_after`` later;
2. :func:`remind` (the scheduled job): if nobody has decided, the ``possible.reminder`` route
   hears once more, since the 1-hour promise runs from when the customer wrote;
3. :func:`settle` (from triage, on the agent's tag): confirmed or dismissed, recorded as
   feedback for the rules, and the record closed. A confirmed ticket becomes an incident whose
   SLA clock started when the ticket was raised (triage's ``adopt_manual_flag`` asks
   :func:`confirmation` for the reasons and the start).

Every step is idempotent: the record in Redis says whether the ticket was already marked,
reminded or settled, so a redelivered event or a second run of a job does nothing twice.
"""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import datetime
from typing import Any

from rq.exceptions import DuplicateJobError

from jobs import runtime
from jobs.alerts import notify as alerts
from jobs.runtime import Runtime
from middleware.config.possible import POSSIBLE_EVENT, REMINDER_EVENT
from middleware.store import queues
from middleware.store.feedback import CONFIRMED, DISMISSED, FeedbackStore, record_of
from middleware.store.incidents import POSSIBLE, Incident
from middleware.zendesk.errors import Conflict, NotFound
from rules import Decision
from rules.model import Ticket, TicketEvent, format_time

log = logging.getLogger(__name__)

RECORD_TTL_SECONDS = 30 * 86400
OPEN_STATE = "open"


def _key(rt: Runtime, ticket_id: int) -> str:
    return rt.keys("possible", ticket_id)


def record(rt: Runtime, ticket_id: int) -> dict[str, Any] | None:
    """The stored possible record of a ticket (decision, when, state), if any."""
    raw = rt.redis.get(_key(rt, ticket_id))
    return json.loads(raw) if raw else None


def mark(rt: Runtime, event: TicketEvent, ticket: Ticket, decision: Decision) -> str:
    """Tag the ticket possible, say why in a note, alert the ``possible`` route, schedule a reminder."""
    settings = rt.config.possible
    if not settings.enabled:
        return "possibly critical (the possible tier is disabled): not critical"
    if record(rt, ticket.id) is not None:
        return "already marked possibly critical"
    now = rt.clock()
    if settings.tag not in ticket.tags:
        try:
            rt.zendesk.safe_update(ticket.id, ticket.updated_at, add_tags=[settings.tag],
                                   note=note_of(rt, decision))
        except Conflict:
            return "changed while marking possibly critical: the next event decides"
        except NotFound:
            return "ticket deleted before it could be marked possibly critical"
    stored = {"ticket_id": ticket.id, "marked_at": format_time(now), "state": OPEN_STATE,
              "raised_at": format_time(ticket.created_at) if ticket.created_at else None,
              "decision": decision.to_dict()}
    if not rt.redis.set(_key(rt, ticket.id), json.dumps(stored), nx=True, ex=RECORD_TTL_SECONDS):
        return "already marked possibly critical (concurrently)"
    alerts.notify(rt, snapshot_of(ticket, decision, now), POSSIBLE_EVENT, now,
                  details={"score": decision.score, "tier": "possible"})
    _schedule_reminder(rt, ticket.id, now + settings.remind_after)
    return f"possibly critical (score {decision.score:g}, looks like {decision.category}): put to a person"


def note_of(rt: Runtime, decision: Decision) -> str:
    wb = rt.config.writeback
    override = wb.override_tags[0] if wb.override_tags else "not_critical"
    return (
        "The critical-incident middleware thinks this ticket MAY be a critical incident. Please decide:\n"
        f"- confirm: add the tag {wb.critical_tag} (the 1-hour first-response clock then runs from when "
        "the ticket was raised);\n"
        f"- dismiss: add the tag {override}.\n\n{decision.note}"
    )


def snapshot_of(ticket: Ticket, decision: Decision, now: datetime) -> Incident:
    """What the alert shows: an incident-shaped snapshot with status ``possible`` (not stored)."""
    return Incident(
        id=ticket.id, ticket_id=ticket.id, category=decision.category, rules=["possible"],
        reasons=[h.describe() for h in decision.signals if h.weight > 0], subject=ticket.subject,
        organization_id=ticket.organization_id, requester_id=ticket.requester_id,
        ticket_created_at=ticket.created_at, declared_at=ticket.created_at or now, critical_from_start=True,
        status=POSSIBLE,
    )


def _schedule_reminder(rt: Runtime, ticket_id: int, when: datetime) -> None:
    with contextlib.suppress(DuplicateJobError):
        queues.queue(queues.EVENTS_STAGE, rt.redis, rt.keys).enqueue_at(
            when, "jobs.possible.remind", ticket_id,
            job_id=rt.keys.job_id("possible-remind", ticket_id), unique=True,
            result_ttl=86400, failure_ttl=365 * 86400, job_timeout=120,  # a failure stays listed (jobs failed)
        )


def remind(ticket_id: int) -> str:
    """RQ entry point: remind once if the possible ticket is still undecided."""
    return remind_with(runtime.get(), ticket_id)


def remind_with(rt: Runtime, ticket_id: int) -> str:
    stored = record(rt, ticket_id)
    if stored is None or stored.get("state") != OPEN_STATE:
        return f"ticket {ticket_id}: decided or unknown, no reminder"
    if stored.get("reminded_at"):
        return f"ticket {ticket_id}: already reminded"
    settings = rt.config.possible
    wb = rt.config.writeback
    try:
        ticket = rt.zendesk.get_ticket(ticket_id)
    except NotFound:
        return f"ticket {ticket_id}: deleted, no reminder"
    if wb.critical_tag in ticket.tags or any(t in ticket.tags for t in wb.override_tags) \
            or settings.tag not in ticket.tags:
        return f"ticket {ticket_id}: decided on the ticket, no reminder"
    now = rt.clock()
    stored["reminded_at"] = format_time(now)
    rt.redis.set(_key(rt, ticket_id), json.dumps(stored), xx=True, keepttl=True)
    decision = Decision.from_dict(stored["decision"])
    alerts.notify(rt, snapshot_of(ticket, decision, now), REMINDER_EVENT, now, occurrence="1",
                  details={"score": decision.score, "tier": "possible"})
    return f"ticket {ticket_id}: still undecided, reminded"


def confirmation(rt: Runtime, ticket: Ticket) -> Decision | None:
    """For an agent's ``critical_incident`` on a possible ticket: the rules' decision when it was
    marked (its reasons go on the incident). None if the ticket was never possible."""
    stored = record(rt, ticket.id)
    if stored is None:
        return None
    return Decision.from_dict(stored["decision"])


def settle(rt: Runtime, ticket: Ticket, *, confirmed: bool, actor_id: int | None) -> bool:
    """Close the possible record with the agent's verdict and record it as feedback, once."""
    stored = record(rt, ticket.id)
    if stored is None or stored.get("state") != OPEN_STATE:
        return False
    now = rt.clock()
    stored.update({"state": CONFIRMED if confirmed else DISMISSED, "settled_at": format_time(now),
                   "settled_by": actor_id})
    rt.redis.set(_key(rt, ticket.id), json.dumps(stored), xx=True, keepttl=True)
    decision = Decision.from_dict(stored["decision"])
    FeedbackStore(rt.redis, rt.keys).add(record_of(
        CONFIRMED if confirmed else DISMISSED, ticket, now, critical=confirmed,
        category=decision.category if confirmed else None, decision=decision, actor_id=actor_id))
    log.info("ticket %s: possible critical incident %s by %s", ticket.id,
             "confirmed" if confirmed else "dismissed", actor_id)
    return True
