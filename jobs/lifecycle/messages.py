"""Customer messages: one public reply per ticket and kind, sent by a queued job, exactly once.

Two messages exist (templates in ``customer_messages``): ``declared`` ("we are handling your
request as a critical incident") and ``resolved`` ("it is resolved"). Read top to bottom, one
message goes:

1. :func:`enqueue` (called by :mod:`jobs.lifecycle.status`) queues one job per (kind, ticket) with a
   unique id, after checking the ``done`` marker: a ticket told once is never queued again;
2. :func:`deliver` re-checks everything at send time, because minutes may have passed: the
   incident must still be in the state the message talks about (a ticket overridden as "not
   critical" is not told it is critical; a reopened incident is not announced as resolved), the
   category must not have the message switched off, and the ticket must have a customer who can
   be written to (not our API user, not a closed ticket). A ``declared`` message knows its
   ticket from the event that declared it seconds earlier (:func:`snapshot_of`) and reads it
   only if the reply is refused; a ``resolved`` one reads it;
3. a ``resolved`` message is not sent when the customer already heard it from a person: the
   update that solved the ticket carried a public reply, or Zendesk is copying the problem
   ticket's public solving reply onto this linked incident (:func:`already_told`);
4. the reply is posted, its comment id is added to ``sent_comments:{ticket}`` (so the SLA never
   takes it for the human first response), and the ``done`` marker and a timeline entry record it.

Exactly once: the unique job id stops a second job while the first lives, the ``done`` marker
(``SET``, kept :data:`MARKER_TTL`) stops any later one, and a lock stops two runs side by side.
A worker killed after Zendesk wrote the reply but before the marker was set leaves an
``attempt`` marker; the run that follows looks for our reply on the ticket before posting again.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from typing import Any

from rq import Retry
from rq.exceptions import DuplicateJobError

from jobs import runtime
from jobs.customer_comms import no_customer
from jobs.runtime import Runtime
from jobs.scheduling import put_off_when_told
from middleware.config.lifecycle import DECLARED, MESSAGE_KINDS
from middleware.store import queues
from middleware.store.incidents import OPEN, RESOLVED
from middleware.zendesk.errors import NotFound, RateLimited, TransientError, ZendeskError
from middleware.zendesk.mapping import Audit
from rules.model import Ticket, format_time

log = logging.getLogger(__name__)

__all__ = ["MessageBusy", "already_told", "deliver", "enqueue", "send", "solving_audit"]

SOLVED = ("solved", "closed")
MARKER_TTL = timedelta(days=400)  # longer than any ticket stays open: a told ticket stays told
SENT_COMMENTS_TTL = timedelta(days=90)
LOCK_SECONDS = 120
JOB_RETRY = Retry(max=5, interval=[10, 30, 60, 120, 300])
KEEP_JOB_SECONDS = 7 * 86400
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class MessageBusy(Exception):
    """Another run is sending this very message right now; RQ's retry looks again shortly."""


def _key(rt: Runtime, what: str, kind: str, ticket_id: int) -> str:
    return rt.keys("lifecycle", what, kind, ticket_id)


def job_id(rt: Runtime, kind: str, ticket_id: int, generation: str = "") -> str:
    """Unique per (kind, ticket) and ``generation`` (the resolution round): a job that found the
    incident reopened and sent nothing must not block the message of the next resolution."""
    return _UNSAFE.sub("_", f"custmsg-{rt.keys.prefix}-{kind}-{ticket_id}" + (f"-{generation}" if generation else ""))


def outcome_of(rt: Runtime, kind: str, ticket_id: int) -> dict[str, Any] | None:
    """What happened to this message (sent / not needed / impossible), or None if nothing yet."""
    raw = rt.redis.get(_key(rt, "done", kind, ticket_id))
    return json.loads(raw) if raw else None


# -- 1. enqueue --------------------------------------------------------------------------------
def enqueue(rt: Runtime, kind: str, ticket_id: int, incident_id: int, category: str | None,
            *, problem_reply: bool = False, generation: str = "", seen: Ticket | None = None) -> bool:
    """Queue the message job for one ticket; False if it is done, switched off or queued already.

    ``problem_reply``: the update that solved the incident's problem ticket carried a public
    reply, which Zendesk copies to the linked incidents it solves (see :func:`already_told`).
    ``generation``: the resolution round, for ``resolved`` messages (see :func:`job_id`).
    ``seen``: the ticket as the event that declared it showed it moments ago; a ``declared``
    message then needs no read of the ticket (see :func:`snapshot_of`).
    """
    if kind not in MESSAGE_KINDS:
        raise ValueError(f"unknown customer message {kind!r}")
    if not rt.config.customer_messages.enabled_for(kind, category):
        return False
    if rt.redis.exists(_key(rt, "done", kind, ticket_id)):
        return False
    try:
        queues.queue(queues.LIFECYCLE_STAGE, rt.redis, rt.keys).enqueue(
            "jobs.lifecycle.messages.send", kind, ticket_id, incident_id, problem_reply,
            snapshot_of(seen) if kind == DECLARED and seen is not None and seen.id == ticket_id else None,
            job_id=job_id(rt, kind, ticket_id, generation), unique=True, retry=JOB_RETRY, job_timeout=120,
            result_ttl=KEEP_JOB_SECONDS, failure_ttl=365 * 86400,
            description=f"customer message {kind} ticket {ticket_id} incident {incident_id}",
        )
    except DuplicateJobError:
        return False
    return True


