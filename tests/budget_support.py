"""What the tests of Zendesk's call budget and circuit breaker share: a clock the test moves, and
the wait the budget tells a call it refuses."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from middleware.zendesk.errors import RateLimited


class Clock:
    """Seconds since the epoch, as the budget and the breaker read them; the test sets ``now``."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def refused(call: Callable[[], object]) -> float:
    """The wait (``retry_after``) the budget gives ``call`` when it refuses it; the call must be
    refused, and by the budget (not by Zendesk's own 429)."""
    with pytest.raises(RateLimited) as info:
        call()
    assert info.value.source == "budget"
    return info.value.retry_after
