"""Liveness and readiness: ``/healthz`` says the process is up, ``/readyz`` that it can work."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from redis.exceptions import RedisError

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    """Ready when Redis answers (config was already checked at start-up, or we would not run)."""
    try:
        current_app.extensions["cim.redis"].ping()
    except RedisError as exc:
        return jsonify(status="unavailable", redis=f"unreachable: {type(exc).__name__}"), 503
    return jsonify(status="ok", redis="ok", config=current_app.extensions["cim.config"].path)
