"""Many customers, one problem: reports of one topic from several organisations become one
Zendesk problem ticket, their tickets linked to it as incidents, and ONE critical incident.

Called for every ticket event after triage (``jobs.pipeline.after_event``). Read top to bottom:

1. **match** (pure): the ticket against the configured topics (``correlation.topics``), unless
   it is already linked, is a problem itself, is closed, or is one of the intake's own tickets;
2. **report** (one atomic Redis script): the ticket joins the topic's reports (first sight
   wins; reports older than the window drop out) and the script answers what to do:

   * ``wait``: fewer than ``threshold`` distinct organisations reported within ``window``;
   * ``create``: the threshold is reached and this worker now holds the topic's *claim* (a
     token with an expiry, in the same script, so of two workers reporting at the same
     instant exactly one gets it);
   * ``claimed``: another worker is creating the problem ticket; this ticket is in the reports
     it will link;
   * ``link``: the problem ticket exists; link whatever is not linked yet;

3. **create** (claim holder): find the problem ticket by its ``external_id`` (topic + episode,
   so a retry or a worker taking over an expired claim finds the one already made) or create
   it, flagged critical; open ONE incident (category ``multi_customer``, SLA clock from the
   first report) and say it is declared (``jobs.happened``: the pipeline runs the declared
   path, alerts once); then record the problem id, which ends the claim;
4. **link**: every reported ticket not yet linked gets ``type: incident``, ``problem_id`` and
   the multi-customer tag through Zendesk's bulk update, 100 tickets per call; a ticket counts
   as linked once the bulk job reports it updated (an unfinished job is retried by RQ).

The episode lasts while matching reports keep coming within the window (every key expires a
window after the latest report) and while the problem's incident is open.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jobs import happened
from jobs.runtime import Runtime
from middleware.config.correlation import Topic
from middleware.store.incidents import OPEN, Incident
from middleware.zendesk.limits import BACKGROUND, lane
from rules.model import Ticket, TicketEvent, format_time

__all__ = [
    "LinkPending",
    "after_event",
    "correlate",
]

log = logging.getLogger(__name__)

CATEGORY = "multi_customer"
SKIP_TAGS = ("monitoring_alert", "staff_report")  # the intake's own tickets are not customer reports
CLOSED = ("solved", "closed")
JOB_WAIT_SECONDS = 10.0

# KEYS: 1 reports (zset ticket -> report time), 2 orgs (hash ticket -> org), 3 state (hash),
#       4 linked (set), 5 episode counter.
# ARGV: 1 ticket id, 2 org id ("" none), 3 report time, 4 now, 5 window s, 6 threshold,
#       7 claim token, 8 claim TTL s.
# Returns {action, detail}: wait <orgs>, claimed <token>, create <episode>, link <problem id>.
_REPORT = """
local reports, orgs, state, linked = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, window = tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call("ZADD", reports, "NX", ARGV[3], ARGV[1])
redis.call("HSETNX", orgs, ARGV[1], ARGV[2])
for _, key in ipairs({reports, orgs, state, linked}) do
  redis.call("EXPIRE", key, window)
end
local problem = redis.call("HGET", state, "problem_id")
if problem then
  return {"link", problem}
end
local old = redis.call("ZRANGEBYSCORE", reports, "-inf", "(" .. (now - window))
for _, member in ipairs(old) do
  redis.call("ZREM", reports, member)
  redis.call("HDEL", orgs, member)
end
local seen, distinct = {}, 0
for _, member in ipairs(redis.call("ZRANGE", reports, 0, -1)) do
  local org = redis.call("HGET", orgs, member)
  if org and org ~= "" and not seen[org] then
    seen[org] = true
    distinct = distinct + 1
  end
end
if distinct < tonumber(ARGV[6]) then
  return {"wait", tostring(distinct)}
end
local claim = redis.call("HGET", state, "claim")
local claim_until = tonumber(redis.call("HGET", state, "claim_until") or "0")
if claim and claim ~= ARGV[7] and claim_until > now then
  return {"claimed", claim}
end
local episode = redis.call("HGET", state, "episode")
if not episode then
  episode = tostring(redis.call("INCR", KEYS[5]))
  redis.call("HSET", state, "episode", episode)
end
redis.call("HSET", state, "claim", ARGV[7], "claim_until", tostring(now + tonumber(ARGV[8])))
return {"create", episode}
"""

# KEYS: 1 state; ARGV: 1 claim token, 2 problem id, 3 now.
# Returns {"ok"|"exists"|"lost", problem id or ""}.
_ESTABLISH = """
local current = redis.call("HGET", KEYS[1], "problem_id")
if current then
  return {"exists", current}
