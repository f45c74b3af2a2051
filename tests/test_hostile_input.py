"""Hostile input gets a clear 4xx at the door, or is handled once in its job; never a 500,
and never a job that can never succeed.

Each case was found by the fault-injection runs (docs/reliability.md): a validly signed body
nested hundreds of levels deep, a lone surrogate in a subject or an alert fingerprint, a
``created_at`` in year 9999, a ticket deleted before its job ran.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, Retry, SimpleWorker
from rq.job import Job

from jobs import triage
from jobs.runtime import Runtime
from middleware.events import TicketEvent
from middleware.json_guard import MAX_DEPTH
from middleware.queues import EVENTS_STAGE
from middleware.redis_client import Keys
from tests import test_intake_api as intake_api
from tests.test_triage import BASE, make_event, make_ticket, rt  # noqa: F401
from tests.test_webhooks import body_of, make_app, post, write_config


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
    event = TicketEvent.from_dict(job.args[0])
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

    job = queue.enqueue("jobs.triage.handle_event", make_event(ticket).to_dict(), job_id="evt-deleted",
                        retry=Retry(max=5, interval=[5, 15, 30, 60, 120]))
    SimpleWorker([queue], connection=redis).work(burst=True)
    job.refresh()
    assert "no longer exists" in job.return_value()
    assert queue.scheduled_job_registry.count == 0 and queue.failed_job_registry.count == 0  # no retry
    assert len(responses.calls) == 1
    assert rt.incidents.get(ticket.id) is None
    assert triage is not None
