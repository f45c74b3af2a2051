"""The first-response SLA: one clock per critical incident, written back onto the ticket.

The promise is a first public reply by a staff member within ``sla.first_response`` (1 h by
default) of the moment the ticket became critical (its creation, if it was critical from the
start). Zendesk's own automations run once an hour and cannot time that, so this module does.

Read top to bottom, this is the life of one clock:

1. **start** (:func:`start_clock`, from the pipeline's declared path): the clock is recorded in
   Redis, ``pending``, and a timer for its first step is scheduled with RQ's scheduler; when
   triage flags a ticket, its one write already carried the start (:func:`started_writeback`);
2. **steps** (:func:`check`, the timer job): each warning makes it ``at_risk``, the due time
   makes it ``breached`` (after one Zendesk read for a reply whose webhook we may have lost),
   then a reminder every ``sla.reminder_every`` until someone answers;
3. **first response** (:func:`after_event`, a public staff reply): ``met`` if in time, else it
   stays ``breached`` with the response recorded; either way the clock stops;
4. **cancel** (the pipeline's overridden path, or a ticket solved with no reply): ``cancelled``;
5. **write back** (:func:`flush`): every transition is announced (incident timeline, alert)
   and written to the ticket in one safe update: the new SLA tag replaces the old one, an
   internal note says what happened in plain words, the custom fields are kept current;
6. **audit** (:func:`audit`, every minute): clocks whose step is overdue because the workers
   were down are acted on late (and the note says so); unwritten transitions are written.

State changes are compare-and-set operations in Redis (:mod:`middleware.store.clocks`), so two timers,
the audit and an event can race for one clock and exactly one of them acts. Timers are only
wake-up calls: a timer that fires twice, late, or after the clock stopped finds nothing to do.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.exceptions import LockError
from redis.lock import Lock
from rq import Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from jobs import runtime
from jobs.alerts import notify as alerts
from jobs.lookup import cached_person
from jobs.runtime import Runtime
from jobs.scheduling import put_off_when_told
from jobs.sla.words import clock_phrase, elapsed, late_phrase, target, wall_time
from jobs.ticket_state import TicketState
from middleware.config.sla import SlaSettings
from middleware.store import queues
from middleware.store.clocks import (
    AT_RISK,
    BREACH,
    BREACHED,
    CANCELLED,
    MET,
    PENDING,
    WARNING,
    Change,
    Clock,
    ClockStore,
    Transition,
)
from middleware.store.incidents import OPEN, OVERRIDDEN, Incident
from middleware.zendesk.client import Conflict, NotFound, RateLimited, TransientError, ZendeskError
from rules.model import TicketEvent, format_time

log = logging.getLogger(__name__)

__all__ = [
    "STARTED_IN_DECLARING_WRITE",
    "ClockBusy",
    "ConflictsExhausted",
    "Reply",
    "StartWrite",
    "advance",
    "after_event",
    "audit",
    "cancel_clock",
    "check",
    "describe",
    "flush",
    "is_first_response",
    "is_own_message",
    "on_declared",
    "on_overridden",
    "pending_tag",
    "record_first_response",
    "run_audit",
    "settle",
    "settle_job",
    "start_clock",
    "started_writeback",
    "sync",
]

# The scheduler moves due jobs once a second on whole seconds: a timer may run up to a second
# before the moment it stands for on a worker whose clock runs slightly ahead.
EARLY_TOLERANCE = timedelta(seconds=1)
# A step acted on later than this after its due time says so in its note.
LATE_AFTER = timedelta(seconds=10)
# The audit leaves a step this long to its timer before acting on it itself.
AUDIT_GRACE = timedelta(seconds=10)
# Unwritten transitions older than this are written by the audit (their sync job failed).
SYNC_GRACE = timedelta(seconds=60)
# The audit starts the clock of an incident declared this recently that has none.
MISSING_CLOCK_WINDOW = timedelta(minutes=10)
MAX_RACES = 5
MAX_CONFLICTS = 3
FLUSH_LOCK_SECONDS = 120
JOB_RETRY = (5, [10, 30, 60])  # RQ Retry(max, interval): an abandoned or failed job runs again
KEEP_JOB_SECONDS = 7 * 24 * 3600  # a timer's unique id lasts this long after it ran
FAILURE_TTL_SECONDS = 365 * 86400  # a step that failed for good stays listed (jobs failed), as alerts do
SOLVED = ("solved", "closed")
STAFF_ROLES = ("agent", "admin")
_JOB_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class ClockBusy(Exception):
    """The clock kept changing under us; RQ's retry runs the job again."""


