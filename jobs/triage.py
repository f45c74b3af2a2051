"""Triage: is this ticket a critical incident, and if so, flag it on Zendesk in one safe update.

Why a job: deciding may need a Zendesk read and flagging is a Zendesk write that may conflict,
wait for the budget or fail; here it is retried or put off while the webhook's answer never
waits, and one safe update never overwrites what an agent changed meanwhile.

Read top to bottom, this is the path of one ticket event after the receiver queued it:

1. ignore our own writes coming back as events;
2. respect an agent's override (``not_critical``, or ``critical_incident`` removed after we set it);
3. ask the rules (pure) for a decision; a non-critical ticket costs no Zendesk call;
4. write tags + priority + an internal note saying why, in one ``safe_update`` that also
   starts the first-response SLA on the ticket (its tag, fields and due time); on 409,
   re-read, re-decide and try again;
5. record the incident and say so (``jobs.happened.declared``): the pipeline runs the declared
   path (SLA clock, alerts, customer message); the clock's start is already on the ticket, so a
   critical ticket costs one write here.

Every step is idempotent: a redelivered event, a second run of this job, or our own write
coming back finds the ticket already flagged (or the incident already open) and writes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from jobs import authorship, happened, possible, ticket_state
from jobs.alerts import notify as alerts
from jobs.flagging import incident_of, note_of, record_flagged, writeback_of
from jobs.lookup import cached_organization, cached_person
from jobs.runtime import Runtime
from jobs.seen import mark_seen
from jobs.sla.transitions import STARTED_IN_DECLARING_WRITE, pending_tag, started_writeback
from jobs.ticket_state import TicketState
from middleware.config.alerting import NOT_FLAGGED as NOT_FLAGGED_EVENT
from middleware.store.feedback import FALSE_ALARM, MISSED, FeedbackStore, record_of
from middleware.store.incidents import NOT_FLAGGED, OPEN, OVERRIDDEN, Incident
from middleware.zendesk.errors import Conflict, NotFound, Refused
from rules import Decision
from rules.model import Ticket, TicketEvent

log = logging.getLogger(__name__)

MAX_CONFLICTS = 3


class ConflictsExhausted(Exception):
    """The ticket kept changing under us; RQ's retry will run the job again later."""


def process(rt: Runtime, event: TicketEvent) -> tuple[str, TicketState | None]:
    """Triage one event: what happened, and the ticket's state for the stages after triage
    (None for our own write coming back: nothing follows it).

    The change counts as seen (the catch-up skips it) only once triage has handled it: decided
    non-critical, or its decision written on Zendesk. A job that fails or waits before that
    leaves the ticket unseen, so ``jobs.reconcile`` still finds it whatever became of the job.
    The ticket's state comes from one Redis round trip that also marks the change seen when
    that is already certain (the rules say not critical and no tag says otherwise; or the
    incident is recorded, so its flag is written); it is read again, marking, if triage
    changed it, and otherwise marked after triage.
    """
    first = rt.config.rules.evaluate(event.ticket)
    plainly_not_critical = (first.decided and not first.critical and not first.possible
                            and not _tagged(rt, event.ticket))
    state = ticket_state.read(rt, event.ticket, mark_seen=True if plainly_not_critical else ticket_state.IF_FLAGGED)
    if event.actor_id is not None and event.actor_id == rt.zendesk.api_user_id():
        return "ignored: our own write", None
    outcome = triage(rt, event, state.incident, first)
    if outcome not in UNCHANGED:
        state = ticket_state.read(rt, event.ticket)
    elif not plainly_not_critical and state.incident is None:
        mark_seen(rt, event.ticket)  # decided only now (e.g. after reading the requester)
    return outcome, state


def _tagged(rt: Runtime, ticket: Ticket) -> bool:
    """Does a tag on the ticket (ours or an override) take the decision out of the rules' hands?"""
    wb = rt.config.writeback
    return wb.critical_tag in ticket.tags or any(tag in ticket.tags for tag in wb.override_tags)


NOT_CRITICAL = "not critical"
ALREADY_FLAGGED = "already flagged"
UNCHANGED = (NOT_CRITICAL, ALREADY_FLAGGED)  # outcomes after which the ticket's state is as read


