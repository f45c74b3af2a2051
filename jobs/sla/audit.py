"""The SLA audit, every minute: what the timers and the write-back jobs left undone gets done.

Workers go down, jobs fail for good, a declaring job may die between recording the incident
and starting its clock. None of that may break the promise silently: the audit starts a clock
that is missing, acts on a step whose timer never ran (late, and its note says so) and writes
transitions still unwritten. It goes through the same compare-and-set as the timers, so when
both act on one clock exactly one of them changes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from jobs import runtime
from jobs.runtime import Runtime
from jobs.sla.clock import advance, start_clock
from jobs.sla.writeback import flush
from middleware.store.clocks import ClockStore
from middleware.store.incidents import OPEN, Incident
from middleware.zendesk.errors import RateLimited

log = logging.getLogger(__name__)

__all__ = ["run", "run_audit"]

# The audit leaves a step this long to its timer before acting on it itself.
AUDIT_GRACE = timedelta(seconds=10)
# Unwritten transitions older than this are written by the audit (their sync job failed).
SYNC_GRACE = timedelta(seconds=60)
# The audit starts the clock of an incident declared this recently that has none.
MISSING_CLOCK_WINDOW = timedelta(minutes=10)


def run() -> str:
    """RQ entry point of the periodic audit (every minute, from ``middleware.worker``)."""
    rt = runtime.get()
    counts = run_audit(rt, rt.clock())
    if any(counts.values()):
        log.info("SLA audit: %s", counts)
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def run_audit(rt: Runtime, now: datetime) -> dict[str, int]:
    """Act on overdue steps and unwritten transitions, one clock's failure never stopping
    the others. A 429 ends the round early: the next one comes in a minute."""
    store = ClockStore(rt.redis, rt.keys)
    counts = {"started": 0, "overdue": 0, "unsynced": 0, "failed": 0}
    try:
        for incident in _without_clock(rt, store, now):
            counts["started" if _safely(lambda i=incident: start_clock(rt, i, now)) else "failed"] += 1
        for incident_id in store.overdue(now - AUDIT_GRACE):
            counts["overdue" if _safely(lambda i=incident_id: advance(rt, i, now)) else "failed"] += 1
        for incident_id in store.unsynced(now - SYNC_GRACE):
            counts["unsynced" if _safely(lambda i=incident_id: flush(rt, i)) else "failed"] += 1
    except RateLimited:
        log.info("SLA audit: Zendesk rate limit reached; the rest waits for the next round")
    return counts


def _without_clock(rt: Runtime, store: ClockStore, now: datetime) -> list[Incident]:
    """Open incidents declared lately whose clock never started (the declaring job failed
    between recording the incident and starting the clock). Older ones are left alone, so a
    deployment does not start clocks for incidents that predate it."""
    recent = rt.incidents.all_ids(since=now - MISSING_CLOCK_WINDOW)
    return [i for i in rt.incidents.many(recent)
            if i.status == OPEN and i.declared_at <= now - AUDIT_GRACE and store.get(i.id) is None]


def _safely(action: Callable[[], object]) -> bool:
    """Run one clock's part of the audit; a failure is logged and left for the next round."""
    try:
        action()
        return True
    except RateLimited:
        raise
    except Exception:
        log.exception("SLA audit: one clock failed")
        return False
