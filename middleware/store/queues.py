"""The product's RQ queues (stages), and the order a worker serves them in.

SLA timers come first (a late timer is a broken promise), then new ticket events, then
alert delivery, then the slower lifecycle and maintenance work.

A queue's name carries the deployment's ``redis.prefix``: ``Keys.queue(SLA)`` is ``cim-sla``
with the default prefix, ``staging-sla`` with ``staging`` (see :class:`Keys`). Always name a
queue through the runtime's keys, never by a fixed string.
"""

from __future__ import annotations

import re
from typing import Any

from redis import Redis
from rq import Queue

from middleware.store.connection import (
    ALERTS_STAGE,
    EVENTS_STAGE,
    LIFECYCLE_STAGE,
    MAINTENANCE_STAGE,
    ORDER,
    SLA_STAGE,
    Keys,
)

# The stages and their order live beside Keys (which names each queue) and are named here too.
__all__ = [
    "ALERTS_STAGE",
    "EVENTS_STAGE",
    "FINISH_RESOLUTION",
    "HANDLE_ALERT",
    "HANDLE_EVENT",
    "HANDLE_REPORT",
    "HANDLE_WEBHOOK",
    "LIFECYCLE_STAGE",
    "MAINTENANCE_STAGE",
    "ORDER",
    "RENAMED",
    "SLA_STAGE",
    "current_name",
    "job_subject",
    "queue",
]

# RQ stores each queued job with the dotted name of the function it runs, and a job may wait in
# Redis across an upgrade (an event in a backlog, an SLA timer due in an hour). The entry points
# of the event path are named here; RENAMED maps the names earlier releases queued to today's,
# and the worker runs a job under an old name as today's function (middleware.resilient_worker).
HANDLE_EVENT = "jobs.pipeline.handle_event"  # a ticket event as a dict (the catch-up; webhooks queued before)
HANDLE_WEBHOOK = "jobs.pipeline.handle_webhook"  # a verified webhook's raw body: the worker builds the event
HANDLE_ALERT = "jobs.pipeline.handle_alert"
HANDLE_REPORT = "jobs.pipeline.handle_report"
FINISH_RESOLUTION = "jobs.pipeline.finish_resolution"  # a resolved incident's follow-up
RENAMED = {
    "jobs.triage.handle_event": HANDLE_EVENT,
    "jobs.intake.handle_alert": HANDLE_ALERT,
    "jobs.intake.handle_report": HANDLE_REPORT,
    # jobs/ became packages (sla, alerts, lifecycle, report)
    "jobs.sla.check": "jobs.sla.clock.check",
    "jobs.sla.sync": "jobs.sla.writeback.sync",
    "jobs.sla.settle_job": "jobs.sla.clock.settle_job",
    "jobs.sla.audit": "jobs.sla.audit.run",
    "jobs.alerts.fan_out": "jobs.alerts.notify.fan_out",
    "jobs.alerts_delivery.deliver": "jobs.alerts.delivery.deliver",
    "jobs.lifecycle.check_link": "jobs.lifecycle.status.check_link",
    "jobs.lifecycle.finish_resolution": FINISH_RESOLUTION,
    "jobs.lifecycle_messages.send": "jobs.lifecycle.messages.send",
    "jobs.review.create": "jobs.lifecycle.review.create",
    "jobs.review_reminders.remind": "jobs.report.reminders.remind",
    "jobs.report_delivery.weekly": "jobs.report.delivery.weekly",
    "jobs.report_delivery.send_one": "jobs.report.delivery.send_one",
    # jobs/sla/clock.py split: write-back and audit in modules of their own
    "jobs.sla.clock.sync": "jobs.sla.writeback.sync",
    "jobs.sla.clock.audit": "jobs.sla.audit.run",
    # the resolution's stages are listed in the pipeline, which runs them
    "jobs.lifecycle.status.finish_resolution": FINISH_RESOLUTION,
}


def current_name(func_name: str | None) -> str | None:
    """The function a job queued under ``func_name`` runs today."""
    return RENAMED.get(func_name, func_name) if func_name else func_name


def queue(stage: str, connection: Redis, keys: Keys) -> Queue:
    """The RQ queue of ``stage`` for the deployment whose prefix ``keys`` carries."""
    return Queue(keys.queue(stage), connection=connection)


_ABOUT = re.compile(r"\b(ticket|incident)[= #](\d+)")


def job_subject(job: Any) -> str:
    """The ticket or incident a job was about, from what our jobs carry (no Zendesk call)."""
    try:
        args = job.args
    except Exception:  # an unreadable payload must not hide the rest of the list
        args = ()
    first = args[0] if args else None
    if isinstance(first, dict):
        ticket = first.get("ticket")
        if isinstance(ticket, dict) and ticket.get("id"):
            return f"ticket {ticket['id']}"
        for key, word in (("incident_id", "incident"), ("ticket_id", "ticket")):
            if first.get(key):
                return f"{word} {first[key]}"
    found = _ABOUT.search(job.description or "")
    if found:
        return f"{found.group(1)} {found.group(2)}"
    by_incident = ("jobs.sla.", "jobs.lifecycle.status.", "jobs.lifecycle.review.", FINISH_RESOLUTION)
    if isinstance(first, int) and (current_name(job.func_name) or "").startswith(by_incident):
        return f"incident {first}"
    return ""
