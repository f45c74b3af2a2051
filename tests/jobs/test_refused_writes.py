"""A Zendesk 400/422 (a closed ticket, a field Zendesk does not accept) is not "try later".

Real Redis, real RQ, Zendesk mocked with `responses`. What matters to a user: the job that met
the refusal is handled once (no retries spent, nothing in the failed registry, no catch-up
queueing it again forever), the log says clearly what Zendesk refused and why, and when the
ticket was critical a person still hears about it: the Head of Support is told the ticket
could NOT be flagged, with Zendesk's reason, so someone can act by hand.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import responses
from redis import Redis
from rq import Queue, Retry, SimpleWorker

from jobs import reconcile
from jobs.runtime import Runtime
from middleware.store import queues
from middleware.store.queues import EVENTS_STAGE
from tests.jobs.test_triage import BASE, api_ticket, installed, make_event, make_runtime, make_ticket

SINK = "http://127.0.0.1:8089"
ROLES = """
roles:
  head_of_support: ["json://127.0.0.1:8089/hos"]
  cto: ["json://127.0.0.1:8089/cto"]
"""
CLOSED = {"error": "RecordInvalid", "description": "Record validation errors",
          "details": {"status": [{"description": "Status: closed prevents ticket update"}]}}


@pytest.fixture
def rt(tmp_path: Path, redis: Redis, key_prefix: str) -> Iterator[Runtime]:
    with installed(make_runtime(tmp_path, redis, key_prefix, more_rules=ROLES)) as runtime_:
        yield runtime_


def run_event_job(rt: Runtime, redis: Redis, event_id: str = "evt-refused") -> Queue:
    """The ticket's event job, queued with the receiver's retries, run by a worker."""
    queue = Queue(rt.keys.queue(EVENTS_STAGE), connection=redis)
    queue.enqueue("jobs.pipeline.handle_event", make_event(make_ticket(), id=event_id).to_dict(), job_id=event_id,
                  retry=Retry(max=5, interval=[5, 15, 30, 60, 120]))
    SimpleWorker([queue], connection=redis).work(burst=True, logging_level="WARNING")
    return queue


def alert_posts(mock: responses.RequestsMock) -> list[tuple[str, dict]]:
    return [(c.request.url[len(SINK):], json.loads(c.request.body)) for c in mock.calls
            if c.request.method == "POST" and c.request.url.startswith(SINK)]


@responses.activate
def test_a_closed_ticket_refusing_the_flag_is_handled_once_and_a_person_is_told(
        rt: Runtime, redis: Redis, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="jobs.triage")
    responses.put(f"{BASE}/api/v2/tickets/5158.json", status=422, json=CLOSED)
    responses.post(f"{SINK}/hos", body="")
    queue = run_event_job(rt, redis)

    job = queue.fetch_job("evt-refused")
    assert job is not None and job.is_finished
    assert "Status: closed prevents ticket update" in job.return_value()
    assert queue.scheduled_job_registry.count == 0 and queue.failed_job_registry.count == 0  # no retry spent
    assert sum(1 for c in responses.calls if c.request.method == "PUT") == 1
    assert any("ticket 5158" in r.getMessage() and "HTTP 422" in r.getMessage()
               and "closed prevents ticket update" in r.getMessage() for r in caplog.records)
    assert rt.incidents.get(5158) is None  # nothing pretends it is flagged: an agent's tag declares it

    alerts_queue = queues.queue(queues.ALERTS_STAGE, redis, rt.keys)
    SimpleWorker([alerts_queue], connection=redis).work(burst=True, logging_level="WARNING")
    ((path, body),) = alert_posts(responses.mock)
    assert path == "/hos"
    assert "NOT flagged" in body["title"] and "#5158" in body["title"]
    assert "Status: closed prevents ticket update" in body["message"]
    assert "Help: the platform is down" in body["title"] + body["message"]


@responses.activate
def test_the_catch_up_does_not_queue_a_refused_change_again(rt: Runtime, redis: Redis) -> None:
    responses.put(f"{BASE}/api/v2/tickets/5158.json", status=422, json=CLOSED)
    responses.post(f"{SINK}/hos", body="")
    run_event_job(rt, redis)
    responses.get(f"{BASE}/api/v2/incremental/tickets/cursor.json",
                  json={"tickets": [api_ticket(make_ticket(), status="solved")], "after_cursor": "c1",
                        "end_of_stream": True})
    counts = reconcile.reconcile(rt, since=timedelta(hours=1))
    assert (counts.seen, counts.queued) == (1, 0)


@responses.activate
def test_the_same_refusal_on_a_later_event_tells_nobody_twice(rt: Runtime, redis: Redis) -> None:
    responses.put(f"{BASE}/api/v2/tickets/5158.json", status=422, json=CLOSED)
    responses.post(f"{SINK}/hos", body="")
    run_event_job(rt, redis, "evt-1")
    run_event_job(rt, redis, "evt-2")
    SimpleWorker([queues.queue(queues.ALERTS_STAGE, redis, rt.keys)], connection=redis).work(burst=True)
    assert [path for path, _ in alert_posts(responses.mock)] == ["/hos"]


@responses.activate
def test_a_refusal_without_a_json_body_is_still_a_refusal(rt: Runtime, redis: Redis) -> None:
    responses.put(f"{BASE}/api/v2/tickets/5158.json", status=422, body="Unprocessable Entity")
    queue = run_event_job(rt, redis)
    job = queue.fetch_job("evt-refused")
    assert job is not None and job.is_finished and "HTTP 422" in job.return_value()
    assert queue.failed_job_registry.count == 0 and queue.scheduled_job_registry.count == 0
