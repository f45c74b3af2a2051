"""The job hash the receiver writes is the one RQ itself would write, field for field.

``EventEnqueuer`` learns the constant fields once from jobs RQ builds and computes only four
per event (a receiver speed-up, see ``middleware/store/enqueue.py``); these tests compare what lands
in Redis with RQ's own ``build_job`` + ``_build_hset_args`` for the same event, and check the
fallback to RQ when the fields are not constant.
"""

from __future__ import annotations

import pickle
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from rq.scripts import _build_hset_args
from rq.utils import utcparse

from middleware.store import enqueue as enqueue_module
from middleware.store.connection import Keys
from middleware.store.enqueue import EventEnqueuer, JobSettings
from tests.store.test_enqueue import sample_event

STAMPS = ("created_at", "enqueued_at")


def as_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return str.__str__(value).encode() if isinstance(value, str) else str(value).encode()


@pytest.mark.parametrize("sample", ["ticket.created.json", "ticket.comment_added.json", "ticket.priority_changed.json"])
@pytest.mark.parametrize("settings", [JobSettings(), JobSettings(timeout=30, ttl=600, retry_intervals=(1, 2, 3, 4, 5))])
def test_stored_job_equals_what_rq_builds(redis: Redis, key_prefix: str, sample: str, settings: JobSettings) -> None:
    enqueuer = EventEnqueuer(redis, Keys(key_prefix), dedupe_ttl=timedelta(days=3), settings=settings)
    assert enqueuer._constants is not None  # the fast path is the one under test
    event = sample_event(sample)
    before = datetime.now(UTC)
    job_id = enqueuer.enqueue(event).job_id
    stored = redis.hgetall(f"rq:job:{job_id}")
    rq_args = _build_hset_args(enqueuer.build_job(event))
    expected = {as_bytes(k): as_bytes(v) for k, v in zip(rq_args[0::2], rq_args[1::2], strict=True)}
    assert set(stored) == set(expected)
    for name, value in expected.items():
        if name.decode() in STAMPS:
            assert before - timedelta(seconds=1) <= utcparse(stored[name].decode()).replace(tzinfo=UTC)
        elif name == b"data":  # left uncompressed: RQ's own is zlib.compress of the same bytes
            assert stored[name] == zlib.decompress(value)
        else:
            assert stored[name] == value, name
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
