"""The SLA clock on a real Redis, Zendesk played by ``responses``, time set by the test.

Each test drives the clock the way production does (start, timer jobs, events, the audit) at
chosen moments, then looks at what a person would see: the tags and internal notes on the
ticket, the incident's timeline, the alerts raised, and which timers are scheduled.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from jobs import pipeline, runtime
from jobs.runtime import Runtime
from jobs.sla import audit as sla_audit
from jobs.sla import clock as sla
from jobs.sla import writeback
from middleware.config import Config, ZendeskSettings
from middleware.config.sla import SlaFields, SlaPolicy, SlaSettings
from middleware.store import queues
from middleware.store.clocks import BREACHED, Change, ClockStore, Transition
from middleware.store.connection import Keys
from middleware.store.incidents import OPEN, OVERRIDDEN, RESOLVED, Incident
from middleware.zendesk.client import ZendeskClient
from middleware.zendesk.transport import Credentials
from rules.model import Comment, Ticket, TicketEvent, format_time, parse_time

BASE = "http://127.0.0.1:9"
API_USER = 900
AGENT = 501
CUSTOMER = 11
T0 = datetime(2025, 1, 8, 10, 0, tzinfo=UTC)  # declared critical
TID = 5158
PENDING_TAG, AT_RISK_TAG = "critical_sla_pending", "critical_sla_at_risk"
MET_TAG, BREACHED_TAG = "critical_sla_met", "critical_sla_breached"


class FakeZendesk:
    """Enough of Zendesk for the SLA: tickets with tags/fields/comments, safe updates (409 on
    a stale stamp), comment lists and users. Every write is kept for the assertions."""

    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.tickets: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.users = {API_USER: {"id": API_USER, "name": "Middleware", "role": "admin"},
                      AGENT: {"id": AGENT, "name": "Agent Smith", "role": "agent"},
                      CUSTOMER: {"id": CUSTOMER, "name": "Carol Customer", "role": "end-user"}}
        self.writes: list[dict[str, Any]] = []
        self.conflicts_to_inject = 0
        self.clock = T0
        tid = r"(\d+)"
        rsps.add_callback("PUT", re.compile(rf"{BASE}/api/v2/tickets/{tid}\.json"), self._update)
        rsps.add_callback("GET", re.compile(rf"{BASE}/api/v2/tickets/{tid}\.json"), self._get)
        rsps.add_callback("GET", re.compile(rf"{BASE}/api/v2/tickets/{tid}/comments\.json.*"), self._comments)
        rsps.add_callback("GET", re.compile(rf"{BASE}/api/v2/users/{tid}\.json"), self._user)

    def add_ticket(self, tid: int = TID, created_at: datetime = T0 - timedelta(minutes=2), **over: Any) -> Ticket:
        self.tickets[tid] = {"id": tid, "subject": "Platform down", "status": "open", "priority": "urgent",
                             "tags": ["critical_incident"], "requester_id": CUSTOMER,
                             "created_at": format_time(created_at), "updated_at": format_time(T0),
                             "custom_fields": [], **over}
        self.comments[tid] = [{"id": 1, "body": "Nothing works", "public": True, "author_id": CUSTOMER,
                               "created_at": format_time(created_at)}]
        return self.ticket(tid)

    def ticket(self, tid: int = TID) -> Ticket:
        from middleware.zendesk.mapping import ticket_from_api

        return ticket_from_api(self.tickets[tid])

    def add_comment(self, author_id: int, body: str, public: bool = True, tid: int = TID) -> int:
        cid = 100 + len(self.comments[tid])
        self.comments[tid].append({"id": cid, "body": body, "public": public, "author_id": author_id,
                                   "created_at": format_time(self.clock)})
        return cid

    def notes(self, tid: int = TID) -> list[str]:
        return [c["body"] for c in self.comments[tid] if not c["public"] and c["author_id"] == API_USER]

    def sla_tags(self, tid: int = TID) -> list[str]:
        return [t for t in self.tickets[tid]["tags"] if t.startswith("critical_sla_")]

    def field(self, field_id: int, tid: int = TID) -> Any:
        return next((f["value"] for f in self.tickets[tid]["custom_fields"] if f["id"] == field_id), None)

    # -- responses callbacks -----------------------------------------------------------------
    def _update(self, request: Any) -> tuple[int, dict[str, str], str]:
        tid = int(re.search(r"tickets/(\d+)\.json", request.url).group(1))
        body = json.loads(request.body)["ticket"]
        ticket = self.tickets[tid]
        stale = body.get("safe_update") and body.get("updated_stamp") != ticket["updated_at"]
        if self.conflicts_to_inject or stale:
            self.conflicts_to_inject = max(0, self.conflicts_to_inject - 1)
            return 409, {}, json.dumps({"error": "UpdateConflict", "description": "Safe Update prevented it"})
        self.writes.append(body)
        tags = [t for t in ticket["tags"] if t not in body.get("remove_tags", [])]
        ticket["tags"] = tags + [t for t in body.get("additional_tags", []) if t not in tags]
        fields = {f["id"]: f for f in ticket["custom_fields"]}
        fields.update({f["id"]: f for f in body.get("custom_fields", [])})
        ticket["custom_fields"] = list(fields.values())
        if "comment" in body:
            self.comments[tid].append({"id": 100 + len(self.comments[tid]), "author_id": API_USER,
                                       "created_at": format_time(self.clock), **body["comment"]})
        ticket["updated_at"] = format_time(parse_time(ticket["updated_at"]) + timedelta(seconds=1))
        return 200, {}, json.dumps({"ticket": ticket, "audit": {"id": len(self.writes), "ticket_id": tid,
                                                                "events": []}})

    def _get(self, request: Any) -> tuple[int, dict[str, str], str]:
        tid = int(re.search(r"tickets/(\d+)\.json", request.url).group(1))
        if tid not in self.tickets:
            return 404, {}, json.dumps({"error": "RecordNotFound"})
        return 200, {}, json.dumps({"ticket": self.tickets[tid]})

    def _comments(self, request: Any) -> tuple[int, dict[str, str], str]:
        tid = int(re.search(r"tickets/(\d+)/comments", request.url).group(1))
        items = self.comments[tid]
        return 200, {}, json.dumps({"comments": items, "next_page": None, "previous_page": None,
                                    "count": len(items)})

    def _user(self, request: Any) -> tuple[int, dict[str, str], str]:
        uid = int(re.search(r"users/(\d+)\.json", request.url).group(1))
        return 200, {}, json.dumps({"user": self.users[uid]})


class Clock:
    """The injected time: tests move it, the code under test reads it."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def zd():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeZendesk(rsps)


