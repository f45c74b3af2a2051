"""Status updates to everyone an incident affects: real Redis, the Zendesk simulator over HTTP.

What a customer notices: one public reply per linked ticket per update, addressed to them with
their own ticket's number and subject, never twice (a retry, a crash after Zendesk wrote, the same
request made again); nobody else's name in it. What the team notices: an internal note on the
incident's ticket saying what went to whom, the update on the timeline with who asked for it, the
SLA clock still running, and security incidents refused unless explicitly allowed.
"""

from __future__ import annotations

import pytest

from jobs import customer_updates as updates
from jobs import pipeline
from jobs.customer_comms import PolicyError, RequesterError
from jobs.sla import clock as sla
from middleware.config.customer_updates import MessageError
from middleware.store.clocks import PENDING, ClockStore
from middleware.zendesk.errors import RateLimited, TransientError
from tests.lifecycle_support import OUTAGE, Env

MESSAGE = "Hello {requester_name},\n\nUpdate on your request #{ticket_id} ({subject}): a fix is being deployed."


def staff(env: Env) -> int:
    return int(env.sim.create_user("Lead Agent", "lead@acme-support.test", role="agent")["id"])


def problem_with_three_linked(env: Env) -> tuple[int, list[int]]:
    """A staff problem ticket declared critical, and three customers' tickets linked to it: one
    by an agent in Zendesk, one by the correlation record, one announced as linked."""
    lead = staff(env)
    problem = env.sim.customer_ticket(*OUTAGE, "lead@acme-support.test", type="problem")["id"]
    assert pipeline.process(env.rt, env.event(problem, "created", actor_id=lead)).startswith("flagged critical")
    linked = []
    for name, email in (("Ann One", "a@one.test"), ("Bob Two", "b@two.test"), ("Cy Three", "c@three.test")):
        linked.append(int(env.sim.customer_ticket(f"Orders stuck at {name}", "Orders look odd", email,
                                                  requester_name=name)["id"]))
    env.sim.update(linked[0], author_id=lead, type="incident", problem_id=problem)  # an agent's link
    env.rt.incidents.update(problem, extra={"linked_ticket_ids": [linked[1]]})  # correlation's record
    from jobs.lifecycle import status as lifecycle

    lifecycle.on_linked(env.rt, env.rt.incidents.get(problem), [linked[2]])
    env.drain()  # the "handled as critical" messages
    return problem, linked


def ask(env: Env, incident_id: int, message: str = MESSAGE, **kw) -> updates.UpdateRequest:
    return updates.request_update(env.redis, env.rt.keys, env.rt.config, incident_id, message,
                                  kw.pop("by", "Helen Head"), now=env.now, **kw)


def replies(env: Env, ticket_id: int) -> list[str]:
    return [c["body"] for c in env.our_public(ticket_id) if "Update on your request" in c["body"]]


def notes(env: Env, ticket_id: int) -> list[str]:
    me = env.api_user()
    return [c["body"] for c in env.comments(ticket_id) if not c["public"] and c["author_id"] == me
            and c["body"].startswith("Status update")]


def test_every_linked_ticket_gets_one_reply_addressed_to_its_own_requester(env):
    problem, linked = problem_with_three_linked(env)
    request = ask(env, problem)
    assert request.created and request.job_id in env.queued()
    env.sim.clear_requests()
    env.drain()
    calls = [(r["method"], r["path"]) for r in env.sim.requests_log()["requests"]]
    writes = [c for c in calls if c[0] != "GET"]
    # One bulk write for the three replies, one note; reads: the problem's incidents, the tickets,
    # their requesters, the bulk job's status.
    assert writes == [("PUT", "/api/v2/tickets/update_many.json"), ("PUT", f"/api/v2/tickets/{problem}.json")]
    assert len(calls) - len(writes) == 4, calls

    for tid, name in zip(linked, ("Ann One", "Bob Two", "Cy Three"), strict=True):
        [body] = replies(env, tid)
        assert body.startswith(f"Hello {name},")
        assert f"#{tid} (Orders stuck at {name})" in body
        others = {"Ann One", "Bob Two", "Cy Three"} - {name}
        assert not any(o in body for o in others)  # nobody else's name
        assert "incident_update" in env.sim.get_ticket(tid)["ticket"]["tags"]
    assert replies(env, problem) == []  # filed by staff: nobody to tell there …
    [note] = notes(env, problem)  # … but the note says what went to whom
    for tid, email in zip(linked, ("a@one.test", "b@two.test", "c@three.test"), strict=True):
        assert f"#{tid} to" in note and email in note
    assert f"#{problem}: a problem ticket filed by staff" in note
    assert "asked for by Helen Head" in note

    kinds = [e for e in env.rt.incidents.timeline(problem) if e["kind"].startswith("customer_update")]
    assert [e["kind"] for e in kinds] == ["customer_update.requested", "customer_update"]
    assert kinds[1]["by"] == "Helen Head" and sorted(kinds[1]["ticket_ids"]) == sorted(linked)


