"""What is going on right now: ``/api/incidents`` (JSON), ``/dashboard`` (HTML), ``/metrics``.

The web process only reads Redis here (incident records, SLA clocks, RQ registries, counters
the workers keep), so any gunicorn worker answers with the same figures and nothing here ever
calls Zendesk. ``/api/incidents`` and ``/dashboard`` show ticket subjects, so they need
``ADMIN_TOKEN`` (``Authorization: Bearer …``, or the browser's Basic-auth prompt with the token
as password); ``/metrics`` carries counts only and is open like any Prometheus endpoint.
Security incidents never show their subject here either.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from middleware.store.clocks import ClockStore
from middleware.store.connection import Keys
from middleware.store.incidents import IncidentStore
from middleware.web import dashboard_html as html
from middleware.web.admin_auth import admin_only
from middleware.web.incident_room import RECENT_RESOLVED, Room
from rules.model import format_time

bp = Blueprint("dashboard", __name__)


def _now() -> datetime:
    clock = current_app.extensions.get("cim.clock")
    return clock() if clock else datetime.now(timezone.utc)


def _agent_link(ticket_id: int) -> str:
    env = current_app.extensions["cim.env"]
    config = current_app.extensions["cim.config"]
    base = config.zendesk.agent_url or env.get("ZENDESK_API_URL") or (
        f"https://{env.get('ZENDESK_SUBDOMAIN', 'yourco')}.zendesk.com")
    return f"{base.rstrip('/')}/agent/tickets/{ticket_id}"


def _room() -> Room:
    return Room(current_app.extensions["cim.redis"], current_app.extensions["cim.keys"],
                current_app.extensions["cim.config"], _agent_link, _now())


def _unavailable() -> tuple[Response, int]:
    return jsonify(error="unavailable", message="Redis is unreachable"), 503


def _incident_id(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _listed(room: Room, status: str) -> list[dict[str, Any]]:
    ids = room.store.open_ids() if status == "open" else room.store.all_ids()
    views = [room.row(r) for r in room.records(ids)]
    return sorted(views, key=lambda v: v["declared_at"] or "", reverse=True)


@bp.get("/api/incidents")
@admin_only
def api_incidents():  # type: ignore[no-untyped-def]
    status = request.args.get("status", "open")
    if status not in ("open", "all"):
        return jsonify(error="invalid_parameter", message="status must be 'open' or 'all'"), 400
    try:
        incidents = _listed(_room(), status)
    except RedisError:
        return _unavailable()
    return jsonify(incidents=incidents, count=len(incidents), as_of=format_time(_now()))


def _detail(raw_id: str) -> tuple[dict[str, Any] | None, tuple[Response, int] | None]:
    """The incident's full view, or the JSON error to answer (400 bad id, 404 unknown)."""
    incident_id = _incident_id(raw_id)
    if incident_id is None:
        return None, (jsonify(error="invalid_parameter", message="the incident id is a ticket number, e.g. 123"), 400)
    room = _room()
    record = room.record(incident_id)
    if record is None:
        return None, (jsonify(error="not_found", message=f"no critical incident {incident_id} is recorded"), 404)
    tasks, as_of = room.tasks()
    view = room.detail(record, tasks, as_of)
    view["as_of"] = format_time(room.now)
    return view, None


def _detail_or_error(raw_id: str) -> tuple[dict[str, Any] | None, Any]:
    """One incident's view, else the response to answer instead (a bad id, unknown, no Redis)."""
    try:
        return _detail(raw_id)
    except RedisError:
        return None, _unavailable()


@bp.get("/api/incidents/<raw_id>")
@admin_only
def api_incident(raw_id: str):  # type: ignore[no-untyped-def]
    view, error = _detail_or_error(raw_id)
    return error if error else jsonify(view)


@bp.get("/dashboard/incidents/<raw_id>")
@admin_only
def incident_page(raw_id: str):  # type: ignore[no-untyped-def]
    view, error = _detail_or_error(raw_id)
    if error:
        return error
    assert view is not None
    setup = current_app.extensions["cim.config"].alerting.setup()
    return Response(html.incident_page(view, setup), mimetype="text/html")


STATUSES = ("all", "open", "resolved")


