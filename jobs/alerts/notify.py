"""Alerts to people: who hears about an incident event, through which channel, exactly once.

The declared path, the SLA clock and the lifecycle call :func:`notify` with an event name
(``incident.declared``, ``sla.at_risk``, ``sla.breached``, ``incident.resolved``, or any other a
route names) and an ``occurrence`` that tells repeated alerts apart (SLA warning index, breach
``0`` then reminders ``1``, ``2``, …). Read top to bottom, one alert goes:

1. :func:`notify` records it on the incident's timeline and queues one *fan-out* job, with a
   unique id per (incident, event, occurrence): processing the event twice queues it once;
2. :func:`fan_out` picks the roles (``routes`` plus ``alerts.category_routes``), resolves each
   role to Apprise URLs (the Engagement Director from the customer's organisation), renders the
   message per destination, and queues one delivery job per destination, again with a unique
   id per (incident, event, occurrence, destination);
3. :mod:`jobs.alerts.delivery` sends it with Apprise, once, with retries.

Why a fan-out job rather than doing step 2 inside ``notify``: finding the Engagement Director
may need a Zendesk read, which can be rate limited or time out. Inside the caller's job (triage,
SLA) that failure would fail the caller, and the caller's retry would not call ``notify`` again
(the incident is already open), so alerts would be lost. A job of its own retries on its own,
and on its last try falls back to ``by_organization``/``default`` rather than telling no one.
A rate limit (our budget, a 429, Zendesk down) is not a failure: the fan-out is rescheduled
for when the budget frees, keeping its retries, and never falls back because of it.

Alerts go out in order (:mod:`jobs.alert_order`): every fan-out and every delivery waits for
the alerts before it (by the time of their events) that go the same way. A fan-out has two
halves in two lines: the roles with fixed destinations, and the Engagement Director. When
Zendesk is down, the director's half waits for it and holds back only the directors' alerts
behind it; the fixed half goes at once (naming the organisation by its id if its name is not
known yet), so the Head of Support still hears.

Alerts are keyed by incident, not ticket: many tickets in one incident make one alert per event.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rq import Retry
from rq.exceptions import DuplicateJobError

from jobs import alert_order, runtime
from jobs.alert_order import DIRECTOR, GO, STATIC, WAIT, Kick
from jobs.alerts.delivery import Delivery, count, event_name, last_attempt
from jobs.alerts.messages import Facts, due_at_from, render
from jobs.lookup import cached_organization
from jobs.runtime import Runtime
from jobs.scheduling import wait_for
from middleware.config.alerting import (
    ENGAGEMENT_DIRECTOR,
    Alerting,
    EngagementDirector,
    apprise_accepts,
    email_url,
    fingerprint,
    redact,
)
from middleware.store import queues
from middleware.store.clocks import ClockStore
from middleware.store.incidents import OPEN, SNAPSHOTS, Incident
from middleware.zendesk.errors import RateLimited, ZendeskError, ZendeskUnavailable
from rules.model import Organization, format_time, parse_time

log = logging.getLogger(__name__)

UNIQUE_WINDOW_SECONDS = 86400  # job hashes (and so their unique ids) live this long after success
FAILURE_TTL_SECONDS = 365 * 86400  # a permanently failed alert stays inspectable for a year
FAN_OUT_RETRY = Retry(max=3, interval=[5, 15, 30])
_EMAIL = re.compile(r"^[^@\s/:]+@[^@\s/:]+\.[^@\s/:]+$")


# -- 1. notify: called by the other stages ---------------------------------------------------
def notify(rt: Runtime, incident: Incident, event: str, at: datetime, *, occurrence: str = "",
           details: dict[str, Any] | None = None) -> None:
    """Alert the roles routed for ``event``: timeline entry now, delivery by the alert jobs.

    Idempotent: called twice for the same (incident, event, occurrence), people hear once.
    The alert takes its place in its lines (:mod:`jobs.alert_order`) at the time ``at`` of its
    event before its fan-out is queued.
    """
    occurrence = str(occurrence)
    clean = jsonable(details or {})
    if rt.incidents.add_event(incident.id, "alert", at, {"event": event, "occurrence": occurrence, **clean},
                              dedupe_key=f"alert:{event}:{occurrence}"):
        log.info("incident %s: alert %s", incident.id, event_name(event, occurrence))
    job_id = rt.keys.job_id("alertfan", incident.id, digest(incident.id, event, occurrence))
    order = alert_order.score_of(at)
    description = f"alert fan-out {event_name(event, occurrence)} incident {incident.id}"
    args = [incident.to_redis(), event, format_time(at), occurrence, clean, order]
    kick = Kick("jobs.alerts.notify.fan_out", args, queues.ALERTS_STAGE, job_id, description, timeout=120,
                retry_max=FAN_OUT_RETRY.max, retry_intervals=list(FAN_OUT_RETRY.intervals),
                result_ttl=UNIQUE_WINDOW_SECONDS, failure_ttl=FAILURE_TTL_SECONDS)
    member = alert_member(incident.id, event, occurrence)
    lanes = lanes_of(roles_for(rt.config.alerting, incident.category, event))
    joined = [lane for lane in lanes if alert_order.join(rt, lane, member, order, kick)]
    try:
        queues.queue(queues.ALERTS_STAGE, rt.redis, rt.keys).enqueue(
            "jobs.alerts.notify.fan_out", args=tuple(args),
            job_id=job_id, unique=True, retry=FAN_OUT_RETRY, job_timeout=120,
            result_ttl=UNIQUE_WINDOW_SECONDS, failure_ttl=FAILURE_TTL_SECONDS,
            description=description,
        )
    except DuplicateJobError:
        log.info("incident %s: alert %s already queued", incident.id, event_name(event, occurrence))
        for lane in joined:  # fanned out before (its job is remembered a day): nothing to wait for
            alert_order.leave(rt, lane, member)


def alert_member(incident_id: int, event: str, occurrence: str) -> str:
    """An alert's name in the fan-out lines."""
    return digest(incident_id, event, occurrence)


