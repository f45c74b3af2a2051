"""The REST API's plumbing, shared by every resource's endpoints: the blueprint, authentication,
fault injection and the request log around every call, Zendesk's JSON rendering and pagination.

Every call must be authenticated (Basic ``email/token:TOKEN``, ``email:password`` or Bearer);
any non-empty credential is accepted and mapped to a user, auto-created as an admin, so writes
have an author and their events an ``actor_id`` = the API user, exactly what the middleware
uses to ignore its own writes. Each call then passes the rate limit and fault rules, and is
recorded in the request log.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, request

from middleware.local.simulator.core import Simulator
from middleware.local.simulator.store.errors import ApiError, bad_request, not_found
from middleware.local.simulator.store.tickets import WriteResult

bp = Blueprint("zendesk_api", __name__, url_prefix="/api/v2")

JSON_TYPE = "application/json; charset=utf-8"
UNAUTHENTICATED = {"error": "Couldn't authenticate you"}


def sim() -> Simulator:
    simulator: Simulator = current_app.extensions["zendesk_simulator"]
    return simulator


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON without Flask's key sorting or pretty printing: cheap, and Zendesk-like."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, content_type=JSON_TYPE, headers=headers)


def error_response(exc: ApiError) -> Response:
    return json_response(exc.body, exc.status, exc.headers)


def body_json() -> dict[str, Any]:
    """The request's JSON object; bad JSON is a 400 like Zendesk's."""
    if not request.data:
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise bad_request("InvalidJSON", "The request body is not a JSON object")
    return data


def record_in(key: str) -> dict[str, Any]:
    """The one record a write sends (``{"ticket": {...}}``); missing, it is a 400 like Zendesk's."""
    data = body_json().get(key)
    if not isinstance(data, dict):
        raise bad_request("InvalidValue", f"{key} is required")
    return data


def base_url() -> str:
    return request.host_url.rstrip("/")


