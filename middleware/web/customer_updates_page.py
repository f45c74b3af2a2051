"""``/dashboard/incidents/<id>/update``: the incident page's form for a status update.

A page of its own, linked from the incident page, because the incident page reloads itself every
minute and would throw away a half-written message. ``GET`` shows the form (who the update will
reach, the placeholders, the updates sent so far); ``POST`` records the update exactly as
``POST /api/incidents/<id>/updates`` and ``incident update`` do (Redis only, the worker sends it)
and shows the outcome.

The browser signs in with Basic auth, which it then sends with any request to this host, also
one another site's page makes it send; so the form carries a token derived from ``ADMIN_TOKEN``
and the incident, and a post without it is refused (the JSON API accepts JSON only, which
another site's form cannot send).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, request
from redis.exceptions import RedisError

from jobs import customer_updates as updates
from jobs.customer_comms import PolicyError
from middleware.config.customer_updates import UPDATE_PLACEHOLDERS, MessageError
from middleware.store.incidents import IncidentStore
from middleware.web.admin_auth import admin_only
from middleware.web.dashboard_html import CSS, esc

bp = Blueprint("customer_updates_page", __name__)


def form_token(incident_id: int) -> str:
    """The form's anti-forgery token: only a page this server rendered knows it."""
    secret = (current_app.extensions["cim.env"].get("ADMIN_TOKEN") or "").encode()
    return hmac.new(secret, f"customer-update:{incident_id}".encode(), hashlib.sha256).hexdigest()


def _page(title: str, body: str, status: int = 200) -> Response:
    text = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{esc(title)}</title>
<style>{CSS}
form.update textarea{{width:100%;min-height:12rem;font:inherit;padding:.5rem}}
form.update input[type=text]{{font:inherit;padding:.3rem;min-width:18rem}}
form.update label{{display:block;margin:.6rem 0 .2rem;font-weight:600}}</style></head>
<body><header class="top"><h1><a href="/dashboard">Critical incidents</a></h1></header>
<main>{body}</main></body></html>"""
    return Response(text, status=status, mimetype="text/html")


def _form(incident_id: int, restricted: bool, message: str = "", by: str = "", error: str = "") -> str:
    placeholders = " ".join(f"<code>{{{p}}}</code>" for p in UPDATE_PLACEHOLDERS)
    security = ('<label><input type="checkbox" name="allow_security" value="1"> This is a security incident: '
                "I confirm its customers may be told what this message says</label>") if restricted else ""
    problem = f'<p class="banner bad" id="error">{esc(error)}</p>' if error else ""
    return f"""{problem}<form class="update" method="post" action="/dashboard/incidents/{incident_id}/update">
<input type="hidden" name="token" value="{form_token(incident_id)}">
<label for="message">Message</label>
<textarea id="message" name="message" required>{esc(message)}</textarea>
<p class="small">Placeholders, filled in per ticket: {placeholders}. Write {{{{ and }}}} for literal braces.</p>
<label for="by">Asked for by</label><input type="text" id="by" name="by" value="{esc(by)}" required>
{security}<p><button type="submit">Send to every ticket of this incident</button></p></form>"""


def _history(incident_id: int) -> str:
    ext = current_app.extensions
    listed = updates.updates_of(ext["cim.redis"], ext["cim.keys"], incident_id)
    if not listed:
        return '<p class="small">No status update sent yet.</p>'
    rows = "".join(f"<tr><td>{esc(u['requested_at'])}</td><td>{esc(u['by'])}</td><td>{esc(u['state'])}</td>"
                   f"<td>{esc(u.get('summary') or '')}</td></tr>" for u in listed)
    return (f'<table class="plain" id="updates"><thead><tr><th>Asked</th><th>By</th><th>State</th><th>Outcome</th>'
            f"</tr></thead><tbody>{rows}</tbody></table>")


def _header(incident_id: int) -> tuple[str, bool] | None:
    ext = current_app.extensions
    incident = IncidentStore(ext["cim.redis"], ext["cim.keys"]).get(incident_id)
    if incident is None:
        return None
    restricted = (incident.category or "") in ext["cim.config"].alerts.restricted_categories
    subject = "(subject withheld: security incident)" if restricted else (incident.subject or "")
    head = (f'<p class="small"><a href="/dashboard/incidents/{incident_id}">← incident #{incident.ticket_id}</a></p>'
            f'<h1 class="incident">Status update: #{incident.ticket_id} {esc(subject)}</h1>'
            "<p>One public reply on every ticket of this incident (its own ticket, linked tickets, tickets "
            "agents linked in Zendesk, proactive notice tickets), each addressed to that ticket's requester; "
            "an internal note on the incident's ticket records what went to whom. Sent once: the same message "
            "again is the same update.</p>")
    return head, restricted


@bp.get("/dashboard/incidents/<int:incident_id>/update")
@admin_only
def update_form(incident_id: int):  # type: ignore[no-untyped-def]
    try:
        found = _header(incident_id)
        if found is None:
            return _page("Not found", f"<p>No critical incident {incident_id} is recorded.</p>", 404)
        head, restricted = found
        return _page(f"Status update for #{incident_id}", head + _form(incident_id, restricted) + "<h2>Sent so far"
                     "</h2>" + _history(incident_id))
    except RedisError:
        return _page("Unavailable", "<p>Redis is unreachable; nothing can be sent right now.</p>", 503)


@bp.post("/dashboard/incidents/<int:incident_id>/update")
@admin_only
def update_post(incident_id: int):  # type: ignore[no-untyped-def]
    form = request.form
    if not hmac.compare_digest(form.get("token", ""), form_token(incident_id)):
        return _page("Refused", "<p>This form did not come from this incident's page; nothing was sent. "
                     f'<a href="/dashboard/incidents/{incident_id}/update">Open the form again</a>.</p>', 403)
    message, by = form.get("message", ""), form.get("by", "")
    ext = current_app.extensions
    clock = ext.get("cim.clock")
    try:
        found = _header(incident_id)
        if found is None:
            return _page("Not found", f"<p>No critical incident {incident_id} is recorded.</p>", 404)
        head, restricted = found
        try:
            made = updates.request_update(ext["cim.redis"], ext["cim.keys"], ext["cim.config"], incident_id, message,
                                          by, now=clock() if clock else datetime.now(UTC),
                                          allow_security=form.get("allow_security") == "1")
        except (PolicyError, MessageError, ValueError) as exc:
            return _page(f"Status update for #{incident_id}", head + _form(incident_id, restricted, message, by,
                                                                          f"Not sent: {exc}"), 400)
        except updates.NoSuchIncident:
            return _page("Not found", f"<p>No critical incident {incident_id} is recorded.</p>", 404)
        said = ("Queued: a worker is sending it now." if made.created
                else f"This update was asked for already ({made.state}); it is not sent twice.")
        return _page(f"Status update for #{incident_id}", head + f'<p class="banner ok" id="result">{esc(said)} '
                     f"Update <code>{esc(made.update_id)}</code>, asked for by {esc(made.by)}.</p>"
                     "<h2>Sent so far</h2>" + _history(incident_id), 202 if made.created else 200)
    except RedisError:
        return _page("Unavailable", "<p>Redis is unreachable; nothing was sent.</p>", 503)
