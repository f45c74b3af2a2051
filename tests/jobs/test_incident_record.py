"""The jobs record what the incident room shows: the customer's name, the assignee, public
comments, alert deliveries being retried, and the open review tasks. Real Redis, the Zendesk
simulator in this process, the jobs run as a worker would (``env.drain``)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from jobs import incident_record, pipeline
from jobs.alerts.delivery import Delivery, DeliveryFailed, deliver_with
from jobs.lifecycle import review
from jobs.lookup import remember_people
from jobs.report import reminders as review_reminders
from jobs.report.reminders import tasks_key
from middleware.store import queues
from middleware.web.incident_room import Room
from rules.model import Comment, Person
from tests.jobs.lifecycle.test_lifecycle import agent, declare, solve
from tests.lifecycle_support import Env

HEAD = "head@acme-support.test"


@pytest.fixture
def config_sections() -> dict[str, Any]:
    return {"review": {"assignee_email": HEAD}}


def room(env: Env) -> Room:
    return Room(env.redis, env.rt.keys, env.rt.config, env.rt.zendesk.agent_link, env.now)


def timeline(env: Env, incident_id: int, kind: str) -> list[dict]:
    return [e for e in env.rt.incidents.timeline(incident_id) if e["kind"] == kind]


def test_the_alert_fan_out_records_the_customers_name(env):
    org = env.sim.create_organization("Globex Corporation")
    ticket = env.sim.customer_ticket("URGENT - platform down, none of our users can log in", "All down.",
                                     "it@globex.test", organization_id=org["id"])
    pipeline.process(env.rt, env.event(ticket["id"], "created", actor_id=ticket["requester_id"]))
    assert env.rt.incidents.get(ticket["id"]).organization_name is None
    env.drain(queues.ALERTS_STAGE)
    assert env.rt.incidents.get(ticket["id"]).organization_name == "Globex Corporation"
    assert room(env).row(room(env).record(ticket["id"]))["organization"] == "Globex Corporation"


def test_the_assignee_is_kept_current_and_a_late_older_snapshot_changes_nothing(env):
    tid = declare(env)
    dana = agent(env, "dana@acme-support.test")
    remember_people(env.rt, [Person(id=dana, role="agent", email="dana@acme-support.test", name="Dana Scully")])
    env.sim.update(tid, assignee_id=dana)
    older = env.event(tid, "priority_changed")  # the snapshot as it is now: assigned to Dana
    pipeline.process(env.rt, older)
    incident = env.rt.incidents.get(tid)
    assert (incident.assignee_id, incident.assignee_name) == (dana, "Dana Scully")
    assert [e["assignee_name"] for e in timeline(env, tid, "assigned")] == ["Dana Scully"]

    sam = agent(env, "sam@acme-support.test")
    env.sim.update(tid, assignee_id=sam)
    pipeline.process(env.rt, env.event(tid, "agent_assignment_changed"))
    assert env.rt.incidents.get(tid).assignee_id == sam
    stale = older.ticket.__class__(**{**{f: getattr(older.ticket, f) for f in older.ticket.__slots__},
                                      "updated_at": older.ticket.updated_at - timedelta(seconds=30)})
    incident_record.after_event(env.rt, older.__class__(id="late", type="priority_changed", ticket=stale))
    assert env.rt.incidents.get(tid).assignee_id == sam
    assert len(timeline(env, tid, "assigned")) == 2
    assert room(env).row(room(env).record(tid))["assignee"] == {"id": sam, "name": None}


def test_public_comments_are_on_the_timeline_without_their_text(env):
    tid = declare(env)
    by = agent(env)
    note = env.sim.comment(tid, "internal: looking at the logs", public=False, author_id=by)["comment"]
    pipeline.process(env.rt, env.event(tid, "comment_added", actor_id=by, comment=Comment(
        id=note["id"], body=note["body"], public=False, author_id=by, author_is_staff=True)))
    reply = env.sim.comment(tid, "We are on it.", author_id=by)["comment"]
    event = env.event(tid, "comment_added", actor_id=by, comment=Comment(
        id=reply["id"], body=reply["body"], public=True, author_id=by, author_is_staff=True,
        author_name="Agent Smith"))
    pipeline.process(env.rt, event)
    pipeline.process(env.rt, event)  # a redelivery
    customer = env.sim.comment(tid, "Any news? Still down.")["comment"]
    pipeline.process(env.rt, env.event(tid, "comment_added", comment=Comment(
        id=customer["id"], body=customer["body"], public=True, author_id=customer["author_id"],
        author_is_staff=False, author_name="Ops at Acme")))
    comments = timeline(env, tid, "comment")
    assert [(c["author_name"], c["staff"]) for c in comments] == [("Agent Smith", True), ("Ops at Acme", False)]
    assert "We are on it" not in json.dumps(env.rt.incidents.timeline(tid))
    shown = [e["title"] for e in room(env).detail(room(env).record(tid))["timeline"] if e["kind"] == "comment"]
    assert shown == [f"Public reply by Agent Smith on #{tid}", f"Customer Ops at Acme wrote on #{tid}"]
    first = room(env).row(room(env).record(tid))["first_response"]
    assert first["by"] == "Agent Smith"


def test_a_delivery_that_will_be_retried_says_so_on_the_timeline(env, monkeypatch):
    tid = declare(env)
    d = Delivery(key="k1", incident_id=tid, event="incident.declared", occurrence="", at="2026-12-05T09:00:00Z",
                 url="json://127.0.0.1:9/x", label="json://127.0.0.1…#ab", roles=("cto",), title="t", body="b",
                 notify_type="failure")
    monkeypatch.setattr("jobs.alerts.delivery.send", lambda *a: (False, "FAILURE"))
    for _ in range(2):
        with pytest.raises(DeliveryFailed):
            deliver_with(env.rt, d, last_attempt=False)
    retrying = timeline(env, tid, "alert_retrying")
    assert len(retrying) == 1 and retrying[0]["destination"] == "json://127.0.0.1…#ab"
    with pytest.raises(DeliveryFailed):
        deliver_with(env.rt, d, last_attempt=True)
    assert room(env).row(room(env).record(tid))["alerts"]["failed"] == 1


def test_the_review_reminders_leave_the_open_tasks_for_the_dashboard(env):
    head = agent(env, HEAD)
    tid = declare(env)
    env.drain()
    by = agent(env)
    solve(env, tid, by, comment="Fixed.")
    env.drain()
    task, _ = review.add_action(env.rt, tid, "agent@acme-support.test", "Add a status page",
                                env.now - timedelta(days=1))
    assert room(env).tasks() == (None, None)
    review_reminders.run_reminders(env.rt, env.now)
    snapshot = json.loads(env.redis.get(tasks_key(env.rt.keys)))
    assert {t["kind"] for t in snapshot["tasks"]} == {"review", "action"}
    view = room(env).detail(room(env).record(tid), *room(env).tasks())
    assert [(a["ticket_id"], a["overdue"]) for a in view["actions"]] == [(task.id, True)]
    assert view["review"]["ticket_id"] == view["open_review_tasks"][0]["ticket_id"]
    assert view["open_review_tasks"][0]["assignee_id"] == head
    assert env.redis.ttl(tasks_key(env.rt.keys)) > 0
