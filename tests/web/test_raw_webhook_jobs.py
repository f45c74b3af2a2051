"""A webhook is queued as its verified raw body and the worker builds the event: nothing a user
sees changes.

* the receiver's answers (every 400 and its message, ``ignored``, the ids) come from the same
  validation as before (``validate`` decides what ``normalize`` decides, body for body);
* the event the worker builds from the queued bytes is the event the receiver would have queued
  (and the worker rebuilt from its dict) before;
* a job queued by the previous release (``jobs.pipeline.handle_event`` with the event's dict)
  still runs, beside the new ones, after an upgrade.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue

from bench.payloads import corpus_texts, created_event
from jobs import pipeline
from jobs.priority import lane_of
from jobs.runtime import Runtime
from middleware.resilient_worker import ResilientWorker
from middleware.store.enqueue import EventEnqueuer, job_id_for
from middleware.store.queues import EVENTS_STAGE, HANDLE_EVENT, HANDLE_WEBHOOK
from middleware.zendesk import json_guard
from middleware.zendesk.limits import URGENT
from middleware.zendesk.webhook.normalize import (
    Accepted,
    InvalidPayload,
    event_from_raw,
    normalize,
    validate,
)
from rules.model import TicketEvent
from tests.jobs.test_triage import make_ticket, put_ok, rt  # noqa: F401
from tests.web.test_fast_load import VALUES, paths, replaced
from tests.web.test_normalize import sample, trigger_body
from tests.web.test_webhooks import app, client, config, post, queued  # noqa: F401

SAMPLES = ("ticket.created.json", "ticket.comment_added.json", "ticket.priority_changed.json")
INVOCATION = "01HANA2B5D5W9XSJS3NE5SQA1J"


def webhook_bodies() -> list[tuple[dict[str, Any], str | None]]:
    """(body, invocation id): the samples, trigger bodies with and without an invocation id, a
    non-ticket event, and corpus texts as Zendesk would send them."""
    out: list[tuple[dict[str, Any], str | None]] = [(sample(name), INVOCATION) for name in SAMPLES]
    out += [(trigger_body(), INVOCATION), (trigger_body(event="created"), None),
            (trigger_body(event=None, latest_comment=None), "inv-2"), (sample("user.deleted.real.json"), None)]
    out += [(created_event(7000 + n, text, requester_id=900 + n, now="2025-01-08T10:12:07.123456789Z"), None)
            for n, text in enumerate(corpus_texts()[:40])]
    return out


def outcome(decide: Any, body: Any, invocation_id: str | None, raw: bytes) -> Any:
    """What a call decides, comparable across ``validate`` and ``normalize``: the ids of a valid
    event, the ``Ignored``, or the 400's message and fields."""
    try:
        result = decide(body, invocation_id=invocation_id, raw=raw)
    except InvalidPayload as exc:
        return ("invalid", exc.message, exc.fields)
    if isinstance(result, TicketEvent):
        return Accepted(result.id, result.type, result.ticket.id, result.actor_id)
    return result


def test_validate_decides_what_normalize_decides_on_every_body_and_every_broken_field() -> None:
    checked = {"accepted": 0, "invalid": 0}
    for n, (body, invocation_id) in enumerate(webhook_bodies()):
        mutated = [replaced(body, path, value) for path in paths(body) for value in [*VALUES, KeyError]]
        variants = [body, *(mutated if n < 8 else ())]  # the corpus bodies as sent
        for variant in variants:
            raw = json.dumps(variant).encode()
            expected = outcome(normalize, copy.deepcopy(variant), invocation_id, raw)
            assert outcome(validate, variant, invocation_id, raw) == expected, variant
            checked["invalid" if isinstance(expected, tuple) else "accepted"] += 1
    assert checked["accepted"] > 500 and checked["invalid"] > 500  # both kinds of answer were compared


@pytest.mark.parametrize("body", [[], "x", 3, None, {"hello": "world"}, {"type": "zen:event-type:ticket."}])
def test_unknown_shapes_get_the_same_400_from_validate(body: Any) -> None:
    assert outcome(validate, body, None, b"") == outcome(normalize, body, None, b"")
    assert outcome(validate, body, None, b"")[0] == "invalid"