def overview(room: Room, status: str, category: str, customer: str) -> dict[str, Any]:
    """Everything ``/dashboard`` shows, filtered; the period figures are never filtered."""
    records = room.history()
    tasks, as_of = room.tasks()
    summary = room.summary(records, tasks)
    summary["tasks_as_of"] = as_of
    views = [room.row(r) for r in records]
    categories = sorted({v["category"] or "uncategorised" for v in views})
    customers = sorted({v["organization"] for v in views if v["organization"] and not v["restricted"]})

    def chosen(v: dict[str, Any]) -> bool:
        return ((not category or (v["category"] or "uncategorised") == category)
                and (not customer or v["organization"] == customer))

    recent = format_time(room.now - RECENT_RESOLVED) or ""
    open_ = sorted((v for v in views if v["status"] == "open" and chosen(v)), key=_urgency)
    resolved = sorted((v for v in views if v["status"] != "open" and chosen(v)
                       and (v["resolved_at"] or v["declared_at"] or "") >= recent),
                      key=lambda v: v["resolved_at"] or v["declared_at"] or "", reverse=True)
    return {"as_of": format_time(room.now), "filters": {"status": status, "category": category, "customer": customer},
            "open": open_ if status in ("all", "open") else [],
            "resolved": resolved if status in ("all", "resolved") else [],
            "summary": summary, "categories": categories, "customers": customers,
            "alert_setup": room.config.alerting.setup()}


def _urgency(view: dict[str, Any]) -> tuple[int, float]:
    """Open incidents most urgent first: a running clock by time left, then the rest by age."""
    sla = view.get("sla") or {}
    if sla.get("running") and sla.get("seconds_left") is not None:
        return 0, sla["seconds_left"]
    return 1, -(view.get("age_seconds") or 0)


@bp.get("/dashboard")
@admin_only
def dashboard():  # type: ignore[no-untyped-def]
    status = request.args.get("status") or "all"
    if status not in STATUSES:
        return jsonify(error="invalid_parameter", message="status must be 'all', 'open' or 'resolved'"), 400
    category, customer = request.args.get("category", "")[:200], request.args.get("customer", "")[:200]
    try:
        data = overview(_room(), status, category, customer)
    except RedisError:
        return _unavailable()
    return Response(html.overview_page(data), mimetype="text/html")


_STATE_COLOURS = {"pending": "#1f6feb", "at_risk": "#d29922", "breached": "#cf222e", "met": "#1a7f37",
                  "cancelled": "#6e7781"}


def _metric_lines() -> list[str]:
    """Prometheus text exposition, computed from Redis at scrape time."""
    redis: Redis = current_app.extensions["cim.redis"]
    keys: Keys = current_app.extensions["cim.keys"]
    lines = [
        "# HELP cim_queue_jobs RQ jobs per queue and state.",
        "# TYPE cim_queue_jobs gauge",
    ]
    for name in keys.queues():
        q = Queue(name, connection=redis)
        for state, count in (("queued", q.count), ("scheduled", q.scheduled_job_registry.count),
                             ("started", q.started_job_registry.count), ("failed", q.failed_job_registry.count)):
            lines.append(f'cim_queue_jobs{{queue="{name}",state="{state}"}} {count}')
    store = IncidentStore(redis, keys)
    lines += ["# HELP cim_incidents_open Critical incidents currently open.", "# TYPE cim_incidents_open gauge",
              f"cim_incidents_open {len(store.open_ids())}"]
    clocks = ClockStore(redis, keys)
    states: dict[str, int] = {}
    for incident_id in store.open_ids():
        clock = clocks.get(incident_id)
        if clock is not None:
            states[clock.state] = states.get(clock.state, 0) + 1
    lines += ["# HELP cim_sla_clocks SLA clocks of open incidents by state.", "# TYPE cim_sla_clocks gauge"]
    lines += [f'cim_sla_clocks{{state="{s}"}} {states.get(s, 0)}' for s in _STATE_COLOURS]
    for metric, key, label, help_ in (
        ("cim_zendesk_calls_total", keys("metrics", "zendesk_calls"), "kind", "Zendesk API calls made by workers."),
        ("cim_alerts_total", keys("metrics", "alerts"), "outcome", "Alert deliveries by outcome."),
    ):
        lines += [f"# HELP {metric} {help_}", f"# TYPE {metric} counter"]
        for field, value in sorted(redis.hgetall(key).items()):
            lines.append(f'{metric}{{{label}="{field.decode()}"}} {int(value)}')
    return lines


@bp.get("/metrics")
def metrics():  # type: ignore[no-untyped-def]
    try:
        body = "\n".join(_metric_lines()) + "\n"
    except RedisError:
        return jsonify(error="unavailable", message="Redis is unreachable"), 503
    return Response(body, mimetype="text/plain; version=0.0.4")