def snapshot_of(ticket: Ticket) -> dict[str, Any]:
    """What a ``declared`` message needs of its ticket, taken from the declaring event.

    The "handled as critical" message follows the flagging within seconds, and what it checks
    (who the requester is, whether it is a problem ticket, its subject) does not change in
    between; reading the ticket again would cost a Zendesk call per critical ticket, on the day
    the budget is tightest. A ticket deleted or closed meanwhile makes the reply fail, and only
    then is the ticket read (:func:`_unwritable_now`).
    """
    return {"subject": ticket.subject, "status": ticket.status, "type": ticket.type,
            "requester_id": ticket.requester_id}


# -- 2. deliver --------------------------------------------------------------------------------
def send(kind: str, ticket_id: int, incident_id: int, problem_reply: bool = False,
         snapshot: dict[str, Any] | None = None) -> str:
    """RQ entry point for :func:`deliver`; a 429 reschedules the job instead of failing it."""
    rt = runtime.get()
    outcome = put_off_when_told(
        lambda: deliver(rt, kind, ticket_id, incident_id, problem_reply=problem_reply, snapshot=snapshot))
    log.info("ticket %s: customer message %s (incident %s): %s", ticket_id, kind, incident_id, outcome)
    return outcome


def deliver(rt: Runtime, kind: str, ticket_id: int, incident_id: int, *, problem_reply: bool = False,
            snapshot: dict[str, Any] | None = None) -> str:
    """Send the message unless it was sent, is not wanted any more, or the customer knows already."""
    done = outcome_of(rt, kind, ticket_id)
    if done is not None:
        return f"already done: {done['outcome']}"
    incident = rt.incidents.get(incident_id)
    if incident is None:
        return "not sent: no such incident"
    wanted = OPEN if kind == DECLARED else RESOLVED
    if incident.status != wanted:
        return f"not sent: the incident is {incident.status} now"
    settings = rt.config.customer_messages
    if not settings.enabled_for(kind, incident.category):
        return f"not sent: switched off for category {incident.category}"
    lock = rt.redis.lock(_key(rt, "sending", kind, ticket_id), timeout=LOCK_SECONDS)
    if not lock.acquire(blocking=False):
        raise MessageBusy(f"customer message {kind} for ticket {ticket_id} is being sent by another run")
    try:
        if outcome_of(rt, kind, ticket_id) is not None:
            return "already done by another run"
        return _deliver_locked(rt, kind, ticket_id, incident_id, incident.ticket_id, problem_reply, snapshot)
    finally:
        try:
            lock.release()
        except Exception:  # expired while we worked: nothing to give back
            log.debug("customer message lock had expired")


