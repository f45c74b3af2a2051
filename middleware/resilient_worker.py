"""The RQ worker the product runs: a ``SimpleWorker`` that notices trouble in seconds, not minutes.

Stock RQ 3.0, measured against a killed worker and a restarted Redis, left a killed worker's
job waiting about two minutes, let the scheduler stall for up to a minute after a Redis
restart, and ended the worker process when Redis restarted under a running job.
:class:`ResilientWorker` notices each in seconds (docs/reliability.md, "A killed worker, a
restarted Redis"); :class:`WorkerJob` keeps no result of a successful job, which nothing reads.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker, worker_registration
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.job import Job, JobStatus
from rq.queue import Queue
from rq.scheduler import RQScheduler
from rq.utils import import_attribute

from jobs import priority
from middleware.store.queues import RENAMED

log = logging.getLogger(__name__)

LIVENESS_SECONDS = 15  # a running job (and its worker) counts as abandoned this long after the last beat
BEAT_SECONDS = 3
MAINTENANCE_SECONDS = 5  # registry clean-up (abandoned jobs) and the scheduler's restart
WORKER_TTL_SECONDS = 20  # an idle worker wakes every 5 s (RQ blocks for worker_ttl - 15)
RECONNECT_MAX_SECONDS = 2.0


class RenamedJob(Job):
    """A job queued by an earlier release under a function name since renamed runs today's
    function (``middleware.store.queues.RENAMED``), so an upgrade loses no queued work."""

    @property
    def func(self) -> Any:
        name = self.func_name
        if not self.instance and name in RENAMED:
            return import_attribute(RENAMED[name])
        return super().func


class WorkerJob(RenamedJob):
    """The jobs the product's worker runs: renamed functions found (:class:`RenamedJob`), and a
    success writes no result stream; everything else RQ does on success is unchanged: status
    ``finished``, the hash kept for ``result_ttl`` (deleted at once when it is 0), the finished
    registry.

    Why: RQ 3.0 writes every successful job's return value into a stream of its own
    (``rq:results:<id>``), about 4.8 KB of Redis memory whatever the value, kept for the job's
    ``result_ttl``: two thirds of what an event cost in Redis, and of what a week of SLA timers
    kept. Nothing reads those values (each job logs its outcome). The job hash itself is kept
    for its ``result_ttl`` as before, since a unique job id (an SLA step, an alert, a periodic
    run) is guarded by it. A failed job is kept as RQ keeps it (its hash, its exception in the
    results stream, its failed registry entry) for its ``failure_ttl``: ``jobs failed`` lists it.
    """

    def _handle_success(self, result_ttl: int, pipeline: Any, worker_name: str = "",
                        execution_id: str | None = None, execution_started_at: Any = None,
                        execution_ended_at: Any = None) -> None:
        # RQ 3.0's Job._handle_success without ``Result.create``.
        self.set_status(JobStatus.FINISHED, pipeline=pipeline)
        self.save(pipeline=pipeline, include_meta=False, include_result=False)
        if result_ttl != 0:
            self.finished_job_registry.add(self, result_ttl, pipeline)


class ResilientWorker(SimpleWorker):
    """A ``SimpleWorker`` with short liveness timeouts that keeps no success results. What stock
    RQ 3.0 did, and what this worker does instead:

    * **A killed worker's job sat in ``rq:wip`` about two minutes.** A ``SimpleWorker`` runs the
      job in its own thread and cannot heartbeat meanwhile, so it registers each job as started
      for the job's whole timeout plus 60 s (120 s for a triage job); only when that expires does
      another worker's maintenance pass (every 60–600 s) retry it. The dead worker stayed listed
      as busy just as long. Here a small thread heartbeats the running job and the worker every
      ``BEAT_SECONDS`` with a short TTL (``LIVENESS_SECONDS``): a live worker keeps its job however
      long it runs; a killed one lets it go within ``LIVENESS_SECONDS``, the next maintenance pass
      (every ``MAINTENANCE_SECONDS``, by whichever worker gets there) retries it, and the dead
      worker's registration expires with it.
    * **The scheduler stalled up to ~60 s after a Redis restart.** The scheduler subprocess dies
      on a dropped connection; the worker restarts it only in a maintenance pass, which an idle
      worker reaches only between its blocking dequeues (``worker_ttl - 15`` s, 405 s by default)
      and after a reconnect back-off growing to 60 s. Here the dequeue blocks at most
      ``WORKER_TTL_SECONDS - 15`` s, the back-off stops at ``RECONNECT_MAX_SECONDS``, and
      maintenance runs every ``MAINTENANCE_SECONDS``: rescheduled triage, retries and SLA timers
      move again within a few seconds of Redis answering.
    * **A Redis restart while a job ran killed the worker process.** RQ's main loop quits on an
      unexpected Redis error (the job's own failure handling could not reach Redis), so the
      worker, and its scheduler, were gone until a supervisor restarted them; a new scheduler then
      waited up to a minute for the dead one's locks. Here the worker waits for Redis and works
      again in the same process, under the same name, and its scheduler keeps a name derived from
      the worker's, so it takes its own locks back at once. The job that was running is retried
      like any abandoned job.

    The cost is a few Redis commands per worker every few seconds.
    """

    max_connection_wait_time = RECONNECT_MAX_SECONDS
    job_class = WorkerJob
    log_result_lifespan = False  # RQ's "result is kept for N s" line: there is no result to keep

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("job_class") in (None, Job):  # RQ's pool passes its default explicitly
            kwargs["job_class"] = WorkerJob
        kwargs.setdefault("maintenance_interval", MAINTENANCE_SECONDS)
        kwargs.setdefault("worker_ttl", WORKER_TTL_SECONDS)
        super().__init__(*args, **kwargs)

    def work(self, burst: bool = False, *args: Any, **kwargs: Any) -> bool:
        """RQ's loop, started again in this process whenever it ended because Redis went away."""
        while True:
            try:
                worked = super().work(burst, *args, **kwargs)
            except (RedisConnectionError, RedisTimeoutError):
                worked = False  # start-up or tear-down could not reach Redis
            if burst or self._stop_requested:
                return worked
            log.warning("worker %s: lost Redis; working again as soon as it answers", self.name)
            if not self._wait_for_redis():
                return worked
            self._forget_registration()

    def _shutdown(self) -> None:
        """A stop (SIGTERM, Ctrl-C) is a stop, idle or busy. RQ stops an idle worker by raising
        ``StopRequested`` out of its loop without noting the request, and :meth:`work` took the
        ended loop for a lost Redis and started again: an idle worker ignored SIGTERM until its
        supervisor (systemd, Docker, the local stack) killed it 10 s later, scheduler and all."""
        self._stop_requested = True
        super()._shutdown()

    def _wait_for_redis(self) -> bool:
        """Poll until Redis answers (True) or a stop is requested (False)."""
        while not self._stop_requested:
            try:
                self.connection.ping()
                return True
            except RedisError:
                time.sleep(RECONNECT_MAX_SECONDS / 2)
        return False

    def _forget_registration(self) -> None:
        """What the interrupted run left registered (RQ refuses to register a live name twice)."""
        worker_registration.unregister(self)
        self.connection.delete(self.key, self.executions_key)
        self.executions.clear()

    def _start_scheduler(self, burst: bool = False, logging_level: str | None = "INFO",
                         date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
                         log_format: str = DEFAULT_LOGGING_FORMAT) -> None:
        """RQ's own, with a scheduler name derived from the worker's: started again after Redis
        came back, the scheduler finds the locks it held are its own and takes them at once."""
        self.scheduler = RQScheduler(self.queues, connection=self.connection,
                                     logging_level=logging_level if logging_level is not None else self.log.level,
                                     date_format=date_format, log_format=log_format, serializer=self.serializer,
                                     name=f"{self.name}-scheduler")
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            else:
                self.scheduler.start()

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        """How long a running job stays registered without a beat (RQ: its timeout + 60 s)."""
        return LIVENESS_SECONDS

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Run the job with a heartbeat thread beside it, for as long as it runs, its Zendesk
        calls in the job's lane of the budget (``jobs.priority``: flags before reminders)."""
        done = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job, done), name="rq-heartbeat", daemon=True)
        beat.start()
        try:
            with priority.running(job):
                super().execute_job(job, queue)
        finally:
            done.set()
            beat.join(timeout=BEAT_SECONDS)

    def _beat(self, job: Job, done: threading.Event) -> None:
        """Every ``BEAT_SECONDS``: the worker and its running job are alive for another
        ``LIVENESS_SECONDS``. A failed beat is only logged: the job itself is not at risk, and
        if Redis stays away the job is retried once the registration lapses, as it must be."""
        while not done.wait(BEAT_SECONDS):
            try:
                with self.connection.pipeline() as pipe:
                    self.heartbeat(LIVENESS_SECONDS, pipeline=pipe)
                    for execution in list(self.executions.values()):
                        execution.heartbeat(job.started_job_registry, LIVENESS_SECONDS, pipe)
                    pipe.execute()
            except RedisError as exc:
                log.warning("worker %s: heartbeat for job %s failed (%s)", self.name, job.id, type(exc).__name__)
