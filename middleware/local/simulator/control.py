"""Clients for a running simulator: the control API, and routing zenpy to it.

:class:`SimulatorControl` wraps ``/_sim`` so the demo and the end-to-end tests read as a story
("a customer opens a ticket", "an agent replies") rather than as HTTP plumbing.

:class:`RoutingSession` is a ``requests.Session`` for zenpy: zenpy always builds
``https://{subdomain}.zendesk.com/api/v2/...``; the session sends those calls to the simulator
instead, then puts the original URL back on the response, because zenpy picks its response
parser by finding ``{subdomain}.zendesk.com`` in ``response.request.url`` (without that, zenpy
hands back raw ``Response`` objects).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests


class SimulatorError(RuntimeError):
    """The control API refused a call; ``status`` and ``body`` say why."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"simulator answered {status}: {body}")
        self.status = status
        self.body = body


class RoutingSession(requests.Session):
    """Sends every request to ``base_url`` (scheme + host + port), keeping path and query."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self._target = urlsplit(base_url)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        original = url.decode() if isinstance(url, bytes) else str(url)
        parts = urlsplit(original)
        routed = urlunsplit((self._target.scheme, self._target.netloc, parts.path, parts.query, parts.fragment))
        response = super().request(method, routed, *args, **kwargs)
        if routed != original:
            response.request = response.request.copy()
            response.request.url = original
        return response


class SimulatorControl:
    """A small client for the simulator's control API (``/_sim``)."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    # -- plumbing --------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        response = self.http.request(
            method, f"{self.base_url}/_sim{path}", json=json, params=params, timeout=timeout or self.timeout
        )
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            raise SimulatorError(response.status_code, body)
        return body

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SimulatorControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- lifecycle --------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return dict(self._call("GET", "/health"))

    def wait_until_up(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.health()
                return
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def reset(self, keep_webhook: bool = True) -> None:
        """Empty account, no faults, empty logs; the webhook destination stays by default."""
        self._call("POST", "/reset", {"keep_webhook": keep_webhook})

    # -- seeding ----------------------------------------------------------------------------
    def create_user(
        self, name: str, email: str, role: str = "end-user", organization_id: int | None = None, **extra: Any
    ) -> dict[str, Any]:
        data = {"name": name, "email": email, "role": role, "organization_id": organization_id, **extra}
        return dict(self._call("POST", "/users", data)["user"])

    def create_organization(
        self, name: str, tags: list[str] | None = None, organization_fields: dict[str, Any] | None = None, **extra: Any
    ) -> dict[str, Any]:
        data = {"name": name, "tags": tags or [], "organization_fields": organization_fields or {}, **extra}
        return dict(self._call("POST", "/organizations", data)["organization"])

    def create_group(self, name: str, **extra: Any) -> dict[str, Any]:
        return dict(self._call("POST", "/groups", {"name": name, **extra})["group"])

    # -- people acting on tickets -----------------------------------------------------------
    def customer_ticket(
        self,
        subject: str,
        description: str,
        requester_email: str,
        requester_name: str | None = None,
        organization_id: int | None = None,
        tags: list[str] | None = None,
        via_channel: str = "web",
        priority: str | None = None,
        type: str | None = None,
        created_at: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """An end user opens a ticket; returns the ticket (fires ``ticket.created``)."""
        data: dict[str, Any] = {
            "subject": subject,
            "description": description,
            "requester": {"email": requester_email, "name": requester_name, "organization_id": organization_id},
            "tags": tags or [],
            "via_channel": via_channel,
            **extra,
        }
        for key, value in (("priority", priority), ("type", type), ("created_at", created_at)):
            if value is not None:
                data[key] = value
        return dict(self._call("POST", "/customer_ticket", data)["ticket"])

    def comment(
        self,
        ticket_id: int,
        body: str,
        public: bool = True,
        author_id: int | None = None,
        author_email: str | None = None,
        author_role: str | None = None,
        author_name: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A comment by the requester (no author given) or by ``author_*`` (an agent if
        ``author_role="agent"``); returns {ticket, audit, comment}."""
        data: dict[str, Any] = {"body": body, "public": public, **extra}
        if author_id is not None:
            data["author_id"] = author_id
        elif author_email is not None:
            data["author"] = {"email": author_email, "role": author_role, "name": author_name}
        return dict(self._call("POST", f"/tickets/{ticket_id}/comment", data))

    def agent_reply(
        self, ticket_id: int, body: str, agent_email: str = "agent@simulator.example", public: bool = True
    ) -> dict[str, Any]:
        """The human first response: a public comment by an agent."""
        return self.comment(ticket_id, body, public=public, author_email=agent_email, author_role="agent")

    def update(
        self, ticket_id: int, author_id: int | None = None, author_email: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        """An agent's update (default: a built-in simulated agent); returns {ticket, audit}."""
        data: dict[str, Any] = dict(fields)
        if author_id is not None:
            data["author_id"] = author_id
        elif author_email is not None:
            data["author"] = {"email": author_email, "role": "agent"}
        return dict(self._call("POST", f"/tickets/{ticket_id}/update", data))

    # -- looking -----------------------------------------------------------------------------
    def get_ticket(self, ticket_id: int) -> dict[str, Any]:
        """{ticket, comments, audits} as the simulator holds them."""
        return dict(self._call("GET", f"/tickets/{ticket_id}"))

    def tickets(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/tickets")["tickets"])

    def requests_log(self, limit: int | None = None) -> dict[str, Any]:
        """{total, reads, writes, by_status, requests: [{method, path, status, user_id, ...}]}."""
        return dict(self._call("GET", "/requests", params={"limit": limit} if limit else None))

    def clear_requests(self) -> None:
        self._call("POST", "/requests/clear")

    def deliveries(self, limit: int | None = None, state: str | None = None) -> dict[str, Any]:
        """{config, pending, counts, deliveries: [{event_type, state, status, attempts, ...}]}."""
        params = {k: v for k, v in (("limit", limit), ("state", state)) if v is not None}
        return dict(self._call("GET", "/deliveries", params=params or None))

    def wait_deliveries(self, timeout: float = 10.0) -> bool:
        """Block until every queued webhook has been delivered or given up on."""
        return bool(self._call("POST", "/deliveries/wait", {"timeout": timeout}, timeout=timeout + 5)["idle"])

    # -- steering ----------------------------------------------------------------------------
    def add_fault(
        self,
        status: int | None = None,
        *,
        retry_after: float | None = None,
        count: int | None = None,
        path_regex: str | None = None,
        method: str | None = None,
        latency_ms: float | None = None,
        body: dict[str, Any] | None = None,
        after: bool | None = None,
    ) -> dict[str, Any]:
        """e.g. ``add_fault(429, retry_after=2, count=3)``, ``add_fault(503, count=2)``,
        ``add_fault(latency_ms=200)``; ``add_fault(504, method="PUT", after=True)`` carries
        the write out and loses its answer."""
        spec = {
            k: v
            for k, v in (
                ("status", status),
                ("retry_after", retry_after),
                ("count", count),
                ("path_regex", path_regex),
                ("method", method),
                ("latency_ms", latency_ms),
                ("body", body),
                ("after", after),
            )
            if v is not None
        }
        return dict(self._call("POST", "/faults", spec)["added"][0])

    def rate_limit(self, per_minute: int | None) -> None:
        """Zendesk's per-minute limit (None: unlimited)."""
        self._call("POST", "/faults", {"rate_limit_per_minute": per_minute})

    def endpoint_limits(self, limits: dict[str, int] | None) -> None:
        """Zendesk's endpoint limits (ticket updates per minute, per ticket in 10 minutes,
        incremental exports per minute; missing keys take Zendesk's figures; None: off)."""
        self._call("POST", "/faults", {"endpoint_limits": limits})

    def faults(self) -> dict[str, Any]:
        return dict(self._call("GET", "/faults"))

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def configure_webhook(
        self,
        url: str | None = None,
        secret: str | None = None,
        enabled: bool | None = None,
        events: list[str] | str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Change the webhook; ``events`` is a list of types (``"ticket.comment_added"`` or the full
        ``zen:event-type:...``) or ``"all"``; extra settings: timeout, max_retries, retry_409_delay."""
        data = {
            k: v
            for k, v in (("url", url), ("secret", secret), ("enabled", enabled), ("events", events))
            if v is not None
        }
        return dict(self._call("POST", "/webhook", {**data, **extra}))

    def webhook(self) -> dict[str, Any]:
        return dict(self._call("GET", "/webhook"))

    def pause_webhooks(self) -> None:
        """Events produced from now on are dropped (Zendesk's circuit breaker is open)."""
        self.configure_webhook(enabled=False)

    def resume_webhooks(self) -> None:
        self.configure_webhook(enabled=True)