def _deliver_locked(rt: Runtime, kind: str, ticket_id: int, incident_id: int, incident_ticket_id: int,
                    problem_reply: bool, snapshot: dict[str, Any] | None = None) -> str:
    seen = snapshot if kind == DECLARED else None  # the ticket as its declaring event showed it
    if seen is not None:
        ticket = Ticket(id=ticket_id, subject=seen.get("subject") or "", status=seen.get("status"),
                        type=seen.get("type"), requester_id=seen.get("requester_id"))
    else:
        try:
            ticket = rt.zendesk.get_ticket(ticket_id)
        except NotFound:
            return _finish(rt, kind, ticket_id, incident_id, "not_sent", "the ticket no longer exists")
    reason = no_customer(rt, ticket)
    if reason:
        return _finish(rt, kind, ticket_id, incident_id, "not_sent", reason)
    if ticket.status == "closed":
        return _finish(rt, kind, ticket_id, incident_id, "not_sent", "the ticket is closed (Zendesk refuses comments)")
    if kind != DECLARED:
        told = already_told(rt, ticket, incident_ticket_id, problem_reply)
        if told:
            return _finish(rt, kind, ticket_id, incident_id, "already_told", told)
    template = rt.config.customer_messages.template(kind)
    body = template.render(ticket.id, ticket.subject)
    attempt_key = _key(rt, "attempt", kind, ticket_id)
    if rt.redis.exists(attempt_key):  # an earlier run may have posted it and died before the marker
        found = our_reply_on(rt, ticket_id, body)
        if found is not None:
            return _finish(rt, kind, ticket_id, incident_id, "sent", "found on the ticket after a retry", found)
    rt.redis.set(attempt_key, format_time(rt.clock()) or "1", ex=MARKER_TTL)
    try:
        comment_id = rt.zendesk.public_reply(ticket_id, body)
    except NotFound:
        return _finish(rt, kind, ticket_id, incident_id, "not_sent", "the ticket no longer exists")
    except RateLimited:
        # Refused before anything was posted (our budget, or Zendesk's 429): the rescheduled
        # run need not read the comments to find out whether it went through.
        rt.redis.delete(attempt_key)
        raise
    except TransientError:
        raise
    except ZendeskError:
        why = _unwritable_now(rt, ticket_id) if seen is not None else None
        if why is None:
            raise
        return _finish(rt, kind, ticket_id, incident_id, "not_sent", why)
    if comment_id is not None:
        sent = rt.keys("sent_comments", ticket_id)
        pipe = rt.redis.pipeline()
        pipe.sadd(sent, str(comment_id))
        pipe.expire(sent, SENT_COMMENTS_TTL)
        pipe.execute()
    return _finish(rt, kind, ticket_id, incident_id, "sent", None, comment_id)


def _unwritable_now(rt: Runtime, ticket_id: int) -> str | None:
    """After a refused reply on a ticket known only from its event: why it cannot take one now
    (closed or deleted meanwhile), or None when that is not the reason."""
    try:
        closed = rt.zendesk.get_ticket(ticket_id).status == "closed"
    except NotFound:
        return "the ticket no longer exists"
    return "the ticket is closed (Zendesk refuses comments)" if closed else None


def _finish(rt: Runtime, kind: str, ticket_id: int, incident_id: int, outcome: str, reason: str | None,
            comment_id: int | None = None) -> str:
    """Record the outcome for good (marker) and on the incident's timeline (for the review)."""
    now = rt.clock()
    record = {"outcome": outcome, "reason": reason, "comment_id": comment_id, "incident_id": incident_id,
              "at": format_time(now)}
    rt.redis.set(_key(rt, "done", kind, ticket_id), json.dumps(record), ex=MARKER_TTL)
    rt.redis.delete(_key(rt, "attempt", kind, ticket_id))
    rt.incidents.add_event(incident_id, "customer_message", now,
                           {"message": kind, "ticket_id": ticket_id, "outcome": outcome, "reason": reason,
                            "comment_id": comment_id}, dedupe_key=f"customer_message:{kind}:{ticket_id}")
    return outcome + (f": {reason}" if reason else "") + (f" (comment {comment_id})" if comment_id else "")


def solving_audit(audits: list[Audit]) -> Audit | None:
    """The latest update that set the status to solved or closed."""
    for audit in reversed(audits):
        if audit.changed("status") in SOLVED:
            return audit
    return None


def solved_with_public_reply(rt: Runtime, ticket_id: int, requester_id: int | None) -> bool:
    """Did the update that solved this ticket carry a public reply to its requester?"""
    audit = solving_audit(rt.zendesk.audits(ticket_id))
    comment = audit.comment() if audit is not None else None
    return bool(comment and comment.get("public") and comment.get("author_id") != requester_id)


def already_told(rt: Runtime, ticket: Ticket, incident_ticket_id: int, problem_reply: bool) -> str | None:
    """Why the customer already knows the incident is resolved, or None.

    * the ticket is solved and the update that solved it carried a public reply (an agent wrote
      one, or Zendesk copied the problem's solving reply onto this linked incident);
    * the ticket is linked to the incident's problem ticket and not solved yet, but the problem
      was solved with a public reply: Zendesk is solving it with a copy of that reply right now.
    """
    if ticket.status in SOLVED and solved_with_public_reply(rt, ticket.id, ticket.requester_id):
        return "the update that solved the ticket carried a public reply"
    if problem_reply and ticket.id != incident_ticket_id and ticket.problem_id == incident_ticket_id \
            and ticket.status not in SOLVED:
        return "Zendesk copies the problem ticket's public solving reply to this linked ticket"
    return None


def our_reply_on(rt: Runtime, ticket_id: int, body: str) -> int | None:
    """The id of a public comment by our API user with this text (a reply already posted)."""
    api_user = rt.zendesk.api_user_id()
    wanted = " ".join(body.split())
    for comment in reversed(rt.zendesk.comments(ticket_id)):
        if comment.public and comment.author_id == api_user and " ".join(comment.body.split()) == wanted:
            return comment.id
    return None
