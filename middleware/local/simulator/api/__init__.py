"""``/api/v2``: the slice of Zendesk's REST API the middleware uses, in Zendesk's JSON shapes.

One module per resource (``tickets``, ``people``, ``search``) on the shared plumbing (``http``).

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

from middleware.local.simulator.api import people, search, tickets
from middleware.local.simulator.api.http import bp, register_errors

__all__ = ["bp", "people", "register_errors", "search", "tickets"]