end
if redis.call("HGET", KEYS[1], "claim") ~= ARGV[1] then
  return {"lost", ""}
end
redis.call("HSET", KEYS[1], "problem_id", ARGV[2], "established_at", ARGV[3])
redis.call("HDEL", KEYS[1], "claim", "claim_until")
return {"ok", ARGV[2]}
"""

# KEYS: 1 state, 2 reports, 3 orgs, 4 linked; ARGV: 1 problem id. Ends the episode if it is
# still the one of this problem (a newer episode is left alone).
_END = """
if redis.call("HGET", KEYS[1], "problem_id") == ARGV[1] then
  redis.call("DEL", KEYS[1], KEYS[2], KEYS[3], KEYS[4])
  return 1
end
return 0
"""


class LinkPending(Exception):
    """Zendesk has not confirmed every link yet; RQ's retry runs the event again and re-links
    what is still unconfirmed (setting the same problem twice changes nothing)."""


@dataclass(frozen=True)
class _Keys:
    reports: str
    orgs: str
    state: str
    linked: str
    episodes: str

    @classmethod
    def of(cls, rt: Runtime, topic: Topic) -> _Keys:
        k = rt.keys
        return cls(k("correlate", topic.name, "reports"), k("correlate", topic.name, "orgs"),
                   k("correlate", topic.name, "state"), k("correlate", topic.name, "linked"),
                   k("correlate", topic.name, "episodes"))


# ---------------------------------------------------------------------------------------------
# 1. Match
# ---------------------------------------------------------------------------------------------
def after_event(rt: Runtime, event: TicketEvent) -> None:
    """The declared path's hook: correlate a customer's ticket with others on the same topic."""
    ticket = event.ticket
    if (event.source == "intake" or ticket.problem_id is not None or ticket.type == "problem"
            or ticket.status in CLOSED or any(t in ticket.tags for t in SKIP_TAGS)):
        return
    found = rt.config.correlation.matching(ticket)
    if not found:
        return
    topic, reasons = found[0]
    outcome = correlate(rt, topic, event, reasons)
    log.info("ticket %s: topic %s: %s", ticket.id, topic.name, outcome)


# ---------------------------------------------------------------------------------------------
# 2. Report
# ---------------------------------------------------------------------------------------------
def correlate(rt: Runtime, topic: Topic, event: TicketEvent, reasons: tuple[str, ...] = ()) -> str:
    """Record the report and do what the topic's state calls for (see the module docstring)."""
    keys = _Keys.of(rt, topic)
    ticket = event.ticket
    now = rt.clock()
    action, detail = _report(rt, keys, topic, event, now)
    if action == "link" and not _still_open(rt, keys, int(detail)):
        action, detail = _report(rt, keys, topic, event, now)  # the old episode ended: a fresh start
    if action == "wait":
        return f"reported ({detail} of {topic.threshold} organisations within {_minutes(topic)})"
    if action == "claimed":
        return "another worker is opening the problem ticket; this ticket will be linked by it"
    if action == "create":
        problem_id = open_problem(rt, keys, topic, event, int(detail), reasons)
        if problem_id is None:
            return "lost the claim to another worker; it links this ticket"
        return link(rt, keys, topic, problem_id, f"problem ticket {problem_id} opened")
    return link(rt, keys, topic, int(detail), f"ticket {ticket.id} joins problem {detail}")


def _report(rt: Runtime, keys: _Keys, topic: Topic, event: TicketEvent, now: datetime) -> tuple[str, str]:
    ticket = event.ticket
    reported = event.time or ticket.created_at or now  # when this customer said it (a comment may be new)
    script = rt.redis.register_script(_REPORT)
    claim_ttl = int(rt.config.correlation.lock_timeout.total_seconds())
    result = script(
        keys=[keys.reports, keys.orgs, keys.state, keys.linked, keys.episodes],
        args=[ticket.id, ticket.organization_id or "", reported.timestamp(), now.timestamp(),
              int(topic.window.total_seconds()), topic.threshold, event.id, claim_ttl],
    )
    return _text(result[0]), _text(result[1])


def _still_open(rt: Runtime, keys: _Keys, problem_id: int) -> bool:
    """The episode lives while its incident is open; once resolved (or overridden), new
    reports start a new episode and, past the threshold, a new problem ticket."""
    incident = rt.incidents.get(problem_id)
    if incident is None or incident.status == OPEN:
        return True  # None: being declared right now by the creator
    script = rt.redis.register_script(_END)
    script(keys=[keys.state, keys.reports, keys.orgs, keys.linked], args=[problem_id])
    return False


