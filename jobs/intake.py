"""Monitoring alerts and staff reports become Zendesk tickets on the declared path.

Why: an outage a monitoring tool sees, or one a colleague reports, deserves what a customer's
critical ticket gets: one flagged ticket the team works in, the SLA clock and the alerts.

Read top to bottom, one **alert** (queued by ``POST /intake/alerts``) goes:

1. take the fingerprint's lock (Redis ``SET NX`` with expiry), so two workers handling two
   notifications of one alert at the same moment act one after the other;
2. look up the fingerprint's state in Redis: the ticket it opened, if that ticket is still open;
3. **firing, no open ticket**: ask the rules (the alert as a ticket: subject = title, tags
   ``monitoring_alert`` + severity + chosen labels). Critical: create ONE ticket, already
   flagged (tags, priority, group, and a description that says why) in one write, with an
   ``external_id`` derived from the fingerprint; then open the incident and run
   the declared path exactly as triage does (SLA clock, alerts). Not critical: no ticket;
4. **firing, ticket open**: an internal note on that ticket instead of a second ticket (a plain
   repeat of a notification already recorded writes nothing);
5. **resolved**: an internal note, and the ticket solved when ``intake.alerts.solve_on_resolve``.

A **staff report** (``POST /intake/reports``) becomes one ticket on the reporter's behalf
(requester = reporter), tagged ``critical_staff_report``, declared the same way: staff judged it
critical, the rules only add their category (a report the rules see as security is routed and
redacted as security).

Why it cannot create two tickets: the external id is written to Redis *before* the create and
looked up in Zendesk before any create, so a retry after a crash finds the ticket the
interrupted attempt made (``ZendeskClient.create_ticket`` itself is never retried). Notes carry
a reference; a retried note first checks the ticket's comments for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from jobs import happened
from jobs.flagging import note_of, open_incident, writeback_of
from jobs.runtime import Runtime
from jobs.scheduling import put_off_when_told
from jobs.seen import mark_seen
from middleware.zendesk.errors import Conflict, NotFound
from rules import Decision, Match
from rules.model import RESOLVED, Alert, Person, StaffReport, Ticket, TicketEvent, format_time

__all__ = [
    "Busy",
    "alert_ticket",
    "process_alert",
    "process_report",
    "report_decision",
    "run",
]

log = logging.getLogger(__name__)

MONITORING_TAG = "monitoring_alert"
STAFF_REPORT_TAG = "staff_report"
STAFF_REPORT = "staff_report"
CLOSED_STATUSES = ("solved", "closed")
STATE_TTL_SECONDS = 90 * 86400  # a fingerprint unseen this long starts afresh
MAX_CONFLICTS = 3
_TAG_UNSAFE = str.maketrans({c: "_" for c in " \t\n,;\"'()[]{}<>=!?*&%$#@^|\\`~+."})


class Busy(Exception):
    """Another worker holds this alert's (or report's) lock; RQ's retry runs the job again."""


# ---------------------------------------------------------------------------------------------
# Running one (the RQ entry points are jobs.pipeline.handle_alert and handle_report)
# ---------------------------------------------------------------------------------------------
def run(work: Callable[[], str], what: str) -> str:
    """Run ``work``; a 429 reschedules the job instead of parking the worker (like triage)."""
    outcome = put_off_when_told(work)
    log.info("intake %s: %s", what, outcome)
    return outcome


# ---------------------------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------------------------
@dataclass
class AlertState:
    """What Redis remembers about one fingerprint (hash ``intake:alert:{key}``).

    ``phase`` is ``creating`` from just before the ticket create until the incident is open, so
    a retry resumes the create (finding the ticket by external id) instead of noting a ticket
    that was never declared.
    """

    key: str
    generation: int = 0
    external_id: str | None = None
    ticket_id: int | None = None
    phase: str | None = None  # creating | open
    starts_at: str | None = None  # the firing episode already on the ticket
    last_ref: str | None = None  # the notification last written to the ticket
    pending_ref: str | None = None  # a note being written (checked on retry)
    resolved_start: str | None = None  # a firing episode seen resolved before any ticket existed

    @classmethod
    def load(cls, rt: Runtime, alert: Alert) -> AlertState:
        key = rt.keys("intake", "alert", alert.key)
        raw = {k.decode(): v.decode() for k, v in rt.redis.hgetall(key).items()}
        return cls(
            key=key,
            generation=int(raw.get("generation") or 0),
            external_id=raw.get("external_id") or None,
            ticket_id=int(raw["ticket_id"]) if raw.get("ticket_id") else None,
            phase=raw.get("phase") or None,
            starts_at=raw.get("starts_at") or None,
            last_ref=raw.get("last_ref") or None,
            pending_ref=raw.get("pending_ref") or None,
            resolved_start=raw.get("resolved_start") or None,
        )

    def save(self, rt: Runtime, **changes: Any) -> None:
        """Set fields here and in Redis (None deletes the field)."""
        for name, value in changes.items():
            setattr(self, name, value)
        pipe = rt.redis.pipeline()
        present = {k: str(v) for k, v in changes.items() if v is not None}
        if present:
            pipe.hset(self.key, mapping=present)
        absent = [k for k, v in changes.items() if v is None]
        if absent:
            pipe.hdel(self.key, *absent)
        pipe.expire(self.key, STATE_TTL_SECONDS)
        pipe.execute()