def test_asking_again_and_running_the_job_again_send_nothing_twice(env):
    problem, linked = problem_with_three_linked(env)
    first = ask(env, problem)
    env.drain()
    again = ask(env, problem)  # the operator runs the same command a second time
    assert again.update_id == first.update_id and not again.created
    env.drain()
    assert updates.deliver_update(env.rt, problem, first.update_id).startswith("already done")
    for tid in linked:
        assert len(replies(env, tid)) == 1
    assert len(notes(env, problem)) == 1
    # The same words on purpose, as a new update: a new id.
    third = ask(env, problem, update_id="second-round")
    env.drain()
    assert third.created
    for tid in linked:
        assert len(replies(env, tid)) == 2


def test_a_bulk_reply_that_went_through_before_a_crash_is_found_not_sent_again(env, monkeypatch):
    problem, linked = problem_with_three_linked(env)
    request = ask(env, problem)
    real = env.rt.zendesk.update_many

    def lost_answer(updates_, retry=True):
        real(updates_, retry=retry)  # Zendesk applies it …
        raise TransientError("PUT /api/v2/tickets/update_many.json: ReadTimeout")  # … the answer is lost

    monkeypatch.setattr(env.rt.zendesk, "update_many", lost_answer)
    with pytest.raises(TransientError):
        updates.deliver_update(env.rt, problem, request.update_id)
    monkeypatch.setattr(env.rt.zendesk, "update_many", real)
    outcome = updates.deliver_update(env.rt, problem, request.update_id)
    assert outcome.startswith("sent to 3 ticket(s)")
    for tid in linked:
        assert len(replies(env, tid)) == 1


def test_a_rate_limited_bulk_reply_sent_nothing_and_is_simply_sent_later(env, monkeypatch):
    problem, linked = problem_with_three_linked(env)
    request = ask(env, problem)
    real = env.rt.zendesk.update_many

    def refused(updates_, retry=True):
        raise RateLimited(30, source="budget")

    monkeypatch.setattr(env.rt.zendesk, "update_many", refused)
    with pytest.raises(RateLimited):
        updates.deliver_update(env.rt, problem, request.update_id)
    monkeypatch.setattr(env.rt.zendesk, "update_many", real)
    env.sim.clear_requests()
    assert updates.deliver_update(env.rt, problem, request.update_id).startswith("sent to 3 ticket(s)")
    paths = [r["path"] for r in env.sim.requests_log()["requests"]]
    assert not any(p.endswith("/comments.json") for p in paths)  # nothing was posted: no need to look
    for tid in linked:
        assert len(replies(env, tid)) == 1


