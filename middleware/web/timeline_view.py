"""One incident timeline entry in words: what a person reads on the incident page.

Every stage appends to the incident's timeline (:meth:`middleware.store.incidents.IncidentStore.add_event`)
with a ``kind`` and whatever fields it knows. This module turns an entry into a title, a tone
(``ok``, ``warn``, ``bad``, ``info``) and the remaining fields as details, so the page and the
JSON API say the same thing. It is pure (no Redis, no clock) and generic: a kind it does not
know (one a later stage adds, such as ``customer_update``) still shows, titled from its name,
with all its fields; nothing is ever dropped from view except ticket-derived text of a
restricted (security) incident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EVENT_LABELS", "WITHHELD_KEYS", "Shown", "describe", "humanise", "ordered"]

EVENT_LABELS = {
    "incident.declared": "incident declared",
    "incident.resolved": "incident resolved",
    "incident.reopened": "incident reopened",
    "sla.at_risk": "SLA at risk",
    "sla.breached": "SLA breached",
    "sla.met": "SLA met",
    "review.overdue": "review overdue",
    "action.overdue": "action overdue",
}

# Fields that may carry the ticket's own words: never shown for a restricted incident.
WITHHELD_KEYS = frozenset({"subject", "body", "text", "excerpt", "reasons", "organization", "organization_name",
                           "message_text", "description"})
# Fields that say nothing to a reader (the timestamp and kind are shown on their own).
_HIDDEN = frozenset({"at", "kind", "final", "sla_state", "elapsed_seconds", "occurrence", "comment_id",
                     "incident_id"})
# Kinds whose details are only these fields (an alert's own details repeat the SLA clock's).
_ONLY = {"alert": {"task_ticket_id", "task_due_at", "overdue_seconds"}}
# Fields a known kind's title already says, so its details do not repeat them.
_IN_TITLE = {
    "declared": {"category"},
    "linked": {"ticket_id"},
    "sla.started": {"state", "sla"},
    "sla.at_risk": {"sla", "state"},
    "sla.breached": {"sla", "state"},
    "sla.reminder": {"reminder", "state"},
    "sla.first_response": {"by", "sla", "state", "within_target"},
    "sla.cancelled": {"reason", "state"},
    "sla.stopped": {"reason"},
    "sla.final": {"state"},
    "alert": {"event"},
    "alert_sent": {"event", "roles", "destination"},
    "alert_failed": {"event", "roles", "destination", "status"},
    "alert_retrying": {"event", "roles", "destination", "status"},
    "alert_log_only": {"event", "roles"},
    "customer_message": {"message", "ticket_id", "outcome", "reason"},
    "comment": {"author_name", "author_id", "staff", "ticket_id"},
    "assigned": {"assignee_name", "assignee_id", "ticket_id"},
    "resolved": {"status", "by", "by_name", "ticket_id", "round"},
    "reopened": {"status", "by", "by_name", "ticket_id", "after_round"},
    "overridden": {"by", "by_name"},
    "review_created": {"ticket_id"},
    "action_created": {"ticket_id"},
    "customer_update.requested": {"by"},
    "customer_update": {"by", "sent", "ticket_ids"},
    "customer_notice.requested": {"by"},
    "customer_notice": {"by", "sent", "ticket_ids"},
}


@dataclass(frozen=True)
class Shown:
    """An entry as displayed: when, what, how it went, and the rest of its fields."""

    at: str | None
    kind: str
    title: str
    tone: str = "info"  # ok | warn | bad | info
    details: dict[str, Any] = field(default_factory=dict)  # what the title does not already say
    ticket_ids: tuple[int, ...] = ()  # tickets the entry is about (linked into Zendesk)
    data: dict[str, Any] = field(default_factory=dict)  # every field recorded (less withheld ones)

    def to_dict(self, link: Callable[[int], str]) -> dict[str, Any]:
        return {"at": self.at, "kind": self.kind, "title": self.title, "tone": self.tone, "details": self.details,
                "links": {str(t): link(t) for t in self.ticket_ids}, "data": self.data}


def humanise(name: str) -> str:
    """``customer_update`` → ``Customer update``; ``sla.first_response`` → ``Sla first response``."""
    words = name.replace(".", " ").replace("_", " ").replace("-", " ").split()
    return " ".join(words).capitalize() if words else "Event"


def _event(entry: dict[str, Any]) -> str:
    event = str(entry.get("event") or "")
    label = EVENT_LABELS.get(event, event)
    occurrence = str(entry.get("occurrence") or "")
    if event == "sla.breached" and occurrence.isdigit() and int(occurrence) > 0:
        label += f" (reminder {occurrence})"
    return label


def _roles(entry: dict[str, Any]) -> str:
    roles = entry.get("roles") or []
    return ", ".join(str(r).replace("_", " ") for r in roles) if isinstance(roles, list) else str(roles)


def _ticket_ids(entry: dict[str, Any]) -> tuple[int, ...]:
    """The tickets an entry names (``ticket_id``, ``task_ticket_id``, a ``ticket_ids`` list)."""
    values = [entry.get("ticket_id"), entry.get("task_ticket_id")]
    if isinstance(entry.get("ticket_ids"), list):
        values += entry["ticket_ids"]
    out = [int(v) for v in values
           if (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and v.isdigit())]
    return tuple(dict.fromkeys(out))


def _title(kind: str, e: dict[str, Any]) -> tuple[str, str]:
    """(title, tone) for the kinds the product records; a humanised kind otherwise."""
    ticket = f"#{e['ticket_id']}" if e.get("ticket_id") is not None else "the ticket"
    who = e.get("by_name") or e.get("by")
    by = f" by {who}" if who else ""
    known: dict[str, Callable[[], tuple[str, str]]] = {
        "declared": lambda: (f"Declared a critical incident ({e.get('category') or 'uncategorised'})", "info"),
        "linked": lambda: (f"Ticket {ticket} linked to this incident", "info"),
        "sla.started": lambda: ("First-response SLA clock started", "info"),
        "sla.at_risk": lambda: (f"SLA at risk: {e.get('sla') or 'no public reply yet'}", "warn"),
        "sla.breached": lambda: (f"SLA breached: {e.get('sla') or 'no public reply in time'}", "bad"),
        "sla.reminder": lambda: (f"Breach reminder {e.get('reminder', '')}: still no public reply".replace("  ", " "),
                                 "bad"),
        "sla.first_response": lambda: (
            f"First public reply{by}: {e.get('sla') or ''}".rstrip(": "),
            "ok" if e.get("within_target") or e.get("state") == "met" else "bad"),
        "sla.cancelled": lambda: (f"SLA clock stopped: {e.get('reason') or 'cancelled'}", "info"),
        "sla.stopped": lambda: (f"Breach reminders stopped: {e.get('reason') or ''}".rstrip(": "), "info"),
        "sla.final": lambda: (f"SLA outcome: {e.get('state') or 'unknown'}",
                              {"met": "ok", "breached": "bad"}.get(str(e.get("state")), "info")),
        "alert": lambda: (f"Alert raised: {_event(e)}", "info"),
        "alert_sent": lambda: (f"Alert “{_event(e)}” delivered to {_roles(e)} via "
                               f"{e.get('destination', '?')}", "ok"),
        "alert_failed": lambda: (f"Alert “{_event(e)}” to {_roles(e)} via {e.get('destination', '?')} "
                                 f"FAILED (delivery status {e.get('status', 'unknown')})", "bad"),
        "alert_retrying": lambda: (f"Alert “{_event(e)}” to {_roles(e)} via {e.get('destination', '?')} "
                                   f"failed (delivery status {e.get('status', 'unknown')}); retrying", "warn"),
        "alert_log_only": lambda: (f"Alert “{_event(e)}” for {_roles(e)}: no destination configured, "
                                   "logged only", "warn"),
        "customer_message": lambda: _customer_message(e, ticket),
        "comment": lambda: _comment(e, ticket),
        "assigned": lambda: (f"Assigned to {e.get('assignee_name') or e.get('assignee_id') or 'nobody'}", "info"),
        "resolved": lambda: (f"Resolved (ticket {e.get('status') or 'solved'}){by}", "ok"),
        "reopened": lambda: (f"Reopened (ticket {e.get('status') or 'open'}){by}", "warn"),
        "overridden": lambda: (f"Marked not critical by an agent{by}", "info"),
        "review_created": lambda: (f"Post-incident review task {ticket} created", "info"),
        "action_created": lambda: (f"Review action {ticket} created", "info"),
        "customer_update.requested": lambda: (f"Status update to customers requested{by}", "info"),
        "customer_update": lambda: (f"Status update sent to {e.get('sent', 0)} ticket(s)",
                                    "warn" if e.get("not_sent") else "ok"),
        "customer_notice.requested": lambda: (f"Proactive notice requested{by}", "info"),
        "customer_notice": lambda: (f"Proactive notice: {e.get('sent', 0)} contact(s) told",
                                    "warn" if e.get("not_sent") else "ok"),
    }
    if kind in known:
        return known[kind]()
    return humanise(kind), "info"


# Why no message was needed (nobody to tell), as opposed to a customer who should have been told.
_NOBODY = ("no requester", "own API user", "problem ticket")


def _customer_message(e: dict[str, Any], ticket: str) -> tuple[str, str]:
    what = {"declared": "that it is handled as critical", "resolved": "that it is resolved"}.get(
        str(e.get("message")), str(e.get("message") or "a message"))
    reason = str(e.get("reason") or "")
    if e.get("outcome") == "sent":
        return f"Customer on {ticket} told {what}", "ok"
    if e.get("outcome") == "already_told":
        return f"Customer on {ticket} already told {what}: {reason or 'by an agent'}", "ok"
    if any(words in reason for words in _NOBODY):
        return f"No customer to tell on {ticket}: {reason}", "info"
    return f"Customer on {ticket} NOT told {what}: {reason or e.get('outcome') or 'not sent'}", "bad"


def _comment(e: dict[str, Any], ticket: str) -> tuple[str, str]:
    who = e.get("author_name") or e.get("author_id") or "someone"
    if e.get("staff"):
        return f"Public reply by {who} on {ticket}", "info"
    return f"Customer {who} wrote on {ticket}", "info"


def ordered(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Oldest first by their time (jobs append out of order by seconds); ties keep their order."""
    return sorted(entries, key=lambda e: str(e.get("at") or ""))


def describe(entry: dict[str, Any], *, restricted: bool = False) -> Shown:
    """The entry in words; ``restricted`` leaves out fields that may quote the ticket."""
    kind = str(entry.get("kind") or "event")
    visible = {k: v for k, v in entry.items() if not (restricted and k in WITHHELD_KEYS)}
    try:
        title, tone = _title(kind, visible)
    except (TypeError, ValueError, KeyError):  # a malformed entry still shows, as its kind
        title, tone = humanise(kind), "info"
    said = _IN_TITLE.get(kind, set())
    only = _ONLY.get(kind)
    details = {k: v for k, v in visible.items()
               if k not in _HIDDEN and k not in said and (only is None or k in only)
               and v not in (None, "", [], {}, False)}
    data = {k: v for k, v in visible.items() if k not in ("at", "kind")}
    return Shown(at=entry.get("at"), kind=kind, title=title, tone=tone, details=details,
                 ticket_ids=_ticket_ids(entry), data=data)
