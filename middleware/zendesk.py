"""The Zendesk client: the only module that talks to Zendesk.

It wraps zenpy and adds what a background worker needs and zenpy does not do by itself:

* every call is bounded (connect and read timeouts);
* every call first takes a slot from a per-minute budget shared by all workers in Redis, so
  the product as a whole never exceeds the configured ``zendesk.requests_per_minute``;
* a 429 never puts a worker to sleep (zenpy 2.0.57 would sleep in the calling thread): it is
  raised as :class:`RateLimited` with Zendesk's ``Retry-After`` so the job is rescheduled;
* transient failures (connection errors, timeouts, 5xx) are retried with backoff by tenacity,
  only for calls that are safe to repeat (reads, and safe updates, which a stale stamp turns
  into a 409 rather than a double write);
* ``ZENDESK_API_URL`` points the whole thing at any base URL (the local simulator, tests).

Calls are counted per kind (read/write) in Redis so the benchmarks and ``/metrics`` can show
Zendesk API calls per event.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from redis import Redis
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment as ZComment
from zenpy.lib.api_objects import Ticket as ZTicket
from zenpy.lib.exception import APIException, RecordNotFoundException, ZenpyException

from middleware.config import ZendeskSettings
from middleware.events import Comment, Organization, Person, Ticket, format_time, parse_time
from middleware.redis_client import Keys

log = logging.getLogger(__name__)

T = TypeVar("T")


class ZendeskError(Exception):
    """A Zendesk call failed in a way the caller should know about."""


class RateLimited(ZendeskError):
    """Zendesk (or our own shared budget) says: not now, try after ``retry_after`` seconds."""

    def __init__(self, retry_after: float, source: str = "zendesk") -> None:
        self.retry_after = max(1.0, float(retry_after))
        self.source = source
        super().__init__(f"rate limited by {source}; retry after {self.retry_after:.0f} s")


class TransientError(ZendeskError):
    """Connection trouble, a timeout or a 5xx: worth trying again later."""


class Conflict(ZendeskError):
    """A safe update was refused because the ticket changed since we read it (409)."""


class NotFound(ZendeskError):
    """The record does not exist (or we may not see it)."""


@dataclass(frozen=True)
class Credentials:
    """Where and who: read from the environment, never from config.yaml."""

    subdomain: str
    email: str | None
    token: str | None
    oauth_token: str | None
    api_url: str | None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Credentials:
        env = dict(os.environ) if env is None else env
        api_url = (env.get("ZENDESK_API_URL") or "").rstrip("/") or None
        subdomain = env.get("ZENDESK_SUBDOMAIN") or ("local" if api_url else "")
        if not subdomain:
            raise ZendeskError("ZENDESK_SUBDOMAIN (or ZENDESK_API_URL) is not set")
        token, oauth = env.get("ZENDESK_API_TOKEN"), env.get("ZENDESK_OAUTH_TOKEN")
        if not token and not oauth:
            raise ZendeskError("ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN is not set")
        email = env.get("ZENDESK_EMAIL")
        if token and not email:
            raise ZendeskError("ZENDESK_EMAIL is required with ZENDESK_API_TOKEN")
        return cls(subdomain, email, token, oauth, api_url)

    @property
    def base_url(self) -> str:
        return self.api_url or f"https://{self.subdomain}.zendesk.com"


class CallBudget:
    """A per-minute request budget shared by every worker through one Redis counter.

    A fixed window per wall-clock minute: simple, one round trip, and never over the limit
    within a minute, which is how Zendesk counts too.
    """

    def __init__(self, redis: Redis, keys: Keys, per_minute: int, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.keys = keys
        self.per_minute = per_minute
        self.clock = clock

    def take(self) -> None:
        now = self.clock()
        minute = int(now // 60)
        key = self.keys("zendesk", "budget", minute)
        pipe = self.redis.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, 120)
        used = int(pipe.execute()[0])
        if used > self.per_minute:
            raise RateLimited(60 - (now % 60) + 0.5, source="budget")


class _Session(requests.Session):
    """zenpy's HTTP session: rewrites the base URL, applies timeouts, budget and metrics, and
    turns 429 into :class:`RateLimited` before zenpy can sleep on it."""

    def __init__(self, creds: Credentials, timeout: tuple[float, float], budget: CallBudget | None,
                 counter: Callable[[str, str], None] | None) -> None:
        super().__init__()
        self._target = urlsplit(creds.base_url) if creds.api_url else None
        self._timeout = timeout
        self._budget = budget
        self._counter = counter
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        method_s = method.decode() if isinstance(method, bytes) else str(method)
        url_s = original = url.decode() if isinstance(url, bytes) else str(url)
        if self._target is not None:
            parts = urlsplit(url_s)
            url_s = urlunsplit((self._target.scheme, self._target.netloc,
                                self._target.path.rstrip("/") + parts.path, parts.query, parts.fragment))
        kwargs["timeout"] = self._timeout
        if self._budget is not None:
            self._budget.take()
        kind = "read" if method_s.upper() == "GET" else "write"
        try:
            response = super().request(method_s, url_s, *args, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"{method_s} {urlsplit(url_s).path}: {type(exc).__name__}") from exc
        finally:
            if self._counter is not None:
                self._counter(kind, method_s.upper())
        if original != url_s:
            # zenpy picks its response handler by matching the Zendesk host in the URL.
            response.request = response.request.copy()
            response.request.url = original
        if response.status_code == 429:
            raise RateLimited(_retry_after(response), source="zendesk")
        if response.status_code >= 500:
            raise TransientError(f"{method_s} {urlsplit(url_s).path}: HTTP {response.status_code}")
        return response


def _retry_after(response: requests.Response) -> float:
    try:
        return float(response.headers.get("Retry-After", "60"))
    except ValueError:
        return 60.0


def _retrying(fn: Callable[[], T]) -> T:
    """Retry a repeatable call on transient failures: 3 tries, ~0.5 s then ~1 s apart."""
    wrapped = retry(
        retry=retry_if_exception_type(TransientError),
        stop=stop_after_attempt(3),
        wait=wait_exponential_jitter(multiplier=0.5, max=4, jitter=0.25),
        reraise=True,
    )(fn)
    return wrapped()


def _status_of(exc: APIException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def ticket_from_api(data: dict[str, Any]) -> Ticket:
    """A REST API ticket (``GET /tickets/{id}``, the incremental export) as our Ticket."""
    via = data.get("via") or {}
    custom = {str(f.get("id")): f.get("value") for f in data.get("custom_fields") or [] if isinstance(f, dict)}
    return Ticket(
        id=int(data["id"]),
        subject=data.get("subject") or data.get("raw_subject") or "",
        description=data.get("description") or "",
        status=data.get("status"),
        priority=data.get("priority"),
        type=data.get("type"),
        tags=tuple(data.get("tags") or ()),
        requester_id=data.get("requester_id"),
        submitter_id=data.get("submitter_id"),
        assignee_id=data.get("assignee_id"),
        organization_id=data.get("organization_id"),
        group_id=data.get("group_id"),
        problem_id=data.get("problem_id"),
        via_channel=via.get("channel") if isinstance(via, dict) else None,
        created_at=parse_time(data.get("created_at")),
        updated_at=parse_time(data.get("updated_at")),
        custom_fields=custom,
    )


class ZendeskClient:
    """What the jobs may ask of Zendesk, in the product's own terms."""

    def __init__(
        self,
        creds: Credentials,
        settings: ZendeskSettings,
        redis: Redis | None = None,
        keys: Keys | None = None,
    ) -> None:
        self.creds = creds
        self.settings = settings
        self.redis = redis
        self.keys = keys or Keys()
        budget = CallBudget(redis, self.keys, settings.requests_per_minute) if redis is not None else None
        self.session = _Session(
            creds,
            (settings.connect_timeout_seconds, settings.timeout_seconds),
            budget,
            self._count if redis is not None else None,
        )
        self.zenpy = Zenpy(
            subdomain=creds.subdomain,
            email=creds.email,
            token=creds.token,
            oauth_token=creds.oauth_token,
            session=self.session,
            timeout=settings.timeout_seconds,
            ratelimit_budget=1,  # belt and braces: never sleep on 429 inside zenpy
            disable_cache=True,  # a cached ticket is a stale ticket; we re-read on purpose
        )
        self._api_user_id: int | None = settings.api_user_id

    # -- bookkeeping -------------------------------------------------------------------
    def _count(self, kind: str, method: str) -> None:
        """Count API calls by kind; best effort (metrics must never fail a Zendesk call)."""
        try:
            assert self.redis is not None
            self.redis.hincrby(self.keys("metrics", "zendesk_calls"), kind, 1)
        except Exception:
            log.debug("could not count a Zendesk call")

    def agent_link(self, ticket_id: int) -> str:
        base = (self.settings.agent_url or self.creds.base_url).rstrip("/")
        return f"{base}/agent/tickets/{ticket_id}"

    # -- identity ------------------------------------------------------------------------
    def api_user_id(self) -> int:
        """Our own user id, so our own writes coming back as events can be ignored.

        From config if set; else looked up once (``GET /users/me``) and kept in Redis, where
        the web process reads it too.
        """
        if self._api_user_id is not None:
            return self._api_user_id
        key = self.keys("zendesk", "api_user_id")
        if self.redis is not None:
            cached = self.redis.get(key)
            if cached:
                self._api_user_id = int(cached)
                return self._api_user_id
        me = _retrying(lambda: self.zenpy.users.me())
        self._api_user_id = int(me.id)
        if self.redis is not None:
            self.redis.set(key, self._api_user_id)
        return self._api_user_id

    # -- tickets -------------------------------------------------------------------------
    def get_ticket(self, ticket_id: int) -> Ticket:
        try:
            data = _retrying(lambda: self.zenpy.tickets(id=ticket_id).to_dict())
        except RecordNotFoundException as exc:
            raise NotFound(f"ticket {ticket_id} not found") from exc
        return ticket_from_api(data)

    def safe_update(
        self,
        ticket_id: int,
        updated_stamp: datetime | None,
        *,
        add_tags: tuple[str, ...] | list[str] = (),
        remove_tags: tuple[str, ...] | list[str] = (),
        fields: dict[str, Any] | None = None,
        note: str | None = None,
        public_reply: str | None = None,
    ) -> Ticket:
        """One ticket update that cannot clobber an agent's concurrent edit.

        ``additional_tags``/``remove_tags`` change only the tags named (the agent's own stay),
        and ``safe_update`` with the ``updated_at`` we decided on turns a concurrent change into
        a :class:`Conflict` for the caller to re-read and re-decide. One comment at most.
        Returns the ticket as Zendesk has it after the write.
        """
        if note is not None and public_reply is not None:
            raise ValueError("one comment per update: a note or a public reply, not both")
        ticket = ZTicket(id=ticket_id)
        if add_tags:
            ticket.additional_tags = list(add_tags)
        if remove_tags:
            ticket.remove_tags = list(remove_tags)
        for name, value in (fields or {}).items():
            setattr(ticket, name, value)
        body = note if note is not None else public_reply
        if body is not None:
            ticket.comment = ZComment(body=body, public=public_reply is not None)
        if updated_stamp is not None:
            ticket.safe_update = True
            ticket.updated_stamp = format_time(updated_stamp)

        def call() -> Any:
            try:
                return self.zenpy.tickets.update(ticket)
            except APIException as exc:
                status = _status_of(exc)
                if status == 409:
                    raise Conflict(f"ticket {ticket_id} changed since {format_time(updated_stamp)}") from exc
                if status == 404:
                    raise NotFound(f"ticket {ticket_id} not found") from exc
                raise ZendeskError(f"ticket {ticket_id} update refused: HTTP {status}") from exc

        audit = _retrying(call)
        updated = getattr(audit, "ticket", None)
        if updated is not None:
            return ticket_from_api(updated.to_dict())
        return self.get_ticket(ticket_id)

    def create_ticket(self, payload: dict[str, Any]) -> Ticket:
        """Create a ticket. Not retried here: a create is not idempotent, the caller dedupes
        (by ``external_id``) before calling again."""
        try:
            audit = self.zenpy.tickets.create(ZTicket(**payload))
        except APIException as exc:
            raise ZendeskError(f"ticket create refused: HTTP {_status_of(exc)}") from exc
        return ticket_from_api(audit.ticket.to_dict())

    def comments(self, ticket_id: int) -> list[Comment]:
        """All comments of a ticket, oldest first (authors' staff status is looked up by role)."""
        result = _retrying(lambda: [c.to_dict() for c in self.zenpy.tickets.comments(ticket=ticket_id)])
        return [
            Comment(
                id=c.get("id"),
                body=c.get("body") or "",
                public=bool(c.get("public")),
                author_id=c.get("author_id"),
            )
            for c in result
        ]

    # -- people ---------------------------------------------------------------------------
    def get_user(self, user_id: int) -> Person:
        try:
            data = _retrying(lambda: self.zenpy.users(id=user_id).to_dict())
        except RecordNotFoundException as exc:
            raise NotFound(f"user {user_id} not found") from exc
        return Person(id=data.get("id"), role=data.get("role"), email=data.get("email"), name=data.get("name"))

    def get_organization(self, org_id: int) -> Organization:
        try:
            data = _retrying(lambda: self.zenpy.organizations(id=org_id).to_dict())
        except RecordNotFoundException as exc:
            raise NotFound(f"organization {org_id} not found") from exc
        return Organization(
            id=data.get("id"),
            name=data.get("name"),
            tags=tuple(data.get("tags") or ()),
            fields=dict(data.get("organization_fields") or {}),
        )

    # -- export ---------------------------------------------------------------------------
    def incremental_tickets(self, start_time: int | None = None, cursor: str | None = None,
                            per_page: int = 1000) -> Iterator[tuple[list[Ticket], str | None, bool]]:
        """Pages of the cursor-based incremental ticket export: (tickets, after_cursor, end)."""
        params: dict[str, Any] = {"per_page": per_page}
        if cursor:
            params["cursor"] = cursor
        else:
            params["start_time"] = int(start_time or 0)
        url = f"{self.creds.base_url}/api/v2/incremental/tickets/cursor.json"
        while True:
            response = _retrying(lambda p=params: self._raw_get(url, p))
            data = response.json()
            tickets = [ticket_from_api(t) for t in data.get("tickets") or []]
            after, end = data.get("after_cursor"), bool(data.get("end_of_stream"))
            yield tickets, after, end
            if end or not after:
                return
            params = {"per_page": per_page, "cursor": after}

    def _raw_get(self, url: str, params: dict[str, Any]) -> requests.Response:
        """A GET through zenpy's authenticated session, for endpoints zenpy does not model."""
        response = self.session.get(url, params=params)
        if response.status_code >= 400:
            raise ZendeskError(f"GET {urlsplit(url).path}: HTTP {response.status_code}")
        return response


def client_from_env(settings: ZendeskSettings, redis: Redis | None, keys: Keys,
                    env: dict[str, str] | None = None) -> ZendeskClient:
    """The client configured from ``ZENDESK_*`` environment variables."""
    return ZendeskClient(Credentials.from_env(env), settings, redis, keys)


__all__ = [
    "Conflict",
    "Credentials",
    "NotFound",
    "RateLimited",
    "TransientError",
    "ZendeskClient",
    "ZendeskError",
    "ZenpyException",
    "client_from_env",
    "ticket_from_api",
]
