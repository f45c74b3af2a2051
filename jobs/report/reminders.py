"""Overdue post-incident reviews and actions remind the Head of Customer Support, once a day.

Zendesk is the source of truth for what is still open: reviews and actions are task tickets
tagged ``post_incident_review`` / ``incident_action`` and ``incident_<id>``, whoever created them
(the product, the CLI, an agent by hand or with a macro). So the periodic job (every 15 minutes,
from ``middleware.worker``) asks Zendesk's search for the unsolved ones, two calls in all, and
needs no webhook to have been delivered.

Each overdue item goes to :func:`jobs.alerts.notify.notify` as ``review.overdue`` / ``action.overdue``
on its incident, with the occurrence ``<task id>-<UTC date>``: alerts are exactly-once per
(incident, event, occurrence), so each item reminds once per day however often the job runs.
Routes decide who hears it (``head_of_support`` in the shipped config.yaml).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from jobs import runtime
from jobs.alerts import notify as alerts
from jobs.report.build import TrackedTask
from jobs.runtime import Runtime
from middleware.store.connection import Keys
from middleware.zendesk.errors import RateLimited
from rules.model import format_time

log = logging.getLogger(__name__)

__all__ = ["EVENTS", "remember", "remind", "run_reminders", "tasks_key", "tracked_tasks"]

EVENTS = {"review": "review.overdue", "action": "action.overdue"}
SNAPSHOT_SECONDS = 86400


def tasks_key(keys: Keys) -> str:
    """Where the review reminders leave their snapshot of open review and action tasks."""
    return keys("review", "tasks")


def tracked_tasks(rt: Runtime) -> list[TrackedTask]:
    """Every unsolved review and action task in Zendesk (two searches)."""
    settings = rt.config.review
    out: list[TrackedTask] = []
    for kind, tag in (("review", settings.tag), ("action", settings.action_tag)):
        for t in rt.zendesk.search_tickets(f"tags:{tag} status<solved"):
            if tag not in t.tags:  # search matches loosely; the tag is the contract
                continue
            out.append(TrackedTask(kind=kind, ticket_id=t.id, subject=t.subject, status=t.status, due_at=t.due_at,
                                   incident_id=settings.incident_of(t.tags), assignee_id=t.assignee_id))
    return out


def remember(rt: Runtime, tasks: list[TrackedTask], now: datetime) -> None:
    """Leave what Zendesk said for the dashboard (which never asks Zendesk): the open review and
    action tasks, and when. Kept a day, so a stopped reminder run does not show old news forever."""
    snapshot = {"as_of": format_time(now), "tasks": [
        {"kind": t.kind, "ticket_id": t.ticket_id, "subject": t.subject, "status": t.status,
         "due_at": format_time(t.due_at), "incident_id": t.incident_id, "assignee_id": t.assignee_id}
        for t in tasks]}
    rt.redis.set(tasks_key(rt.keys), json.dumps(snapshot), ex=SNAPSHOT_SECONDS)


def remind() -> str:
    """RQ entry point of the periodic reminder run."""
    rt = runtime.get()
    try:
        counts = run_reminders(rt, rt.clock())
    except RateLimited as exc:
        return f"rate limited ({exc.source}); the next run tries again"
    if counts.get("reminded"):
        log.info("review and action reminders: %s", counts)
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def run_reminders(rt: Runtime, now: datetime) -> dict[str, int]:
    """Remind about every overdue item; returns counts (overdue, reminded, without incident)."""
    if not rt.config.review.reminders:
        return {"switched_off": 1}
    counts = {"overdue": 0, "reminded": 0, "no_incident": 0}
    tasks = tracked_tasks(rt)
    remember(rt, tasks, now)
    for task in tasks:
        if not task.is_overdue(now):
            continue
        counts["overdue"] += 1
        incident = rt.incidents.get(task.incident_id) if task.incident_id is not None else None
        if incident is None:
            counts["no_incident"] += 1
            log.warning("%s task %s is overdue but names no recorded incident (tag incident_<id>)", task.kind,
                        task.ticket_id)
            continue
        assert task.due_at is not None
        alerts.notify(rt, incident, EVENTS[task.kind], now, occurrence=f"{task.ticket_id}-{now.date().isoformat()}",
                      details={"task_ticket_id": task.ticket_id, "task_link": rt.zendesk.agent_link(task.ticket_id),
                               "task_due_at": format_time(task.due_at),
                               "overdue_seconds": round((now - task.due_at).total_seconds())})
        counts["reminded"] += 1
    return counts