class ConflictsExhausted(Exception):
    """The ticket kept changing while we wrote the SLA state; RQ's retry runs the job again."""


def _store(rt: Runtime) -> ClockStore:
    return ClockStore(rt.redis, rt.keys)


def _apply(rt: Runtime, store: ClockStore, clock: Clock, change: Change, now: datetime) -> bool:
    """Apply a transition; when it stops the clock, drop the timer it no longer needs (a timer
    left behind would only find nothing to do, but the scheduled list should tell the truth)."""
    if not store.apply(clock, change, now):
        return False
    if change.next_step is None and clock.next_step is not None:
        _cancel_timer(rt, clock)
    return True


def _settings(rt: Runtime) -> SlaSettings:
    return rt.config.sla


# ---------------------------------------------------------------------------------------------
# 1. Start
# ---------------------------------------------------------------------------------------------
# Incident.extra key: the declaring write (triage's flag) already put the clock's start on the
# ticket (SLA tag, fields, note), so starting the clock writes nothing more.
STARTED_IN_DECLARING_WRITE = "sla_started_written"


@dataclass(frozen=True)
class StartWrite:
    """What a clock's start puts on the ticket, for the write that declares the incident to carry."""

    add_tags: list[str]
    remove_tags: list[str]
    fields: dict[str, Any]
    note: str


def started_writeback(rt: Runtime, incident: Incident, now: datetime) -> StartWrite:
    """The start of ``incident``'s clock as tags, custom fields and a note, without starting it.

    Triage folds this into its one decision write, so a critical ticket costs one Zendesk
    write and no sync job; the clock started afterwards with ``STARTED_IN_DECLARING_WRITE``
    in the incident's extra records it as written. The due time depends only on the incident
    (its creation or declaration time) and the policy, so the note matches the clock.
    """
    clock, entry = _new_clock(rt, incident, now)
    add, remove, fields = _writeback(rt, clock, entry)
    return StartWrite(add_tags=add, remove_tags=remove, fields=fields, note=entry.note or "")


def pending_tag(rt: Runtime) -> str | None:
    """The tag a just-started clock shows on the ticket (``sla.tags.pending``)."""
    return _settings(rt).tags.for_state(PENDING)


def _new_clock(rt: Runtime, incident: Incident, now: datetime) -> tuple[Clock, Transition]:
    policy = _settings(rt).policy_for(incident.category)
    from_start = incident.critical_from_start and incident.ticket_created_at is not None
    clock = Clock(
        incident_id=incident.id,
        ticket_id=incident.ticket_id,
        category=incident.category,
        started_at=incident.ticket_created_at if from_start else incident.declared_at,  # type: ignore[arg-type]
        from_start=from_start,
        recorded_at=now,
        first_response=policy.first_response,
        warnings=policy.warnings,
        reminder_every=policy.reminder_every,
        next_step=0,
    )
    note = (f"First-response SLA: a public reply is due by {wall_time(clock.due_at)}, "
            f"{target(clock.first_response)} after {clock_phrase(from_start)}.")
    entry = Transition(seq=1, kind="started", state=PENDING, at=format_time(now) or "", note=note, retag=True,
                       timeline="sla.started", dedupe="sla.started",
                       details=_details(clock, now, PENDING, extra={"started_at": format_time(clock.started_at)}))
    return clock, entry


def start_clock(rt: Runtime, incident: Incident, now: datetime | None = None) -> bool:
    """Start the incident's clock and schedule its first step; False if it already has one.

    A redelivered or re-declared incident therefore never starts a second clock. When the
    declaring write carried the start (see :func:`started_writeback`) it is announced here and
    recorded as written; otherwise a sync job writes it.
    """
    now = now or rt.clock()
    clock, entry = _new_clock(rt, incident, now)
    written = bool(incident.extra.get(STARTED_IN_DECLARING_WRITE))
    store = _store(rt)
    if not store.create(clock, entry, now, written=written):
        return False
    store.note_stamp(incident.id, incident.flagged_updated_at)
    log.info("incident %s: SLA clock started, due %s", incident.id, format_time(clock.due_at))
    _schedule_timer(rt, clock)
    if written:
        _announce(rt, incident.id, entry)
    else:
        _enqueue_sync(rt, clock, entry.seq)
    return True


