"""``/_sim``: the control API. Plays the people around Zendesk and steers the simulation.

Tests, the demo and the benchmarks use it (through :class:`~middleware.local.simulator.control.
SimulatorControl`) to act as a customer or an agent (each action fires the same event webhooks
the REST API would), seed users and organisations, inject faults, pause webhook delivery, and
look at what happened (full tickets with comments, API request log, webhook deliveries).
No authentication: it only ever listens on a local test address.

Endpoints (JSON in, JSON out):

=================================  ==============================================================
``GET  /_sim/health``              liveness
``POST /_sim/reset``               clean account, no faults/logs/deliveries (``keep_webhook``)
``GET|POST|DELETE /_sim/faults``   list / add a rule, ``rate_limit_per_minute`` or ``endpoint_limits`` / clear
``GET  /_sim/requests``            API call log and read/write counts (``?limit=``)
``POST /_sim/requests/clear``      forget the API call log
``GET|POST /_sim/webhook``         webhook config (url, secret, enabled, events|"all", timeout, ...)
``GET  /_sim/deliveries``          webhook deliveries (``?limit=&state=``), counts, pending
``POST /_sim/deliveries/wait``     block until no delivery is pending (``timeout``)
``POST /_sim/customer_ticket``     an end user opens a ticket (fires ``ticket.created``)
``POST /_sim/tickets/<id>/comment`` a comment by the requester or an agent
``POST /_sim/tickets/<id>/update``  an agent's update (fields + optional comment)
``GET  /_sim/tickets[/<id>]``      tickets; one ticket with all comments and audits
``POST /_sim/users|organizations|groups``  seed records (explicit ``id`` allowed)
=================================  ==============================================================
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from middleware.local.simulator.api.http import body_json, group_out, json_response, org_out, sim, ticket_out, user_out
from middleware.local.simulator.store.errors import bad_request, invalid
from middleware.local.simulator.store.formats import STAFF_ROLES, truthy
from middleware.local.simulator.webhooks import SETTINGS

bp = Blueprint("zendesk_sim_control", __name__, url_prefix="/_sim")

DEFAULT_AGENT = {"email": "agent@simulator.example", "name": "Simulated Agent", "role": "agent"}


def _person(data: dict[str, Any], default: dict[str, Any] | None, default_role: str) -> dict[str, Any]:
    """The acting user: ``author_id``, or ``author`` {email, name, role} (created on first
    sight), else ``default``."""
    store = sim().store
    if data.get("author_id") is not None:
        return store.users.get(data["author_id"])
    spec = data.get("author")
    if isinstance(spec, dict):
        return store.users.find_or_create(spec, spec.get("role") or default_role)
    if default is None:
        raise bad_request("InvalidValue", "author_id or author is required")
    return store.users.find_or_create(default, default_role)


@bp.get("/health")
def health() -> Response:
    return json_response({"ok": True, "pending_deliveries": sim().sender.pending()})


@bp.post("/reset")
def reset() -> Response:
    sim().reset(keep_webhook=truthy(body_json().get("keep_webhook", True)))
    return json_response({"ok": True})


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    injector = sim().faults
    if request.method == "DELETE":
        injector.clear()
    elif request.method == "POST":
        raw = request.get_json(silent=True)
        specs = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(spec, dict) for spec in specs):
            raise bad_request("InvalidValue", "a fault is a JSON object (or a list of them)")
        added = [injector.add(spec) for spec in specs]
        return json_response({"added": added, **injector.public()}, 201)
    return json_response(injector.public())


@bp.get("/requests")
def requests_log() -> Response:
    limit = request.args.get("limit")
    return json_response(sim().requests.report(int(limit) if limit else None))


@bp.post("/requests/clear")
def requests_clear() -> Response:
    sim().requests.clear()
    return json_response({"ok": True})


@bp.route("/webhook", methods=["GET", "POST"])
def webhook() -> Response:
    sender = sim().sender
    if request.method == "POST":
        data = body_json()
        unknown = sorted(set(data) - set(SETTINGS))
        if unknown:
            raise bad_request("InvalidValue", f"unknown webhook settings: {', '.join(unknown)}")
        changes = {k: data[k] for k in SETTINGS if k in data}
        if "enabled" in changes:
            changes["enabled"] = truthy(changes["enabled"])
        if changes.get("events") == "all":
            changes["events"] = None
        sender.configure(**changes)
    return json_response(sender.config.public())


@bp.get("/deliveries")
def deliveries() -> Response:
    limit = request.args.get("limit")
    return json_response(sim().sender.report(int(limit) if limit else None, request.args.get("state")))


@bp.post("/deliveries/wait")
def deliveries_wait() -> Response:
    timeout = float(body_json().get("timeout", 10))
    idle = sim().sender.wait_idle(min(timeout, 120))
    return json_response({"idle": idle, "pending": sim().sender.pending()})


@bp.post("/customer_ticket")
def customer_ticket() -> Response:
    """An end user opens a ticket (portal/email): requester found or created by email."""
    s = sim()
    data = body_json()
    spec = data.get("requester") or {}
    if data.get("requester_id") is not None:
        requester = s.store.users.get(data["requester_id"])
    elif isinstance(spec, dict) and spec.get("email"):
        requester = s.store.users.find_or_create(spec, "end-user")
    else:
        raise bad_request("InvalidValue", "requester {email, name, organization_id} or requester_id is required")
    description = data.get("description") or data.get("body")
    if not description:
        raise invalid("description", "Description: cannot be blank")
    fields = {
        k: data[k]
        for k in (
            "subject",
            "priority",
            "type",
            "status",
            "group_id",
            "assignee_id",
            "custom_fields",
            "external_id",
            "due_at",
            "problem_id",
        )
        if k in data
    }
    fields["tags"] = data.get("tags") or []
    fields["requester_id"] = requester["id"]
    fields["submitter_id"] = requester["id"]
    org_id = spec.get("organization_id") if isinstance(spec, dict) else None
    if data.get("organization_id") is not None or org_id is not None:
        fields["organization_id"] = data.get("organization_id", org_id)
    fields["comment"] = {"body": description, "public": True, "author_id": requester["id"]}
    write = s.store.tickets.create(
        requester["id"], fields, via_channel=data.get("via_channel") or "web", created_at=data.get("created_at")
    )
    s.publish(write)
    return json_response({"ticket": ticket_out(write.ticket), "audit": write.audit}, 201)


@bp.post("/tickets/<int:ticket_id>/comment")
def comment(ticket_id: int) -> Response:
    """A comment by the requester (default) or an agent (``author`` with role agent).

    As in Zendesk's agent UI and portal: an agent's reply to a new ticket submits it as open,
    and a requester's reply reopens a pending or solved one (``status`` overrides both).
    """
    s = sim()
    data = body_json()
    current = s.store.tickets.get(ticket_id)
    requester = s.store.users.get(current["requester_id"])
    author = _person(data, {"id": requester["id"], "email": requester["email"]}, "end-user")
    body = data.get("body")
    if not body and not data.get("html_body"):
        raise invalid("comment", "Comment: body cannot be blank")
    public = truthy(data.get("public", True))
    update: dict[str, Any] = {
        "comment": {"body": body, "html_body": data.get("html_body"), "public": public, "author_id": author["id"]}
    }
    if author["role"] not in STAFF_ROLES and current["status"] in ("pending", "solved"):
        update["status"] = "open"
    elif author["role"] in STAFF_ROLES and current["status"] == "new":
        update["status"] = "open"  # the agent UI submits a reply to a new ticket as Open
    if "status" in data:
        update["status"] = data["status"]
    write = s.store.tickets.update(author["id"], ticket_id, update, via_channel=data.get("via_channel") or "web")
    s.publish(write)
    return json_response(
        {"ticket": ticket_out(write.ticket), "audit": write.audit, "comment": s.store.audits.comments_of(ticket_id)[-1]}
    )


@bp.post("/tickets/<int:ticket_id>/update")
def update(ticket_id: int) -> Response:
    """An agent's update: any ticket fields (tags, additional_tags, remove_tags, status, ...),
    an optional ``comment``, and ``safe_update``/``updated_stamp`` like the REST API."""
    s = sim()
    data = body_json()
    author = _person(data, DEFAULT_AGENT, "agent")
    fields = {k: v for k, v in data.items() if k not in ("author", "author_id", "via_channel")}
    comment_in = fields.get("comment")
    if isinstance(comment_in, str):
        fields["comment"] = {"body": comment_in}
    if isinstance(fields.get("comment"), dict):
        fields["comment"] = {"author_id": author["id"], **fields["comment"]}
    write = s.store.tickets.update(author["id"], ticket_id, fields, via_channel=data.get("via_channel") or "web")
    s.publish(write)
    return json_response({"ticket": ticket_out(write.ticket), "audit": write.audit})


@bp.get("/tickets")
def tickets() -> Response:
    everything = sorted(sim().store.tickets.list_all(), key=lambda t: t["id"])
    return json_response({"tickets": [ticket_out(t) for t in everything]})


@bp.get("/tickets/<int:ticket_id>")
def ticket(ticket_id: int) -> Response:
    store = sim().store
    return json_response(
        {
            "ticket": ticket_out(store.tickets.get(ticket_id)),
            "comments": store.audits.comments_of(ticket_id),
            "audits": store.audits.audits_of(ticket_id),
        }
    )


@bp.post("/users")
def users() -> Response:
    return json_response({"user": user_out(sim().store.users.create(body_json()))}, 201)


@bp.post("/organizations")
def organizations() -> Response:
    return json_response({"organization": org_out(sim().store.organizations.create(body_json()))}, 201)


@bp.post("/groups")
def groups() -> Response:
    return json_response({"group": group_out(sim().store.groups.create(body_json()))}, 201)
