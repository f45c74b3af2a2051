"""``/api/incidents/<id>/updates``: a status update to the incident's customers, over HTTP.

``POST`` (``ADMIN_TOKEN``, like the rest of ``/api/incidents``) records the update and queues the
job a worker sends it with, exactly as ``python -m middleware incident update`` does: the web
process only writes Redis, never calls Zendesk. Body (JSON): ``message`` (required), ``by``
(required: who asks), ``update_id`` and ``allow_security`` (optional). Answers ``202`` with the
update's id and state (``200`` if this update was asked for already), ``400`` for a bad message,
a missing name or a body that is not JSON, ``403`` when policy refuses (a security incident
without ``allow_security``, an overridden incident), ``404`` for an unknown incident. ``GET``
lists the incident's updates and what happened to each ticket. The incident page's form posts to
``/dashboard/incidents/<id>/update`` instead (:mod:`middleware.web.customer_updates_page`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from redis.exceptions import RedisError

from jobs import customer_updates as updates
from jobs.customer_comms import PolicyError, RequesterError
from middleware.config.customer_updates import MessageError
from middleware.web.admin_auth import admin_only

bp = Blueprint("customer_updates", __name__)

_TRUE = ("1", "true", "yes", "on")


def _now() -> datetime:
    clock = current_app.extensions.get("cim.clock")
    return clock() if clock else datetime.now(UTC)


def _body() -> dict[str, Any] | None:
    """JSON only: another site's page can make a browser post a form here with its saved Basic
    credentials, but not a JSON body (the incident page's form has its own, token-checked route)."""
    if not request.is_json:
        return None
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


@bp.post("/api/incidents/<int:incident_id>/updates")
@admin_only
def post_update(incident_id: int):  # type: ignore[no-untyped-def]
    data = _body()
    if data is None:
        return jsonify(error="invalid_body", message="expected a JSON object (Content-Type: application/json)"), 400
    message, by = data.get("message"), data.get("by")
    if not isinstance(message, str) or not isinstance(by, str):
        return jsonify(error="invalid_body", message="message and by (who asks for the update) are required"), 400
    update_id = data.get("update_id")
    if update_id is not None and not isinstance(update_id, str):
        return jsonify(error="invalid_body", message="update_id must be a string"), 400
    allow = data.get("allow_security", False)
    allow_security = allow is True or (isinstance(allow, str) and allow.lower() in _TRUE)
    ext = current_app.extensions
    try:
        made = updates.request_update(ext["cim.redis"], ext["cim.keys"], ext["cim.config"], incident_id, message, by,
                                      now=_now(), update_id=update_id, allow_security=allow_security)
    except updates.NoSuchIncident as exc:
        return jsonify(error="not_found", message=str(exc)), 404
    except PolicyError as exc:
        return jsonify(error="refused", message=str(exc)), 403
    except RequesterError as exc:
        return jsonify(error="invalid_body", message=str(exc)), 400
    except (MessageError, ValueError) as exc:
        return jsonify(error="invalid_message", message=str(exc)), 400
    except RedisError:
        return jsonify(error="unavailable", message="Redis is unreachable"), 503
    body = {"incident_id": incident_id, "update_id": made.update_id, "by": made.by, "state": made.state,
            "created": made.created, "status_url": f"/api/incidents/{incident_id}/updates"}
    return jsonify(body), 202 if made.created else 200


@bp.get("/api/incidents/<int:incident_id>/updates")
@admin_only
def list_updates(incident_id: int):  # type: ignore[no-untyped-def]
    ext = current_app.extensions
    try:
        listed = updates.updates_of(ext["cim.redis"], ext["cim.keys"], incident_id)
    except RedisError:
        return jsonify(error="unavailable", message="Redis is unreachable"), 503
    return jsonify(incident_id=incident_id, updates=listed, count=len(listed))
