"""Proactive notices: a ticket to each incident contact of some or all customer organisations.

Some incidents reach customers who have not written in (yet), and sometimes the company must
tell some or all customers about an issue with the platform. A person asks for a notice with
``python -m middleware incident notify ID --orgs 1,2|--org-tag TAG|--all-customers``; each
recipient organisation's **incident contacts** get one proactive ticket each (Zendesk emails it
to them), linked to the incident's problem ticket so that its resolution reaches them too.

Read top to bottom:

1. :func:`plan_notice` (the CLI, with Zendesk reads): the organisations (``show_many`` 100 per
   read, a search by tag, or every organisation), their contacts (the organisation field
   ``customer_updates.contacts.org_field`` where set and filled, else the end users tagged
   ``contacts.user_tag``, found by one search across organisations), and what a send costs.
   ``--dry-run`` prints exactly this plan;
2. :func:`request_notice`: the policy (a named requester, ``--allow-security``, ``--yes`` above
   ``confirm_above`` organisations), then the plan is stored as it is (who will be told is what
   was shown) and one job is queued;
3. :func:`deliver_notice` (the job): the incident's ticket becomes a problem ticket if it is not
   one (one safe update), then the tickets are created 100 per call (``create_many``), each
   ``type: incident`` of the problem, ``pending``, from our API user to the contact, with a
   unique ``external_id``; the problem ticket gets an internal note listing who was told; the
   timeline says who asked and who was told.

Once per (incident, notice, contact): each contact's outcome is kept; before a bulk create the
contacts are marked pending, with the job id once Zendesk answers; a run after a crash asks the
job, or looks the ticket up by its ``external_id``, before creating anything. Notice tickets are
added to the incident's links (so status updates and the "resolved" message reach them, and the
"handled as critical" message does not), carry ``customer_updates.notice_tag`` and the first
``writeback.override_tags`` tag so the rules never take our own notice for a new critical report.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from jobs import customer_comms as comms
from jobs.links import links_key
from jobs.runtime import Runtime
from middleware.config.customer_updates import NOTICE_PLACEHOLDERS, check_message, render
from middleware.store.incidents import RESOLVED
from middleware.zendesk.client import BULK_LIMIT
from middleware.zendesk.errors import NotFound
from rules.model import Organization, format_time

__all__ = [
    "NoticeBusy",
    "NoticePending",
    "Plan",
    "PlanError",
    "Recipient",
    "deliver_notice",
    "notice_status",
    "notices_of",
    "plan_notice",
    "request_notice",
    "send",
]

LOCK_SECONDS = 600
SEARCH_CAP = 1000  # Zendesk search returns at most this many results per query
_EMAILS = re.compile(r"[^\s,;<>]+@[^\s,;<>]+")


class PlanError(ValueError):
    """The recipients cannot be chosen as asked (unknown organisations, no selector, …)."""


class NoticeBusy(comms.SendBusy):
    """Another run is sending this notice right now; RQ's retry looks again shortly."""


class NoticePending(comms.BulkPending):
    """Zendesk has not finished a bulk create yet; RQ's retry asks it again (nothing is re-sent)."""


@dataclass(frozen=True)
class Recipient:
    """One incident contact: who gets one notice ticket."""

    organization_id: int
    organization_name: str
    email: str | None
    name: str | None
    user_id: int | None = None

    @property
    def key(self) -> str:
        """Stable per contact: the user id, else a digest of the email address."""
        if self.user_id is not None:
            return f"user{self.user_id}"
        return "mail" + hashlib.sha256((self.email or "").lower().encode()).hexdigest()[:12]

    def label(self) -> str:
        who = f"{self.name} <{self.email}>" if self.name and self.email else (self.name or self.email or "?")
        return who + (f" (user {self.user_id})" if self.user_id is not None else "")


