"""Our own flagging write whose answer was lost is not taken for an agent's.

What matters to a user: when Zendesk applied our update but the answer never came back (a
timeout after the write, a worker killed mid-call), the incident keeps the rules' reasons and
the alert does not say "tag added by an agent"; a tag an agent really added still counts as
theirs.
"""

from __future__ import annotations

import responses

from jobs import pipeline
from jobs.runtime import Runtime
from jobs.sla.transitions import STARTED_IN_DECLARING_WRITE
from middleware.zendesk.mapping import ticket_from_api
from rules.model import TicketEvent
from tests.intake_support import simulated
from tests.jobs.test_triage import API_USER, BASE, api_ticket, make_event, make_ticket, rt  # noqa: F401

FLAGGED = ["customer_tag", "critical_incident", "critical_outage", "critical_sla_pending"]


def audits_adding_the_flag(ticket_id: int, author_id: int) -> None:
    responses.get(f"{BASE}/api/v2/tickets/{ticket_id}/audits.json", json={
        "audits": [
            {"id": 1, "author_id": 11, "created_at": "2025-01-08T10:12:07Z",
             "events": [{"type": "Create", "field_name": "tags", "value": ["customer_tag"]}]},
            {"id": 2, "author_id": author_id, "created_at": "2025-01-08T10:31:00Z",
             "events": [{"type": "Change", "field_name": "tags", "value": FLAGGED,
                         "previous_value": ["customer_tag"]}]},
        ], "meta": {"has_more": False}, "links": {"next": None}})


def lost_answer_then_conflict(ticket_id: int) -> None:
    url = f"{BASE}/api/v2/tickets/{ticket_id}.json"
    responses.put(url, status=504, json={"error": "GatewayTimeout"})  # applied, answer lost
    responses.put(url, status=409, json={"error": "UpdateConflict"})  # the retry: stamp is stale
    responses.get(url, json={"ticket": api_ticket(make_ticket(), tags=FLAGGED, priority="urgent",
                                                  updated_at="2025-01-08T10:31:00Z")})


@responses.activate
def test_a_lost_answer_to_our_write_keeps_the_rules_reasons(rt: Runtime) -> None:  # noqa: F811
    ticket = make_ticket()
    lost_answer_then_conflict(ticket.id)
    audits_adding_the_flag(ticket.id, API_USER)
    outcome = pipeline.handle_event(make_event(ticket).to_dict())
    assert outcome.startswith("flagged critical (outage; rules: outage)")
    incident = rt.incidents.get(ticket.id)
    assert incident.rules == ["outage"]  # was ["manual"]
    assert not any("added by an agent" in r for r in incident.reasons)
    assert [c.request.method for c in responses.calls].count("PUT") == 2  # nothing written again


@responses.activate
def test_a_later_event_finding_our_unrecorded_flag_keeps_the_rules_reasons(rt: Runtime) -> None:  # noqa: F811
    # The worker died after the write; the next event shows the tag, with no incident recorded.
    tagged = make_ticket(tags=tuple(FLAGGED), priority="urgent")
    audits_adding_the_flag(tagged.id, API_USER)
    outcome = pipeline.handle_event(make_event(tagged, type="comment_added", actor_id=11).to_dict())
    assert "found our earlier write" in outcome
    incident = rt.incidents.get(tagged.id)
    assert incident.rules == ["outage"]
    assert incident.extra.get(STARTED_IN_DECLARING_WRITE)  # the SLA start is not written twice
    assert all(c.request.method == "GET" for c in responses.calls)


@responses.activate
def test_a_tag_an_agent_added_is_still_the_agents(rt: Runtime) -> None:  # noqa: F811
    ticket = make_ticket()
    lost_answer_then_conflict(ticket.id)
    audits_adding_the_flag(ticket.id, 42)
    assert pipeline.handle_event(make_event(ticket).to_dict()) == "already flagged (concurrently)"
    assert rt.incidents.get(ticket.id).rules == ["manual"]


def test_against_the_simulator_a_write_applied_but_unanswered_is_recorded_as_ours(tmp_path, redis,
                                                                                  key_prefix) -> None:
    with simulated(tmp_path, redis, key_prefix) as (rt_, control, _):
        made = control.customer_ticket("Our whole platform is down", "Nobody can log in since 9am.",
                                       "it@globex.example")
        event = TicketEvent(id=f"created-{made['id']}", type="created", ticket=ticket_from_api(made))
        control.add_fault(504, method="PUT", after=True, count=1)  # Zendesk writes, the answer is lost
        outcome = pipeline.handle_event(event.to_dict())
        assert "answer had been lost" in outcome
        incident = rt_.incidents.get(made["id"])
        assert incident.rules != ["manual"] and incident.category == "outage"
        puts = [r for r in control.requests_log()["requests"] if r["method"] == "PUT"]
        assert [r["status"] for r in puts] == [504, 409]  # written once; the retry was refused
