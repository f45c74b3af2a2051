"""Post-incident review task, actions and their reminders: real Redis, the Zendesk simulator.

What matters to the Head of Customer Support: when an incident is resolved a review task is in
their Zendesk queue, due in five days, holding the incident's timeline (first report, declaration,
alerts, first response, SLA outcome, resolution, linked tickets, times) and a template to fill;
it exists once however often the job runs; actions are tasks with an owner and a due date; and
an overdue review or action reminds them once a day.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from jobs import pipeline
from jobs.lifecycle import review
from jobs.report import reminders as review_reminders
from jobs.report.build import IncidentFacts
from middleware import worker
from middleware.store import queues
from rules.model import Comment
from tests.jobs.lifecycle.test_lifecycle import agent, declare, solve
from tests.lifecycle_support import Env, make_env

HEAD = "head@acme-support.test"


@pytest.fixture
def config_sections() -> dict[str, Any]:
    return {"review": {"assignee_email": HEAD}}


def answered_and_resolved(env: Env) -> tuple[int, int, int]:
    """A declared outage, answered by an agent in time, then solved; every job run."""
    head = agent(env, HEAD)
    tid = declare(env)
    env.drain()
    by = agent(env)
    reply = env.sim.comment(tid, "We are on it.", author_id=by)["comment"]
    pipeline.process(env.rt, env.event(tid, "comment_added", actor_id=by,
                                     comment=Comment(id=reply["id"], body=reply["body"], public=True, author_id=by,
                                                     author_is_staff=True, author_name="Agent Smith")))
    solve(env, tid, by)
    env.drain()
    return tid, by, head


def review_tasks(env: Env, incident_id: int) -> list[dict]:
    wanted = {"post_incident_review", f"incident_{incident_id}"}
    return [t for t in env.sim.tickets() if wanted <= set(t["tags"])]


def test_resolution_creates_one_review_task_with_the_timeline_and_due_date(env):
    tid, _, head = answered_and_resolved(env)
    tasks = review_tasks(env, tid)
    assert len(tasks) == 1
    task = tasks[0]
    incident = env.rt.incidents.get(tid)
    assert task["type"] == "task"
    assert task["assignee_id"] == head
    assert datetime.fromisoformat(task["due_at"].replace("Z", "+00:00")) == incident.resolved_at + timedelta(days=5)
    assert task["external_id"] == f"{env.rt.keys.prefix}-post-incident-review-{tid}"
    body = env.sim.get_ticket(task["id"])["comments"][0]
    assert body["public"] is False  # an internal note: no customer ever sees it
    text = body["body"]
    for expected in ("First report:", "Declared critical:", "incident.declared", "First response:",
                     "by Agent Smith", "Resolved:", f"#{tid} ",
                     f"/agent/tickets/{tid}", "Time to first response:", "Time to resolve:",
                     "ROOT CAUSE", "LEARNINGS", "ACTIONS", f"action add --incident {tid}",
                     f"incident_action incident_{tid}", "Customers told:", "declared: sent", "resolved: sent"):
        assert expected in text, expected
    assert re.search(r"SLA outcome: +met", text)
    assert [e["kind"] for e in env.rt.incidents.timeline(tid)].count("review_created") == 1


def test_the_review_is_created_once_even_when_our_record_of_it_is_lost(env):
    tid, _, _ = answered_and_resolved(env)
    first = review_tasks(env, tid)[0]["id"]
    assert review.create_review(env.rt, tid) == f"exists: ticket {first}"
    env.redis.delete(review.review_key(env.rt, tid))  # say Zendesk created it but its answer was lost
    assert review.create_review(env.rt, tid) == f"found: ticket {first}"
    assert not review.enqueue_create(env.rt, tid)
    assert len(review_tasks(env, tid)) == 1


def test_no_review_when_reviews_are_switched_off(server, redis, tmp_path, key_prefix):
    gen = make_env(server, redis, tmp_path, key_prefix, review={"enabled": False})
    env = next(gen)
    try:
        tid = declare(env)
        solve(env, tid, agent(env))
        env.drain()
        assert review_tasks(env, tid) == []
    finally:
        gen.close()


def test_a_security_reviews_subject_keeps_the_ticket_text_out():
    now = datetime(2026, 1, 5, tzinfo=UTC)
    secret = IncidentFacts(id=9, ticket_id=9, category="security", subject="Our admin password leaked",
                           status="resolved", first_report_at=now, declared_at=now, resolved_at=now)
    assert "password" not in review.review_subject(secret, frozenset({"security"}))
    assert "password" in review.review_subject(secret, frozenset())


# -- actions --------------------------------------------------------------------------------------
def test_an_action_is_a_task_with_an_owner_and_a_due_date_created_once(env):
    tid, by, _ = answered_and_resolved(env)
    task, created = review.add_action(env.rt, tid, "agent@acme-support.test",
                                      "Renew certificates automatically", "2026-12-10")
    assert created
    again, created_again = review.add_action(env.rt, tid, "agent@acme-support.test",
                                             "Renew certificates automatically", "2026-12-10")
    assert not created_again and again.id == task.id
    stored = env.sim.get_ticket(task.id)["ticket"]
    assert stored["type"] == "task" and stored["assignee_id"] == by
    assert stored["due_at"] == "2026-12-10T12:00:00Z"
    assert {"incident_action", f"incident_{tid}"} <= set(stored["tags"])
    assert "Renew certificates automatically" in env.sim.get_ticket(task.id)["comments"][0]["body"]


@pytest.mark.parametrize(("incident", "owner", "due", "problem"), [
    (999, "agent@acme-support.test", None, "no critical incident 999"),
    (None, "nobody@nowhere.test", None, "no Zendesk user"),
    (None, "ops@acme.test", None, "not an agent"),
    (None, "agent@acme-support.test", "next tuesday", "expected a date"),
])
def test_an_action_that_cannot_be_tracked_is_refused_with_the_reason(env, incident, owner, due, problem):
    tid, _, _ = answered_and_resolved(env)
    with pytest.raises(review.ActionError, match=problem):
        review.add_action(env.rt, incident or tid, owner, "Do something", due)


# -- reminders ------------------------------------------------------------------------------------
def reminders(env: Env, tid: int, event: str) -> list[str]:
    return [e["occurrence"] for e in env.rt.incidents.timeline(tid) if e["kind"] == "alert" and e["event"] == event]


def test_an_overdue_action_reminds_once_a_day_until_it_is_solved(env):
    tid, _, _ = answered_and_resolved(env)
    due = env.now + timedelta(days=2)
    task, _ = review.add_action(env.rt, tid, "agent@acme-support.test", "Add a status page", due)
    assert review_reminders.run_reminders(env.rt, env.now)["reminded"] == 0

    # 09:00 UTC the day after it was due: a next run 15 minutes later is the same day whatever
    # the clock says now (due + 1 h crossed midnight when the suite ran after 22:45 UTC)
    day1 = datetime.combine(due.date() + timedelta(days=1), time(9), tzinfo=UTC)
    assert review_reminders.run_reminders(env.rt, day1)["reminded"] == 1
    review_reminders.run_reminders(env.rt, day1 + timedelta(minutes=15))  # the next run, same day
    assert reminders(env, tid, "action.overdue") == [f"{task.id}-{day1.date().isoformat()}"]
    mine = f"alertfan-{env.rt.keys.job_prefix}-{tid}-"
    fan_outs = [j for j in env.queued(queues.ALERTS_STAGE) if j.startswith(mine)]

    day2 = day1 + timedelta(days=1)
    review_reminders.run_reminders(env.rt, day2)
    assert len(reminders(env, tid, "action.overdue")) == 2
    assert len([j for j in env.queued(queues.ALERTS_STAGE) if j.startswith(mine)]) == len(fan_outs) + 1

    # solved: no longer overdue. Checked on day 2 (day 3 before 09:00 UTC was past the review
    # task's own due date, 5 days after the resolution, and counted it)
    env.sim.update(task.id, status="solved")
    assert review_reminders.run_reminders(env.rt, day2 + timedelta(hours=1))["overdue"] == 0
    assert len(reminders(env, tid, "action.overdue")) == 2


def test_an_overdue_review_reminds_the_head_of_support(env):
    tid, _, _ = answered_and_resolved(env)
    due = env.rt.incidents.get(tid).resolved_at + timedelta(days=5)
    assert review_reminders.run_reminders(env.rt, due - timedelta(minutes=1))["overdue"] == 0
    counts = review_reminders.run_reminders(env.rt, due + timedelta(minutes=1))
    assert counts == {"overdue": 1, "reminded": 1, "no_incident": 0}
    assert len(reminders(env, tid, "review.overdue")) == 1
    assert "head_of_support" in env.rt.config.routes["review.overdue"]


def test_a_task_by_hand_with_the_tags_is_tracked_and_one_without_an_incident_is_only_logged(env):
    tid, _, _ = answered_and_resolved(env)
    past = "2020-01-01T12:00:00Z"
    env.sim.customer_ticket("Fix the runbook", "by hand", "agent@acme-support.test", type="task",
                            tags=["incident_action", f"incident_{tid}"], due_at=past)
    env.sim.customer_ticket("Orphan action", "no incident tag", "agent@acme-support.test", type="task",
                            tags=["incident_action"], due_at=past)
    tracked = review_reminders.tracked_tasks(env.rt)
    assert sorted((t.kind, t.incident_id or 0) for t in tracked) == [("action", 0), ("action", tid), ("review", tid)]
    counts = review_reminders.run_reminders(env.rt, env.now)
    assert counts["reminded"] == 1 and counts["no_incident"] == 1


def test_the_worker_runs_the_reminders_and_the_weekly_report():
    funcs = {p.func: p.every_seconds for p in worker.periodic_jobs()}
    assert funcs["jobs.report.reminders.remind"] <= 3600  # "once a day" needs several chances a day
    assert funcs["jobs.report.delivery.weekly"] <= 3600