@dataclass
class Plan:
    """Who a notice would reach and what it costs: what ``--dry-run`` prints and a send stores."""

    incident_id: int
    problem_ticket_id: int
    selector: str
    organizations: list[dict[str, Any]]  # {id, name, contacts: n}
    recipients: list[Recipient]
    reads_made: int
    convert_problem: bool  # the incident's ticket must become a problem ticket first
    link_to_problem: bool  # False: the incident is resolved and its ticket is no problem ticket
    notes: list[str] = field(default_factory=list)

    @property
    def without_contacts(self) -> list[dict[str, Any]]:
        return [o for o in self.organizations if not o["contacts"]]

    def send_cost(self) -> dict[str, int]:
        """Zendesk calls a send makes: bulk creates and their job status reads, the problem
        conversion (a read and a safe update), the note."""
        batches = math.ceil(len(self.recipients) / BULK_LIMIT)
        writes = batches + (1 if self.convert_problem else 0) + (1 if self.recipients else 0)
        reads = batches + (1 if self.convert_problem else 0)
        return {"writes": writes, "reads": reads}

    def describe(self) -> list[str]:
        """The plan in words, one line each (the CLI prints it)."""
        lines = [f"Proactive notice for incident #{self.incident_id}: {len(self.organizations)} organisation(s) "
                 f"({self.selector}), {len(self.recipients)} contact(s)"]
        by_org: dict[int, list[Recipient]] = {}
        for r in self.recipients:
            by_org.setdefault(r.organization_id, []).append(r)
        for org in self.organizations:
            contacts = by_org.get(org["id"], [])
            lines.append(f"  {org['name']} (#{org['id']}): " + (f"{len(contacts)} contact(s)" if contacts else
                                                                "no incident contact: nobody there is told"))
            lines += [f"    - {r.label()}" for r in contacts]
        if self.link_to_problem:
            lines.append(f"Each gets one ticket, linked as an incident to problem ticket #{self.problem_ticket_id}"
                         + (" (which first becomes a problem ticket)" if self.convert_problem else ""))
        else:
            lines.append(f"Each gets one ticket (solved at once: incident #{self.incident_id} is resolved)")
        cost = self.send_cost()
        lines.append(f"Zendesk calls: {self.reads_made} read(s) to choose these recipients; sending costs "
                     f"{cost['writes']} write(s) and {cost['reads']} read(s)")
        lines += self.notes
        return lines

    def to_json(self) -> str:
        return json.dumps({"organizations": self.organizations, "recipients": [asdict(r) for r in self.recipients],
                           "selector": self.selector, "problem_ticket_id": self.problem_ticket_id,
                           "convert_problem": self.convert_problem, "link_to_problem": self.link_to_problem})


# -- 1. the plan --------------------------------------------------------------------------------------
def _reads(rt: Runtime) -> int:
    return int(getattr(rt.zendesk, "calls", {}).get("read", 0))


def select_organizations(rt: Runtime, org_ids: list[int] | None = None, org_tag: str | None = None,
                         all_customers: bool = False) -> tuple[list[Organization], str]:
    """The organisations asked for, and the selector in words. Exactly one way must be given."""
    given = [x for x in (org_ids, org_tag, all_customers or None) if x]
    if len(given) != 1:
        raise PlanError("choose the organisations one way: --orgs ID,ID, --org-tag TAG or --all-customers")
    if org_ids:
        wanted = list(dict.fromkeys(org_ids))
        found: dict[int, Organization] = {}
        for chunk in comms.chunks(wanted, BULK_LIMIT):
            found.update({int(o.id): o for o in rt.zendesk.show_organizations(chunk) if o.id is not None})
        missing = [o for o in wanted if o not in found]
        if missing:
            raise PlanError(f"no such organisation(s) in Zendesk: {', '.join(str(m) for m in missing)}")
        return [found[o] for o in wanted], f"--orgs {','.join(str(o) for o in wanted)}"
    if org_tag:
        if not re.fullmatch(r"[^\s,]+", org_tag):
            raise PlanError("--org-tag takes one tag (no spaces or commas)")
        return (sorted(rt.zendesk.search_organizations(f"tags:{org_tag}", limit=SEARCH_CAP),
                       key=lambda o: o.id or 0), f"--org-tag {org_tag}")
    return sorted(rt.zendesk.organizations(), key=lambda o: o.id or 0), "--all-customers"


