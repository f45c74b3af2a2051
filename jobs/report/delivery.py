"""The lead-team report: gathered from Redis and Zendesk, sent weekly on the ``report`` route.

:func:`gather` reads the incident records and timelines (Redis) and the open reviews and
actions (two Zendesk searches), and hands them to the pure :func:`jobs.report.build.build_report`.
``python -m middleware report --since 7d`` prints it; :func:`weekly` sends it.

The weekly job runs every hour (``middleware.worker``) and sends once per ISO week, at the first
run after ``report.weekday`` ``report.hour`` (UTC): a worker that was down at that hour sends it
when it is back. A new deployment sends its first report at the first such moment after it
started. Delivery reuses the alert machinery's pieces: the ``report`` route names roles,
roles resolve to Apprise URLs, and each destination gets one job with a unique id and a "sent"
marker, so a report reaches each destination once.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from rq import Retry
from rq.exceptions import DuplicateJobError

from jobs import runtime
from jobs.alerts import notify as alerts
from jobs.alerts.delivery import DeliveryFailed, send
from jobs.incident_facts import facts_of
from jobs.links import known_links
from jobs.report.build import Report, build_report, render_report
from jobs.report.reminders import tracked_tasks
from jobs.runtime import Runtime
from middleware.config.alerting import fingerprint, redact
from middleware.store import queues
from middleware.store.feedback import FeedbackStore, flagged_by_rules, production_figures
from middleware.zendesk.errors import ZendeskError
from rules.model import format_time, parse_time

log = logging.getLogger(__name__)

__all__ = ["REPORT_ROUTE", "deliver", "gather", "run_weekly", "send_one", "week_start", "weekly"]

REPORT_ROUTE = "report"
LOOKBACK = timedelta(days=90)  # incidents declared this long before the period may resolve in it
KEEP_SECONDS = 60 * 86400


def gather(rt: Runtime, now: datetime, since: datetime) -> Report:
    """The report for ``since``..``now``; reviews and actions are "not available" if Zendesk
    cannot be asked (the numbers from Redis are still worth sending)."""
    incidents = rt.incidents.many(rt.incidents.all_ids(since - LOOKBACK))
    facts = [facts_of(i, rt.incidents.timeline(i.id), known_links(rt, i)) for i in incidents]
    try:
        tasks = tracked_tasks(rt)
    except ZendeskError as exc:
        log.warning("report: reviews and actions unavailable (%s)", type(exc).__name__)
        tasks = None
    report = build_report(facts, now, since, tasks)
    records = FeedbackStore(rt.redis, rt.keys).since(since)
    flagged = flagged_by_rules([i for i in incidents if since <= i.declared_at <= now])
    return replace(report, rules_in_production=production_figures(records, flagged))


def rendered(rt: Runtime, report: Report) -> tuple[str, str]:
    restricted = rt.config.alerting.alerts.restricted_categories
    return render_report(report, rt.zendesk.agent_link, restricted)


# -- weekly ---------------------------------------------------------------------------------------
def week_start(now: datetime, weekday: int, hour: int) -> datetime:
    """This ISO week's sending moment (Monday 00:00 UTC + weekday days + hour)."""
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday + timedelta(days=weekday, hours=hour)


def weekly() -> str:
    """RQ entry point of the hourly check: send this week's report if it is due and unsent."""
    rt = runtime.get()
    outcome = run_weekly(rt, rt.clock())
    log.info("weekly report: %s", outcome)
    return outcome


def run_weekly(rt: Runtime, now: datetime) -> str:
    """Send this week's report if its moment has passed and it is not sent yet.

    A deployment's first report goes out at the first scheduled moment after it started (the
    first run records when that was): not at once, as a report of a week nobody watched.
    """
    settings = rt.config.report
    if not settings.enabled:
        return "switched off"
    started_key = rt.keys("report", "started")
    rt.redis.set(started_key, format_time(now) or "", nx=True)
    started = parse_time((rt.redis.get(started_key) or b"").decode() or None) or now
    due = week_start(now, settings.weekday, settings.hour)
    if now < due:
        return f"not due until {format_time(due)}"
    if started > due:
        return f"first report at the next scheduled time (started {format_time(started)}, after this week's)"
    year, week, _ = now.isocalendar()
    occasion = f"{year}-W{week:02d}"
    sent_key = rt.keys("report", "week", occasion)
    if rt.redis.exists(sent_key):
        return f"{occasion} already sent"
    title, body = rendered(rt, gather(rt, now, now - settings.period))
    queued = deliver(rt, title, body, occasion)
    rt.redis.set(sent_key, format_time(now) or "1", ex=KEEP_SECONDS)
    return f"{occasion}: {queued} delivery job(s) queued"


# -- delivery -------------------------------------------------------------------------------------
def deliver(rt: Runtime, title: str, body: str, occasion: str) -> int:
    """One delivery job per destination of the ``report`` route; returns how many were queued."""
    alerting = rt.config.alerting
    roles = alerting.routes.get(REPORT_ROUTE, ())
    destinations, silent = alerts.destinations_for(alerting, roles, {})
    if silent:
        log.info("report %s for %s: no destination configured (log only)", occasion, ", ".join(silent))
    if not roles:
        log.info("report %s: the %r route names no role; nothing sent", occasion, REPORT_ROUTE)
    settings = alerting.alerts
    retry = Retry(max=settings.retry_max, interval=list(settings.retry_intervals)) if settings.retry_max else None
    queued = 0
    for dest in destinations:
        key = alerts.digest("report", rt.keys.prefix, occasion, fingerprint(dest.url))
        try:
            queues.queue(queues.ALERTS_STAGE, rt.redis, rt.keys).enqueue(
                "jobs.report.delivery.send_one", dest.url, title, body, key,
                job_id=rt.keys.job_id("report", key), unique=True, retry=retry,
                job_timeout=int(settings.send_timeout_seconds) + 60,
                result_ttl=86400, failure_ttl=365 * 86400,
                description=f"report {occasion} to {','.join(dest.roles)} via {redact(dest.url)}",
            )
            queued += 1
        except DuplicateJobError:
            pass
    return queued


def send_one(url: str, title: str, body: str, key: str) -> str:
    """RQ entry point: send the report to one destination unless it was sent already."""
    rt = runtime.get()
    sent_key = rt.keys("report", "sent", key)
    if rt.redis.exists(sent_key):
        return "already sent"
    settings = rt.config.alerting.alerts
    ok, status = send(url, title, body, "info", settings.send_timeout_seconds)
    if not ok:
        raise DeliveryFailed(f"report to {redact(url)}: Apprise status {status}")
    rt.redis.set(sent_key, format_time(rt.clock()) or "1", ex=KEEP_SECONDS)
    return f"sent to {redact(url)}"
