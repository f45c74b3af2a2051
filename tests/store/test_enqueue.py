"""The atomic dedupe + enqueue script, on a real Redis, checked with RQ's own reader and worker."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, ClassVar

import pytest
from redis import Redis
from redis.connection import Connection
from rq import Queue, SimpleWorker, get_current_job
from rq.job import Job, JobStatus, validate_job_id
from rq.registry import ScheduledJobRegistry

from middleware.store.connection import Keys
from middleware.store.enqueue import HANDLE_EVENT, EnqueueOutcome, EventEnqueuer, job_id_for
from middleware.store.queues import EVENTS_STAGE
from middleware.zendesk.webhook.normalize import normalize
from rules.model import TicketEvent
from tests.conftest import sample_path

RUN_FUNC = "tests.store.test_enqueue.record_event"
FAIL_FUNC = "tests.store.test_enqueue.always_fails"


def record_event(event_data: dict[str, Any]) -> str:
    """Stands in for jobs.pipeline.handle_event: proves the argument arrives whole (what it got
    is written to Redis: a finished event job is deleted with its result)."""
    event = TicketEvent.from_dict(event_data)
    got = f"{event.type}:{event.ticket.id}:{event.id}"
    job = get_current_job()
    assert job is not None
    job.connection.set(f"{job.id}:ran-with", got)
    return got


def always_fails(event_data: dict[str, Any]) -> None:
    raise RuntimeError("transient failure")


def sample_event(name: str = "ticket.created.json", **overrides: Any) -> TicketEvent:
    body = json.loads(sample_path(name).read_text())
    body.update(overrides)
    event = normalize(body)
    assert isinstance(event, TicketEvent)
    return event


@pytest.fixture
def keys(key_prefix: str) -> Keys:
    return Keys(key_prefix)


def make(redis: Redis, keys: Keys, func: str = HANDLE_EVENT) -> EventEnqueuer:
    return EventEnqueuer(redis, keys, dedupe_ttl=timedelta(days=3), func=func)


def test_enqueue_saves_and_pushes_an_rq_job(redis: Redis, keys: Keys) -> None:
    event = sample_event()
    result = make(redis, keys).enqueue(event, invocation_id="01HANA2B5D5W9XSJS3NE5SQA1J")

    assert result.outcome is EnqueueOutcome.QUEUED
    assert result.job_id == f"evt-{keys.prefix}-cbe4028c-7239-495d-b020-f22348516046"
    queue = Queue(keys.queue(EVENTS_STAGE), connection=redis)
    assert queue.job_ids == [result.job_id]
    assert queue.key.encode() in redis.smembers("rq:queues")  # visible to `rq info` and workers
    job = Job.fetch(result.job_id, connection=redis)
    assert job.func_name == HANDLE_EVENT
    assert job.args == (event.to_dict(),)
    assert job.get_status() == JobStatus.QUEUED
    assert job.origin == keys.queue(EVENTS_STAGE) == f"{keys.prefix}-events"
    assert job.enqueued_at is not None


def test_job_carries_retry_timeout_and_ttls(redis: Redis, keys: Keys) -> None:
    job_id = make(redis, keys).enqueue(sample_event()).job_id
    job = Job.fetch(job_id, connection=redis)
    assert job.retries_left == 5
    assert job.retry_intervals == [5, 15, 30, 60, 120]
    assert job.timeout == 60
    assert job.result_ttl == 0  # deleted once it succeeded: the dedupe marks outlive it
    assert job.failure_ttl == 30 * 24 * 3600
    assert redis.ttl(job.key) == -1  # a queued event never expires unrun


def test_job_description_and_logs_carry_no_ticket_text(redis: Redis, keys: Keys) -> None:
    event = sample_event("ticket.comment_added.json")
    job = Job.fetch(make(redis, keys).enqueue(event).job_id, connection=redis)
    assert "We are looking into this now" not in job.description
    assert event.ticket.subject not in job.description
    assert event.id in job.description and "5158" in job.description


def test_dedupe_keys_are_set_with_the_ttl(redis: Redis, keys: Keys) -> None:
    event = sample_event()
    make(redis, keys).enqueue(event, invocation_id="inv-1")
    for key in (keys("seen", "event", event.id), keys("seen", "invocation", "inv-1")):
        ttl = redis.ttl(key)
        assert 3 * 86400 - 5 <= ttl <= 3 * 86400


def test_same_event_id_is_queued_once(redis: Redis, keys: Keys) -> None:
    enqueuer = make(redis, keys)
    event = sample_event()
    assert enqueuer.enqueue(event, invocation_id="inv-1").outcome is EnqueueOutcome.QUEUED
    assert enqueuer.enqueue(event, invocation_id="inv-2").outcome is EnqueueOutcome.DUPLICATE
    assert enqueuer.enqueue(event).outcome is EnqueueOutcome.DUPLICATE
    assert Queue(keys.queue(EVENTS_STAGE), connection=redis).count == 1


def test_same_invocation_id_is_queued_once(redis: Redis, keys: Keys) -> None:
    enqueuer = make(redis, keys)
    first = sample_event()
    second = sample_event(id="another-event-id")
    assert enqueuer.enqueue(first, invocation_id="inv-1").outcome is EnqueueOutcome.QUEUED
    assert enqueuer.enqueue(second, invocation_id="inv-1").outcome is EnqueueOutcome.DUPLICATE
    assert Queue(keys.queue(EVENTS_STAGE), connection=redis).count == 1


def test_an_existing_job_is_never_overwritten(redis: Redis, keys: Keys) -> None:
    """Dedupe keys expired (3 d) but the failed job is still kept (30 d): leave it alone."""
    enqueuer = make(redis, keys)
    event = sample_event()
    job_id = enqueuer.enqueue(event).job_id
    redis.hset(f"rq:job:{job_id}", "status", "failed")
    redis.delete(keys("seen", "event", event.id))
    assert enqueuer.enqueue(event).outcome is EnqueueOutcome.DUPLICATE
    assert redis.hget(f"rq:job:{job_id}", "status") == b"failed"
    assert Queue(keys.queue(EVENTS_STAGE), connection=redis).count == 1


def test_own_api_user_from_redis_is_not_queued(redis: Redis, keys: Keys) -> None:
    event = sample_event()  # actor 8447388090494
    redis.set(keys("zendesk", "api_user_id"), "8447388090494")
    result = make(redis, keys).enqueue(event, invocation_id="inv-1", check_api_user=True)
    assert result.outcome is EnqueueOutcome.OWN_API_USER
    assert result.api_user_id == 8447388090494
    assert Queue(keys.queue(EVENTS_STAGE), connection=redis).count == 0
    assert not redis.exists(keys("seen", "event", event.id), keys("seen", "invocation", "inv-1"))


def test_other_actor_is_queued_and_api_user_id_reported(redis: Redis, keys: Keys) -> None:
    redis.set(keys("zendesk", "api_user_id"), "123")
    result = make(redis, keys).enqueue(sample_event(), check_api_user=True)
    assert result.outcome is EnqueueOutcome.QUEUED
    assert result.api_user_id == 123


def test_api_user_not_checked_unless_asked(redis: Redis, keys: Keys) -> None:
    redis.set(keys("zendesk", "api_user_id"), "8447388090494")
    result = make(redis, keys).enqueue(sample_event())
    assert result.outcome is EnqueueOutcome.QUEUED


def test_a_real_worker_runs_the_job(redis: Redis, keys: Keys) -> None:
    event = sample_event("ticket.comment_added.json")
    job_id = make(redis, keys, func=RUN_FUNC).enqueue(event).job_id
    queue = Queue(keys.queue(EVENTS_STAGE), connection=redis)
    worker = SimpleWorker([queue], connection=redis)
    assert worker.work(burst=True)
    assert redis.get(f"{job_id}:ran-with") == f"comment_added:5158:{event.id}".encode()
    assert not redis.exists(Job.key_for(job_id))  # finished: nothing of it is kept
    assert not redis.keys("rq:results:*")
    assert queue.count == 0
    assert redis.exists(keys("seen", "event", event.id))  # a redelivery is still a duplicate


def test_a_failing_job_is_retried_with_its_backoff(redis: Redis, keys: Keys) -> None:
    job_id = make(redis, keys, func=FAIL_FUNC).enqueue(sample_event()).job_id
    queue = Queue(keys.queue(EVENTS_STAGE), connection=redis)
    SimpleWorker([queue], connection=redis).work(burst=True)
    job = Job.fetch(job_id, connection=redis)
    assert job.get_status() == JobStatus.SCHEDULED  # not failed: RQ will run it again in 5 s
    assert job.retries_left == 4
    assert job_id in ScheduledJobRegistry(queue=queue).get_job_ids()


def test_one_round_trip_per_accepted_event(redis_url: str, redis: Redis, keys: Keys) -> None:
    class Counting(Connection):  # what goes on the wire, whichever way it is sent
        commands: ClassVar[list[str]] = []

        def send_packed_command(self, command: Any, check_health: bool = True) -> None:
            data = command if isinstance(command, bytes) else b"".join(command)
            self.commands.append(data.split(b"\r\n")[2].decode())
            super().send_packed_command(command, check_health)

    counting = Redis.from_url(redis_url, connection_class=Counting)
    enqueuer = make(counting, keys)
    enqueuer.enqueue(sample_event(id="warm-up"))  # first call loads the script
    Counting.commands.clear()
    for i in range(5):
        assert enqueuer.enqueue(sample_event(id=f"event-{i}"), invocation_id=f"inv-{i}").outcome == "queued"
    assert Counting.commands == ["EVALSHA"] * 5


@pytest.mark.parametrize(
    ("event_id", "expected"),
    [
        ("cbe4028c-7239-495d-b020-f22348516046", "evt-cim-cbe4028c-7239-495d-b020-f22348516046"),
        ("01HANA2B5D5W9XSJS3NE5SQA1J", "evt-cim-01HANA2B5D5W9XSJS3NE5SQA1J"),
    ],
)
def test_job_id_keeps_safe_ids(event_id: str, expected: str) -> None:
    assert job_id_for(event_id, Keys("cim")) == expected


def test_job_id_of_unsafe_ids_is_safe_and_distinct() -> None:
    keys = Keys("cim.staging")
    a, b = job_id_for("a.b:c", keys), job_id_for("a_b_c", keys)
    assert a != b
    assert a.startswith("evt-cim_staging-a_b_c-")
    for job_id in (a, job_id_for("x" * 300, keys), job_id_for("é/€", keys)):
        validate_job_id(job_id)  # RQ's own check: [A-Za-z0-9_-] only
