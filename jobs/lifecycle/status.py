"""The incident's life after it is declared: customers told, resolution, reopening.

Why: the team works an incident in its Zendesk ticket, so the ticket's status is the incident's;
the incident, its customer messages and its review follow it, and nobody updates two places.

Read top to bottom, this is what the pipeline (:mod:`jobs.pipeline`) hands to this module:

1. **declared** (:func:`on_declared`): the requester of the critical ticket (and of any ticket
   already linked to it) is told the request is handled as critical, by a queued job
   (:mod:`jobs.lifecycle.messages`), never inline in triage;
2. **linked later** (:func:`on_linked`): a ticket that joins a running incident (multi-customer
   correlation, or an agent linking it to the incident's problem ticket) gets the same message;
3. **solved** (:func:`after_event`): the incident's ticket solved or closed resolves the
   incident at once (status, resolution time, timeline, ``incident.resolved`` alert), then one
   queued job (:func:`jobs.pipeline.finish_resolution`) settles a still-running SLA clock, and
   here (:func:`after_resolution`) tells every original requester of every linked ticket and
   asks for the post-incident review (:mod:`jobs.lifecycle.review`);
4. **reopened**: the incident's ticket back to new/open/pending/hold reopens the incident.

Events arrive out of order, so a status only counts when its ticket snapshot is at least as new
as the last one acted on (``updated_at``), and the check-and-change runs under a per-incident
lock: a stale "open" delivered after the "solved" never reopens anything.

Linked tickets: the incident's own ticket, ``incident.extra["linked_ticket_ids"]`` (set by the
correlation job), tickets announced through :func:`on_linked`, and at resolution the problem
ticket's incidents as Zendesk lists them (so tickets an agent linked by hand count too).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rq import Retry
from rq.exceptions import DuplicateJobError

from jobs import runtime
from jobs.alerts import notify as alerts
from jobs.lifecycle import messages
from jobs.lifecycle.review import enqueue_create as request_review
from jobs.links import extra_links, known_links, linked_ticket_ids, links_key
from jobs.lookup import person_name
from jobs.runtime import Runtime
from jobs.scheduling import put_off_when_told
from jobs.ticket_state import TicketState
from middleware.config.lifecycle import DECLARED
from middleware.config.lifecycle import RESOLVED as RESOLVED_MESSAGE
from middleware.store import queues
from middleware.store.incidents import OPEN, OVERRIDDEN, RESOLVED, Incident
from middleware.zendesk.errors import NotFound
from rules.model import TicketEvent, format_time, parse_time

log = logging.getLogger(__name__)

__all__ = [
    "after_event",
    "after_resolution",
    "check_link",
    "link_to_problem",
    "on_declared",
    "on_linked",
    "reopen",
    "resolve",
]

SOLVED = ("solved", "closed")
LOCK_SECONDS = 30
JOB_RETRY = Retry(max=5, interval=[10, 30, 60, 120, 300])
KEEP_JOB_SECONDS = 7 * 86400
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


# -- 1. and 2. told it is critical ---------------------------------------------------------------
def on_declared(rt: Runtime, incident: Incident, event: TicketEvent | None = None) -> None:
    """A new incident: its requester(s) are told, by queued jobs."""
    seen = event.ticket if event is not None else None
    for ticket_id in [incident.ticket_id, *extra_links(incident)]:
        messages.enqueue(rt, DECLARED, ticket_id, incident.id, incident.category, seen=seen)


def on_linked(rt: Runtime, incident: Incident, ticket_ids: Iterable[int], at: datetime | None = None) -> None:
    """Tickets joined a running incident: remember them, tell their requesters it is critical."""
    at = at or rt.clock()
    new = [int(t) for t in ticket_ids if int(t) != incident.ticket_id]
    if not new:
        return
    rt.redis.sadd(links_key(rt, incident.id), *[str(t) for t in new])
    rt.incidents.index_linked(incident.id, new)
    for ticket_id in new:
        rt.incidents.add_event(incident.id, "linked", at, {"ticket_id": ticket_id}, dedupe_key=f"linked:{ticket_id}")
        if incident.status == OPEN:
            messages.enqueue(rt, DECLARED, ticket_id, incident.id, incident.category)


# -- 3. and 4. following the ticket's status ------------------------------------------------------
def after_event(rt: Runtime, event: TicketEvent, state: TicketState | None = None) -> None:
    """Every ticket event after triage: a solved or reopened incident ticket, a newly linked one.

    Redis only: anything that needs Zendesk is done by queued jobs.
    """
    ticket = event.ticket
    incident = state.incident if state is not None else rt.incidents.get(ticket.id)
    if incident is not None and incident.ticket_id == ticket.id and incident.status != OVERRIDDEN:
        follow_status(rt, incident, event)
    if ticket.problem_id and ticket.problem_id != ticket.id:
        link_to_problem(rt, ticket.id, ticket.problem_id, event.time)
    elif event.type == "problem_link_changed" and isinstance(event.current, int):
        link_to_problem(rt, ticket.id, event.current, event.time)
    elif event.type == "type_changed" and event.current == "incident":
        # An agent made it an incident of some problem; event webhooks do not say which
        # (``problem_id`` is not in their snapshot), so a job looks it up.
        _enqueue_link_check(rt, ticket.id, event.id)


def link_to_problem(rt: Runtime, ticket_id: int, problem_id: int, at: datetime | None) -> bool:
    """The ticket is an incident of ``problem_id``: if that is a running critical incident, the
    ticket joins it. False if there is nothing to join or it had joined already."""
    problem = rt.incidents.get(problem_id)
    if problem is None or problem.status != OPEN or ticket_id in known_links(rt, problem):
        return False
    on_linked(rt, problem, [ticket_id], at)
    return True


def _enqueue_link_check(rt: Runtime, ticket_id: int, event_id: str) -> None:
    job_id = _UNSAFE.sub("_", f"linkcheck-{rt.keys.prefix}-{ticket_id}-{event_id}")
    with contextlib.suppress(DuplicateJobError):
        queues.queue(queues.LIFECYCLE_STAGE, rt.redis, rt.keys).enqueue(
            "jobs.lifecycle.status.check_link", ticket_id, job_id=job_id, unique=True, retry=JOB_RETRY, job_timeout=120,
            result_ttl=86400, failure_ttl=365 * 86400, description=f"problem link of ticket {ticket_id}",
        )


def check_link(ticket_id: int) -> str:
    """RQ entry point: one read to learn which problem a ticket was linked to."""
    rt = runtime.get()
    return put_off_when_told(lambda: check_link_with(rt, ticket_id))


def check_link_with(rt: Runtime, ticket_id: int) -> str:
    """Join the incident of the problem ``ticket_id`` is linked to, if any."""
    try:
        ticket = rt.zendesk.get_ticket(ticket_id)
    except NotFound:
        return "ticket gone"
    if not ticket.problem_id:
        return "not linked to a problem"
    joined = link_to_problem(rt, ticket_id, ticket.problem_id, rt.clock())
    return f"linked to incident {ticket.problem_id}" if joined else f"problem {ticket.problem_id}: nothing to join"


def follow_status(rt: Runtime, incident: Incident, event: TicketEvent) -> str:
    """Resolve or reopen the incident if this snapshot is the newest and its status says so."""
    status = event.ticket.status
    if status is None:
        return "no status in the event"
    stamp = event.ticket.updated_at
    lock = rt.redis.lock(rt.keys("lifecycle", incident.id, "status_lock"), timeout=LOCK_SECONDS,
                         blocking_timeout=LOCK_SECONDS)
    with lock:
        stamp_key = rt.keys("lifecycle", incident.id, "status_stamp")
        seen = parse_time((rt.redis.get(stamp_key) or b"").decode() or None)
        if stamp is not None and seen is not None and stamp < seen:
            return "older snapshot: ignored"
        if stamp is not None:
            rt.redis.set(stamp_key, format_time(stamp) or "")
        current = rt.incidents.get(incident.id)
        if current is None:
            return "incident gone"
        at = event.time or stamp or rt.clock()
        if status in SOLVED and current.status == OPEN:
            return resolve(rt, current, at, event)
        if status not in SOLVED and current.status == RESOLVED:
            return reopen(rt, current, at, event)
    return "no change"


def _changed_by(rt: Runtime, event: TicketEvent | None) -> dict[str, Any]:
    """Who moved the ticket and to which status, for the timeline (unknown without an event)."""
    if event is None:
        return {"by": None, "by_name": None, "status": None}
    return {"by": event.actor_id, "by_name": person_name(rt, event.actor_id), "status": event.ticket.status}


def resolve(rt: Runtime, incident: Incident, at: datetime, event: TicketEvent | None = None) -> str:
    """Close the incident with its resolution time, tell the routes, queue the follow-up job."""
    round_ = int(rt.redis.incr(rt.keys("lifecycle", incident.id, "resolutions")))
    rt.incidents.set_status(incident.id, RESOLVED, at)
    rt.incidents.add_event(incident.id, "resolved", at,
                           {"ticket_id": incident.ticket_id, "round": round_, **_changed_by(rt, event)},
                           dedupe_key=f"resolved:{round_}")
    resolved = rt.incidents.get(incident.id) or incident
    alerts.notify(rt, resolved, "incident.resolved", at, occurrence="" if round_ == 1 else str(round_))
    _enqueue_finish(rt, incident.id, round_)
    log.info("incident %s resolved (round %s)", incident.id, round_)
    return "resolved"


def reopen(rt: Runtime, incident: Incident, at: datetime, event: TicketEvent | None = None) -> str:
    """The incident's ticket was reopened: the incident is open again (no resolution time)."""
    round_ = int(rt.redis.get(rt.keys("lifecycle", incident.id, "resolutions")) or 0)
    rt.incidents.set_status(incident.id, OPEN, at)
    rt.incidents.update(incident.id, resolved_at=None)
    rt.incidents.add_event(incident.id, "reopened", at,
                           {"ticket_id": incident.ticket_id, "after_round": round_, **_changed_by(rt, event)},
                           dedupe_key=f"reopened:{round_}")
    reopened = rt.incidents.get(incident.id) or incident
    alerts.notify(rt, reopened, "incident.reopened", at, occurrence=str(round_))
    log.info("incident %s reopened", incident.id)
    return "reopened"