def lanes_of(roles: Iterable[str]) -> list[str]:
    """The fan-out lines an alert to these roles stands in: fixed destinations, the director."""
    roles = list(roles)
    lanes = [STATIC] if any(role != ENGAGEMENT_DIRECTOR for role in roles) else []
    return lanes + ([DIRECTOR] if ENGAGEMENT_DIRECTOR in roles else [])


def jsonable(details: dict[str, Any]) -> dict[str, Any]:
    """``details`` with datetimes as ISO strings and durations as seconds, safe for JSON and jobs."""
    out: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, datetime):
            out[key] = format_time(value)
        elif isinstance(value, timedelta):
            out[key] = value.total_seconds()
        else:
            try:
                json.dumps(value)
                out[key] = value
            except (TypeError, ValueError):
                out[key] = str(value)
    return out


def digest(*parts: object) -> str:
    """A job-id-safe hash of the parts (RQ ids allow only ``[A-Za-z0-9_-]``)."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:24]


# -- 2. fan_out: roles → destinations → one delivery job each ---------------------------------
@dataclass
class Destination:
    """One Apprise URL and every role it receives this alert as (a shared URL is told once)."""

    url: str
    roles: list[str]


def fan_out(snapshot: dict[str, str], event: str, at: str, occurrence: str, details: dict[str, Any],
            order: float | None = None) -> str:
    """RQ entry point for :func:`fan_out_with`; returns what happened, for the job result.

    ``order`` (the event's place in the fan-out lines) is None for a fan-out queued before
    alerts were ordered: it runs at once, whole, as it always did.
    """
    rt = runtime.get()
    incident = current_incident(rt, snapshot)
    when = parse_time(at) or rt.clock()
    name = f"incident {incident.id} {event_name(event, occurrence)}"
    if order is None:
        parts = None
    else:
        parts = turns(rt, incident, event, occurrence)
        if not parts:
            return f"{name}: waiting for earlier alerts" if parts is not None else f"{name}: fanned out already"
    try:
        result = fan_out_with(rt, incident, event, when, occurrence, details, last_attempt=last_attempt(),
                              parts=parts, order=order)
    except RateLimited as exc:
        # Wait for the budget (or for Zendesk to come back) rather than spend a retry: the
        # last retry would fall back to the default director. While Zendesk is down, the
        # fixed destinations need not wait with the director: they go now.
        if parts and STATIC in parts and DIRECTOR in parts and isinstance(exc, ZendeskUnavailable):
            fan_out_with(rt, incident, event, when, occurrence, details, parts=[STATIC], order=order)
            done(rt, incident, event, occurrence, [STATIC])
            parts = [DIRECTOR]
        new_id = wait_for(exc)
        if new_id is None:
            raise
        member = alert_member(incident.id, event, occurrence)
        for lane in parts or ():
            alert_order.renew(rt, lane, member, new_id)
        return f"{name}: waiting for Zendesk ({exc.source}); rescheduled in {exc.retry_after:.0f} s as {new_id}"
    done(rt, incident, event, occurrence, parts or ())
    return result


def turns(rt: Runtime, incident: Incident, event: str, occurrence: str) -> list[str] | None:
    """The halves of this fan-out whose turn it is now (``[]`` when they wait behind earlier
    alerts: parked, started again when their turn comes; None when nothing is left to do).
    A half in a line its roles no longer need (the config changed) leaves it."""
    member = alert_member(incident.id, event, occurrence)
    routed = lanes_of(roles_for(rt.config.alerting, incident.category, event))
    verdicts = {lane: alert_order.turn(rt, lane, member) for lane in (STATIC, DIRECTOR)}
    for lane, verdict in verdicts.items():
        if lane not in routed and verdict == GO:
            alert_order.leave(rt, lane, member)
    ready = [lane for lane in routed if verdicts[lane] == GO]
    if ready:
        return ready
    return [] if any(verdicts[lane] == WAIT for lane in routed) else None


def done(rt: Runtime, incident: Incident, event: str, occurrence: str, parts: Iterable[str]) -> None:
    """These halves are fanned out: the alerts behind them in their lines may go."""
    member = alert_member(incident.id, event, occurrence)
    for lane in parts:
        alert_order.leave(rt, lane, member)


def current_incident(rt: Runtime, snapshot: dict[str, str]) -> Incident:
    """The incident as stored now (its status may have changed), else the snapshot notify saw."""
    stored = rt.incidents.get(int(snapshot["id"]))
    if stored is not None:
        return stored
    return Incident.from_redis({k.encode(): v.encode() for k, v in snapshot.items()})


def fan_out_with(rt: Runtime, incident: Incident, event: str, at: datetime, occurrence: str,
                 details: dict[str, Any], *, last_attempt: bool = True, parts: list[str] | None = None,
                 order: float | None = None) -> str:
    """Queue one delivery job per destination routed for this event; log-only roles are recorded.

    ``parts``: only these halves (``alert_order.STATIC``, ``alert_order.DIRECTOR``); all by
    default. ``order``: the alert's place in its destinations' lines (None: unordered).
    """
    if event.startswith("sla.") and incident.status != OPEN:
        return f"skipped: incident {incident.id} is {incident.status}, SLA alerts no longer apply"
    alerting = rt.config.alerting
    roles = roles_for(alerting, incident.category, event)
    if parts is not None:
        roles = [role for role in roles if (DIRECTOR if role == ENGAGEMENT_DIRECTOR else STATIC) in parts]
    # Only the director's address is worth a retry or a wait; a name for the message is not.
    director = ENGAGEMENT_DIRECTOR in roles
    orgs = organizations(rt, incident, must_know=director and not last_attempt, wait_for_budget=director)
    remember_organization_name(rt, incident, orgs)
    destinations, silent = destinations_for(alerting, roles, orgs)
    if silent:
        record_log_only(rt, incident, event, occurrence, at, silent,
                        part="" if parts is None or len(parts) > 1 else parts[0])
    facts = Facts(
        incident=incident, event=event, at=at, occurrence=occurrence,
        link=rt.zendesk.agent_link(incident.ticket_id),
        organization=organization_label(incident, orgs),
        problem=str(details["problem"]) if details.get("problem") else None,
        **sla_facts(rt, incident, details),
    )
    queued = sum(enqueue_delivery(rt, alerting, facts, dest, order) for dest in destinations)
    return (f"incident {incident.id} {event_name(event, occurrence)}: {queued} of {len(destinations)} deliveries queued"
            + (f"; log only for {', '.join(silent)}" if silent else ""))


def roles_for(alerting: Alerting, category: str | None, event: str) -> list[str]:
    """``routes[event]`` plus the category's routes for this event (and for ``*``), in order."""
    by_category = alerting.alerts.category_routes.get(category or "", {})
    roles = [*alerting.routes.get(event, ()), *by_category.get(event, ()), *by_category.get("*", ())]
    return list(dict.fromkeys(roles))


def sla_facts(rt: Runtime, incident: Incident, details: dict[str, Any]) -> dict[str, Any]:
    """Due time, state, first response and summary: from ``details`` if the caller gave them (the
    SLA clock sends ``sla``, ``sla_due_at``, ``sla_state``), else from the SLA clock in Redis
    (:mod:`middleware.store.clocks`); unknown if neither has them."""
    due_at, state = due_at_from(details), details.get("state") or details.get("sla_state")
    responded_at = parse_time(details.get("responded_at")) if details.get("responded_at") else None
    try:
        clock = ClockStore(rt.redis, rt.keys).get(incident.id)
    except Exception:  # the SLA clock is optional context: an alert must not fail for it
        log.warning("incident %s: SLA clock unreadable; the alert says 'unknown'", incident.id, exc_info=True)
        clock = None
    if clock is not None:
        due_at = due_at or clock.due_at
        state = state or clock.state
        responded_at = responded_at or clock.responded_at
    summary = details.get("sla") if isinstance(details.get("sla"), str) else None
    return {"due_at": due_at, "sla_state": state, "responded_at": responded_at, "sla_summary": summary}


def organization_ids(incident: Incident) -> list[int]:
    """The incident's organisations: its ticket's, plus any a multi-customer incident lists."""
    ids = [incident.organization_id, *(incident.extra.get("organization_ids") or [])]
    return list(dict.fromkeys(int(i) for i in ids if i not in (None, "")))


def organizations(rt: Runtime, incident: Incident, must_know: bool,
                  wait_for_budget: bool = False) -> dict[int, Organization | None]:
    """Each organisation of the incident, from the Redis cache or Zendesk (None if unknown).

    With ``must_know`` (the director is routed and RQ can still retry) a Zendesk failure is
    raised so the fan-out is retried. With ``wait_for_budget`` (the director is routed) a rate
    limit or an open breaker is always raised, even on the last try: it says "later", not
    "never", and the fan-out waits for it. Otherwise the organisation counts as unknown: the
    alert goes out at once, to ``by_organization``/``default`` for the director, instead of
    to no one.
    """

    out: dict[int, Organization | None] = {}
    for org_id in organization_ids(incident):
        try:
            out[org_id] = cached_organization(rt, org_id)
        except ZendeskError as exc:
            if must_know or (wait_for_budget and isinstance(exc, RateLimited)):
                raise
            log.warning("incident %s: organisation %s unreadable (%s); Engagement Director from config",
                        incident.id, org_id, type(exc).__name__)
            out[org_id] = None
    return out


def remember_organization_name(rt: Runtime, incident: Incident, orgs: dict[int, Organization | None]) -> None:
    """Keep the organisations' names on the incident for the dashboard, which never asks Zendesk.

    Only when every name is known (an unreadable organisation leaves the last good name), and
    only when it changed, so an alert costs no extra write after the first.
    """
    if not orgs or any(org is None or not org.name for org in orgs.values()):
        return
    if incident.status in SNAPSHOTS:
        return  # not an incident (yet): nothing is stored under its id to keep the name on
    names = ", ".join(org.name for org in orgs.values() if org is not None and org.name)
    if names != incident.organization_name:
        rt.incidents.update(incident.id, organization_name=names)


def organization_label(incident: Incident, orgs: dict[int, Organization | None]) -> str:
    """The organisations' names; the name kept on the incident when one cannot be read now
    (Zendesk down), else ``organisation <id>``."""
    if incident.organization_name and any(org is None or not org.name for org in orgs.values()):
        return incident.organization_name
    names = [(org.name if org and org.name else f"organisation {org_id}") for org_id, org in orgs.items()]
    return ", ".join(names) if names else "none"


def destinations_for(alerting: Alerting, roles: Iterable[str],
                     orgs: dict[int, Organization | None]) -> tuple[list[Destination], list[str]]:
    """(destinations, roles with no destination). A URL shared by roles is one destination."""
    by_url: dict[str, Destination] = {}
    silent: list[str] = []
    for role in roles:
        if role == ENGAGEMENT_DIRECTOR:
            urls = engagement_director_urls(alerting.roles.engagement_director, alerting.alerts.email_url_template,
                                            orgs)
        else:
            urls = alerting.roles.static.get(role, ())
        if not urls:
            silent.append(role)
        for url in urls:
            by_url.setdefault(url, Destination(url, [])).roles.append(role)
    return list(by_url.values()), silent


def engagement_director_urls(ed: EngagementDirector, email_template: str | None,
                             orgs: dict[int, Organization | None]) -> tuple[str, ...]:
    """Per organisation: its field's contact, else ``by_organization``, else ``default``."""
    if not orgs:
        return ed.default
    urls: list[str] = []
    for org_id, org in orgs.items():
        found = contact_urls(org, ed.organization_field, email_template)
        urls.extend(found or ed.by_organization.get(str(org_id)) or ed.default)
    return tuple(dict.fromkeys(urls))


def contact_urls(org: Organization | None, field_name: str | None, email_template: str | None) -> tuple[str, ...]:
    """Apprise URLs from the organisation field: Apprise URLs as they are, emails via the mail template.

    An unusable value is skipped with a warning (never the value itself, it may hold a token).
    """
    if org is None or not field_name:
        return ()
    value = org.fields.get(field_name)
    if not value:
        return ()
    tokens = [str(v) for v in value] if isinstance(value, list) else str(value).split()
    urls: list[str] = []
    for token in tokens:
        # An Apprise URL may itself contain commas (``?to=a@x,b@x``); a list of emails is split on them.
        contacts = [token.rstrip(",;")] if "://" in token else re.split(r"[,;]+", token)
        for contact in filter(None, (c.strip() for c in contacts)):
            url = _contact_url(contact, email_template)
            if url:
                urls.append(url)
            else:
                log.warning("organisation %s: field %s: a contact is %s", org.id, field_name,
                            _why_unusable(contact, email_template))
    return tuple(dict.fromkeys(urls))


def _why_unusable(contact: str, email_template: str | None) -> str:
    if "://" in contact:
        return f"not an Apprise URL ({redact(contact)})"
    if _EMAIL.match(contact) and not email_template:
        return "an email address, but alerts.email_url_template is not set"
    return "neither an email address nor an Apprise URL"


def _contact_url(contact: str, email_template: str | None) -> str | None:
    if "://" in contact:
        return contact if apprise_accepts(contact) else None
    if _EMAIL.match(contact) and email_template:
        url = email_url(email_template, contact)
        return url if apprise_accepts(url) else None
    return None


def record_log_only(rt: Runtime, incident: Incident, event: str, occurrence: str, at: datetime,
                    roles: list[str], part: str = "") -> None:
    """Roles with no destination: the alert is logged and on the timeline, sent nowhere
    (once per alert, or per half of it when its halves went separately)."""
    count(rt, "log_only")
    if rt.incidents.add_event(incident.id, "alert_log_only", at,
                              {"event": event, "occurrence": occurrence, "roles": roles},
                              dedupe_key=f"alert_log_only:{event}:{occurrence}" + (f":{part}" if part else "")):
        log.info("incident %s: %s for %s: no destination configured (log only)", incident.id,
                 event_name(event, occurrence), ", ".join(roles))


def enqueue_delivery(rt: Runtime, alerting: Alerting, facts: Facts, dest: Destination,
                     order: float | None = None) -> bool:
    """Queue the delivery job for one destination; False if it was sent or queued already.
    With ``order``, the delivery first takes its place in the destination's line."""
    inc = facts.incident
    key = digest(inc.id, facts.event, facts.occurrence, fingerprint(dest.url))
    if rt.redis.exists(rt.keys("alert", "sent", key)):
        return False
    message = render(alerting.alerts, facts, tuple(dest.roles))
    delivery = Delivery(key=key, incident_id=inc.id, event=facts.event, occurrence=facts.occurrence,
                        at=format_time(facts.at) or "", url=dest.url, label=redact(dest.url),
                        roles=tuple(dest.roles), title=message.title, body=message.body,
                        notify_type=message.notify_type, order=order)
    settings = alerting.alerts
    retry = Retry(max=settings.retry_max, interval=list(settings.retry_intervals)) if settings.retry_max else None
    job_id = rt.keys.job_id("alert", inc.id, key)
    timeout = int(settings.send_timeout_seconds) + 60
    lane = alert_order.dest_lane(fingerprint(dest.url))
    joined = order is not None and alert_order.join(rt, lane, key, order, Kick(
        "jobs.alerts.delivery.deliver", [delivery.to_dict()], queues.ALERTS_STAGE, job_id, delivery.describe(),
        timeout=timeout, retry_max=settings.retry_max, retry_intervals=list(settings.retry_intervals),
        result_ttl=UNIQUE_WINDOW_SECONDS, failure_ttl=FAILURE_TTL_SECONDS))
    try:
        queues.queue(queues.ALERTS_STAGE, rt.redis, rt.keys).enqueue(
            "jobs.alerts.delivery.deliver", args=(delivery.to_dict(),),
            job_id=job_id, unique=True, retry=retry, job_timeout=timeout,
            result_ttl=UNIQUE_WINDOW_SECONDS, failure_ttl=FAILURE_TTL_SECONDS,
            description=delivery.describe(),  # RQ logs the description: no URL, no ticket text
        )
    except DuplicateJobError:
        if joined:  # delivered or given up before (its job is remembered a day)
            alert_order.leave(rt, lane, key)
        return False
    return True