@pytest.fixture
def clock():
    return Clock()


def make_runtime(redis, key_prefix, clock, settings: SlaSettings | None = None) -> Runtime:
    config = Config(path="test", zendesk=ZendeskSettings(api_user_id=API_USER), redis_prefix=key_prefix,
                    sla=settings or SlaSettings())
    creds = Credentials(subdomain="acme", email="bot@acme.test", token="tok", oauth_token=None, api_url=BASE)
    client = ZendeskClient(creds, config.zendesk, redis, Keys(key_prefix))
    return Runtime(config=config, redis=redis, zendesk=client, clock=clock)


@pytest.fixture
def rt(redis, key_prefix, clock, zd):
    runtime_ = make_runtime(redis, key_prefix, clock)
    runtime.install(runtime_)
    yield runtime_
    runtime.install(None)


def declare_incident(rt: Runtime, zd: FakeZendesk, *, category: str | None = "outage", from_start: bool = False,
                     tid: int = TID) -> Incident:
    ticket = zd.add_ticket(tid)
    incident = Incident(id=tid, ticket_id=tid, category=category, rules=["outage"], reasons=["platform down"],
                        subject=ticket.subject, organization_id=None, requester_id=CUSTOMER,
                        ticket_created_at=ticket.created_at, declared_at=rt.clock(), critical_from_start=from_start,
                        flagged_updated_at=ticket.updated_at)
    assert rt.incidents.open(incident)
    return incident


