"""Post-incident review and actions: learnings turned into Zendesk tasks someone owns.

The Head of Customer Support owns every critical incident to the end: root cause, learnings,
actions, and seeing the actions done. The product makes that work concrete in Zendesk, where
the team already works:

1. **review task** (:func:`create_review`, queued by the resolution job): one task ticket per
   incident, due ``review.due_in`` after the resolution, assigned to the Head of Customer
   Support's user and/or group, tagged ``post_incident_review`` and ``incident_<id>``, whose
   description is the incident's timeline (from :func:`jobs.incident_facts.facts_of`) and a template for
   root cause, learnings and actions. Created once: its ``external_id`` is derived from the
   incident, and a run that lost Zendesk's answer finds the ticket by that id before creating;
2. **actions** (:func:`add_action`, ``python -m middleware action add``): each action is a task
   ticket of its own, with an owner (assignee) and a due date, tagged ``incident_action`` and
   ``incident_<id>``. A task created by hand in Zendesk with those two tags is an action too;
3. **reminders** (:mod:`jobs.report.reminders`): overdue reviews and actions remind the Head of
   Customer Support once a day, through the alert routes.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from rq import Retry
from rq.exceptions import DuplicateJobError

from jobs import runtime
from jobs.alerts.messages import format_duration
from jobs.incident_facts import IncidentFacts, customers_told, facts_of
from jobs.links import known_links
from jobs.runtime import Runtime
from jobs.scheduling import put_off_when_told
from middleware.config.lifecycle import ReviewSettings
from middleware.store import queues
from middleware.store.incidents import Incident
from middleware.zendesk.mapping import TaskTicket
from rules.model import format_time, parse_time

log = logging.getLogger(__name__)

__all__ = [
    "ActionError",
    "ReviewBusy",
    "add_action",
    "create",
    "create_review",
    "enqueue_create",
    "parse_due",
    "review_body",
    "review_subject",
]

JOB_RETRY = Retry(max=5, interval=[10, 30, 60, 120, 300])
KEEP_JOB_SECONDS = 7 * 86400
LOCK_SECONDS = 120
EMAIL_CACHE_SECONDS = 3600
STAFF_ROLES = ("agent", "admin")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class ReviewBusy(Exception):
    """Another run is creating this review right now; RQ's retry looks again shortly."""


class ActionError(ValueError):
    """An action cannot be created as asked (unknown incident, owner not an agent, bad date)."""


# -- 1. the review task ---------------------------------------------------------------------------
def review_key(rt: Runtime, incident_id: int) -> str:
    return rt.keys("review", incident_id)


def review_external_id(rt: Runtime, incident_id: int) -> str:
    """Derived from the incident (and the deployment's key prefix), so it is created once."""
    return f"{rt.keys.prefix}-post-incident-review-{incident_id}"


def enqueue_create(rt: Runtime, incident_id: int) -> bool:
    """Queue :func:`create` once per incident (False if done or queued already)."""
    if not rt.config.review.enabled or rt.redis.hexists(review_key(rt, incident_id), "ticket_id"):
        return False
    try:
        queues.queue(queues.LIFECYCLE_STAGE, rt.redis, rt.keys).enqueue(
            "jobs.lifecycle.review.create", incident_id,
            job_id=_UNSAFE.sub("_", f"review-{rt.keys.prefix}-{incident_id}"),
            unique=True, retry=JOB_RETRY, job_timeout=300, result_ttl=KEEP_JOB_SECONDS, failure_ttl=365 * 86400,
            description=f"post-incident review for incident {incident_id}",
        )
    except DuplicateJobError:
        return False
    return True


def create(incident_id: int) -> str:
    """RQ entry point for :func:`create_review`."""
    rt = runtime.get()
    outcome = put_off_when_told(lambda: create_review(rt, incident_id))
    log.info("incident %s: post-incident review: %s", incident_id, outcome)
    return outcome


