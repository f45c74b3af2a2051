"""Who may read incidents and ask for customer updates over HTTP: the holder of ``ADMIN_TOKEN``.

The dashboard, the incidents API and the status-update API and page show ticket subjects and
can send to customers, so each of their routes needs the token (``Authorization: Bearer …``, or
the browser's Basic-auth prompt with the token as password). The check lives here once, as
:func:`admin_only` for a whole route, so no route can forget it or word the refusal differently.
"""

from __future__ import annotations

import base64
import functools
import hmac
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, jsonify, request

__all__ = ["admin_only", "authorised", "refuse"]


def authorised() -> tuple[bool, str]:
    """Whether this request carries ``ADMIN_TOKEN``, and if not, why not (for the refusal)."""
    token = current_app.extensions["cim.env"].get("ADMIN_TOKEN") or ""
    if not token:
        return False, "ADMIN_TOKEN is not set on the server"
    header = request.headers.get("Authorization", "")
    given = ""
    if header.startswith("Bearer "):
        given = header[7:].strip()
    elif header.startswith("Basic "):
        try:
            given = base64.b64decode(header[6:]).decode("utf-8").partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            given = ""
    if given and hmac.compare_digest(given.encode(), token.encode()):
        return True, ""
    return False, "a valid ADMIN_TOKEN is required (Authorization: Bearer <token>)"


def refuse(message: str) -> Response:
    """401, with the Basic-auth challenge that makes a browser ask for the token."""
    response = jsonify(error="unauthorized", message=message)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Basic realm="critical-incident middleware"'
    return response


def admin_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """The route answers only a request that carries ``ADMIN_TOKEN``; any other gets :func:`refuse`."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        ok, why = authorised()
        if not ok:
            return refuse(why)
        return view(*args, **kwargs)

    return guarded