def start(rt: Runtime, zd: FakeZendesk, **kw: Any) -> Incident:
    """Declare, start the clock and run the queued write, as the worker would."""
    incident = declare_incident(rt, zd, **kw)
    assert sla.start_clock(rt, incident, rt.clock())
    run_queued(rt)
    return incident


def run_queued(rt: Runtime) -> list[str]:
    """Run what the SLA stage put on its queue (sync/settle jobs), in order, in this process."""
    queue = queues.queue(queues.SLA_STAGE, rt.redis, rt.keys)
    ran = []
    while raw := rt.redis.lpop(queue.key):
        job = Job.fetch(raw.decode(), connection=rt.redis)
        ran.append(str(job.perform()))
    return ran


def fire(rt: Runtime, clock: Clock, at: datetime) -> str:
    """Move time to ``at`` and run the timer job the scheduler would move then."""
    clock.now = at
    registry = ScheduledJobRegistry(rt.keys.queue(queues.SLA_STAGE), connection=rt.redis)
    due = [j for j, when in scheduled(rt).items() if when <= at]
    assert due, f"no SLA timer due by {at}"
    outcomes = []
    for job_id in due:
        rt.redis.zrem(registry.key, job_id)
        outcomes.append(str(Job.fetch(job_id, connection=rt.redis).perform()))
    run_queued(rt)
    return "; ".join(outcomes)


def scheduled(rt: Runtime) -> dict[str, datetime]:
    """Timer job id -> the moment RQ's scheduler will move it to the queue."""
    key = ScheduledJobRegistry(rt.keys.queue(queues.SLA_STAGE), connection=rt.redis).key
    return {j.decode(): datetime.fromtimestamp(score, UTC) for j, score in rt.redis.zrange(key, 0, -1,
                                                                                          withscores=True)}


def alerts_raised(rt: Runtime, incident_id: int = TID) -> list[tuple[str, str]]:
    return [(e["event"], e["occurrence"]) for e in rt.incidents.timeline(incident_id) if e["kind"] == "alert"]


def sla_timeline(rt: Runtime, incident_id: int = TID) -> list[str]:
    return [e["kind"] for e in rt.incidents.timeline(incident_id) if e["kind"].startswith("sla.")]


def staff_reply(zd: FakeZendesk, at: datetime, author_id: int = AGENT, public: bool = True, staff: bool = True,
                tid: int = TID, name: str = "Agent Smith") -> TicketEvent:
    zd.clock = at
    cid = zd.add_comment(author_id, "We are on it", public=public, tid=tid)
    ticket = replace(zd.ticket(tid), updated_at=at)
    comment = Comment(id=cid, body="We are on it", public=public, author_id=author_id, author_is_staff=staff,
                      author_name=name)
    return TicketEvent(id=f"ev-{cid}", type="comment_added", ticket=ticket, time=at, actor_id=author_id,
                       comment=comment)


# ---------------------------------------------------------------------------------------------
# Start
# ---------------------------------------------------------------------------------------------
def test_declaring_starts_one_clock_pending_on_the_ticket_with_its_due_time(rt, zd, clock):
    incident = start(rt, zd)
    assert zd.sla_tags() == [PENDING_TAG]
    assert zd.notes() == ["First-response SLA: a public reply is due by 2025-01-08 11:00:00 UTC, "
                          "1 h after this was declared critical."]
    assert zd.writes[0]["safe_update"] is True and zd.writes[0]["updated_stamp"] == format_time(T0)
    assert sla_timeline(rt) == ["sla.started"]
    assert list(scheduled(rt).values()) == [T0 + timedelta(minutes=30)]

    clock.now = T0 + timedelta(seconds=5)  # the same incident declared again, or the event redelivered
    assert not sla.start_clock(rt, incident, clock.now)
    pipeline.declared(rt, incident, TicketEvent(id="x", type="created", ticket=zd.ticket()))
    run_queued(rt)
    assert len(zd.writes) == 1 and len(scheduled(rt)) == 1
    assert sla.describe(rt, TID, T0 + timedelta(minutes=10))["sla"] == "50 min left of 1 h"


