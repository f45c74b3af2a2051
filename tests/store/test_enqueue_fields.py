"""The job hash the receiver writes is the one RQ itself would write, field for field.

``EventEnqueuer`` learns the constant fields once from jobs RQ builds and computes only four
per event (a receiver speed-up, see ``middleware/store/enqueue.py``); these tests compare what lands
in Redis with RQ's own ``build_job`` + ``_build_hset_args`` for the same event, and check the
fallback to RQ when the fields are not constant.
"""

from __future__ import annotations

import json
import pickle
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from rq.job import Job
from rq.scripts import _build_hset_args
from rq.utils import utcparse

from middleware.store import enqueue as enqueue_module
from middleware.store.connection import Keys
from middleware.store.enqueue import HANDLE_WEBHOOK, EventEnqueuer, JobSettings
from middleware.zendesk.webhook.normalize import Accepted, validate
from tests.conftest import sample_path
from tests.store.test_enqueue import sample_event

STAMPS = ("created_at", "enqueued_at")


def as_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return str.__str__(value).encode() if isinstance(value, str) else str(value).encode()


def assert_stored_as_rq_builds(stored: dict[bytes, bytes], rq_args: list[object], before: datetime) -> None:
    expected = {as_bytes(k): as_bytes(v) for k, v in zip(rq_args[0::2], rq_args[1::2], strict=True)}
    assert set(stored) == set(expected)
    for name, value in expected.items():
        if name.decode() in STAMPS:
            assert before - timedelta(seconds=1) <= utcparse(stored[name].decode()).replace(tzinfo=UTC)
        elif name == b"data":  # left uncompressed: RQ's own is zlib.compress of the same bytes
            assert stored[name] == zlib.decompress(value)
        else:
            assert stored[name] == value, name


def raw_webhook(name: str = "ticket.created.json") -> tuple[bytes, Accepted]:
    raw = sample_path(name).read_bytes()
    ids = validate(json.loads(raw), invocation_id="inv-1", raw=raw)
    assert isinstance(ids, Accepted)
    return raw, ids


@pytest.mark.parametrize("sample", ["ticket.created.json", "ticket.comment_added.json"])
@pytest.mark.parametrize("settings", [JobSettings(), JobSettings(timeout=30, ttl=600, retry_intervals=(1, 2, 3, 4, 5))])
def test_a_raw_webhook_job_equals_what_rq_builds(redis: Redis, key_prefix: str, sample: str,
                                                 settings: JobSettings) -> None:
    """The webhook's job (its exact bytes for ``handle_webhook``) is RQ's own job too, but for
    the uncompressed data: the same constant fields as an event's, learnt once."""
    enqueuer = EventEnqueuer(redis, Keys(key_prefix), dedupe_ttl=timedelta(days=3), settings=settings)
    assert enqueuer._constants is not None
    raw, ids = raw_webhook(sample)
    before = datetime.now(UTC)
    job_id = enqueuer.enqueue_raw(raw, ids, invocation_id="inv-1").job_id
    description = f"{HANDLE_WEBHOOK}(event={ids.id} type={ids.type} ticket={ids.ticket_id})"
    rq_job = enqueuer.create_job((raw, "inv-1"), event_id=ids.id, description=description, func=HANDLE_WEBHOOK)
    assert rq_job.id == job_id
    assert_stored_as_rq_builds(redis.hgetall(f"rq:job:{job_id}"), _build_hset_args(rq_job), before)
    func, instance, args, kwargs = pickle.loads(redis.hget(f"rq:job:{job_id}", "data"))
    assert (func, instance, args, kwargs) == (HANDLE_WEBHOOK, None, (raw, "inv-1"), {})


@pytest.mark.parametrize("sample", ["ticket.created.json", "ticket.comment_added.json", "ticket.priority_changed.json"])
@pytest.mark.parametrize("settings", [JobSettings(), JobSettings(timeout=30, ttl=600, retry_intervals=(1, 2, 3, 4, 5))])
def test_stored_job_equals_what_rq_builds(redis: Redis, key_prefix: str, sample: str, settings: JobSettings) -> None:
    enqueuer = EventEnqueuer(redis, Keys(key_prefix), dedupe_ttl=timedelta(days=3), settings=settings)
    assert enqueuer._constants is not None  # the fast path is the one under test
    event = sample_event(sample)
    before = datetime.now(UTC)
    job_id = enqueuer.enqueue(event).job_id
    stored = redis.hgetall(f"rq:job:{job_id}")
    assert_stored_as_rq_builds(stored, _build_hset_args(enqueuer.build_job(event)), before)
    func, instance, args, kwargs = pickle.loads(stored[b"data"])
    assert (func, instance, kwargs) == ("jobs.pipeline.handle_event", None, {})
    assert args == (event.to_dict(),)


def test_fields_that_differ_between_events_make_rq_build_every_job(
    redis: Redis, key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real = enqueue_module._build_hset_args

    def varying(job):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        job.timeout = 60 + calls["n"]  # as if RQ wrote something per job we do not know about
        return real(job)

    monkeypatch.setattr(enqueue_module, "_build_hset_args", varying)
    enqueuer = EventEnqueuer(redis, Keys(key_prefix), dedupe_ttl=timedelta(days=3))
    assert enqueuer._constants is None
    job_id = enqueuer.enqueue(sample_event()).job_id
    assert redis.hget(f"rq:job:{job_id}", "timeout") == str(60 + calls["n"]).encode()


def test_a_raw_webhook_job_is_built_by_rq_when_the_fields_vary(
    redis: Redis, key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = enqueue_module._build_hset_args
    calls = {"n": 0}

    def varying(job):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        job.timeout = 60 + calls["n"]
        return real(job)

    monkeypatch.setattr(enqueue_module, "_build_hset_args", varying)
    enqueuer = EventEnqueuer(redis, Keys(key_prefix), dedupe_ttl=timedelta(days=3))
    assert enqueuer._constants is None
    raw, ids = raw_webhook()
    job = Job.fetch(enqueuer.enqueue_raw(raw, ids, invocation_id="inv-1").job_id, connection=redis)
    assert (job.func_name, job.args, job.timeout) == (HANDLE_WEBHOOK, (raw, "inv-1"), 60 + calls["n"])
