"""``POST /webhooks/zendesk``: verify, validate, dedupe + enqueue the raw body, answer in ms.

Zendesk waits about 10 s, retries only 409/429/503 (with ``Retry-After`` < 60 s) and
timeouts, drops every other error for good, and trips a circuit breaker after too many
errors (DESIGN.md §5). So this handler:

* never calls Zendesk and does one Redis round trip per accepted event (``middleware.store.enqueue``);
* answers 2xx for everything valid, including events it ignores (non-ticket events, our own
  API user's writes coming back) and redeliveries;
* answers 503 + ``Retry-After`` when Redis cannot take the event, so Zendesk retries; after
  one failure, for a few seconds without even trying (``middleware.web.redis_gate``), so a
  stalled Redis cannot hold answers past Zendesk's ~10 s patience;
* answers 4xx with a JSON body naming the problem for anything a client got wrong, never 500;
* checks size, content type and signature *before* parsing JSON: an unauthenticated body is
  never parsed.

Order of checks: declared size (413) -> content type (415) -> signature headers present (401)
-> timestamp fresh (401) -> read body within the limit (413) -> HMAC (401) -> invocation id
header (400) -> JSON (400) -> schema (400) -> ignore? (200) -> dedupe + enqueue (202/200/503).

What is queued is the verified raw body, not the event: the body is parsed and validated here
(every 400 is answered here, as before) and the ids the answer needs are taken from the
validated dict; the worker builds the ``TicketEvent`` from the same bytes with the same code
(``jobs.pipeline.handle_webhook``). Building and pickling the event was a third of what this
handler cost above the floor of one Redis write (docs/benchmarks.md, sixth round).

Tests make "now" injectable with ``app.extensions["cim.clock"]`` (a callable returning an
aware datetime); the default is the wall clock.

One log line per request: status, outcome, event id, event type, ticket id, elapsed ms.
Never ticket text, signatures or secrets. It is written by ``middleware.logs.HotLine`` (the
configured format, without building a ``LogRecord``), and the request's headers are read from
the WSGI environ: both cost microseconds that every webhook paid (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, Request, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from redis.exceptions import RedisError
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wsgi import get_content_length

from middleware.config import Config
from middleware.logs import HotLine
from middleware.store.connection import Keys
from middleware.store.enqueue import EnqueueOutcome, EventEnqueuer
from middleware.web.redis_gate import RedisGate
from middleware.web.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, Verifier, timestamp_is_fresh
from middleware.zendesk import json_guard
from middleware.zendesk.webhook.normalize import INVOCATION_HEADER, Accepted, Ignored, InvalidPayload, validate

__all__ = ["INVOCATION_HEADER", "Receiver", "bp"]

log = logging.getLogger(__name__)
_log_line = HotLine(log)

bp = Blueprint("webhooks", __name__)

EXTENSION = "cim.webhooks"
CLOCK_EXTENSION = "cim.clock"

# Zendesk invocation ids are ULIDs or digits; the header is not covered by the signature, so
# anything else is refused rather than written into a Redis key.
_INVOCATION_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_JSON_SEPARATORS = (",", ":")
_encode_str = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]  # a str as json.dumps writes it
# Header names as WSGI puts them in the environ (read there: Werkzeug's header view builds the
# same key from the name on every lookup).
_SIGNATURE_KEY = "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")
_TIMESTAMP_KEY = "HTTP_" + TIMESTAMP_HEADER.upper().replace("-", "_")
_INVOCATION_KEY = "HTTP_" + INVOCATION_HEADER.upper().replace("-", "_")
_JSON_MIMETYPES = frozenset({"application/json", "application/json; charset=utf-8", "application/json;charset=utf-8",
                             "application/json; charset=UTF-8"})


@dataclass(slots=True)
class _Outcome:
    """What the log line says about one request (ids only)."""

    outcome: str
    event_id: str | None = None
    event_type: str | None = None
    ticket_id: int | None = None


class Receiver:
    """Everything the handler needs, read once from the app at start-up (no per-request
    config lookups or schema construction)."""

    def __init__(
        self,
        *,
        config: Config,
        redis: Any,
        keys: Keys,
        secrets: tuple[str, ...],
        response_class: type[Response] = Response,
    ) -> None:
        self.secrets = tuple(secrets)
        self.verify = Verifier(self.secrets)  # the secrets' HMAC keys set up once
        self.tolerance = config.webhook.timestamp_tolerance
        self.max_body = config.webhook.max_body_bytes
        self.retry_after = str(config.webhook.retry_after_seconds)
        self.api_user_id: int | None = config.zendesk.api_user_id
        self.enqueuer = EventEnqueuer(redis, keys, dedupe_ttl=config.webhook.dedupe_ttl)
        self.gate = RedisGate()  # after a Redis failure, 503 at once for a few seconds
        self.response_class = response_class

    @classmethod
    def from_app(cls, app: Flask) -> Receiver:
        ext = app.extensions
        return cls(
            config=ext["cim.config"],
            redis=ext["cim.redis"],
            keys=ext["cim.keys"],
            secrets=ext.get("cim.webhook_secrets", ()),
            response_class=app.response_class,
        )

    def handle(self, req: Request, now: datetime) -> tuple[Response, _Outcome]:
        """The whole check-and-queue path for ``req`` (the current request)."""
        environ = req.environ
        # 1. Size and content type, from headers alone.
        declared = _content_length(environ)  # what ``req.content_length`` says, read from the environ
        if declared is not None and declared > self.max_body:
            return _too_large(self.max_body), _Outcome("rejected:too_large")
        if environ.get("CONTENT_TYPE") not in _JSON_MIMETYPES and not req.is_json:  # the usual spellings, else Werkzeug
            return (
                _error(415, "unsupported_media_type", "Content-Type must be application/json"),
                _Outcome("rejected:content_type"),
            )

        # 2. Signature headers and timestamp, before touching the body.
        signature = environ.get(_SIGNATURE_KEY)
        timestamp = environ.get(_TIMESTAMP_KEY)
        if not signature or not timestamp:
            return (
                _error(401, "missing_signature", f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} are required"),
                _Outcome("rejected:missing_signature"),
            )
        if not _is_fresh(timestamp, now, self.tolerance):
            return (
                _error(401, "stale_timestamp", f"{TIMESTAMP_HEADER} is missing, malformed or too far from now"),
                _Outcome("rejected:stale_timestamp"),
            )

        # 3. The raw body, within the limit even without Content-Length (chunked uploads).
        try:
            raw = self._read_body(req, declared)
        except RequestEntityTooLarge:
            return _too_large(self.max_body), _Outcome("rejected:too_large")
        except ClientDisconnected:
            return _error(400, "incomplete_body", "the request body ended early"), _Outcome("rejected:incomplete")

        # 4. HMAC over timestamp + raw bytes, against every current secret (rotation).
        if not self.verify or not self.verify(timestamp, raw, signature):
            return (
                _error(401, "invalid_signature", f"{SIGNATURE_HEADER} does not match the body"),
                _Outcome("rejected:invalid_signature"),
            )

        # 5. Authenticated from here on: parse and validate.
        invocation_id = environ.get(_INVOCATION_KEY) or None
        if invocation_id is not None and not _INVOCATION_ID.fullmatch(invocation_id):
            return (
                _error(400, "invalid_invocation_id", f"{INVOCATION_HEADER} is malformed"),
                _Outcome("rejected:invocation_id"),
            )
        try:
            body = json_guard.loads(raw)
        except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, absurd nesting
            return _error(400, "malformed_json", "the body is not valid JSON"), _Outcome("rejected:malformed_json")
        try:
            body = json_guard.clean(raw, body)  # lone surrogates replaced; absurd nesting refused
        except json_guard.TooDeep as exc:
            return _error(400, "too_deep", str(exc)), _Outcome("rejected:too_deep")
        try:
            result = validate(body, invocation_id=invocation_id, raw=raw)
        except InvalidPayload as exc:
            return (
                _error(400, "invalid_payload", exc.message, fields=exc.fields),
                _Outcome("rejected:invalid_payload"),
            )
        if isinstance(result, Ignored):
            return (
                _json(200, {"status": "ignored", "reason": result.reason, "event_id": result.event_id}),
                _Outcome(f"ignored:{result.reason}", result.event_id, result.type),
            )
        return self._enqueue(result, raw, invocation_id)

    def _unavailable(self) -> Response:
        response = _error(503, "unavailable", "cannot queue the event right now; retry later")
        response.headers["Retry-After"] = self.retry_after
        return response

    def _read_body(self, req: Request, declared: int | None) -> bytes:
        """The raw body, or ``RequestEntityTooLarge`` past ``max_body_bytes``.

        With a Content-Length (already checked against the limit) exactly that many bytes are
        read from the server's input, as Werkzeug's limited stream would, without its wrapper
        (about 7 µs a request): fewer means the client went away (``ClientDisconnected``, as
        Werkzeug says it). Without one (chunked upload; gunicorn sets ``wsgi.input_terminated``)
        Werkzeug's stream stops *silently* at the limit, so one more byte is read from the raw
        input to tell "exactly at the limit" from "too large", instead of checking a truncated body.
        """
        if declared is not None:
            raw = req.environ["wsgi.input"].read(declared) if declared else b""
            if len(raw) < declared:
                raise ClientDisconnected()
            return raw  # type: ignore[no-any-return]
        raw = req.stream.read()
        if len(raw) >= self.max_body:
            try:
                more = req.input_stream.read(1)
            except (OSError, ValueError):
                more = b""
            if more or len(raw) > self.max_body:
                raise RequestEntityTooLarge()
        return raw

    def _enqueue(self, event: Accepted, raw: bytes, invocation_id: str | None) -> tuple[Response, _Outcome]:
        seen = _Outcome("", event.id, event.type, event.ticket_id)
        known_api_user = self.api_user_id
        if known_api_user is not None and event.actor_id == known_api_user:
            return _ignored_own_write(event), _with(seen, "ignored:own_api_user")
        if not self.gate.allows():  # Redis failed moments ago: do not wait on it again
            return self._unavailable(), _with(seen, "unavailable:recent_failure")
        try:
            result = self.enqueuer.enqueue_raw(
                raw, event, invocation_id=invocation_id, check_api_user=known_api_user is None
            )
        except RedisError as exc:
            self.gate.failed()
            return self._unavailable(), _with(seen, f"unavailable:{type(exc).__name__}")
        self.gate.succeeded()
        if known_api_user is None and result.api_user_id is not None:
            self.api_user_id = result.api_user_id  # found once in Redis; kept for the process
        if result.outcome is EnqueueOutcome.OWN_API_USER:
            return _ignored_own_write(event), _with(seen, "ignored:own_api_user")
        if result.outcome is EnqueueOutcome.DUPLICATE:
            return _json(200, {"status": "duplicate", "event_id": event.id}), _with(seen, "duplicate")
        return self._queued(event.id, result.job_id), _with(seen, "queued")

    def _queued(self, event_id: str, job_id: str) -> Response:
        """The 202, the body written as ``json.dumps`` would write it (the answer to nearly
        every webhook: no dict, no encoder, no app lookup)."""
        body = f'{{"status":"queued","event_id":{_encode_str(event_id)},"job_id":{_encode_str(job_id)}}}'
        return self.response_class(body, status=202, content_type="application/json")


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    """Build the receiver when the app registers the blueprint: app.py has put config, Redis,
    keys and secrets on ``app.extensions`` by then."""
    state.app.extensions[EXTENSION] = Receiver.from_app(state.app)


@bp.post("/webhooks/zendesk")
def zendesk_webhook() -> Response:
    started = time.perf_counter()
    extensions = current_app.extensions
    receiver: Receiver = extensions[EXTENSION]
    clock: Callable[[], datetime] | None = extensions.get(CLOCK_EXTENSION)
    now = clock() if clock is not None else datetime.now(UTC)
    response, seen = receiver.handle(request._get_current_object(), now)  # type: ignore[attr-defined]
    ticket_id = seen.ticket_id
    _log_line(
        f"zendesk webhook status={response.status_code} outcome={seen.outcome} event_id={seen.event_id or '-'} "
        f"type={seen.event_type or '-'} ticket_id={'-' if ticket_id is None else ticket_id} "
        f"ms={(time.perf_counter() - started) * 1000:.2f}"
    )
    return response


def _content_length(environ: dict[str, Any]) -> int | None:
    """Werkzeug's ``get_content_length(environ)``; a plain Content-Length of ASCII digits (and no
    Transfer-Encoding) read without its header parsing and pattern, the rest asked of Werkzeug."""
    length = environ.get("CONTENT_LENGTH")
    if "HTTP_TRANSFER_ENCODING" not in environ and type(length) is str and length.isdigit() and length.isascii():
        return int(length)
    return get_content_length(environ)


def _is_fresh(timestamp: str, now: datetime, tolerance: timedelta) -> bool:
    """``timestamp_is_fresh``, but a timestamp at the edge of the calendar
    (``0001-01-01T00:00:00+05:00``) is refused instead of raising ``OverflowError`` (a 500)."""
    try:
        return timestamp_is_fresh(timestamp, now, tolerance)
    except OverflowError:
        return False


def _with(seen: _Outcome, outcome: str) -> _Outcome:
    seen.outcome = outcome
    return seen


def _json(status: int, payload: dict[str, Any]) -> Response:
    """A compact JSON response (faster than ``jsonify``, which consults app settings)."""
    return current_app.response_class(
        json.dumps(payload, separators=_JSON_SEPARATORS), status=status, mimetype="application/json"
    )


def _error(status: int, error: str, message: str, *, fields: dict[str, list[str]] | None = None) -> Response:
    payload: dict[str, Any] = {"error": error, "message": message}
    if fields is not None:
        payload["fields"] = fields
    return _json(status, payload)


def _too_large(limit: int) -> Response:
    return _error(413, "payload_too_large", f"the body is larger than {limit} bytes")


def _ignored_own_write(event: Accepted) -> Response:
    return _json(200, {"status": "ignored", "reason": "own_api_user", "event_id": event.id})
