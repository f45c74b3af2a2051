"""Fail fast while Redis is away: after one failed call, the web process answers 503 at once.

Why: a *stalled* Redis (paused, swapping, a network black hole) does not refuse connections,
it just never answers, so every request waits the whole socket timeout (2 s) before its 503.
With 2 sync gunicorn workers and Zendesk delivering 32 events at once, the last ones queued
behind 16 timeouts each and took over 10 s, past Zendesk's patience: Zendesk then counts a
failure, not a "retry later". With this gate a worker pays the timeout once; for the next
``COOLDOWN_SECONDS`` every request it serves answers 503 + ``Retry-After`` in microseconds,
then one request probes Redis again. Nothing is lost: a 503 is never an accepted event, and
Zendesk retries it.

Per process and in memory (the point is not to ask Redis); thread-safe for threaded workers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

COOLDOWN_SECONDS = 3.0


class RedisGate:
    """Open for ``cooldown`` seconds after a failure; then one caller at a time probes."""

    def __init__(self, cooldown: float = COOLDOWN_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.cooldown = cooldown
        self.clock = clock
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._probing = False

    def allows(self) -> bool:
        """May this request try Redis? False: answer 503 without trying."""
        if not self._open_until:  # the common case, without the lock
            return True
        with self._lock:
            if not self._open_until:
                return True
            if self.clock() < self._open_until or self._probing:
                return False
            self._probing = True
            return True

    def failed(self) -> None:
        with self._lock:
            self._open_until = self.clock() + self.cooldown
            self._probing = False

    def succeeded(self) -> None:
        if self._open_until:
            with self._lock:
                self._open_until = 0.0
                self._probing = False
