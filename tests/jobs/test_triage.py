"""The triage job against a real Redis and `responses` for Zendesk.

What matters to a user: a critical ticket is flagged with one safe update (tags added, not
replaced; priority; a note saying why), nothing is written twice, agents' overrides stand, a
normal ticket costs no Zendesk call, and a 429 reschedules instead of sleeping.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import responses
from rq import Queue, SimpleWorker

from jobs import pipeline, runtime, triage
from jobs.runtime import Runtime
from jobs.sla import audit as sla_audit
from jobs.sla import clock as sla
from jobs.sla.transitions import STARTED_IN_DECLARING_WRITE
from middleware.config import load_config
from middleware.resilient_worker import ResilientWorker
from middleware.store.incidents import OVERRIDDEN
from middleware.store.queues import EVENTS_STAGE, SLA_STAGE
from middleware.zendesk.client import ZendeskClient
from middleware.zendesk.transport import Credentials
from rules.model import Comment, Ticket, TicketEvent

BASE = "http://127.0.0.1:9"
API_USER = 900
NOW = datetime(2025, 1, 8, 10, 30, tzinfo=timezone.utc)
CREATED = datetime(2025, 1, 8, 10, 12, 7, tzinfo=timezone.utc)

CONFIG = """
redis: {prefix: PREFIX}
zendesk: {api_user_id: 900}
rules:
  - name: outage
    category: outage
    when: {text: {keywords: [platform is down, nobody can log in]}}
    unless: {text: {keywords: [not urgent]}}
    actions: {note: "Outage affecting the whole customer."}
  - name: vip-only-high
    when: {tags: {any: [vip_outage]}}
    actions: {priority: high, add_tags: [vip_flag]}
