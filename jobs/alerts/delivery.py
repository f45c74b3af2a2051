"""Delivery of one alert to one destination: the RQ job that calls Apprise, exactly once.

Two guards make "each person gets each alert once" hold even when an event is processed twice,
a job is enqueued again after its unique id expired, or a worker dies mid-way:

* the job id is derived from (incident, event, occurrence, destination) and enqueued with
  ``unique=True`` (by :mod:`jobs.alerts.notify`), so a duplicate is not even queued while the first
  job's hash lives;
* a "sent" marker in Redis (one key per alert key, kept ``alerts.sent_ttl``) is checked before
  sending and set after Apprise reports success, and a short lock around the send stops two
  runs of the same alert from sending side by side. A worker killed between the send and the
  marker can still cause one repeat: at-least-once in that window is the price of not losing
  alerts, and it is the only one.

A delivery with an ``order`` waits its turn in its destination's line (:mod:`jobs.alert_order`):
a destination gets its alerts one at a time, in the order of their events, and a delivery that
is being retried holds back the later ones to the same destination (only). It leaves the line
once sent, or given up on for good.

Apprise reports failure as a falsy result without saying why, so every failure is treated as
transient and retried by RQ with backoff (``alerts.retry``). On the last attempt the failure is
permanent: logged (destination redacted), counted, recorded on the incident's timeline, and the
job ends in RQ's failed registry where it can be inspected and requeued.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from redis.exceptions import LockError
from rq import get_current_job

from jobs import alert_order, runtime
from jobs.runtime import Runtime
from middleware.config.alerting import fingerprint
from rules.model import JsonRecord, format_time

log = logging.getLogger(__name__)

__all__ = [
    "Delivery",
    "DeliveryBusy",
    "DeliveryFailed",
    "deliver",
    "deliver_with",
    "event_name",
    "last_attempt",
    "metrics_key",
    "send",
]

LOCK_MARGIN_SECONDS = 30


class DeliveryFailed(Exception):
    """Apprise could not deliver; raised so RQ retries (or, at the end, keeps the failed job)."""


class DeliveryBusy(DeliveryFailed):
    """Another run of the same alert holds the send lock right now: try again shortly."""


@dataclass(frozen=True)
class Delivery(JsonRecord):
    """One alert to one destination, as queued. ``url`` never appears in logs; ``label`` does."""

    json_tuples = ("roles",)

    key: str
    incident_id: int
    event: str
    occurrence: str
    at: str
    url: str
    label: str
    roles: tuple[str, ...]
    title: str
    body: str
    notify_type: str
    order: float | None = None  # its place in the destination's line (None: queued before alerts were ordered)

    def describe(self) -> str:
        """What logs and RQ's job description show: no URL, no ticket text."""
        return (f"alert {event_name(self.event, self.occurrence)} incident {self.incident_id}"
                f" to {','.join(self.roles)} via {self.label}")


def event_name(event: str, occurrence: str) -> str:
    """``sla.breached#2``; just the event when it happens once per incident."""
    return f"{event}#{occurrence}" if occurrence else event


def metrics_key(rt: Runtime) -> str:
    return rt.keys("metrics", "alerts")


def count(rt: Runtime, name: str) -> None:
    """Bump an alert counter (sent/failed/retried/duplicate/log_only); never fails the caller."""
    try:
        rt.redis.hincrby(metrics_key(rt), name, 1)
    except Exception:
        log.debug("could not count alert metric %s", name)


def _quiet_apprise() -> None:
    """Apprise logs request URLs (with tokens) and payloads (with ticket text) at DEBUG.

    Unless an operator set its level on purpose, keep the ``apprise`` logger at WARNING, whose
    messages name the service and the HTTP status only.
    """
    apprise_log = logging.getLogger("apprise")
    if apprise_log.level == logging.NOTSET or apprise_log.level < logging.WARNING:
        apprise_log.setLevel(logging.WARNING)


def send(url: str, title: str, body: str, notify_type: str, timeout: float) -> tuple[bool, str]:
    """One Apprise notification to one URL: (delivered, Apprise's status name)."""
    import apprise  # lazy: it loads every notification plugin, which only a process that sends needs

    _quiet_apprise()
    box = apprise.Apprise(asset=apprise.AppriseAsset(app_id="Critical-incident middleware"))
    if not box.add(url):
        return False, "UNPARSEABLE"
    try:
        # TEXT: ticket text is untrusted; Apprise escapes it for Markdown/mrkdwn destinations.
        result = box.notify(body=body, title=title, notify_type=notify_type,
                            body_format=apprise.NotifyFormat.TEXT, timeout=timeout)
    except Exception as exc:  # a plugin bug must become a retry, not a lost alert
        return False, f"ERROR {type(exc).__name__}"
    return bool(result), result.status.name


