"""The incident the alert tests send alerts about: an outage declared 18 minutes before ``NOW``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from middleware.store.incidents import Incident

NOW = datetime(2025, 1, 8, 10, 30, tzinfo=UTC)


def incident(**over: object) -> Incident:
    """The sample outage, with any of its fields replaced."""
    data: dict = dict(id=5, ticket_id=5, category="outage", rules=["outage-keywords"],
                      reasons=['subject mentions "down"'], subject="Checkout is down",
                      organization_id=22, requester_id=11, ticket_created_at=NOW - timedelta(minutes=20),
                      declared_at=NOW - timedelta(minutes=18), critical_from_start=True)
    data.update(over)
    return Incident(**data)
