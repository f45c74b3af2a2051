"""``POST /intake/alerts`` and ``POST /intake/reports``: monitoring alerts and staff reports in.

The same contract as the Zendesk webhook (``middleware.web.webhooks``), for the same reasons:
monitoring tools retry on 5xx and give up on 4xx, so this handler

* never calls Zendesk: it authenticates, validates, queues one job per alert or report and
  answers 202 within milliseconds (``jobs.intake`` opens or updates the ticket);
* dedupes and enqueues each item in ONE atomic Redis round trip with the receiver's own
  :class:`~middleware.store.enqueue.EventEnqueuer`, so a 2xx always means "in Redis", and a sender's
  retry of the same notification is answered ``duplicate`` instead of queued twice;
* answers 503 + ``Retry-After`` when Redis cannot take it, so the sender retries;
* answers 4xx with a JSON body naming the problem for anything the sender got wrong.

Authentication is ``Authorization: Bearer $INTAKE_TOKEN``, compared in constant time. With no
``INTAKE_TOKEN`` in the environment the intake is off: every request gets 503 saying so (an
unset secret must never mean "open to anyone").

One log line per request: status, outcome, kind, item count, elapsed ms. Never alert or report
text, never the token.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from rq.job import Job

from middleware.config import Config
from middleware.store import queues
from middleware.store.connection import Keys
from middleware.store.enqueue import EnqueueOutcome, EventEnqueuer
from middleware.web.intake_schemas import InvalidIntake, parse_alerts, parse_report
from middleware.web.redis_gate import RedisGate
from middleware.zendesk import json_guard

__all__ = ["HANDLE_ALERT", "HANDLE_REPORT", "IntakeEnqueuer", "IntakeItem", "bp"]

log = logging.getLogger(__name__)

bp = Blueprint("intake", __name__)

EXTENSION = "cim.intake"
HANDLE_ALERT = queues.HANDLE_ALERT
HANDLE_REPORT = queues.HANDLE_REPORT
_JSON_SEPARATORS = (",", ":")


@dataclass(frozen=True, slots=True)
class IntakeItem:
    """One queued unit of intake work: the job's argument plus the id it is deduped on.

    It has the attributes :class:`EventEnqueuer` reads from a ticket event (``id``,
    ``actor_id``), so the receiver's one-round-trip dedupe-and-enqueue script is reused as is.
    """

    id: str
    kind: str  # "alert" | "report"
    payload: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None


class IntakeEnqueuer(EventEnqueuer):
    """The receiver's enqueuer, building jobs for intake items instead of ticket events."""

    def build_job(self, event: IntakeItem) -> Job:  # type: ignore[override]
        """The RQ job for one item; its description names ids only (no alert or report text)."""
        return self.create_job((event.payload,), event_id=event.id, description=f"{self.func}({event.kind} {event.id})")


class Intake:
    """Everything the handlers need, built once when the blueprint is registered."""

    def __init__(self, *, config: Config, redis: Any, keys: Keys, token: str | None) -> None:
        settings = config.intake
        self.token = token.encode("utf-8") if token else None
        self.retry_after = str(config.webhook.retry_after_seconds)
        self.max_alerts = settings.alerts.max_alerts
        self.allowed_domains = settings.reports.allowed_domains
        self.categories = _known_categories(config)
        self.alerts = IntakeEnqueuer(redis, keys, dedupe_ttl=settings.dedupe_ttl, func=HANDLE_ALERT)
        self.reports = IntakeEnqueuer(redis, keys, dedupe_ttl=settings.dedupe_ttl, func=HANDLE_REPORT)
        self.gate = RedisGate()

    @classmethod
    def from_app(cls, app: Flask) -> Intake:
        ext = app.extensions
        env = ext.get("cim.env") or {}
        token = (env.get("INTAKE_TOKEN") or "").strip() or None
        if token is None:
            log.warning("INTAKE_TOKEN is not set: /intake/alerts and /intake/reports refuse every request")
        return cls(config=ext["cim.config"], redis=ext["cim.redis"], keys=ext["cim.keys"], token=token)

    # -- the checks both endpoints share -----------------------------------------------------
    def refuse(self) -> Response | None:
        """401/503/415/413 before the body is parsed, or None when the request may go on."""
        if self.token is None:
            return _error(503, "intake_disabled",
                          "INTAKE_TOKEN is not set on the server, so the intake refuses every request")
        scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode("utf-8"), self.token):
            response = _error(401, "unauthorized", "Authorization: Bearer <INTAKE_TOKEN> is missing or wrong")
            response.headers["WWW-Authenticate"] = 'Bearer realm="intake"'
            return response
        if not request.is_json:
            return _error(415, "unsupported_media_type", "Content-Type must be application/json")
        return None

    def body(self) -> Any:
        """The parsed JSON body; ``InvalidIntake`` when it is not JSON or nests absurdly deep."""
        raw = request.get_data(cache=False)
        try:
            body = json_guard.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise InvalidIntake("the body is not valid JSON") from exc
        try:
            return json_guard.clean(raw, body)  # lone surrogates replaced; absurd nesting refused
        except json_guard.TooDeep as exc:
            raise InvalidIntake(str(exc)) from exc

    def enqueue(self, enqueuer: IntakeEnqueuer, items: list[IntakeItem]) -> list[str]:
        """Queue each item (one round trip each); RedisError propagates for the 503, at once
        while Redis failed moments ago (``middleware.web.redis_gate``)."""
        if not self.gate.allows():
            raise RedisConnectionError("Redis failed moments ago; not tried again yet")
        try:
            outcomes = [enqueuer.enqueue(item).outcome.value for item in items]  # type: ignore[arg-type]
        except RedisError:
            self.gate.failed()
            raise
        self.gate.succeeded()
        return outcomes

    def unavailable(self) -> Response:
        response = _error(503, "unavailable", "cannot queue right now; retry later")
        response.headers["Retry-After"] = self.retry_after
        return response


