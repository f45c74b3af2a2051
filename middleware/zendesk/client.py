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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from redis import Redis
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment as ZComment
from zenpy.lib.api_objects import Ticket as ZTicket
from zenpy.lib.api_objects import User as ZUser
from zenpy.lib.exception import APIException, RecordNotFoundException, ZenpyException

from middleware.config import ZendeskSettings
from middleware.store.connection import Keys
from middleware.zendesk import json_guard
from middleware.zendesk.breaker import CircuitBreaker
from middleware.zendesk.limits import SLACK_SECONDS, URGENT, Limits, current_lane, windows_for
from rules.model import Comment, Organization, Person, Ticket, format_time, parse_time

log = logging.getLogger(__name__)

T = TypeVar("T")

BULK_LIMIT = 100  # tickets per update_many call (Zendesk's limit)


class ZendeskError(Exception):
    """A Zendesk call failed in a way the caller should know about."""


class RateLimited(ZendeskError):
    """Zendesk (or our own shared budget) says: not now, try after ``retry_after`` seconds."""

    def __init__(self, retry_after: float, source: str = "zendesk") -> None:
        self.retry_after = max(1.0, float(retry_after))
        self.source = source
        super().__init__(f"rate limited by {source}; retry after {self.retry_after:.0f} s")


class ZendeskUnavailable(RateLimited):
    """Zendesk is down (the shared circuit breaker is open): try again after ``retry_after``.

    A :class:`RateLimited`, so every job that reschedules itself on a 429 also waits out an
    outage that way, instead of spending its RQ retries (``middleware.zendesk.breaker``).
    """

    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after, source="breaker")


class TransientError(ZendeskError):
    """Connection trouble, a timeout or a 5xx: worth trying again later."""


class Conflict(ZendeskError):
    """A safe update was refused because the ticket changed since we read it (409)."""


class NotFound(ZendeskError):
    """The record does not exist (or we may not see it)."""


class Refused(ZendeskError):
    """Zendesk refused the request as invalid (400 or 422): a closed ticket ("closed prevents
    ticket update"), a field or value it does not accept. Not transient: the same request is
    refused again, so the caller handles it once instead of spending retries on it. ``reason``
    is Zendesk's own explanation (its validation messages name fields, never ticket text)."""

    def __init__(self, what: str, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"{what} refused by Zendesk: HTTP {status}" + (f": {reason}" if reason else ""))


REFUSED_STATUSES = frozenset({400, 422})


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


# One sliding window per pair of keys: KEYS[2i-1] the slots taken (zset: member -> time),
# KEYS[2i] the callers told to wait (member -> wake time). ARGV[1] now (epoch s), ARGV[2] a
# unique member, then per window: ARGV[3i] its length (s), ARGV[3i+1] its limit, ARGV[3i+2] the
# slots this call needs (capped at the limit: such a call waits for an empty window).
# All windows are taken or none. Returns "0" when the call may go now, else the seconds to wait
# for the last of its windows to free (a string: Lua numbers would come back as integers).
_BUDGET_SCRIPT = """
local now, member = tonumber(ARGV[1]), ARGV[2]
local n = #KEYS / 2
local worst = 0
local waits = {}
for i = 1, n do
  local calls = KEYS[2 * i - 1]
  local window, limit, cost = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  if cost > limit then cost = limit end
  redis.call("ZREMRANGEBYSCORE", calls, "-inf", now - window)
  local used = redis.call("ZCARD", calls)
  if used + cost > limit then
    local waiting = KEYS[2 * i]
    redis.call("ZREMRANGEBYSCORE", waiting, "-inf", now)
    local ahead = redis.call("ZCARD", waiting)
    local index = used + cost - 1 - limit + (ahead % limit)
    if index > used - 1 then index = used - 1 end
    local slot = redis.call("ZRANGE", calls, index, index, "WITHSCORES")
    local wait = tonumber(slot[2]) + window * (1 + math.floor(ahead / limit)) - now
    waits[i] = wait
    if wait > worst then worst = wait end
  end
end
if worst > 0 then
  for i = 1, n do
    if waits[i] then
      local waiting = KEYS[2 * i]
      redis.call("ZADD", waiting, now + waits[i], member)
      if redis.call("TTL", waiting) < math.ceil(waits[i]) + 1 then
        redis.call("EXPIRE", waiting, math.ceil(waits[i]) + 1)
      end
    end
  end
  return tostring(worst)
end
for i = 1, n do
  local calls = KEYS[2 * i - 1]
  local window, limit, cost = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  if cost > limit then cost = limit end
  for j = 1, cost do
    redis.call("ZADD", calls, now, member .. ":" .. j)
  end
  redis.call("EXPIRE", calls, math.ceil(window) + 1)
end
return "0"
"""


