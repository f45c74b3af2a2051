"""Back to work within seconds of Zendesk answering again after an outage.

Why: while the shared circuit breaker (``middleware.zendesk.breaker``) is open, every job that
needs Zendesk is put off without spending its retries. Left to themselves, those jobs would
be the only probes: each came back on its own schedule, after a cooldown that had doubled to
60 s plus up to 30 s of jitter, so work resumed up to a minute and a half after Zendesk was
back (the measurement is in docs/reliability.md). Waking them more often would churn a backlog
of thousands every few seconds.

So each worker process runs this watcher beside its jobs (``middleware.worker``), once a second:

1. while the breaker is half open (a probe is due, every 2–5 s), it sends the probe itself, one
   light call (``GET /users/me``); only one caller across all workers probes at a time;
2. once the breaker is closed (by its probe or by any job's call), every job listed as waiting
   for Zendesk is made due at once (``jobs.scheduling.wake_waiting``); RQ's scheduler enqueues
   them within a second.

While Zendesk is healthy a tick is two Redis reads and no Zendesk call. With ``rq worker`` run
directly (no watcher) the jobs still probe and resume on their own, within about a minute.
"""

from __future__ import annotations

import logging
import threading

from jobs import runtime
from jobs.runtime import Runtime
from jobs.scheduling import waiting_count, wake_waiting
from middleware.zendesk.breaker import CLOSED, HALF_OPEN

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0


def tick(rt: Runtime) -> str:
    """One look at Zendesk's health: probe if a probe is due, wake the waiting jobs once it is
    closed. Returns what it did, for the log and the tests."""
    breaker = rt.zendesk.breaker
    if breaker is None:
        return "no breaker"
    state = breaker.state()
    probed = ""
    if state == HALF_OPEN:
        answered = rt.zendesk.probe()
        state = breaker.state()
        probed = "probed: " + ("Zendesk answers; " if answered else "Zendesk still down")
        if not answered:
            return probed
    if state != CLOSED:
        return "Zendesk down; waiting for the next probe"
    if not waiting_count(rt.redis, rt.keys):
        return probed + ("" if probed else "Zendesk answers; ") + "nothing waiting"
    woken = wake_waiting(rt.redis, rt.keys)
    return probed + ("" if probed else "Zendesk answers; ") + f"woke {woken} jobs waiting for it"


def run(stop: threading.Event) -> None:
    """The watcher thread of a worker process: a runtime of its own (its own Zendesk session),
    one tick a second until ``stop`` is set; a failed tick is logged and the next one tries."""
    rt = runtime.build()
    while not stop.is_set():
        try:
            outcome = tick(rt)
            if outcome.startswith("probed") or "woke" in outcome:
                log.info("zendesk watch: %s", outcome)
        except Exception:
            log.warning("zendesk watch: tick failed; trying again", exc_info=True)
        stop.wait(TICK_SECONDS)
