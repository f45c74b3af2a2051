"""Status updates: one public reply on every ticket of an incident, when a person asks for it.

The Head of Customer Support tells the affected customers how an incident is going *as needed*;
this sends what they wrote to every ticket linked to the incident (its own ticket, the tickets
correlation linked, the tickets agents linked in Zendesk, proactive notice tickets), each
rendered for that ticket (``{ticket_id}``, ``{subject}``, ``{requester_name}``) and addressed to
its requester, and records on the incident's ticket, as an internal note, what went to whom.

Read top to bottom:

1. :func:`request_update` (the CLI and the incident API; Redis only, so the web process can call
   it): checks the policy (:func:`jobs.customer_comms.check_policy`) and the message, stores the
   update under its id and queues one job. The id defaults to a digest of the incident and the
   message, so asking twice for the same text is the same update and sends nothing twice; a
   person who wants the same words sent again gives a new ``--update-id``;
2. :func:`deliver_update` (the job): the tickets, read 100 per call (``show_many``), their
   requesters likewise; tickets nobody can be told on (closed, deleted, our own, a problem ticket
   filed by staff) are recorded as not sent with the reason; the replies go 100 per call through
   Zendesk's bulk update, whose job status says which tickets got theirs;
3. the internal note on the incident's ticket, then the timeline entry.

Once per ticket per update: each ticket's outcome is kept (``{prefix}:cupdate:{incident}:{update}:
tickets``) and never sent again; before a bulk call the tickets are marked *pending* with a
digest of their text, and the bulk job's id is added as soon as Zendesk answers. A run that
follows a crash asks the job for the result, or, without a job id, looks for the reply on the
ticket, before sending anything. A bulk call refused by the budget or a 429 posted nothing: its
marks are dropped and the job is rescheduled.

Never a first response: the replies are written by the middleware's API user, whose comments
the SLA clock never counts (:func:`jobs.sla.clock.is_first_response`, :func:`jobs.sla.clock.find_missed_reply`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis import Redis

from jobs import customer_comms as comms
from jobs.links import linked_ticket_ids
from jobs.lookup import remember_people
from jobs.runtime import Runtime
from middleware.config import Config
from middleware.config.customer_updates import UPDATE_PLACEHOLDERS, check_message, render
from middleware.store.connection import Keys
from middleware.store.incidents import IncidentStore
from middleware.zendesk.errors import NotFound
from rules.model import Person, format_time

__all__ = [
    "NoSuchIncident",
    "UpdateBusy",
    "UpdatePending",
    "addressee",
    "addressees",
    "deliver_update",
    "plan_update",
    "request_update",
    "send",
    "update_status",
    "updates_of",
]

LOCK_SECONDS = 300


class NoSuchIncident(LookupError):
    """No incident is recorded under this id."""


class UpdateBusy(comms.SendBusy):
    """Another run is sending this update right now; RQ's retry looks again shortly."""


class UpdatePending(comms.BulkPending):
    """Zendesk has not finished a bulk job yet; RQ's retry asks it again (nothing is re-sent)."""


@dataclass(frozen=True)
class UpdateRequest:
    """What :func:`request_update` recorded: the update's id, whether it is new, its job."""

    incident_id: int
    update_id: str
    by: str
    created: bool
    job_id: str
    state: str


def _key(keys: Keys, incident_id: int, update_id: str, *rest: str) -> str:
    return keys("cupdate", incident_id, update_id, *rest)


def _index(keys: Keys, incident_id: int) -> str:
    return keys("cupdate", incident_id, "index")


def default_update_id(incident_id: int, message: str) -> str:
    """The same words for the same incident are the same update (asking twice sends once)."""
    return "u" + hashlib.sha256(f"{incident_id}\n{message}".encode()).hexdigest()[:10]


def job_id_of(keys: Keys, incident_id: int, update_id: str) -> str:
    return comms.safe_id(f"cupdate-{keys.prefix}-{incident_id}-{update_id}")