def process_alert(rt: Runtime, alert: Alert) -> str:
    """Everything one alert notification causes, under the fingerprint's lock."""
    with _locked(rt, rt.keys("intake", "alert", alert.key, "lock")):
        state = AlertState.load(rt, alert)
        if state.phase == "creating" and alert.status != RESOLVED:
            return open_alert_ticket(rt, alert, state)  # an interrupted create: finish it
        ticket = open_ticket_of(rt, state)
        if alert.status == RESOLVED:
            return resolve_alert(rt, alert, state, ticket)
        if ticket is not None:
            return note_firing(rt, alert, state, ticket)
        return open_alert_ticket(rt, alert, state)


def open_ticket_of(rt: Runtime, state: AlertState) -> Ticket | None:
    """The fingerprint's ticket if it is still open (one read), else None."""
    if state.ticket_id is None:
        return None
    try:
        ticket = rt.zendesk.get_ticket(state.ticket_id)
    except NotFound:
        return None
    return ticket if ticket.status not in CLOSED_STATUSES else None


def open_alert_ticket(rt: Runtime, alert: Alert, state: AlertState) -> str:
    """A firing alert with no open ticket: one flagged ticket, then the declared path."""
    started = format_time(alert.starts_at)
    if started and started == state.resolved_start and state.phase != "creating":
        return "this firing was already resolved (notifications handled out of order): no ticket"
    draft = alert_ticket(rt, alert)
    decision = rt.config.rules.evaluate(draft, complete=True)
    if not decision.critical:
        if state.phase == "creating":
            state.save(rt, phase=None)
        return "not critical by the rules: no ticket"
    if state.phase != "creating":
        generation = state.generation + 1
        state.save(rt, generation=generation, external_id=_external_id(rt, "alert", alert.key, generation),
                   ticket_id=None, phase="creating", starts_at=None, last_ref=None, pending_ref=None)
    assert state.external_id is not None
    ticket = find_or_create(rt, state.external_id, lambda: alert_payload(rt, alert, draft, decision, state))
    declare_created(rt, ticket, decision, f"intake-{alert.delivery_id}")
    state.save(rt, ticket_id=ticket.id, phase="open", starts_at=format_time(alert.starts_at) or "",
               last_ref=alert.delivery_id)
    return f"ticket {ticket.id} opened and declared ({decision.category or 'uncategorised'})"


def note_firing(rt: Runtime, alert: Alert, state: AlertState, ticket: Ticket) -> str:
    """The same alert while its ticket is open: a note, never a second ticket."""
    started = format_time(alert.starts_at)
    if state.last_ref == alert.delivery_id or (started and started == state.starts_at):
        return f"repeat of a notification already on ticket {ticket.id}: nothing written"
    again = "fired again" if started else "is still firing"
    when = f" at {started}" if started else ""
    body = f"Monitoring: the alert {again}{when}.\n\n{alert_details(alert)}"
    note_once(rt, state, ticket, alert.delivery_id, body)
    state.save(rt, starts_at=started or state.starts_at or "")
    return f"noted on ticket {ticket.id} (firing)"


def resolve_alert(rt: Runtime, alert: Alert, state: AlertState, ticket: Ticket | None) -> str:
    """A resolved alert: a note on its open ticket, and the ticket solved if configured."""
    if ticket is None:
        started = format_time(alert.starts_at)
        if started:  # a firing of this episode handled after this resolution must not open a ticket
            state.save(rt, resolved_start=started)
        return "resolved, but no open ticket for this alert: nothing to do"
    if state.last_ref == alert.delivery_id:
        return f"resolution already on ticket {ticket.id}"
    solve = rt.config.intake.alerts.solve_on_resolve
    ended = format_time(alert.ends_at) or "just now"
    body = f"Monitoring: the alert resolved ({ended})." + (" Solving this ticket." if solve else "")
    updated = note_once(rt, state, ticket, alert.delivery_id, body, {"status": "solved"} if solve else None)
    if solve:
        # Our own write comes back as an event the receiver drops, so tell the later stages here
        # (the SLA clock settles, the incident resolves) as the status change would have.
        after = updated or rt.zendesk.get_ticket(ticket.id)  # None: a retry found its note written
        happened.changed(rt, TicketEvent(id=f"intake-{alert.delivery_id}", type="status_changed", ticket=after,
                                         time=rt.clock(), source="intake", previous=ticket.status,
                                         current=after.status))
    return f"resolution noted on ticket {ticket.id}" + (" and solved" if solve else "")


