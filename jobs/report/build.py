"""What happened to an incident, and what a period of incidents adds up to: pure computation.

Two readers need the same facts about an incident: the post-incident review task (one incident,
in detail) and the lead-team report (many incidents, in numbers). Both come from the incident
record and its timeline in Redis, which every stage appends to (declaration, SLA clock, alerts,
customer messages, resolution), so nothing here asks Zendesk or reads a clock: the records and
``now`` come in as arguments, and a known set of incidents gives known numbers in a unit test.

Definitions (also in docs/lifecycle.md):

* **first report**: the earliest of the ticket's creation, the SLA clock's start and the
  declaration (for a multi-customer incident, ``extra["first_report_at"]`` when set);
* **time to first response**: from the SLA clock's start (what the promise is measured from)
  to the first public staff reply;
* **time to resolve**: from the first report to the resolution;
* **SLA attainment**: met ÷ (met + breached); cancelled clocks (overridden, or solved before any
  reply was due) and clocks still running without a breach are not counted;
* **median**: the middle value (mean of the two middle ones); **90th percentile**: nearest rank.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jobs.alerts.messages import format_duration
from middleware.store.incidents import OVERRIDDEN, RESOLVED, Incident
from rules.model import format_time, parse_time

__all__ = [
    "AlertRecord",
    "IncidentFacts",
    "Report",
    "TrackedTask",
    "build_report",
    "customers_told",
    "facts_of",
    "percentile",
    "render_report",
    "report_dict",
]

SOLVED = ("solved", "closed")
# Zendesk's clock and ours differ by seconds: a ticket solved "a moment from now" is in the period.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class AlertRecord:
    """One alert as the timeline shows it: queued for an event, then sent to roles."""

    event: str
    at: datetime | None
    roles: tuple[str, ...] = ()
    delivered: bool = False


@dataclass(frozen=True)
class IncidentFacts:
    """One incident's story, from its record and timeline."""

    id: int
    ticket_id: int
    category: str | None
    subject: str
    status: str
    first_report_at: datetime
    declared_at: datetime
    resolved_at: datetime | None
    sla_started_at: datetime | None = None
    sla_due_at: datetime | None = None
    first_response_at: datetime | None = None
    first_response_by: str | None = None
    sla_state: str | None = None  # pending | at_risk | met | breached | cancelled; None: no clock
    linked_ticket_ids: tuple[int, ...] = ()
    alerts: tuple[AlertRecord, ...] = ()
    customer_messages: tuple[dict[str, Any], ...] = ()
    customer_sends: tuple[dict[str, Any], ...] = ()  # status updates and proactive notices a person asked for
    reopened: int = 0
    rules: tuple[str, ...] = ()

    @property
    def time_to_first_response(self) -> timedelta | None:
        if self.first_response_at is None:
            return None
        return max(timedelta(0), self.first_response_at - (self.sla_started_at or self.first_report_at))

    @property
    def time_to_resolve(self) -> timedelta | None:
        if self.resolved_at is None or self.status != RESOLVED:
            return None
        return max(timedelta(0), self.resolved_at - self.first_report_at)

    @property
    def sla_decided(self) -> bool:
        """Met or breached: the only outcomes SLA attainment counts."""
        return self.sla_state in ("met", "breached")


def _time(value: Any) -> datetime | None:
    try:
        return parse_time(value) if value else None
    except (TypeError, ValueError):
        return None


