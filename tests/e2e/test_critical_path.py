"""End to end, the critical path on real processes: Zendesk webhook in, critical ticket flagged.

gunicorn serves the receiver, an RQ worker (with the scheduler) runs the jobs, Redis is real
and the Zendesk simulator sends signed webhooks and takes the writes over HTTP, exactly as
Zendesk would. What a support agent would see is asserted on the simulator's tickets.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import requests

from middleware.local.simulator import SimulatorControl
from middleware.local.stack import Stack, running_stack
from middleware.web.signature import sign
from tests.e2e.support import flush_db, wait_until

pytestmark = pytest.mark.e2e

REDIS_DB = 11
TIMEOUT = 15.0  # seconds, for every wait in this file


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    flush_db(REDIS_DB)
    with running_stack(redis_db=REDIS_DB, log_dir=tmp_path_factory.mktemp("logs")) as running:
        yield running


def writes_to(sim: SimulatorControl, ticket_id: int) -> list[dict[str, Any]]:
    log = sim.requests_log()["requests"]
    return [r for r in log if r["method"] != "GET" and r["path"].startswith(f"/api/v2/tickets/{ticket_id}")]


def is_flagged(sim: SimulatorControl, ticket_id: int) -> bool:
    return "critical_incident" in sim.get_ticket(ticket_id)["ticket"]["tags"]


def event_body(ticket: dict[str, Any], event_id: str | None = None) -> bytes:
    """A ``ticket.created`` event webhook for a simulator ticket, as Zendesk would send it."""
    detail = {
        "actor_id": str(ticket["requester_id"]), "assignee_id": None, "brand_id": "1",
        "created_at": ticket["created_at"], "description": ticket["description"], "external_id": None,
        "form_id": None, "group_id": None, "id": str(ticket["id"]), "is_public": True,
        "organization_id": None, "priority": None, "requester_id": str(ticket["requester_id"]),
        "status": "NEW", "subject": ticket["subject"], "submitter_id": str(ticket["requester_id"]),
        "tags": ticket["tags"], "type": None, "updated_at": ticket["updated_at"],
        "via": {"channel": "web_form"},
    }
    body = {"account_id": 1, "detail": detail, "event": {}, "id": event_id or str(uuid.uuid4()),
            "subject": f"zen:ticket:{ticket['id']}", "time": ticket["created_at"],
            "type": "zen:event-type:ticket.created", "zendesk_event_version": "2022-11-06"}
    return json.dumps(body).encode()


def post_webhook(stack: Stack, body: bytes, invocation_id: str, secret: str | None = None) -> requests.Response:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    secret = secret if secret is not None else stack.env["ZENDESK_WEBHOOK_SECRET"]
    return requests.post(stack.webhook_url, data=body, timeout=10, headers={
        "Content-Type": "application/json; charset=utf-8",
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Signature": sign(secret, stamp, body),
        "X-Zendesk-Webhook-Invocation-Id": invocation_id,
    })


def test_a_critical_ticket_is_tagged_prioritised_and_noted_within_seconds(sim: SimulatorControl) -> None:
    ticket = sim.customer_ticket("Our whole platform is down", "Nobody in the company can log in since 9am, "
                                 "every request fails with a 502.", "cto@globex.example")
    started = time.monotonic()
    wait_until(lambda: is_flagged(sim, ticket["id"]), TIMEOUT, what="the ticket to be flagged")
    elapsed = time.monotonic() - started
    data = sim.get_ticket(ticket["id"])
    flagged = data["ticket"]
    # The write that flags it also starts the 1 h SLA on the ticket: tag, due time, one note.
    assert {"critical_incident", "critical_outage", "critical_sla_pending"} <= set(flagged["tags"])
    assert flagged["priority"] == "urgent"
    notes = [c["body"] for c in data["comments"] if not c["public"]]
    assert any("outage" in n and '"log in"' in n and "First-response SLA: a public reply is due by" in n
               for n in notes), notes
    assert elapsed < 10


def test_a_normal_ticket_is_left_untouched(sim: SimulatorControl) -> None:
    normal = sim.customer_ticket("How do I change my invoice address?", "Where is that setting?",
                                 "pat@initech.example")
    # Events are handled in order by the one worker: once the later critical ticket is flagged,
    # the normal one has been decided too.
    critical = sim.customer_ticket("Ransomware on our file server", "All files are encrypted.",
                                   "it@initech.example")
    wait_until(lambda: is_flagged(sim, critical["id"]), TIMEOUT, what="the critical ticket to be flagged")
    assert writes_to(sim, normal["id"]) == []
    after = sim.get_ticket(normal["id"])["ticket"]
    assert after["tags"] == normal["tags"]
    assert after["priority"] == normal["priority"]
    assert sim.get_ticket(normal["id"])["comments"][1:] == []


def test_a_redelivered_webhook_changes_nothing(stack: Stack, sim: SimulatorControl) -> None:
    sim.pause_webhooks()  # we deliver this ticket's event ourselves, twice
    ticket = sim.customer_ticket("Data breach: customer records leaked", "Someone downloaded our customer list.",
                                 "ciso@umbrella.example")
    body = event_body(ticket)
    first = post_webhook(stack, body, invocation_id="inv-1")
    assert first.status_code == 202, first.text
    assert post_webhook(stack, body, invocation_id="inv-1").json()["status"] == "duplicate"  # Zendesk retry
    wait_until(lambda: is_flagged(sim, ticket["id"]), TIMEOUT, what="the ticket to be flagged")
    wait_until(lambda: len(writes_to(sim, ticket["id"])) >= 1, TIMEOUT, what="the flagging write")
    time.sleep(1.0)  # let any follow-up of the first delivery settle before counting
    before = writes_to(sim, ticket["id"])
    again = post_webhook(stack, body, invocation_id="inv-2")  # same event, new invocation
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    time.sleep(1.5)
    assert writes_to(sim, ticket["id"]) == before
    flag_writes = [w for w in before if w["method"] == "PUT" and w["path"] == f"/api/v2/tickets/{ticket['id']}.json"]
    assert len(flag_writes) >= 1


def test_a_bad_signature_is_refused_and_nothing_is_queued(stack: Stack, sim: SimulatorControl) -> None:
    sim.pause_webhooks()
    ticket = sim.customer_ticket("Site down for everyone", "Nothing loads at all, the whole site is down.",
                                 "ops@hooli.example")
    body = event_body(ticket)
    refused = post_webhook(stack, body, invocation_id="inv-bad", secret="not-the-secret")
    assert refused.status_code == 401
    assert refused.headers["Content-Type"].startswith("application/json")
    assert "signature" in refused.json()["message"].lower()
    time.sleep(1.0)  # a queued event would be flagged by now (the worker takes well under a second)
    assert not is_flagged(sim, ticket["id"])
    assert writes_to(sim, ticket["id"]) == []
    # The same body, correctly signed, is then accepted: the refusal left no dedupe mark.
    accepted = post_webhook(stack, body, invocation_id="inv-bad")
    assert accepted.status_code == 202, accepted.text
    wait_until(lambda: is_flagged(sim, ticket["id"]), TIMEOUT, what="the ticket to be flagged after a good delivery")


def test_a_ticket_the_rules_are_unsure_about_is_put_to_a_person_and_confirming_declares_it(
    sim: SimulatorControl, stack: Stack
) -> None:
    """The possible tier on real processes: tagged and explained, not flagged; an agent's
    ``critical_incident`` declares the incident with the rules' reasons and the clock from the
    ticket's creation."""
    from redis import Redis

    from middleware.local.demo import SAMPLES
    from middleware.store.connection import Keys
    from middleware.store.incidents import IncidentStore

    unsure = next(s for s in SAMPLES if s["subject"] == "Carrier bookings stuck?")  # the demo's possible one
    ticket = sim.customer_ticket(unsure["subject"], unsure["description"], unsure["requester_email"])
    tid = ticket["id"]

    def tags() -> list[str]:
        return sim.get_ticket(tid)["ticket"]["tags"]

    wait_until(lambda: "possible_critical_incident" in tags(), TIMEOUT, what="the possible tag")
    assert "critical_incident" not in tags()
    notes = [c["body"] for c in sim.get_ticket(tid)["comments"] if not c.get("public")]
    assert any("MAY be a critical incident" in n and "add the tag critical_incident" in n for n in notes), notes
    sim.update(tid, tags=[*tags(), "critical_incident"])  # the Head of Support confirms it
    wait_until(lambda: any(t.startswith("critical_sla_") for t in tags()), TIMEOUT, what="the SLA clock's tag")
    with Redis.from_url(stack.redis_url) as redis:
        store = IncidentStore(redis, Keys("cim"))
        incident = store.get(tid)
        assert incident is not None and incident.rules == ["possible", "confirmed"]
        assert incident.critical_from_start and incident.category == "outage"
        assert any(e["kind"] == "possible_confirmed" for e in store.timeline(tid))