def contacts_of(rt: Runtime, organizations: list[Organization]) -> tuple[dict[int, list[Recipient]], list[str]]:
    """Each organisation's incident contacts, and notes on how they were found.

    The organisation field (``contacts.org_field``) wins where it is filled; the others' contacts
    are their end users tagged ``contacts.user_tag``: one search across organisations (100 per
    read), or one search per organisation if the first would pass Zendesk's 1,000-result cap.
    """
    settings = rt.config.customer_updates
    out: dict[int, list[Recipient]] = {int(o.id): [] for o in organizations if o.id is not None}
    by_tag: list[Organization] = []
    for org in organizations:
        listed = _EMAILS.findall(str(org.fields.get(settings.contact_org_field) or "")) \
            if settings.contact_org_field else []
        if listed:
            out[int(org.id)] = [Recipient(int(org.id), org.name or f"#{org.id}", e.lower(), None)  # type: ignore[arg-type]
                                for e in dict.fromkeys(x.lower() for x in listed)]
        else:
            by_tag.append(org)
    notes: list[str] = []
    if not by_tag:
        return out, notes
    names = {int(o.id): o.name or f"#{o.id}" for o in by_tag if o.id is not None}
    query = f"tags:{settings.contact_user_tag} role:end-user"
    if len(by_tag) == 1:
        users = rt.zendesk.search_users(f"organization:{by_tag[0].id} {query}", limit=SEARCH_CAP)
    else:
        users = rt.zendesk.search_users(query, limit=SEARCH_CAP)
        if len(users) >= SEARCH_CAP:
            notes.append(f"more than {SEARCH_CAP} tagged contacts in all: searched organisation by organisation")
            users = [u for o in by_tag for u in rt.zendesk.search_users(f"organization:{o.id} {query}",
                                                                         limit=SEARCH_CAP)]
    for user in sorted(users, key=lambda u: u.id):
        wanted = user.organization_id in names and user.role == "end-user" and settings.contact_user_tag in user.tags
        if wanted and all(r.user_id != user.id for r in out[user.organization_id]):  # type: ignore[index]
            out[user.organization_id].append(Recipient(user.organization_id, names[user.organization_id],  # type: ignore[index,arg-type]
                                                       user.email, user.name, user.id))
    return out, notes


def plan_notice(rt: Runtime, incident_id: int, *, org_ids: list[int] | None = None, org_tag: str | None = None,
                all_customers: bool = False) -> Plan:
    """Everything a notice would do, from Zendesk reads only (nothing is written)."""
    incident = rt.incidents.get(incident_id)
    if incident is None:
        raise PlanError(f"no incident {incident_id}")
    before = _reads(rt)
    try:
        ticket = rt.zendesk.get_ticket(incident.ticket_id)
    except NotFound as exc:
        raise PlanError(f"the incident's ticket #{incident.ticket_id} no longer exists in Zendesk") from exc
    if ticket.type == "incident":
        raise PlanError(f"ticket #{ticket.id} is itself an incident of problem #{ticket.problem_id}: "
                        "notices link to a problem ticket")
    resolved = incident.status == RESOLVED
    is_problem = ticket.type == "problem"
    organizations, selector = select_organizations(rt, org_ids, org_tag, all_customers)
    contacts, notes = contacts_of(rt, organizations)
    listed = [r for o in organizations for r in contacts.get(int(o.id), [])]  # type: ignore[arg-type]
    first: dict[str, Recipient] = {}
    for r in listed:
        first.setdefault(r.key, r)  # one ticket per person, under the first organisation listing them
    recipients = list(first.values())
    if len(recipients) < len(listed):
        notes.append(f"{len(listed) - len(recipients)} contact(s) listed by more than one organisation: "
                     "told once, under the first")
    return Plan(
        incident_id=incident_id, problem_ticket_id=incident.ticket_id, selector=selector,
        organizations=[{"id": int(o.id), "name": o.name or f"#{o.id}",  # type: ignore[arg-type]
                        "contacts": len(contacts.get(int(o.id), []))} for o in organizations],  # type: ignore[arg-type]
        recipients=recipients, reads_made=_reads(rt) - before,
        convert_problem=not is_problem and not resolved and ticket.status != "closed",
        link_to_problem=is_problem or (not resolved and ticket.status != "closed"),
        notes=notes,
    )


# -- 2. the request ----------------------------------------------------------------------------------
def _key(rt: Runtime, incident_id: int, notice_id: str, *rest: str) -> str:
    return rt.keys("cnotice", incident_id, notice_id, *rest)


def _index(rt: Runtime, incident_id: int) -> str:
    return rt.keys("cnotice", incident_id, "index")


def job_id_of(rt: Runtime, incident_id: int, notice_id: str) -> str:
    return comms.safe_id(f"cnotice-{rt.keys.prefix}-{incident_id}-{notice_id}")


@dataclass(frozen=True)
class NoticeRequest:
    incident_id: int
    notice_id: str
    by: str
    created: bool
    job_id: str
    state: str