# -- 1. the request ------------------------------------------------------------------------------
def request_update(redis: Redis, keys: Keys, config: Config, incident_id: int, message: str, by: str, *,
                   now: datetime, update_id: str | None = None, allow_security: bool = False) -> UpdateRequest:
    """Record the update and queue its job (Redis only). Raises :class:`NoSuchIncident`,
    :class:`jobs.customer_comms.PolicyError` or :class:`MessageError` with a reason to show."""
    incident = IncidentStore(redis, keys).get(incident_id)
    if incident is None:
        raise NoSuchIncident(f"no incident {incident_id}")
    name = comms.check_policy(config, incident, by, allow_security)
    body = check_message(message, UPDATE_PLACEHOLDERS)
    uid = comms.safe_id(update_id.strip()) if update_id and update_id.strip() else default_update_id(incident_id, body)
    if len(uid) > 64:
        raise ValueError("the update id is longer than 64 characters")
    key = _key(keys, incident_id, uid)
    fields = {"by": name, "requested_at": format_time(now) or "", "state": "queued",
              "allow_security": "1" if allow_security else ""}
    created = comms.store_request(redis, key, _index(keys, incident_id), uid, body, fields, now, "update")
    if created:
        IncidentStore(redis, keys).add_event(incident_id, "customer_update.requested", now,
                                             {"update_id": uid, "by": name},
                                             dedupe_key=f"customer_update.requested:{uid}")
    job_id = comms.enqueue_send(redis, keys, "jobs.customer_updates.send", incident_id, uid,
                                job_id=job_id_of(keys, incident_id, uid), job_timeout=600,
                                description=f"status update {uid} of incident {incident_id}")
    state = (redis.hget(key, "state") or b"queued").decode()
    by_recorded = (redis.hget(key, "by") or name.encode()).decode()
    return UpdateRequest(incident_id, uid, by_recorded, created, job_id, state)


# -- 2. the job ------------------------------------------------------------------------------------
def send(incident_id: int, update_id: str) -> str:
    """RQ entry point for :func:`deliver_update`; a 429 or a spent budget reschedules the job."""
    return comms.run_send(deliver_update, incident_id, update_id, "status update")


def deliver_update(rt: Runtime, incident_id: int, update_id: str) -> str:
    """Send the update to every linked ticket that has not had it; note and timeline once."""

    key = _key(rt.keys, incident_id, update_id)
    record = comms.read_record(rt.redis, key)
    if not record:
        return "no such update"
    if record.get("state") == "done":
        return f"already done: {record.get('summary', '')}"
    incident = rt.incidents.get(incident_id)
    if incident is None:
        return "no such incident"
    busy = UpdateBusy(f"status update {update_id} of incident {incident_id} is being sent by another run")
    with comms.sending(rt.redis, _key(rt.keys, incident_id, update_id, "lock"), LOCK_SECONDS, busy):
        _settle_pending(rt, incident_id, update_id)
        outcomes = _outcomes(rt, incident_id, update_id)
        todo = [t for t in linked_ticket_ids(rt, incident) if t not in outcomes]
        for chunk in comms.chunks(todo, rt.zendesk.bulk_limit):  # each ticket spends one update of the minute
            _send_chunk(rt, incident_id, update_id, record, chunk)
        outcomes = _outcomes(rt, incident_id, update_id)
        note = comms.note_once(rt, key, incident.ticket_id, note_text(update_id, record, outcomes))
        return _finish(rt, incident_id, update_id, record, outcomes, note)


def _outcomes(rt: Runtime, incident_id: int, update_id: str) -> dict[int, dict[str, Any]]:
    raw = rt.redis.hgetall(_key(rt.keys, incident_id, update_id, "tickets"))
    return {int(k): json.loads(v) for k, v in raw.items()}


def _decide(rt: Runtime, incident_id: int, update_id: str, ticket_id: int, outcome: str, reason: str | None,
            to: str | None = None) -> None:
    """A ticket's outcome for this update, for good; its pending mark goes."""
    tickets = _key(rt.keys, incident_id, update_id, "tickets")
    pipe = rt.redis.pipeline()
    pipe.hset(tickets, str(ticket_id), json.dumps({"outcome": outcome, "reason": reason, "to": to,
                                                   "at": format_time(rt.clock())}))
    pipe.expire(tickets, comms.KEEP)
    pipe.hdel(_key(rt.keys, incident_id, update_id, "pending"), str(ticket_id))
    pipe.execute()


