"""The first-response SLA's state driver: one clock per critical incident, moved from state to
state exactly once, whoever gets there first.

The promise is a first public reply by a staff member within ``sla.first_response`` (1 h by
default) of the moment the ticket became critical (its creation, if it was critical from the
start). Zendesk's own automations run once an hour and cannot time that, so this stage does.

Read top to bottom, this is the life of one clock:

1. **start** (:func:`start_clock`, from the pipeline's declared path): the clock is recorded in
   Redis, ``pending``, and a timer for its first step is scheduled; when triage flags a ticket,
   its one write already carried the start (:func:`jobs.sla.transitions.started_writeback`);
2. **steps** (:func:`check`, the timer job): each warning makes it ``at_risk``, the due time
   makes it ``breached`` (after one Zendesk read for a reply whose webhook we may have lost),
   then a reminder every ``sla.reminder_every`` until someone answers;
3. **first response** (:func:`after_event`, a public staff reply): ``met`` if in time, else it
   stays ``breached`` with the response recorded; either way the clock stops;
4. **cancel** (the pipeline's overridden path, or a ticket solved with no reply): ``cancelled``.

What each step says and sets is worked out in :mod:`jobs.sla.transitions`; every transition is
then announced and written onto the ticket by :mod:`jobs.sla.writeback`; the RQ timers are in
:mod:`jobs.sla.timers`, and :mod:`jobs.sla.audit` catches what they missed.

State changes are compare-and-set operations in Redis (:mod:`middleware.store.clocks`), so two timers,
the audit and an event can race for one clock and exactly one of them acts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from jobs.lookup import cached_person
from jobs.runtime import Runtime
from jobs.sla import timers, transitions
from jobs.sla.transitions import Reply
from jobs.sla.writeback import announce, flush
from jobs.ticket_state import TicketState
from middleware.store.clocks import (
    BREACH,
    BREACHED,
    CANCELLED,
    MET,
    WARNING,
    Change,
    Clock,
    ClockStore,
)
from middleware.store.incidents import OPEN, OVERRIDDEN, Incident
from middleware.zendesk.errors import NotFound, RateLimited, TransientError
from rules.model import TicketEvent, format_time

log = logging.getLogger(__name__)

__all__ = [
    "ClockBusy",
    "Reply",
    "advance",
    "after_event",
    "cancel_clock",
    "check",
    "describe",
    "find_missed_reply",
    "is_first_response",
    "is_own_message",
    "on_declared",
    "on_overridden",
    "on_resolved",
    "record_first_response",
    "settle",
    "settle_job",
    "start_clock",
]

# The scheduler moves due jobs once a second on whole seconds: a timer may run up to a second
# before the moment it stands for on a worker whose clock runs slightly ahead.
EARLY_TOLERANCE = timedelta(seconds=1)
# A step acted on later than this after its due time says so in its note.
LATE_AFTER = timedelta(seconds=10)
MAX_RACES = 5
SOLVED = ("solved", "closed")
STAFF_ROLES = ("agent", "admin")


class ClockBusy(Exception):
    """The clock kept changing under us; RQ's retry runs the job again."""


def _store(rt: Runtime) -> ClockStore:
    return ClockStore(rt.redis, rt.keys)


def _apply(rt: Runtime, store: ClockStore, clock: Clock, change: Change, now: datetime) -> bool:
    """Apply a transition; when it stops the clock, drop the timer it no longer needs (a timer
    left behind would only find nothing to do, but the scheduled list should tell the truth)."""
    if not store.apply(clock, change, now):
        return False
    if change.next_step is None and clock.next_step is not None:
        timers.cancel_step(rt, clock)
    return True


