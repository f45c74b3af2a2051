"""The "possible critical" tier and agents' feedback, through triage, against a real Redis and
`responses` for Zendesk.

What matters to a user: a ticket the rules are unsure about is tagged and explained to a person,
the Head of Support hears about it once and is reminded once; confirming it declares the
incident with the 1-hour clock running from when the customer wrote; dismissing it, taking a
flag back or tagging a missed ticket by hand is recorded for the rules to learn from.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import responses
from rq import Queue
from rq.registry import ScheduledJobRegistry

from jobs import pipeline, possible
from jobs.runtime import Runtime
from middleware.config import load_config
from middleware.store.feedback import FeedbackStore, production_figures
from middleware.store.queues import ALERTS_STAGE, EVENTS_STAGE
from tests.jobs.test_triage import BASE, CREATED, NOW, api_ticket, installed, make_event, make_runtime, make_ticket

RULES = """rules:
  concepts:
    objects: [orders, labels]
    impact: [not arriving, blank, stuck]
    scope: [all, every]
  signals:
    - {name: stopped, says: a workflow stopped, category: outage, weight: 3, near: [objects, impact], within: 4}
    - {name: breadth, says: many affected, weight: 2, any: [scope], requires: [impact]}
  thresholds: {critical: 5, possible: 3}