# ---------------------------------------------------------------------------------------------
# 3. Create the problem ticket and declare the incident (claim holder only)
# ---------------------------------------------------------------------------------------------
def open_problem(rt: Runtime, keys: _Keys, topic: Topic, event: TicketEvent, episode: int,
                 reasons: tuple[str, ...]) -> int | None:
    """Find or create the problem ticket, declare its incident once, then record it.

    The incident is opened *before* the problem id is recorded: a crash in between leaves the
    claim, whose retry (or successor) finds the ticket by external id and the incident already
    open, so the alerts and the SLA clock still happen exactly once.
    """
    reports = _reports(rt, keys)
    external_id = f"{rt.keys.prefix}-problem-{topic.name}-{episode}"
    existing = rt.zendesk.tickets_by_external_id(external_id)
    problem = min(existing, key=lambda t: t.id) if existing else rt.zendesk.create_ticket(
        problem_payload(rt, topic, reports, external_id, reasons))
    declare_problem(rt, topic, problem, reports, reasons)
    script = rt.redis.register_script(_ESTABLISH)
    status, current = (_text(x) for x in script(keys=[keys.state], args=[event.id, problem.id,
                                                                          rt.clock().timestamp()]))
    if status == "lost":
        return None
    return int(current)


@dataclass(frozen=True)
class _Reports:
    """The topic's reports as Redis holds them: ticket -> (report time, organisation)."""

    tickets: dict[int, tuple[datetime, int | None]]

    @property
    def first_at(self) -> datetime | None:
        return min((at for at, _ in self.tickets.values()), default=None)

    @property
    def organization_ids(self) -> list[int]:
        return sorted({org for _, org in self.tickets.values() if org is not None})


def _reports(rt: Runtime, keys: _Keys) -> _Reports:
    pipe = rt.redis.pipeline()
    pipe.zrange(keys.reports, 0, -1, withscores=True)
    pipe.hgetall(keys.orgs)
    members, orgs = pipe.execute()
    by_ticket = {_text(k): _text(v) for k, v in orgs.items()}
    return _Reports({
        int(_text(member)): (datetime.fromtimestamp(score, UTC),
                             int(by_ticket[_text(member)]) if by_ticket.get(_text(member)) else None)
        for member, score in members
    })


def problem_payload(rt: Runtime, topic: Topic, reports: _Reports, external_id: str,
                    reasons: tuple[str, ...]) -> dict[str, Any]:
    """The problem ticket, flagged from birth: critical and multi-customer tags, priority, a
    note that lists the reports (ids only: customers' text stays on their own tickets)."""
    wb = rt.config.writeback
    settings = rt.config.correlation
    listed = "\n".join(f"- #{tid} (organisation {org if org is not None else 'unknown'}, reported "
                       f"{format_time(at)})" for tid, (at, org) in sorted(reports.tickets.items()))
    body = (f"{len(reports.organization_ids)} organisations reported the same problem "
            f"(topic \"{topic.name}\") within {_minutes(topic)}:\n{listed}\n\n"
            f"Matched because: {'; '.join(reasons) or 'the topic matched'}.\n\n"
            "Flagged as a critical incident by the critical-incident middleware. The customers' tickets are "
            "linked to this problem as incidents; solving it solves them.")
    tags = [wb.critical_tag, wb.category_tags.get(CATEGORY, "critical_multi_customer"), f"correlation_{topic.name}"]
    payload: dict[str, Any] = {"subject": topic.subject, "type": "problem", "priority": wb.priority,
                               "comment": {"body": body, "public": False}, "external_id": external_id,
                               "tags": list(dict.fromkeys(tags))}
    if settings.requester_email:
        payload["requester"] = {"email": settings.requester_email, "name": "Critical-incident middleware"}
    return payload


def declare_problem(rt: Runtime, topic: Topic, problem: Ticket, reports: _Reports,
                    reasons: tuple[str, ...]) -> None:
    """ONE incident for the problem ticket: its clock starts at the first report."""
    orgs = reports.organization_ids
    incident = Incident(
        id=problem.id,
        ticket_id=problem.id,
        category=CATEGORY,
        rules=[f"correlation:{topic.name}"],
        reasons=[f"{len(orgs)} organisations reported \"{topic.name}\" within {_minutes(topic)}", *reasons],
        subject=problem.subject,
        organization_id=None,
        requester_id=problem.requester_id,
        ticket_created_at=reports.first_at or problem.created_at,
        declared_at=rt.clock(),
        critical_from_start=True,  # the promise runs from the first customer's report
        status=OPEN,
        flagged_updated_at=problem.updated_at,
        extra={"organization_ids": orgs, "topic": topic.name},
    )
    if rt.incidents.open(incident):
        problem_event = TicketEvent(id=f"correlate-{problem.id}", type="created", ticket=problem,
                                    time=problem.created_at, source="correlation")
        happened.declared(rt, incident, problem_event)