# ---------------------------------------------------------------------------------------------
# 2. Steps: warnings, breach, reminders
# ---------------------------------------------------------------------------------------------
def check(incident_id: int, step: int | None = None) -> str:
    """RQ entry point of a timer: act on whatever step of the clock is due now (``step`` is
    the one it was scheduled for, kept for the log: a later step may be due by now)."""
    return _as_job(f"check (step {step})", incident_id, lambda rt: advance(rt, incident_id, rt.clock()))


def _as_job(what: str, incident_id: int, action: Callable[[Runtime], str]) -> str:
    """Run one SLA job; a 429 puts it off by Zendesk's ``Retry-After`` instead of failing it."""
    rt = runtime.get()
    outcome = put_off_when_told(lambda: action(rt))
    log.info("incident %s: SLA %s: %s", incident_id, what, outcome)
    return outcome


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
        _schedule_timer(rt, clock)
    flush(rt, incident_id)
    return outcome


def _step_change(rt: Runtime, clock: Clock, step: int, now: datetime) -> Change:
    kind, index = clock.step_kind(step)
    if kind == BREACH:
        reply = find_missed_reply(rt, clock, now)
        if reply is not None:
            return _response_change(clock, reply, now)
    due = clock.step_at(step)
    late_by = now - max(due, clock.recorded_at)
    late = late_by if late_by > LATE_AFTER else None
    measured = (now if late else due) - clock.started_at
    following = clock.next_after(step, now, EARLY_TOLERANCE)
    if kind == WARNING:
        return _warning(clock, index, measured, late, now, following)
    if kind == BREACH:
        return _breach(clock, measured, late, now, following)
    return _reminder(clock, index, measured, late, now, following)


def _warning(clock: Clock, index: int, measured: timedelta, late: timedelta | None, now: datetime,
             following: int) -> Change:
    left = clock.first_response - measured
    note = (f"SLA at risk: no public reply {elapsed(measured)} after {clock_phrase(clock.from_start)}; "
            f"{elapsed(left)} left before the {target(clock.first_response)} target "
            f"(due {wall_time(clock.due_at)}).{late_phrase(late)}")
    entry = Transition(seq=clock.seq + 1, kind="at_risk", state=AT_RISK, at=format_time(now) or "", note=note,
                       retag=clock.state != AT_RISK, alert="sla.at_risk", occurrence=str(index),
                       timeline="sla.at_risk", dedupe=f"sla.warning:{index}",
                       details=_details(clock, now, AT_RISK, late, {"warning": index}))
    return Change(entry=entry, state=AT_RISK, next_step=following)


def _breach(clock: Clock, measured: timedelta, late: timedelta | None, now: datetime, following: int) -> Change:
    note = (f"No public reply {elapsed(measured)} after {clock_phrase(clock.from_start)}: SLA breached "
            f"(target {target(clock.first_response)}).{late_phrase(late)} "
            f"Reminders follow every {target(clock.reminder_every)} until someone replies publicly.")
    entry = Transition(seq=clock.seq + 1, kind="breached", state=BREACHED, at=format_time(now) or "", note=note,
                       retag=True, alert="sla.breached", occurrence="0", timeline="sla.breached",
                       dedupe="sla.breached", details=_details(clock, now, BREACHED, late))
    return Change(entry=entry, state=BREACHED, next_step=following)


def _reminder(clock: Clock, index: int, measured: timedelta, late: timedelta | None, now: datetime,
              following: int) -> Change:
    note = (f"Reminder {index}: still no public reply {elapsed(measured)} after "
            f"{clock_phrase(clock.from_start)}; the {target(clock.first_response)} SLA was breached "
            f"{elapsed(measured - clock.first_response)} ago.{late_phrase(late)}")
    entry = Transition(seq=clock.seq + 1, kind="reminder", state=BREACHED, at=format_time(now) or "", note=note,
                       alert="sla.breached", occurrence=str(index), timeline="sla.reminder",
                       dedupe=f"sla.reminder:{index}", details=_details(clock, now, BREACHED, late,
                                                                        {"reminder": index}))
    return Change(entry=entry, next_step=following)


