"""Dedupe and enqueue one ticket event in ONE atomic Redis round trip.

Why one Lua script instead of ``SET NX`` followed by ``queue.enqueue``:

* **Nothing accepted is lost** (DESIGN.md §7.2). With two steps, a crash or a Redis timeout
  between them leaves the dedupe key set and no job: Zendesk's retry is then answered
  "duplicate" and the event is gone. Inside one script the dedupe keys, the job hash and the
  queue entry are written together or not at all, so a 2xx always means "in Redis".
* **Speed.** One ``EVALSHA`` per accepted event instead of the three to five commands of
  ``SET`` + RQ's own enqueue (which also asks for ``INFO`` once); its cost is in docs/benchmarks.md.

The job function is passed as a dotted string, so the web process never imports the jobs
package: a webhook queues its verified raw body for ``jobs.pipeline.handle_webhook``
(:meth:`EventEnqueuer.enqueue_raw`; the worker builds the event from the same bytes), the
catch-up queues the event it built for ``jobs.pipeline.handle_event`` (:meth:`EventEnqueuer.enqueue`).
Both are deduped on the same marks and share the job id, so either one stops the other.
How the script writes the job (as RQ would, with what is the same for every event learnt once)
is on :class:`EventEnqueuer`.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from redis import Redis
from redis.exceptions import NoScriptError
from rq import Queue, Retry
from rq.job import Job
from rq.scripts import _build_hset_args
from rq.utils import now

from middleware.store import queues
from middleware.store.connection import Keys
from middleware.store.own_connection import command_caller
from middleware.store.queues import EVENTS_STAGE
from rules.model import Ticket, TicketEvent

__all__ = [
    "HANDLE_EVENT",
    "HANDLE_WEBHOOK",
    "EnqueueOutcome",
    "EnqueueResult",
    "EventEnqueuer",
    "EventIds",
    "JobSettings",
    "job_id_for",
]

HANDLE_EVENT = queues.HANDLE_EVENT
HANDLE_WEBHOOK = queues.HANDLE_WEBHOOK

# KEYS[1] job hash, KEYS[2..] dedupe keys (seen event id, then seen invocation id if the delivery
# had one). A mark holds only "1": only its existence is read, and it is the one thing an event
# keeps for days (the job id as its value cost 48 more bytes of Redis memory per mark).
# ARGV[1] job id, ARGV[2] actor id ("" none), ARGV[3] "1" to check the API user, ARGV[4..] the
# job's per-event values (_HSET_WITH_CONSTANTS), or every field and value of a job RQ built.
# What is the same for every call of one enqueuer (the queue's list and name, rq:queues, the API
# user's key, the TTLs) is written into the script as constants (--QUEUE-- ...): every argument
# costs Redis a Lua string and a table slot per call, and the enqueuer's twenty were a third of
# the script's cost (docs/benchmarks.md, seventh round). Redis here is one server (RQ's), never
# a cluster, so keys that are not declared in KEYS are fine.
# Returns {status, api user id or ""}: status 1 queued, 0 duplicate, 2 caused by our API user.
_SCRIPT = """
local api_user = false
if ARGV[3] == "1" then
  api_user = redis.call("GET", --API_USER--)
  if api_user and ARGV[2] ~= "" and api_user == ARGV[2] then
    return {2, api_user}
  end
end
if redis.call("EXISTS", unpack(KEYS)) > 0 then
  return {0, api_user or ""}
end
--HSET--
--EXPIRE--
redis.call("RPUSH", --QUEUE--, ARGV[1])
redis.call("SADD", --QUEUES--, --QUEUE--)
for i = 2, #KEYS do
  redis.call("SET", KEYS[i], "1", "EX", --DEDUPE_TTL--)