def test_a_ticket_critical_from_the_start_is_timed_from_its_creation(rt, zd, clock):
    start(rt, zd, from_start=True)
    assert "due by 2025-01-08 10:58:00 UTC, 1 h after this ticket was opened" in zd.notes()[0]
    assert list(scheduled(rt).values()) == [T0 + timedelta(minutes=28)]


def test_a_category_with_its_own_promise_gets_its_own_clock(redis, key_prefix, clock, zd):
    settings = SlaSettings(categories={"security": SlaPolicy(timedelta(minutes=30), (timedelta(minutes=20),),
                                                             timedelta(minutes=5))},
                           fields=SlaFields(due_at=360001, state=360002))
    rt = make_runtime(redis, key_prefix, clock, settings)
    runtime.install(rt)
    try:
        start(rt, zd, category="security")
        assert "due by 2025-01-08 10:30:00 UTC, 30 min after" in zd.notes()[0]
        assert zd.field(360001) == "2025-01-08T10:30:00Z" and zd.field(360002) == "pending"
        fire(rt, clock, T0 + timedelta(minutes=20))
        assert zd.field(360002) == "at_risk"
    finally:
        runtime.install(None)


# ---------------------------------------------------------------------------------------------
# Warnings, breach, reminders
# ---------------------------------------------------------------------------------------------
def test_unanswered_incident_goes_at_risk_then_breached_then_reminds(rt, zd, clock):
    start(rt, zd)
    fire(rt, clock, T0 + timedelta(minutes=30))
    assert zd.sla_tags() == [AT_RISK_TAG]
    assert zd.notes()[-1] == ("SLA at risk: no public reply 30 min after this was declared critical; 30 min left "
                              "before the 1 h target (due 2025-01-08 11:00:00 UTC).")
    assert alerts_raised(rt) == [("sla.at_risk", "0")]

    fire(rt, clock, T0 + timedelta(minutes=45))
    assert zd.sla_tags() == [AT_RISK_TAG]
    assert "15 min left" in zd.notes()[-1]
    assert "additional_tags" not in zd.writes[-1]  # a second warning does not retag

    fire(rt, clock, T0 + timedelta(minutes=60))
    assert zd.sla_tags() == [BREACHED_TAG]
    assert zd.notes()[-1] == ("No public reply 60 min after this was declared critical: SLA breached (target 1 h). "
                              "Reminders follow every 15 min until someone replies publicly.")
    assert set(zd.writes[-1]["remove_tags"]) == {PENDING_TAG, AT_RISK_TAG, MET_TAG}

    fire(rt, clock, T0 + timedelta(minutes=75))
    fire(rt, clock, T0 + timedelta(minutes=90))
    assert zd.notes()[-1] == ("Reminder 2: still no public reply 90 min after this was declared critical; "
                              "the 1 h SLA was breached 30 min ago.")
    assert alerts_raised(rt) == [("sla.at_risk", "0"), ("sla.at_risk", "1"), ("sla.breached", "0"),
                                 ("sla.breached", "1"), ("sla.breached", "2")]
    assert sla_timeline(rt) == ["sla.started", "sla.at_risk", "sla.at_risk", "sla.breached", "sla.reminder",
                                "sla.reminder"]
    assert list(scheduled(rt).values()) == [T0 + timedelta(minutes=105)]
    assert len(zd.notes()) == 6  # started, 2 warnings, breach, 2 reminders: each exactly once