possible: {remind_after: 15m}
"""


def runtime_with_signals(tmp_path: Path, redis, key_prefix: str) -> Runtime:
    """The triage test runtime, its rules a document with signals (critical at 5, possible at 3)."""
    rt = make_runtime(tmp_path, redis, key_prefix)
    path = tmp_path / "config.yaml"
    path.write_text(path.read_text(encoding="utf-8").split("rules:")[0] + RULES, encoding="utf-8")
    rt.config = load_config(path, env={})
    return rt


@pytest.fixture
def rt(tmp_path: Path, redis, key_prefix) -> Iterator[Runtime]:
    with installed(runtime_with_signals(tmp_path, redis, key_prefix)) as runtime_:
        yield runtime_


def possible_ticket(**over: object):
    return make_ticket(subject="orders", description="Our orders are not arriving.", **over)


def put_ok(ticket, tags: list[str]) -> None:
    responses.put(f"{BASE}/api/v2/tickets/{ticket.id}.json", json={
        "ticket": api_ticket(ticket, tags=tags, updated_at="2025-01-08T10:31:00Z"),
        "audit": {"id": 1, "ticket_id": ticket.id, "events": []}})


def bodies() -> list[dict]:
    return [json.loads(c.request.body)["ticket"] for c in responses.calls if c.request.method == "PUT"]


def alert_events(rt: Runtime) -> list[str]:
    return [job.args[1] for job in Queue(rt.keys.queue(ALERTS_STAGE), connection=rt.redis).jobs]


@responses.activate
def test_a_possible_ticket_is_tagged_explained_alerted_and_reminded_once(rt: Runtime) -> None:
    ticket = possible_ticket()
    put_ok(ticket, ["customer_tag", "possible_critical_incident"])
    outcome = pipeline.handle_event(make_event(ticket).to_dict())
    assert outcome.startswith("possibly critical (score 3"), outcome
    [body] = bodies()
    assert body["additional_tags"] == ["possible_critical_incident"]
    note = body["comment"]["body"]
    assert body["comment"]["public"] is False
    assert "MAY be a critical incident" in note and "add the tag critical_incident" in note
    assert "add the tag not_critical" in note and "a workflow stopped (+3)" in note
    assert alert_events(rt) == ["possible"]
    [job_id] = ScheduledJobRegistry(rt.keys.queue(EVENTS_STAGE), connection=rt.redis).get_job_ids()
    assert "possible-remind" in job_id
    # The same event again, or a later one: nothing twice.
    assert pipeline.handle_event(make_event(ticket).to_dict()) == "already marked possibly critical"
    assert len(bodies()) == 1 and alert_events(rt) == ["possible"]
    # Fifteen minutes on, nobody decided: one reminder, then no more.
    responses.get(f"{BASE}/api/v2/tickets/{ticket.id}.json",
                  json={"ticket": api_ticket(ticket, tags=["customer_tag", "possible_critical_incident"])})
    assert possible.remind_with(rt, ticket.id).endswith("still undecided, reminded")
    assert possible.remind_with(rt, ticket.id).endswith("already reminded")
    assert alert_events(rt) == ["possible", "possible.reminder"]


@responses.activate
def test_confirming_declares_the_incident_with_the_clock_from_when_the_ticket_was_raised(rt: Runtime) -> None:
    ticket = possible_ticket()
    put_ok(ticket, ["customer_tag", "possible_critical_incident"])
    pipeline.handle_event(make_event(ticket).to_dict())
    confirmed = possible_ticket(tags=("customer_tag", "possible_critical_incident", "critical_incident"),
                                updated_at=NOW)
    responses.put(f"{BASE}/api/v2/tickets/{ticket.id}.json", json={
        "ticket": api_ticket(ticket, tags=list(confirmed.tags)), "audit": {"id": 2, "ticket_id": ticket.id}})
    responses.get(f"{BASE}/api/v2/tickets/{ticket.id}/audits.json", json={"audits": [], "next_page": None})
    outcome = pipeline.handle_event(make_event(confirmed, id="evt-2", type="tags_changed", actor_id=77).to_dict())
    assert outcome == "flagged critical by an agent: incident opened", outcome
    incident = rt.incidents.get(ticket.id)
    assert incident.rules == ["possible", "confirmed"] and incident.category == "outage"
    assert incident.critical_from_start and incident.ticket_created_at == CREATED  # the clock runs from the report
    assert "a workflow stopped (+3)" in " ".join(incident.reasons)
    assert any(e["kind"] == "possible_confirmed" and e["by"] == 77 for e in rt.incidents.timeline(ticket.id))
    [record] = FeedbackStore(rt.redis, rt.keys).since(None)
    assert (record.kind, record.critical, record.rules_tier, record.actor_id) == ("confirmed", True, "possible", 77)
    assert possible.remind_with(rt, ticket.id).endswith("decided or unknown, no reminder")


@responses.activate
def test_dismissing_is_recorded_and_leaves_the_ticket_alone(rt: Runtime) -> None:
    ticket = possible_ticket()
    put_ok(ticket, ["customer_tag", "possible_critical_incident"])
    pipeline.handle_event(make_event(ticket).to_dict())
    dismissed = possible_ticket(tags=("customer_tag", "possible_critical_incident", "not_critical"), updated_at=NOW)
    outcome = pipeline.handle_event(make_event(dismissed, id="evt-2", type="tags_changed", actor_id=77).to_dict())
    assert outcome == "possibly critical, dismissed by an agent"
    assert len(bodies()) == 1  # nothing written on the dismissal
    [record] = FeedbackStore(rt.redis, rt.keys).since(None)
    assert (record.kind, record.critical) == ("dismissed", False)
    assert rt.incidents.get(ticket.id) is None


@responses.activate
def test_a_flag_taken_back_and_a_missed_ticket_are_recorded_for_the_rules(rt: Runtime) -> None:
    store = FeedbackStore(rt.redis, rt.keys)
    critical = make_ticket(subject="orders", description="All our orders are not arriving.")
    put_ok(critical, ["customer_tag", "critical_incident", "critical_outage"])
    assert pipeline.handle_event(make_event(critical).to_dict()).startswith("flagged critical (outage")
    taken_back = make_ticket(subject="orders", description="All our orders are not arriving.",
                             tags=("customer_tag", "not_critical"), updated_at=NOW + timedelta(minutes=5))
    pipeline.handle_event(make_event(taken_back, id="evt-2", type="tags_changed", actor_id=77).to_dict())
    missed = make_ticket(id=6000, subject="hm", description="The dispatch board is odd today.",
                         tags=("critical_incident",), updated_at=NOW)
    responses.get(f"{BASE}/api/v2/tickets/6000/audits.json", json={"audits": [], "next_page": None})
    pipeline.handle_event(make_event(missed, id="evt-3", type="tags_changed", actor_id=77).to_dict())
    kinds = [(r.kind, r.ticket_id, r.critical) for r in store.since(None)]
    assert kinds == [("false_alarm", critical.id, False), ("missed", 6000, True)]
    # Redelivered events record nothing twice.
    pipeline.handle_event(make_event(taken_back, id="evt-2b", type="tags_changed", actor_id=77).to_dict())
    assert len(store.since(None)) == 2
    figures = production_figures(store.since(None), flagged=1)
    assert (figures["precision"], figures["recall"]) == (0.0, 0.0)
    labelled = store.since(None)[1].labelled()
    assert labelled["critical"] is True and labelled["description"] == "The dispatch board is odd today."