def _enqueue_finish(rt: Runtime, incident_id: int, round_: int) -> None:
    job_id = _UNSAFE.sub("_", f"resolution-{rt.keys.prefix}-{incident_id}-{round_}")
    try:
        queues.queue(queues.LIFECYCLE_STAGE, rt.redis, rt.keys).enqueue(
            queues.FINISH_RESOLUTION, incident_id, round_, job_id=job_id, unique=True,
            retry=JOB_RETRY, job_timeout=300, result_ttl=KEEP_JOB_SECONDS, failure_ttl=365 * 86400,
            description=f"resolution of incident {incident_id} (round {round_})",
        )
    except DuplicateJobError:
        log.info("incident %s: resolution job already queued", incident_id)


# -- after the resolution ------------------------------------------------------------------------
def after_resolution(rt: Runtime, incident: Incident, round_: int) -> str:
    """The resolution job's part here (its stages are listed in :func:`jobs.pipeline.resolution`):
    tell every linked requester, ask for the review. Idempotent: messages have their markers,
    the review its external id."""
    tickets = linked_ticket_ids(rt, incident)
    problem_reply = len(tickets) > 1 and messages.solved_with_public_reply(rt, incident.ticket_id, None)
    queued = sum(messages.enqueue(rt, RESOLVED_MESSAGE, t, incident.id, incident.category,
                                  problem_reply=problem_reply, generation=f"r{round_}") for t in tickets)
    request_review(rt, incident.id)
    return f"{queued} customer message(s) queued for {len(tickets)} ticket(s); review requested"
