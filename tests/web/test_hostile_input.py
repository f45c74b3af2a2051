"""Hostile input gets a clear 4xx at the door, or is handled once in its job; never a 500,
and never a job that can never succeed.

Each case was found by the fault-injection runs (docs/reliability.md): a validly signed body
nested hundreds of levels deep, a lone surrogate in a subject or an alert fingerprint, a
``created_at`` in year 9999, a ticket deleted before its job ran.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, Retry, SimpleWorker
from rq.job import Job

from jobs import reconcile, triage
from jobs.runtime import Runtime
from middleware.store.connection import Keys
from middleware.store.queues import EVENTS_STAGE
from middleware.zendesk import json_guard
from middleware.zendesk.json_guard import MAX_DEPTH
from tests.jobs.test_triage import BASE, make_event, make_ticket, rt  # noqa: F401
from tests.web import test_intake_api as intake_api
from tests.web.test_webhooks import body_of, job_event, make_app, post, write_config


@pytest.fixture
def client(tmp_path: Path, key_prefix: str, redis: Redis) -> FlaskClient:
    app: Flask = make_app(write_config(tmp_path, key_prefix), redis)
    app.config["MAX_CONTENT_LENGTH"] = None
    return app.test_client()


def nested(levels: int) -> object:
    value: object = "x"
    for _ in range(levels):
        value = [value]
    return value


def queued(redis: Redis, key_prefix: str) -> list[Job]:
    return Queue(Keys(key_prefix).queue(EVENTS_STAGE), connection=redis).get_jobs()


def test_a_signed_body_nested_too_deep_is_a_400_not_a_500(client: FlaskClient, redis: Redis, key_prefix: str) -> None:
    data = json.loads(body_of("ticket.created.json"))
    data["detail"]["custom"] = nested(800)
    response = post(client, json.dumps(data).encode())
    assert response.status_code == 400
    assert response.get_json()["error"] == "too_deep"
    assert queued(redis, key_prefix) == []


def test_ordinary_nesting_is_fine(client: FlaskClient, redis: Redis, key_prefix: str) -> None:
    data = json.loads(body_of("ticket.created.json"))
    data["detail"]["custom"] = nested(MAX_DEPTH - 5)
    assert post(client, json.dumps(data).encode()).status_code == 202


def test_a_lone_surrogate_in_a_subject_is_replaced_and_the_event_queued(client: FlaskClient, redis: Redis,
                                                                         key_prefix: str) -> None:
    data = json.loads(body_of("ticket.created.json"))
    data["detail"]["subject"] = "Platform down \ud800 everywhere"
    raw = json.dumps(data).encode()  # ensure_ascii: the surrogate travels as the escape \ud800
    assert b"\\ud800" in raw
    assert post(client, raw).status_code == 202
    (job,) = queued(redis, key_prefix)
    event = job_event(job)
    assert event.ticket.subject == "Platform down \ufffd everywhere"
    event.ticket.subject.encode("utf-8")  # encodable everywhere downstream


def test_a_created_at_in_year_9999_is_a_400_naming_the_field(client: FlaskClient, redis: Redis,
                                                             key_prefix: str) -> None:
    data = json.loads(body_of("ticket.created.json"))
    data["detail"]["created_at"] = "9999-12-31T23:59:59Z"
    response = post(client, json.dumps(data).encode())
    assert response.status_code == 400
    assert any("created_at" in name for name in response.get_json()["fields"])
    assert queued(redis, key_prefix) == []


@pytest.fixture
def intake(tmp_path: Path, redis: Redis, key_prefix: str) -> FlaskClient:
    return intake_api.build(tmp_path, redis, key_prefix)


def test_intake_a_lone_surrogate_in_a_fingerprint_is_queued_not_a_500(intake: FlaskClient, redis: Redis) -> None:
    alert = {"title": "Disk full on db-1", "fingerprint": "fp-\ud800", "status": "firing", "severity": "critical"}
    response = intake.post("/intake/alerts", data=json.dumps(alert), headers=intake_api.AUTH,
                           content_type="application/json")
    assert response.status_code == 202, response.get_json()


def test_intake_a_body_nested_too_deep_is_a_400(intake: FlaskClient, redis: Redis) -> None:
    alert = {"title": "Disk full", "fingerprint": "fp-1", "status": "firing", "labels": {"deep": nested(900)}}
    response = intake.post("/intake/alerts", data=json.dumps(alert), headers=intake_api.AUTH,
                           content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] in ("too_deep", "invalid_payload")


def test_intake_a_start_in_year_9999_is_a_400(intake: FlaskClient, redis: Redis) -> None:
    alert = {"title": "Disk full", "fingerprint": "fp-2", "status": "firing", "starts_at": "9999-12-31T23:59:59Z"}
    response = intake.post("/intake/alerts", data=json.dumps(alert), headers=intake_api.AUTH,
                           content_type="application/json")
    assert response.status_code == 400


@responses.activate
def test_a_ticket_deleted_before_its_job_runs_is_handled_once(rt: Runtime, redis: Redis) -> None:  # noqa: F811
    ticket = make_ticket()
    responses.put(f"{BASE}/api/v2/tickets/{ticket.id}.json", status=404, json={"error": "RecordNotFound"})
    queue = Queue(rt.keys.queue(EVENTS_STAGE), connection=redis)

    job = queue.enqueue("jobs.pipeline.handle_event", make_event(ticket).to_dict(), job_id="evt-deleted",
                        retry=Retry(max=5, interval=[5, 15, 30, 60, 120]))
    SimpleWorker([queue], connection=redis).work(burst=True)
    job.refresh()
    assert "no longer exists" in job.return_value()
    assert queue.scheduled_job_registry.count == 0 and queue.failed_job_registry.count == 0  # no retry
    assert len(responses.calls) == 1
    assert rt.incidents.get(ticket.id) is None
    assert triage is not None


# -- lone surrogates arriving from the Zendesk API (reconcile, audits, comments) ------------------
SURROGATE_TEXT = "Help: the platform is down \ud800 since 9am"


def api_ticket_with_surrogates(ticket_id: int = 5158) -> dict:
    """A ticket as Zendesk's API may return it: JSON-valid, with lone-surrogate escapes."""
    ticket = make_ticket(id=ticket_id)
    return {"id": ticket.id, "subject": SURROGATE_TEXT, "description": "Nobody can log in \udfff at all",
            "status": "open", "priority": "low", "tags": ["customer_tag", "bad\udc80tag"], "requester_id": 11,
            "organization_id": 22, "via": {"channel": "web"},
            "created_at": "2025-01-08T10:12:07Z", "updated_at": "2025-01-08T10:12:07Z"}


