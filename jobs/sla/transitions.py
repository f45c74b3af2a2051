"""What each step of an SLA clock is: its new state, its note, what it announces and what it
sets on the ticket, worked out without touching Redis or Zendesk.

Kept apart from the driver (:mod:`jobs.sla.clock`), which decides *when* a step happens and
makes it happen once, so that triage can fold a clock's start into its own flagging write
(:func:`started_writeback`) without importing the SLA stage, and so that what agents and the
alert destinations read can be checked with no I/O at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jobs.runtime import Runtime
from jobs.sla.words import clock_phrase, elapsed, late_phrase, target, wall_time
from middleware.store.clocks import AT_RISK, BREACHED, CANCELLED, MET, PENDING, Change, Clock, Transition
from middleware.store.incidents import Incident
from rules.model import format_time

__all__ = [
    "STARTED_IN_DECLARING_WRITE",
    "Reply",
    "StartWrite",
    "breach",
    "cancelled",
    "details",
    "new_clock",
    "pending_tag",
    "reminder",
    "response",
    "started_writeback",
    "stopped",
    "ticket_changes",
    "warning",
]

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


@dataclass(frozen=True)
class Reply:
    """A first public staff reply: from a webhook, or found in Zendesk by a check."""

    at: datetime | None  # None: found by a check on a comment list that carries no times
    by: str
    comment_id: int | None
    found_by_check: bool = False


def started_writeback(rt: Runtime, incident: Incident, now: datetime) -> StartWrite:
    """The start of ``incident``'s clock as tags, custom fields and a note, without starting it.

    Triage folds this into its one decision write, so a critical ticket costs one Zendesk
    write and no sync job; the clock started afterwards with ``STARTED_IN_DECLARING_WRITE``
    in the incident's extra records it as written. The due time depends only on the incident
    (its creation or declaration time) and the policy, so the note matches the clock.
    """
    clock, entry = new_clock(rt, incident, now)
    add, remove, fields = ticket_changes(rt, clock, entry)
    return StartWrite(add_tags=add, remove_tags=remove, fields=fields, note=entry.note or "")


def pending_tag(rt: Runtime) -> str | None:
    """The tag a just-started clock shows on the ticket (``sla.tags.pending``)."""
    return rt.config.sla.tags.for_state(PENDING)


def new_clock(rt: Runtime, incident: Incident, now: datetime) -> tuple[Clock, Transition]:
    """The incident's clock, on the policy of its category, and its ``started`` transition."""
    policy = rt.config.sla.policy_for(incident.category)
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
                       details=details(clock, now, PENDING, extra={"started_at": format_time(clock.started_at)}))
    return clock, entry


# -- steps: warnings, breach, reminders -----------------------------------------------------------
def warning(clock: Clock, index: int, measured: timedelta, late: timedelta | None, now: datetime,
            following: int) -> Change:
    left = clock.first_response - measured
    note = (f"SLA at risk: no public reply {elapsed(measured)} after {clock_phrase(clock.from_start)}; "
            f"{elapsed(left)} left before the {target(clock.first_response)} target "
            f"(due {wall_time(clock.due_at)}).{late_phrase(late)}")
    entry = Transition(seq=clock.seq + 1, kind="at_risk", state=AT_RISK, at=format_time(now) or "", note=note,
                       retag=clock.state != AT_RISK, alert="sla.at_risk", occurrence=str(index),
                       timeline="sla.at_risk", dedupe=f"sla.warning:{index}",
                       details=details(clock, now, AT_RISK, late, {"warning": index}))
    return Change(entry=entry, state=AT_RISK, next_step=following)


def breach(clock: Clock, measured: timedelta, late: timedelta | None, now: datetime, following: int) -> Change:
    note = (f"No public reply {elapsed(measured)} after {clock_phrase(clock.from_start)}: SLA breached "
            f"(target {target(clock.first_response)}).{late_phrase(late)} "
            f"Reminders follow every {target(clock.reminder_every)} until someone replies publicly.")
    entry = Transition(seq=clock.seq + 1, kind="breached", state=BREACHED, at=format_time(now) or "", note=note,
                       retag=True, alert="sla.breached", occurrence="0", timeline="sla.breached",
                       dedupe="sla.breached", details=details(clock, now, BREACHED, late))
    return Change(entry=entry, state=BREACHED, next_step=following)


def reminder(clock: Clock, index: int, measured: timedelta, late: timedelta | None, now: datetime,
             following: int) -> Change:
    note = (f"Reminder {index}: still no public reply {elapsed(measured)} after "
            f"{clock_phrase(clock.from_start)}; the {target(clock.first_response)} SLA was breached "
            f"{elapsed(measured - clock.first_response)} ago.{late_phrase(late)}")
    entry = Transition(seq=clock.seq + 1, kind="reminder", state=BREACHED, at=format_time(now) or "", note=note,
                       alert="sla.breached", occurrence=str(index), timeline="sla.reminder",
                       dedupe=f"sla.reminder:{index}", details=details(clock, now, BREACHED, late,
                                                                       {"reminder": index}))
    return Change(entry=entry, next_step=following)


# -- the end of a clock: first response, cancelled, reminders stopped ----------------------------
def response(clock: Clock, reply: Reply, now: datetime) -> Change:
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
    info = details(clock, now, state, extra={
        "sla": summary, "by": reply.by, "responded_at": format_time(at), "comment_id": reply.comment_id,
        "elapsed_seconds": round(taken.total_seconds()), "within_target": in_time,
        "found_by_check": reply.found_by_check, "final": True})
    alert, occurrence = ("sla.met", "") if in_time else ("sla.breached", "0")
    if not in_time and clock.state == BREACHED:
        alert = None  # the breach was escalated already; reminders simply stop
    entry = Transition(seq=clock.seq + 1, kind="met" if in_time else "responded_late", state=state,
                       at=format_time(now) or "", note=note, retag=state != clock.state, alert=alert,
                       occurrence=occurrence, timeline="sla.first_response", dedupe="sla.first_response",
                       details=info)
    return Change(entry=entry, state=state, next_step=None, responded_at=at, responded_by=reply.by or "?")


def cancelled(clock: Clock, reason: str, now: datetime) -> Change:
    """The promise no longer applies (overridden, or solved before any reply)."""
    entry = Transition(seq=clock.seq + 1, kind="cancelled", state=CANCELLED, at=format_time(now) or "",
                       note=f"First-response SLA clock stopped: {reason}.", retag=True,
                       timeline="sla.cancelled", dedupe="sla.cancelled",
                       details=details(clock, now, CANCELLED, extra={"reason": reason, "final": True}))
    return Change(entry=entry, state=CANCELLED, next_step=None)


def stopped(clock: Clock, reason: str, now: datetime) -> Change:
    """A breach stays a breach; only the reminders stop (nothing to write on the ticket)."""
    entry = Transition(seq=clock.seq + 1, kind="stopped", state=clock.state, at=format_time(now) or "",
                       timeline="sla.stopped", dedupe="sla.stopped",
                       details=details(clock, now, clock.state, extra={"reason": reason, "final": True}))
    return Change(entry=entry, next_step=None)


# -- what a transition shows ---------------------------------------------------------------------
def details(clock: Clock, now: datetime, state: str, late: timedelta | None = None,
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


def ticket_changes(rt: Runtime, clock: Clock, entry: Transition) -> tuple[list[str], list[str], dict[str, Any]]:
    """Tags to add and remove (exactly one SLA tag remains) and custom fields to set."""
    settings = rt.config.sla
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
