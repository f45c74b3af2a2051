"""Proactive notices: real Redis, the Zendesk simulator over HTTP.

What a customer notices: each incident contact of each chosen organisation gets one ticket of
their own (one email), addressed to them, never two; when the incident is resolved they hear
about it once. What the team notices: the plan (who, how many Zendesk calls) before anything is
sent, a big send refused without --yes, the notice tickets linked to the problem ticket, a note
there saying who was told, the timeline saying who asked.
"""

from __future__ import annotations

import pytest

from jobs import customer_notices as notices
from jobs import links, pipeline
from jobs.customer_comms import PolicyError
from middleware.zendesk.errors import RateLimited, TransientError
from tests.lifecycle_support import OUTAGE, Env, make_env

MESSAGE = "Hello {requester_name},\n\nCheckout is down for some customers, including {organization_name}."


class Customers:
    """Three organisations: Acme (two tagged contacts, one untagged user, one tagged agent),
    Beta (one tagged contact, tag `enterprise`), Gamma (no contact, tag `enterprise`)."""

    def __init__(self, env: Env) -> None:
        sim = env.sim
        self.acme = int(sim.create_organization("Acme")["id"])
        self.beta = int(sim.create_organization("Beta", tags=["enterprise"])["id"])
        self.gamma = int(sim.create_organization("Gamma", tags=["enterprise"])["id"])
        self.ann = int(sim.create_user("Ann Acme", "ann@acme.test", organization_id=self.acme,
                                       tags=["incident_contact"])["id"])
        self.al = int(sim.create_user("Al Acme", "al@acme.test", organization_id=self.acme,
                                      tags=["incident_contact"])["id"])
        sim.create_user("Quiet Acme", "quiet@acme.test", organization_id=self.acme)
        sim.create_user("Staff Acme", "staff@acme.test", role="agent", organization_id=self.acme,
                        tags=["incident_contact"])
        self.bea = int(sim.create_user("Bea Beta", "bea@beta.test", organization_id=self.beta,
                                       tags=["incident_contact"])["id"])


def declare(env: Env) -> int:
    tid = int(env.sim.customer_ticket(*OUTAGE, "ops@acme.test")["id"])
    assert pipeline.process(env.rt, env.event(tid, "created", actor_id=None)).startswith("flagged critical")
    env.drain()
    return tid


def notice_tickets(env: Env) -> list[dict]:
    return [t for t in env.sim.tickets() if "incident_notice" in t["tags"]]


def test_recipients_are_the_tagged_end_users_of_the_chosen_organisations(env):
    c = Customers(env)
    tid = declare(env)
    plan = notices.plan_notice(env.rt, tid, org_ids=[c.acme, c.beta])
    assert sorted(r.user_id for r in plan.recipients) == sorted([c.ann, c.al, c.bea])  # not the agent, not Quiet
    by_tag = notices.plan_notice(env.rt, tid, org_tag="enterprise")
    assert [o["name"] for o in by_tag.organizations] == ["Beta", "Gamma"]
    assert [r.user_id for r in by_tag.recipients] == [c.bea]
    assert [o["name"] for o in by_tag.without_contacts] == ["Gamma"]
    everyone = notices.plan_notice(env.rt, tid, all_customers=True)
    assert {o["name"] for o in everyone.organizations} == {"Acme", "Beta", "Gamma"}
    assert len(everyone.recipients) == 3
    text = "\n".join(by_tag.describe())
    assert f"Gamma (#{c.gamma}): no incident contact: nobody there is told" in text
    assert "Bea Beta <bea@beta.test>" in text


def test_an_organisation_field_names_contacts_where_it_is_filled(server, redis, tmp_path, key_prefix):
    gen = make_env(server, redis, tmp_path, key_prefix,
                   customer_updates={"contacts": {"org_field": "incident_contacts"}})
    env = next(gen)
    try:
        c = Customers(env)
        delta = int(env.sim.create_organization(
            "Delta", organization_fields={"incident_contacts": "ops@delta.test, CTO <cto@delta.test>"})["id"])
        echo = int(env.sim.create_organization(
            "Echo", organization_fields={"incident_contacts": "OPS@delta.test; ops@echo.test"})["id"])
        tid = declare(env)
        plan = notices.plan_notice(env.rt, tid, org_ids=[delta, c.beta, echo])
        assert [(r.organization_name, r.email, r.user_id) for r in plan.recipients] == [
            ("Delta", "ops@delta.test", None), ("Delta", "cto@delta.test", None),
            ("Beta", "bea@beta.test", c.bea),  # Beta's field is empty: its tagged users
            ("Echo", "ops@echo.test", None)]  # ops@delta.test is told once, under Delta
        assert any("more than one organisation" in n for n in plan.notes)
    finally:
        gen.close()


