"""``/api/v2``: the slice of Zendesk's REST API the middleware uses, in Zendesk's JSON shapes.

Every call must be authenticated (Basic ``email/token:TOKEN``, ``email:password`` or Bearer);
any non-empty credential is accepted and mapped to a user, auto-created as an admin, so writes
have an author and their events an ``actor_id`` = the API user, exactly what the middleware
uses to ignore its own writes. Each call then passes the rate limit and fault rules, and is
recorded in the request log.

Responses follow what zenpy 2.0.57 parses: ``{"ticket": ..., "audit": ...}`` for ticket writes,
``{"job_status": ...}`` for bulk updates, ``{"tags": [...]}`` for tag calls, offset pagination
(``next_page``) or cursor pagination (``meta.has_more``/``links.next``) when ``page[size]`` is
asked for, and ``after_cursor``/``after_url``/``end_of_stream`` for the incremental export.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, request

from middleware.local.simulator.core import Simulator
from middleware.local.simulator.store.errors import ApiError, bad_request, not_found
from middleware.local.simulator.store.formats import STATUSES, split_tags
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


# -- tickets --------------------------------------------------------------------------------------
@route("/tickets", ["GET", "POST"])
def tickets() -> Response:
    s = sim()
    if request.method == "GET":
        listed = sorted(s.store.tickets.list_all(), key=lambda t: t["id"])
        external_id = request.args.get("external_id")
        if external_id is not None:  # Zendesk's "List Tickets" filter; external ids need not be unique
            listed = [t for t in listed if t.get("external_id") == external_id]
        return json_response(paginate(listed, "tickets", ticket_out))
    data = record_in("ticket")
    write = committed(s.store.tickets.create(actor(), data, via_channel="api"))
    return json_response(write_out(write), 201, {"Location": f"{base_url()}/api/v2/tickets/{write.ticket['id']}.json"})


@route("/tickets/show_many", ["GET"])
def tickets_show_many() -> Response:
    return json_response({"tickets": [ticket_out(t) for t in sim().store.tickets.by_ids(ids_arg())]})


@route("/tickets/update_many", ["PUT"])
def tickets_update_many() -> Response:
    s = sim()
    data = body_json()
    if isinstance(data.get("tickets"), list):
        items = [(int(t["id"]), {k: v for k, v in t.items() if k != "id"}) for t in data["tickets"] if "id" in t]
    elif isinstance(data.get("ticket"), dict):
        items = [(tid, data["ticket"]) for tid in ids_arg()]
    else:
        raise bad_request("InvalidValue", "ticket (with ids=) or tickets is required")
    job, writes = s.store.jobs.bulk_update(actor(), items, base_url())
    s.publish(*writes)
    return json_response({"job_status": job})


@route("/tickets/create_many", ["POST"])
def tickets_create_many() -> Response:
    """Up to 100 tickets in one call, reported as a job (results carry each new ticket's id)."""
    s = sim()
    data = body_json().get("tickets")
    if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
        raise bad_request("InvalidValue", "tickets must be a list of tickets")
    job, writes = s.store.jobs.bulk_create(actor(), data, base_url())
    s.publish(*writes)
    return json_response({"job_status": job})


@route("/tickets/<int:ticket_id>", ["GET", "PUT"])
def ticket(ticket_id: int) -> Response:
    s = sim()
    if request.method == "GET":
        return json_response({"ticket": ticket_out(s.store.tickets.get(ticket_id))})
    data = record_in("ticket")
    return json_response(write_out(committed(s.store.tickets.update(actor(), ticket_id, data))))


@route("/tickets/<int:ticket_id>/tags", ["GET", "PUT", "POST", "DELETE"])
def ticket_tags(ticket_id: int) -> Response:
    s = sim()
    if request.method == "GET":
        return json_response({"tags": list(s.store.tickets.get(ticket_id)["tags"])})
    data = body_json()
    mode = {"PUT": "add", "POST": "set", "DELETE": "remove"}[request.method]
    write = committed(s.store.tickets.modify_tags(actor(), ticket_id, mode, split_tags(data.get("tags")), data))
    return json_response({"tags": list(write.ticket["tags"])})


@route("/tickets/<int:ticket_id>/comments", ["GET"])
def ticket_comments(ticket_id: int) -> Response:
    comments = sim().store.audits.comments_of(ticket_id)
    if request.args.get("sort_order") == "desc":
        comments = comments[::-1]
    return json_response(paginate(comments, "comments"))


@route("/tickets/<int:ticket_id>/audits", ["GET"])
def ticket_audits(ticket_id: int) -> Response:
    return json_response(paginate(sim().store.audits.audits_of(ticket_id), "audits"))


@route("/tickets/<int:ticket_id>/incidents", ["GET"])
def ticket_incidents(ticket_id: int) -> Response:
    s = sim()
    s.store.tickets.get(ticket_id)
    linked = sorted((t for t in s.store.tickets.list_all() if t["problem_id"] == ticket_id), key=lambda t: t["id"])
    return json_response(paginate(linked, "tickets", ticket_out))


@route("/job_statuses/<job_id>", ["GET"])
def job_status(job_id: str) -> Response:
    return json_response({"job_status": sim().store.jobs.get(job_id)})


@route("/incremental/tickets/cursor", ["GET"])
def incremental_tickets() -> Response:
    args = request.args
    cursor = args.get("cursor")
    start = args.get("start_time")
    try:
        start_time = int(start) if start is not None and not cursor else None
        per_page = int(args.get("per_page", 1000))
    except ValueError as exc:
        raise bad_request("InvalidValue", "start_time and per_page must be integers") from exc
    page = sim().store.export.page(start_time, cursor, per_page)
    after_url = f"{base_url()}/api/v2/incremental/tickets/cursor.json?cursor={page['after_cursor']}"
    if "per_page" in args:
        after_url += f"&per_page={per_page}"
    return json_response(
        {
            "tickets": [ticket_out(t) for t in page["tickets"]],
            "after_cursor": page["after_cursor"],
            "after_url": after_url,
            "before_cursor": None,
            "before_url": None,
            "end_of_stream": page["end_of_stream"],
        }
    )


# -- users -----------------------------------------------------------------------------------------
@route("/users/me", ["GET"])
def users_me() -> Response:
    return json_response({"user": user_out(g.user)})


@route("/users", ["GET", "POST"])
def users() -> Response:
    s = sim()
    if request.method == "GET":
        everyone = s.store.users.list_all()
        # Zendesk takes ``role=agent`` or ``role[]=agent&role[]=admin`` (zenpy sends the latter).
        roles = set(request.args.getlist("role") + request.args.getlist("role[]"))
        return json_response(paginate([u for u in everyone if not roles or u["role"] in roles], "users", user_out))
    data = record_in("user")
    return json_response({"user": user_out(s.store.users.create(data))}, 201)


@route("/users/create_or_update", ["POST"])
def users_create_or_update() -> Response:
    data = record_in("user")
    user, created = sim().store.users.create_or_update(data)
    return json_response({"user": user_out(user)}, 201 if created else 200)


@route("/users/search", ["GET"])
def users_search() -> Response:
    store = sim().store
    if request.args.get("external_id"):
        found = store.users.search("external_id:" + request.args["external_id"])
    else:
        found = store.users.search(request.args.get("query", ""))
    return json_response(
        {"users": [user_out(u) for u in found], "next_page": None, "previous_page": None, "count": len(found)}
    )


@route("/users/show_many", ["GET"])
def users_show_many() -> Response:
    return json_response({"users": [user_out(u) for u in sim().store.users.by_ids(ids_arg())]})


@route("/users/<int:user_id>", ["GET"])
def user(user_id: int) -> Response:
    return json_response({"user": user_out(sim().store.users.get(user_id))})


# -- organisations and groups -------------------------------------------------------------------------
@route("/organizations", ["GET", "POST"])
def organizations() -> Response:
    s = sim()
    if request.method == "GET":
        return json_response(
            paginate(sorted(s.store.organizations.list_all(), key=lambda o: o["id"]), "organizations", org_out)
        )
    data = record_in("organization")
    return json_response({"organization": org_out(s.store.organizations.create(data))}, 201)


@route("/organizations/show_many", ["GET"])
def organizations_show_many() -> Response:
    store = sim().store
    found = []
    for oid in ids_arg():
        try:
            found.append(org_out(store.organizations.get(oid)))
        except ApiError:
            continue
    return json_response({"organizations": found})


@route("/organizations/<int:org_id>", ["GET", "PUT"])
def organization(org_id: int) -> Response:
    s = sim()
    if request.method == "GET":
        return json_response({"organization": org_out(s.store.organizations.get(org_id))})
    data = record_in("organization")
    return json_response({"organization": org_out(s.store.organizations.update(org_id, data))})


@route("/groups", ["GET"])
def groups() -> Response:
    return json_response(paginate(sorted(sim().store.groups.list_all(), key=lambda gr: gr["id"]), "groups", group_out))


@route("/groups/<int:group_id>", ["GET"])
def group(group_id: int) -> Response:
    return json_response({"group": group_out(sim().store.groups.get(group_id))})


# -- search (a small subset: enough to look people and tickets up) -------------------------------------
@route("/search", ["GET"])
def search() -> Response:
    """``type:user email:x`` / ``type:ticket status:open tags:x organization:ID`` and free text."""
    store = sim().store
    terms: dict[str, list[str]] = {}
    words: list[str] = []
    statuses: list[tuple[str, str]] = []  # ("<", "solved") for Zendesk's ``status<solved``
    for token in request.args.get("query", "").split():
        compare = _STATUS_COMPARE.match(token.lower())
        if compare and compare.group(2) in STATUSES:
            statuses.append((compare.group(1), compare.group(2)))
            continue
        key, sep, value = token.partition(":")
        if sep and value:
            terms.setdefault(key.lower(), []).append(value.strip('"').lower())
        else:
            words.append(token.lower())
    kind = (terms.pop("type", ["ticket"]) or ["ticket"])[0]
    results: list[dict[str, Any]] = []
    if kind == "user":
        for u in store.users.list_all():
            if all(_field_match(u, k, vs) for k, vs in terms.items()) and all(
                w in (u["name"] or "").lower() or w in (u["email"] or "") for w in words
            ):
                results.append({**user_out(u), "result_type": "user"})
    elif kind == "ticket":
        for t in sorted(store.tickets.list_all(), key=lambda t: t["id"]):
            if (
                all(_field_match(t, k, vs) for k, vs in terms.items())
                and all(w in (t["subject"] or "").lower() or w in t["description"].lower() for w in words)
                and all(_status_compare(t["status"], op, status) for op, status in statuses)
            ):
                results.append({**ticket_out(t), "result_type": "ticket"})
    elif kind == "organization":
        for o in sorted(store.organizations.list_all(), key=lambda o: o["id"]):
            if all(_field_match(o, k, vs) for k, vs in terms.items()):
                results.append({**org_out(o), "result_type": "organization"})
    return json_response(
        {"results": results, "count": len(results), "next_page": None, "previous_page": None, "facets": None}
    )


_STATUS_COMPARE = re.compile(r"^status(<=|>=|<|>)([a-z]+)$")


def _status_compare(have: str, op: str, status: str) -> bool:
    """Zendesk orders statuses new < open < pending < hold < solved < closed in search."""
    a, b = STATUSES.index(have), STATUSES.index(status)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _field_match(record: dict[str, Any], key: str, values: list[str]) -> bool:
    aliases = {
        "organization": "organization_id",
        "group": "group_id",
        "assignee": "assignee_id",
        "requester": "requester_id",
        "tag": "tags",
        "ticket_type": "type",
    }
    name = aliases.get(key, key)
    if name not in record:
        return False
    have = record[name]
    if isinstance(have, list):
        return all(v in [str(x).lower() for x in have] for v in values)
    return all(str(have).lower() == v for v in values)


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
