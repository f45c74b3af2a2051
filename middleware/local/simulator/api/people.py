"""``/users``, ``/organizations`` and ``/groups``: the people and organisations the middleware
looks up (requesters, staff, incident contacts), created or updated the way Zendesk matches them.
"""

from __future__ import annotations

from flask import Response, g, request

from middleware.local.simulator.api.http import (
    group_out,
    ids_arg,
    json_response,
    org_out,
    paginate,
    record_in,
    route,
    sim,
    user_out,
)
from middleware.local.simulator.store.errors import ApiError


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
