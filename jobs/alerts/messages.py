"""What an alert says: the facts a reader needs to act, put into the configured template.

Rendering is pure (no Redis, no Zendesk, no clock): the alert jobs gather the facts (the link,
the organisation's name, the SLA due time) and the event time ``at`` comes in as an argument,
so "declared 12m ago, 48m left" is what was true when the event happened, even if the message
goes out after a retry.

Security (restricted) incidents are handled here, not in the templates: the ticket-derived
values (subject, organisation, the rules' reasons, which may quote the ticket) are replaced by
a "withheld" marker *before* rendering, so even a custom template that names ``{subject}``
cannot leak it. What remains is the link, the category and the rule names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from middleware.config.alerting import TICKET_DERIVED, WITHHELD, AlertsSettings
from middleware.store.incidents import Incident
from rules.model import parse_time

__all__ = ["Facts", "Message", "format_duration", "render", "sla_text"]

EVENT_LABELS = {
    "incident.declared": "Critical incident declared",
    "sla.at_risk": "SLA at risk",
    "sla.breached": "SLA breached",
    "incident.resolved": "Critical incident resolved",
    "incident.not_flagged": "Critical ticket not flagged in Zendesk",
}


@dataclass(frozen=True)
class Message:
    """One rendered alert, ready for Apprise."""

    title: str
    body: str
    notify_type: str


@dataclass(frozen=True)
class Facts:
    """Everything a template may show, gathered by the caller (I/O happens there, not here)."""

    incident: Incident
    event: str
    at: datetime
    occurrence: str
    link: str
    organization: str
    due_at: datetime | None
    sla_state: str | None = None
    responded_at: datetime | None = None
    sla_summary: str | None = None  # the SLA clock's own one-line wording, when it sent one
    problem: str | None = None  # what went wrong, when the alert is about a failure (incident.not_flagged)


def format_duration(delta: timedelta) -> str:
    """``45s``, ``12m``, ``1h 05m``, ``2d 3h``: short enough for a chat title."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def _clock(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def sla_text(at: datetime, due_at: datetime | None, state: str | None = None,
             responded_at: datetime | None = None) -> str:
    """Time left on the SLA or how late it is, as of ``at``; once answered, how it ended."""
    if due_at is None:
        return state or "unknown"
    due = f"due {_clock(due_at)}"
    if responded_at is not None:
        if responded_at <= due_at:
            return f"met, first response {format_duration(due_at - responded_at)} early ({due})"
        return f"first response {format_duration(responded_at - due_at)} late ({due})"
    if state == "met":
        return f"met ({due})"
    if at <= due_at:
        return f"{format_duration(due_at - at)} left ({due})"
    return f"{format_duration(at - due_at)} late (was {due})"


def due_at_from(details: dict[str, Any]) -> datetime | None:
    """The SLA due time a caller passed in ``details`` (ISO string or datetime), if any."""
    for name in ("due_at", "sla_due_at", "deadline"):
        value = details.get(name)
        if value:
            try:
                return parse_time(value)
            except (TypeError, ValueError):
                return None
    return None


def _reminder(event: str, occurrence: str) -> str:
    """``Reminder 2: `` for breach reminders (occurrence 1, 2, …); the first breach is occurrence 0."""
    if event == "sla.breached" and occurrence.isdigit() and int(occurrence) > 0:
        return f"Reminder {occurrence}: "
    return ""


def context(facts: Facts, roles: tuple[str, ...], restricted: bool) -> dict[str, str]:
    """The placeholder values; ticket-derived ones withheld for restricted categories."""
    inc = facts.incident
    values = {
        "event": facts.event,
        "event_label": EVENT_LABELS.get(facts.event, facts.event),
        "reminder": _reminder(facts.event, facts.occurrence),
        "incident_id": str(inc.id),
        "ticket_id": str(inc.ticket_id),
        "link": facts.link,
        "subject": inc.subject or "(no subject)",
        "organization": facts.organization,
        "category": inc.category or "uncategorised",
        "rules": ", ".join(inc.rules) or "none",
        "reasons": "; ".join(inc.reasons) or ", ".join(inc.rules) or "not recorded",
        "declared_at": _clock(inc.declared_at),
        "since_declared": format_duration(facts.at - inc.declared_at),
        "sla": facts.sla_summary or sla_text(facts.at, facts.due_at, facts.sla_state, facts.responded_at),
        "sla_due_at": _clock(facts.due_at) if facts.due_at else "unknown",
        "roles": ", ".join(roles),
        "problem": facts.problem or "none",
    }
    if restricted:
        values.update(dict.fromkeys(TICKET_DERIVED, WITHHELD))
    return values


def is_restricted(settings: AlertsSettings, incident: Incident) -> bool:
    return (incident.category or "") in settings.restricted_categories


def render(settings: AlertsSettings, facts: Facts, roles: tuple[str, ...]) -> Message:
    """The message for one destination (``roles`` are the roles it receives this alert as)."""
    restricted = is_restricted(settings, facts.incident)
    template = settings.template_for(facts.event, restricted)
    values = context(facts, roles, restricted)
    return Message(
        title=template.title.format_map(values).strip(),
        body=template.body.format_map(values).strip(),
        notify_type=template.notify_type,
    )