def test_a_timer_that_fires_twice_or_late_acts_once(rt, zd, clock):
    start(rt, zd)
    job_id = next(iter(scheduled(rt)))
    fire(rt, clock, T0 + timedelta(minutes=30))
    again = Job.fetch(job_id, connection=rt.redis).perform()  # the same timer redelivered
    assert again == "nothing due"
    assert sla.advance(rt, TID, T0 + timedelta(minutes=30, seconds=2)) == "nothing due"
    assert len(zd.notes()) == 2 and alerts_raised(rt) == [("sla.at_risk", "0")]


def test_two_workers_racing_for_one_step_change_the_clock_once(rt, zd, clock):
    start(rt, zd)
    store = ClockStore(rt.redis, rt.keys)
    seen = store.get(TID)  # both read the same version of the clock
    now = T0 + timedelta(minutes=30)
    entry = Transition(seq=seen.seq + 1, kind="at_risk", state="at_risk", at=format_time(now))
    assert store.apply(seen, Change(entry=entry, state="at_risk", next_step=1), now)
    assert not store.apply(seen, Change(entry=entry, state="at_risk", next_step=1), now)
    assert len(store.outbox(TID)) == 1


def test_before_a_breach_a_reply_whose_webhook_was_lost_is_found_and_meets_the_sla(rt, zd, clock):
    start(rt, zd)
    zd.clock = T0 + timedelta(minutes=40)
    zd.add_comment(API_USER, "Automatic: we are handling this as critical")  # ours: not a response
    zd.add_comment(CUSTOMER, "Any news?")  # the customer: not a response
    zd.add_comment(AGENT, "Internal thoughts", public=False)  # private: not a response
    zd.add_comment(AGENT, "We have found the cause and are fixing it")  # its webhook never arrived
    fire(rt, clock, T0 + timedelta(minutes=30))
    fire(rt, clock, T0 + timedelta(minutes=45))
    outcome = fire(rt, clock, T0 + timedelta(minutes=60))
    assert outcome == "met"
    assert zd.sla_tags() == [MET_TAG]
    assert "public reply by Agent Smith" in zd.notes()[-1]
    assert "found when the SLA was checked" in zd.notes()[-1]
    assert ("sla.breached", "0") not in alerts_raised(rt)
    assert scheduled(rt) == {}


def test_the_audit_acts_late_on_a_clock_the_workers_missed_and_says_so(rt, zd, clock):
    start(rt, zd)
    clock.now = T0 + timedelta(minutes=67)  # the workers were down from before the first warning
    assert sla_audit.run_audit(rt, clock.now) == {"started": 0, "overdue": 1, "unsynced": 0, "failed": 0}
    assert zd.sla_tags() == [BREACHED_TAG]
    assert zd.notes()[-1].startswith("No public reply 67 min after this was declared critical: SLA breached "
                                     "(target 1 h). Checked 7 min late because the workers were down.")
    assert alerts_raised(rt) == [("sla.breached", "0")]  # stale warnings are not sent after the fact
    assert list(scheduled(rt).values())[-1] == T0 + timedelta(minutes=75)
    assert sla_audit.run_audit(rt, clock.now) == {"started": 0, "overdue": 0, "unsynced": 0, "failed": 0}


def test_the_audit_starts_a_clock_the_declaring_job_never_started(rt, zd, clock):
    declare_incident(rt, zd)  # recorded, then the job died before the clock started
    assert sla_audit.run_audit(rt, T0 + timedelta(seconds=5))["started"] == 0  # the declaring job may still be at it
    assert sla_audit.run_audit(rt, T0 + timedelta(minutes=1))["started"] == 1
    run_queued(rt)
    assert zd.sla_tags() == [PENDING_TAG]
    assert "due by 2025-01-08 11:00:00 UTC" in zd.notes()[-1]  # timed from the declaration all the same
    assert sla_audit.run_audit(rt, T0 + timedelta(minutes=2))["started"] == 0