def create_review(rt: Runtime, incident_id: int) -> str:
    """Create the review task unless it exists (Redis record, then Zendesk's external id)."""
    settings = rt.config.review
    if not settings.enabled:
        return "reviews are switched off"
    existing = rt.redis.hget(review_key(rt, incident_id), "ticket_id")
    if existing:
        return f"exists: ticket {int(existing)}"
    incident = rt.incidents.get(incident_id)
    if incident is None:
        return "no such incident"
    lock = rt.redis.lock(rt.keys("review", incident_id, "lock"), timeout=LOCK_SECONDS)
    if not lock.acquire(blocking=False):
        raise ReviewBusy(f"the review of incident {incident_id} is being created by another run")
    try:
        external_id = review_external_id(rt, incident_id)
        found = rt.zendesk.tasks_by_external_id(external_id)
        if found:
            _remember(rt, incident, found[0], rt.clock())
            return f"found: ticket {found[0].id}"
        facts = facts_of(incident, rt.incidents.timeline(incident_id), known_links(rt, incident))
        restricted = rt.config.alerting.alerts.restricted_categories
        now = rt.clock()
        due = (incident.resolved_at or now) + settings.due_in
        task = rt.zendesk.create_task(
            subject=review_subject(facts, restricted),
            body=review_body(facts, rt.zendesk.agent_link, settings),
            due_at=due,
            tags=[settings.tag, settings.incident_tag(incident_id)],
            external_id=external_id,
            assignee_id=head_of_support(rt, settings),
            group_id=settings.group_id,
        )
        _remember(rt, incident, task, now)
        return f"created: ticket {task.id}, due {format_time(task.due_at or due)}"
    finally:
        try:
            lock.release()
        except Exception:  # expired while we worked
            log.debug("review lock had expired")


def _remember(rt: Runtime, incident: Incident, task: TaskTicket, now: datetime) -> None:
    rt.redis.hset(review_key(rt, incident.id), mapping={"ticket_id": str(task.id),
                                                       "due_at": format_time(task.due_at) or ""})
    rt.incidents.add_event(incident.id, "review_created", now,
                           {"ticket_id": task.id, "due_at": format_time(task.due_at)}, dedupe_key="review_created")


def head_of_support(rt: Runtime, settings: ReviewSettings) -> int | None:
    """The assignee: ``review.assignee_id``, else the user with ``review.assignee_email`` (cached)."""
    if settings.assignee_id is not None:
        return settings.assignee_id
    if not settings.assignee_email:
        return None
    key = rt.keys("cache", "user_by_email", settings.assignee_email.lower())
    cached = rt.redis.get(key)
    if cached:
        return int(cached)
    person = rt.zendesk.find_user_by_email(settings.assignee_email)
    if person is None or person.id is None or person.role not in STAFF_ROLES:
        log.warning("review.assignee_email is not a Zendesk agent; the review is assigned by group only")
        return None
    rt.redis.set(key, str(person.id), ex=EMAIL_CACHE_SECONDS)
    return int(person.id)


def review_subject(facts: IncidentFacts, restricted: frozenset[str] = frozenset()) -> str:
    """The task's subject; a security incident's ticket subject stays out of it."""
    if (facts.category or "") in restricted:
        return f"Post-incident review: {facts.category} incident #{facts.ticket_id}"
    return f"Post-incident review: #{facts.ticket_id} {facts.subject}".strip()


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "not recorded"


def review_body(facts: IncidentFacts, link: Callable[[int], str], settings: ReviewSettings) -> str:
    """The review task's description: the timeline, then the template to fill in (pure)."""
    clock_start = facts.sla_started_at or facts.first_report_at
    alerts = [f"    {_when(a.at)}  {a.event}" + (f" → {', '.join(a.roles)}" if a.roles else " (no delivery recorded)")
              for a in facts.alerts]
    told = [f"    #{m.get('ticket_id')} {m.get('message')}: {m.get('outcome')}"
            + (f" ({m.get('reason')})" if m.get("reason") else "") for m in facts.customer_messages]
    told += [f"    {_when(t['at'])}  {t['what']} to {t['recipients']}, asked for by {t['by']}"
             for t in customers_told(facts) if t["by"]]
    if facts.first_response_at is not None:
        response = (f"{_when(facts.first_response_at)}" + (f" by {facts.first_response_by}"
                                                            if facts.first_response_by else ""))
    else:
        response = "none recorded"
    sla = facts.sla_state or "no SLA clock"
    if facts.sla_due_at is not None:
        sla += f" (due {_when(facts.sla_due_at)})"
    ttfr, ttr = facts.time_to_first_response, facts.time_to_resolve
    incident_tag = settings.incident_tag(facts.id)
    lines = [
        f"Post-incident review of critical incident #{facts.id} ({facts.category or 'uncategorised'}).",
        f"Ticket: {link(facts.ticket_id)}",
        "",
        "TIMELINE (UTC)",
        f"  First report:           {_when(facts.first_report_at)}",
        f"  Declared critical:      {_when(facts.declared_at)}" + (f" (rules: {', '.join(facts.rules)})"
                                                                   if facts.rules else ""),
        "  Alerts sent:" + ("" if alerts else "            none recorded"),
        *alerts,
        f"  First response:         {response}",
        f"  SLA outcome:            {sla}",
        f"  Resolved:               {_when(facts.resolved_at)}"
        + (f" (reopened {facts.reopened} time{'s' if facts.reopened != 1 else ''})" if facts.reopened else ""),
        "  Customers told:" + ("" if told else "         none recorded"),
        *told,
        "  Linked tickets:",
        *[f"    #{t} {link(t)}" for t in facts.linked_ticket_ids],
        f"  Time to first response: {format_duration(ttfr) if ttfr is not None else 'none'}"
        + (f" (from {_when(clock_start)})" if ttfr is not None else ""),
        f"  Time to resolve:        {format_duration(ttr) if ttr is not None else 'not resolved'}",
        "",
        "ROOT CAUSE",
        "  What failed, and why? Keep asking why until the answer is something we can change.",
        "",
        "WHAT WENT WELL / WHAT WENT BADLY",
        "  Detection, first response, communication with customers, the fix.",
        "",
        "LEARNINGS",
        "  -",
        "",
        "ACTIONS",
        "  Each action is a task ticket with an owner and a due date, so it is tracked and reminded:",
        f'    python -m middleware action add --incident {facts.id} --owner EMAIL --due YYYY-MM-DD "what will be done"',
        "  or in Zendesk: a new ticket of type Task, assigned to the owner, with a due date and the tags",
        f"    {settings.action_tag} {incident_tag}",
        "",
        "Solve this task when root cause, learnings and actions are written down.",
    ]
    return "\n".join(lines)


