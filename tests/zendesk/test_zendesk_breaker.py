"""The shared circuit breaker on its own: when Zendesk work pauses and when it resumes."""

from __future__ import annotations

from redis import Redis

from middleware.store.connection import Keys
from middleware.zendesk.breaker import (
    CLOSED,
    FAILURES_TO_OPEN,
    FIRST_COOLDOWN_SECONDS,
    HALF_OPEN,
    MAX_COOLDOWN_SECONDS,
    MAX_WAIT_SECONDS,
    OPEN,
    CircuitBreaker,
)
from tests.budget_support import Clock

JITTER = 1.5  # at most this much is added to a job's wait, so a backlog does not wake in one second


def test_a_few_failures_do_not_pause_zendesk_work_but_an_outage_does(redis: Redis, key_prefix: str) -> None:
    clock = Clock()
    breaker = CircuitBreaker(redis, Keys(key_prefix), clock)
    for _ in range(FAILURES_TO_OPEN - 1):
        assert breaker.failed() == 0
    assert breaker.wait_seconds() == 0
    breaker.succeeded()  # one answer resets the count
    for _ in range(FAILURES_TO_OPEN - 1):
        assert breaker.failed() == 0
    assert not breaker.is_open()
    assert FIRST_COOLDOWN_SECONDS < breaker.failed() <= FIRST_COOLDOWN_SECONDS + JITTER  # five in a row: open
    assert breaker.is_open()
    assert breaker.wait_seconds() >= FIRST_COOLDOWN_SECONDS  # every worker is told to wait


def due_for_a_probe(redis: Redis, key_prefix: str) -> tuple[Clock, CircuitBreaker, CircuitBreaker]:
    """Two workers' breakers on one Zendesk: opened by the first's failures, the cooldown just over."""
    clock = Clock()
    one, other = CircuitBreaker(redis, Keys(key_prefix), clock), CircuitBreaker(redis, Keys(key_prefix), clock)
    for _ in range(FAILURES_TO_OPEN):
        one.failed()
    clock.now += FIRST_COOLDOWN_SECONDS
    return clock, one, other


def test_after_the_cooldown_one_probe_goes_and_its_answer_decides(redis: Redis, key_prefix: str) -> None:
    clock, one, other = due_for_a_probe(redis, key_prefix)
    assert one.wait_seconds() == 0  # the probe
    assert other.wait_seconds() > 0  # only one at a time
    assert one.failed() > 2 * FIRST_COOLDOWN_SECONDS  # still down: open again
    assert one.state() == OPEN
    clock.now += 2 * FIRST_COOLDOWN_SECONDS - 0.1
    assert one.state() == OPEN  # the next probe comes twice as late ...
    clock.now += 0.1
    assert one.state() == HALF_OPEN
    assert other.wait_seconds() == 0  # the next probe, from another worker
    other.succeeded()
    assert not one.is_open()
    assert one.wait_seconds() == 0 and other.wait_seconds() == 0  # closed for everyone



def test_probes_stay_seconds_apart_however_long_zendesk_is_down(redis: Redis, key_prefix: str) -> None:
    """Recovery after a long outage used to wait for a cooldown doubled to 60 s: now a probe is
    due at most MAX_COOLDOWN_SECONDS after the last failed one, whatever the outage's length."""
    clock = Clock()
    breaker = CircuitBreaker(redis, Keys(key_prefix), clock)
    for _ in range(FAILURES_TO_OPEN):
        breaker.failed()
    for _ in range(20):  # a long outage: twenty failed probes
        clock.now += MAX_COOLDOWN_SECONDS
        assert breaker.state() == HALF_OPEN
        assert breaker.wait_seconds() == 0  # this caller probes ...
        breaker.failed()  # ... and Zendesk is still down
    clock.now += MAX_COOLDOWN_SECONDS
    assert breaker.state() == HALF_OPEN


def test_waiting_jobs_sleep_as_long_as_the_outage_has_lasted_up_to_a_minute(redis: Redis, key_prefix: str) -> None:
    """Jobs are woken when Zendesk answers again (jobs.zendesk_watch), so they need not come
    back every few seconds: a short blip keeps them seconds away, a long outage a minute away."""
    clock = Clock()
    breaker = CircuitBreaker(redis, Keys(key_prefix), clock)
    for _ in range(FAILURES_TO_OPEN):
        breaker.failed()
    assert breaker.wait_seconds() <= FIRST_COOLDOWN_SECONDS + JITTER  # just opened: seconds
    clock.now += 20
    breaker.wait_seconds()  # the probe slot, taken by this caller
    assert 20 <= breaker.failed() <= 20 + JITTER  # down 20 s: sleep about 20 s
    clock.now += 600
    assert CircuitBreaker(redis, Keys(key_prefix), clock).wait_seconds() == 0  # another caller probes
    assert MAX_WAIT_SECONDS <= breaker.wait_seconds() <= MAX_WAIT_SECONDS + JITTER  # down 10 min: a minute


def test_a_probe_that_never_goes_frees_the_slot_for_the_next_caller(redis: Redis, key_prefix: str) -> None:
    _, one, other = due_for_a_probe(redis, key_prefix)
    assert one.wait_seconds() == 0  # one takes the probe slot, then its budget says "later"
    assert other.wait_seconds() > 0
    one.release_probe()
    assert other.wait_seconds() == 0  # the next caller probes at once
    other.succeeded()
    assert one.state() == CLOSED
