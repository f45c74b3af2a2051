"""The path of one ticket event, and of what it causes, in one place: the stages, in order.

Why one place: the order is a decision (the SLA clock starts before the declared alert, so the
alert can say when the reply is due), and kept here it leaves every stage ignorant of the others.

Read top to bottom, a ticket event queued by the receiver (or by the catch-up) goes:

1. **triage** (``jobs.triage``): our own write coming back is ignored; an agent's override is
   respected; the rules decide; a critical ticket is flagged in one write and its incident
   recorded, a possible one is put to a person;
2. what triage says happened is routed here, as it happens (``jobs.happened``):
   **declared** → SLA clock, the ``incident.declared`` alert, the customer's "handled as
   critical" message; **overridden** → the SLA clock is cancelled;
3. **after every event**: the SLA (a first public staff reply meets it), the lifecycle (solved
   resolves the incident, reopened reopens it), the incident record (assignee, comments), and
   correlation (several customers, one problem: it may declare an incident and **link**
   tickets to it, routed the same way → their requesters are told).

A monitoring alert or a staff report (``jobs.intake``) becomes a flagged ticket and joins at 2.
A resolved incident (``jobs.lifecycle.status``) queues its follow-up, whose stages are listed
here too (:func:`resolution`): the SLA settles, then the requesters are told and the review is
asked for.

No stage imports another stage: each says what happened and this module, the only one that
knows the order, runs the stages listed for it. The RQ entry points of these paths are here;
the names earlier releases queued them under are mapped by the worker
(``middleware.store.queues.RENAMED``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from jobs import correlate, happened, incident_record, intake, runtime, triage
from jobs.alerts import notify as alerts
from jobs.lifecycle import status as lifecycle
from jobs.runtime import Runtime
from jobs.scheduling import put_off_when_told
from jobs.seen import mark_seen
from jobs.sla import clock as sla
from jobs.ticket_state import TicketState
from middleware.store.incidents import RESOLVED, Incident
from middleware.zendesk.errors import NotFound, Refused
from middleware.zendesk.webhook.normalize import Ignored, InvalidPayload, event_from_raw
from rules.model import Alert, StaffReport, TicketEvent

__all__ = [
    "after_event",
    "finish_resolution",
    "handle_alert",
    "handle_event",
    "handle_report",
    "handle_webhook",
    "process",
    "resolution",
    "routed",
]

log = logging.getLogger(__name__)

UNAVAILABLE_WAIT_SECONDS = 10  # a failed call that did not open the breaker: try again soon


# -- the stages, listed once ---------------------------------------------------------------------
def declared(rt: Runtime, incident: Incident, event: TicketEvent) -> None:
    """A new critical incident was recorded (exactly once per incident)."""
    log.info("incident %s declared (category %s, rules %s)", incident.id, incident.category,
             ",".join(incident.rules))
    sla.on_declared(rt, incident, event)  # first, so the declared alert can say when the SLA is due
    alerts.notify(rt, incident, "incident.declared", incident.declared_at)
    lifecycle.on_declared(rt, incident, event)


def overridden(rt: Runtime, incident: Incident, event: TicketEvent) -> None:
    """An agent said this is not critical: stop everything that was started for it."""
    log.info("incident %s overridden by an agent", incident.id)
    sla.on_overridden(rt, incident, event)


def linked(rt: Runtime, incident: Incident, ticket_ids: Iterable[int]) -> None:
    """Tickets joined a running incident (multi-customer correlation): their requesters are told
    it is handled as critical, and they count among the incident's tickets at resolution."""
    lifecycle.on_linked(rt, incident, ticket_ids)


def after_event(rt: Runtime, event: TicketEvent, state: TicketState | None = None) -> None:
    """Every ticket event, after triage: the stages that follow a ticket's changes.

    ``state``: the ticket's incident, clock and link as triage read them (one round trip);
    without it each stage reads what it needs.
    """
    with routed():
        sla.after_event(rt, event, state)
        lifecycle.after_event(rt, event, state)
        incident_record.after_event(rt, event, state)  # assignee and comments, for the incident room
        correlate.after_event(rt, event)  # several customers, one problem: may declare or link


class _Route:
    """What a stage says happened (``jobs.happened``), sent to the stages above."""

    def declared(self, rt: Runtime, incident: Incident, event: TicketEvent) -> None:
        declared(rt, incident, event)

    def overridden(self, rt: Runtime, incident: Incident, event: TicketEvent) -> None:
        overridden(rt, incident, event)

    def linked(self, rt: Runtime, incident: Incident, ticket_ids: Iterable[int]) -> None:
        linked(rt, incident, ticket_ids)

    def changed(self, rt: Runtime, event: TicketEvent) -> None:
        after_event(rt, event)