def alert_ticket(rt: Runtime, alert: Alert) -> Ticket:
    """The alert as the rules see a ticket: subject = title, tags from source/severity/labels."""
    tags = [MONITORING_TAG, tag_of("alert_source", alert.source)]
    if alert.severity:
        tags.append(tag_of("severity", alert.severity))
    for label in rt.config.intake.alerts.label_tags:
        if label != "severity" and alert.labels.get(label):
            tags.append(tag_of(label, alert.labels[label]))
    return Ticket(id=0, subject=alert.title, description=alert_details(alert), status="new",
                  tags=tuple(dict.fromkeys(tags)), via_channel="api", created_at=rt.clock(), updated_at=rt.clock())


def alert_details(alert: Alert) -> str:
    """The alert in words, for the ticket: description, labels, link, times."""
    lines = [alert.description.strip()] if alert.description.strip() else []
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
    optional = (("Severity", alert.severity), ("Started", format_time(alert.starts_at)),
                ("Ended", format_time(alert.ends_at)), ("Link", alert.link), ("Labels", labels))
    facts = [f"Source: {alert.source}", f"Status: {alert.status}",
             *(f"{name}: {value}" for name, value in optional if value), f"Fingerprint: {alert.fingerprint}"]
    return "\n\n".join([*lines, "\n".join(facts)])


def alert_payload(rt: Runtime, alert: Alert, draft: Ticket, decision: Decision, state: AlertState) -> dict[str, Any]:
    """The create call: flagged from birth (one write), filed by the monitoring user."""
    settings = rt.config.intake.alerts
    payload = ticket_payload(rt, draft, decision, state.external_id or "")
    if settings.requester_email:
        payload["requester"] = {"email": settings.requester_email, "name": settings.requester_name}
    return payload


# ---------------------------------------------------------------------------------------------
# Staff reports
# ---------------------------------------------------------------------------------------------
def process_report(rt: Runtime, report: StaffReport) -> str:
    """One staff report: one ticket on the reporter's behalf, declared critical."""
    with _locked(rt, rt.keys("intake", "report", report.report_id, "lock")):
        draft = report_ticket(rt, report)
        decision = report_decision(rt, report, draft)
        external_id = _external_id(rt, "report", report.report_id.removeprefix("report-"))

        def payload() -> dict[str, Any]:
            data = ticket_payload(rt, draft, decision, external_id)
            data["requester"] = {"email": report.reporter_email, "name": report.reporter_name or report.reporter_email}
            return data

        ticket = find_or_create(rt, external_id, payload)
        declare_created(rt, ticket, decision, f"intake-{report.report_id}",
                        organization_ids=list(report.organization_ids))
        return f"ticket {ticket.id} for the report, declared ({decision.category})"


def report_ticket(rt: Runtime, report: StaffReport) -> Ticket:
    """The report as the rules see a ticket (the reporter as requester, for domain rules)."""
    orgs = ", ".join(str(o) for o in report.organizations) or "not given"
    who = f"{report.reporter_name} <{report.reporter_email}>" if report.reporter_name else report.reporter_email
    description = (f"{report.description}\n\nAffected organisations: {orgs}\n"
                   f"Reported by {who} through the staff intake.")
    return Ticket(id=0, subject=report.summary, description=description, status="new", tags=(STAFF_REPORT_TAG,),
                  via_channel="api", requester=Person(email=report.reporter_email, name=report.reporter_name),
                  created_at=rt.clock(), updated_at=rt.clock())