"""


def make_runtime(tmp_path: Path, redis, key_prefix: str, more_rules: str = "") -> Runtime:
    """A runtime on ``CONFIG`` (plus ``more_rules``), Zendesk at ``BASE`` (mocked by responses)."""
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.replace("PREFIX", key_prefix) + more_rules, encoding="utf-8")
    config = load_config(path, env={})
    creds = Credentials("acme", "bot@acme.test", "tok", None, BASE)
    runtime_ = Runtime(config=config, redis=redis, zendesk=ZendeskClient(creds, config.zendesk, redis, None),
                       clock=lambda: NOW)
    runtime_.zendesk.keys = runtime_.keys
    return runtime_


@contextmanager
def installed(runtime_: Runtime) -> Iterator[Runtime]:
    """``runtime_`` as the one RQ entry points use, for the duration of the block."""
    runtime.install(runtime_)
    try:
        yield runtime_
    finally:
        runtime.install(None)


@pytest.fixture
def rt(tmp_path: Path, redis, key_prefix) -> Iterator[Runtime]:
    with installed(make_runtime(tmp_path, redis, key_prefix)) as runtime_:
        yield runtime_


def make_ticket(**over: object) -> Ticket:
    data = dict(id=5158, subject="Help: the platform is down", description="Nobody can log in since 9am",
                status="new", priority="low", tags=("customer_tag",), requester_id=11, organization_id=22,
                via_channel="web", created_at=CREATED, updated_at=CREATED)
    data.update(over)
    return Ticket(**data)  # type: ignore[arg-type]


def make_event(ticket: Ticket | None = None, **over: object) -> TicketEvent:
    data = dict(id="evt-1", type="created", ticket=ticket or make_ticket(), time=CREATED, actor_id=11)
    data.update(over)
    return TicketEvent(**data)  # type: ignore[arg-type]


def api_ticket(ticket: Ticket, **over: object) -> dict:
    data = {"id": ticket.id, "subject": ticket.subject, "description": ticket.description, "status": ticket.status,
            "priority": ticket.priority, "tags": list(ticket.tags), "requester_id": ticket.requester_id,
            "organization_id": ticket.organization_id, "via": {"channel": "web"},
            "created_at": "2025-01-08T10:12:07Z", "updated_at": "2025-01-08T10:12:07Z"}
    data.update(over)
    return data


def put_ok(ticket: Ticket, tags: list[str], updated_at: str = "2025-01-08T10:31:00Z") -> None:
    responses.put(f"{BASE}/api/v2/tickets/{ticket.id}.json", json={
        "ticket": api_ticket(ticket, tags=tags, priority="urgent", updated_at=updated_at),
        "audit": {"id": 1, "ticket_id": ticket.id, "events": []}})


def sent_bodies() -> list[dict]:
    return [json.loads(c.request.body)["ticket"] for c in responses.calls if c.request.method == "PUT"]


@responses.activate
def test_critical_ticket_is_flagged_in_one_safe_update(rt: Runtime) -> None:
    ticket = make_ticket()
    put_ok(ticket, ["customer_tag", "critical_incident", "critical_outage"])
    outcome = pipeline.handle_event(make_event(ticket).to_dict())
    assert outcome.startswith("flagged critical (outage")
    assert len(responses.calls) == 1  # no read: the event carried the ticket
    body = sent_bodies()[0]
    # The decision and the start of the first-response SLA, in one write.
    assert body["additional_tags"] == ["critical_incident", "critical_outage", "critical_sla_pending"]
    assert "tags" not in body and "remove_tags" not in body
    assert body["priority"] == "urgent"
    assert body["safe_update"] is True and body["updated_stamp"] == "2025-01-08T10:12:07Z"
    assert body["comment"]["public"] is False
    note = body["comment"]["body"]
    assert "outage" in note and "Outage affecting the whole customer." in note
    assert note.endswith("\n\nFirst-response SLA: a public reply is due by 2025-01-08 11:12:07 UTC, "
                         "1 h after this ticket was opened.")
    assert Queue(rt.keys.queue(SLA_STAGE), connection=rt.redis).count == 0  # no second write queued for the SLA
    clock = sla.describe(rt, ticket.id)
    assert clock is not None and clock["sla_state"] == "pending" and clock["sla_due_at"] == "2025-01-08T11:12:07Z"
    assert rt.redis.zscore(rt.keys("sla", "unsynced"), ticket.id) is None  # nothing left for the audit
    incident = rt.incidents.get(ticket.id)
    assert incident is not None
    assert incident.category == "outage" and incident.rules == ["outage"]
    assert incident.critical_from_start is True
    assert incident.declared_at == NOW
    assert [e["kind"] for e in rt.incidents.timeline(ticket.id)][:1] == ["declared"]


@responses.activate
def test_an_event_queued_under_its_old_job_name_by_an_earlier_release_is_flagged(rt: Runtime, redis) -> None:
    ticket = make_ticket()
    put_ok(ticket, ["critical_incident", "critical_outage"])
    queue = Queue(rt.keys.queue(EVENTS_STAGE), connection=redis)
    job = queue.enqueue("jobs.triage.handle_event", make_event(ticket).to_dict(), job_id="evt-before-upgrade")
    ResilientWorker([queue], connection=redis).work(burst=True)
    job.refresh()
    assert job.is_finished  # the worker keeps no job results: what it did is on the ticket and in the log
    flags = [c for c in responses.calls if c.request.method == "PUT" and "critical_outage" in str(c.request.body)]
    assert len(flags) == 1
    assert rt.incidents.get(ticket.id) is not None


@responses.activate
def test_a_normal_ticket_costs_no_zendesk_call(rt: Runtime) -> None:
    ticket = make_ticket(subject="How do I export invoices?", description="Where is the button?")
    assert pipeline.handle_event(make_event(ticket).to_dict()) == "not critical"
    assert len(responses.calls) == 0
    assert rt.incidents.get(ticket.id) is None


@responses.activate
def test_running_twice_or_a_redelivery_writes_once(rt: Runtime) -> None:
    ticket = make_ticket()
    put_ok(ticket, ["customer_tag", "critical_incident", "critical_outage"])
    pipeline.handle_event(make_event(ticket).to_dict())
    timeline = rt.incidents.timeline(ticket.id)
    # The same stale snapshot again (a redelivery or a second run of the job): the incident is
    # known and our tag is missing only because the snapshot predates our write.
    outcome = pipeline.handle_event(make_event(ticket, id="evt-2").to_dict())
    assert outcome == "already flagged"
    assert len(responses.calls) == 1  # no second write, not even an attempt
    assert rt.incidents.timeline(ticket.id) == timeline  # nothing declared or alerted twice
    assert [e["kind"] for e in timeline].count("declared") == 1


@responses.activate
def test_our_own_write_coming_back_is_ignored(rt: Runtime) -> None:
    flagged = make_ticket(tags=("critical_incident", "critical_outage"), priority="urgent")
    outcome = pipeline.handle_event(make_event(flagged, type="tags_changed", actor_id=API_USER).to_dict())
    assert outcome == "ignored: our own write"
    assert len(responses.calls) == 0


@responses.activate
def test_conflict_rereads_and_redecides_keeping_the_agents_edit(rt: Runtime) -> None:
    ticket = make_ticket()
    url = f"{BASE}/api/v2/tickets/{ticket.id}.json"
    responses.put(url, status=409, json={"error": "UpdateConflict"})
    responses.get(url, json={"ticket": api_ticket(ticket, tags=["customer_tag", "agent_added"],
                                                  updated_at="2025-01-08T10:25:00Z")})
    put_ok(ticket, ["customer_tag", "agent_added", "critical_incident", "critical_outage"])
    outcome = pipeline.handle_event(make_event(ticket).to_dict())
    assert outcome.startswith("flagged critical")
    second = sent_bodies()[1]
    assert second["updated_stamp"] == "2025-01-08T10:25:00Z"  # decided on the fresh ticket
    assert "tags" not in second  # the agent's tag is never at risk


@responses.activate
def test_conflict_where_an_agent_marked_not_critical_writes_nothing_more(rt: Runtime) -> None:
    ticket = make_ticket()
    url = f"{BASE}/api/v2/tickets/{ticket.id}.json"
    responses.put(url, status=409, json={"error": "UpdateConflict"})
    responses.get(url, json={"ticket": api_ticket(ticket, tags=["not_critical"], updated_at="2025-01-08T10:25:00Z")})
    outcome = pipeline.handle_event(make_event(ticket).to_dict())
    assert "overridden" in outcome
    assert len(sent_bodies()) == 1


@responses.activate
def test_an_agent_removing_the_tag_overrides_the_rules_from_then_on(rt: Runtime) -> None:
    ticket = make_ticket()
    put_ok(ticket, ["customer_tag", "critical_incident", "critical_outage"], updated_at="2025-01-08T10:31:00Z")
    pipeline.handle_event(make_event(ticket).to_dict())
    # An agent removes critical_incident after our write; the next event still reads "platform is down".
    later = make_ticket(tags=("customer_tag", "critical_outage"), priority="urgent",
                        updated_at=datetime(2025, 1, 8, 10, 40, tzinfo=timezone.utc))
    outcome = pipeline.handle_event(make_event(later, id="evt-3", type="tags_changed", actor_id=42).to_dict())
    assert "overridden" in outcome
    assert rt.incidents.get(ticket.id).status == OVERRIDDEN
    # and a comment event later still does not re-flag
    again = make_ticket(tags=("customer_tag",), updated_at=datetime(2025, 1, 8, 11, 0, tzinfo=timezone.utc))
    comment = Comment(id=1, body="the platform is down again", public=True, author_id=11)
    assert "overridden" in pipeline.handle_event(make_event(again, id="evt-4", type="comment_added",
                                                          comment=comment).to_dict())
    assert len(sent_bodies()) == 1


@responses.activate
def test_an_older_snapshot_after_our_write_is_not_mistaken_for_an_override(rt: Runtime) -> None:
    ticket = make_ticket()
    put_ok(ticket, ["customer_tag", "critical_incident", "critical_outage"], updated_at="2025-01-08T10:31:00Z")
    pipeline.handle_event(make_event(ticket).to_dict())
    older = make_ticket(updated_at=CREATED + timedelta(seconds=5))  # from before our write, delivered late
    outcome = pipeline.handle_event(make_event(older, id="evt-late", type="comment_added").to_dict())
    assert outcome == "already flagged"
    assert len(responses.calls) == 1
    assert rt.incidents.get(ticket.id).status == "open"


@responses.activate
def test_a_ticket_an_agent_tagged_critical_becomes_an_incident_without_a_write(rt: Runtime) -> None:
    ticket = make_ticket(subject="Printer jam", description="small thing", tags=("critical_incident",))
    audits_adding_critical(ticket.id, author_id=42)
    outcome = pipeline.handle_event(make_event(ticket, type="tags_changed", actor_id=42).to_dict())
    assert "incident opened" in outcome
    assert [c.request.method for c in responses.calls] == ["GET"]  # who added the tag: the audits
    assert rt.incidents.get(ticket.id).rules == ["manual"]


def audits_adding_critical(ticket_id: int, author_id: int) -> None:
    responses.get(f"{BASE}/api/v2/tickets/{ticket_id}/audits.json", json={
        "audits": [{"id": 2, "author_id": author_id, "created_at": "2025-01-08T10:31:00Z",
                    "events": [{"type": "Change", "field_name": "tags", "value": ["critical_incident"],
                                "previous_value": []}]}],
        "meta": {"has_more": False}, "links": {"next": None}})


@responses.activate
def test_priority_is_raised_but_never_lowered(rt: Runtime) -> None:
    ticket = make_ticket(subject="x", description="y", tags=("vip_outage",), priority="urgent")
    put_ok(ticket, ["vip_outage", "critical_incident", "vip_flag"])
    pipeline.handle_event(make_event(ticket).to_dict())
    body = sent_bodies()[0]
    assert "priority" not in body  # the rule asks for high; the ticket is already urgent
    assert body["additional_tags"] == ["critical_incident", "vip_flag", "critical_sla_pending"]


@responses.activate
def test_429_reschedules_the_job_instead_of_sleeping(rt: Runtime, redis) -> None:
    ticket = make_ticket()
    responses.put(f"{BASE}/api/v2/tickets/{ticket.id}.json", status=429, headers={"Retry-After": "30"},
                  json={"error": "TooManyRequests"})
    queue = Queue(rt.keys.queue(EVENTS_STAGE), connection=redis)
    job = queue.enqueue("jobs.pipeline.handle_event", make_event(ticket).to_dict(), job_id="evt-ratelimited")
    SimpleWorker([queue], connection=redis).work(burst=True)
    job.refresh()
    assert "rescheduled in 30 s" in job.return_value()
    scheduled = queue.scheduled_job_registry
    assert scheduled.get_job_ids() == ["evt-ratelimited-rl1"]
    due = scheduled.get_scheduled_time("evt-ratelimited-rl1")
    assert 25 <= (due - datetime.now(timezone.utc)).total_seconds() <= 31
    assert len(responses.calls) == 1


STAFF_RULE = """
  - name: staff-report
    category: staff_report
    when:
      all:
        - requester_role: [agent, admin]
        - text: {keywords: [critical, p1]}