def request_notice(rt: Runtime, plan: Plan, message: str, by: str, *, subject: str | None = None,
                   notice_id: str | None = None, allow_security: bool = False, yes: bool = False) -> NoticeRequest:
    """Check the policy, store the plan as shown, queue the job. Raises PolicyError/MessageError."""
    incident = rt.incidents.get(plan.incident_id)
    if incident is None:
        raise PlanError(f"no incident {plan.incident_id}")
    name = comms.check_policy(rt.config, incident, by, allow_security)
    body = check_message(message, NOTICE_PLACEHOLDERS)
    settings = rt.config.customer_updates
    title = check_message(subject or settings.notice_subject, NOTICE_PLACEHOLDERS)
    if not plan.recipients:
        raise PlanError("nobody to tell: none of these organisations has an incident contact")
    if len(plan.organizations) > settings.confirm_above and not yes:
        raise comms.PolicyError(f"this notice goes to {len(plan.organizations)} organisations, more than "
                                f"customer_updates.confirm_above ({settings.confirm_above}): add --yes to send it")
    digest = hashlib.sha256(f"{plan.incident_id}\n{plan.selector}\n{title}\n{body}".encode()).hexdigest()[:10]
    nid = comms.safe_id(notice_id.strip()) if notice_id and notice_id.strip() else "n" + digest
    if len(nid) > 64:
        raise ValueError("the notice id is longer than 64 characters")
    key = _key(rt, plan.incident_id, nid)
    now = rt.clock()
    fields = {"subject": title, "by": name, "requested_at": format_time(now) or "", "state": "queued",
              "plan": plan.to_json()}
    created = comms.store_request(rt.redis, key, _index(rt, plan.incident_id), nid, body, fields, now, "notice")
    if created:
        rt.incidents.add_event(plan.incident_id, "customer_notice.requested", now,
                               {"notice_id": nid, "by": name, "selector": plan.selector,
                                "organization_ids": [o["id"] for o in plan.organizations],
                                "contacts": len(plan.recipients)}, dedupe_key=f"customer_notice.requested:{nid}")
    job_id = comms.enqueue_send(rt.redis, rt.keys, "jobs.customer_notices.send", plan.incident_id, nid,
                                job_id=job_id_of(rt, plan.incident_id, nid), job_timeout=1800,
                                description=f"proactive notice {nid} of incident {plan.incident_id}")
    record = comms.read_record(rt.redis, key)
    return NoticeRequest(plan.incident_id, nid, record.get("by", name), created, job_id, record.get("state", "queued"))


# -- 3. the job ------------------------------------------------------------------------------------------
def send(incident_id: int, notice_id: str) -> str:
    """RQ entry point for :func:`deliver_notice`; a 429 or a spent budget reschedules the job."""
    return comms.run_send(deliver_notice, incident_id, notice_id, "proactive notice")


def deliver_notice(rt: Runtime, incident_id: int, notice_id: str) -> str:
    """Create the notice tickets that do not exist yet; then the note and the timeline, once."""
    key = _key(rt, incident_id, notice_id)
    record = comms.read_record(rt.redis, key)
    if not record:
        return "no such notice"
    if record.get("state") == "done":
        return f"already done: {record.get('summary', '')}"
    plan = json.loads(record["plan"])
    recipients = [Recipient(**r) for r in plan["recipients"]]
    busy = NoticeBusy(f"proactive notice {notice_id} of incident {incident_id} is being sent by another run")
    with comms.sending(rt.redis, _key(rt, incident_id, notice_id, "lock"), LOCK_SECONDS, busy):
        problem = int(plan["problem_ticket_id"])
        if plan["convert_problem"]:
            _make_problem(rt, problem)
        _settle_pending(rt, incident_id, notice_id, recipients)
        outcomes = _outcomes(rt, incident_id, notice_id)
        todo = [r for r in recipients if r.key not in outcomes]
        for chunk in comms.chunks(todo, BULK_LIMIT):
            _create_chunk(rt, incident_id, notice_id, record, plan, chunk)
        outcomes = _outcomes(rt, incident_id, notice_id)
        note = comms.note_once(rt, key, problem, note_text(notice_id, record, recipients, outcomes))
        return _finish(rt, incident_id, notice_id, record, plan, outcomes, note)


