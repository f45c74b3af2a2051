"""What the jobs that write to customers share: the policy, the requester, who has nobody to tell,
bulk job results.

Policy, not habit: beyond the two automatic messages (``customer_messages``), nothing reaches a
customer unless a person asks for it, by name, and a security incident's details go out only when
that person says so explicitly (``--allow-security``). :func:`check_policy` is the one place that
decides, for the command line and the incident API alike.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import time
from collections.abc import Iterator
from typing import Any

from jobs.lookup import cached_person
from jobs.runtime import Runtime
from middleware.config import Config
from middleware.store.incidents import OVERRIDDEN, Incident
from middleware.zendesk.client import ZendeskClient
from middleware.zendesk.errors import NotFound, TransientError, ZendeskError
from rules.model import Ticket

__all__ = [
    "JOB_WAIT_SECONDS",
    "PolicyError",
    "RequesterError",
    "check_policy",
    "chunks",
    "default_requester",
    "digest",
    "finished_job",
    "no_customer",
    "note_once",
    "our_comment",
    "safe_id",
    "succeeded",
]

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