class CallBudget:
    """Zendesk's rate limits, shared by every worker, each enforced over *any* window.

    Why sliding windows and not a counter per wall-clock minute: a per-minute counter lets the
    whole budget go out at 12:00:59 and again at 12:01:00, twice the limit within two seconds,
    and Zendesk's own minute need not start when ours does (the budget benchmark measured 120
    calls in one 60 s window with a budget of 60, and the plan's limit answered 429). Here the
    time of every call in a window is kept in one sorted set per window, so no window, however
    placed, holds more than its limit.

    Every call spends the account's requests-per-minute window; a ticket update also spends the
    account's ticket-updates window and the ticket's own 10-minute window, an incremental export
    the exports window (``middleware.zendesk.limits``: which, and Zendesk's figures). A bulk
    update spends one update per ticket it names. A call takes all its windows or none, in one
    Redis round trip (a script), so a refused call costs nothing against any of them.

    A refused caller is told to come back when the last of its windows frees; callers refused
    one after the other are given successive slots (and later windows once those run out)
    rather than all the same one, so a backlog wakes up a few jobs at a time instead of all of
    them every second.

    Each window is half a second longer than Zendesk's: a slot is taken just before the request
    leaves, and the time it takes to reach Zendesk varies (the benchmark saw 31 calls arrive
    within 60 s with a budget of 30 and an exact 60 s window).

    A call in the background lane (``middleware.zendesk.limits.lane``) may fill the account-wide
    windows only up to their share kept for urgent work, and waits in a line of its own: a new
    critical flag never waits behind SLA reminders, and is never given a slot after theirs.
    """

    WINDOW_SECONDS = 60.0 + SLACK_SECONDS

    def __init__(self, redis: Redis, keys: Keys, per_minute: int | None = None,
                 clock: Callable[[], float] = time.time, limits: Limits | None = None) -> None:
        self.redis = redis
        self.keys = keys
        if limits is None:
            limits = Limits() if per_minute is None else Limits(requests_per_minute=per_minute)
        elif per_minute is not None:
            limits = replace(limits, requests_per_minute=per_minute)
        self.limits = limits
        self.per_minute = limits.requests_per_minute
        self.clock = clock
        self._script = redis.register_script(_BUDGET_SCRIPT)

    def take(self, method: str = "GET", path: str = "/", body: Any = None,
             query: Mapping[str, Any] | None = None, lane: str | None = None) -> None:
        """Take a slot in every window this call spends, or raise :class:`RateLimited` with the
        seconds until they have all freed. ``lane``: the caller's (default: the current one)."""
        lane = lane or current_lane()
        windows = windows_for(self.limits, method, path, body, query, lane)
        now = self.clock()
        member = f"{now:.6f}-{os.urandom(4).hex()}"
        line = ("waiting",) if lane == URGENT else ("waiting", lane)
        keys: list[str] = []
        args: list[Any] = [f"{now:.6f}", member]
        for w in windows:
            keys += [self.keys("zendesk", "budget", *w.key), self.keys("zendesk", "budget", *w.key, *line)]
            args += [w.seconds, w.limit, w.cost]
        raw = self._script(keys=keys, args=args)
        wait = float(raw.decode() if isinstance(raw, bytes) else raw)
        if wait > 0:
            # Half a second more: RQ's scheduler runs a rescheduled job on a whole second.
            raise RateLimited(wait + 0.5, source="budget")


