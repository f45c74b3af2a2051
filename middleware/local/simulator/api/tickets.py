"""``/tickets`` and what hangs off a ticket: its tags, comments, audits and linked incidents;
bulk writes and their job statuses; the incremental export. Writes publish their webhooks once
the store has committed them (:func:`~middleware.local.simulator.api.http.committed`).
"""

from __future__ import annotations

from flask import Response, request

from middleware.local.simulator.api.http import (
    actor,
    base_url,
    body_json,
    committed,
    ids_arg,
    json_response,
    paginate,
    record_in,
    route,
    sim,
    ticket_out,
    write_out,
)
from middleware.local.simulator.store.errors import bad_request
from middleware.local.simulator.store.formats import split_tags


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