# ---------------------------------------------------------------------------------------------
# 3. First response
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reply:
    """A first public staff reply: from a webhook, or found in Zendesk by a check."""

    at: datetime | None  # None: found by a check on a comment list that carries no times
    by: str
    comment_id: int | None
    found_by_check: bool = False


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
        return _response_change(clock, reply, now)

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


def _response_change(clock: Clock, reply: Reply, now: datetime) -> Change:
    """Met or (late) breached. A reply delivered while the clock runs counts from the clock's
    start at the earliest: deliveries arrive out of order by seconds, so one stamped a moment
    before the ticket was declared is still the reply to this incident."""
    at = max(reply.at or min(now, clock.due_at), clock.started_at)
    taken = at - clock.started_at
    goal = target(clock.first_response)
    in_time = at <= clock.due_at
    by = f" (public reply by {reply.by})" if reply.by else ""
    if reply.at is None:
        note = f"First response found when the SLA was checked{by}: counted as within the {goal} target."
    elif in_time:
        note = f"First response after {elapsed(taken)}, within the {goal} target{by}."
    else:
        over = "" if clock.state == BREACHED else ": SLA breached"
        note = f"First response after {elapsed(taken)}, {elapsed(at - clock.due_at)} over the {goal} target{over}{by}."
    if reply.found_by_check and reply.at is not None:
        note += " Its notification never reached us; it was found when the SLA was checked."
    if in_time and clock.state == BREACHED:
        note += " The breach reported earlier is withdrawn: the reply's notification arrived late."
    state = MET if in_time else BREACHED
    summary = (f"met after {elapsed(taken)} ({goal} target)" if in_time
               else f"first response {elapsed(at - clock.due_at)} late ({goal} target)")
    details = _details(clock, now, state, extra={
        "sla": summary, "by": reply.by, "responded_at": format_time(at), "comment_id": reply.comment_id,
        "elapsed_seconds": round(taken.total_seconds()), "within_target": in_time,
        "found_by_check": reply.found_by_check, "final": True})
    alert, occurrence = ("sla.met", "") if in_time else ("sla.breached", "0")
    if not in_time and clock.state == BREACHED:
        alert = None  # the breach was escalated already; reminders simply stop
    entry = Transition(seq=clock.seq + 1, kind="met" if in_time else "responded_late", state=state,
                       at=format_time(now) or "", note=note, retag=state != clock.state, alert=alert,
                       occurrence=occurrence, timeline="sla.first_response", dedupe="sla.first_response",
                       details=details)
    return Change(entry=entry, state=state, next_step=None, responded_at=at, responded_by=reply.by or "?")


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
        person = _person(rt, comment.author_id)
        if person is not None and person.role in STAFF_ROLES:
            return Reply(at=at, by=person.name or str(comment.author_id), comment_id=comment.id,
                         found_by_check=True)
    return None


def _person(rt: Runtime, user_id: int | None) -> Any:

    return cached_person(rt, user_id) if user_id is not None else None


# ---------------------------------------------------------------------------------------------
# 4. Cancel and stop
# ---------------------------------------------------------------------------------------------
def cancel_clock(rt: Runtime, incident_id: int, reason: str, now: datetime) -> str:
    """Stop a clock that no longer applies; a recorded first response is left as it is."""
    def decide(clock: Clock) -> Change | str:
        if clock.state in (MET, CANCELLED) or clock.responded_at is not None:
            return f"already {clock.state}"
        entry = Transition(seq=clock.seq + 1, kind="cancelled", state=CANCELLED, at=format_time(now) or "",
                           note=f"First-response SLA clock stopped: {reason}.", retag=True,
                           timeline="sla.cancelled", dedupe="sla.cancelled",
                           details=_details(clock, now, CANCELLED, extra={"reason": reason, "final": True}))
        return Change(entry=entry, state=CANCELLED, next_step=None)

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
        entry = Transition(seq=clock.seq + 1, kind="stopped", state=clock.state, at=format_time(now) or "",
                           timeline="sla.stopped", dedupe="sla.stopped",
                           details=_details(clock, now, clock.state, extra={"reason": reason, "final": True}))
        return Change(entry=entry, next_step=None)

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

    return _as_job("settle", incident_id, action)


