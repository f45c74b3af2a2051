"""What a period of incidents adds up to, for the lead team: pure computation.

The report is made of each incident's facts (:mod:`jobs.incident_facts`, which the post-incident
review and the incident room read too), so nothing here asks Zendesk or reads a clock: the facts
and ``now`` come in as arguments, and a known set of incidents gives known numbers in a unit test.

Definitions (also in docs/lifecycle.md; the per-incident times are in :mod:`jobs.incident_facts`):

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
from jobs.incident_facts import AlertRecord, IncidentFacts, customers_told, facts_of
from middleware.store.incidents import OVERRIDDEN, RESOLVED
from rules.model import format_time

# AlertRecord, IncidentFacts, customers_told and facts_of live in jobs.incident_facts; they are named
# here too for the readers that take them with the report (the incident room, the report's tests).
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