# ---------------------------------------------------------------------------------------------
# 1. Start
# ---------------------------------------------------------------------------------------------
def start_clock(rt: Runtime, incident: Incident, now: datetime | None = None) -> bool:
    """Start the incident's clock and schedule its first step; False if it already has one.

    A redelivered or re-declared incident therefore never starts a second clock. When the
    declaring write carried the start (see :func:`jobs.sla.transitions.started_writeback`) it
    is announced here and recorded as written; otherwise a sync job writes it.
    """
    now = now or rt.clock()
    clock, entry = transitions.new_clock(rt, incident, now)
    written = bool(incident.extra.get(transitions.STARTED_IN_DECLARING_WRITE))
    store = _store(rt)
    if not store.create(clock, entry, now, written=written):
        return False
    store.note_stamp(incident.id, incident.flagged_updated_at)
    log.info("incident %s: SLA clock started, due %s", incident.id, format_time(clock.due_at))
    timers.schedule_step(rt, clock)
    if written:
        announce(rt, incident.id, entry)
    else:
        timers.enqueue_sync(rt, clock, entry.seq)
    return True


# ---------------------------------------------------------------------------------------------
# 2. Steps: warnings, breach, reminders
# ---------------------------------------------------------------------------------------------
def check(incident_id: int, step: int | None = None) -> str:
    """RQ entry point of a timer: act on whatever step of the clock is due now (``step`` is
    the one it was scheduled for, kept for the log: a later step may be due by now)."""
    return timers.run_job(f"check (step {step})", incident_id, lambda rt: advance(rt, incident_id, rt.clock()))


def advance(rt: Runtime, incident_id: int, now: datetime) -> str:
    """Act on the latest step due by ``now`` (if any), then keep the timer and ticket current.

    Idempotent: once a step is taken the clock's next step moves on, so a second timer, a
    redelivered job or the audit finds nothing due.
    """
    store = _store(rt)
    outcome = "nothing due"
    for _ in range(MAX_RACES):
        clock = store.get(incident_id)
        if clock is None:
            return "no SLA clock"
        incident = rt.incidents.get(incident_id)
        if clock.next_step is not None and (incident is None or incident.status != OPEN):
            return _close_for(rt, clock, incident, now)
        step = clock.latest_due_step(now, EARLY_TOLERANCE)
        if step is None:
            break
        change = _step_change(rt, clock, step, now)
        if _apply(rt, store, clock, change, now):
            outcome = change.entry.kind
            break
    else:
        raise ClockBusy(f"incident {incident_id}: SLA clock changed {MAX_RACES} times while checking")
    clock = store.get(incident_id)
    if clock is not None:
        timers.schedule_step(rt, clock)
    flush(rt, incident_id)
    return outcome


def _step_change(rt: Runtime, clock: Clock, step: int, now: datetime) -> Change:
    kind, index = clock.step_kind(step)
    if kind == BREACH:
        reply = find_missed_reply(rt, clock, now)
        if reply is not None:
            return transitions.response(clock, reply, now)
    due = clock.step_at(step)
    late_by = now - max(due, clock.recorded_at)
    late = late_by if late_by > LATE_AFTER else None
    measured = (now if late else due) - clock.started_at
    following = clock.next_after(step, now, EARLY_TOLERANCE)
    if kind == WARNING:
        return transitions.warning(clock, index, measured, late, now, following)
    if kind == BREACH:
        return transitions.breach(clock, measured, late, now, following)
    return transitions.reminder(clock, index, measured, late, now, following)


# ---------------------------------------------------------------------------------------------
# 3. First response
# ---------------------------------------------------------------------------------------------
def is_own_message(rt: Runtime, ticket_id: int, comment_id: int | None) -> bool:
    """A public message the product itself sent (customer notices are not a human response).

    The stages that send public replies add the comment id to ``sent_comments:{ticket_id}``.
    """
    if comment_id is None:
        return False
    return bool(rt.redis.sismember(rt.keys("sent_comments", ticket_id), str(comment_id)))


def is_first_response(rt: Runtime, event: TicketEvent) -> bool:
    """A public comment by a staff member that is neither our API user nor our own message."""
    comment = event.comment
    if event.type != "comment_added" or comment is None:
        return False
    if not (comment.public and comment.author_is_staff):
        return False
    if comment.author_id is not None and comment.author_id == rt.zendesk.api_user_id():
        return False
    return not is_own_message(rt, event.ticket.id, comment.id)