# ---------------------------------------------------------------------------------------------
# 4. Link (bulk update, 100 per call)
# ---------------------------------------------------------------------------------------------
def link(rt: Runtime, keys: _Keys, topic: Topic, problem_id: int, what: str) -> str:
    """Link every reported ticket that is not linked yet; raise LinkPending if Zendesk has not
    confirmed them all within a few seconds (the retry re-sends what is still unconfirmed)."""
    pipe = rt.redis.pipeline()
    pipe.zrange(keys.reports, 0, -1)
    pipe.smembers(keys.linked)
    reported, linked = pipe.execute()
    done = {int(_text(m)) for m in linked} | {problem_id}
    pending = sorted(int(_text(m)) for m in reported if int(_text(m)) not in done)
    if not pending:
        return f"{what}; nothing left to link"
    tag = rt.config.writeback.category_tags.get(CATEGORY, "critical_multi_customer")
    confirmed: list[int] = []
    # Each ticket of a bulk update spends one of the account's ticket updates per minute: a
    # chunk never asks for more than that window holds, and each chunk's links are recorded as
    # soon as Zendesk confirms them, so a job put off by the budget before the next chunk sends
    # only the rest when it runs again.
    # The links are not flags (the problem ticket carries the incident's flag): a hundred of
    # them in the urgent lane would take the share kept for new critical tickets' flags.
    with lane(BACKGROUND):
        size = rt.zendesk.bulk_limit
        for start in range(0, len(pending), size):
            chunk = pending[start:start + size]
            job_id = rt.zendesk.update_many([
                {"id": tid, "type": "incident", "problem_id": problem_id,
                 "additional_tags": [tag, f"correlation_{topic.name}"]} for tid in chunk
            ])
            done_now = _confirmed(rt, job_id, chunk)
            if done_now:
                rt.redis.sadd(keys.linked, *done_now)
                announce_links(rt, keys, problem_id, done_now)
                confirmed.extend(done_now)
    missing = sorted(set(pending) - set(confirmed))
    if missing:
        raise LinkPending(f"problem {problem_id}: Zendesk has not confirmed links for tickets {missing}")
    return f"{what}; linked {len(confirmed)} ticket(s) as incidents"


def _confirmed(rt: Runtime, job_id: str, ticket_ids: list[int]) -> list[int]:
    """Ticket ids the bulk job reports as updated; waits a few seconds for the job at most."""
    deadline = time.monotonic() + JOB_WAIT_SECONDS
    delay = 0.1
    while True:
        status = rt.zendesk.job_status(job_id)
        if status.get("status") in ("completed", "failed", "killed"):
            break
        if time.monotonic() + delay > deadline:
            return []
        time.sleep(delay)  # Zendesk runs bulk jobs in the background: poll with backoff, bounded
        delay = min(delay * 2, 2.0)
    results = status.get("results") or []
    ok = {int(r["id"]) for r in results if isinstance(r, dict) and r.get("id") is not None
          and (r.get("success") is True or str(r.get("status", "")).lower() in ("updated", "completed"))}
    if not results and status.get("status") == "completed":
        ok = set(ticket_ids)
    return [tid for tid in ticket_ids if tid in ok]


def announce_links(rt: Runtime, keys: _Keys, problem_id: int, ticket_ids: list[int]) -> None:
    """Confirmed links join the incident: its organisations (for later alerts) grow, and the
    pipeline's linked path records them and tells their requesters."""
    incident = rt.incidents.get(problem_id)
    if incident is None:
        return
    orgs = sorted(set(incident.extra.get("organization_ids") or ()) | set(_reports(rt, keys).organization_ids))
    if orgs != incident.extra.get("organization_ids"):
        incident.extra = {**incident.extra, "organization_ids": orgs}
        rt.incidents.update(problem_id, extra=incident.extra)
    happened.linked(rt, incident, ticket_ids)


def _minutes(topic: Topic) -> str:
    minutes = int(topic.window.total_seconds() // 60)
    return f"{minutes} minutes" if minutes else f"{int(topic.window.total_seconds())} seconds"


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
