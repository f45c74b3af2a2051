"""What is going on right now: ``/api/incidents`` (JSON), ``/dashboard`` (HTML), ``/metrics``.

The web process only reads Redis here (incident records, SLA clocks, RQ registries, counters
the workers keep), so any gunicorn worker answers with the same figures and nothing here ever
calls Zendesk. ``/api/incidents`` and ``/dashboard`` show ticket subjects, so they need
``ADMIN_TOKEN`` (``Authorization: Bearer …``, or the browser's Basic-auth prompt with the token
as password); ``/metrics`` carries counts only and is open like any Prometheus endpoint.
Security incidents never show their subject here either.
"""

from __future__ import annotations

import base64
import hmac
import html
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from jobs.sla_state import ClockStore
from middleware import queues
from middleware.events import format_time
from middleware.incidents import Incident, IncidentStore
from middleware.redis_client import Keys

bp = Blueprint("dashboard", __name__)

WITHHELD = "(withheld: security incident)"


def _authorised() -> tuple[bool, str]:
    token = current_app.extensions["cim.env"].get("ADMIN_TOKEN") or ""
    if not token:
        return False, "ADMIN_TOKEN is not set on the server"
    header = request.headers.get("Authorization", "")
    given = ""
    if header.startswith("Bearer "):
        given = header[7:].strip()
    elif header.startswith("Basic "):
        try:
            given = base64.b64decode(header[6:]).decode("utf-8").partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            given = ""
    if given and hmac.compare_digest(given.encode(), token.encode()):
        return True, ""
    return False, "a valid ADMIN_TOKEN is required (Authorization: Bearer <token>)"


def _refuse(message: str) -> Response:
    response = jsonify(error="unauthorized", message=message)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Basic realm="critical-incident middleware"'
    return response


def _now() -> datetime:
    clock = current_app.extensions.get("cim.clock")
    return clock() if clock else datetime.now(timezone.utc)


def _agent_link(ticket_id: int) -> str:
    env = current_app.extensions["cim.env"]
    config = current_app.extensions["cim.config"]
    base = config.zendesk.agent_url or env.get("ZENDESK_API_URL") or (
        f"https://{env.get('ZENDESK_SUBDOMAIN', 'yourco')}.zendesk.com")
    return f"{base.rstrip('/')}/agent/tickets/{ticket_id}"


def incident_view(incident: Incident, clocks: ClockStore, now: datetime) -> dict[str, Any]:
    """One incident as the API and the dashboard show it."""
    clock = clocks.get(incident.id)
    sla: dict[str, Any] | None = None
    if clock is not None:
        sla = {
            "state": clock.state,
            "started_at": format_time(clock.started_at),
            "due_at": format_time(clock.due_at),
            "seconds_left": round((clock.due_at - now).total_seconds()),
            "responded_at": format_time(clock.responded_at),
            "responded_by": clock.responded_by,
        }
    return {
        "id": incident.id,
        "ticket_id": incident.ticket_id,
        "link": _agent_link(incident.ticket_id),
        "status": incident.status,
        "category": incident.category,
        "subject": WITHHELD if incident.category == "security" else incident.subject,
        "organization_id": incident.organization_id,
        "rules": incident.rules,
        "declared_at": format_time(incident.declared_at),
        "resolved_at": format_time(incident.resolved_at),
        "linked_ticket_ids": incident.extra.get("linked_ticket_ids", []),
        "sla": sla,
    }


def _incidents(status: str) -> list[dict[str, Any]]:
    redis: Redis = current_app.extensions["cim.redis"]
    keys: Keys = current_app.extensions["cim.keys"]
    store = IncidentStore(redis, keys)
    ids = store.open_ids() if status == "open" else store.all_ids()
    now = _now()
    clocks = ClockStore(redis, keys)
    views = [incident_view(i, clocks, now) for i in store.many(ids)]
    return sorted(views, key=lambda v: v["declared_at"] or "", reverse=True)


@bp.get("/api/incidents")
def api_incidents():  # type: ignore[no-untyped-def]
    ok, why = _authorised()
    if not ok:
        return _refuse(why)
    status = request.args.get("status", "open")
    if status not in ("open", "all"):
        return jsonify(error="invalid_parameter", message="status must be 'open' or 'all'"), 400
    try:
        incidents = _incidents(status)
    except RedisError:
        return jsonify(error="unavailable", message="Redis is unreachable"), 503
    return jsonify(incidents=incidents, count=len(incidents), as_of=format_time(_now()))


_STATE_COLOURS = {"pending": "#1f6feb", "at_risk": "#d29922", "breached": "#cf222e", "met": "#1a7f37",
                  "cancelled": "#6e7781"}


def _row(view: dict[str, Any]) -> str:
    sla = view["sla"] or {}
    state = sla.get("state", "—")
    left = sla.get("seconds_left")
    if state in ("pending", "at_risk") and left is not None:
        timing = f"{abs(left) // 60} min {'left' if left >= 0 else 'over'}"
    elif sla.get("responded_at"):
        timing = f"answered {sla['responded_at']}"
    else:
        timing = ""
    colour = _STATE_COLOURS.get(state, "#6e7781")
    return (
        f"<tr><td><a href='{html.escape(view['link'])}'>#{view['ticket_id']}</a></td>"
        f"<td>{html.escape(view['subject'] or '')}</td><td>{html.escape(view['category'] or '')}</td>"
        f"<td>{html.escape(view['declared_at'] or '')}</td>"
        f"<td><b style='color:{colour}'>{html.escape(state)}</b> {html.escape(timing)}</td>"
        f"<td>{html.escape(view['status'])}</td></tr>"
    )


@bp.get("/dashboard")
def dashboard():  # type: ignore[no-untyped-def]
    ok, why = _authorised()
    if not ok:
        return _refuse(why)
    try:
        views = _incidents("all" if request.args.get("status") == "all" else "open")
    except RedisError:
        return jsonify(error="unavailable", message="Redis is unreachable"), 503
    rows = "\n".join(_row(v) for v in views) or "<tr><td colspan=6>No open critical incidents.</td></tr>"
    page = f"""<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="15">
<title>Critical incidents</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #d0d7de;padding:.4rem .6rem;text-align:left}}</style></head>
<body><h1>Critical incidents</h1><p>{len(views)} shown · as of {html.escape(format_time(_now()) or '')} ·
refreshes every 15 s · <a href="?status=all">all</a> · <a href="?">open</a></p>
<table><tr><th>ticket</th><th>subject</th><th>category</th><th>declared</th><th>first-response SLA</th>
<th>incident</th></tr>
{rows}
</table></body></html>"""
    return Response(page, mimetype="text/html")


def _metric_lines() -> list[str]:
    """Prometheus text exposition, computed from Redis at scrape time."""
    redis: Redis = current_app.extensions["cim.redis"]
    keys: Keys = current_app.extensions["cim.keys"]
    lines = [
        "# HELP cim_queue_jobs RQ jobs per queue and state.",
        "# TYPE cim_queue_jobs gauge",
    ]
    for name in queues.ALL:
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