# ---------------------------------------------------------------------------------------------
# 5. Write back: announce each transition, then write it onto the ticket
# ---------------------------------------------------------------------------------------------
def sync(incident_id: int) -> str:
    """RQ entry point: write the clock's pending transitions to Zendesk."""
    return _as_job("sync", incident_id, lambda rt: f"{flush(rt, incident_id)} update(s) written")


def flush(rt: Runtime, incident_id: int) -> int:
    """Announce and write every pending transition, in order, each once; returns how many.

    One writer per clock at a time (a Redis lock), so a note is never added twice; a writer
    that finds the lock taken leaves its entries to the holder, which looks again before it
    leaves.
    """
    store = _store(rt)
    written = 0
    while pending := store.outbox(incident_id):
        for entry in pending:
            _announce(rt, incident_id, entry)
        lock = rt.redis.lock(rt.keys("sla", incident_id, "writer"), timeout=FLUSH_LOCK_SECONDS)
        if not lock.acquire(blocking=False):
            return written
        try:
            for entry in store.outbox(incident_id):
                clock = store.get(incident_id)
                if clock is None:
                    return written
                _write(rt, clock, entry)
                store.mark_written(incident_id, entry.seq)
                written += 1
        finally:
            _release(lock)
    return written


def _release(lock: Lock) -> None:
    try:
        lock.release()
    except LockError:  # expired while we wrote: nothing to give back
        log.debug("SLA writer lock had expired")


def _announce(rt: Runtime, incident_id: int, entry: Transition) -> None:
    """Timeline entry and alert for a transition; each recorded once however often called."""
    at = entry.moment
    public = {k: v for k, v in entry.details.items() if k != "final"}
    rt.incidents.add_event(incident_id, entry.timeline, at, {"state": entry.state, **public},
                           dedupe_key=entry.dedupe)
    incident = rt.incidents.get(incident_id)
    if entry.alert and incident is not None:
        alerts.notify(rt, incident, entry.alert, at, occurrence=entry.occurrence, details=public)
    if entry.details.get("final"):
        rt.incidents.add_event(incident_id, "sla.final", at, {"state": entry.state}, dedupe_key="sla.final")


def _write(rt: Runtime, clock: Clock, entry: Transition) -> None:
    """One safe update for one transition; on a conflict, re-read the stamp and try again.

    What we write (our own SLA tags, our note, our fields) does not depend on what the agent
    changed, so a conflict only needs the fresh ``updated_at``, never a new decision.
    """
    if entry.note is None and not entry.retag:
        return
    add, remove, fields = _writeback(rt, clock, entry)
    stamp = clock.ticket_stamp
    for _ in range(MAX_CONFLICTS):
        try:
            if stamp is None:
                stamp = rt.zendesk.get_ticket(clock.ticket_id).updated_at
            updated = rt.zendesk.safe_update(clock.ticket_id, stamp, add_tags=add, remove_tags=remove,
                                             fields=fields or None, note=entry.note)
        except Conflict:
            stamp = None
            continue
        except NotFound:
            log.warning("incident %s: ticket %s is gone; SLA %s not written", clock.incident_id,
                        clock.ticket_id, entry.kind)
            return
        except (RateLimited, TransientError):
            raise
        except ZendeskError:
            if _is_closed(rt, clock.ticket_id):
                log.info("incident %s: ticket closed; SLA %s not written", clock.incident_id, entry.kind)
                return
            raise
        _store(rt).note_stamp(clock.incident_id, updated.updated_at)
        return
    raise ConflictsExhausted(f"ticket {clock.ticket_id} changed {MAX_CONFLICTS} times while writing the SLA")


def _writeback(rt: Runtime, clock: Clock, entry: Transition) -> tuple[list[str], list[str], dict[str, Any]]:
    """Tags to add and remove (exactly one SLA tag remains) and custom fields to set."""
    settings = _settings(rt)
    add: list[str] = []
    remove: list[str] = []
    custom: list[dict[str, Any]] = []
    if entry.retag:
        tag = settings.tags.for_state(entry.state)
        add = [tag] if tag else []
        remove = [t for t in settings.tags.all() if t != tag]
        if settings.fields.state is not None:
            custom.append({"id": settings.fields.state, "value": entry.state})
    if entry.kind == "started" and settings.fields.due_at is not None:
        custom.append({"id": settings.fields.due_at, "value": format_time(clock.due_at)})
    return add, remove, ({"custom_fields": custom} if custom else {})


