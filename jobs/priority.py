"""Which jobs are urgent for the Zendesk budget: flagging a new critical incident comes first.

The budget's windows are shared by everything a worker does (``middleware.zendesk.limits``).
Served first come, first served, a long incident's SLA reminders once filled the ticket-updates
window and a new critical ticket waited minutes for its flag (the soak, docs/benchmarks.md).
So a share of the account-wide windows is kept for the urgent lane, and each job runs in the
lane this module gives it:

* **urgent**: a ticket event's triage (deciding, the flagging write that also starts the SLA
  clock, the tickets a catch-up found: they are events too), a monitoring alert or staff report
  becoming a flagged ticket, and the fan-out of the ``incident.declared`` alert (which may read
  the customer's organisation to find its Engagement Director);
* **background**: everything else: SLA timers (warnings, breaches, reminders) and their write-
  backs, later alerts, customer messages, problem links, reviews, reports, the reconcile sweep,
  the staff roster.

Inside an urgent job, work that is not a flag can still step into the background lane
(``zendesk_limits.lane``): the bulk links of a multi-customer incident (``jobs.correlate``).
A job put off by the budget keeps its function and arguments, so it keeps its lane.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from middleware.store.queues import HANDLE_ALERT, HANDLE_EVENT, HANDLE_REPORT, HANDLE_WEBHOOK, current_name
from middleware.zendesk.limits import BACKGROUND, URGENT, lane

URGENT_JOBS = frozenset({HANDLE_WEBHOOK, HANDLE_EVENT, HANDLE_ALERT, HANDLE_REPORT})
FAN_OUT = "jobs.alerts.notify.fan_out"
URGENT_ALERTS = frozenset({"incident.declared"})  # the first alert of an incident


def lane_of(func_name: str | None, args: tuple[Any, ...] | list[Any] = ()) -> str:
    """The lane a job with this function and these arguments runs in."""
    func_name = current_name(func_name)  # a job queued by an earlier release, under an older name
    if func_name in URGENT_JOBS:
        return URGENT
    if func_name == FAN_OUT and len(args) > 1 and args[1] in URGENT_ALERTS:
        return URGENT
    return BACKGROUND


@contextmanager
def running(job: Any) -> Iterator[str]:
    """Run an RQ job's Zendesk calls in its lane; yields the lane. A job whose function or
    arguments cannot be read (RQ will fail it anyway) is in the background lane."""
    try:
        name = lane_of(job.func_name, job.args)
    except Exception:
        name = BACKGROUND
    with lane(name):
        yield name
