"""The product's worker notices a killed worker and a restarted Redis in seconds.

What matters to a user: a job whose worker was SIGKILLed is retried within seconds (its
incident's alerts are not two minutes late), the dead worker stops being listed as busy, and
after Redis comes back the scheduler (rescheduled triage, retries, SLA timers) moves again
within seconds. ``python -m bench chaos`` measures the same against real processes.
"""

from __future__ import annotations

import json
import os
import time

from redis import Redis
from rq import Queue, Retry, get_current_job
from rq.job import Job, JobStatus

from middleware import resilient_worker
from middleware.resilient_worker import LIVENESS_SECONDS, ResilientWorker


def _report(value: object) -> None:
    """What a job body found, kept in Redis for the test (the worker keeps no job results)."""
    job = get_current_job()
    assert job is not None
    job.connection.set(f"report:{job.id}", json.dumps(value))


def reported(redis: Redis, job: Job) -> object:
    raw = redis.get(f"report:{job.id}")
    return None if raw is None else json.loads(raw)


def registration() -> None:
    """Job body: how long this job and its worker stay registered without another beat."""
    job = get_current_job()
    assert job is not None
    entries = job.connection.zrange(job.started_job_registry.key, 0, -1, withscores=True)
    (score,) = [s for member, s in entries if member.decode().startswith(job.id + ":")]
    worker_key = f"rq:worker:{job.worker_name}"
    _report({"job_left": score - time.time(), "worker_left": float(job.connection.ttl(worker_key))})


def _score() -> float:
    job = get_current_job()
    assert job is not None
    entries = job.connection.zrange(job.started_job_registry.key, 0, -1, withscores=True)
    (score,) = [s for member, s in entries if member.decode().startswith(job.id + ":")]
    return float(score)


def beats_while_running() -> None:
    """Job body: is this job's registration renewed while it runs (by the heartbeat thread)?"""
    first = _score()
    deadline = time.monotonic() + 30  # a bound for a very loaded machine, not a measurement
    while time.monotonic() < deadline:
        time.sleep(resilient_worker.BEAT_SECONDS)
        if _score() > first:
            _report(True)
            return
    _report(False)


def test_a_running_job_and_its_worker_are_registered_for_seconds_not_the_jobs_timeout(redis: Redis) -> None:
    queue = Queue("liveness", connection=redis)
    job = queue.enqueue(registration, job_timeout=600)  # RQ would register it for 660 s
    ResilientWorker([queue], connection=redis).work(burst=True)
    left = reported(redis, job)
    assert isinstance(left, dict)
    assert 0 < left["job_left"] <= LIVENESS_SECONDS
    assert 0 < left["worker_left"] <= LIVENESS_SECONDS


def test_the_heartbeat_keeps_a_long_job_registered(redis: Redis, monkeypatch) -> None:
    monkeypatch.setattr(resilient_worker, "BEAT_SECONDS", 0.2)
    queue = Queue("liveness", connection=redis)
    job = queue.enqueue(beats_while_running, job_timeout=60)
    ResilientWorker([queue], connection=redis).work(burst=True)
    assert reported(redis, job) is True  # renewed while it runs


def test_a_killed_workers_job_is_retried_once_its_short_registration_lapses(redis: Redis) -> None:
    queue = Queue("liveness", connection=redis)
    job = queue.enqueue(registration, job_timeout=600, retry=Retry(max=3))
    dead = ResilientWorker([queue], connection=redis, name="killed-mid-job")
    dead.register_birth()
    popped, _ = Queue.dequeue_any([queue], None, connection=redis)
    dead.prepare_execution(popped)
    dead.prepare_job_execution(popped)  # ... and then SIGKILL: no more beats, no clean-up
    registry = queue.started_job_registry
    assert registry.get_job_ids() == [job.id]
    # What another worker's maintenance pass (every few seconds) does once LIVENESS_SECONDS
    # have passed without a beat; with RQ's own SimpleWorker that took the job's timeout + 60 s.
    registry.cleanup(timestamp=time.time() + LIVENESS_SECONDS + 1)
    assert registry.get_job_ids() == []
    assert Job.fetch(job.id, connection=redis).get_status() == JobStatus.QUEUED
    assert 0 < redis.ttl(dead.key) <= LIVENESS_SECONDS  # the dead worker stops being listed with it


def test_an_idle_worker_runs_maintenance_and_reconnects_within_seconds(redis: Redis) -> None:
    worker = ResilientWorker([Queue("liveness", connection=redis)], connection=redis)
    assert worker.maintenance_interval <= 5  # abandoned jobs found, a dead scheduler restarted
    assert worker.dequeue_timeout <= 5  # an idle worker gets to its maintenance pass
    assert worker.max_connection_wait_time <= 2  # reconnects promptly after a Redis restart


def test_a_worker_that_lost_redis_works_again_in_the_same_process(redis: Redis, monkeypatch) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from rq import SimpleWorker

    runs: list[str] = []

    def rq_loop(self: ResilientWorker, burst: bool = False, **kwargs: object) -> bool:
        runs.append(self.name)
        if len(runs) == 1:
            self.register_birth()
            raise RedisConnectionError("Connection closed by server.")  # RQ's loop ends on it
        self._stop_requested = True  # the second run ends on a normal stop
        return True

    monkeypatch.setattr(SimpleWorker, "work", rq_loop)
    worker = ResilientWorker([Queue("liveness", connection=redis)], connection=redis, name="survivor")
    assert worker.work() is True
    assert runs == ["survivor", "survivor"]  # same process, same name (its scheduler's locks are its own)
    assert not redis.exists(worker.key)  # the interrupted run's registration was cleared for the new one


_IDLE_WORKER = """
import sys
from redis import Redis
from rq import Queue
from middleware.resilient_worker import ResilientWorker
redis = Redis.from_url(sys.argv[1])
ResilientWorker([Queue("liveness", connection=redis)], connection=redis, name=sys.argv[2]).work(with_scheduler=True)
"""


def test_an_idle_worker_stops_on_sigterm(redis: Redis, redis_url: str) -> None:
    """A deployment's stop (SIGTERM) ends an idle worker and its scheduler at once, rather than
    the worker starting its loop again until its supervisor kills it."""
    import signal
    import subprocess
    import sys

    from middleware.local.processes import wait_until
    from middleware.local.stack import ROOT

    name = f"sigterm-{time.monotonic_ns()}"
    proc = subprocess.Popen([sys.executable, "-c", _IDLE_WORKER, redis_url, name], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        wait_until(lambda: redis.exists(f"rq:worker:{name}") or proc.poll() is not None, 30, "the worker to start")
        time.sleep(0.5)  # idle in its blocking dequeue
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=8)  # RQ's pubsub thread takes up to 1 s to join
        except subprocess.TimeoutExpired:
            raise AssertionError("the idle worker did not stop on SIGTERM") from None
        assert proc.returncode == 0, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        if proc.stderr:
            proc.stderr.close()