@contextmanager
def routed() -> Iterator[None]:
    """Run stages with what they say happened routed by this pipeline."""
    with happened.routed_by(_Route()):
        yield


# -- one ticket event ---------------------------------------------------------------------------
def process(rt: Runtime, event: TicketEvent) -> str:
    """Everything one event causes, in order: triage, then the stages after it."""
    with routed():
        outcome, state = triage.process(rt, event)
        if state is not None:
            after_event(rt, event, state)
    return outcome


def handle_webhook(raw: bytes, invocation_id: str | None = None) -> str:
    """RQ entry point for one webhook the receiver verified, validated and queued as its exact
    bytes: the event is built here, by the code the receiver validated it with
    (``event_from_raw``), so it is the event the receiver would have queued before.

    A body that no longer makes an event (the schemas changed between the webhook and its job)
    fails the job, which is kept with the failed ones (``jobs failed``) to be retried once the
    code takes it again (``jobs retry``): the event was answered 202, so it must not vanish.
    """
    try:
        event = event_from_raw(raw, invocation_id)
    except InvalidPayload as exc:
        log.error("webhook %s: the queued body is no longer a valid event: %s", invocation_id or "-", exc.message)
        raise
    if isinstance(event, Ignored):
        log.info("webhook %s: event %s ignored (%s)", invocation_id or "-", event.event_id, event.reason)
        return f"ignored: {event.reason}"
    return _handle(runtime.get(), event)


def handle_event(event_data: dict[str, Any]) -> str:
    """RQ entry point for one ticket event queued as a dict (the catch-up's, and webhooks queued
    before the receiver queued raw bodies); returns what happened, for the job result."""
    return _handle(runtime.get(), TicketEvent.from_dict(event_data))


def _handle(rt: Runtime, event: TicketEvent) -> str:
    """One ticket event's job, whichever way it was queued."""
    try:
        # Waiting for the budget or for Zendesk to come back is not a failure: the job comes
        # back when they allow, with its RQ retries intact (a long outage loses nothing).
        outcome = put_off_when_told(lambda: process(rt, event), unavailable_wait=UNAVAILABLE_WAIT_SECONDS)
    except NotFound:
        # Deleted (or hidden from us) before its job ran: nothing to flag, now or on a retry.
        outcome = f"ticket {event.ticket.id} no longer exists in Zendesk: nothing to do"
    except Refused as exc:
        # 400/422 (a closed ticket, a field Zendesk rejects): the same write is refused on every
        # retry. Handled once; the change counts as seen so the catch-up does not queue it again.
        mark_seen(rt, event.ticket)
        log.warning("ticket %s: event %s: %s; handled once, not retried", event.ticket.id, event.id, exc)
        outcome = f"{exc}: handled once"
    except Exception as exc:
        log.warning("ticket %s: event %s failed: %s", event.ticket.id, event.id, type(exc).__name__)
        raise
    log.info("ticket %s: %s event %s: %s", event.ticket.id, event.type, event.id, outcome)
    return outcome


# -- monitoring alerts and staff reports ---------------------------------------------------------
def handle_alert(alert_data: dict[str, Any]) -> str:
    """RQ entry point for one queued alert; returns what happened, for the job result."""
    rt = runtime.get()
    alert = Alert.from_dict(alert_data)
    with routed():
        return intake.run(lambda: intake.process_alert(rt, alert), f"alert {alert.key} ({alert.status})")


def handle_report(report_data: dict[str, Any]) -> str:
    """RQ entry point for one queued staff report."""
    rt = runtime.get()
    report = StaffReport.from_dict(report_data)
    with routed():
        return intake.run(lambda: intake.process_report(rt, report), f"staff report {report.report_id}")


# -- a resolved incident ---------------------------------------------------------------------------
def resolution(rt: Runtime, incident_id: int, round_: int) -> str:
    """What a resolution causes, once its job runs: a still-running SLA clock settles (first, so
    a reply we missed is on the ticket before the messages), then every linked requester is told
    and the post-incident review is asked for. Nothing, if the incident was reopened meanwhile.
    Idempotent: the SLA settles once, messages have their markers, the review its external id."""
    incident = rt.incidents.get(incident_id)
    if incident is None:
        return "no such incident"
    if incident.status != RESOLVED:
        return f"skipped: the incident is {incident.status} again"
    settled = sla.on_resolved(rt, incident)
    return f"SLA: {settled}; {lifecycle.after_resolution(rt, incident, round_)}"


def finish_resolution(incident_id: int, round_: int) -> str:
    """RQ entry point of a resolution's follow-up (queued by ``jobs.lifecycle.status``)."""
    rt = runtime.get()
    outcome = put_off_when_told(lambda: resolution(rt, incident_id, round_))
    log.info("incident %s: resolution: %s", incident_id, outcome)
    return outcome