end
return {1, api_user or ""}
"""

_HSET_ALL_ARGS = 'redis.call("HSET", KEYS[1], unpack(ARGV, 4))'
# The constant fields come first, then the per-event ones (_PER_EVENT_FIELDS), named here: ARGV[4]
# the time it was created and queued, ARGV[5] its data, ARGV[6] its description.
_HSET_WITH_CONSTANTS = ('redis.call("HSET", KEYS[1], %s, "created_at", ARGV[4], "data", ARGV[5], '
                        '"description", ARGV[6], "enqueued_at", ARGV[4])')
_PER_EVENT_FIELDS = ("created_at", "data", "description", "enqueued_at")

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class EnqueueOutcome(StrEnum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"
    OWN_API_USER = "own_api_user"


# The script's status -> what it means.
_OUTCOMES = {1: EnqueueOutcome.QUEUED, 0: EnqueueOutcome.DUPLICATE, 2: EnqueueOutcome.OWN_API_USER}


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    outcome: EnqueueOutcome
    job_id: str
    api_user_id: int | None = None  # as found in Redis, for the caller to cache


class EventIds(Protocol):
    """What names a ticket event whose body is queued raw (the receiver's
    ``middleware.zendesk.webhook.normalize.Accepted``): enough to dedupe it, name its job and
    check its actor, without building the event."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def ticket_id(self) -> int | None: ...
    @property
    def actor_id(self) -> int | None: ...


@dataclass(frozen=True)
class JobSettings:
    """How the triage job runs. Every job gets a Retry so a job abandoned by a killed worker
    is re-run (DESIGN.md §6); a failure is kept 30 days so it stays visible (``jobs failed``).

    A job that succeeded is deleted at once (``result_ttl`` 0): redeliveries are deduped by the
    event's and the invocation's marks (``webhook.dedupe_ttl``), not by the job, its outcome
    is in the worker's log, and an hour of finished event jobs was most of Redis's memory
    (7 KB per event with RQ's result; docs/scaling.md)."""

    timeout: int = 60
    result_ttl: int = 0
    failure_ttl: int = 30 * 24 * 3600
    retry_max: int = 5
    retry_intervals: tuple[int, ...] = (5, 15, 30, 60, 120)
    ttl: int | None = None  # a queued event never expires unrun


def job_id_for(event_id: str, keys: Keys) -> str:
    """``"evt-<prefix>-"`` + the event id when RQ accepts it as is (``[A-Za-z0-9_-]``), else a
    readable remainder plus a hash, so two different ids can never share a job. The prefix keeps
    two deployments on one Redis (or two demos replaying the same ids) from sharing a job."""
    head = f"evt-{keys.job_prefix}"
    if _SAFE_ID.fullmatch(event_id):
        return f"{head}-{event_id}"
    digest = hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:32]
    readable = _UNSAFE.sub("_", event_id)[:40].strip("_")
    return f"{head}-{readable}-{digest}" if readable else f"{head}-{digest}"


def _lua_string(value: str | bytes) -> str:
    """A Lua string literal for any bytes: printable ASCII as is, everything else as ``\\ddd``."""
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}" for b in raw) + '"'


_SECOND: list[tuple[int, str]] = [(-1, "")]  # the last second's "YYYY-MM-DDTHH:MM:SS", one tuple for threads