def test_the_event_the_worker_builds_is_the_one_the_receiver_queued_before(client: FlaskClient, redis: Redis,  # noqa: F811
                                                                           key_prefix: str) -> None:
    """Through the real receiver: each accepted webhook's job carries its exact bytes, and the
    event built from them equals the one the receiver used to build, pickle as a dict and the
    worker rebuild (same job id, same description but for the function's name)."""
    sent = []
    for n, (body, invocation_id) in enumerate(webhook_bodies()):
        if "ticket_id" in body:
            body = {**body, "ticket_id": str(6000 + n)}  # distinct triggers: dedupe would stop a resend
        raw = json.dumps(body).encode()
        response = post(client, raw, invocation_id=invocation_id)
        assert response.status_code in (200, 202), response.get_json()
        if response.status_code == 202:
            sent.append((raw, invocation_id or None, response.get_json()))
    jobs = queued(redis, key_prefix)
    assert len(jobs) == len(sent) > 40
    old = EventEnqueuer(redis, client.application.extensions["cim.keys"], dedupe_ttl=timedelta(days=1))
    for job, (raw, invocation_id, answer) in zip(jobs, sent, strict=True):
        assert job.func_name == HANDLE_WEBHOOK
        assert job.args == (raw, invocation_id)
        before = normalize(json_guard.clean(raw, json.loads(raw)), invocation_id=invocation_id, raw=raw)
        assert isinstance(before, TicketEvent)
        built = event_from_raw(*job.args)
        assert built == TicketEvent.from_dict(before.to_dict()) == before
        assert built.to_dict() == before.to_dict()
        assert job.id == answer["job_id"] == job_id_for(before.id, old.keys)
        assert job.description == old.description(before).replace(HANDLE_EVENT, HANDLE_WEBHOOK)


def test_a_lone_surrogate_is_replaced_in_the_worker_as_it_was_in_the_receiver() -> None:
    body = sample("ticket.created.json")
    body["detail"]["subject"] = "Platform down \ud800 everywhere"
    raw = json.dumps(body).encode()
    event = event_from_raw(raw)
    assert isinstance(event, TicketEvent) and event.ticket.subject == "Platform down \ufffd everywhere"


# --- the worker: both job formats ------------------------------------------------------------------


def critical_webhook(ticket_id: int, event_id: str) -> bytes:
    """A ``ticket.created`` webhook the test rules flag as an outage."""
    body = sample("ticket.created.json")
    body["id"] = event_id
    body["detail"].update(id=str(ticket_id), subject="Help: the platform is down", description="Nobody can log in")
    return json.dumps(body).encode()


@responses.activate
def test_jobs_queued_in_the_old_format_run_beside_the_new_ones_after_an_upgrade(rt: Runtime, redis: Redis) -> None:  # noqa: F811
    old_ticket, new_ticket = make_ticket(id=5158), make_ticket(id=5159)
    put_ok(old_ticket, ["critical_incident", "critical_outage"])
    put_ok(new_ticket, ["critical_incident", "critical_outage"])
    enqueuer = EventEnqueuer(redis, rt.keys, dedupe_ttl=timedelta(days=1))
    # What the previous release's receiver wrote: the event's dict for jobs.pipeline.handle_event.
    old_event = TicketEvent(id="evt-old", type="created", ticket=old_ticket, actor_id=11)
    enqueuer.enqueue(old_event)
    # What this release's receiver writes: the verified bytes for jobs.pipeline.handle_webhook.
    raw = critical_webhook(new_ticket.id, "evt-new")
    accepted = validate(json.loads(raw), invocation_id="inv-new", raw=raw)
    assert isinstance(accepted, Accepted)
    enqueuer.enqueue_raw(raw, accepted, invocation_id="inv-new")
    queue = Queue(rt.keys.queue(EVENTS_STAGE), connection=redis)
    assert [job.func_name for job in queue.jobs] == [HANDLE_EVENT, HANDLE_WEBHOOK]
    assert all(lane_of(job.func_name, job.args) == URGENT for job in queue.jobs)  # both flag first
    ResilientWorker([queue], connection=redis).work(burst=True)
    assert queue.count == 0 and not rt.redis.exists(f"rq:job:{job_id_for('evt-new', rt.keys)}")  # done, deleted
    flagged = sorted(int(c.request.url.rsplit("/", 1)[1].split(".")[0]) for c in responses.calls
                     if c.request.method == "PUT" and "critical_outage" in str(c.request.body))
    assert flagged == [5158, 5159]
    assert rt.incidents.get(5158) is not None and rt.incidents.get(5159) is not None


def test_a_queued_webhook_that_is_not_a_ticket_event_is_ignored_by_the_worker(rt: Runtime) -> None:  # noqa: F811
    raw = json.dumps(sample("user.deleted.real.json")).encode()
    assert pipeline.handle_webhook(raw, None) == "ignored: not_a_ticket_event"


def test_a_queued_body_the_code_no_longer_accepts_fails_its_job_to_be_kept_and_retried(rt: Runtime) -> None:  # noqa: F811
    """Never for a body this code validated; but after a deploy that tightens a schema the job
    fails (kept in ``jobs failed``, retried by ``jobs retry``) rather than vanish after a 202."""
    with pytest.raises(InvalidPayload):
        pipeline.handle_webhook(json.dumps(trigger_body(ticket_id="{{ticket.id}}")).encode(), "inv-9")
    with pytest.raises(InvalidPayload):
        pipeline.handle_webhook(b"{not json", None)