def report_decision(rt: Runtime, report: StaffReport, draft: Ticket) -> Decision:
    """Critical by the reporter's judgement; the rules add what they recognise (category,
    tags, priority, group), the report's own category wins."""
    ruled = rt.config.rules.evaluate(draft, complete=True)
    staff = Match("staff-report-intake", STAFF_REPORT,
                  (f"reported as a suspected critical incident by {report.reporter_email} through the staff intake",))
    matches = (staff, *ruled.matches) if ruled.critical else (staff,)
    category = report.category or (ruled.category if ruled.critical else None) or STAFF_REPORT
    staff_tag = rt.config.writeback.category_tags.get(STAFF_REPORT)
    note = f'Reported as a critical incident by a member of staff ({report.reporter_email}), category "{category}".'
    if ruled.critical:
        note += "\n" + ruled.note
    return Decision(critical=True, category=category, matches=matches,
                    tags=tuple(dict.fromkeys([*([staff_tag] if staff_tag else []), *ruled.tags])),
                    priority=ruled.priority, group_id=ruled.group_id, note=note)


# ---------------------------------------------------------------------------------------------
# Shared: create once, declare, note once
# ---------------------------------------------------------------------------------------------
def ticket_payload(rt: Runtime, draft: Ticket, decision: Decision, external_id: str) -> dict[str, Any]:
    """Subject, description with the decision's reasons, tags and fields as triage would write
    them (``flagging.writeback_of``: critical tag, category tag, priority, group)."""
    tags, fields = writeback_of(rt, draft, decision)
    body = f"{draft.description}\n\n---\n{note_of(rt, decision)}"
    return {"subject": draft.subject, "comment": {"body": body, "public": True}, "external_id": external_id,
            "tags": list(dict.fromkeys([*draft.tags, *tags])), **fields}


def find_or_create(rt: Runtime, external_id: str, payload: Callable[[], dict[str, Any]]) -> Ticket:
    """The ticket with ``external_id`` if an earlier attempt made it, else a new one."""
    existing = rt.zendesk.tickets_by_external_id(external_id)
    if existing:
        return min(existing, key=lambda t: t.id)
    return rt.zendesk.create_ticket(payload())


def declare_created(rt: Runtime, ticket: Ticket, decision: Decision, event_id: str,
                    organization_ids: list[int] | None = None) -> None:
    """Open the incident for a ticket we created flagged, exactly as triage opens one."""
    event = TicketEvent(id=event_id, type="created", ticket=ticket, time=ticket.created_at or rt.clock(),
                        source="intake")
    mark_seen(rt, ticket)  # our own creation: nothing for the catch-up to find
    open_incident(rt, event, ticket, decision, ticket,
                  extra={"organization_ids": organization_ids} if organization_ids else None)


def note_once(rt: Runtime, state: AlertState, ticket: Ticket, ref: str, body: str,
              fields: dict[str, Any] | None = None) -> Ticket | None:
    """One internal note (plus ``fields``) in one safe update, written once even if the job runs
    twice: the note carries ``ref``; a retry after a crash looks for it before writing again.
    Returns the ticket after the write, or None when the note was already there."""
    text = f"{body}\n\n(ref {ref})"
    if state.pending_ref == ref and any(f"(ref {ref})" in c.body for c in rt.zendesk.comments(ticket.id)):
        state.save(rt, last_ref=ref, pending_ref=None)
        return None
    state.save(rt, pending_ref=ref)
    current = ticket
    for _ in range(MAX_CONFLICTS):
        try:
            updated = rt.zendesk.safe_update(current.id, current.updated_at, fields=fields, note=text)
        except Conflict:
            current = rt.zendesk.get_ticket(ticket.id)
            continue
        state.save(rt, last_ref=ref, pending_ref=None)
        return updated
    raise Busy(f"ticket {ticket.id} kept changing while noting the alert")


def tag_of(name: str, value: str) -> str:
    """``severity`` + ``Critical`` -> ``severity_critical``: a Zendesk tag (lower case, no spaces)."""
    clean = f"{name}_{value}".strip().lower().translate(_TAG_UNSAFE)
    while "__" in clean:
        clean = clean.replace("__", "_")
    return clean.strip("_")[:80]


def _external_id(rt: Runtime, kind: str, key: str, generation: int | None = None) -> str:
    suffix = f"-{generation}" if generation is not None else ""
    return f"{rt.keys.prefix}-{kind}-{key}{suffix}"


@contextmanager
def _locked(rt: Runtime, name: str) -> Iterator[None]:
    """Hold a Redis lock (``SET NX PX`` with a token, released only by its owner) or raise Busy."""
    timeout = rt.config.intake.lock_timeout.total_seconds()
    lock = rt.redis.lock(name, timeout=timeout, blocking_timeout=min(10.0, timeout / 2))
    if not lock.acquire():
        raise Busy(f"{name} is held by another worker")
    try:
        yield
    finally:
        try:
            lock.release()
        except Exception:  # expired while we worked: nothing of ours to release
            log.warning("lock %s expired before it was released", name)