def _settle_pending(rt: Runtime, incident_id: int, update_id: str) -> None:
    """Tickets a run marked pending and did not decide: the bulk job says what happened, or,
    without one, the ticket's comments do. Undecided ones are unmarked and sent again."""
    pending_key = _key(rt.keys, incident_id, update_id, "pending")
    pending = {int(k): json.loads(v) for k, v in rt.redis.hgetall(pending_key).items()}
    jobs: dict[str, dict[int, dict[str, Any]] | None] = {}
    for ticket_id, mark in sorted(pending.items()):
        job = mark.get("job")
        result = None
        if job:
            if job not in jobs:
                jobs[job] = {int(r["id"]): r for r in comms.bulk_results(rt.zendesk, job, UpdatePending)
                             if isinstance(r, dict) and r.get("id")}
            result = (jobs[job] or {}).get(ticket_id)
        if result is not None:
            if comms.succeeded(result):
                _decide(rt, incident_id, update_id, ticket_id, comms.SENT, None, mark.get("to"))
            else:
                _decide(rt, incident_id, update_id, ticket_id, comms.NOT_SENT,
                        f"Zendesk refused the reply ({result.get('error') or result.get('details') or 'failed'})")
            continue
        try:
            found = comms.our_comment(rt, ticket_id, mark.get("digest", ""), public=True)
        except NotFound:
            _decide(rt, incident_id, update_id, ticket_id, comms.NOT_SENT, "the ticket no longer exists")
            continue
        if found is not None:
            _decide(rt, incident_id, update_id, ticket_id, comms.SENT, None, mark.get("to"))
        else:
            rt.redis.hdel(pending_key, str(ticket_id))


def addressee(user: Any) -> str | None:
    if user is None:
        return None
    if user.name and user.email:
        return f"{user.name} <{user.email}>"
    return user.name or user.email


@dataclass(frozen=True)
class Addressee:
    """One linked ticket as an update sees it: whom a reply would reach, or why nobody."""

    ticket_id: int
    ticket: Any  # rules.model.Ticket, or None when Zendesk no longer has it
    user: Any  # middleware.zendesk.mapping.UserRecord of the requester, if Zendesk gave one
    reason: str | None  # why nothing is sent there; None: a reply goes to the requester


def addressees(rt: Runtime, ticket_ids: list[int]) -> list[Addressee]:
    """Up to 100 tickets and their requesters, in two reads (``show_many``), with the reason
    a ticket gets nothing (deleted, closed, nobody to tell)."""

    found = {t.id: t for t in rt.zendesk.show_tickets(ticket_ids)}
    users = {u.id: u for u in rt.zendesk.show_users(sorted({t.requester_id for t in found.values()
                                                             if t.requester_id is not None}))}
    remember_people(rt, [Person(id=u.id, role=u.role, email=u.email, name=u.name) for u in users.values()])
    out = []
    for ticket_id in ticket_ids:
        ticket = found.get(ticket_id)
        if ticket is None:
            out.append(Addressee(ticket_id, None, None, "the ticket no longer exists"))
            continue
        reason = comms.no_customer(rt, ticket)
        if reason is None and ticket.status == "closed":
            reason = "the ticket is closed (Zendesk refuses comments)"
        user = users.get(ticket.requester_id) if ticket.requester_id is not None else None
        out.append(Addressee(ticket_id, ticket, user, reason))
    return out


def plan_update(rt: Runtime, incident_id: int) -> tuple[list[Addressee], dict[str, int]]:
    """Who an update would reach now and what sending it costs (``incident update --dry-run``):
    Zendesk reads only, nothing is recorded or sent."""

    incident = rt.incidents.get(incident_id)
    if incident is None:
        raise NoSuchIncident(f"no incident {incident_id}")
    tickets = linked_ticket_ids(rt, incident)
    per_chunk = [addressees(rt, chunk) for chunk in comms.chunks(tickets, rt.zendesk.bulk_limit)]
    batches = sum(1 for seen in per_chunk if any(a.reason is None for a in seen))  # bulk updates (+ job status)
    cost = {"writes": batches + 1, "reads": 1 + 2 * len(per_chunk) + batches}  # + the note; + incidents, reads
    return [a for seen in per_chunk for a in seen], cost