def test_the_update_is_not_a_first_response(env):
    tid = int(env.sim.customer_ticket(*OUTAGE, "ops@acme.test", requester_name="Olga Ops")["id"])
    assert pipeline.process(env.rt, env.event(tid, "created", actor_id=None)).startswith("flagged critical")
    env.drain()
    ask(env, tid)
    env.drain()
    [body] = replies(env, tid)
    assert body.startswith("Hello Olga Ops,")
    reply = next(c for c in env.comments(tid) if c["body"] == body)
    from rules.model import Comment

    event = env.event(tid, "comment_added", actor_id=env.api_user(),
                      comment=Comment(id=reply["id"], body=body, public=True, author_id=env.api_user(),
                                      author_is_staff=True))
    assert not sla.is_first_response(env.rt, event)  # the webhook path …
    clock = ClockStore(env.redis, env.rt.keys).get(tid)
    assert sla.find_missed_reply(env.rt, clock, env.now) is None  # … and the check before a breach
    pipeline.process(env.rt, event)
    assert ClockStore(env.redis, env.rt.keys).get(tid).state == PENDING
    assert len(notes(env, tid)) == 1  # the customer's own ticket carries the incident: reply and note


def test_a_security_incident_needs_an_explicit_allow_and_a_message_its_placeholders(env):
    tid = int(env.sim.customer_ticket("Our admin account has been hacked", "Someone logged in as our admin.",
                                      "sec@delta.test")["id"])
    assert pipeline.process(env.rt, env.event(tid, "created", actor_id=None)).startswith("flagged critical")
    with pytest.raises(PolicyError, match="--allow-security"):
        ask(env, tid)
    with pytest.raises(MessageError, match=r"unknown placeholder \{customer\}"):
        ask(env, tid, message="Dear {customer}", allow_security=True)
    with pytest.raises(MessageError, match="empty"):
        ask(env, tid, message="   ", allow_security=True)
    with pytest.raises(RequesterError, match="--by"):
        ask(env, tid, by=" ", allow_security=True)
    with pytest.raises(updates.NoSuchIncident):
        ask(env, 999999)
    assert not [j for j in env.queued() if j.startswith("cupdate-")]
    assert ask(env, tid, allow_security=True).created


def test_closed_and_deleted_tickets_are_recorded_as_not_sent_with_the_reason(env):
    problem, linked = problem_with_three_linked(env)
    env.sim.update(linked[0], status="closed")
    request = ask(env, problem)
    env.drain()
    status = updates.update_status(env.redis, env.rt.keys, problem, request.update_id)
    assert status["tickets"][str(linked[0])]["outcome"] == "not_sent"
    assert "closed" in status["tickets"][str(linked[0])]["reason"]
    assert [status["tickets"][str(t)]["outcome"] for t in linked[1:]] == ["sent", "sent"]
    assert status["state"] == "done"


def test_a_large_update_goes_in_bulk_calls_within_the_minutes_ticket_updates(env):
    """150 tickets, 100 ticket updates a minute (the shipped budget): the first bulk call carries
    99 replies (the problem ticket is the 100th ticket of its chunk, with nobody to tell), the
    budget then puts the job off, and the next run sends only the other 51."""
    lead = staff(env)
    problem = env.sim.customer_ticket(*OUTAGE, "lead@acme-support.test", type="problem")["id"]
    assert pipeline.process(env.rt, env.event(problem, "created", actor_id=lead)).startswith("flagged critical")
    many = [int(env.sim.customer_ticket("Orders stuck", "odd", f"c{i}@many.test")["id"]) for i in range(150)]
    env.rt.incidents.update(problem, extra={"linked_ticket_ids": many})
    request = ask(env, problem)
    env.sim.clear_requests()
    with pytest.raises(RateLimited):
        updates.deliver_update(env.rt, problem, request.update_id)
    assert sum(1 for t in many if replies(env, t)) == 99  # the first chunk: the problem ticket and 99 others
    for key in env.redis.scan_iter(match=env.rt.keys("zendesk", "budget", "*")):
        env.redis.delete(key)  # a minute later
    assert updates.deliver_update(env.rt, problem, request.update_id).startswith("sent to 150 ticket(s)")
    log = env.sim.requests_log()
    # Writes: 2 bulk updates and the note, never one per ticket. Reads, per run: the problem's
    # incidents, then per chunk the tickets, their requesters and the job status (the put-off
    # chunk's tickets and requesters are read again by the next run).
    assert (log["writes"], log["reads"]) == (3, 10), log
    assert all(len(replies(env, t)) == 1 for t in many)