def record_first_response(rt: Runtime, incident_id: int, reply: Reply, now: datetime) -> str:
    """Stop the clock on the first response: ``met`` if in time, else ``breached`` for good."""
    def decide(clock: Clock) -> Change | str:
        if clock.responded_at is not None or clock.state in (MET, CANCELLED):
            return "first response already recorded"
        return transitions.response(clock, reply, now)

    return _transition(rt, incident_id, now, decide)


def _transition(rt: Runtime, incident_id: int, now: datetime, decide: Callable[[Clock], Change | str]) -> str:
    """Read the clock, decide, compare-and-set; decide again on the newer clock if someone
    else changed it first. ``decide`` returns the change, or why there is none."""
    store = _store(rt)
    for _ in range(MAX_RACES):
        clock = store.get(incident_id)
        if clock is None:
            return "no SLA clock"
        change = decide(clock)
        if isinstance(change, str):
            return change
        if _apply(rt, store, clock, change, now):
            return change.entry.kind
    raise ClockBusy(f"incident {incident_id}: SLA clock changed {MAX_RACES} times in a row")


def find_missed_reply(rt: Runtime, clock: Clock, now: datetime) -> Reply | None:
    """One Zendesk read before a breach: a public staff reply whose webhook never arrived.

    If Zendesk cannot be asked right now the breach goes ahead: escalating a possibly answered
    incident is better than staying silent about an unanswered one.
    """
    try:
        comments = rt.zendesk.comments(clock.ticket_id)
        api_user = rt.zendesk.api_user_id()
    except (RateLimited, TransientError, NotFound) as exc:
        log.warning("incident %s: could not look for a missed reply (%s)", clock.incident_id, type(exc).__name__)
        return None
    for comment in comments[1:]:  # the first comment opens the ticket: never a response
        at: datetime | None = getattr(comment, "created_at", None)
        if not comment.public or comment.author_id in (None, api_user):
            continue
        if (at is not None and at < clock.started_at) or is_own_message(rt, clock.ticket_id, comment.id):
            continue
        person = cached_person(rt, comment.author_id) if comment.author_id is not None else None
        if person is not None and person.role in STAFF_ROLES:
            return Reply(at=at, by=person.name or str(comment.author_id), comment_id=comment.id,
                         found_by_check=True)
    return None


# ---------------------------------------------------------------------------------------------
# 4. Cancel and stop
# ---------------------------------------------------------------------------------------------
def cancel_clock(rt: Runtime, incident_id: int, reason: str, now: datetime) -> str:
    """Stop a clock that no longer applies; a recorded first response is left as it is."""
    def decide(clock: Clock) -> Change | str:
        if clock.state in (MET, CANCELLED) or clock.responded_at is not None:
            return f"already {clock.state}"
        return transitions.cancelled(clock, reason, now)

    return _transition(rt, incident_id, now, decide)


def settle(rt: Runtime, incident_id: int, now: datetime, reason: str) -> str:
    """The ticket was solved or the incident closed while the clock still ran.

    A reply we missed meets the SLA; without one a pending clock is cancelled and a breached
    one keeps its breach but stops reminding.
    """
    clock = _store(rt).get(incident_id)
    if clock is None or clock.next_step is None:
        return "nothing to settle"
    reply = find_missed_reply(rt, clock, now)
    if reply is not None:
        return record_first_response(rt, incident_id, reply, now)
    if clock.state != BREACHED:
        return cancel_clock(rt, incident_id, f"{reason} before any public reply", now)
    return _stop_reminders(rt, incident_id, reason, now)


def _stop_reminders(rt: Runtime, incident_id: int, reason: str, now: datetime) -> str:
    """A breach stays a breach; only the reminders stop (nothing to write on the ticket)."""
    def decide(clock: Clock) -> Change | str:
        if clock.next_step is None:
            return "nothing to settle"
        return transitions.stopped(clock, reason, now)

    return _transition(rt, incident_id, now, decide)


