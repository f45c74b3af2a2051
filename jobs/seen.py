"""What the catch-up of missed webhooks (``jobs.reconcile``) needs from the other jobs: the
newest change of each ticket we saw, and how to read an event the catch-up queued.

Triage, the intake and the pipeline mark what they handled; the catch-up reads the marks to
find what Zendesk changed without telling us. The marks live here, below all of them, so none
of those stages imports the catch-up's job to write one.
"""

from __future__ import annotations

from jobs.runtime import Runtime
from rules.model import Ticket, TicketEvent

__all__ = ["MARK_SEEN_LUA", "SOURCE", "found_at_creation", "last_seen", "mark_seen", "seen_key", "seen_ttl"]

SOURCE = "reconcile"  # the source and type of the events the catch-up queues

# KEYS[1] seen key; ARGV[1] updated_at (epoch seconds), ARGV[2] TTL (s). Keeps the newest.
# Also the first half of the per-event read in ``jobs.ticket_state``.
MARK_SEEN_LUA = """
local current = redis.call("GET", KEYS[1])
if current and tonumber(current) >= tonumber(ARGV[1]) then
  redis.call("EXPIRE", KEYS[1], ARGV[2])
else
  redis.call("SET", KEYS[1], ARGV[1], "EX", ARGV[2])
end
"""


def seen_key(rt: Runtime, ticket_id: int) -> str:
    return rt.keys("reconcile", "seen", ticket_id)


def mark_seen(rt: Runtime, ticket: Ticket) -> None:
    """Remember ``ticket.updated_at`` as seen, unless a newer change was seen already."""
    if ticket.updated_at is None:
        return
    script = rt.redis.register_script(MARK_SEEN_LUA)  # EVALSHA; the script is loaded once per server
    script(keys=[seen_key(rt, ticket.id)], args=[int(ticket.updated_at.timestamp()), seen_ttl(rt)])


def seen_ttl(rt: Runtime) -> int:
    """How long a seen mark lives (s): long enough for the catch-up to look past it."""
    return max(60, int(rt.config.reconcile.seen_ttl.total_seconds()))


def last_seen(rt: Runtime, ticket_ids: list[int]) -> dict[int, int | None]:
    """The newest ``updated_at`` (epoch seconds) seen per ticket, in one round trip."""
    if not ticket_ids:
        return {}
    values = rt.redis.mget([seen_key(rt, tid) for tid in ticket_ids])
    return {tid: (int(v) if v is not None else None) for tid, v in zip(ticket_ids, values, strict=True)}


def found_at_creation(event: TicketEvent) -> bool:
    """True for a catch-up event about a ticket created during the gap and never seen at all:
    its creation was missed, so an SLA clock for it starts at its creation, as the webhook's
    ``created`` event would have started it."""
    return event.source == SOURCE and isinstance(event.current, dict) and bool(event.current.get("missed_creation"))