# -- 2. actions -----------------------------------------------------------------------------------
def parse_due(value: str | date | datetime | None, now: datetime, default: timedelta) -> datetime:
    """``2026-12-10`` (12:00 UTC: the same date in every time zone from UTC−11 to UTC+11), an ISO
    time, or now + ``default``."""
    if value is None or value == "":
        return now + default
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(12, 0), UTC)
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.combine(date.fromisoformat(text), time(12, 0), UTC)
        parsed = parse_time(text)
    except ValueError as exc:
        raise ActionError(f"--due: expected a date such as 2026-12-10, got {value!r}") from exc
    if parsed is None:
        raise ActionError(f"--due: expected a date such as 2026-12-10, got {value!r}")
    return parsed


def add_action(rt: Runtime, incident_id: int, owner_email: str, text: str,
               due: str | date | datetime | None = None) -> tuple[TaskTicket, bool]:
    """Create an action task for an incident, owned by the agent with ``owner_email``.

    Returns (task, created). The same incident, owner, due date and text give the same external
    id, so running the command twice finds the first task instead of making a second one.
    """
    settings = rt.config.review
    text = " ".join(text.split())
    if not text:
        raise ActionError("say what the action is")
    incident = rt.incidents.get(incident_id)
    if incident is None:
        raise ActionError(f"no critical incident {incident_id} is recorded")
    owner = rt.zendesk.find_user_by_email(owner_email)
    if owner is None or owner.id is None:
        raise ActionError(f"no Zendesk user has the email {owner_email}")
    if owner.role not in STAFF_ROLES:
        raise ActionError(f"{owner_email} is not an agent, and only agents can own (be assigned) a task")
    due_at = parse_due(due, rt.clock(), settings.action_due_in)
    digest = hashlib.sha256(f"{incident_id}|{owner.id}|{format_time(due_at)}|{text}".encode()).hexdigest()[:16]
    external_id = f"{rt.keys.prefix}-incident-action-{incident_id}-{digest}"
    found = rt.zendesk.tasks_by_external_id(external_id)
    if found:
        return found[0], False
    summary = text if len(text) <= 80 else text[:77] + "..."
    body = "\n".join([
        f"Action from the post-incident review of critical incident #{incident_id}:",
        "",
        text,
        "",
        f"Incident ticket: {rt.zendesk.agent_link(incident.ticket_id)}",
        f"Owner: {owner.name or owner_email}",
        f"Due: {_when(due_at)}",
        "",
        "Solve this task when the action is done. Until then, once it is overdue, the Head of",
        "Customer Support is reminded every day.",
    ])
    task = rt.zendesk.create_task(subject=f"Incident #{incident.ticket_id} action: {summary}", body=body,
                                  due_at=due_at, tags=[settings.action_tag, settings.incident_tag(incident_id)],
                                  external_id=external_id, assignee_id=int(owner.id))
    rt.incidents.add_event(incident_id, "action_created", rt.clock(),
                           {"ticket_id": task.id, "owner_id": owner.id, "due_at": format_time(due_at)},
                           dedupe_key=f"action_created:{task.id}")
    return task, True