def _close_for(rt: Runtime, clock: Clock, incident: Incident | None, now: datetime) -> str:
    """A running clock whose incident was overridden or resolved without telling us."""
    if incident is not None and incident.status == OVERRIDDEN:
        outcome = cancel_clock(rt, clock.incident_id, "an agent marked this ticket as not critical", now)
    else:
        outcome = settle(rt, clock.incident_id, now, "the incident was closed")
    flush(rt, clock.incident_id)
    return outcome


def settle_job(incident_id: int, reason: str) -> str:
    """RQ entry point for :func:`settle` (it may read Zendesk, so it is not done inline)."""
    def action(rt: Runtime) -> str:
        outcome = settle(rt, incident_id, rt.clock(), reason)
        flush(rt, incident_id)
        return outcome

    return timers.run_job("settle", incident_id, action)


# ---------------------------------------------------------------------------------------------
# Hooks: what the pipeline calls (see jobs/pipeline.py)
# ---------------------------------------------------------------------------------------------
def on_declared(rt: Runtime, incident: Incident, event: TicketEvent) -> None:
    """A new critical incident: start its clock."""
    start_clock(rt, incident, rt.clock())


def on_resolved(rt: Runtime, incident: Incident) -> str:
    """The incident was resolved: a clock still running settles (a reply we missed still meets
    it) and what changed is written before the resolution's messages go out."""
    outcome = settle(rt, incident.id, rt.clock(), "the incident was resolved")
    flush(rt, incident.id)
    return outcome


def on_overridden(rt: Runtime, incident: Incident, event: TicketEvent) -> None:
    """An agent said the ticket is not critical: the promise no longer applies."""
    now = rt.clock()
    if cancel_clock(rt, incident.id, "an agent marked this ticket as not critical", now) == "cancelled":
        timers.enqueue_sync(rt, _store(rt).get(incident.id), None)


def after_event(rt: Runtime, event: TicketEvent, state: TicketState | None = None) -> None:
    """Every ticket event after triage: a first response stops the clock, a solved ticket
    settles it, and any event tells us the ticket's newest ``updated_at`` for our next write.

    A public staff reply on a ticket linked to a multi-customer incident answers that incident
    too: the customer who wrote in heard from a person, wherever the incident's clock lives.
    """
    store = _store(rt)
    clock = state.clock if state is not None else store.get(event.ticket.id)
    if clock is None:
        owner = state.linked_to if state is not None else rt.incidents.incident_of_linked(event.ticket.id)
        linked = store.get(owner) if owner is not None else None
        if linked is not None and linked.next_step is not None and is_first_response(rt, event):
            _answered(rt, store, linked, event)
        return
    store.note_stamp(clock.incident_id, event.ticket.updated_at)
    if clock.next_step is None:
        return
    if is_first_response(rt, event):
        _answered(rt, store, clock, event)
    elif event.ticket.status in SOLVED:
        timers.enqueue_once(rt, clock, "settle", timers.SETTLE, clock.incident_id, "the ticket was solved")


def _answered(rt: Runtime, store: ClockStore, clock: Clock, event: TicketEvent) -> None:
    comment = event.comment
    assert comment is not None
    reply = Reply(at=event.time or rt.clock(), by=comment.author_name or str(comment.author_id or ""),
                  comment_id=comment.id)
    outcome = record_first_response(rt, clock.incident_id, reply, rt.clock())
    log.info("incident %s: public staff reply on ticket %s: %s", clock.incident_id, event.ticket.id, outcome)
    timers.enqueue_sync(rt, store.get(clock.incident_id), None)


def describe(rt: Runtime, incident_id: int, now: datetime | None = None) -> dict[str, Any] | None:
    """The clock as the dashboard and alert messages show it (None: no clock)."""
    clock = _store(rt).get(incident_id)
    if clock is None:
        return None
    now = now or rt.clock()
    info = transitions.details(clock, now, clock.state)
    info.update(started_at=format_time(clock.started_at), responded_at=format_time(clock.responded_at),
                responded_by=clock.responded_by, running=clock.next_step is not None,
                next_check_at=format_time(clock.step_at(clock.next_step)) if clock.next_step is not None else None)
    return info
