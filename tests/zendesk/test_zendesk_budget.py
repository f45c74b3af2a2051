"""The shared Zendesk call budget holds over *any* 60 seconds, not per wall-clock minute.

A counter per wall-clock minute let a whole budget go out at the end of one minute and again
at the start of the next (the budget benchmark saw twice the budget within 60 s and Zendesk's
429s); these tests pin the sliding window and the way refused callers are spread out.
"""

from __future__ import annotations

import pytest

from middleware.store.connection import Keys
from middleware.zendesk.budget import CallBudget
from tests.budget_support import Clock, refused


def budget(redis, key_prefix: str, limit: int, clock: Clock) -> CallBudget:  # type: ignore[no-untyped-def]
    return CallBudget(redis, Keys(key_prefix), limit, clock=clock)


def test_no_two_bursts_across_a_minute_boundary(redis, key_prefix):
    clock = Clock(1_800_000_059.0)  # one second before a wall-clock minute ends
    b = budget(redis, key_prefix, 3, clock)
    for _ in range(3):
        b.take()
    clock.now += 2  # the next wall-clock minute: a per-minute counter would start again here
    assert 58 <= refused(b.take) <= 59.5


def test_a_slot_frees_a_window_after_the_call_that_took_it(redis, key_prefix):
    window = CallBudget.WINDOW_SECONDS  # 60 s and half a second for the request to reach Zendesk
    clock = Clock(1_800_000_000.0)
    b = budget(redis, key_prefix, 2, clock)
    b.take()
    clock.now += 10
    b.take()
    clock.now += 20
    assert refused(b.take) == pytest.approx(window - 30 + 0.5, abs=0.01)
    clock.now += window - 30 + 0.01  # the first call has now left the window
    b.take()
    assert refused(b.take) == pytest.approx(10 - 0.01 + 0.5, abs=0.02)  # the second frees next


def test_callers_refused_in_turn_are_given_successive_slots(redis, key_prefix):
    clock = Clock(1_800_000_000.0)
    b = budget(redis, key_prefix, 2, clock)
    b.take()
    clock.now += 5
    b.take()
    clock.now += 5
    waits = [refused(b.take) for _ in range(3)]
    # slot of the first call (frees a window after 0), of the second (after 5), then the first's
    # slot in the window after (each wait has the half second for RQ's whole-second scheduler)
    w = CallBudget.WINDOW_SECONDS
    assert waits == [pytest.approx(w - 10 + 0.5), pytest.approx(w - 5 + 0.5), pytest.approx(2 * w - 10 + 0.5)]


def test_the_limit_is_shared_by_every_client_of_the_same_redis(redis, key_prefix):
    clock = Clock(1_800_000_000.0)
    first, second = budget(redis, key_prefix, 2, clock), budget(redis, key_prefix, 2, clock)
    first.take()
    second.take()
    refused(first.take)
    refused(second.take)
