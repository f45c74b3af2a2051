"""What the jobs that write to customers share: the policy, the requester, who has nobody to tell,
and the path of one send (a status update, a proactive notice): its record, its job, its lock,
its pending-marked bulk writes and their results.

Policy, not habit: beyond the two automatic messages (``customer_messages``), nothing reaches a
customer unless a person asks for it, by name, and a security incident's details go out only when
that person says so explicitly (``--allow-security``). :func:`check_policy` is the one place that
decides, for the command line and the incident API alike.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from rq import Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job

from jobs import runtime
from jobs.lookup import cached_person
from jobs.runtime import Runtime
from jobs.scheduling import put_off_when_told
from middleware.config import Config
from middleware.store import queues
from middleware.store.connection import Keys
from middleware.store.incidents import OVERRIDDEN, Incident
from middleware.zendesk.client import ZendeskClient
from middleware.zendesk.errors import NotFound, TransientError, ZendeskError
from rules.model import Ticket, format_time

__all__ = [
    "JOB_RETRY",
    "JOB_WAIT_SECONDS",
    "KEEP",
    "KEEP_JOB_SECONDS",
    "NOT_SENT",
    "SENT",
    "BulkPending",
    "PolicyError",
    "RequesterError",
    "SendBusy",
    "bulk_results",
    "check_policy",
    "chunks",
    "default_requester",
    "digest",
    "enqueue_send",
    "finished_job",
    "mark_done",
    "no_customer",
    "note_once",
    "our_comment",
    "read_record",
    "run_send",
    "safe_id",
    "sending",
    "store_request",
    "succeeded",
    "write_marked",
]

log = logging.getLogger(__name__)

JOB_WAIT_SECONDS = 10.0
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_NAME = re.compile(r"^[\w .@'+-]{1,80}$")


class PolicyError(ValueError):
    """The request is refused by policy (security incident without ``--allow-security``, an
    incident overridden as not critical)."""


class RequesterError(ValueError):
    """The request does not say who asks for it (a bad request, not a refusal)."""


def default_requester() -> str:
    """Who asked, when ``--by`` is not given: the operating-system user running the command."""
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (some containers)
        return os.environ.get("USER") or "unknown"


def check_policy(config: Config, incident: Incident, by: str, allow_security: bool) -> str:
    """The requester's name, cleaned, if this send may go ahead; else :class:`RequesterError` or
    :class:`PolicyError`."""
    name = (by or "").strip()
    if not name or not _NAME.match(name):
        raise RequesterError("say who asks for this send (--by NAME: letters, digits, spaces, . @ ' + -; "
                             "up to 80)")
    if incident.status == OVERRIDDEN:
        raise PolicyError(f"incident {incident.id} was overridden as not critical; nothing is sent for it")
    restricted = config.alerting.alerts.restricted_categories
    if (incident.category or "") in restricted and not allow_security:
        raise PolicyError(f"incident {incident.id} is a {incident.category} incident: its details go to customers "
                          "only if you say so explicitly (--allow-security, or allow_security: true)")
    return name


def safe_id(text: str) -> str:
    """A Redis/RQ-safe token (update and notice ids, job ids)."""
    return _UNSAFE.sub("_", text)


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def finished_job(zendesk: ZendeskClient, job_id: str, wait_seconds: float = JOB_WAIT_SECONDS) -> dict[str, Any] | None:
    """A Zendesk bulk job's status once it has finished, polled with backoff for a few seconds at
    most; None if it is still running (the caller's retry looks again, by the same job id)."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.1
    while True:
        status = zendesk.job_status(job_id)
        if status.get("status") in ("completed", "failed", "killed"):
            return status
        if time.monotonic() + delay > deadline:
            return None
        time.sleep(delay)  # Zendesk runs bulk jobs in the background
        delay = min(delay * 2, 2.0)


def succeeded(result: dict[str, Any]) -> bool:
    """One entry of a bulk job's ``results``: did this ticket's update or create go through?"""
    return result.get("success") is True or str(result.get("status", "")).lower() in ("updated", "created",
                                                                                      "completed")


def digest(text: str) -> str:
    """A short fingerprint of a message, whitespace-insensitive (Zendesk may re-wrap a body)."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]


def our_comment(rt: Runtime, ticket_id: int, fingerprint: str, public: bool) -> int | None:
    """The id of a comment by our API user with this fingerprint (already posted), or None."""
    api_user = rt.zendesk.api_user_id()
    for comment in reversed(rt.zendesk.comments(ticket_id)):
        if comment.author_id == api_user and comment.public == public and digest(comment.body) == fingerprint:
            return comment.id
    return None


def note_once(rt: Runtime, record_key: str, ticket_id: int, text: str) -> str:
    """An internal note on ``ticket_id``, once per record: the hash field ``note`` says
    ``sending:<fingerprint>`` before the write and ``sent on #id`` after it, so a run after a
    crash in between looks on the ticket before writing again. Returns what happened."""
    state = (rt.redis.hget(record_key, "note") or b"").decode()
    if state.startswith("sent") or state.startswith("not sent"):
        return state
    if state.startswith("sending:"):
        try:
            found = our_comment(rt, ticket_id, state.split(":", 1)[1], public=False)
        except NotFound:
            found = None
        if found is not None:
            rt.redis.hset(record_key, "note", f"sent on #{ticket_id}")
            return f"sent on #{ticket_id}"
    rt.redis.hset(record_key, "note", f"sending:{digest(text)}")
    try:
        rt.zendesk.internal_note(ticket_id, text)
    except NotFound:
        rt.redis.hset(record_key, "note", f"not sent: ticket #{ticket_id} no longer exists")
        return f"not sent: ticket #{ticket_id} no longer exists"
    except TransientError:
        raise  # it may have been written: the mark stays and the retry looks first
    except ZendeskError:
        rt.redis.hset(record_key, "note", "")  # refused (budget, 429, 4xx): nothing was written
        raise
    rt.redis.hset(record_key, "note", f"sent on #{ticket_id}")
    return f"sent on #{ticket_id}"


# -- one send: its record, its job, its lock, its bulk writes ----------------------------------
# A notice and a status update are each one send that a person asks for: a Redis record under
# its id (the words, who asked, what happened to each recipient), one RQ job that may run again
# after a crash, a lock so that two runs never write at once, and bulk writes whose recipients
# are marked *pending* first so that a retry looks before it writes again. This is that path.
KEEP = timedelta(days=400)  # how long a send's record and its outcomes stay readable
JOB_RETRY = Retry(max=5, interval=[10, 30, 60, 120, 300])
KEEP_JOB_SECONDS = 7 * 86400
SENT, NOT_SENT = "sent", "not_sent"


class SendBusy(Exception):
    """Another run is writing this send right now; RQ's retry looks again shortly."""


class BulkPending(Exception):
    """Zendesk has not finished a bulk job yet; RQ's retry asks it again (nothing is re-sent)."""


def read_record(redis: Redis, key: str) -> dict[str, str]:
    """A send's record as text (empty: no such send)."""
    return {k.decode(): v.decode() for k, v in redis.hgetall(key).items()}


def store_request(redis: Redis, key: str, index_key: str, send_id: str, body: str, fields: dict[str, str],
                  now: datetime, what: str) -> bool:
    """Record a send under its id once, and list it in the incident's index; True if it is new.

    The same id with the same words is the same send (asking twice sends once); the same id with
    other words is refused (``ValueError``, naming the ``--{what}-id`` option)."""
    created = bool(redis.hsetnx(key, "message", body))
    if created:
        pipe = redis.pipeline()
        pipe.hset(key, mapping=fields)
        pipe.expire(key, KEEP)
        pipe.zadd(index_key, {send_id: now.timestamp()})
        pipe.expire(index_key, KEEP)
        pipe.execute()
    elif (redis.hget(key, "message") or b"").decode() != body:
        raise ValueError(f"{what} id {send_id!r} was used for a different message; choose another --{what}-id")
    return created


def enqueue_send(redis: Redis, keys: Keys, func: str, incident_id: int, send_id: str, *, job_id: str,
                 job_timeout: int, description: str) -> str:
    """Queue a send's job once; a job that failed for good is queued again (a person asked again)."""
    try:
        queues.queue(queues.LIFECYCLE_STAGE, redis, keys).enqueue(
            func, incident_id, send_id, job_id=job_id, unique=True, retry=JOB_RETRY,
            job_timeout=job_timeout, result_ttl=KEEP_JOB_SECONDS, failure_ttl=365 * 86400, description=description,
        )
    except DuplicateJobError:
        with contextlib.suppress(Exception):
            if Job.fetch(job_id, connection=redis).is_failed:
                queues.queue(queues.LIFECYCLE_STAGE, redis, keys).failed_job_registry.requeue(job_id)
    return job_id


def run_send(deliver: Callable[[Runtime, int, str], str], incident_id: int, send_id: str, what: str) -> str:
    """A send's RQ job: ``deliver`` in this process's runtime; a 429 or a spent budget
    reschedules the job (nothing was written), and the outcome is logged."""
    rt = runtime.get()
    outcome = put_off_when_told(lambda: deliver(rt, incident_id, send_id))
    log.info("incident %s: %s %s: %s", incident_id, what, send_id, outcome)
    return outcome


@contextlib.contextmanager
def sending(redis: Redis, lock_key: str, seconds: int, busy: SendBusy) -> Iterator[None]:
    """Hold the send's lock for one run, or raise ``busy`` at once: two runs never write at once."""
    lock = redis.lock(lock_key, timeout=seconds)
    if not lock.acquire(blocking=False):
        raise busy
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # expired while we worked: nothing to give back
            lock.release()


def bulk_results(zendesk: ZendeskClient, job: str, pending: type[BulkPending]) -> list[Any]:
    """A finished bulk job's ``results``; ``pending`` is raised while it runs. A job Zendesk has
    forgotten has no results: the caller looks on the tickets instead."""
    try:
        status = finished_job(zendesk, job)
    except NotFound:
        status = {"results": []}
    if status is None:
        raise pending(f"Zendesk bulk job {job} has not finished")
    return list(status.get("results") or [])


def write_marked(redis: Redis, pending_key: str, marks: dict[str, dict[str, Any]], write: Callable[[], str]) -> None:
    """One bulk write, its recipients marked pending first and given its job id after.

    A write that may have gone through (a transient error) keeps the marks, so the retry looks
    before writing again; one refused before anything was written (the budget, a 429, a 4xx)
    drops them, so the retry writes again."""
    redis.hset(pending_key, mapping={k: json.dumps(m) for k, m in marks.items()})
    redis.expire(pending_key, KEEP)
    try:
        job = write()
    except TransientError:
        raise
    except ZendeskError:
        redis.hdel(pending_key, *marks)
        raise
    redis.hset(pending_key, mapping={k: json.dumps({**m, "job": job}) for k, m in marks.items()})


def mark_done(redis: Redis, key: str, summary: str, now: datetime) -> None:
    """The send is finished: a later run of its job only reports the summary."""
    redis.hset(key, mapping={"state": "done", "summary": summary, "done_at": format_time(now) or ""})


# -- who needs no message ----------------------------------------------------------------------
STAFF_ROLES = ("agent", "admin")


def no_customer(rt: Runtime, ticket: Ticket) -> str | None:
    """Why this ticket has nobody to tell, or None.

    Our own API user as requester (tickets the product filed), or a problem ticket filed by a
    staff member or by the correlation job's requester (``correlation.requester_email``): the
    coordination ticket of a multi-customer incident, whose customers are the requesters of the
    linked tickets and are told on their own tickets.
    """
    if ticket.requester_id is None:
        return "the ticket has no requester"
    if ticket.requester_id == rt.zendesk.api_user_id():
        return "the requester is the middleware's own API user"
    if ticket.type == "problem":
        person = cached_person(rt, ticket.requester_id)
        if person is not None and person.role in STAFF_ROLES:
            return "a problem ticket filed by staff (its customers are told on their linked tickets)"
        if person is not None and person.email and person.email.lower() == _correlation_requester(rt):
            return "a problem ticket filed by the correlation job (its customers are told on their linked tickets)"
    return None


def _correlation_requester(rt: Runtime) -> str | None:
    email = rt.config.correlation.requester_email
    return email.strip().lower() if email and email.strip() else None