"""


@pytest.fixture
def staff_rt(tmp_path: Path, redis, key_prefix) -> Iterator[Runtime]:
    """The runtime with a rule that reads the requester's role, as the shipped staff-report does."""
    with installed(make_runtime(tmp_path, redis, key_prefix, STAFF_RULE)) as runtime_:
        yield runtime_


def user_reads() -> list[str]:
    return [c.request.url for c in responses.calls if "/users/" in c.request.url]


@responses.activate
def test_the_requester_is_not_read_when_it_cannot_change_the_decision(staff_rt: Runtime) -> None:
    ordinary = make_ticket(subject="How do I export invoices?", description="Where is the button?")
    assert pipeline.handle_event(make_event(ordinary).to_dict()) == "not critical"
    outage = make_ticket(id=5159)
    put_ok(outage, ["customer_tag", "critical_incident", "critical_outage"])
    assert pipeline.handle_event(make_event(outage).to_dict()).startswith("flagged critical (outage")
    assert user_reads() == []  # neither ticket says critical/P1, so the role cannot matter


@responses.activate
def test_the_requester_is_read_once_when_it_decides_and_its_role_counts(staff_rt: Runtime) -> None:
    responses.get(f"{BASE}/api/v2/users/11.json",
                  json={"user": {"id": 11, "role": "agent", "email": "sam@acme.test", "name": "Sam"}})
    ticket = make_ticket(subject="P1: billing run failed", description="Critical for month end")
    put_ok(ticket, ["customer_tag", "critical_incident", "critical_staff_report"])
    assert pipeline.handle_event(make_event(ticket).to_dict()).startswith("flagged critical (staff_report")
    again = make_ticket(id=5160, subject="P1: exports stuck", description="critical")
    put_ok(again, ["customer_tag", "critical_incident", "critical_staff_report"])
    assert pipeline.handle_event(make_event(again).to_dict()).startswith("flagged critical (staff_report")
    assert len(user_reads()) == 1  # the second ticket from the same requester hits the cache