def route(rule: str, methods: list[str]) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register ``rule`` with and without the ``.json`` suffix (Zendesk accepts both)."""

    def wrap(fn: Callable[..., Response]) -> Callable[..., Response]:
        bp.add_url_rule(rule + ".json", view_func=fn, methods=methods)
        bp.add_url_rule(rule, endpoint=fn.__name__ + "_nojson", view_func=fn, methods=methods)
        return fn

    return wrap


# -- auth, faults, request log -------------------------------------------------------------------
def _identity(header: str) -> tuple[str, str | None] | None:
    """(credential identity, email or None) from an Authorization header; None if missing."""
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if not value:
        return None
    if scheme.lower() == "bearer":
        return "bearer:" + value, None
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, secret = decoded.partition(":")
    if not user or not secret:
        return None
    email = user[: -len("/token")] if user.endswith("/token") else user
    return "basic:" + email.lower(), email


@bp.before_request
def _before() -> Response | None:
    g.started = time.monotonic()
    g.user = None
    s = sim()
    found = _identity(request.headers.get("Authorization", ""))
    if found is None:
        return json_response(UNAUTHENTICATED, 401, {"WWW-Authenticate": 'Basic realm="Web Password"'})
    g.user = s.store.users.authenticate(*found)
    body = request.get_json(silent=True) if request.method == "PUT" else None  # a bulk update's tickets
    delay, error, headers = s.faults.check(request.method, request.path, body,
                                           g.user["id"] if g.user else None)
    g.rate_headers = headers
    if delay:
        time.sleep(delay)
    if error is not None:
        return error_response(error)
    return None


@bp.after_request
def _after(response: Response) -> Response:
    lost = sim().faults.check_after(request.method, request.path, response.status_code)
    if lost is not None:
        response = error_response(lost)
    for key, value in (getattr(g, "rate_headers", None) or {}).items():
        response.headers.setdefault(key, value)
    user = g.get("user")
    sim().requests.record(
        {
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode("latin-1"),
            "status": response.status_code,
            "user_id": user["id"] if user else None,
            "user_email": user["email"] if user else None,
            "time": time.time(),
            "duration_ms": round((time.monotonic() - g.get("started", time.monotonic())) * 1000, 2),
        }
    )
    return response


def actor() -> int:
    user: dict[str, Any] = g.user
    return int(user["id"])


def committed(write: WriteResult) -> WriteResult:
    sim().publish(write)
    return write


# -- rendering -------------------------------------------------------------------------------------
def ticket_out(t: dict[str, Any]) -> dict[str, Any]:
    return {**t, "url": f"{base_url()}/api/v2/tickets/{t['id']}.json", "fields": t["custom_fields"]}


def user_out(u: dict[str, Any]) -> dict[str, Any]:
    return {**u, "url": f"{base_url()}/api/v2/users/{u['id']}.json"}


def org_out(o: dict[str, Any]) -> dict[str, Any]:
    return {**o, "url": f"{base_url()}/api/v2/organizations/{o['id']}.json"}


def group_out(gr: dict[str, Any]) -> dict[str, Any]:
    return {**gr, "url": f"{base_url()}/api/v2/groups/{gr['id']}.json"}


def write_out(write: WriteResult) -> dict[str, Any]:
    audit = write.audit or {
        "id": None,
        "ticket_id": write.ticket["id"],
        "created_at": write.ticket["updated_at"],
        "author_id": actor(),
        "metadata": {"system": {}, "custom": {}},
        "via": write.ticket["via"],
        "events": [],
    }
    return {"ticket": ticket_out(write.ticket), "audit": audit}


def _query_with(size: int, after: str | None) -> str:
    """The request's own query (filters such as ``role[]`` kept, as Zendesk's links keep them)
    with the cursor moved on."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if not k.startswith("page[")]
    return urlencode([*kept, ("page[size]", str(size)), ("page[after]", after or "")])


def paginate(items: list[Any], key: str, render: Callable[[Any], Any] = lambda x: x) -> dict[str, Any]:
    """Cursor pagination when ``page[size]`` is given (zenpy asks for it), else offset."""
    url = base_url() + request.path
    size_arg = request.args.get("page[size]")
    if size_arg is not None:
        size = max(1, min(int(size_arg), 100))
        start = 0
        after = request.args.get("page[after]")
        if after:
            try:
                start = int(base64.urlsafe_b64decode(after + "==").decode())
            except (ValueError, binascii.Error) as exc:
                raise bad_request("InvalidPaginationParameter", "page[after] is invalid") from exc
        chunk = items[start : start + size]
        more = start + size < len(items)
        token = base64.urlsafe_b64encode(str(start + size).encode()).decode().rstrip("=") if more else None
        return {
            key: [render(i) for i in chunk],
            "meta": {"has_more": more, "after_cursor": token, "before_cursor": None},
            "links": {"next": f"{url}?{_query_with(size=size, after=token)}" if more else None, "prev": None},
        }
    per_page = max(1, min(int(request.args.get("per_page", 100)), 100))
    page = max(1, int(request.args.get("page", 1)))
    chunk = items[(page - 1) * per_page : page * per_page]
    more = page * per_page < len(items)
    return {
        key: [render(i) for i in chunk],
        "next_page": f"{url}?page={page + 1}&per_page={per_page}" if more else None,
        "previous_page": f"{url}?page={page - 1}&per_page={per_page}" if page > 1 else None,
        "count": len(items),
    }


def ids_arg() -> list[int]:
    raw = request.args.get("ids", "")
    try:
        return [int(x) for x in raw.split(",") if x.strip()]
    except ValueError as exc:
        raise bad_request("InvalidValue", "ids must be a comma-separated list of ids") from exc


def register_errors(app: Any) -> None:
    """Zendesk-shaped JSON for errors raised anywhere in the simulator."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc)

    @app.errorhandler(404)
    def _not_found(_exc: Exception) -> Response:
        if request.path.startswith("/api/v2"):
            return json_response({"error": "InvalidEndpoint", "description": "Not found"}, 404)
        return error_response(not_found())

    @app.errorhandler(405)
    def _not_allowed(_exc: Exception) -> Response:
        return json_response({"error": "MethodNotAllowed", "description": f"{request.method} is not allowed"}, 405)

    @app.errorhandler(ValueError)
    def _value_error(exc: ValueError) -> Response:
        return json_response({"error": "InvalidValue", "description": str(exc)}, 400)