def test_the_audit_leaves_a_just_due_step_to_its_timer(rt, zd, clock):
    start(rt, zd)
    assert sla_audit.run_audit(rt, T0 + timedelta(minutes=30, seconds=3))["overdue"] == 0
    assert sla_audit.run_audit(rt, T0 + timedelta(minutes=31))["overdue"] == 1
    assert zd.notes()[-1].endswith("(due 2025-01-08 11:00:00 UTC). Checked 1 min late because the workers were down.")


def test_after_a_long_outage_reminders_are_not_sent_in_a_burst(rt, zd, clock):
    start(rt, zd)
    fire(rt, clock, T0 + timedelta(minutes=30))
    fire(rt, clock, T0 + timedelta(minutes=45))
    fire(rt, clock, T0 + timedelta(minutes=60))
    sla_audit.run_audit(rt, T0 + timedelta(minutes=112))  # reminders 1-3 were due while the workers were down
    assert alerts_raised(rt)[-1] == ("sla.breached", "3")
    assert ("sla.breached", "1") not in alerts_raised(rt)
    assert "Reminder 3" in zd.notes()[-1] and "late" in zd.notes()[-1]
    assert list(scheduled(rt).values())[-1] == T0 + timedelta(minutes=120)


# ---------------------------------------------------------------------------------------------
# First response
# ---------------------------------------------------------------------------------------------
def test_a_public_staff_reply_in_time_meets_the_sla_and_stops_the_timers(rt, zd, clock):
    start(rt, zd)
    event = staff_reply(zd, T0 + timedelta(minutes=23, seconds=10))
    clock.now = T0 + timedelta(minutes=23, seconds=12)
    pipeline.after_event(rt, event)
    run_queued(rt)
    assert zd.sla_tags() == [MET_TAG]
    assert zd.notes()[-1] == "First response after 23 min 10 s, within the 1 h target (public reply by Agent Smith)."
    first = next(e for e in rt.incidents.timeline(TID) if e["kind"] == "sla.first_response")
    assert first["by"] == "Agent Smith" and first["responded_at"] == "2025-01-08T10:23:10Z"
    final = next(e for e in rt.incidents.timeline(TID) if e["kind"] == "sla.final")
    assert final["state"] == "met"
    assert ("sla.met", "") in alerts_raised(rt)

    writes = len(zd.writes)
    assert scheduled(rt) == {}  # the waiting timer is unscheduled; one already running finds nothing
    assert sla.advance(rt, TID, T0 + timedelta(minutes=30)) == "nothing due"
    pipeline.after_event(rt, event)  # redelivered
    run_queued(rt)
    assert len(zd.writes) == writes
    assert sla.describe(rt, TID)["sla"] == "met after 23 min 10 s (1 h target)"


def test_a_staff_reply_on_a_ticket_linked_to_the_incident_meets_the_sla(rt, zd, clock):
    start(rt, zd)  # the incident's clock lives on its (problem) ticket TID
    linked, stranger = TID + 1, TID + 2
    zd.add_ticket(linked)
    zd.add_ticket(stranger)
    rt.incidents.index_linked(TID, [linked])
    clock.now = T0 + timedelta(minutes=10)
    pipeline.after_event(rt, staff_reply(zd, T0 + timedelta(minutes=9), tid=stranger))  # not part of it
    run_queued(rt)
    assert zd.sla_tags() == ["critical_sla_pending"]
    pipeline.after_event(rt, staff_reply(zd, T0 + timedelta(minutes=12), tid=linked))
    run_queued(rt)
    assert zd.sla_tags() == [MET_TAG]
    assert zd.notes()[-1].startswith("First response after 12 min")
    assert zd.sla_tags(linked) == []  # the linked ticket itself gets no SLA tags