def triage(rt: Runtime, event: TicketEvent, incident: Incident | None, first: Decision | None = None) -> str:
    """Decide and flag one event's ticket; ``incident`` is its incident as Redis has it,
    ``first`` the rules' decision without context if already made."""
    ticket = event.ticket
    wb = rt.config.writeback

    if is_overridden(rt, ticket, incident):
        if incident is not None and incident.status != OVERRIDDEN:
            rt.incidents.set_status(incident.id, OVERRIDDEN, rt.clock())
            rt.incidents.add_event(incident.id, "overridden", rt.clock(), {"by": event.actor_id},
                                   dedupe_key="overridden")
            happened.overridden(rt, incident, event)
            if incident.rules != ["manual"]:  # the rules flagged it and a person took it back
                FeedbackStore(rt.redis, rt.keys).add(record_of(
                    FALSE_ALARM, ticket, rt.clock(), critical=False, category=None,
                    decision=rt.config.rules.evaluate(ticket), actor_id=event.actor_id))
        elif incident is None and possible.settle(rt, ticket, confirmed=False, actor_id=event.actor_id):
            return "possibly critical, dismissed by an agent"
        return "overridden by an agent: left alone"

    if incident is not None:
        # We flagged it before (the incident is recorded only after our write succeeded); a
        # snapshot without our tag is simply older than that write.
        return ALREADY_FLAGGED
    if wb.critical_tag in ticket.tags:
        if authorship.added_by_us(rt, ticket.id, wb.critical_tag):
            return recover_own_flag(rt, event, ticket)
        adopt_manual_flag(rt, event)
        return "flagged critical by an agent: incident opened"

    decision = decide(rt, ticket, first)
    if decision.critical:
        return flag(rt, event, ticket, decision)
    if decision.possible:
        return possible.mark(rt, event, ticket, decision)
    return NOT_CRITICAL


def is_overridden(rt: Runtime, ticket: Ticket, incident: Incident | None) -> bool:
    """An agent's word beats the rules: an override tag, or our tag removed after we set it.

    Events arrive out of order, so "our tag is missing" counts only on a snapshot newer than
    our own write; an older snapshot simply predates the flag.
    """
    wb = rt.config.writeback
    if any(tag in ticket.tags for tag in wb.override_tags):
        return True
    if incident is None:
        return False
    if incident.status == OVERRIDDEN:
        return True
    stamp = incident.flagged_updated_at
    return (
        wb.critical_tag not in ticket.tags
        and stamp is not None
        and ticket.updated_at is not None
        and ticket.updated_at > stamp
    )


def decide(rt: Runtime, ticket: Ticket, first: Decision | None = None) -> Decision:
    """The rules' decision, fetching the requester/organisation only when it can change it.

    A webhook carries ``requester_id``, not the requester, and each fetch is a Zendesk read.
    The rules first decide without it (three-valued); only a ticket whose outcome could depend
    on the missing context (with the shipped rules: one that says critical/P1, might come from
    staff and is not critical anyway) pays for the read, through the Redis cache, where the
    staff roster keeps agents and admins. What Zendesk does not have simply does not match
    (``complete=True``).
    """
    rules = rt.config.rules
    decision = first if first is not None else rules.evaluate(ticket)
    if decision.decided or rules.critical_whatever_undecided(decision):
        return decision  # critical anyway: who the requester is could only add a tag and a note line
    requester = organization = None
    if decision.needs_requester and ticket.requester_id is not None:
        requester = cached_person(rt, ticket.requester_id, staff_known=True)
    if decision.needs_organization and ticket.organization_id is not None:
        organization = cached_organization(rt, ticket.organization_id)
    return rules.evaluate(ticket.with_context(requester, organization), complete=True)


def flag(rt: Runtime, event: TicketEvent, ticket: Ticket, decision: Decision) -> str:
    """Write the decision onto the ticket in one safe update, re-deciding on conflicts."""
    for _ in range(MAX_CONFLICTS):
        now = rt.clock()
        incident = incident_of(rt, event, ticket, decision, now, extra={STARTED_IN_DECLARING_WRITE: True})
        tags, fields = writeback_of(rt, ticket, decision)
        start = started_writeback(rt, incident, now)
        try:
            updated = rt.zendesk.safe_update(
                ticket.id, ticket.updated_at,
                add_tags=[*tags, *(t for t in start.add_tags if t not in tags)],
                remove_tags=[t for t in start.remove_tags if t in ticket.tags],  # safe update: snapshot is current
                fields=merged_fields(fields, start.fields),
                note=f"{note_of(rt, decision)}\n\n{start.note}",
            )
        except Refused as exc:
            return flag_refused(rt, ticket, incident, exc)
        except Conflict:
            ours = incident
            try:
                ticket = rt.zendesk.get_ticket(ticket.id)
            except NotFound:
                return "ticket deleted before it could be flagged"
            incident = rt.incidents.get(ticket.id)
            if is_overridden(rt, ticket, incident):
                return "overridden by an agent while deciding: left alone"
            if rt.config.writeback.critical_tag in ticket.tags:
                if incident is None:
                    if authorship.added_by_us(rt, ticket.id, rt.config.writeback.critical_tag):
                        # Our own write went through; only its answer was lost.
                        record_flagged(rt, event, ours, ticket)
                        return f"flagged critical ({ours.category or 'uncategorised'}; rules: " \
                               f"{', '.join(ours.rules)}); our write's answer had been lost"
                    adopt_manual_flag(rt, event, ticket)
                return "already flagged (concurrently)"
            decision = decide(rt, ticket)
            if not decision.critical:
                return "no longer critical after an agent's edit"
            continue
        record_flagged(rt, event, incident, updated)
        mark_seen(rt, updated)  # our own write: nothing for the catch-up to find
        rules = ", ".join(m.rule for m in decision.matches)
        return f"flagged critical ({decision.category or 'uncategorised'}; rules: {rules})"
    raise ConflictsExhausted(f"ticket {ticket.id} changed {MAX_CONFLICTS} times while flagging")


