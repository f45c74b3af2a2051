"""The SLA's write-back: every transition of a clock announced once (incident timeline, alert)
and written onto the ticket once (tag, fields, internal note), in order.

A transition is recorded in Redis first (the clock's outbox, :mod:`middleware.store.clocks`)
and written here afterwards, by a job of its own or by whoever changed the clock: a slow or
rate-limited Zendesk delays the note on the ticket but never the clock, and a crash between
the two only delays the write (the audit finds what is left unwritten).
"""

from __future__ import annotations

import logging

from redis.exceptions import LockError
from redis.lock import Lock

from jobs.alerts import notify as alerts
from jobs.runtime import Runtime
from jobs.sla.timers import run_job
from jobs.sla.transitions import ticket_changes
from middleware.store.clocks import Clock, ClockStore, Transition
from middleware.zendesk.errors import Conflict, NotFound, RateLimited, TransientError, ZendeskError

log = logging.getLogger(__name__)

__all__ = ["ConflictsExhausted", "announce", "flush", "sync"]

MAX_CONFLICTS = 3
FLUSH_LOCK_SECONDS = 120


class ConflictsExhausted(Exception):
    """The ticket kept changing while we wrote the SLA state; RQ's retry runs the job again."""


def sync(incident_id: int) -> str:
    """RQ entry point: write the clock's pending transitions to Zendesk."""
    return run_job("sync", incident_id, lambda rt: f"{flush(rt, incident_id)} update(s) written")


def flush(rt: Runtime, incident_id: int) -> int:
    """Announce and write every pending transition, in order, each once; returns how many.

    One writer per clock at a time (a Redis lock), so a note is never added twice; a writer
    that finds the lock taken leaves its entries to the holder, which looks again before it
    leaves.
    """
    store = ClockStore(rt.redis, rt.keys)
    written = 0
    while pending := store.outbox(incident_id):
        for entry in pending:
            announce(rt, incident_id, entry)
        lock = rt.redis.lock(rt.keys("sla", incident_id, "writer"), timeout=FLUSH_LOCK_SECONDS)
        if not lock.acquire(blocking=False):
            return written
        try:
            for entry in store.outbox(incident_id):
                clock = store.get(incident_id)
                if clock is None:
                    return written
                _write(rt, store, clock, entry)
                store.mark_written(incident_id, entry.seq)
                written += 1
        finally:
            _release(lock)
    return written


def _release(lock: Lock) -> None:
    try:
        lock.release()
    except LockError:  # expired while we wrote: nothing to give back
        log.debug("SLA writer lock had expired")


def announce(rt: Runtime, incident_id: int, entry: Transition) -> None:
    """Timeline entry and alert for a transition; each recorded once however often called."""
    at = entry.moment
    public = {k: v for k, v in entry.details.items() if k != "final"}
    rt.incidents.add_event(incident_id, entry.timeline, at, {"state": entry.state, **public},
                           dedupe_key=entry.dedupe)
    incident = rt.incidents.get(incident_id)
    if entry.alert and incident is not None:
        alerts.notify(rt, incident, entry.alert, at, occurrence=entry.occurrence, details=public)
    if entry.details.get("final"):
        rt.incidents.add_event(incident_id, "sla.final", at, {"state": entry.state}, dedupe_key="sla.final")


def _write(rt: Runtime, store: ClockStore, clock: Clock, entry: Transition) -> None:
    """One safe update for one transition; on a conflict, re-read the stamp and try again.

    What we write (our own SLA tags, our note, our fields) does not depend on what the agent
    changed, so a conflict only needs the fresh ``updated_at``, never a new decision.
    """
    if entry.note is None and not entry.retag:
        return
    add, remove, fields = ticket_changes(rt, clock, entry)
    stamp = clock.ticket_stamp
    for _ in range(MAX_CONFLICTS):
        try:
            if stamp is None:
                stamp = rt.zendesk.get_ticket(clock.ticket_id).updated_at
            updated = rt.zendesk.safe_update(clock.ticket_id, stamp, add_tags=add, remove_tags=remove,
                                             fields=fields or None, note=entry.note)
        except Conflict:
            stamp = None
            continue
        except NotFound:
            log.warning("incident %s: ticket %s is gone; SLA %s not written", clock.incident_id,
                        clock.ticket_id, entry.kind)
            return
        except (RateLimited, TransientError):
            raise
        except ZendeskError:
            if _is_closed(rt, clock.ticket_id):
                log.info("incident %s: ticket closed; SLA %s not written", clock.incident_id, entry.kind)
                return
            raise
        store.note_stamp(clock.incident_id, updated.updated_at)
        return
    raise ConflictsExhausted(f"ticket {clock.ticket_id} changed {MAX_CONFLICTS} times while writing the SLA")


def _is_closed(rt: Runtime, ticket_id: int) -> bool:
    try:
        return rt.zendesk.get_ticket(ticket_id).status == "closed"
    except NotFound:
        return True