def last_attempt() -> bool:
    """True when RQ will not retry this job after a failure (or outside a worker)."""
    job = get_current_job()
    return job is None or not job.retries_left


def _give_up_now() -> None:
    """A failure that no retry can fix: tell RQ not to retry, so the job goes to the failed registry."""
    job = get_current_job()
    if job is not None:
        job.retries_left = 0


def deliver(data: dict[str, Any]) -> str:
    """RQ entry point: deliver one queued alert; returns what happened, for the job result."""
    rt = runtime.get()
    return deliver_with(rt, Delivery.from_dict(data), last_attempt=last_attempt())


def deliver_with(rt: Runtime, d: Delivery, *, last_attempt: bool) -> str:
    """Send unless already sent; mark sent on success; retry or record the failure otherwise.
    An ordered delivery first waits for the earlier alerts to its destination."""
    lane = alert_order.dest_lane(fingerprint(d.url)) if d.order is not None else None
    if lane is not None and alert_order.turn(rt, lane, d.key) == alert_order.WAIT:
        return f"waiting for an earlier alert to the same destination: {d.describe()}"
    try:
        outcome = _deliver(rt, d, last_attempt=last_attempt)
    except DeliveryBusy:
        raise  # the other run holds the turn and leaves the line
    except DeliveryFailed:
        if lane is not None:
            if last_attempt or _given_up():
                alert_order.leave(rt, lane, d.key)  # for good: the next alert may go
            else:
                alert_order.renew(rt, lane, d.key)  # a retry keeps the turn: nothing overtakes it
        raise
    if lane is not None:
        alert_order.leave(rt, lane, d.key)
    return outcome


def _given_up() -> bool:
    job = get_current_job()
    return job is not None and not job.retries_left


def _deliver(rt: Runtime, d: Delivery, *, last_attempt: bool) -> str:
    settings = rt.config.alerting.alerts
    sent_key = rt.keys("alert", "sent", d.key)
    if rt.redis.exists(sent_key):
        count(rt, "duplicate")
        return f"already sent: {d.describe()}"
    lock = rt.redis.lock(rt.keys("alert", "sending", d.key),
                         timeout=settings.send_timeout_seconds + LOCK_MARGIN_SECONDS, blocking=False)
    if not lock.acquire():
        count(rt, "busy")
        raise DeliveryBusy(f"another run is sending {d.describe()}")
    try:
        if rt.redis.exists(sent_key):  # sent by the run that held the lock just before us
            count(rt, "duplicate")
            return f"already sent: {d.describe()}"
        ok, status = send(d.url, d.title, d.body, d.notify_type, settings.send_timeout_seconds)
        if ok:
            rt.redis.set(sent_key, format_time(rt.clock()) or "1", ex=int(settings.sent_ttl.total_seconds()))
            _record_sent(rt, d)
            return f"sent: {d.describe()}"
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("send lock for %s expired before the send finished", d.describe())
    permanent = status == "UNPARSEABLE"
    if permanent or last_attempt:
        _record_failure(rt, d, status)
        if permanent:
            _give_up_now()
    else:
        count(rt, "retried")
        rt.incidents.add_event(d.incident_id, "alert_retrying", rt.clock(),
                               {"event": d.event, "occurrence": d.occurrence, "roles": list(d.roles),
                                "destination": d.label, "status": status}, dedupe_key=f"alert_retrying:{d.key}")
        log.info("%s failed (%s); RQ will retry", d.describe(), status)
    raise DeliveryFailed(f"{d.describe()}: Apprise status {status}")


def _record_sent(rt: Runtime, d: Delivery) -> None:
    count(rt, "sent")
    rt.incidents.add_event(d.incident_id, "alert_sent", rt.clock(),
                           {"event": d.event, "occurrence": d.occurrence, "roles": list(d.roles),
                            "destination": d.label}, dedupe_key=f"alert_sent:{d.key}")
    log.info("sent %s", d.describe())


def _record_failure(rt: Runtime, d: Delivery, status: str) -> None:
    """A permanent failure: visible in the log, the metrics and the incident's timeline."""
    count(rt, "failed")
    rt.incidents.add_event(d.incident_id, "alert_failed", rt.clock(),
                           {"event": d.event, "occurrence": d.occurrence, "roles": list(d.roles),
                            "destination": d.label, "status": status}, dedupe_key=f"alert_failed:{d.key}")
    log.warning("gave up on %s (Apprise status %s); the job is kept in the failed registry", d.describe(), status)
