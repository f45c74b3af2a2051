"""The shared circuit breaker on its own: when Zendesk work pauses and when it resumes."""

from __future__ import annotations

from redis import Redis

from middleware.redis_client import Keys
from middleware.zendesk_breaker import FAILURES_TO_OPEN, FIRST_COOLDOWN_SECONDS, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


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
    assert breaker.failed() == FIRST_COOLDOWN_SECONDS  # five failed attempts in a row: open
    assert breaker.is_open()
    assert breaker.wait_seconds() >= FIRST_COOLDOWN_SECONDS  # every worker is told to wait


def test_after_the_cooldown_one_probe_goes_and_its_answer_decides(redis: Redis, key_prefix: str) -> None:
    clock = Clock()
    one, other = CircuitBreaker(redis, Keys(key_prefix), clock), CircuitBreaker(redis, Keys(key_prefix), clock)
    for _ in range(FAILURES_TO_OPEN):
        one.failed()
    clock.now += FIRST_COOLDOWN_SECONDS
    assert one.wait_seconds() == 0  # the probe
    assert other.wait_seconds() > 0  # only one at a time
    assert one.failed() == 2 * FIRST_COOLDOWN_SECONDS  # still down: open again, twice as long
    clock.now += 2 * FIRST_COOLDOWN_SECONDS
    assert other.wait_seconds() == 0  # the next probe, from another worker
    other.succeeded()
    assert not one.is_open()
    assert one.wait_seconds() == 0 and other.wait_seconds() == 0  # closed for everyone