def facts_of(incident: Incident, timeline: list[dict[str, Any]], linked: Iterable[int] = ()) -> IncidentFacts:
    """The facts of one incident from its record and timeline entries (oldest first)."""
    sla_started = sla_due = responded = None
    responded_by = None
    sla_state = None
    alerts: dict[str, AlertRecord] = {}
    messages: list[dict[str, Any]] = []
    sends: list[dict[str, Any]] = []
    reopened = 0
    for entry in timeline:
        kind = str(entry.get("kind", ""))
        if kind == "sla.started":
            sla_started = _time(entry.get("started_at")) or _time(entry.get("at"))
            sla_due = _time(entry.get("sla_due_at"))
        elif kind == "sla.first_response":
            responded = _time(entry.get("responded_at")) or _time(entry.get("at"))
            responded_by = entry.get("by") or None
        if kind.startswith("sla.") and entry.get("state"):
            sla_state = str(entry["state"])
        if kind == "alert":
            key = f"{entry.get('event')}#{entry.get('occurrence', '')}"
            alerts.setdefault(key, AlertRecord(str(entry.get("event")), _time(entry.get("at"))))
        elif kind == "alert_sent":
            key = f"{entry.get('event')}#{entry.get('occurrence', '')}"
            before = alerts.get(key) or AlertRecord(str(entry.get("event")), _time(entry.get("at")))
            roles = tuple(dict.fromkeys([*before.roles, *(entry.get("roles") or [])]))
            alerts[key] = AlertRecord(before.event, before.at, roles, True)
        elif kind == "customer_message":
            messages.append({k: entry.get(k) for k in ("message", "ticket_id", "outcome", "reason", "at")})
        elif kind in ("customer_update", "customer_notice"):
            sends.append(dict(entry))
        elif kind == "reopened":
            reopened += 1
    candidates = [t for t in (incident.ticket_created_at, _time(incident.extra.get("first_report_at")),
                              sla_started, incident.declared_at) if t is not None]
    return IncidentFacts(
        id=incident.id,
        ticket_id=incident.ticket_id,
        category=incident.category,
        subject=incident.subject,
        status=incident.status,
        first_report_at=min(candidates),
        declared_at=incident.declared_at,
        resolved_at=incident.resolved_at,
        sla_started_at=sla_started,
        sla_due_at=sla_due,
        first_response_at=responded,
        first_response_by=responded_by,
        sla_state=sla_state,
        linked_ticket_ids=tuple(dict.fromkeys([incident.ticket_id, *linked])),
        alerts=tuple(sorted(alerts.values(), key=lambda a: (a.at is None, a.at))),
        customer_messages=tuple(messages),
        customer_sends=tuple(sends),
        reopened=reopened,
        rules=tuple(incident.rules),
    )


@dataclass(frozen=True)
class TrackedTask:
    """A post-incident review or an action: a Zendesk task ticket tied to an incident by a tag."""

    kind: str  # review | action
    ticket_id: int
    subject: str
    status: str | None
    due_at: datetime | None
    incident_id: int | None
    assignee_id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in SOLVED

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < now