def _send_chunk(rt: Runtime, incident_id: int, update_id: str, record: dict[str, str], chunk: list[int]) -> None:
    """Up to 100 tickets: two reads (tickets, requesters), one bulk write, its job status."""
    tag = rt.config.customer_updates.update_tag
    sending: list[tuple[int, str, str | None]] = []
    for a in addressees(rt, chunk):
        if a.reason is not None:
            _decide(rt, incident_id, update_id, a.ticket_id, comms.NOT_SENT, a.reason)
            continue
        body = render(record["message"], {"ticket_id": a.ticket.id, "subject": a.ticket.subject or f"#{a.ticket.id}",
                                          "requester_name": (a.user.name if a.user else None) or ""})
        sending.append((a.ticket_id, body, addressee(a.user)))
    if not sending:
        return
    marks: dict[str, dict[str, Any]] = {str(tid): {"job": None, "digest": comms.digest(body), "to": to}
                                        for tid, body, to in sending}
    # a write that may have gone through keeps the marks: the retry looks for the reply on the tickets
    comms.write_marked(rt.redis, _key(rt.keys, incident_id, update_id, "pending"), marks,
                       lambda: rt.zendesk.update_many([{"id": tid, "comment": {"body": body, "public": True},
                                                        "additional_tags": [tag]} for tid, body, _ in sending],
                                                      retry=False))
    _settle_pending(rt, incident_id, update_id)


# -- 3. the note and the timeline --------------------------------------------------------------------
def note_text(update_id: str, record: dict[str, str], outcomes: dict[int, dict[str, Any]]) -> str:
    """What the internal note on the incident's ticket says: what was sent to whom (pure)."""
    sent = sorted(t for t, o in outcomes.items() if o["outcome"] == comms.SENT)
    not_sent = sorted(t for t, o in outcomes.items() if o["outcome"] != comms.SENT)
    lines = [f"Status update {update_id} to the customers of this incident, asked for by {record.get('by')} "
             f"at {record.get('requested_at')}.",
             f"Sent as a public reply to {len(sent)} ticket(s):"]
    lines += [f"- #{t} to {outcomes[t].get('to') or 'its requester'}" for t in sent] or ["- none"]
    if not_sent:
        lines.append(f"Not sent to {len(not_sent)} ticket(s):")
        lines += [f"- #{t}: {outcomes[t].get('reason')}" for t in not_sent]
    lines += ["", "Message (placeholders filled in per ticket):", record.get("message", "")]
    return "\n".join(lines)


def _finish(rt: Runtime, incident_id: int, update_id: str, record: dict[str, str],
            outcomes: dict[int, dict[str, Any]], note: str) -> str:
    sent = sorted(t for t, o in outcomes.items() if o["outcome"] == comms.SENT)
    not_sent = {t: o.get("reason") for t, o in sorted(outcomes.items()) if o["outcome"] != comms.SENT}
    summary = (f"sent to {len(sent)} ticket(s)" + (f" ({', '.join(f'#{t}' for t in sent)})" if sent else "")
               + (f"; not sent to {len(not_sent)}: " + "; ".join(f"#{t} {r}" for t, r in not_sent.items())
                  if not_sent else "") + f"; internal note {note}")
    now = rt.clock()
    comms.mark_done(rt.redis, _key(rt.keys, incident_id, update_id), summary, now)
    rt.incidents.add_event(incident_id, "customer_update", now,
                           {"update_id": update_id, "by": record.get("by"),
                            "requested_at": record.get("requested_at"), "sent": len(sent), "ticket_ids": sent,
                            "not_sent": {str(t): r for t, r in not_sent.items()}},
                           dedupe_key=f"customer_update:{update_id}")
    return summary


# -- what the CLI and the API show ---------------------------------------------------------------------
def update_status(redis: Redis, keys: Keys, incident_id: int, update_id: str) -> dict[str, Any] | None:
    """One update as the CLI and the API show it (None: no such update)."""
    record = comms.read_record(redis, _key(keys, incident_id, update_id))
    if not record:
        return None
    raw = redis.hgetall(_key(keys, incident_id, update_id, "tickets"))
    tickets = {int(k): json.loads(v) for k, v in raw.items()}
    return {"update_id": update_id, "incident_id": incident_id, "by": record.get("by"),
            "requested_at": record.get("requested_at"), "state": record.get("state"),
            "summary": record.get("summary"), "done_at": record.get("done_at") or None,
            "tickets": {str(t): o for t, o in sorted(tickets.items())}}


def updates_of(redis: Redis, keys: Keys, incident_id: int) -> list[dict[str, Any]]:
    """Every status update of an incident, oldest first."""
    ids = [x.decode() for x in redis.zrange(_index(keys, incident_id), 0, -1)]
    return [s for s in (update_status(redis, keys, incident_id, u) for u in ids) if s is not None]