@pytest.mark.parametrize("kind", ["private", "customer", "our_api_user", "our_own_message", "not_staff"])
def test_what_is_not_a_first_response(rt, zd, clock, kind):
    start(rt, zd)
    at = T0 + timedelta(minutes=5)
    event = {
        "private": lambda: staff_reply(zd, at, public=False),
        "customer": lambda: staff_reply(zd, at, author_id=CUSTOMER, staff=False),
        "our_api_user": lambda: staff_reply(zd, at, author_id=API_USER),
        "our_own_message": lambda: staff_reply(zd, at),
        "not_staff": lambda: staff_reply(zd, at, staff=False),
    }[kind]()
    if kind == "our_own_message":
        rt.redis.sadd(rt.keys("sent_comments", TID), str(event.comment.id))
    pipeline.after_event(rt, event)
    run_queued(rt)
    assert zd.sla_tags() == [PENDING_TAG]
    assert sla.describe(rt, TID)["running"] is True


def test_a_reply_after_the_due_time_is_recorded_but_the_sla_stays_breached(rt, zd, clock):
    start(rt, zd)
    fire(rt, clock, T0 + timedelta(minutes=30))
    fire(rt, clock, T0 + timedelta(minutes=45))
    fire(rt, clock, T0 + timedelta(minutes=60))
    clock.now = T0 + timedelta(minutes=72)
    pipeline.after_event(rt, staff_reply(zd, clock.now))
    run_queued(rt)
    assert zd.sla_tags() == [BREACHED_TAG]
    assert zd.notes()[-1] == ("First response after 72 min, 12 min over the 1 h target "
                              "(public reply by Agent Smith).")
    assert scheduled(rt) == {}  # no more reminders
    assert alerts_raised(rt).count(("sla.breached", "0")) == 1


def test_a_late_reply_while_the_workers_were_down_breaches_in_one_update(rt, zd, clock):
    start(rt, zd)
    clock.now = T0 + timedelta(minutes=70)
    pipeline.after_event(rt, staff_reply(zd, clock.now))
    run_queued(rt)
    assert zd.sla_tags() == [BREACHED_TAG]
    assert zd.notes()[-1].startswith("First response after 70 min, 10 min over the 1 h target: SLA breached")
    assert ("sla.breached", "0") in alerts_raised(rt)
    assert sla_audit.run_audit(rt, clock.now)["overdue"] == 0  # the stopped clock is not overdue


# ---------------------------------------------------------------------------------------------
# Cancel and stop
# ---------------------------------------------------------------------------------------------
def test_an_agent_override_cancels_the_clock_and_clears_the_sla_tags(rt, zd, clock):
    incident = start(rt, zd)
    fire(rt, clock, T0 + timedelta(minutes=30))
    clock.now = T0 + timedelta(minutes=35)
    rt.incidents.set_status(TID, OVERRIDDEN, clock.now)
    pipeline.overridden(rt, incident, TicketEvent(id="o", type="tags_changed", ticket=zd.ticket()))
    run_queued(rt)
    assert zd.sla_tags() == []
    assert zd.notes()[-1] == "First-response SLA clock stopped: an agent marked this ticket as not critical."
    assert scheduled(rt) == {}
    assert sla.advance(rt, TID, T0 + timedelta(minutes=45)) == "nothing due"
    assert sla_timeline(rt)[-2:] == ["sla.cancelled", "sla.final"]


def test_a_clock_whose_incident_was_overridden_elsewhere_is_cancelled_at_its_next_check(rt, zd, clock):
    start(rt, zd)
    rt.incidents.set_status(TID, OVERRIDDEN, T0 + timedelta(minutes=10))
    assert fire(rt, clock, T0 + timedelta(minutes=30)) == "cancelled"
    assert zd.sla_tags() == []