def percentile(values: list[timedelta], pct: float) -> timedelta | None:
    """Nearest-rank percentile (the smallest value with at least ``pct``% of values at or below)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


@dataclass(frozen=True)
class Report:
    """The numbers for one period, and the incidents behind them."""

    since: datetime
    now: datetime
    incidents: tuple[IncidentFacts, ...]  # declared or resolved in the period, oldest first
    by_category: dict[str, int]
    sla_met: int
    sla_breached: int
    ttfr_median: timedelta | None
    ttfr_p90: timedelta | None
    ttr_median: timedelta | None
    resolved: int
    still_open: int
    overridden: int
    open_reviews: tuple[TrackedTask, ...] | None  # None: Zendesk could not be asked
    overdue_actions: tuple[TrackedTask, ...] | None
    open_actions: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    # The rules in production, from agents' corrections (middleware.store.feedback.production_figures)
    rules_in_production: dict[str, Any] | None = None

    @property
    def sla_attainment(self) -> float | None:
        decided = self.sla_met + self.sla_breached
        return self.sla_met / decided if decided else None


def build_report(facts: Iterable[IncidentFacts], now: datetime, since: datetime,
                 tasks: Iterable[TrackedTask] | None = None) -> Report:
    """The report for ``since``..``now``: pure, so a known set of incidents gives known numbers.

    Incidents *declared* in the period make the category counts, the SLA attainment and the time
    to first response; incidents *resolved* in the period make the time to resolve. Incidents an
    agent overrode (not critical after all) are listed and counted apart, never in the numbers.
    """
    def within(t: datetime | None) -> bool:
        return t is not None and since <= t <= now + CLOCK_SKEW

    chosen = sorted((f for f in facts if within(f.declared_at) or within(f.resolved_at)),
                    key=lambda f: (f.declared_at, f.id))
    real = [f for f in chosen if f.status != OVERRIDDEN]
    declared = [f for f in real if within(f.declared_at)]
    resolved = [f for f in real if f.status == RESOLVED and within(f.resolved_at)]
    ttfr = [t for t in (f.time_to_first_response for f in declared) if t is not None]
    ttr = [t for t in (f.time_to_resolve for f in resolved) if t is not None]
    task_list = list(tasks) if tasks is not None else None
    reviews = actions = None
    open_actions = None
    if task_list is not None:
        reviews = tuple(t for t in task_list if t.kind == "review" and t.is_open)
        actions = tuple(t for t in task_list if t.kind == "action" and t.is_overdue(now))
        open_actions = sum(1 for t in task_list if t.kind == "action" and t.is_open)
    return Report(
        since=since,
        now=now,
        incidents=tuple(chosen),
        by_category=dict(sorted(Counter(f.category or "uncategorised" for f in declared).items())),
        sla_met=sum(1 for f in declared if f.sla_state == "met"),
        sla_breached=sum(1 for f in declared if f.sla_state == "breached"),
        ttfr_median=median(ttfr),
        ttfr_p90=percentile(ttfr, 90),
        ttr_median=median(ttr),
        resolved=len(resolved),
        still_open=sum(1 for f in real if f.status not in (RESOLVED, OVERRIDDEN)),
        overridden=len(chosen) - len(real),
        open_reviews=reviews,
        overdue_actions=actions,
        open_actions=open_actions,
    )


# -- words ---------------------------------------------------------------------------------------
def _d(value: timedelta | None) -> str:
    return format_duration(value) if value is not None else "–"


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "–"


WITHHELD = "(subject withheld: security incident)"


def render_report(report: Report, link: Callable[[int], str],
                  restricted: frozenset[str] = frozenset()) -> tuple[str, str]:
    """(title, body) in plain text: the same words in a terminal, an email, Slack or Teams.

    Incidents of a ``restricted`` category (``alerts.restricted_categories``) are listed without
    their subject: the report travels on the same broad channels as alerts.
    """
    days = max(1, round((report.now - report.since).total_seconds() / 86400))
    title = (f"Critical incidents, last {days} day{'s' if days != 1 else ''}: "
             f"{sum(report.by_category.values())} new, {report.resolved} resolved")
    attainment = report.sla_attainment
    sla = (f"{attainment:.0%} ({report.sla_met} met, {report.sla_breached} breached)"
           if attainment is not None else "no first response due in this period")
    lines = [
        f"Period: {_day(report.since)} to {_day(report.now)}",
        "",
        "New incidents by category: " + (", ".join(f"{c} {n}" for c, n in report.by_category.items()) or "none"),
        f"First-response SLA attainment: {sla}",
        f"Time to first response: median {_d(report.ttfr_median)}, 90th percentile {_d(report.ttfr_p90)}",
        f"Time to resolve: median {_d(report.ttr_median)} ({report.resolved} resolved in the period)",
        f"Still open: {report.still_open}" + (f"; overridden as not critical: {report.overridden}"
                                              if report.overridden else ""),
    ]
    if report.open_reviews is None or report.overdue_actions is None:
        lines.append("Reviews and actions: not available (Zendesk could not be asked)")
    else:
        lines.append(f"Open post-incident reviews: {len(report.open_reviews)}")
        lines += [f"  - #{t.ticket_id} {t.subject} (due {_day(t.due_at)}"
                  + (", OVERDUE" if t.is_overdue(report.now) else "") + f") {link(t.ticket_id)}"
                  for t in report.open_reviews]
        lines.append(f"Overdue actions: {len(report.overdue_actions)} (of {report.open_actions} open)")
        lines += [f"  - #{t.ticket_id} {t.subject} (due {_day(t.due_at)}, incident #{t.incident_id}) "
                  f"{link(t.ticket_id)}" for t in report.overdue_actions]
    if report.rules_in_production is not None:
        lines.append(rules_line(report.rules_in_production))
    lines += ["", "Incidents:"]
    if not report.incidents:
        lines.append("  none")
    for f in report.incidents:
        subject = WITHHELD if (f.category or "") in restricted else (f.subject or "(no subject)")
        lines.append(
            f"  - #{f.ticket_id} [{f.category or 'uncategorised'}] {subject}: {f.status}; "
            f"declared {_day(f.declared_at)}; first response {_d(f.time_to_first_response)}; "
            f"SLA {f.sla_state or 'none'}; time to resolve {_d(f.time_to_resolve)}; {link(f.ticket_id)}"
        )
        lines += [_told_line(t) for t in customers_told(f)]
    lines += list(report.notes)
    return title, "\n".join(lines)


AUTOMATIC = {"declared": "told it is handled as critical", "resolved": "told it is resolved"}


def customers_told(f: IncidentFacts) -> list[dict[str, Any]]:
    """What the incident's customers were told and when, oldest first: the automatic messages
    (grouped: how many tickets, from when to when) and every status update and proactive notice
    a person asked for (who asked, how many recipients)."""
    told: list[dict[str, Any]] = []
    for kind, words in AUTOMATIC.items():
        sent = [m for m in f.customer_messages if m.get("message") == kind and m.get("outcome") == "sent"]
        times = sorted(t for t in (_time(m.get("at")) for m in sent) if t is not None)
        if sent:
            told.append({"what": words, "at": times[0] if times else None, "until": times[-1] if times else None,
                         "by": None, "recipients": f"{len(sent)} ticket(s)"})
    for entry in f.customer_sends:
        if entry.get("kind") == "customer_update":
            what = f"status update {entry.get('update_id')}"
            recipients = f"{entry.get('sent', 0)} ticket(s)"
        else:
            what = f"proactive notice {entry.get('notice_id')}"
            recipients = (f"{entry.get('sent', 0)} contact(s) in {len(entry.get('organization_ids') or [])} "
                          "organisation(s)")
        told.append({"what": what, "at": _time(entry.get("at")), "until": None, "by": entry.get("by"),
                     "recipients": recipients})
    return sorted(told, key=lambda t: (t["at"] is None, t["at"]))


def _told_line(t: dict[str, Any]) -> str:
    when = _day(t["at"]) + (f" to {_day(t['until'])}" if t.get("until") and t["until"] != t["at"] else "")
    return f"      told {when}: {t['what']}, {t['recipients']}" + (f" (asked for by {t['by']})" if t["by"] else "")


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def rules_line(figures: dict[str, Any]) -> str:
    """One line on how the rules did, by what agents corrected (``rules feedback`` has the detail)."""
    def ratio(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}"

    return (f"Rules in production: precision {ratio(figures['precision'])}, recall {ratio(figures['recall'])} "
            f"({figures['flagged']} flagged, {figures['false_alarm']} taken back by agents, {figures['missed']} "
            f"tagged by hand; possible critical {figures['confirmed']} confirmed, {figures['dismissed']} dismissed)")


def report_dict(report: Report, link: Callable[[int], str],
                restricted: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The report as JSON-able data (``python -m middleware report --json``)."""
    def task(t: TrackedTask) -> dict[str, Any]:
        return {"ticket_id": t.ticket_id, "subject": t.subject, "status": t.status, "due_at": format_time(t.due_at),
                "incident_id": t.incident_id, "link": link(t.ticket_id)}

    return {
        "since": format_time(report.since),
        "now": format_time(report.now),
        "by_category": report.by_category,
        "sla": {"met": report.sla_met, "breached": report.sla_breached, "attainment": report.sla_attainment},
        "time_to_first_response_seconds": {"median": _seconds(report.ttfr_median), "p90": _seconds(report.ttfr_p90)},
        "time_to_resolve_seconds": {"median": _seconds(report.ttr_median)},
        "resolved": report.resolved,
        "still_open": report.still_open,
        "overridden": report.overridden,
        "rules_in_production": report.rules_in_production,
        "open_reviews": None if report.open_reviews is None else [task(t) for t in report.open_reviews],
        "overdue_actions": None if report.overdue_actions is None else [task(t) for t in report.overdue_actions],
        "incidents": [
            {"id": f.id, "ticket_id": f.ticket_id, "category": f.category,
             "subject": WITHHELD if (f.category or "") in restricted else f.subject, "status": f.status,
             "declared_at": format_time(f.declared_at), "resolved_at": format_time(f.resolved_at),
             "sla_state": f.sla_state,
             "time_to_first_response_seconds": _seconds(f.time_to_first_response),
             "time_to_resolve_seconds": _seconds(f.time_to_resolve), "link": link(f.ticket_id),
             "customers_told": [{**t, "at": format_time(t["at"]), "until": format_time(t["until"])}
                                for t in customers_told(f)]}
            for f in report.incidents
        ],
    }