@responses.activate
def test_a_customer_saying_critical_is_not_a_staff_report(staff_rt: Runtime) -> None:
    responses.get(f"{BASE}/api/v2/users/11.json",
                  json={"user": {"id": 11, "role": "end-user", "email": "ann@customer.test", "name": "Ann"}})
    ticket = make_ticket(subject="Critical question about invoices", description="Where is the button?")
    assert pipeline.handle_event(make_event(ticket).to_dict()) == "not critical"
    assert len(user_reads()) == 1
    assert sent_bodies() == []


@responses.activate
def test_a_requester_zendesk_does_not_know_does_not_match(staff_rt: Runtime) -> None:
    responses.get(f"{BASE}/api/v2/users/11.json", status=404, json={"error": "RecordNotFound"})
    ticket = make_ticket(subject="P1 please", description="critical")
    assert pipeline.handle_event(make_event(ticket).to_dict()) == "not critical"
    assert len(user_reads()) == 1


@responses.activate
def test_a_job_dying_after_the_write_does_not_write_the_sla_twice(rt: Runtime, monkeypatch) -> None:
    ticket = make_ticket()
    url = f"{BASE}/api/v2/tickets/{ticket.id}.json"
    put_ok(ticket, ["customer_tag", "critical_incident", "critical_outage", "critical_sla_pending"])
    real_open = rt.incidents.open

    def die(incident: object) -> bool:
        raise ConnectionError("worker lost Redis right after the write")

    monkeypatch.setattr(rt.incidents, "open", die)
    with pytest.raises(ConnectionError):
        pipeline.handle_event(make_event(ticket).to_dict())
    monkeypatch.setattr(rt.incidents, "open", real_open)
    # RQ runs the job again: its snapshot predates our write, so Zendesk says 409 and the
    # fresh ticket already carries the flag and the SLA's start.
    responses.replace(responses.PUT, url, status=409, json={"error": "UpdateConflict"})
    responses.get(url, json={"ticket": api_ticket(ticket, tags=["customer_tag", "critical_incident",
                                                                "critical_outage", "critical_sla_pending"],
                                                  updated_at="2025-01-08T10:31:00Z")})
    audits_adding_critical(ticket.id, author_id=API_USER)
    assert "our write's answer had been lost" in pipeline.handle_event(make_event(ticket).to_dict())
    assert rt.incidents.get(ticket.id).rules == ["outage"]  # ours, not an agent's
    assert sla.describe(rt, ticket.id)["sla_state"] == "pending"
    assert Queue(rt.keys.queue(SLA_STAGE), connection=rt.redis).count == 0  # no second SLA note on its way
    assert [c.request.method for c in responses.calls] == ["PUT", "PUT", "GET", "GET"]


