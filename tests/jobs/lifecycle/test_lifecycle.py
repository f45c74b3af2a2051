"""Customers told, incidents resolved and reopened: real Redis, the Zendesk simulator over HTTP.

What matters to a customer: the requester of a critical ticket gets one public reply saying it is
handled as critical; every original requester of every linked ticket hears once that it is
resolved, and nobody twice (not when the agent's solving reply said it already, not when Zendesk
copies a problem ticket's solving reply). What matters to the team: the incident closes with the
time Zendesk solved the ticket, ``incident.resolved`` is raised once, a running SLA clock is
settled, our messages never stop the SLA clock, and a reopened ticket reopens the incident.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from jobs import links, pipeline
from jobs.lifecycle import messages
from jobs.lifecycle import status as lifecycle
from jobs.sla import clock as sla
from middleware.store import queues
from middleware.store.clocks import CANCELLED, PENDING, ClockStore
from middleware.store.incidents import OPEN, OVERRIDDEN, RESOLVED
from middleware.zendesk.errors import RateLimited
from rules.model import Comment, Ticket
from tests.lifecycle_support import OUTAGE, Env, make_env


def declare(env: Env, email: str = "ops@acme.test", subject: str = OUTAGE[0], body: str = OUTAGE[1]) -> int:
    """A customer opens a ticket the shipped rules call critical; triage flags and declares it."""
    ticket = env.sim.customer_ticket(subject, body, email)
    outcome = pipeline.process(env.rt, env.event(ticket["id"], "created", actor_id=ticket["requester_id"]))
    assert outcome.startswith("flagged critical"), outcome
    return int(ticket["id"])


def agent(env: Env, email: str = "agent@acme-support.test") -> int:
    return int(env.sim.create_user("Agent Smith", email, role="agent")["id"])


def solve(env: Env, ticket_id: int, by: int, comment: str | None = None, public: bool = True) -> str:
    """An agent solves the ticket (optionally with a comment); the event goes down the normal path."""
    fields: dict = {"status": "solved"}
    if comment is not None:
        fields["comment"] = {"body": comment, "public": public}
    env.sim.update(ticket_id, author_id=by, **fields)
    return pipeline.process(env.rt, env.event(ticket_id, "status_changed", actor_id=by))


def settle_all(env: Env) -> None:
    """Run the lifecycle jobs until none is left (resolution → messages and review)."""
    env.drain()


# -- told it is critical ----------------------------------------------------------------------------
def test_the_declared_tickets_requester_gets_one_public_reply_that_is_not_a_first_response(env):
    tid = declare(env)
    assert env.our_public(tid) == []  # queued, never sent inline by triage
    assert any(j.startswith("custmsg-") for j in env.queued())
    env.drain()

    ours = env.our_public(tid)
    assert len(ours) == 1
    assert f"request #{tid} as a critical incident" in ours[0]["body"]
    comment_id = ours[0]["id"]
    assert env.redis.sismember(env.rt.keys("sent_comments", tid), str(comment_id))
    assert sla.is_own_message(env.rt, tid, comment_id)
    # Our reply came back as a staff comment event: the SLA clock must keep running.
    reply_event = env.event(tid, "comment_added", actor_id=None,
                            comment=Comment(id=comment_id, body=ours[0]["body"], public=True,
                                            author_id=None, author_is_staff=True))
    assert not sla.is_first_response(env.rt, reply_event)
    assert ClockStore(env.redis, env.rt.keys).get(tid).state == PENDING

    # Declared again, the job run again, the event redelivered: still one message.
    incident = env.rt.incidents.get(tid)
    lifecycle.on_declared(env.rt, incident)
    messages.deliver(env.rt, "declared", tid, tid)
    pipeline.process(env.rt, env.event(tid, "created", actor_id=None))
    env.drain()
    assert len(env.our_public(tid)) == 1
    timeline = [e for e in env.rt.incidents.timeline(tid) if e["kind"] == "customer_message"]
    assert [(e["message"], e["outcome"], e["ticket_id"]) for e in timeline] == [("declared", "sent", tid)]


def test_telling_the_customer_costs_one_write_and_no_read(env):
    tid = declare(env)
    env.sim.clear_requests()
    env.drain()
    calls = [(r["method"], r["path"]) for r in env.sim.requests_log()["requests"]]
    assert calls == [("PUT", f"/api/v2/tickets/{tid}.json")]  # the ticket was known from its event
    assert len(env.our_public(tid)) == 1


def test_a_rate_limited_reply_is_retried_without_reading_the_comments(env):
    tid = declare(env)
    queue = queues.queue(queues.LIFECYCLE_STAGE, env.redis, env.rt.keys)
    job = next(j for j in queue.get_jobs() if j.id.startswith("custmsg-"))
    env.sim.add_fault(429, retry_after=1, count=1, method="PUT", path_regex=f"/api/v2/tickets/{tid}")
    with pytest.raises(RateLimited):
        messages.deliver(env.rt, "declared", tid, tid, snapshot=job.args[4])
    env.sim.clear_requests()
    assert messages.deliver(env.rt, "declared", tid, tid, snapshot=job.args[4]).startswith("sent")
    calls = [(r["method"], r["path"]) for r in env.sim.requests_log()["requests"]]
    assert calls == [("PUT", f"/api/v2/tickets/{tid}.json")]  # the 429 meant nothing was posted
    assert len(env.our_public(tid)) == 1


def test_a_ticket_deleted_before_the_message_is_not_retried_for_ever(env):
    tid = declare(env)
    env.sim.add_fault(404, path_regex=f"/api/v2/tickets/{tid}", body={"error": "RecordNotFound"})  # deleted
    try:
        env.drain()
    finally:
        env.sim.clear_faults()
    outcome = messages.outcome_of(env.rt, "declared", tid)
    assert outcome is not None and outcome["outcome"] == "not_sent" and "no longer exists" in outcome["reason"]


def test_a_category_with_the_message_switched_off_gets_none(server, redis, tmp_path, key_prefix):
    gen = make_env(server, redis, tmp_path, key_prefix,
                   customer_messages={"categories": {"outage": {"declared": False}}})
    env = next(gen)
    try:
        tid = declare(env)
        assert not any(j.startswith("custmsg-") for j in env.queued())
        env.drain()
        assert env.our_public(tid) == []
    finally:
        gen.close()


def test_an_incident_overridden_before_the_job_runs_tells_nobody_it_is_critical(env):
    tid = declare(env)
    env.rt.incidents.set_status(tid, OVERRIDDEN, env.now)
    env.drain()
    assert env.our_public(tid) == []


def test_a_closed_ticket_or_one_filed_by_us_is_not_written_to(env):
    tid = declare(env)
    env.sim.update(tid, status="closed")  # after the event the message job knows the ticket from
    env.drain()
    assert env.our_public(tid) == []
    assert messages.outcome_of(env.rt, "declared", tid)["reason"] == "the ticket is closed (Zendesk refuses comments)"
    assert messages.outcome_of(env.rt, "declared", tid)["outcome"] == "not_sent"

    ours = env.rt.zendesk.create_ticket({"subject": "Filed by the middleware", "comment": {"body": "x"}})
    lifecycle.on_linked(env.rt, env.rt.incidents.get(tid), [ours.id])  # the incident is still open
    env.drain()
    assert [c["body"] for c in env.our_public(ours.id)] == ["x"]  # its description, nothing more
    assert "API user" in messages.outcome_of(env.rt, "declared", ours.id)["reason"]


def test_a_reply_posted_by_a_run_that_died_is_found_not_posted_again(env):
    tid = declare(env)
    body = env.rt.config.customer_messages.declared.render(tid, OUTAGE[0])
    posted = env.rt.zendesk.public_reply(tid, body)  # the run that died after Zendesk wrote
    env.redis.set(env.rt.keys("lifecycle", "attempt", "declared", tid), "1")
    env.drain()
    assert [c["id"] for c in env.our_public(tid)] == [posted]
    assert messages.outcome_of(env.rt, "declared", tid)["comment_id"] == posted


def test_two_runs_side_by_side_send_once(env):
    tid = declare(env)
    lock = env.redis.lock(env.rt.keys("lifecycle", "sending", "declared", tid), timeout=30)
    assert lock.acquire(blocking=False)
    with pytest.raises(messages.MessageBusy):
        messages.deliver(env.rt, "declared", tid, tid)
    lock.release()
    env.drain()
    assert len(env.our_public(tid)) == 1


# -- resolution -------------------------------------------------------------------------------------
def test_solving_the_ticket_resolves_the_incident_settles_the_sla_and_tells_the_requester_once(env):
    tid = declare(env)
    env.drain()
    by = agent(env)
    solve(env, tid, by)
    solved_at = env.event(tid).time

    incident = env.rt.incidents.get(tid)
    assert incident.status == RESOLVED
    assert incident.resolved_at == solved_at  # when Zendesk solved it, not when we got round to it
    assert tid not in env.rt.incidents.open_ids()
    kinds = [e["kind"] for e in env.rt.incidents.timeline(tid)]
    assert kinds.count("resolved") == 1
    alerts = [e for e in env.rt.incidents.timeline(tid) if e["kind"] == "alert" and e["event"] == "incident.resolved"]
    assert len(alerts) == 1

    settle_all(env)
    clock = ClockStore(env.redis, env.rt.keys).get(tid)
    assert clock.state == CANCELLED and clock.next_step is None  # solved before any reply was due
    ours = env.our_public(tid)
    assert len(ours) == 2 and "has been resolved" in ours[1]["body"]
    assert env.redis.sismember(env.rt.keys("sent_comments", tid), str(ours[1]["id"]))

    # The same event again, and the resolution job again: nothing new.
    pipeline.process(env.rt, env.event(tid, "status_changed", actor_id=by))
    pipeline.resolution(env.rt, tid, 1)
    settle_all(env)
    assert len(env.our_public(tid)) == 2
    assert [e["kind"] for e in env.rt.incidents.timeline(tid)].count("resolved") == 1


def test_a_solving_update_with_a_public_reply_already_told_the_customer(env):
    tid = declare(env)
    env.drain()
    solve(env, tid, agent(env), comment="We fixed the payment gateway; checkout works again.")
    settle_all(env)
    assert len(env.our_public(tid)) == 1  # only "handled as critical"
    outcome = messages.outcome_of(env.rt, "resolved", tid)
    assert outcome["outcome"] == "already_told"


def test_a_solving_update_with_only_an_internal_note_still_tells_the_customer(env):
    tid = declare(env)
    env.drain()
    solve(env, tid, agent(env), comment="root cause: expired certificate", public=False)
    settle_all(env)
    assert "has been resolved" in env.our_public(tid)[-1]["body"]


def test_stale_events_never_reopen_and_a_reopened_ticket_reopens_the_incident(env):
    tid = declare(env)
    env.drain()
    before_solve = env.event(tid, "comment_added", actor_id=None)  # snapshot while still open
    by = agent(env)
    solve(env, tid, by)
    pipeline.process(env.rt, before_solve)  # delivered late
    assert env.rt.incidents.get(tid).status == RESOLVED

    env.sim.comment(tid, "It is broken again!")  # the customer replies: Zendesk reopens the ticket
    customer = env.sim.get_ticket(tid)["ticket"]["requester_id"]
    pipeline.process(env.rt, env.event(tid, "comment_added", actor_id=customer))
    incident = env.rt.incidents.get(tid)
    assert incident.status == OPEN and incident.resolved_at is None
    assert tid in env.rt.incidents.open_ids()
    assert [e["kind"] for e in env.rt.incidents.timeline(tid)].count("reopened") == 1

    solve(env, tid, by)
    assert env.rt.incidents.get(tid).status == RESOLVED
    settle_all(env)
    resolved_msgs = [c for c in env.our_public(tid) if "has been resolved" in c["body"]]
    assert len(resolved_msgs) == 1  # once per ticket, even after a reopen
    resolved_alerts = [e.get("occurrence") for e in env.rt.incidents.timeline(tid)
                       if e["kind"] == "alert" and e["event"] == "incident.resolved"]
    assert resolved_alerts == ["", "2"]


def test_a_resolution_job_that_runs_after_a_reopen_tells_nobody(env):
    tid = declare(env)
    env.drain()
    by = agent(env)
    solve(env, tid, by)
    pipeline.resolution(env.rt, tid, 1)  # the message job is queued …
    env.sim.comment(tid, "Not fixed for us")  # … and the customer reopens the ticket before it runs
    pipeline.process(env.rt, env.event(tid, "comment_added", actor_id=None))
    settle_all(env)
    assert not [c for c in env.our_public(tid) if "has been resolved" in c["body"]]
    # Solved for good this time: that resolution's message goes out (the first job's did not).
    solve(env, tid, by)
    settle_all(env)
    assert len([c for c in env.our_public(tid) if "has been resolved" in c["body"]]) == 1


# -- problem tickets: many customers, one incident --------------------------------------------------
def problem_with_linked(env: Env) -> tuple[int, list[int], int]:
    """A problem ticket filed by staff, declared critical; three customer tickets linked to it in
    Zendesk (one announced by an event, one found only at resolution) and one linked only through
    the incident record (as the correlation job records it)."""
    staff = agent(env, "lead@acme-support.test")
    problem = env.sim.customer_ticket(*OUTAGE, "lead@acme-support.test", type="problem")["id"]
    outcome = pipeline.process(env.rt, env.event(problem, "created", actor_id=staff))
    assert outcome.startswith("flagged critical"), outcome
    linked = []
    for i, email in enumerate(("a@one.test", "b@two.test", "c@three.test")):
        t = env.sim.customer_ticket("Question about our orders", f"Orders look odd ({i})", email)["id"]
        env.sim.update(t, author_id=staff, type="incident", problem_id=problem)
        linked.append(t)
    pipeline.process(env.rt, env.event(linked[0], "type_changed", actor_id=staff))  # a snapshot with problem_id
    lonely = env.sim.customer_ticket("Orders?", "Same here, orders stuck", "d@four.test")["id"]
    env.rt.incidents.update(problem, extra={"linked_ticket_ids": [lonely]})
    return problem, linked, lonely


def test_solving_a_problem_tells_every_linked_requester_once(env):
    problem, linked, lonely = problem_with_linked(env)
    env.drain()
    assert len(env.our_public(linked[0])) == 1  # linked while critical: told it is handled as critical
    assert env.our_public(problem) == []  # filed by staff: its customers are on the linked tickets

    staff = env.sim.get_ticket(problem)["ticket"]["requester_id"]
    solve(env, problem, staff)  # no comment: Zendesk solves the incidents and says nothing
    for t in linked:  # Zendesk's own updates of the incidents come back as events too
        assert env.sim.get_ticket(t)["ticket"]["status"] == "solved"
        pipeline.process(env.rt, env.event(t, "status_changed", actor_id=staff))
    settle_all(env)

    for t in [*linked, lonely]:
        resolved = [c for c in env.our_public(t) if "has been resolved" in c["body"]]
        assert len(resolved) == 1, t
    assert env.our_public(problem) == []
    assert set(links.known_links(env.rt, env.rt.incidents.get(problem))) == {problem, *linked, lonely}


def test_a_problems_public_solving_reply_copied_by_zendesk_is_not_repeated(env):
    problem, linked, lonely = problem_with_linked(env)
    env.drain()
    staff = env.sim.get_ticket(problem)["ticket"]["requester_id"]
    solve(env, problem, staff, comment="The order sync is fixed. Sorry for the trouble!")
    settle_all(env)

    for t in linked:  # each got Zendesk's copy of the reply, and nothing from us
        copies = [c for c in env.comments(t) if c["public"] and c["body"].startswith("The order sync is fixed")]
        assert len(copies) == 1
        assert not [c for c in env.our_public(t) if "has been resolved" in c["body"]]
        assert messages.outcome_of(env.rt, "resolved", t)["outcome"] == "already_told"
    # Not linked in Zendesk: Zendesk copied nothing there, so we tell that requester.
    assert len([c for c in env.our_public(lonely) if "has been resolved" in c["body"]]) == 1


def test_a_linked_ticket_zendesk_has_not_solved_yet_counts_as_told_by_the_copy():
    """Zendesk solves a problem's incidents in the background: a linked ticket still open when
    our job looks will get the copied public reply, so it is not told again."""
    ticket = Ticket(id=7, status="open", problem_id=3, requester_id=11)
    assert messages.already_told(None, ticket, incident_ticket_id=3, problem_reply=True)  # type: ignore[arg-type]
    assert messages.already_told(None, ticket, incident_ticket_id=3, problem_reply=False) is None  # type: ignore[arg-type]
    other = Ticket(id=8, status="open", problem_id=None, requester_id=12)
    assert messages.already_told(None, other, incident_ticket_id=3, problem_reply=True) is None  # type: ignore[arg-type]


def test_linking_after_resolution_sends_no_handled_as_critical_message(env):
    tid = declare(env)
    env.drain()
    solve(env, tid, agent(env))
    settle_all(env)
    late = env.sim.customer_ticket("Also us", "same problem", "late@x.test")["id"]
    lifecycle.on_linked(env.rt, env.rt.incidents.get(tid), [late], env.now + timedelta(minutes=1))
    env.drain()
    assert env.our_public(late) == []


def test_a_ticket_an_agent_links_to_the_critical_problem_is_told_it_is_critical(env):
    """Event webhooks do not carry ``problem_id``: a ticket turned into an incident is looked up
    once, and if its problem is a running critical incident, its requester is told."""
    staff = agent(env, "lead@acme-support.test")
    problem = env.sim.customer_ticket(*OUTAGE, "lead@acme-support.test", type="problem")["id"]
    pipeline.process(env.rt, env.event(problem, "created", actor_id=staff))
    t = env.sim.customer_ticket("Question about our orders", "Orders look odd", "a@one.test")["id"]
    env.sim.update(t, author_id=staff, type="incident", problem_id=problem)
    snapshot = env.event(t, "type_changed", actor_id=staff)
    as_webhook = dataclasses.replace(snapshot, ticket=dataclasses.replace(snapshot.ticket, problem_id=None),
                                     current="incident")
    pipeline.process(env.rt, as_webhook)
    assert any(j.startswith("linkcheck-") for j in env.queued())
    env.drain()
    assert len(env.our_public(t)) == 1
    assert t in links.known_links(env.rt, env.rt.incidents.get(problem))
    # Zendesk's own problem_link_changed event names the problem: no read needed.
    u = env.sim.customer_ticket("Orders", "same", "b@two.test")["id"]
    event = env.event(u, "problem_link_changed", actor_id=staff)
    pipeline.process(env.rt, dataclasses.replace(event, ticket=dataclasses.replace(event.ticket, problem_id=None),
                                               current=problem))
    assert u in links.known_links(env.rt, env.rt.incidents.get(problem))


def test_a_problem_ticket_filed_by_the_correlation_job_has_no_customer_to_tell(server, redis, tmp_path, key_prefix):
    gen = make_env(server, redis, tmp_path, key_prefix, correlation={"requester_email": "Incidents@Acme.test"})
    env = next(gen)
    try:
        problem = env.sim.customer_ticket(*OUTAGE, "incidents@acme.test", type="problem")["id"]  # an end user
        pipeline.process(env.rt, env.event(problem, "created", actor_id=None))
        env.drain()
        assert env.our_public(problem) == []
        assert "correlation job" in messages.outcome_of(env.rt, "declared", problem)["reason"]
    finally:
        gen.close()
