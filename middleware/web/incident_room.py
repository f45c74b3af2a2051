"""What the incident room shows, read from Redis alone: incidents, their story, the period's numbers.

The dashboard (``/dashboard``, ``/dashboard/incidents/<id>``) and the JSON API
(``/api/incidents``, ``/api/incidents/<id>``) both build on this module, so a number on the page
is the number in the API. Everything comes from what the workers recorded (the incident hash,
its SLA clock, its timeline, the review's record and the review reminders' snapshot of open
tasks) in a few pipelined round trips: no page load ever calls Zendesk, and any gunicorn
worker shows the same thing.

The period figures reuse :mod:`jobs.report.build` (the lead-team report's definitions: SLA attainment
is met ÷ (met + breached), times to first response from the SLA clock's start, and so on), so
the dashboard and the weekly report never disagree.

Ticket-derived text of a restricted category (``alerts.restricted_categories``, security by
default) is withheld here, before any view is built: subject, organisation and the rules'
reasons, as in alerts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from redis import Redis

from jobs.report.build import IncidentFacts, Report, TrackedTask, build_report, facts_of
from jobs.report.reminders import tasks_key
from middleware.config import Config
from middleware.store.clocks import Clock, ClockStore
from middleware.store.connection import Keys
from middleware.store.incidents import OPEN, Incident, IncidentStore
from middleware.web.timeline_view import describe, ordered
from rules.model import format_time, parse_time

__all__ = ["WITHHELD", "Record", "Room"]

WITHHELD = "(withheld: security incident)"
HISTORY = timedelta(days=84)  # what the overview reads: twelve weeks of incidents
RECENT_RESOLVED = timedelta(days=30)
WEEKS = 8





@dataclass
class Record:
    """One incident with everything recorded about it."""

    incident: Incident
    clock: Clock | None
    timeline: list[dict[str, Any]]
    links: list[int] = field(default_factory=list)  # linked tickets besides the incident's own
    review: dict[str, str] = field(default_factory=dict)
    _facts: IncidentFacts | None = field(default=None, repr=False, compare=False)

    @property
    def linked_ticket_ids(self) -> list[int]:
        extra = [int(t) for t in self.incident.extra.get("linked_ticket_ids") or [] if str(t).isdigit()]
        joined = [int(e["ticket_id"]) for e in self.timeline
                  if e.get("kind") == "linked" and str(e.get("ticket_id", "")).isdigit()]
        return [t for t in dict.fromkeys([*extra, *self.links, *joined]) if t != self.incident.ticket_id]

    def facts(self) -> IncidentFacts:
        """The report's facts of this incident (computed once: the row and the figures both need them)."""
        if self._facts is None:
            self._facts = facts_of(self.incident, self.timeline, self.linked_ticket_ids)
        return self._facts

    def count(self, kind: str) -> int:
        return sum(1 for e in self.timeline if e.get("kind") == kind)


def _decode(raw: dict[bytes, bytes]) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in raw.items()}


def _seconds(value: timedelta | None) -> int | None:
    return round(value.total_seconds()) if value is not None else None