def _known_categories(config: Config) -> set[str]:
    """Categories a report may name: the rules' and the writeback's, plus ``staff_report``."""
    known = set(config.writeback.category_tags) | {"staff_report"}
    known |= {r.category for r in getattr(config.rules, "rules", ()) if getattr(r, "category", None)}
    return known


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    state.app.extensions[EXTENSION] = Intake.from_app(state.app)


@bp.post("/intake/alerts")
def intake_alerts() -> Response:
    return _serve("alerts", _alerts)


@bp.post("/intake/reports")
def intake_reports() -> Response:
    return _serve("reports", _reports)


def _serve(kind: str, handle: Callable[[Intake], tuple[Response, str, int]]) -> Response:
    """One intake request: ``handle`` answers it, then its one log line."""
    started = time.perf_counter()
    intake: Intake = current_app.extensions[EXTENSION]
    response, outcome, count = handle(intake)
    _log(kind, response, outcome, count, started)
    return response


def _alerts(intake: Intake) -> tuple[Response, str, int]:
    refused = intake.refuse()
    if refused is not None:
        return refused, "refused", 0
    try:
        alerts = parse_alerts(intake.body(), max_alerts=intake.max_alerts)
    except InvalidIntake as exc:
        return _error(400, "invalid_payload", exc.message, fields=exc.fields or None), "invalid", 0
    items = [IntakeItem(a.delivery_id, "alert", a.to_dict()) for a in alerts]
    try:
        outcomes = intake.enqueue(intake.alerts, items)
    except RedisError as exc:
        return intake.unavailable(), f"unavailable:{type(exc).__name__}", len(items)
    listed = [{"fingerprint": a.fingerprint, "status": a.status, "outcome": o}
              for a, o in zip(alerts, outcomes, strict=True)]
    queued = sum(o == EnqueueOutcome.QUEUED.value for o in outcomes)
    status = "queued" if queued else "duplicate"
    return _json(202 if queued else 200, {"status": status, "alerts": listed}), status, len(items)


def _reports(intake: Intake) -> tuple[Response, str, int]:
    refused = intake.refuse()
    if refused is not None:
        return refused, "refused", 0
    try:
        report = parse_report(intake.body(), categories=intake.categories, allowed_domains=intake.allowed_domains,
                              idempotency_key=(request.headers.get("Idempotency-Key") or "").strip() or None)
    except InvalidIntake as exc:
        return _error(400, "invalid_payload", exc.message, fields=exc.fields or None), "invalid", 0
    item = IntakeItem(report.report_id, "report", report.to_dict())
    try:
        (outcome,) = intake.enqueue(intake.reports, [item])
    except RedisError as exc:
        return intake.unavailable(), f"unavailable:{type(exc).__name__}", 1
    if outcome == EnqueueOutcome.QUEUED.value:
        return _json(202, {"status": "queued", "report_id": report.report_id}), "queued", 1
    return _json(200, {"status": "duplicate", "report_id": report.report_id}), "duplicate", 1


def _log(kind: str, response: Response, outcome: str, count: int, started: float) -> None:
    log.info("intake %s status=%d outcome=%s items=%d ms=%.2f", kind, response.status_code, outcome, count,
             (time.perf_counter() - started) * 1000)


def _json(status: int, payload: dict[str, Any]) -> Response:
    return current_app.response_class(json.dumps(payload, separators=_JSON_SEPARATORS), status=status,
                                      mimetype="application/json")


def _error(status: int, error: str, message: str, *, fields: dict[str, list[str]] | None = None) -> Response:
    payload: dict[str, Any] = {"error": error, "message": message}
    if fields:
        payload["fields"] = fields
    return _json(status, payload)
