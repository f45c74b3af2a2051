"""Dedupe and enqueue one ticket event in ONE atomic Redis round trip.

Why one Lua script instead of ``SET NX`` followed by ``queue.enqueue``:

* **Nothing accepted is lost** (DESIGN.md §7.2). With two steps, a crash or a Redis timeout
  between them leaves the dedupe key set and no job: Zendesk's retry is then answered
  "duplicate" and the event is gone. Inside one script the dedupe keys, the job hash and the
  queue entry are written together or not at all, so a 2xx always means "in Redis".
* **Speed.** One ``EVALSHA`` per accepted event (~0.13 ms on the benchmark box), instead of
  the three to five commands of ``SET`` + RQ's own enqueue (which also asks for ``INFO`` once).

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

The job function is passed as a dotted string (``jobs.triage.handle_event``), so the web
process never imports the jobs package.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from redis import Redis
from rq import Queue, Retry
from rq.job import Job
from rq.scripts import _build_hset_args
from rq.utils import now

from middleware.events import TicketEvent
from middleware.queues import EVENTS
from middleware.redis_client import Keys

__all__ = [
    "HANDLE_EVENT",
    "EnqueueOutcome",
    "EnqueueResult",
    "EventEnqueuer",
    "JobSettings",
    "job_id_for",
]

HANDLE_EVENT = "jobs.triage.handle_event"

# KEYS[1] job hash, KEYS[2] queue list, KEYS[3] rq:queues, KEYS[4] api user id,
# KEYS[5..] dedupe keys (seen event id, then seen invocation id if the delivery had one).
# ARGV[1] job id, ARGV[2] queue key (member of rq:queues), ARGV[3] dedupe TTL (s),
# ARGV[4] job TTL (s, -1 none), ARGV[5] actor id ("" none), ARGV[6] "1" to check the API user,
# ARGV[7..] job hash field, value, field, value, ...
# Returns {status, api user id or ""}: status 1 queued, 0 duplicate, 2 caused by our API user.
_SCRIPT = """
local api_user = false
if ARGV[6] == "1" then
  api_user = redis.call("GET", KEYS[4])
  if api_user and ARGV[5] ~= "" and api_user == ARGV[5] then
    return {2, api_user}
  end
end
for i = 5, #KEYS do
  if redis.call("EXISTS", KEYS[i]) == 1 then
    return {0, api_user or ""}
  end
end
if redis.call("EXISTS", KEYS[1]) == 1 then
  return {0, api_user or ""}
end
redis.call("HSET", KEYS[1], unpack(ARGV, 7))
local ttl = tonumber(ARGV[4])
if ttl and ttl > 0 then
  redis.call("EXPIRE", KEYS[1], ttl)
end
redis.call("RPUSH", KEYS[2], ARGV[1])
redis.call("SADD", KEYS[3], ARGV[2])
for i = 5, #KEYS do
  redis.call("SET", KEYS[i], ARGV[1], "EX", ARGV[3])
end
return {1, api_user or ""}
"""

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class EnqueueOutcome(StrEnum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"
    OWN_API_USER = "own_api_user"


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    outcome: EnqueueOutcome
    job_id: str
    api_user_id: int | None = None  # as found in Redis, for the caller to cache


@dataclass(frozen=True)
class JobSettings:
    """How the triage job runs. Every job gets a Retry so a job abandoned by a killed worker
    is re-run (DESIGN.md §6); a failure is kept 30 days so it stays visible."""

    timeout: int = 60
    result_ttl: int = 3600
    failure_ttl: int = 30 * 24 * 3600
    retry_max: int = 5
    retry_intervals: tuple[int, ...] = (5, 15, 30, 60, 120)
    ttl: int | None = None  # a queued event never expires unrun


def job_id_for(event_id: str) -> str:
    """``"evt-"`` + the event id when RQ accepts it as is (``[A-Za-z0-9_-]``), else a readable
    remainder plus a hash, so two different ids can never share a job."""
    if _SAFE_ID.fullmatch(event_id):
        return f"evt-{event_id}"
    digest = hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:32]
    readable = _UNSAFE.sub("_", event_id)[:40].strip("_")
    return f"evt-{readable}-{digest}" if readable else f"evt-{digest}"


class EventEnqueuer:
    """Built once per process (per app): holds the RQ queue and the registered script.

    ``register_script`` only computes the SHA locally; the first call loads the script into
    Redis (``EVALSHA`` -> ``NOSCRIPT`` -> ``SCRIPT LOAD`` -> ``EVALSHA``), every later call is
    a single ``EVALSHA``.
    """

    def __init__(
        self,
        connection: Redis,
        keys: Keys,
        *,
        dedupe_ttl: timedelta,
        queue_name: str = EVENTS,
        func: str = HANDLE_EVENT,
        settings: JobSettings | None = None,
    ) -> None:
        self.connection = connection
        self.keys = keys
        self.func = func
        self.settings = settings or JobSettings()
        self.dedupe_ttl_seconds = max(1, int(dedupe_ttl.total_seconds()))
        self.queue = Queue(queue_name, connection=connection)
        self._retry = Retry(max=self.settings.retry_max, interval=list(self.settings.retry_intervals))
        self._script = connection.register_script(_SCRIPT)
        self._api_user_key = keys("zendesk", "api_user_id")

    def build_job(self, event: TicketEvent) -> Job:
        """The RQ job for ``event``, prepared as ``Queue._prepare_for_queue`` would, unsaved.

        The description names ids only: RQ's default (the call with its arguments) would put
        ticket text into the job hash and into every worker log line (DESIGN.md §7.7).
        """
        s = self.settings
        job = self.queue.create_job(
            self.func,
            args=(event.to_dict(),),
            job_id=job_id_for(event.id),
            timeout=s.timeout,
            result_ttl=s.result_ttl,
            failure_ttl=s.failure_ttl,
            ttl=s.ttl,
            retry=self._retry,
            description=f"{self.func}(event={event.id} type={event.type} ticket={event.ticket.id})",
        )
        job.enqueued_at = now()  # origin, timeout and status QUEUED are set by create_job
        return job

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
        job = self.build_job(event)
        dedupe_keys = [self.keys("seen", "event", event.id)]
        if invocation_id:
            dedupe_keys.append(self.keys("seen", "invocation", invocation_id))
        keys = [job.key, self.queue.key, self.queue.redis_queues_keys, self._api_user_key, *dedupe_keys]
        args = [
            job.id,
            self.queue.key,
            self.dedupe_ttl_seconds,
            job.ttl if job.ttl else -1,
            "" if event.actor_id is None else str(event.actor_id),
            "1" if check_api_user else "0",
            *_build_hset_args(job),
        ]
        status, api_user = self._script(keys=keys, args=args)
        text = api_user.decode("ascii", "replace") if isinstance(api_user, bytes) else str(api_user or "")
        api_user_id = int(text) if text.isascii() and text.isdigit() else None
        outcome = {1: EnqueueOutcome.QUEUED, 0: EnqueueOutcome.DUPLICATE, 2: EnqueueOutcome.OWN_API_USER}[int(status)]
        return EnqueueResult(outcome, job.id, api_user_id)
