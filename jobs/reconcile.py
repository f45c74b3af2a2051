"""Catch-up of missed webhooks: tickets Zendesk changed but never told us about go down the
normal path, as if their webhook had arrived.

Zendesk gives up on a delivery after a few retries and drops events while its circuit breaker
is open, so some ticket changes never reach the receiver. Read top to bottom:

1. **seen** (:func:`jobs.seen.mark_seen`): every event the triage job handles records the
   ticket's ``updated_at`` as "the newest change we saw" (the newest wins; events come unordered);
2. **read** (:func:`reconcile`): the incremental ticket export is read from a cursor kept in
   Redis (or from ``--since`` ago), page by page, oldest change first;
3. **judge**: a ticket whose ``updated_at`` is newer than what we saw was missed; one changed
   less than ``reconcile.grace`` ago probably has its webhook in flight and waits for the next
   run (the cursor stops before it); a closed ticket can no longer be written and is skipped;
4. **enqueue**: a missed ticket becomes a ``TicketEvent`` (source and type ``reconcile``,
   id = ticket id + ``updated_at``) queued for ``jobs.pipeline.handle_event`` with the receiver's
   own dedupe-and-enqueue script, so running the catch-up twice queues nothing new;
5. **cursor**: saved after every complete page, so a failure mid-way resumes where it stopped.

A ticket whose last change was our own write looks "missed" too (the receiver drops our own
events before they reach triage): triage finds it already flagged and writes nothing.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import LockError
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

from jobs import runtime
from jobs.runtime import Runtime
from jobs.seen import SOURCE, last_seen
from middleware.store.enqueue import EnqueueOutcome, EventEnqueuer
from middleware.zendesk.errors import RateLimited, TransientError
from rules.model import Ticket, TicketEvent, format_time, parse_time

__all__ = ["Counts", "reconcile", "run"]

log = logging.getLogger(__name__)

CLOSED = "closed"
RUN_LOCK_SECONDS = 600


@dataclass
class Counts:
    """What one run did, for the log line, the CLI and the tests."""

    read: int = 0
    seen: int = 0
    queued: int = 0
    duplicate: int = 0
    requeued: int = 0  # a catch-up job for the ticket had failed: queued again
    closed: int = 0
    waiting: int = 0  # changed within the grace period: judged next run
    pages: int = 0
    cursor_saved: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"read {self.read}, already seen {self.seen}, queued {self.queued}, queued before {self.duplicate}, "
                f"failed and queued again {self.requeued}, "
                f"closed {self.closed}, within grace {self.waiting}")


# ---------------------------------------------------------------------------------------------
# 2-5. The catch-up run
# ---------------------------------------------------------------------------------------------
def run() -> str:
    """RQ entry point (ticked every minute by ``middleware.worker``): runs when ``reconcile.every``
    has passed since the last run, so the interval is the config's, not the ticker's."""
    rt = runtime.get()
    settings = rt.config.reconcile
    if not settings.enabled:
        return "disabled"
    if not rt.redis.set(rt.keys("reconcile", "due"), "1", nx=True, ex=max(1, int(settings.every.total_seconds()))):
        return "not due"
    try:
        counts = reconcile(rt)
    except RateLimited as exc:
        if exc.source == "breaker":  # Zendesk is down, not busy: try again next minute
            rt.redis.delete(rt.keys("reconcile", "due"))
        log.info("reconcile: Zendesk rate limit (%s); the cursor keeps what was done", exc.source)
        return f"rate limited; resumes next run (retry after {exc.retry_after:.0f} s)"
    except TransientError as exc:  # Zendesk unavailable: the next run resumes from the cursor
        rt.redis.delete(rt.keys("reconcile", "due"))  # and does not wait a whole reconcile.every for it
        log.info("reconcile: Zendesk unavailable (%s); the cursor keeps what was done", exc)
        return "Zendesk unavailable; resumes next run"
    log.info("reconcile: %s", counts.summary())
    return counts.summary()


def reconcile(rt: Runtime, since: timedelta | None = None, now: datetime | None = None) -> Counts:
    """One catch-up: from ``since`` ago if given, else from the stored cursor (or, on the very
    first run, ``reconcile.first_since`` ago). Only one run at a time (a Redis lock)."""
    lock = rt.redis.lock(rt.keys("reconcile", "lock"), timeout=RUN_LOCK_SECONDS, blocking_timeout=0)
    if not lock.acquire(blocking=False):
        counts = Counts()
        counts.notes.append("another reconcile run holds the lock")
        return counts
    try:
        return _reconcile(rt, since, now or rt.clock())
    finally:
        with contextlib.suppress(LockError):  # expired during a very long run: nothing to release
            lock.release()


def _reconcile(rt: Runtime, since: timedelta | None, now: datetime) -> Counts:
    settings = rt.config.reconcile
    cursor_key, from_key = rt.keys("reconcile", "cursor"), rt.keys("reconcile", "position_time")
    cursor = None if since is not None else _text(rt.redis.get(cursor_key))
    if cursor:
        scan_from = parse_time(_text(rt.redis.get(from_key))) or now - settings.first_since
        pages = rt.zendesk.incremental_tickets(cursor=cursor, per_page=settings.per_page)
    else:
        scan_from = now - (since if since is not None else settings.first_since)
        pages = rt.zendesk.incremental_tickets(start_time=int(scan_from.timestamp()), per_page=settings.per_page)
    enqueuer = EventEnqueuer(rt.redis, rt.keys, dedupe_ttl=rt.config.webhook.dedupe_ttl)
    settled_before = now - settings.grace
    counts = Counts()
    for tickets, after, _end in pages:
        counts.pages += 1
        settled = [t for t in tickets if t.updated_at is None or t.updated_at <= settled_before]
        counts.waiting += len(tickets) - len(settled)
        _judge(rt, enqueuer, settled, scan_from, counts)
        if len(settled) < len(tickets):
            break  # the export is in change order: the rest changed even later; the cursor stays here
        if after:
            newest = max((t.updated_at for t in tickets if t.updated_at), default=None)
            _save_position(rt, cursor_key, from_key, after, newest or scan_from)
            counts.cursor_saved = True
    return counts


def _judge(rt: Runtime, enqueuer: EventEnqueuer, tickets: list[Ticket], scan_from: datetime, counts: Counts) -> None:
    """Queue each ticket changed since we last saw it (one Redis read per page for "seen")."""
    seen = last_seen(rt, [t.id for t in tickets])
    for ticket in tickets:
        counts.read += 1
        stamp = int(ticket.updated_at.timestamp()) if ticket.updated_at else None
        known = seen.get(ticket.id)
        if known is not None and stamp is not None and known >= stamp:
            counts.seen += 1
            continue
        if ticket.status == CLOSED:
            counts.closed += 1
            continue
        missed_creation = known is None and ticket.created_at is not None and ticket.created_at >= scan_from
        event = TicketEvent(
            id=f"reconcile-{ticket.id}-{stamp if stamp is not None else 'unknown'}",
            type=SOURCE,
            ticket=ticket,
            time=ticket.updated_at,
            source=SOURCE,
            previous={"seen_updated_at": known},
            current={"missed_creation": missed_creation},
        )
        result = enqueuer.enqueue(event)
        if result.outcome is EnqueueOutcome.QUEUED:
            counts.queued += 1
            log.info("reconcile: ticket %s changed at %s was never seen: queued", ticket.id,
                     format_time(ticket.updated_at))
        elif _revive_failed(rt, result.job_id):
            counts.requeued += 1
            log.info("reconcile: ticket %s: its catch-up job had failed; queued again", ticket.id)
        else:
            counts.duplicate += 1


def _revive_failed(rt: Runtime, job_id: str) -> bool:
    """Queue again, once, a catch-up job that ended in RQ's failed registry: the ticket is
    still unseen, so its decision was never written, and a later run must not skip it as
    "queued before" for as long as the dedupe mark lives."""
    if rt.redis.hget(Job.key_for(job_id), "status") != JobStatus.FAILED.value.encode():
        return False
    # Once per job: one that fails for a reason of its own must not be run again every run.
    ttl = max(1, int(rt.config.webhook.dedupe_ttl.total_seconds()))
    if not rt.redis.set(rt.keys("reconcile", "revived", job_id), "1", nx=True, ex=ttl):
        return False
    try:
        Job.fetch(job_id, connection=rt.redis).requeue()
    except (NoSuchJobError, InvalidJobOperation):
        return False
    return True


def _save_position(rt: Runtime, cursor_key: str, from_key: str, cursor: str, newest: datetime) -> None:
    pipe = rt.redis.pipeline()
    pipe.set(cursor_key, cursor)
    pipe.set(from_key, format_time(newest) or "")
    pipe.execute()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
