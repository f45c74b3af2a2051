"""What happened to one incident, from its record and timeline: the facts the post-incident
review task, the lead-team report and the incident room all tell.

They come from the incident record and its timeline in Redis, which every stage appends to
(declaration, SLA clock, alerts, customer messages, resolution), so nothing here asks Zendesk
or reads a clock. Kept below the stages that read them, so the review (``jobs.lifecycle``) and
the report (``jobs.report``) share them without importing each other.

Definitions (also in docs/lifecycle.md):

* **first report**: the earliest of the ticket's creation, the SLA clock's start and the
  declaration (for a multi-customer incident, ``extra["first_report_at"]`` when set);
* **time to first response**: from the SLA clock's start (what the promise is measured from)
  to the first public staff reply;
* **time to resolve**: from the first report to the resolution.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from middleware.store.incidents import RESOLVED, Incident
from rules.model import parse_time

__all__ = ["AUTOMATIC", "AlertRecord", "IncidentFacts", "customers_told", "facts_of"]


@dataclass(frozen=True)
class AlertRecord:
    """One alert as the timeline shows it: queued for an event, then sent to roles."""

    event: str
    at: datetime | None
    roles: tuple[str, ...] = ()
    delivered: bool = False


@dataclass(frozen=True)
class IncidentFacts:
    """One incident's story, from its record and timeline."""

    id: int
    ticket_id: int
    category: str | None
    subject: str
    status: str
    first_report_at: datetime
    declared_at: datetime
    resolved_at: datetime | None
    sla_started_at: datetime | None = None
    sla_due_at: datetime | None = None
    first_response_at: datetime | None = None
    first_response_by: str | None = None
    sla_state: str | None = None  # pending | at_risk | met | breached | cancelled; None: no clock
    linked_ticket_ids: tuple[int, ...] = ()
    alerts: tuple[AlertRecord, ...] = ()
    customer_messages: tuple[dict[str, Any], ...] = ()
    customer_sends: tuple[dict[str, Any], ...] = ()  # status updates and proactive notices a person asked for
    reopened: int = 0
    rules: tuple[str, ...] = ()

    @property
    def time_to_first_response(self) -> timedelta | None:
        if self.first_response_at is None:
            return None
        return max(timedelta(0), self.first_response_at - (self.sla_started_at or self.first_report_at))

    @property
    def time_to_resolve(self) -> timedelta | None:
        if self.resolved_at is None or self.status != RESOLVED:
            return None
        return max(timedelta(0), self.resolved_at - self.first_report_at)



def _time(value: Any) -> datetime | None:
    try:
        return parse_time(value) if value else None
    except (TypeError, ValueError):
        return None


def facts_of(incident: Incident, timeline: list[dict[str, Any]], linked: Iterable[int] = ()) -> IncidentFacts:
    """The facts of one incident from its record and timeline entries (oldest first)."""
    sla_started = sla_due = responded = None
    responded_by = None
    sla_state = None
    alerts: dict[str, AlertRecord] = {}
    messages: list[dict[str, Any]] = []
    sends: list[dict[str, Any]] = []
    reopened = 0
    for entry in timeline:
        kind = str(entry.get("kind", ""))
        if kind == "sla.started":
            sla_started = _time(entry.get("started_at")) or _time(entry.get("at"))
            sla_due = _time(entry.get("sla_due_at"))
        elif kind == "sla.first_response":
            responded = _time(entry.get("responded_at")) or _time(entry.get("at"))
            responded_by = entry.get("by") or None
        if kind.startswith("sla.") and entry.get("state"):
            sla_state = str(entry["state"])
        if kind == "alert":
            key = f"{entry.get('event')}#{entry.get('occurrence', '')}"
            alerts.setdefault(key, AlertRecord(str(entry.get("event")), _time(entry.get("at"))))
        elif kind == "alert_sent":
            key = f"{entry.get('event')}#{entry.get('occurrence', '')}"
            before = alerts.get(key) or AlertRecord(str(entry.get("event")), _time(entry.get("at")))
            roles = tuple(dict.fromkeys([*before.roles, *(entry.get("roles") or [])]))
            alerts[key] = AlertRecord(before.event, before.at, roles, True)
        elif kind == "customer_message":
            messages.append({k: entry.get(k) for k in ("message", "ticket_id", "outcome", "reason", "at")})
        elif kind in ("customer_update", "customer_notice"):
            sends.append(dict(entry))
        elif kind == "reopened":
            reopened += 1
    candidates = [t for t in (incident.ticket_created_at, _time(incident.extra.get("first_report_at")),
                              sla_started, incident.declared_at) if t is not None]
    return IncidentFacts(
        id=incident.id,
        ticket_id=incident.ticket_id,
        category=incident.category,
        subject=incident.subject,
        status=incident.status,
        first_report_at=min(candidates),
        declared_at=incident.declared_at,
        resolved_at=incident.resolved_at,
        sla_started_at=sla_started,
        sla_due_at=sla_due,
        first_response_at=responded,
        first_response_by=responded_by,
        sla_state=sla_state,
        linked_ticket_ids=tuple(dict.fromkeys([incident.ticket_id, *linked])),
        alerts=tuple(sorted(alerts.values(), key=lambda a: (a.at is None, a.at))),
        customer_messages=tuple(messages),
        customer_sends=tuple(sends),
        reopened=reopened,
        rules=tuple(incident.rules),
    )


AUTOMATIC = {"declared": "told it is handled as critical", "resolved": "told it is resolved"}


def customers_told(f: IncidentFacts) -> list[dict[str, Any]]:
    """What the incident's customers were told and when, oldest first: the automatic messages
    (grouped: how many tickets, from when to when) and every status update and proactive notice
    a person asked for (who asked, how many recipients)."""
    told: list[dict[str, Any]] = []
    for kind, words in AUTOMATIC.items():
        sent = [m for m in f.customer_messages if m.get("message") == kind and m.get("outcome") == "sent"]
        times = sorted(t for t in (_time(m.get("at")) for m in sent) if t is not None)
        if sent:
            told.append({"what": words, "at": times[0] if times else None, "until": times[-1] if times else None,
                         "by": None, "recipients": f"{len(sent)} ticket(s)"})
    for entry in f.customer_sends:
        if entry.get("kind") == "customer_update":
            what = f"status update {entry.get('update_id')}"
            recipients = f"{entry.get('sent', 0)} ticket(s)"
        else:
            what = f"proactive notice {entry.get('notice_id')}"
            recipients = (f"{entry.get('sent', 0)} contact(s) in {len(entry.get('organization_ids') or [])} "
                          "organisation(s)")
        told.append({"what": what, "at": _time(entry.get("at")), "until": None, "by": entry.get("by"),
                     "recipients": recipients})
    return sorted(told, key=lambda t: (t["at"] is None, t["at"]))