@responses.activate
def test_the_audit_starts_a_lost_clock_without_writing_what_the_decision_wrote(rt: Runtime) -> None:
    ticket = make_ticket()
    event = make_event(ticket)
    incident = triage.incident_of(rt, event, ticket, rt.config.rules.evaluate(ticket), NOW - timedelta(minutes=2),
                                  extra={STARTED_IN_DECLARING_WRITE: True})
    assert rt.incidents.open(incident)  # the job died before the clock started
    counts = sla_audit.run_audit(rt, NOW)
    assert counts["started"] == 1
    assert sla.describe(rt, ticket.id)["sla_state"] == "pending"
    sla_audit.run_audit(rt, NOW + timedelta(minutes=5))  # later rounds find nothing unwritten either
    assert len(responses.calls) == 0
    assert [e["kind"] for e in rt.incidents.timeline(ticket.id)].count("sla.started") == 1


@responses.activate
def test_the_flagging_write_fills_the_sla_custom_fields_when_configured(tmp_path: Path, redis, key_prefix) -> None:
    with installed(make_runtime(tmp_path, redis, key_prefix, "\nsla: {fields: {due_at: 3601, state: 3602}}\n")):
        ticket = make_ticket()
        put_ok(ticket, ["customer_tag", "critical_incident", "critical_outage", "critical_sla_pending"])
        assert pipeline.handle_event(make_event(ticket).to_dict()).startswith("flagged critical")
    body = sent_bodies()[0]
    assert body["priority"] == "urgent"  # the decision's own fields stay
    assert sorted(body["custom_fields"], key=lambda f: f["id"]) == [
        {"id": 3601, "value": "2025-01-08T11:12:07Z"}, {"id": 3602, "value": "pending"}]
    assert len(responses.calls) == 1


@responses.activate
def test_a_ticket_critical_anyway_is_flagged_without_reading_who_wrote_it(staff_rt: Runtime) -> None:
    # "Critical" could make it a staff report too, but it is an outage whoever wrote it: the
    # requester could only add a tag and a note line, not worth a read per customer in a storm.
    ticket = make_ticket(subject="CRITICAL: the platform is down", requester_id=777)
    put_ok(ticket, ["customer_tag", "critical_incident", "critical_outage", "critical_sla_pending"])
    assert pipeline.handle_event(make_event(ticket).to_dict()).startswith("flagged critical (outage; rules: outage)")
    assert user_reads() == []
    assert len(responses.calls) == 1
