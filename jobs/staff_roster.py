"""Agents and admins in the person cache before they report anything.

The shipped signals ask whether a ticket's requester is staff (an agent or an admin),
and an event webhook carries only ``requester_id``. Without the person cached, triage reads the
user from Zendesk exactly when a member of staff reports a critical incident, which is the worst
moment: mid-storm, with the API budget under pressure. Staff are few and change rarely, so this
job lists them every ``EVERY_SECONDS`` (one read per 100 staff) into the cache
``jobs.lookup.cached_person`` reads, whose entries outlive the period, so a staff member's
report is decided with no read at all. And while the roster is fresh, a requester it does not
hold is a customer: the signals' staff-or-customer question (which tells an outage from a staff
report) costs no read either. Only when the roster is stale does a ticket whose decision depends
on its requester cost one read per requester per hour.

It runs at the front of the events queue (``middleware.worker``): a backlog of events is what
it is for, so it must not wait behind one.
"""

from __future__ import annotations

import logging

from jobs import runtime
from jobs.lookup import mark_roster_complete, remember_people
from jobs.runtime import Runtime
from middleware.zendesk.errors import RateLimited, TransientError

__all__ = ["EVERY_SECONDS", "refresh", "warm"]

log = logging.getLogger(__name__)

EVERY_SECONDS = 600  # well inside jobs.lookup.CONTEXT_TTL_SECONDS, so entries never lapse between runs


def refresh() -> str:
    """RQ entry point (periodic)."""
    rt = runtime.get()
    try:
        count = warm(rt)
    except RateLimited as exc:  # the next period tries again; events still read what they need
        log.info("staff roster: Zendesk rate limit reached (%s); next run in %s s", exc.source, EVERY_SECONDS)
        return "rate limited: left for the next run"
    except TransientError as exc:  # Zendesk unavailable: the same, not a failed job to look into
        log.info("staff roster: Zendesk unavailable (%s); next run in %s s", exc, EVERY_SECONDS)
        return "Zendesk unavailable: left for the next run"
    if count is None:
        return "no rule reads the requester: nothing to do"
    log.info("staff roster: %s agents and admins cached", count)
    return f"{count} agents and admins cached"


def warm(rt: Runtime) -> int | None:
    """Cache every agent and admin; None (no Zendesk call) when no enabled rule reads the requester."""
    if not rt.config.rules.needs_requester:
        return None
    staff = rt.zendesk.staff()
    remember_people(rt, staff)
    # While this stands, a requester the cache does not know is not staff: triage need not read them.
    mark_roster_complete(rt, 2 * EVERY_SECONDS)
    return len(staff)