@responses.activate
def test_a_lone_surrogate_in_a_ticket_read_by_reconcile_is_cleaned_and_the_ticket_flagged(
        rt: Runtime, redis: Redis) -> None:  # noqa: F811
    data = api_ticket_with_surrogates()
    raw = json.dumps({"tickets": [data], "after_cursor": "c1", "end_of_stream": True}).encode()
    assert b"\\ud800" in raw  # valid JSON: the surrogate travels as an escape
    responses.get(f"{BASE}/api/v2/incremental/tickets/cursor.json", body=raw, content_type="application/json")
    responses.put(f"{BASE}/api/v2/tickets/5158.json", json={
        "ticket": {**data, "tags": [*data["tags"], "critical_incident"], "priority": "urgent",
                   "updated_at": "2025-01-08T10:31:00Z"},
        "audit": {"id": 1, "ticket_id": 5158, "events": []}})
    assert reconcile.reconcile(rt, since=timedelta(hours=1)).queued == 1
    queue = Queue(rt.keys.queue(EVENTS_STAGE), connection=redis)
    SimpleWorker([queue], connection=redis).work(burst=True)
    assert queue.failed_job_registry.count == 0 and queue.scheduled_job_registry.count == 0  # handled once
    (write,) = [json.loads(c.request.body)["ticket"] for c in responses.calls if c.request.method == "PUT"]
    assert "critical_incident" in write["additional_tags"]
    incident = rt.incidents.get(5158)
    assert incident is not None and incident.subject == "Help: the platform is down \ufffd since 9am"


@responses.activate
def test_lone_surrogates_in_whatever_zendesk_returns_are_replaced(rt: Runtime) -> None:  # noqa: F811
    """Tickets, comments, audits, users and organisations: every string comes back encodable
    (U+FFFD for each lone surrogate), so no job that reads them can crash on one."""
    responses.get(f"{BASE}/api/v2/tickets/5158.json", json={"ticket": api_ticket_with_surrogates()})
    responses.get(f"{BASE}/api/v2/tickets/5158/comments.json", json={"comments": [
        {"id": 1, "body": "still down \ud800", "public": True, "author_id": 11,
         "created_at": "2025-01-08T10:12:07Z"}], "next_page": None, "count": 1})
    responses.get(f"{BASE}/api/v2/tickets/5158/audits.json", json={"audits": [
        {"id": 7, "created_at": "2025-01-08T10:12:07Z", "author_id": 900, "events": [
            {"type": "Change", "field_name": "tags", "value": ["critical_incident", "x\udbff"],
             "previous_value": []}]}], "meta": {"has_more": False}})
    responses.get(f"{BASE}/api/v2/users/11.json", json={"user": {"id": 11, "name": "Pat \udc00", "role": "end-user",
                                                                  "email": "pat@example.com"}})
    responses.get(f"{BASE}/api/v2/organizations/22.json", json={"organization": {
        "id": 22, "name": "Globex \ud800", "tags": [], "organization_fields": {"engagement_director": "a\udfff"}}})
    zd = rt.zendesk
    ticket = zd.get_ticket(5158)
    (comment,) = zd.comments(5158)
    (audit,) = zd.audits(5158)
    person, org = zd.get_user(11), zd.get_organization(22)
    texts = [ticket.subject, ticket.description, *ticket.tags, comment.body, *audit.events[0]["value"],
             person.name, org.name, org.fields["engagement_director"]]
    for text in texts:
        text.encode("utf-8")
    assert ticket.subject == "Help: the platform is down \ufffd since 9am"
    assert comment.body == "still down \ufffd" and org.name == "Globex \ufffd"
    assert audit.events[0]["value"] == ["critical_incident", "x\ufffd"]


def test_surrogate_pairs_and_escaped_backslashes_are_left_as_they_are() -> None:
    """Only *lone* surrogates are replaced: an emoji sent as an escaped pair, and the text
    ``\\ud800`` written with an escaped backslash, are ordinary content."""
    raw = json.dumps({"a": "ok \U0001F600", "b": "\\ud800 literally", "c": "lone \ud800", "d": "\\\ud800"}).encode()
    cleaned = json.loads(json_guard.clean_bytes(raw))
    assert cleaned == {"a": "ok \U0001F600", "b": "\\ud800 literally", "c": "lone \ufffd", "d": "\\\ufffd"}
    assert json_guard.clean_bytes(b'{"x": "plain"}') == b'{"x": "plain"}'