def test_bad_selections_are_refused_before_anything_is_sent(env):
    c = Customers(env)
    tid = declare(env)
    with pytest.raises(notices.PlanError, match="no such organisation"):
        notices.plan_notice(env.rt, tid, org_ids=[c.acme, 999999])
    with pytest.raises(notices.PlanError, match="one way"):
        notices.plan_notice(env.rt, tid, org_ids=[c.acme], all_customers=True)
    with pytest.raises(notices.PlanError, match="no incident"):
        notices.plan_notice(env.rt, 424242, org_ids=[c.acme])
    lonely = notices.plan_notice(env.rt, tid, org_ids=[c.gamma])
    with pytest.raises(notices.PlanError, match="nobody to tell"):
        notices.request_notice(env.rt, lonely, MESSAGE, "Helen Head")
    plan = notices.plan_notice(env.rt, tid, org_ids=[c.acme])
    with pytest.raises(Exception, match="unknown placeholder"):
        notices.request_notice(env.rt, plan, "About #{ticket_id}", "Helen Head")
    assert notice_tickets(env) == []


def test_a_send_above_the_limit_needs_yes(server, redis, tmp_path, key_prefix):
    gen = make_env(server, redis, tmp_path, key_prefix, customer_updates={"confirm_above": 1})
    env = next(gen)
    try:
        c = Customers(env)
        tid = declare(env)
        plan = notices.plan_notice(env.rt, tid, org_ids=[c.acme, c.beta])
        with pytest.raises(PolicyError, match="--yes"):
            notices.request_notice(env.rt, plan, MESSAGE, "Helen Head")
        assert notices.request_notice(env.rt, plan, MESSAGE, "Helen Head", yes=True).created
    finally:
        gen.close()


def test_each_contact_gets_one_ticket_linked_to_the_problem_and_the_cost_is_as_planned(env):
    c = Customers(env)
    tid = declare(env)
    plan = notices.plan_notice(env.rt, tid, org_ids=[c.acme, c.beta])
    assert plan.convert_problem and plan.send_cost() == {"writes": 3, "reads": 2}
    assert plan.reads_made == 3  # the incident's ticket, the organisations, one search for their contacts
    request = notices.request_notice(env.rt, plan, MESSAGE, "Helen Head")
    env.sim.clear_requests()
    env.drain()
    log = env.sim.requests_log()
    assert (log["writes"], log["reads"]) == (3, 2)  # as the plan said

    made = notice_tickets(env)
    assert sorted(t["requester_id"] for t in made) == sorted([c.ann, c.al, c.bea])
    problem = env.sim.get_ticket(tid)["ticket"]
    assert problem["type"] == "problem"
    for t in made:
        assert (t["type"], t["problem_id"], t["status"]) == ("incident", tid, "pending")
        assert "not_critical" in t["tags"]  # our own notice is never taken for a new critical report
        [first] = env.comments(t["id"])
        assert first["public"] and first["author_id"] == env.api_user()
    ann = next(t for t in made if t["requester_id"] == c.ann)
    assert env.comments(ann["id"])[0]["body"].startswith("Hello Ann Acme,") and "including Acme." in \
        env.comments(ann["id"])[0]["body"]
    note = [x["body"] for x in env.comments(tid) if not x["public"] and x["body"].startswith("Proactive notice")]
    assert len(note) == 1 and "Bea Beta <bea@beta.test>" in note[0] and "asked for by Helen Head" in note[0]
    status = notices.notice_status(env.rt, tid, request.notice_id)
    assert status["state"] == "done" and status["summary"].startswith("3 contact(s) in 2 organisation(s) told")
    [entry] = [e for e in env.rt.incidents.timeline(tid) if e["kind"] == "customer_notice"]
    assert entry["by"] == "Helen Head" and sorted(entry["organization_ids"]) == sorted([c.acme, c.beta])
    assert set(links.known_links(env.rt, env.rt.incidents.get(tid))) >= {t["id"] for t in made}