def _is_closed(rt: Runtime, ticket_id: int) -> bool:
    try:
        return rt.zendesk.get_ticket(ticket_id).status == "closed"
    except NotFound:
        return True


# ---------------------------------------------------------------------------------------------
# 6. Audit
# ---------------------------------------------------------------------------------------------
def audit() -> str:
    """RQ entry point of the periodic audit (every minute, from ``middleware.worker``)."""
    rt = runtime.get()
    counts = run_audit(rt, rt.clock())
    if any(counts.values()):
        log.info("SLA audit: %s", counts)
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def run_audit(rt: Runtime, now: datetime) -> dict[str, int]:
    """Act on overdue steps and unwritten transitions, one clock's failure never stopping
    the others. A 429 ends the round early: the next one comes in a minute."""
    store = _store(rt)
    counts = {"started": 0, "overdue": 0, "unsynced": 0, "failed": 0}
    try:
        for incident in _without_clock(rt, store, now):
            counts["started" if _safely(lambda i=incident: start_clock(rt, i, now)) else "failed"] += 1
        for incident_id in store.overdue(now - AUDIT_GRACE):
            counts["overdue" if _safely(lambda i=incident_id: advance(rt, i, now)) else "failed"] += 1
        for incident_id in store.unsynced(now - SYNC_GRACE):
            counts["unsynced" if _safely(lambda i=incident_id: flush(rt, i)) else "failed"] += 1
    except RateLimited:
        log.info("SLA audit: Zendesk rate limit reached; the rest waits for the next round")
    return counts


def _without_clock(rt: Runtime, store: ClockStore, now: datetime) -> list[Incident]:
    """Open incidents declared lately whose clock never started (the declaring job failed
    between recording the incident and starting the clock). Older ones are left alone, so a
    deployment does not start clocks for incidents that predate it."""
    recent = rt.incidents.all_ids(since=now - MISSING_CLOCK_WINDOW)
    return [i for i in rt.incidents.many(recent)
            if i.status == OPEN and i.declared_at <= now - AUDIT_GRACE and store.get(i.id) is None]


def _safely(action: Callable[[], object]) -> bool:
    """Run one clock's part of the audit; a failure is logged and left for the next round."""
    try:
        action()
        return True
    except RateLimited:
        raise
    except Exception:
        log.exception("SLA audit: one clock failed")
        return False


# ---------------------------------------------------------------------------------------------
# Hooks: what the pipeline calls (see jobs/pipeline.py)
# ---------------------------------------------------------------------------------------------
def on_declared(rt: Runtime, incident: Incident, event: TicketEvent) -> None:
    """A new critical incident: start its clock."""
    start_clock(rt, incident, rt.clock())


def on_overridden(rt: Runtime, incident: Incident, event: TicketEvent) -> None:
    """An agent said the ticket is not critical: the promise no longer applies."""
    now = rt.clock()
    if cancel_clock(rt, incident.id, "an agent marked this ticket as not critical", now) == "cancelled":
        _enqueue_sync(rt, _store(rt).get(incident.id), None)


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
        _enqueue_once(rt, clock, "settle", "jobs.sla.clock.settle_job", clock.incident_id, "the ticket was solved")


def _answered(rt: Runtime, store: ClockStore, clock: Clock, event: TicketEvent) -> None:
    comment = event.comment
    assert comment is not None
    reply = Reply(at=event.time or rt.clock(), by=comment.author_name or str(comment.author_id or ""),
                  comment_id=comment.id)
    outcome = record_first_response(rt, clock.incident_id, reply, rt.clock())
    log.info("incident %s: public staff reply on ticket %s: %s", clock.incident_id, event.ticket.id, outcome)
    _enqueue_sync(rt, store.get(clock.incident_id), None)


def describe(rt: Runtime, incident_id: int, now: datetime | None = None) -> dict[str, Any] | None:
    """The clock as the dashboard and alert messages show it (None: no clock)."""
    clock = _store(rt).get(incident_id)
    if clock is None:
        return None
    now = now or rt.clock()
    info = _details(clock, now, clock.state)
    info.update(started_at=format_time(clock.started_at), responded_at=format_time(clock.responded_at),
                responded_by=clock.responded_by, running=clock.next_step is not None,
                next_check_at=format_time(clock.step_at(clock.next_step)) if clock.next_step is not None else None)
    return info