def test_a_ticket_solved_without_any_reply_cancels_a_pending_clock(rt, zd, clock):
    start(rt, zd)
    clock.now = T0 + timedelta(minutes=20)
    zd.tickets[TID]["status"] = "solved"
    pipeline.after_event(rt, TicketEvent(id="s", type="status_changed", ticket=zd.ticket(), time=clock.now))
    run_queued(rt)
    assert zd.sla_tags() == []
    assert "the ticket was solved before any public reply" in zd.notes()[-1]
    assert scheduled(rt) == {}


def test_a_breached_incident_that_is_resolved_stops_reminding_but_stays_breached(rt, zd, clock):
    start(rt, zd)
    sla_audit.run_audit(rt, T0 + timedelta(minutes=61))
    rt.incidents.set_status(TID, RESOLVED, T0 + timedelta(minutes=70))
    clock.now = T0 + timedelta(minutes=75)
    assert sla.advance(rt, TID, clock.now) == "stopped"
    assert zd.sla_tags() == [BREACHED_TAG]
    assert sla.describe(rt, TID)["running"] is False
    assert sla_audit.run_audit(rt, T0 + timedelta(minutes=200))["overdue"] == 0


# ---------------------------------------------------------------------------------------------
# Writing to Zendesk
# ---------------------------------------------------------------------------------------------
def test_an_agents_concurrent_edit_is_not_overwritten_and_the_note_is_added_once(rt, zd, clock):
    start(rt, zd)
    zd.tickets[TID]["updated_at"] = format_time(T0 + timedelta(minutes=29))  # an agent edited the ticket
    zd.tickets[TID]["priority"] = "high"
    fire(rt, clock, T0 + timedelta(minutes=30))
    assert zd.sla_tags() == [AT_RISK_TAG]
    assert zd.writes[-1]["updated_stamp"] == format_time(T0 + timedelta(minutes=29))
    assert "priority" not in zd.writes[-1]
    assert len(zd.notes()) == 2


def test_a_write_that_fails_is_kept_and_written_later_without_a_second_alert(rt, zd, clock):
    start(rt, zd)
    zd.conflicts_to_inject = 99  # the ticket keeps changing: the write gives up for now
    with pytest.raises(writeback.ConflictsExhausted):
        sla.advance(rt, TID, T0 + timedelta(minutes=30))
    assert zd.sla_tags() == [PENDING_TAG]
    assert alerts_raised(rt) == [("sla.at_risk", "0")]  # people are warned even if Zendesk is not written
    zd.conflicts_to_inject = 0
    assert sla_audit.run_audit(rt, T0 + timedelta(minutes=32))["unsynced"] == 1
    assert zd.sla_tags() == [AT_RISK_TAG]
    assert alerts_raised(rt) == [("sla.at_risk", "0")]
    assert len(zd.notes()) == 2


def test_events_keep_the_stamp_current_so_a_write_needs_no_read(rt, zd, clock):
    start(rt, zd)
    zd.tickets[TID]["updated_at"] = format_time(T0 + timedelta(minutes=10))
    ticket = zd.ticket()
    pipeline.after_event(rt, TicketEvent(id="p", type="priority_changed", ticket=ticket, time=ticket.updated_at))
    fire(rt, clock, T0 + timedelta(minutes=30))
    assert zd.writes[-1]["updated_stamp"] == format_time(T0 + timedelta(minutes=10))


def test_the_clock_record_reads_back_for_other_stages(rt, zd, clock):
    start(rt, zd)
    stored = ClockStore(rt.redis, rt.keys).get(TID)
    assert stored.due_at == T0 + timedelta(hours=1)
    assert stored.state == "pending" and stored.responded_at is None
    assert stored.step_at(stored.breach_step) == stored.due_at
    assert stored.next_after(stored.breach_step, T0 + timedelta(minutes=61), timedelta(seconds=1)) == 3
    assert BREACHED == "breached"


def test_state_of_an_open_incident_is_untouched_by_the_clock(rt, zd, clock):
    start(rt, zd)
    sla_audit.run_audit(rt, T0 + timedelta(minutes=61))
    assert rt.incidents.get(TID).status == OPEN