class Room:
    """Views of incidents as of ``now``, for one deployment's keys and config."""

    def __init__(self, redis: Redis, keys: Keys, config: Config, link: Callable[[int], str], now: datetime) -> None:
        self.redis = redis
        self.keys = keys
        self.config = config
        self.link = link
        self.now = now
        self.store = IncidentStore(redis, keys)
        self.clocks = ClockStore(redis, keys)
        self.restricted = frozenset({"security", *config.alerting.alerts.restricted_categories})

    # -- reading -----------------------------------------------------------------------------------
    def records(self, ids: Iterable[int]) -> list[Record]:
        """Each incident with its clock, timeline, links and review: one pipelined round trip."""
        ids = list(dict.fromkeys(ids))
        pipe = self.redis.pipeline(transaction=False)
        for i in ids:
            pipe.hgetall(self.store.key(i))
            pipe.hgetall(self.clocks.key(i))
            pipe.lrange(self.keys("incident", i, "timeline"), 0, -1)
            pipe.smembers(self.keys("lifecycle", "links", i))
            pipe.hgetall(self.keys("review", i))
        replies = pipe.execute()
        out = []
        for n, _ in enumerate(ids):
            raw, clock_raw, timeline, links, review = replies[5 * n:5 * n + 5]
            incident = IncidentStore.parse(raw)
            if incident is None:
                continue
            out.append(Record(incident=incident, clock=ClockStore.parse(clock_raw),
                              timeline=[json.loads(x) for x in timeline],
                              links=sorted(int(t) for t in links if t.isdigit()), review=_decode(review)))
        return out

    def record(self, incident_id: int) -> Record | None:
        found = self.records([incident_id])
        return found[0] if found else None

    def tasks(self) -> tuple[list[TrackedTask] | None, str | None]:
        """The open review and action tasks as the reminders last saw them in Zendesk, and when."""
        raw = self.redis.get(tasks_key(self.keys))
        if not raw:
            return None, None
        data = json.loads(raw)
        tasks = [TrackedTask(kind=t["kind"], ticket_id=int(t["ticket_id"]), subject=t.get("subject") or "",
                             status=t.get("status"), due_at=parse_time(t.get("due_at")),
                             incident_id=t.get("incident_id"), assignee_id=t.get("assignee_id"))
                 for t in data.get("tasks", [])]
        return tasks, data.get("as_of")

    # -- one incident ------------------------------------------------------------------------------
    def is_restricted(self, incident: Incident) -> bool:
        return (incident.category or "") in self.restricted

    def organization_label(self, incident: Incident) -> str | None:
        if self.is_restricted(incident):
            return "(withheld)"
        if incident.organization_name:
            return incident.organization_name
        if incident.organization_id is None:
            return None
        cached = self.redis.get(self.keys("cache", "organization", incident.organization_id))
        name = json.loads(cached).get("name") if cached else None
        return name or f"organisation {incident.organization_id}"

    def row(self, rec: Record) -> dict[str, Any]:
        """One incident as the list shows it (``/api/incidents`` and the overview's rows)."""
        inc, clock, facts = rec.incident, rec.clock, rec.facts()
        restricted = self.is_restricted(inc)
        sla: dict[str, Any] | None = None
        if clock is not None:
            sla = {
                "state": clock.state,
                "started_at": format_time(clock.started_at),
                "due_at": format_time(clock.due_at),
                "seconds_left": round((clock.due_at - self.now).total_seconds()),
                "running": clock.next_step is not None,
                "responded_at": format_time(clock.responded_at),
                "responded_by": clock.responded_by,
            }
        responded_at = clock.responded_at if clock and clock.responded_at else facts.first_response_at
        responded_by = (clock.responded_by if clock and clock.responded_by else None) or facts.first_response_by
        ttfr = (max(timedelta(0), responded_at - clock.started_at) if clock and responded_at
                else facts.time_to_first_response)
        end = inc.resolved_at if inc.status != OPEN and inc.resolved_at else self.now
        return {
            "id": inc.id,
            "ticket_id": inc.ticket_id,
            "link": self.link(inc.ticket_id),
            "status": inc.status,
            "category": inc.category,
            "subject": WITHHELD if restricted else inc.subject,
            "restricted": restricted,
            "organization_id": inc.organization_id,
            "organization": self.organization_label(inc),
            "assignee": ({"id": inc.assignee_id, "name": inc.assignee_name or self._person_name(inc.assignee_id)}
                         if inc.assignee_id is not None else None),
            "rules": inc.rules,
            "first_report_at": format_time(facts.first_report_at),
            "declared_at": format_time(inc.declared_at),
            "resolved_at": format_time(inc.resolved_at),
            "age_seconds": _seconds(end - facts.first_report_at),
            "linked_ticket_ids": rec.linked_ticket_ids,
            "sla": sla,
            "first_response": ({"at": format_time(responded_at), "by": responded_by, "seconds": _seconds(ttfr)}
                               if responded_at else None),
            "time_to_resolve_seconds": _seconds(facts.time_to_resolve),
            "alerts": {"raised": rec.count("alert"), "delivered": rec.count("alert_sent"),
                       "failed": rec.count("alert_failed"), "logged_only": rec.count("alert_log_only")},
        }

    def _person_name(self, user_id: int | None) -> str | None:
        """The staff roster's cached name for a user (Redis only), if it has one."""
        if user_id is None:
            return None
        raw = self.redis.get(self.keys("cache", "user", user_id))
        return (json.loads(raw).get("name") or None) if raw else None

    def detail(self, rec: Record, tasks: list[TrackedTask] | None = None, tasks_as_of: str | None = None
               ) -> dict[str, Any]:
        """One incident with its whole story (``/api/incidents/<id>`` and the incident page)."""
        inc = rec.incident
        restricted = self.is_restricted(inc)
        view = self.row(rec)
        view["reasons"] = [WITHHELD] if restricted and inc.reasons else inc.reasons
        view["linked_tickets"] = [{"ticket_id": t, "link": self.link(t)} for t in rec.linked_ticket_ids]
        review = None
        if rec.review.get("ticket_id"):
            tid = int(rec.review["ticket_id"])
            review = {"ticket_id": tid, "link": self.link(tid), "due_at": rec.review.get("due_at") or None}
        mine = [t for t in (tasks or []) if t.incident_id == inc.id]
        view["review"] = review
        view["actions"] = [self._task(t) for t in mine if t.kind == "action"]
        view["open_review_tasks"] = [self._task(t) for t in mine if t.kind == "review"]
        view["tasks_as_of"] = tasks_as_of
        view["timeline"] = [describe(e, restricted=restricted).to_dict(self.link) for e in _told_once(rec.timeline)]
        return view

    def _task(self, t: TrackedTask) -> dict[str, Any]:
        return {"ticket_id": t.ticket_id, "link": self.link(t.ticket_id), "subject": t.subject, "status": t.status,
                "due_at": format_time(t.due_at), "overdue": t.is_overdue(self.now), "assignee_id": t.assignee_id,
                "assignee_name": self._person_name(t.assignee_id)}

    # -- many incidents ----------------------------------------------------------------------------
    def history(self) -> list[Record]:
        """Every open incident and every one declared in the last twelve weeks."""
        ids = [*self.store.open_ids(), *self.store.all_ids(since=self.now - HISTORY)]
        return self.records(ids)

    def summary(self, records: list[Record], tasks: list[TrackedTask] | None) -> dict[str, Any]:
        """The 7- and 30-day figures, the weekly series, and the overdue actions."""
        facts = [r.facts() for r in records]
        periods = {}
        for days in (7, 30):
            since = self.now - timedelta(days=days)
            report = build_report(facts, self.now, since, tasks)
            failed = sum(1 for r in records for e in r.timeline
                         if e.get("kind") == "alert_failed" and _within(e.get("at"), since, self.now))
            periods[f"{days}d"] = _period(report, failed)
        overdue = None
        if tasks is not None:
            overdue = [t for t in tasks if t.kind == "action" and t.is_overdue(self.now)]
        return {
            "periods": periods,
            "weeks": self._weeks(facts),
            "actions_overdue": None if overdue is None else len(overdue),
            "actions_open": None if tasks is None else sum(1 for t in tasks if t.kind == "action" and t.is_open),
        }

    def _weeks(self, facts: list[IncidentFacts]) -> list[dict[str, Any]]:
        """Incidents declared and SLA attainment per week, oldest first, the last ending now."""
        out = []
        for n in range(WEEKS - 1, -1, -1):
            start, end = self.now - timedelta(days=7 * (n + 1)), self.now - timedelta(days=7 * n)
            week = [f for f in facts if start < f.declared_at <= end and f.status != "overridden"]
            met = sum(1 for f in week if f.sla_state == "met")
            breached = sum(1 for f in week if f.sla_state == "breached")
            out.append({"start": format_time(start), "end": format_time(end), "incidents": len(week),
                        "met": met, "breached": breached,
                        "attainment": met / (met + breached) if met + breached else None})
        return out


def _told_once(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The timeline in time order, without the ``comment`` entry of the reply the SLA clock already
    shows as the first response (same comment): one reply, one line."""
    first = {e.get("comment_id") for e in timeline if e.get("kind") == "sla.first_response" and e.get("comment_id")}
    return [e for e in ordered(timeline) if not (e.get("kind") == "comment" and e.get("comment_id") in first)]


def _within(at: Any, since: datetime, until: datetime) -> bool:
    try:
        moment = parse_time(at)
    except (TypeError, ValueError):
        return False
    return moment is not None and since <= moment <= until


def _period(report: Report, failed_alerts: int) -> dict[str, Any]:
    return {
        "incidents": sum(report.by_category.values()),
        "sla_met": report.sla_met,
        "sla_breached": report.sla_breached,
        "sla_attainment": report.sla_attainment,
        "first_response_median_seconds": _seconds(report.ttfr_median),
        "first_response_p90_seconds": _seconds(report.ttfr_p90),
        "resolve_median_seconds": _seconds(report.ttr_median),
        "resolved": report.resolved,
        "alert_deliveries_failed": failed_alerts,
    }
