"""What Redis knows about one ticket, read in one round trip when its event is handled.

Every ticket event needs the same few facts before anything can be decided: is there an
incident on this ticket, an SLA clock, a multi-customer incident the ticket joined; and the
change has to be marked as seen for the catch-up (``jobs.reconcile``). Asked one at a time by
the stages that use them, that was five or six round trips per event, most of them for the
nine in ten tickets that are not critical. One script marks and reads everything at once; the
stages take what it read (``triage``, ``sla.after_event``, ``lifecycle.after_event``).

The change is marked seen only when nothing about it can still need a Zendesk write (the
caller says when: see ``jobs.triage.process``), so a job that fails before its write leaves
the ticket for the catch-up.

The snapshot is only good until someone writes: triage re-reads it (without marking again)
after it declared or changed an incident, so the later stages never act on a stale one.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobs import seen
from jobs.runtime import Runtime
from middleware.store.clocks import Clock, ClockStore
from middleware.store.incidents import Incident, IncidentStore
from rules.model import Ticket

__all__ = ["TicketState", "read"]

# KEYS: the seen mark, the incident hash, the SLA clock hash, the ticket's link to an incident.
# ARGV: the ticket's updated_at (epoch s; '' = do not mark), the seen mark's TTL, '1' to mark
# only if the incident is recorded (its decision is on Zendesk already).
_READ = (
    "if ARGV[1] ~= '' and (ARGV[3] ~= '1' or redis.call('EXISTS', KEYS[2]) == 1) then\n"
    + seen.MARK_SEEN_LUA
    + "end\n"
    + "return {redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]), redis.call('GET', KEYS[4])}\n"
)


@dataclass(frozen=True, slots=True)
class TicketState:
    """One ticket's incident, SLA clock and multi-customer link, as Redis had them."""

    incident: Incident | None
    clock: Clock | None
    linked_to: int | None  # the incident this ticket joined (``IncidentStore.incident_of_linked``)


IF_FLAGGED = "if_flagged"


def read(rt: Runtime, ticket: Ticket, *, mark_seen: bool | str = True) -> TicketState:
    """The ticket's state; with ``mark_seen``, its ``updated_at`` recorded for the catch-up too
    (with ``IF_FLAGGED``: only if the ticket's incident is recorded, i.e. its flag is written)."""
    stamp = int(ticket.updated_at.timestamp()) if mark_seen and ticket.updated_at is not None else ""
    clocks = ClockStore(rt.redis, rt.keys)
    keys = [seen.seen_key(rt, ticket.id), rt.incidents.key(ticket.id), clocks.key(ticket.id),
            rt.incidents.link_key(ticket.id)]
    script = rt.redis.register_script(_READ)  # EVALSHA: loaded once per server
    only_if_flagged = "1" if mark_seen == IF_FLAGGED else "0"
    incident_raw, clock_raw, link = script(keys=keys, args=[stamp, seen.seen_ttl(rt), only_if_flagged])
    return TicketState(
        incident=IncidentStore.parse(_hash(incident_raw)),
        clock=ClockStore.parse(_hash(clock_raw)),
        linked_to=int(link) if link else None,
    )


def _hash(flat: list[bytes]) -> dict[bytes, bytes]:
    """HGETALL's reply inside a script is a flat [field, value, ...] list."""
    return dict(zip(flat[::2], flat[1::2], strict=True))