class _Session(requests.Session):
    """zenpy's HTTP session: rewrites the base URL, applies timeouts, breaker, budget and
    metrics, and turns 429 into :class:`RateLimited` before zenpy can sleep on it."""

    def __init__(self, creds: Credentials, timeout: tuple[float, float], budget: CallBudget | None,
                 counter: Callable[[str, str], None] | None, breaker: CircuitBreaker | None = None) -> None:
        super().__init__()
        self._target = urlsplit(creds.base_url) if creds.api_url else None
        self._timeout = timeout
        self._budget = budget
        self._counter = counter
        self._breaker = breaker
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
        if self._breaker is not None:
            wait = self._breaker.wait_seconds()  # checked first: no budget spent while Zendesk is down
            if wait > 0:
                raise ZendeskUnavailable(wait)
        if self._budget is not None:
            try:
                self._budget.take(method_s, urlsplit(original).path, kwargs.get("json"), kwargs.get("params"))
            except RateLimited:
                if self._breaker is not None:
                    self._breaker.release_probe()  # a probe that does not go: the next caller probes
                raise
        kind = "read" if method_s.upper() == "GET" else "write"
        try:
            response = super().request(method_s, url_s, *args, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            self._unavailable_if_open(exc)
            raise TransientError(f"{method_s} {urlsplit(url_s).path}: {type(exc).__name__}") from exc
        finally:
            if self._counter is not None:
                self._counter(kind, method_s.upper())
        if original != url_s:
            # zenpy picks its response handler by matching the Zendesk host in the URL.
            response.request = response.request.copy()
            response.request.url = original
        if response.status_code >= 500:
            error = TransientError(f"{method_s} {urlsplit(url_s).path}: HTTP {response.status_code}")
            self._unavailable_if_open(error)
            raise error
        if self._breaker is not None:
            self._breaker.succeeded()
        if response.status_code == 429:
            raise RateLimited(_retry_after(response), source="zendesk")
        # Lone surrogates in what Zendesk returns become U+FFFD before anything parses it, as
        # they do in webhooks: text that cannot be encoded would crash the job that reads it.
        response._content = json_guard.clean_bytes(response.content)
        return response

    def _unavailable_if_open(self, cause: Exception) -> None:
        """Count a failed attempt; if it opened the breaker, say so instead of retrying."""
        if self._breaker is None:
            return
        wait = self._breaker.failed()
        if wait > 0:
            raise ZendeskUnavailable(wait) from cause


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


def _status_of(exc: APIException | requests.HTTPError) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def refusal_reason(response: requests.Response | None, limit: int = 300) -> str:
    """Zendesk's words for a 400/422, e.g. ``Status: closed prevents ticket update``: the
    details' descriptions, else the error's description or title, else nothing."""
    try:
        data = response.json() if response is not None else None
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    found: list[str] = []
    details = data.get("details")
    if isinstance(details, dict):
        for problems in details.values():
            for problem in problems if isinstance(problems, list) else [problems]:
                text = problem.get("description") if isinstance(problem, dict) else problem
                if isinstance(text, str) and text.strip():
                    found.append(text.strip())
    error = data.get("error")
    if not found:
        for text in (data.get("description"), error.get("message") if isinstance(error, dict) else None,
                     error.get("title") if isinstance(error, dict) else error):
            if isinstance(text, str) and text.strip():
                found.append(text.strip())
                break
    return "; ".join(dict.fromkeys(found))[:limit]


def _write_error(exc: APIException | requests.HTTPError, what: str, ticket_id: int) -> ZendeskError:
    """The product's exception for a refused ticket write (404, 400/422, anything else)."""
    status = _status_of(exc)
    if status == 404:
        return NotFound(f"ticket {ticket_id} not found")
    if status in REFUSED_STATUSES:
        return Refused(f"ticket {ticket_id} {what}", status, refusal_reason(getattr(exc, "response", None)))
    return ZendeskError(f"ticket {ticket_id} {what} refused: HTTP {status}")


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


@dataclass(frozen=True)
class TaskTicket:
    """A ticket as the review and action tracking reads it: with its due date, assignee and
    external id, which the event-shaped :class:`Ticket` does not carry."""

    id: int
    subject: str
    status: str | None
    type: str | None
    due_at: datetime | None
    assignee_id: int | None
    group_id: int | None
    requester_id: int | None
    tags: tuple[str, ...]
    external_id: str | None
    created_at: datetime | None
    updated_at: datetime | None


def task_from_api(data: dict[str, Any]) -> TaskTicket:
    """A REST API ticket (create, list, search results) as a :class:`TaskTicket`."""
    return TaskTicket(
        id=int(data["id"]),
        subject=data.get("subject") or data.get("raw_subject") or "",
        status=data.get("status"),
        type=data.get("type"),
        due_at=parse_time(data.get("due_at")),
        assignee_id=data.get("assignee_id"),
        group_id=data.get("group_id"),
        requester_id=data.get("requester_id"),
        tags=tuple(data.get("tags") or ()),
        external_id=data.get("external_id"),
        created_at=parse_time(data.get("created_at")),
        updated_at=parse_time(data.get("updated_at")),
    )


@dataclass(frozen=True)
class Audit:
    """One ticket audit: everything one update did (field changes and at most one comment)."""

    id: int | None
    created_at: datetime | None
    author_id: int | None
    events: tuple[dict[str, Any], ...]

    def changed(self, field_name: str) -> Any:
        """The new value of ``field_name`` if this update changed it, else None."""
        for event in self.events:
            if event.get("type") in ("Change", "Create") and event.get("field_name") == field_name:
                return event.get("value")
        return None

    def comment(self) -> dict[str, Any] | None:
        return next((e for e in self.events if e.get("type") == "Comment"), None)


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
        self.session = _Session(
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
        me = _retrying(lambda: self.zenpy.users.me())
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
            except (APIException, requests.HTTPError) as exc:  # zenpy raises HTTPError for a non-JSON body
                if _status_of(exc) == 409:
                    raise Conflict(f"ticket {ticket_id} changed since {format_time(updated_stamp)}") from exc
                raise _write_error(exc, "update", ticket_id) from exc

        audit = _retrying(call)
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
        return _retrying(lambda: [ticket_from_api(t.to_dict()) for t in self.zenpy.tickets(external_id=external_id)])

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

        return str((_retrying(call) if retry else call()).id)

    def job_status(self, job_id: str) -> dict[str, Any]:
        """A background job's status: ``status`` (queued, working, completed, failed, killed) and,
        once done, ``results`` per ticket (``id``, ``success``/``status``, ``error``)."""
        try:
            return dict(_retrying(lambda: self.zenpy.job_status(id=job_id).to_dict()))
        except RecordNotFoundException as exc:
            raise NotFound(f"job status {job_id} not found") from exc

    def comments(self, ticket_id: int) -> list[Comment]:
        """All comments of a ticket, oldest first (authors' staff status is looked up by role)."""
        result = _retrying(lambda: [c.to_dict() for c in self.zenpy.tickets.comments(ticket=ticket_id)])
        return [
            Comment(
                id=c.get("id"),
                body=c.get("body") or "",
                public=bool(c.get("public")),
                author_id=c.get("author_id"),
                created_at=parse_time(c.get("created_at")),
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

    def staff(self) -> list[Person]:
        """Every agent and admin (``GET /users?role[]=agent&role[]=admin``, pages of 100)."""
        users = _retrying(lambda: [u.to_dict() for u in self.zenpy.users(role=["agent", "admin"])])
        return [Person(id=d.get("id"), role=d.get("role"), email=d.get("email"), name=d.get("name")) for d in users]

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
        return [
            Audit(id=a.get("id"), created_at=parse_time(a.get("created_at")), author_id=a.get("author_id"),
                  events=tuple(e for e in a.get("events") or [] if isinstance(e, dict)))
            for a in self._list(url, {"page[size]": 100}, "audits")
        ]

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
        payload: dict[str, Any] = {
            "subject": subject,
            "comment": {"body": body, "public": False},
            "type": "task",
            "due_at": format_time(due_at),
            "tags": list(tags),
            "external_id": external_id,
        }
        for name, value in (("assignee_id", assignee_id), ("group_id", group_id), ("priority", priority)):
            if value is not None:
                payload[name] = value
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
                return Person(id=u.get("id"), role=u.get("role"), email=u.get("email"), name=u.get("name"))
        return None

    # -- customer updates and notices: bulk reads and writes (jobs.customer_updates) --------
    def show_tickets(self, ticket_ids: list[int]) -> list[Ticket]:
        """Up to 100 tickets in one read (``GET /tickets/show_many``); missing ones are left out."""
        if not ticket_ids:
            return []
        url = f"{self.creds.base_url}/api/v2/tickets/show_many.json"
        found = self._list(url, {"ids": ",".join(str(t) for t in ticket_ids[:BULK_LIMIT])}, "tickets")
        return [ticket_from_api(t) for t in found]

    def show_users(self, user_ids: list[int]) -> list[UserRecord]:
        """Up to 100 users in one read (``GET /users/show_many``)."""
        if not user_ids:
            return []
        url = f"{self.creds.base_url}/api/v2/users/show_many.json"
        return [user_from_api(u) for u in self._list(url, {"ids": ",".join(str(u) for u in user_ids[:BULK_LIMIT])},
                                                     "users")]

    def show_organizations(self, org_ids: list[int]) -> list[Organization]:
        """Up to 100 organisations in one read (``GET /organizations/show_many``)."""
        if not org_ids:
            return []
        url = f"{self.creds.base_url}/api/v2/organizations/show_many.json"
        found = self._list(url, {"ids": ",".join(str(o) for o in org_ids[:BULK_LIMIT])}, "organizations")
        return [organization_from_api(o) for o in found]

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
            response = _retrying(lambda u=next_url, p=params: self._get_json(u, p))
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


@dataclass(frozen=True)
class UserRecord:
    """A user as recipient selection reads it: who, which organisation, which tags."""

    id: int
    name: str | None
    email: str | None
    role: str | None
    organization_id: int | None
    tags: tuple[str, ...] = ()


def user_from_api(data: dict[str, Any]) -> UserRecord:
    return UserRecord(id=int(data["id"]), name=data.get("name"), email=data.get("email"), role=data.get("role"),
                      organization_id=data.get("organization_id"), tags=tuple(data.get("tags") or ()))


def organization_from_api(data: dict[str, Any]) -> Organization:
    return Organization(id=data.get("id"), name=data.get("name"), tags=tuple(data.get("tags") or ()),
                        fields=dict(data.get("organization_fields") or {}))


def client_from_env(settings: ZendeskSettings, redis: Redis | None, keys: Keys,
                    env: dict[str, str] | None = None) -> ZendeskClient:
    """The client configured from ``ZENDESK_*`` environment variables."""
    return ZendeskClient(Credentials.from_env(env), settings, redis, keys)


__all__ = [
    "Audit",
    "Conflict",
    "Credentials",
    "NotFound",
    "RateLimited",
    "Refused",
    "TaskTicket",
    "TransientError",
    "UserRecord",
    "ZendeskClient",
    "ZendeskError",
    "ZendeskUnavailable",
    "ZenpyException",
    "client_from_env",
    "task_from_api",
    "ticket_from_api",
    "user_from_api",
]