def test_asking_again_or_a_crash_after_zendesk_created_them_makes_no_second_ticket(env, monkeypatch):
    c = Customers(env)
    tid = declare(env)
    plan = notices.plan_notice(env.rt, tid, org_ids=[c.acme, c.beta])
    request = notices.request_notice(env.rt, plan, MESSAGE, "Helen Head")
    real = env.rt.zendesk.create_many

    def lost_answer(payloads):
        real(payloads)
        raise TransientError("POST /api/v2/tickets/create_many.json: ReadTimeout")

    monkeypatch.setattr(env.rt.zendesk, "create_many", lost_answer)
    with pytest.raises(TransientError):
        notices.deliver_notice(env.rt, tid, request.notice_id)
    monkeypatch.setattr(env.rt.zendesk, "create_many", real)
    assert notices.deliver_notice(env.rt, tid, request.notice_id).startswith("3 contact(s)")
    again = notices.request_notice(env.rt, plan, MESSAGE, "Helen Head")
    assert again.notice_id == request.notice_id and not again.created
    env.drain()
    assert len(notice_tickets(env)) == 3


def test_a_rate_limited_create_made_nothing_and_is_simply_made_later(env, monkeypatch):
    c = Customers(env)
    tid = declare(env)
    request = notices.request_notice(env.rt, notices.plan_notice(env.rt, tid, org_ids=[c.beta]), MESSAGE, "H")

    def refused(payloads):
        raise RateLimited(20, source="zendesk")

    real = env.rt.zendesk.create_many
    monkeypatch.setattr(env.rt.zendesk, "create_many", refused)
    with pytest.raises(RateLimited):
        notices.deliver_notice(env.rt, tid, request.notice_id)
    monkeypatch.setattr(env.rt.zendesk, "create_many", real)
    notices.deliver_notice(env.rt, tid, request.notice_id)
    assert len(notice_tickets(env)) == 1


def test_resolution_reaches_every_notice_ticket_once_and_nobody_is_told_it_is_handled_as_critical(env):
    c = Customers(env)
    tid = declare(env)
    notices.request_notice(env.rt, notices.plan_notice(env.rt, tid, org_ids=[c.acme, c.beta]), MESSAGE, "H")
    env.drain()
    made = [t["id"] for t in notice_tickets(env)]
    lead = int(env.sim.create_user("Lead", "lead@acme-support.test", role="agent")["id"])
    for t in made:  # a contact answers the notice: it is no new critical report, nor "handled as critical"
        env.sim.comment(t, "Thanks, we see it too. Everything is down!")
        pipeline.process(env.rt, env.event(t, "comment_added", actor_id=None))
    env.drain()
    assert all(env.rt.incidents.get(t) is None for t in made)
    env.sim.update(tid, author_id=lead, status="solved")  # no comment: Zendesk copies nothing
    pipeline.process(env.rt, env.event(tid, "status_changed", actor_id=lead))
    for t in made:
        pipeline.process(env.rt, env.event(t, "status_changed", actor_id=lead))
    env.drain()
    for t in made:
        ours = [x["body"] for x in env.our_public(t)]
        assert len([b for b in ours if "has been resolved" in b]) == 1, t
        assert not [b for b in ours if "as a critical incident" in b], t


def test_a_security_incident_needs_allow_security(env):
    c = Customers(env)
    tid = int(env.sim.customer_ticket("Our admin account has been hacked", "Someone logged in as our admin.",
                                      "sec@acme.test")["id"])
    assert pipeline.process(env.rt, env.event(tid, "created", actor_id=None)).startswith("flagged critical")
    plan = notices.plan_notice(env.rt, tid, org_ids=[c.beta])
    with pytest.raises(PolicyError, match="--allow-security"):
        notices.request_notice(env.rt, plan, MESSAGE, "Helen Head")
    assert notices.request_notice(env.rt, plan, MESSAGE, "Helen Head", allow_security=True).created