def _make_problem(rt: Runtime, ticket_id: int) -> None:
    """The incident's ticket becomes a problem ticket (a safe update: an agent's concurrent
    change wins and the retry reads again); nothing if it is one already."""
    ticket = rt.zendesk.get_ticket(ticket_id)
    if ticket.type != "problem":
        rt.zendesk.safe_update(ticket_id, ticket.updated_at, fields={"type": "problem"})
        rt.incidents.add_event(ticket_id, "problem_ticket", rt.clock(), {"ticket_id": ticket_id,
                                                                         "why": "a proactive notice links to it"},
                               dedupe_key="problem_ticket")


def external_id(rt: Runtime, incident_id: int, notice_id: str, recipient: Recipient) -> str:
    return f"{rt.keys.prefix}-notice-{incident_id}-{notice_id}-{recipient.key}"


def _outcomes(rt: Runtime, incident_id: int, notice_id: str) -> dict[str, dict[str, Any]]:
    raw = rt.redis.hgetall(_key(rt, incident_id, notice_id, "contacts"))
    return {k.decode(): json.loads(v) for k, v in raw.items()}


def _decide(rt: Runtime, incident_id: int, notice_id: str, recipient: Recipient, outcome: str,
            ticket_id: int | None, reason: str | None) -> None:
    contacts = _key(rt, incident_id, notice_id, "contacts")
    pipe = rt.redis.pipeline()
    pipe.hset(contacts, recipient.key, json.dumps({"outcome": outcome, "ticket_id": ticket_id, "reason": reason,
                                                   "organization_id": recipient.organization_id,
                                                   "to": recipient.label(), "at": format_time(rt.clock())}))
    pipe.expire(contacts, comms.KEEP)
    pipe.hdel(_key(rt, incident_id, notice_id, "pending"), recipient.key)
    if ticket_id is not None:  # the incident's ticket from now on: updates and "resolved" reach it
        pipe.sadd(links_key(rt, incident_id), str(ticket_id))
    pipe.execute()


def _settle_pending(rt: Runtime, incident_id: int, notice_id: str, recipients: list[Recipient]) -> None:
    """Contacts a run marked pending and did not decide: the bulk job says which ticket each got,
    or, without one, Zendesk's ``external_id`` lookup does. Undecided ones are unmarked."""
    pending_key = _key(rt, incident_id, notice_id, "pending")
    pending = {k.decode(): json.loads(v) for k, v in rt.redis.hgetall(pending_key).items()}
    by_key = {r.key: r for r in recipients}
    statuses: dict[str, dict[int, dict[str, Any]]] = {}
    for rkey, mark in sorted(pending.items()):
        recipient = by_key.get(rkey)
        if recipient is None:
            rt.redis.hdel(pending_key, rkey)
            continue
        job, index = mark.get("job"), mark.get("index")
        result = None
        if job:
            if job not in statuses:
                statuses[job] = {int(r.get("index", i)): r
                                 for i, r in enumerate(comms.bulk_results(rt.zendesk, job, NoticePending))
                                 if isinstance(r, dict)}
            result = statuses[job].get(int(index)) if index is not None else None
        if result is not None and comms.succeeded(result) and result.get("id"):
            _decide(rt, incident_id, notice_id, recipient, comms.SENT, int(result["id"]), None)
            continue
        found = rt.zendesk.tickets_by_external_id(external_id(rt, incident_id, notice_id, recipient))
        if found:
            _decide(rt, incident_id, notice_id, recipient, comms.SENT, min(t.id for t in found), None)
        elif result is not None:
            _decide(rt, incident_id, notice_id, recipient, comms.NOT_SENT, None,
                    f"Zendesk refused the ticket ({result.get('error') or result.get('details') or 'failed'})")
        else:
            rt.redis.hdel(pending_key, rkey)


def payload(rt: Runtime, incident_id: int, notice_id: str, record: dict[str, str], plan: dict[str, Any],
            recipient: Recipient) -> dict[str, Any]:
    """One proactive ticket: from our API user to the contact, public, linked to the problem."""
    settings = rt.config.customer_updates
    values = {"requester_name": recipient.name or "", "organization_name": recipient.organization_name}
    override = rt.config.writeback.override_tags[:1]
    data: dict[str, Any] = {
        "subject": render(record["subject"], values),
        "comment": {"body": render(record["message"], values), "public": True, "author_id": rt.zendesk.api_user_id()},
        "tags": list(dict.fromkeys([settings.notice_tag, *override])),
        "external_id": external_id(rt, incident_id, notice_id, recipient),
        "organization_id": recipient.organization_id,
    }
    if recipient.user_id is not None:
        data["requester_id"] = recipient.user_id
    else:
        data["requester"] = {"email": recipient.email, "name": recipient.name or (recipient.email or "").split("@")[0]}
    if plan["link_to_problem"]:
        data.update(type="incident", problem_id=int(plan["problem_ticket_id"]), status="pending")
    else:
        data["status"] = "solved"
    return data


