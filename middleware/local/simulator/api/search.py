"""``/search``: the small subset of Zendesk's search language the middleware sends (``type:``,
field terms, ``status<solved``, free words), enough to look people, tickets and organisations up.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, request

from middleware.local.simulator.api.http import json_response, org_out, route, sim, ticket_out, user_out
from middleware.local.simulator.store.formats import STATUSES


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
