"""The Zendesk client: what the jobs may ask of Zendesk, in the product's own terms.

The only way the product talks to Zendesk. It speaks zenpy (and plain requests for what zenpy
does not model) and decides, call by call, what may be retried: reads and safe updates (a stale
stamp turns into a 409, never a double write), never a create or a comment, whose callers look
for their earlier attempt first. Below it: the transport (``transport``: timeouts, breaker,
budget, 429 as :class:`RateLimited`), the shared budget (``budget``), the error types
(``errors``) and the pure JSON ↔ model mapping (``mapping``). Calls are counted per kind
(read/write) in Redis so the benchmarks and ``/metrics`` can show Zendesk API calls per event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from redis import Redis
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment as ZComment
from zenpy.lib.api_objects import Ticket as ZTicket
from zenpy.lib.api_objects import User as ZUser
from zenpy.lib.exception import APIException, RecordNotFoundException

from middleware.config import ZendeskSettings
from middleware.store.connection import Keys
from middleware.zendesk.breaker import CircuitBreaker
from middleware.zendesk.budget import CallBudget
from middleware.zendesk.errors import (
    REFUSED_STATUSES,
    Conflict,
    NotFound,
    Refused,
    ZendeskError,
    refusal_reason,
)
from middleware.zendesk.limits import current_lane
from middleware.zendesk.mapping import (
    Audit,
    TaskTicket,
    UserRecord,
    audit_from_api,
    comment_from_api,
    organization_from_api,
    person_from_api,
    task_from_api,
    task_payload,
    ticket_from_api,
    user_from_api,
)
from middleware.zendesk.transport import Credentials, Session, retrying
from rules.model import Comment, Organization, Person, Ticket, format_time

log = logging.getLogger(__name__)

BULK_LIMIT = 100  # tickets per update_many call (Zendesk's limit)


def _status_of(exc: APIException | requests.HTTPError) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _read_one(what: str, fetch: Callable[[], Any]) -> dict[str, Any]:
    """One record read through zenpy as a dict, retried on transient failures; :class:`NotFound`
    naming ``what`` when Zendesk has no such record (or we may not see it)."""
    try:
        return dict(retrying(lambda: fetch().to_dict()))
    except RecordNotFoundException as exc:
        raise NotFound(f"{what} not found") from exc


def _write_error(exc: APIException | requests.HTTPError, what: str, ticket_id: int) -> ZendeskError:
    """The product's exception for a refused ticket write (404, 400/422, anything else)."""
    status = _status_of(exc)
    if status == 404:
        return NotFound(f"ticket {ticket_id} not found")
    if status in REFUSED_STATUSES:
        return Refused(f"ticket {ticket_id} {what}", status, refusal_reason(getattr(exc, "response", None)))
    return ZendeskError(f"ticket {ticket_id} {what} refused: HTTP {status}")


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
        budget = CallBudget(redis, self.keys, limits=settings.limits) if redis is not None else None
        self.breaker = CircuitBreaker(redis, self.keys) if redis is not None else None
        self.session = Session(
            creds,
            (settings.connect_timeout_seconds, settings.timeout_seconds),
            budget,
            self._count if redis is not None else None,
            self.breaker,
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
        self.calls: dict[str, int] = {}  # this client's calls by kind (read/write), see _count

    # -- bookkeeping -------------------------------------------------------------------
    def _count(self, kind: str, method: str) -> None:
        """Count API calls by kind; best effort (metrics must never fail a Zendesk call).
        ``calls`` counts this client's own, for a command that reports what it cost."""
        self.calls[kind] = self.calls.get(kind, 0) + 1
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
        me = retrying(lambda: self.zenpy.users.me())
        self._api_user_id = int(me.id)
        if self.redis is not None:
            self.redis.set(key, self._api_user_id)
        return self._api_user_id

    def probe(self) -> bool:
        """One light call (``GET /users/me``) to learn whether Zendesk answers again: the circuit
        breaker's half-open probe, sent by the worker's watcher (``jobs.zendesk_watch``) rather
        than left to the next job that happens to wake. True if Zendesk answered (below 500)."""
        try:
            self.session.get(f"{self.creds.base_url}/api/v2/users/me.json")
        except ZendeskError:  # still down, or the breaker or the budget said "not now"
            return False
        return True

    # -- tickets -------------------------------------------------------------------------
    def get_ticket(self, ticket_id: int) -> Ticket:
        return ticket_from_api(_read_one(f"ticket {ticket_id}", lambda: self.zenpy.tickets(id=ticket_id)))

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
            except (APIException, requests.HTTPError) as exc:  # zenpy raises HTTPError for a non-JSON body
                if _status_of(exc) == 409:
                    raise Conflict(f"ticket {ticket_id} changed since {format_time(updated_stamp)}") from exc
                raise _write_error(exc, "update", ticket_id) from exc

        audit = retrying(call)
        updated = getattr(audit, "ticket", None)
        if updated is not None:
            return ticket_from_api(updated.to_dict())
        return self.get_ticket(ticket_id)

    def create_ticket(self, payload: dict[str, Any]) -> Ticket:
        """Create a ticket. Not retried here: a create is not idempotent, the caller dedupes
        (by ``external_id``) before calling again."""
        data = dict(payload)
        if isinstance(data.get("requester"), dict):  # {"email", "name"}: Zendesk finds or creates the person
            data["requester"] = ZUser(**data["requester"])
        try:
            audit = self.zenpy.tickets.create(ZTicket(**data))
        except APIException as exc:
            raise ZendeskError(f"ticket create refused: HTTP {_status_of(exc)}") from exc
        return ticket_from_api(audit.ticket.to_dict())

    def tickets_by_external_id(self, external_id: str) -> list[Ticket]:
        """Tickets carrying ``external_id`` (``GET /tickets?external_id=``). A job that creates a
        ticket asks this first, so a retry finds the ticket an interrupted attempt created."""
        return retrying(lambda: [ticket_from_api(t.to_dict()) for t in self.zenpy.tickets(external_id=external_id)])

    @property
    def bulk_limit(self) -> int:
        """Tickets per :meth:`update_many` call: Zendesk's 100, or fewer when the account's ticket
        updates per minute are configured lower (each ticket of a bulk update spends one)."""
        return max(1, min(BULK_LIMIT, self.settings.limits.in_lane(current_lane()).ticket_updates_per_minute))

    def update_many(self, updates: list[dict[str, Any]], *, retry: bool = True) -> str:
        """One bulk update (``PUT /tickets/update_many``) of up to 100 tickets, each with its own
        fields (``{"id": 1, "type": "incident", "problem_id": 9, "additional_tags": [...]}``).

        Zendesk applies it in the background: the returned job status id tells, via
        :meth:`job_status`, which tickets were updated. Retried on transient failures: callers
        only send changes that are the same when applied twice; an update carrying a comment is
        not, so its caller passes ``retry=False`` and looks for the comment before sending again.
        """
        if not updates:
            raise ValueError("update_many needs at least one ticket")
        if len(updates) > BULK_LIMIT:
            raise ValueError(f"update_many takes at most {BULK_LIMIT} tickets per call")
        tickets = []
        for update in updates:
            ticket = ZTicket(id=int(update["id"]))
            for name, value in update.items():
                if name == "comment" and isinstance(value, dict):
                    ticket.comment = ZComment(**value)
                elif name != "id":
                    setattr(ticket, name, value)
            tickets.append(ticket)

        def call() -> Any:
            try:
                return self.zenpy.tickets.update(tickets)
            except APIException as exc:
                raise ZendeskError(f"bulk update of {len(tickets)} tickets refused: HTTP {_status_of(exc)}") from exc

        return str((retrying(call) if retry else call()).id)

    def job_status(self, job_id: str) -> dict[str, Any]:
        """A background job's status: ``status`` (queued, working, completed, failed, killed) and,
        once done, ``results`` per ticket (``id``, ``success``/``status``, ``error``)."""
        return _read_one(f"job status {job_id}", lambda: self.zenpy.job_status(id=job_id))

    def comments(self, ticket_id: int) -> list[Comment]:
        """All comments of a ticket, oldest first (authors' staff status is looked up by role)."""
        result = retrying(lambda: [c.to_dict() for c in self.zenpy.tickets.comments(ticket=ticket_id)])
        return [comment_from_api(c) for c in result]

    # -- people ---------------------------------------------------------------------------
    def get_user(self, user_id: int) -> Person:
        return person_from_api(_read_one(f"user {user_id}", lambda: self.zenpy.users(id=user_id)))

    def staff(self) -> list[Person]:
        """Every agent and admin (``GET /users?role[]=agent&role[]=admin``, pages of 100)."""
        users = retrying(lambda: [u.to_dict() for u in self.zenpy.users(role=["agent", "admin"])])
        return [person_from_api(d) for d in users]

    def get_organization(self, org_id: int) -> Organization:
        return organization_from_api(_read_one(f"organization {org_id}", lambda: self.zenpy.organizations(id=org_id)))

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
            response = retrying(lambda p=params: self._raw_get(url, p))
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

    # -- lifecycle: customer replies, audits, linked incidents, tasks ----------------------
    def public_reply(self, ticket_id: int, body: str) -> int | None:
        """One public comment by our API user; returns the new comment's id.

        Not retried here: an update without a stamp is not idempotent (a timeout after Zendesk
        wrote would post twice), so the caller checks the comments before trying again.
        """
        return self._comment(ticket_id, body, public=True)

    def internal_note(self, ticket_id: int, body: str) -> int | None:
        """One internal note by our API user; returns its comment id. Not retried (see
        :meth:`public_reply`)."""
        return self._comment(ticket_id, body, public=False)

    def _comment(self, ticket_id: int, body: str, *, public: bool) -> int | None:
        ticket = ZTicket(id=ticket_id)
        ticket.comment = ZComment(body=body, public=public)
        try:
            audit = self.zenpy.tickets.update(ticket)
        except (APIException, requests.HTTPError) as exc:
            raise _write_error(exc, "reply", ticket_id) from exc
        data = audit.to_dict() if hasattr(audit, "to_dict") else {}
        events = ((data.get("audit") or {}).get("events")) or []
        return next((int(e["id"]) for e in events if e.get("type") == "Comment" and e.get("id")), None)

    def audits(self, ticket_id: int) -> list[Audit]:
        """A ticket's audits, oldest first: which update changed what, and with which comment."""
        url = f"{self.creds.base_url}/api/v2/tickets/{ticket_id}/audits.json"
        return [audit_from_api(a) for a in self._list(url, {"page[size]": 100}, "audits")]

    def problem_incidents(self, problem_id: int) -> list[Ticket]:
        """The incident tickets linked to a problem ticket (empty for any other ticket)."""
        url = f"{self.creds.base_url}/api/v2/tickets/{problem_id}/incidents.json"
        return [ticket_from_api(t) for t in self._list(url, {"per_page": 100}, "tickets")]

    def tasks_by_external_id(self, external_id: str) -> list[TaskTicket]:
        """Like :meth:`tickets_by_external_id`, with due dates and assignees (review and action
        tasks): how a task create is found again after a lost answer."""
        url = f"{self.creds.base_url}/api/v2/tickets.json"
        return [task_from_api(t) for t in self._list(url, {"external_id": external_id}, "tickets")]

    def search_tickets(self, query: str, limit: int = 1000) -> list[TaskTicket]:
        """Tickets matching a Zendesk search (``tags:x status<solved``); ``type:ticket`` is added."""
        url = f"{self.creds.base_url}/api/v2/search.json"
        found = self._list(url, {"query": f"type:ticket {query}", "per_page": 100}, "results", limit)
        return [task_from_api(t) for t in found if t.get("result_type", "ticket") == "ticket"]

    def create_task(self, *, subject: str, body: str, due_at: datetime, tags: list[str], external_id: str,
                    assignee_id: int | None = None, group_id: int | None = None,
                    priority: str | None = None) -> TaskTicket:
        """A task ticket (type task, due date) whose description is an internal note.

        Not retried, like every create: the caller looks for ``external_id`` before calling again.
        """
        payload = task_payload(subject=subject, body=body, due_at=due_at, tags=tags, external_id=external_id,
                               assignee_id=assignee_id, group_id=group_id, priority=priority)
        try:
            audit = self.zenpy.tickets.create(ZTicket(**payload))
        except APIException as exc:
            raise ZendeskError(f"task create refused: HTTP {_status_of(exc)}") from exc
        return task_from_api(audit.ticket.to_dict())

    def find_user_by_email(self, email: str) -> Person | None:
        """The user with this email address, or None."""
        url = f"{self.creds.base_url}/api/v2/users/search.json"
        users = self._list(url, {"query": f"email:{email.strip()}"}, "users", limit=5)
        wanted = email.strip().lower()
        for u in users:
            if (u.get("email") or "").lower() == wanted:
                return person_from_api(u)
        return None

    # -- customer updates and notices: bulk reads and writes (jobs.customer_updates) --------
    def show_tickets(self, ticket_ids: list[int]) -> list[Ticket]:
        """Up to 100 tickets in one read (``GET /tickets/show_many``); missing ones are left out."""
        return [ticket_from_api(t) for t in self._show_many("tickets", ticket_ids)]

    def show_users(self, user_ids: list[int]) -> list[UserRecord]:
        """Up to 100 users in one read (``GET /users/show_many``)."""
        return [user_from_api(u) for u in self._show_many("users", user_ids)]

    def show_organizations(self, org_ids: list[int]) -> list[Organization]:
        """Up to 100 organisations in one read (``GET /organizations/show_many``)."""
        return [organization_from_api(o) for o in self._show_many("organizations", org_ids)]

    def _show_many(self, resource: str, ids: list[int]) -> list[dict[str, Any]]:
        """The first 100 of ``ids`` in one read of ``GET /{resource}/show_many`` (no read for none)."""
        if not ids:
            return []
        url = f"{self.creds.base_url}/api/v2/{resource}/show_many.json"
        return self._list(url, {"ids": ",".join(str(i) for i in ids[:BULK_LIMIT])}, resource)

    def organizations(self, limit: int = 100000) -> list[Organization]:
        """Every organisation (``GET /organizations``, 100 per read)."""
        url = f"{self.creds.base_url}/api/v2/organizations.json"
        return [organization_from_api(o) for o in self._list(url, {"per_page": 100}, "organizations", limit)]

    def search_organizations(self, query: str, limit: int = 1000) -> list[Organization]:
        """Organisations matching a search (``tags:enterprise``); ``type:organization`` is added."""
        url = f"{self.creds.base_url}/api/v2/search.json"
        found = self._list(url, {"query": f"type:organization {query}", "per_page": 100}, "results", limit)
        return [organization_from_api(o) for o in found if o.get("result_type", "organization") == "organization"]

    def search_users(self, query: str, limit: int = 1000) -> list[UserRecord]:
        """Users matching a search (``tags:incident_contact role:end-user``); ``type:user`` is added."""
        url = f"{self.creds.base_url}/api/v2/search.json"
        found = self._list(url, {"query": f"type:user {query}", "per_page": 100}, "results", limit)
        return [user_from_api(u) for u in found if u.get("result_type", "user") == "user"]

    def create_many(self, payloads: list[dict[str, Any]]) -> str:
        """One bulk create (``POST /tickets/create_many``) of up to 100 tickets; returns the job
        status id (see :meth:`job_status`; its results carry each new ticket's ``id`` by ``index``).

        Not retried here, like every create: the caller gives each ticket an ``external_id`` and
        looks for it before trying again.
        """
        if not payloads:
            raise ValueError("create_many needs at least one ticket")
        if len(payloads) > BULK_LIMIT:
            raise ValueError(f"create_many takes at most {BULK_LIMIT} tickets per call")
        url = f"{self.creds.base_url}/api/v2/tickets/create_many.json"
        response = self.session.post(url, json={"tickets": payloads})
        if response.status_code >= 400:
            raise ZendeskError(f"bulk create of {len(payloads)} tickets refused: HTTP {response.status_code}")
        return str(response.json()["job_status"]["id"])

    def _list(self, url: str, params: dict[str, Any] | None, key: str, limit: int = 10000) -> list[dict[str, Any]]:
        """Every item of a list endpoint, following cursor (``links.next``) or offset
        (``next_page``) pagination, up to ``limit`` items."""
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url and len(items) < limit:
            response = retrying(lambda u=next_url, p=params: self._get_json(u, p))
            data = response.json()
            items.extend(x for x in data.get(key) or [] if isinstance(x, dict))
            links, meta = data.get("links") or {}, data.get("meta") or {}
            next_url = links.get("next") if meta.get("has_more") else data.get("next_page")
            params = None  # the next URL carries its own query
        return items[:limit]

    def _get_json(self, url: str, params: dict[str, Any] | None) -> requests.Response:
        response = self.session.get(url, params=params)
        if response.status_code == 404:
            raise NotFound(f"GET {urlsplit(url).path}: not found")
        if response.status_code >= 400:
            raise ZendeskError(f"GET {urlsplit(url).path}: HTTP {response.status_code}")
        return response


def client_from_env(settings: ZendeskSettings, redis: Redis | None, keys: Keys,
                    env: dict[str, str] | None = None) -> ZendeskClient:
    """The client configured from ``ZENDESK_*`` environment variables."""
    return ZendeskClient(Credentials.from_env(env), settings, redis, keys)


__all__ = ["BULK_LIMIT", "ZendeskClient", "client_from_env"]
