"""``POST /intake/alerts`` and ``POST /intake/reports`` through the Flask app, with a real Redis.

What matters to a sender: a bearer token is required (and the intake is shut when none is
configured), bad input gets a 4xx naming the problem, good input is queued and answered 202 in
one round trip per item, a retry is answered ``duplicate``, and a Redis outage is a 503 with
Retry-After so the sender tries again.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue

from middleware.store.connection import Keys, connect
from middleware.store.queues import EVENTS_STAGE
from middleware.web.app import create_app
from middleware.web.intake import EXTENSION, Intake
from tests.conftest import HungRedis
from tests.intake_support import ALERTMANAGER, REPORT, load_config_once, write_config

TOKEN = "s3cret-intake-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

def build(tmp_path: Path, redis: Redis, key_prefix: str, token: str | None = TOKEN, redis_for_app: Redis | None = None,
          **sections: object) -> FlaskClient:
    config = load_config_once(write_config(tmp_path, key_prefix, **sections))
    env = {"INTAKE_TOKEN": token} if token is not None else {}
    return create_app(config=config, env=env, redis=redis_for_app or redis).test_client()


@pytest.fixture
def client(tmp_path: Path, redis: Redis, key_prefix: str) -> FlaskClient:
    return build(tmp_path, redis, key_prefix)


def queued(redis: Redis, key_prefix: str) -> list:
    return Queue(Keys(key_prefix).queue(EVENTS_STAGE), connection=redis).get_jobs()


def test_an_alertmanager_group_is_queued_one_job_per_alert(client: FlaskClient, redis: Redis, key_prefix: str) -> None:
    response = client.post("/intake/alerts", json=ALERTMANAGER, headers=AUTH)
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["status"] == "queued"
    assert [(a["fingerprint"], a["outcome"]) for a in body["alerts"]] == [("aa11", "queued"), ("bb22", "queued")]
    jobs = queued(redis, key_prefix)
    assert [j.func_name for j in jobs] == ["jobs.pipeline.handle_alert"] * 2
    assert jobs[0].args[0]["fingerprint"] == "aa11" and jobs[0].args[0]["source"] == "alertmanager"
    assert "failing" not in jobs[0].description  # ids only in job descriptions (they are logged)


def test_a_retried_delivery_is_answered_duplicate_and_not_queued_again(client: FlaskClient, redis: Redis,
                                                                       key_prefix: str) -> None:
    assert client.post("/intake/alerts", json=ALERTMANAGER, headers=AUTH).status_code == 202
    again = client.post("/intake/alerts", json=ALERTMANAGER, headers=AUTH)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert len(queued(redis, key_prefix)) == 2


def test_the_resolution_of_a_queued_alert_is_new(client: FlaskClient, redis: Redis) -> None:
    client.post("/intake/alerts", json=ALERTMANAGER, headers=AUTH)
    resolved = json.loads(json.dumps(ALERTMANAGER))
    resolved["alerts"][0].update(status="resolved", endsAt="2025-03-01T09:20:00Z")
    response = client.post("/intake/alerts", json=resolved, headers=AUTH)
    assert [a["outcome"] for a in response.get_json()["alerts"]] == ["queued", "duplicate"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                                     {"Authorization": TOKEN}])
def test_a_missing_or_wrong_token_is_401(client: FlaskClient, redis: Redis, headers: dict, key_prefix: str) -> None:
    response = client.post("/intake/alerts", json=ALERTMANAGER, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert queued(redis, key_prefix) == []


def test_without_intake_token_the_intake_is_shut_and_says_why(tmp_path: Path, redis: Redis, key_prefix: str) -> None:
    client = build(tmp_path, redis, key_prefix, token=None)
    for path, body in (("/intake/alerts", ALERTMANAGER), ("/intake/reports", REPORT)):
        response = client.post(path, json=body, headers={"Authorization": "Bearer "})
        assert response.status_code == 503
        assert "INTAKE_TOKEN" in response.get_json()["message"]
    assert queued(redis, key_prefix) == []


def test_bad_input_is_a_400_naming_the_key(client: FlaskClient, redis: Redis, key_prefix: str) -> None:
    bad = json.loads(json.dumps(ALERTMANAGER))
    bad["alerts"][1]["status"] = "exploded"
    response = client.post("/intake/alerts", json=bad, headers=AUTH)
    assert response.status_code == 400
    assert "alerts.1.status" in response.get_json()["fields"]
    not_json = client.post("/intake/alerts", data=b"{nope", headers={**AUTH, "Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.get_json()["error"] == "invalid_payload"
    unknown = client.post("/intake/alerts", json={"hello": "world"}, headers=AUTH)
    assert unknown.status_code == 400 and "generic" in unknown.get_json()["message"]
    form = client.post("/intake/alerts", data="title=x", headers={**AUTH, "Content-Type": "text/plain"})
    assert form.status_code == 415
    assert queued(redis, key_prefix) == []


def test_a_generic_alert_is_accepted(client: FlaskClient, redis: Redis, key_prefix: str) -> None:
    response = client.post("/intake/alerts", headers=AUTH, json={
        "title": "Payment provider unreachable", "severity": "critical", "fingerprint": "psp-down",
        "labels": {"service": "payments"}, "link": "https://status.example.com"})
    assert response.status_code == 202
    (job,) = queued(redis, key_prefix)
    assert job.args[0]["source"] == "generic" and job.args[0]["status"] == "firing"


def test_a_staff_report_is_queued_and_an_idempotency_key_dedupes_it(client: FlaskClient, redis: Redis,
                                                                    key_prefix: str) -> None:
    headers = {**AUTH, "Idempotency-Key": "form-42"}
    first = client.post("/intake/reports", json=REPORT, headers=headers)
    assert first.status_code == 202 and first.get_json()["status"] == "queued"
    edited = {**REPORT, "description": "typo fixed"}
    again = client.post("/intake/reports", json=edited, headers=headers)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    (job,) = queued(redis, key_prefix)
    assert job.func_name == "jobs.pipeline.handle_report"
    assert job.args[0]["reporter_email"] == "sam@ourco.example"


def test_a_report_with_an_unknown_category_or_key_is_refused(client: FlaskClient, redis: Redis,
                                                             key_prefix: str) -> None:
    response = client.post("/intake/reports", json={**REPORT, "category": "vibes"}, headers=AUTH)
    assert response.status_code == 400 and "category" in response.get_json()["fields"]
    typo = client.post("/intake/reports", json={**REPORT, "summry": "x"}, headers=AUTH)
    assert typo.status_code == 400 and "summry" in typo.get_json()["fields"]
    assert queued(redis, key_prefix) == []


def test_reports_from_outside_the_allowed_domains_are_refused(tmp_path: Path, redis: Redis, key_prefix: str) -> None:
    client = build(tmp_path, redis, key_prefix, intake={"reports": {"allowed_domains": ["ourco.example"]}})
    assert client.post("/intake/reports", json=REPORT, headers=AUTH).status_code == 202
    outsider = client.post("/intake/reports", json={**REPORT, "reporter_email": "eve@evil.example"}, headers=AUTH)
    assert outsider.status_code == 400 and "reporter_email" in outsider.get_json()["fields"]


def test_redis_down_is_a_503_with_retry_after(tmp_path: Path, redis: Redis, key_prefix: str) -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    client = build(tmp_path, redis, key_prefix, redis_for_app=dead)
    for path, body in (("/intake/alerts", ALERTMANAGER), ("/intake/reports", REPORT)):
        response = client.post(path, json=body, headers=AUTH)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "10"


def test_a_stalled_redis_is_tried_once_then_every_intake_post_gets_503_at_once(
        tmp_path: Path, redis: Redis, key_prefix: str, hung_redis: HungRedis) -> None:
    """The intake's Redis gate with the production web client: a Redis that never answers costs
    the first request one command timeout; every request after it, on either endpoint, is
    answered 503 + Retry-After with a JSON error without trying Redis again. Never a 2xx."""
    client = build(tmp_path, redis, key_prefix, redis_for_app=connect(hung_redis.url, for_web=True))
    answers = [client.post(path, json=body, headers=AUTH)
               for path, body in [("/intake/alerts", ALERTMANAGER), ("/intake/reports", REPORT)] * 3]
    assert [r.status_code for r in answers] == [503] * 6
    for response in answers:
        assert response.headers["Retry-After"] == "10"
        assert response.mimetype == "application/json"
        assert response.get_json() == {"error": "unavailable", "message": "cannot queue right now; retry later"}
    assert hung_redis.connections == 1  # only the first request waited on Redis


def test_once_the_gate_lets_a_probe_through_a_live_redis_takes_the_retry(tmp_path: Path, redis: Redis,
                                                                         key_prefix: str) -> None:
    client = build(tmp_path, redis, key_prefix)
    intake: Intake = client.application.extensions[EXTENSION]
    intake.gate.failed()  # Redis failed a moment ago ...
    refused = client.post("/intake/alerts", json=ALERTMANAGER, headers=AUTH)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "10"
    assert refused.get_json()["error"] == "unavailable"
    assert queued(redis, key_prefix) == []  # a 503 leaves nothing behind
    intake.gate.clock = lambda: time.monotonic() + 60  # ... and the cooldown has passed
    retried = client.post("/intake/alerts", json=ALERTMANAGER, headers=AUTH)
    assert retried.status_code == 202 and retried.get_json()["status"] == "queued"
    assert len(queued(redis, key_prefix)) == 2
