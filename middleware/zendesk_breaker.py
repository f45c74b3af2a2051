"""A circuit breaker shared by every worker: while Zendesk is down, Zendesk work waits.

Why: RQ's retry schedule (5, 15, 30, 60, 120 s) is about four minutes long. A Zendesk outage
longer than that used to push every triage job through all its tries into the failed
registry, where nothing runs it again, and each try spent a worker on calls certain to fail.
With the breaker, the first few failed calls open it; from then on a Zendesk call raises
:class:`ZendeskUnavailable` at once, without touching the network. That exception is a
:class:`~middleware.zendesk.RateLimited`, so every job that already reschedules itself on a
429 or a spent budget reschedules itself on an outage too, at the time the breaker says,
without spending one of its RQ retries.

States, kept in one Redis hash so all workers agree:

* **closed** (no hash): calls go through; each failed HTTP attempt (connection error, timeout,
  5xx) counts, any answer below 500 resets the count;
* **open** (``open_until`` in the future): after ``FAILURES_TO_OPEN`` failed attempts in a
  row; callers are told to come back after ``open_until`` (plus a little jitter, so a
  backlog does not wake up in the same second);
* **half open** (``open_until`` passed): one caller at a time (a Redis lock) probes with its
  real call; a success closes the breaker, a failure opens it again for twice as long (up to
  ``MAX_COOLDOWN_SECONDS``).

Every step is one Redis round trip (a script), and only failures write.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from redis import Redis

from middleware.redis_client import Keys

FAILURES_TO_OPEN = 5  # failed HTTP attempts in a row (a call makes up to 3)
FIRST_COOLDOWN_SECONDS = 5.0
MAX_COOLDOWN_SECONDS = 60.0
PROBE_SECONDS = 30  # a probe that never reports (its worker died) frees the slot after this
STATE_TTL_SECONDS = 3600

# KEYS[1] state hash, KEYS[2] probe lock. ARGV[1] now, ARGV[2] probe lock TTL, ARGV[3] first cooldown.
# Returns "0" = go ahead ("counting" while closed with failures counted, "probe" when this
# caller is the half-open probe), else seconds until the breaker may be tried again.
_CHECK = """
local open_until = tonumber(redis.call("HGET", KEYS[1], "open_until") or "0")
if open_until == 0 then
  if redis.call("EXISTS", KEYS[1]) == 1 then return "counting" end
  return "0"
end
local now = tonumber(ARGV[1])
if now < open_until then return tostring(open_until - now) end
if redis.call("SET", KEYS[2], ARGV[1], "NX", "EX", ARGV[2]) then return "probe" end
local cooldown = tonumber(redis.call("HGET", KEYS[1], "cooldown") or ARGV[3])
return tostring(cooldown)
"""

# KEYS[1] state hash, KEYS[2] probe lock. ARGV: now, failures to open, first cooldown, max
# cooldown, state TTL. Returns the new open_until (0 while still closed).
_FAIL = """
local now = tonumber(ARGV[1])
local failures = redis.call("HINCRBY", KEYS[1], "failures", 1)
redis.call("EXPIRE", KEYS[1], ARGV[5])
local open_until = tonumber(redis.call("HGET", KEYS[1], "open_until") or "0")
if open_until > now then return tostring(open_until) end
if failures < tonumber(ARGV[2]) then return "0" end
local cooldown = tonumber(ARGV[3])
if open_until > 0 then
  cooldown = math.min(tonumber(ARGV[4]), 2 * tonumber(redis.call("HGET", KEYS[1], "cooldown") or ARGV[3]))
end
redis.call("HSET", KEYS[1], "open_until", tostring(now + cooldown), "cooldown", tostring(cooldown))
redis.call("DEL", KEYS[2])
return tostring(now + cooldown)
"""


class CircuitBreaker:
    """Zendesk's health as all workers see it (see the module docstring)."""

    def __init__(self, redis: Redis, keys: Keys, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.clock = clock
        self._keys = [keys("zendesk", "breaker"), keys("zendesk", "breaker", "probe")]
        self._check = redis.register_script(_CHECK)
        self._fail = redis.register_script(_FAIL)
        self._maybe_open = False  # this process saw a failure or a probe: a success must close

    def wait_seconds(self) -> float:
        """0 when a call may go now; else how long to wait before trying Zendesk again."""
        raw = self._check(keys=self._keys, args=[f"{self.clock():.3f}", PROBE_SECONDS, FIRST_COOLDOWN_SECONDS])
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        if text in ("probe", "counting"):
            self._maybe_open = True
            return 0.0
        wait = float(text)
        if wait > 0:
            return wait + random.uniform(0.5, 0.5 + min(wait, MAX_COOLDOWN_SECONDS) / 2)
        return 0.0

    def failed(self) -> float:
        """Count one failed attempt; returns seconds until the breaker lets calls through
        again when this failure opened it (or it is open), else 0."""
        self._maybe_open = True
        now = self.clock()
        raw = self._fail(keys=self._keys, args=[f"{now:.3f}", FAILURES_TO_OPEN, FIRST_COOLDOWN_SECONDS,
                                                MAX_COOLDOWN_SECONDS, STATE_TTL_SECONDS])
        open_until = float(raw.decode() if isinstance(raw, bytes) else raw)
        return max(0.0, open_until - now) if open_until else 0.0

    def succeeded(self) -> None:
        """An answer below 500: Zendesk is up. Writes only when this process saw trouble."""
        if self._maybe_open:
            self.redis.delete(*self._keys)
            self._maybe_open = False

    def is_open(self) -> bool:
        """For /metrics and tests: is Zendesk work paused right now?"""
        raw = self.redis.hget(self._keys[0], "open_until")
        return raw is not None and float(raw) > self.clock()