def flag_refused(rt: Runtime, ticket: Ticket, incident: Incident, exc: Refused) -> str:
    """Zendesk refused our flagging write (400/422: a closed ticket, a field it rejects). No
    retry can change that, and recording an incident would pretend the ticket is flagged: the
    change counts as seen (handled once) and the ``incident.not_flagged`` route (the Head of
    Support by default) is told, with Zendesk's reason, so a person flags it by hand. Once an
    agent adds the critical tag, the incident is declared as any agent's flag is."""
    mark_seen(rt, ticket)
    log.warning("ticket %s: critical (%s), but Zendesk refused the flag: HTTP %s: %s; a person is alerted",
                ticket.id, incident.category or "uncategorised", exc.status, exc.reason or "no reason given")
    snapshot = replace(incident, status=NOT_FLAGGED)
    alerts.notify(rt, snapshot, NOT_FLAGGED_EVENT, rt.clock(),
                  details={"problem": f"HTTP {exc.status}: {exc.reason or 'no reason given'}"})
    return f"critical, but {exc}; the Head of Support is alerted to flag it by hand"


def merged_fields(ours: dict[str, Any], sla_part: dict[str, Any]) -> dict[str, Any]:
    """Two sets of ticket fields for one update; their ``custom_fields`` lists are joined."""
    merged = {**ours, **sla_part}
    if "custom_fields" in ours and "custom_fields" in sla_part:
        merged["custom_fields"] = [*ours["custom_fields"], *sla_part["custom_fields"]]
    return merged


def adopt_manual_flag(rt: Runtime, event: TicketEvent, ticket: Ticket | None = None) -> None:
    """An agent tagged the ticket critical themselves: it is an incident all the same."""
    ticket = ticket or event.ticket
    now = rt.clock()
    # Our own declaring write whose job died before recording the incident already put the
    # SLA's start on the ticket: do not write it a second time.
    pending = pending_tag(rt)
    extra = {STARTED_IN_DECLARING_WRITE: True} if pending and pending in ticket.tags else {}
    tagged_category = next((c for c, tag in rt.config.writeback.category_tags.items() if tag in ticket.tags), None)
    confirmed = possible.confirmation(rt, ticket)
    if confirmed is not None:  # a possible critical incident, confirmed: the rules' reasons, SLA from the start
        decision = confirmed
        category = tagged_category or decision.category
        rules = ["possible", "confirmed"]
        reasons = [f'possible critical incident confirmed by an agent (tag "{rt.config.writeback.critical_tag}")',
                   *(h.describe() for h in decision.signals if h.weight > 0)]
        from_start = True
    else:
        category, rules, from_start = tagged_category, ["manual"], event.type == "created"
        reasons = [f'tag "{rt.config.writeback.critical_tag}" added by an agent']
    incident = Incident(
        id=ticket.id,
        ticket_id=ticket.id,
        category=category,
        rules=rules,
        reasons=reasons,
        subject=ticket.subject,
        organization_id=ticket.organization_id,
        requester_id=ticket.requester_id,
        ticket_created_at=ticket.created_at,
        declared_at=now,
        critical_from_start=from_start,
        status=OPEN,
        flagged_updated_at=ticket.updated_at,
        extra=extra,
    )
    if rt.incidents.open(incident):
        if confirmed is not None:
            rt.incidents.add_event(incident.id, "possible_confirmed", now, {"by": event.actor_id},
                                   dedupe_key="possible_confirmed")
            possible.settle(rt, ticket, confirmed=True, actor_id=event.actor_id)
        else:
            said = rt.config.rules.evaluate(ticket)
            if not said.critical:  # the rules did not flag it, nor put it to a person: a miss
                FeedbackStore(rt.redis, rt.keys).add(record_of(
                    MISSED, ticket, now, critical=True, category=category, decision=said, actor_id=event.actor_id))
        happened.declared(rt, incident, event)


def recover_own_flag(rt: Runtime, event: TicketEvent, ticket: Ticket) -> str:
    """Our flagging write reached Zendesk but its job never recorded the incident (its answer
    was lost, or the worker died): record it with the rules' reasons, not as an agent's flag."""
    decision = decide(rt, ticket)
    if not decision.critical:  # the rules no longer say so: the tag is all there is to go on
        adopt_manual_flag(rt, event, ticket)
        return "flagged critical by us earlier, no longer by the rules: incident opened"
    pending = pending_tag(rt)
    extra = {STARTED_IN_DECLARING_WRITE: True} if pending and pending in ticket.tags else {}
    record_flagged(rt, event, incident_of(rt, event, ticket, decision, rt.clock(), extra=extra), ticket)
    rules = ", ".join(m.rule for m in decision.matches)
    return f"flagged critical ({decision.category or 'uncategorised'}; rules: {rules}); found our earlier write"