def _create_chunk(rt: Runtime, incident_id: int, notice_id: str, record: dict[str, str], plan: dict[str, Any],
                  chunk: list[Recipient]) -> None:
    """Up to 100 tickets in one bulk create, and its job status."""
    marks: dict[str, dict[str, Any]] = {r.key: {"job": None, "index": i} for i, r in enumerate(chunk)}
    # a create that may have gone through keeps the marks: the retry looks the tickets up by external id
    comms.write_marked(rt.redis, _key(rt, incident_id, notice_id, "pending"), marks,
                       lambda: rt.zendesk.create_many([payload(rt, incident_id, notice_id, record, plan, r)
                                                       for r in chunk]))
    _settle_pending(rt, incident_id, notice_id, chunk)


def note_text(notice_id: str, record: dict[str, str], recipients: list[Recipient],
              outcomes: dict[str, dict[str, Any]]) -> str:
    """The internal note on the problem ticket: who was told, by which ticket (pure)."""
    sent = [(r, outcomes[r.key]) for r in recipients if outcomes.get(r.key, {}).get("outcome") == comms.SENT]
    failed = [(r, outcomes[r.key]) for r in recipients if outcomes.get(r.key, {}).get("outcome") == comms.NOT_SENT]
    orgs = len({r.organization_id for r, _ in sent})
    lines = [f"Proactive notice {notice_id}, asked for by {record.get('by')} at {record.get('requested_at')}: "
             f"{len(sent)} contact(s) in {orgs} organisation(s) told, each by a ticket of their own:"]
    lines += [f"- {r.organization_name}: {r.label()} → #{o['ticket_id']}" for r, o in sent] or ["- nobody"]
    if failed:
        lines.append("Not told:")
        lines += [f"- {r.organization_name}: {r.label()}: {o.get('reason')}" for r, o in failed]
    lines += ["", f"Subject: {record.get('subject')}", "Message (placeholders filled in per contact):",
              record.get("message", "")]
    return "\n".join(lines)


def _finish(rt: Runtime, incident_id: int, notice_id: str, record: dict[str, str], plan: dict[str, Any],
            outcomes: dict[str, dict[str, Any]], note: str) -> str:
    sent = [o for o in outcomes.values() if o["outcome"] == comms.SENT]
    failed = [o for o in outcomes.values() if o["outcome"] != comms.SENT]
    tickets = sorted(int(o["ticket_id"]) for o in sent)
    orgs = sorted({int(o["organization_id"]) for o in sent})
    summary = (f"{len(sent)} contact(s) in {len(orgs)} organisation(s) told"
               + (f" (tickets {', '.join(f'#{t}' for t in tickets)})" if tickets else "")
               + (f"; not told: {len(failed)}" if failed else "") + f"; internal note {note}")
    now = rt.clock()
    comms.mark_done(rt.redis, _key(rt, incident_id, notice_id), summary, now)
    rt.incidents.add_event(incident_id, "customer_notice", now,
                           {"notice_id": notice_id, "by": record.get("by"), "requested_at": record.get("requested_at"),
                            "selector": plan.get("selector"), "sent": len(sent), "ticket_ids": tickets,
                            "organization_ids": orgs, "not_sent": len(failed)},
                           dedupe_key=f"customer_notice:{notice_id}")
    return summary


# -- what the CLI shows --------------------------------------------------------------------------------
def notice_status(rt: Runtime, incident_id: int, notice_id: str) -> dict[str, Any] | None:
    record = comms.read_record(rt.redis, _key(rt, incident_id, notice_id))
    if not record:
        return None
    return {"notice_id": notice_id, "incident_id": incident_id, "by": record.get("by"),
            "requested_at": record.get("requested_at"), "state": record.get("state"),
            "summary": record.get("summary"), "done_at": record.get("done_at") or None,
            "contacts": _outcomes(rt, incident_id, notice_id)}


def notices_of(rt: Runtime, incident_id: int) -> list[dict[str, Any]]:
    ids = [x.decode() for x in rt.redis.zrange(_index(rt, incident_id), 0, -1)]
    return [s for s in (notice_status(rt, incident_id, n) for n in ids) if s is not None]