def _rq_time() -> str:
    """``rq.utils.utcformat(rq.utils.now())`` (``%Y-%m-%dT%H:%M:%S.%fZ``, UTC) without ``strftime``,
    the date and time of day formatted once a second (every webhook's job takes the clock: a
    datetime and its ``isoformat`` cost 19k instructions, docs/benchmarks.md)."""
    second, micro = divmod(time.time_ns() // 1000, 1_000_000)
    cached, prefix = _SECOND[0]
    if second != cached:
        prefix = datetime.fromtimestamp(second, UTC).isoformat()[:19]
        _SECOND[0] = (second, prefix)
    return f"{prefix}.{micro:06d}Z"


def _field_text(value: object) -> str | bytes:
    """A job hash value as redis-py would send it (RQ's ``_build_hset_args`` keeps bytes and
    ``str``, ``str()`` of anything else; a ``str`` subclass such as ``JobStatus`` as its value)."""
    if isinstance(value, bytes):
        return value
    return str.__str__(value) if isinstance(value, str) else str(value)


class EventEnqueuer:
    """Built once per process (per app): holds the RQ queue and the registered script.

    ``register_script`` only computes the SHA locally; the first call loads the script into
    Redis (``EVALSHA`` -> ``NOSCRIPT`` -> ``SCRIPT LOAD`` -> ``EVALSHA``), every later call is
    a single ``EVALSHA``.

    The script writes the job exactly as RQ 3.0's ``Queue.enqueue_job`` would (see
    ``rq/queue.py`` ``_prepare_for_queue``/``_enqueue_async_job`` and ``rq/scripts.py``
    ``UNIQUE_ENQUEUE_SCRIPT``): the hash fields come from RQ's own ``_build_hset_args(job)`` (i.e.
    ``job.to_dict()``, ``None`` values dropped), then ``RPUSH rq:queue:<name> <job id>`` and
    ``SADD rq:queues rq:queue:<name>``. Like RQ's unique enqueue it refuses to overwrite an existing
    job hash, so a failed job kept for 30 days is not clobbered by a late redelivery.
    ``Queue.redis_server_version`` is not looked up: it is not stored in the job hash, and
    looking it up would cost an extra ``INFO`` round trip.

    The same script also answers "was this caused by our own API user?" when the web process does
    not yet know that user's id (the worker stores it at ``<prefix>:zendesk:api_user_id``), so
    even that check costs no extra round trip; the id it returns is cached by the caller.

    Work done once, not per request: all but four fields of the job hash (callbacks, timeouts,
    TTLs, retries, origin, status) are the same for every event an enqueuer queues. They are
    learnt at start-up from two jobs RQ itself builds and written into the script as constants;
    per event only ``created_at``, ``data`` (RQ's own serializer), ``description`` and
    ``enqueued_at`` are computed and sent. That skips RQ's ``Job`` construction and ``to_dict`` and
    most of the arguments redis-py encodes per call (docs/benchmarks.md: what that saves per
    webhook). If RQ ever builds a field that differs between events, the enqueuer falls back
    to building every job with RQ.

    One difference from RQ's own hash, on purpose: ``data`` is not zlib-compressed. ``zlib.compress``
    sets up a fresh ~256 KB deflate state on every call, which in the receiver's request (not in a
    tight loop) cost most of the time spent building the job (docs/benchmarks.md), for ~250 bytes
    saved on a job deleted seconds later. RQ reads uncompressed data as such (``Job.restore``: a
    ``zlib.error`` means "not compressed"; pickled data starts with byte 0x80, never a valid zlib
    header).
    """

    def __init__(
        self,
        connection: Redis,
        keys: Keys,
        *,
        dedupe_ttl: timedelta,
        queue_name: str | None = None,
        func: str = HANDLE_EVENT,
        settings: JobSettings | None = None,
    ) -> None:
        self.connection = connection
        self.keys = keys
        self.func = func
        self.settings = settings or JobSettings()
        self.dedupe_ttl_seconds = max(1, int(dedupe_ttl.total_seconds()))
        self.queue = Queue(queue_name or keys.queue(EVENTS_STAGE), connection=connection)
        self._retry = Retry(max=self.settings.retry_max, interval=list(self.settings.retry_intervals))
        # A subclass that builds its own jobs (middleware.web.intake) keeps RQ building every one.
        own_jobs = type(self).build_job is not EventEnqueuer.build_job
        self._constants = None if own_jobs else self._constant_fields()
        self._script = connection.register_script(self._script_text())
        self._call = command_caller(connection)  # the script's round trip without the pool's per-command work
        self._dumps = self.queue.serializer.dumps
        # The per-event keys' fixed heads, joined once (Keys.__call__ per key cost 7k instructions).
        self._event_mark = keys("seen", "event", "")
        self._invocation_mark = keys("seen", "invocation", "")

    def _script_text(self) -> str:
        """The script with this enqueuer's constants written in (see ``_SCRIPT``)."""
        if self._constants is None:
            hset = _HSET_ALL_ARGS
        else:
            hset = _HSET_WITH_CONSTANTS % ", ".join(map(_lua_string, self._constants))
        ttl = self.settings.ttl
        queue_key = _lua_string(self.queue.key)
        return (_SCRIPT.replace("--HSET--", hset)
                .replace("--EXPIRE--", f'redis.call("EXPIRE", KEYS[1], {int(ttl)})' if ttl and ttl > 0 else "")
                .replace("--API_USER--", _lua_string(self.keys("zendesk", "api_user_id")))
                .replace("--QUEUES--", _lua_string(self.queue.redis_queues_keys))
                .replace("--QUEUE--", queue_key)
                .replace("--DEDUPE_TTL--", str(self.dedupe_ttl_seconds)))

    def _constant_fields(self) -> list[str | bytes] | None:
        """The job hash fields that do not depend on the event, as RQ builds them (field, value,
        field, value...); None if anything but the four per-event fields differs between two
        jobs RQ builds for two different events (then every job is built by RQ)."""
        first = _build_hset_args(self.build_job(TicketEvent(id="a", type="created", ticket=Ticket(id=1))))
        second = _build_hset_args(self.build_job(TicketEvent(id="b-2", type="updated", ticket=Ticket(id=22))))
        if first[0::2] != second[0::2] or not set(_PER_EVENT_FIELDS) <= set(first[0::2]):
            return None
        constants: list[str | bytes] = []
        for name, one, two in zip(first[0::2], first[1::2], second[1::2], strict=True):
            if name in _PER_EVENT_FIELDS:
                continue
            if _field_text(one) != _field_text(two):
                return None
            constants += [name, _field_text(one)]
        return constants

    def job_fields(self, event: TicketEvent) -> list[str | bytes]:
        """The per-event fields of the job hash, as RQ would write them but for ``data`` being
        left uncompressed (class docstring): ``Job.data``, the queue's serializer over (func,
        instance, args, kwargs); created and enqueued at the same moment (RQ's ``build_job``
        takes the clock twice, a few microseconds apart)."""
        stamp, data, description = self._values(self.func, (event.to_dict(),), self.description(event))
        return ["created_at", stamp, "data", data, "description", description, "enqueued_at", stamp]

    def _values(self, func: str, args: tuple[object, ...], description: str) -> list[str | bytes]:
        """The per-job values the script names (created and enqueued at, data, description) of a
        job calling ``func(*args)``, whatever it queues (a ticket event's dict, or a webhook's raw
        bytes)."""
        return [_rq_time(), self._dumps((func, None, args, {})), description]

    def description(self, event: TicketEvent) -> str:
        return _describe(self.func, event.id, event.type, event.ticket.id)

    def build_job(self, event: TicketEvent) -> Job:
        """The RQ job for ``event``, prepared as ``Queue._prepare_for_queue`` would, unsaved.

        The description names ids only: RQ's default (the call with its arguments) would put
        ticket text into the job hash and into every worker log line (DESIGN.md §7.7).
        """
        return self.create_job((event.to_dict(),), event_id=event.id, description=self.description(event))

    def create_job(self, args: tuple[object, ...], *, event_id: str, description: str, func: str | None = None) -> Job:
        """An RQ job calling ``func(*args)`` (this enqueuer's function unless named) with this
        enqueuer's settings, id from ``event_id``, prepared as ``Queue._prepare_for_queue`` would
        and unsaved (subclasses that queue something else than a ticket event build theirs with it)."""
        s = self.settings
        job = self.queue.create_job(
            func or self.func,
            args=args,
            job_id=job_id_for(event_id, self.keys),
            timeout=s.timeout,
            result_ttl=s.result_ttl,
            failure_ttl=s.failure_ttl,
            ttl=s.ttl,
            retry=self._retry,
            description=description,
        )
        job.enqueued_at = now()  # origin, timeout and status QUEUED are set by create_job
        return job

    def _run_script(self, keys: list[str], args: list[object]) -> list[object]:
        """One ``EVALSHA`` (``SCRIPT LOAD`` first if Redis lost the script), as redis-py's
        ``Script`` does, without its per-call wrappers, on this process's own connection
        (``middleware.store.own_connection``: the pool's per-command work was most of the call)."""
        script = self._script
        try:
            return self._call("EVALSHA", script.sha, len(keys), *keys, *args)  # type: ignore[no-any-return]
        except NoScriptError:
            script.sha = self.connection.script_load(script.script)
            return self._call("EVALSHA", script.sha, len(keys), *keys, *args)  # type: ignore[no-any-return]

    def enqueue(
        self,
        event: TicketEvent,
        *,
        invocation_id: str | None = None,
        check_api_user: bool = False,
    ) -> EnqueueResult:
        """Queue ``event`` unless its id or the delivery's invocation id was seen within the
        dedupe TTL (or its job still exists). With ``check_api_user``, an event whose actor is
        the API user id stored in Redis is neither queued nor remembered.

        Raises ``redis.RedisError`` when Redis cannot take it: the caller answers 503.
        """
        if self._constants is not None:
            job_id = job_id_for(event.id, self.keys)
            fields = self._values(self.func, (event.to_dict(),), self.description(event))
        else:
            job = self.build_job(event)
            job_id, fields = job.id, _build_hset_args(job)
        return self._queue(job_id, event.id, event.actor_id, fields, invocation_id, check_api_user)

    def enqueue_raw(
        self,
        raw: bytes,
        ids: EventIds,
        *,
        invocation_id: str | None = None,
        check_api_user: bool = False,
    ) -> EnqueueResult:
        """:meth:`enqueue` for a verified and validated webhook queued as its exact bytes: the
        job runs ``jobs.pipeline.handle_webhook(raw, invocation_id)``, which builds the event
        the receiver would have built. Same job id, marks, checks and answers as :meth:`enqueue`.
        Pickling the bytes costs next to nothing, where the event's ``to_dict`` and its pickle
        were a quarter of the receiver's work above the floor (docs/benchmarks.md)."""
        args = (raw, invocation_id)
        description = _describe(HANDLE_WEBHOOK, ids.id, ids.type, ids.ticket_id)
        if self._constants is not None:
            job_id, fields = job_id_for(ids.id, self.keys), self._values(HANDLE_WEBHOOK, args, description)
        else:
            job = self.create_job(args, event_id=ids.id, description=description, func=HANDLE_WEBHOOK)
            job_id, fields = job.id, _build_hset_args(job)
        return self._queue(job_id, ids.id, ids.actor_id, fields, invocation_id, check_api_user)

    def _queue(
        self,
        job_id: str,
        event_id: str,
        actor_id: int | None,
        fields: list[str | bytes],
        invocation_id: str | None,
        check_api_user: bool,
    ) -> EnqueueResult:
        """The script's one round trip: dedupe, the API user's check, the job hash and the queue."""
        keys = [Job.key_for(job_id), self._event_mark + event_id]  # the job, keys("seen", "event", event_id)
        if invocation_id:
            keys.append(self._invocation_mark + invocation_id)
        args = [job_id, "" if actor_id is None else str(actor_id), "1" if check_api_user else "0", *fields]
        status, api_user = self._run_script(keys, args)
        text = api_user.decode("ascii", "replace") if isinstance(api_user, bytes) else str(api_user or "")
        api_user_id = int(text) if text.isascii() and text.isdigit() else None
        return EnqueueResult(_OUTCOMES[int(status)], job_id, api_user_id)


def _describe(func: str, event_id: str, event_type: str, ticket_id: int | None) -> str:
    """The job's description: ids only. RQ's default (the call with its arguments) would put
    ticket text into the job hash and into every worker log line (DESIGN.md §7.7)."""
    return f"{func}(event={event_id} type={event_type} ticket={ticket_id})"
