"""Agents' corrections of the rules, kept in Redis: the only labels that come for free.

Every time a person overrules or settles what the rules said, the ticket's text and the rules'
decision are recorded with the person's verdict:

* ``false_alarm``: an agent removed our flag (or added ``not_critical``) on a ticket we flagged;
* ``missed``: an agent added ``critical_incident`` to a ticket the rules did not flag or put up;
* ``confirmed`` / ``dismissed``: an agent settled a possible critical incident.

``python -m middleware rules feedback`` lists them and exports them as a labelled set in the
format ``rules eval`` reads, so the next change to the rules is measured on what agents said;
the weekly report turns them into precision and recall in production.

A Redis stream (``<prefix>:rules:feedback``), capped at ``MAX_ENTRIES``, so its memory is
bounded whatever happens; one record per (ticket, verdict), so a redelivered event adds none.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from redis import Redis

from middleware.store.connection import Keys
from rules.engine import latest_comment
from rules.model import Ticket, format_time, parse_time

__all__ = ["CONFIRMED", "DISMISSED", "FALSE_ALARM", "KINDS", "MISSED", "FeedbackRecord", "FeedbackStore",
           "flagged_by_rules", "production_figures", "record_of"]

FALSE_ALARM = "false_alarm"
MISSED = "missed"
CONFIRMED = "confirmed"
DISMISSED = "dismissed"
KINDS = (FALSE_ALARM, MISSED, CONFIRMED, DISMISSED)
MAX_ENTRIES = 20_000
MAX_TEXT = 8_000  # characters of description kept per record (enough for the rules' signals)
SEEN_TTL_SECONDS = 400 * 86400


@dataclass
class FeedbackRecord:
    """One person's verdict on one ticket, with what the rules had said."""

    kind: str
    ticket_id: int
    at: datetime
    critical: bool  # the verdict: is it a critical incident?
    category: str | None
    subject: str
    description: str
    comment: str = ""
    via: str | None = None
    requester_role: str | None = None
    requester_email: str | None = None
    actor_id: int | None = None
    rules_tier: str = "none"  # what the rules said: critical | possible | none
    rules_score: float | None = None
    rules_category: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self)
        data["at"] = format_time(self.at)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> FeedbackRecord:
        data = json.loads(raw)
        data["at"] = parse_time(data["at"])
        return cls(**data)

    def labelled(self) -> dict[str, Any]:
        """The record as one ticket of a labelled set (``python -m middleware rules eval``)."""
        item: dict[str, Any] = {"id": f"fb-{self.ticket_id}", "subject": self.subject,
                                "description": self.description, "critical": self.critical}
        if self.critical:
            item["category"] = self.category or self.rules_category or "outage"
        for key in ("comment", "via", "requester_role", "requester_email"):
            value = getattr(self, key)
            if value:
                item[key] = value
        item["why"] = f"agent feedback: {self.kind} (rules said {self.rules_tier}, score {self.rules_score})"
        return item


def record_of(kind: str, ticket: Ticket, at: datetime, *, critical: bool, category: str | None,
              decision: Any = None, actor_id: int | None = None) -> FeedbackRecord:
    """A record for ``ticket`` and ``decision`` (a ``rules.Decision``, or None if unknown)."""
    # the comment as written, quoted history and all (the rules read only its newest message:
    # rules/thread.py); a record is labelled data, evaluated again through the rules
    comment = latest_comment(ticket)
    requester = ticket.requester
    return FeedbackRecord(
        kind=kind, ticket_id=ticket.id, at=at, critical=critical, category=category,
        subject=ticket.subject or "", description=(ticket.description or "")[:MAX_TEXT], comment=comment[:MAX_TEXT],
        via=ticket.via_channel, requester_role=requester.role if requester else None,
        requester_email=requester.email if requester else None, actor_id=actor_id,
        rules_tier=decision.tier if decision is not None else "none",
        rules_score=decision.score if decision is not None else None,
        rules_category=decision.category if decision is not None else None,
    )


class FeedbackStore:
    """Append and read agents' verdicts; appending is idempotent per (ticket, kind)."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    @property
    def stream(self) -> str:
        return self.keys("rules", "feedback")

    def add(self, record: FeedbackRecord) -> bool:
        """Record once per (ticket, kind); False if it was already recorded."""
        if record.kind not in KINDS:
            raise ValueError(f"unknown feedback kind {record.kind!r}")
        seen = self.keys("rules", "feedback", "seen", record.ticket_id, record.kind)
        if not self.redis.set(seen, b"1", nx=True, ex=SEEN_TTL_SECONDS):
            return False
        self.redis.xadd(self.stream, {"r": record.to_json()}, maxlen=MAX_ENTRIES, approximate=True)
        return True

    def since(self, when: datetime | None = None) -> list[FeedbackRecord]:
        """Every record from ``when`` on (all kept ones when None), oldest first."""
        start = f"{int(when.timestamp() * 1000)}-0" if when is not None else "-"
        out = []
        for _id, data in self.redis.xrange(self.stream, min=start, max="+"):
            raw = data.get(b"r") or data.get("r")
            if raw:
                out.append(FeedbackRecord.from_json(raw))
        return out


def flagged_by_rules(incidents: list[Any]) -> int:
    """Incidents (``middleware.store.incidents.Incident``) the rules declared on their own: not an
    agent's tag, not a confirmed possible."""
    return sum(1 for i in incidents if "manual" not in i.rules and "possible" not in i.rules)


def production_figures(records: list[FeedbackRecord], flagged: int) -> dict[str, Any]:
    """Precision and recall of the rules in production, from agents' verdicts.

    ``flagged`` is how many incidents the rules declared in the period. Each false alarm is a
    flag an agent took back; each miss a critical ticket an agent had to tag by hand; each
    confirmed possible a critical ticket the rules did not flag but put to a person.
    """
    counts = {kind: sum(1 for r in records if r.kind == kind) for kind in KINDS}
    true_flags = max(flagged - counts[FALSE_ALARM], 0)
    critical_total = true_flags + counts[MISSED] + counts[CONFIRMED]
    possibles = counts[CONFIRMED] + counts[DISMISSED]
    return {
        "flagged": flagged,
        **counts,
        "precision": true_flags / flagged if flagged else None,
        "recall": true_flags / critical_total if critical_total else None,
        "flagged_or_possible": (true_flags + counts[CONFIRMED]) / critical_total if critical_total else None,
        "possible_confirmed_share": counts[CONFIRMED] / possibles if possibles else None,
    }