def _details(clock: Clock, now: datetime, state: str, late: timedelta | None = None,
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What alerts and the timeline carry: ``sla`` is a one-line summary for a message."""
    goal = target(clock.first_response)
    if state == MET and clock.responded_at is not None:
        summary = f"met after {elapsed(clock.responded_at - clock.started_at)} ({goal} target)"
    elif state == BREACHED and clock.responded_at is not None:
        summary = f"first response {elapsed(clock.responded_at - clock.due_at)} late ({goal} target)"
    elif state in (MET, CANCELLED):
        summary = f"{state} ({goal} target)"
    elif now < clock.due_at:
        summary = f"{elapsed(clock.due_at - now)} left of {goal}"
    else:
        summary = f"breached {elapsed(now - clock.due_at)} ago ({goal} target)"
    info: dict[str, Any] = {"sla": summary, "sla_due_at": format_time(clock.due_at), "sla_state": state,
                            "elapsed_seconds": round((now - clock.started_at).total_seconds())}
    if late is not None:
        info["late_seconds"] = round(late.total_seconds())
    info.update(extra or {})
    return info


# ---------------------------------------------------------------------------------------------
# Timers and follow-up jobs (RQ)
# ---------------------------------------------------------------------------------------------
def _job_id(rt: Runtime, clock: Clock, what: str) -> str:
    """``sla-{prefix}-{incident}-{generation}-{what}``, with only the characters RQ allows."""
    return _JOB_ID_UNSAFE.sub("_", f"sla-{rt.keys.prefix}-{clock.incident_id}-{clock.generation}-{what}")


def _retry() -> Retry:
    return Retry(max=JOB_RETRY[0], interval=JOB_RETRY[1])


def _schedule_timer(rt: Runtime, clock: Clock) -> None:
    """Schedule the job for the clock's next step (once: the id is unique per clock and step).

    It is scheduled at the next whole second: the scheduler compares whole seconds, and a job
    that ran a moment early would find its step not yet due. No ``ttl``: a job whose ttl is
    shorter than its delay silently never runs.
    """
    if clock.next_step is None:
        return
    when = datetime.fromtimestamp(math.ceil(clock.step_at(clock.next_step).timestamp()), UTC)
    with contextlib.suppress(DuplicateJobError):  # already scheduled
        queues.queue(queues.SLA_STAGE, rt.redis, rt.keys).enqueue_at(
            when, "jobs.sla.clock.check", clock.incident_id, clock.next_step,
            job_id=_job_id(rt, clock, f"step{clock.next_step}"), unique=True, retry=_retry(),
            result_ttl=KEEP_JOB_SECONDS, failure_ttl=FAILURE_TTL_SECONDS, job_timeout=300,
        )


def _cancel_timer(rt: Runtime, clock: Clock) -> None:
    """Unschedule the clock's waiting timer. One already moved to the queue (or running: the
    timer that found a missed reply) is left alone and will find nothing to do."""
    job_id = _job_id(rt, clock, f"step{clock.next_step}")
    if ScheduledJobRegistry(rt.keys.queue(queues.SLA_STAGE), connection=rt.redis).remove(job_id):
        with contextlib.suppress(NoSuchJobError):
            Job.fetch(job_id, connection=rt.redis).delete()


def _enqueue_sync(rt: Runtime, clock: Clock | None, seq: int | None) -> None:
    """A job that writes the clock's new transition(s) to Zendesk, apart from the event's job,
    so a slow or rate-limited Zendesk never holds up triage."""
    if clock is not None:
        _enqueue_once(rt, clock, f"sync{seq or clock.seq}", "jobs.sla.clock.sync", clock.incident_id)


def _enqueue_once(rt: Runtime, clock: Clock, what: str, func: str, *args: Any) -> None:
    with contextlib.suppress(DuplicateJobError):  # already queued
        queues.queue(queues.SLA_STAGE, rt.redis, rt.keys).enqueue(
            func, *args, job_id=_job_id(rt, clock, what), unique=True, retry=_retry(),
            result_ttl=KEEP_JOB_SECONDS, failure_ttl=FAILURE_TTL_SECONDS, job_timeout=300,
        )
