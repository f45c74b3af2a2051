"""A circuit breaker shared by every worker: while Zendesk is down, Zendesk work waits.

Why: RQ's retry schedule (5, 15, 30, 60, 120 s) is about four minutes long. A Zendesk outage
longer than that used to push every triage job through all its tries into the failed
registry, where nothing runs it again, and each try spent a worker on calls certain to fail.
Once the breaker is open a Zendesk call raises
:class:`~middleware.zendesk.errors.ZendeskUnavailable` at once, without touching the network: a
:class:`~middleware.zendesk.errors.RateLimited`, so every job that reschedules itself on a 429
waits out an outage the same way, without spending one of its RQ retries.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from redis import Redis

from middleware.store.connection import Keys

FAILURES_TO_OPEN = 5  # failed HTTP attempts in a row (a call makes up to 3)
FIRST_COOLDOWN_SECONDS = 2.0  # between probes: 2 s, doubling to MAX_COOLDOWN_SECONDS
MAX_COOLDOWN_SECONDS = 5.0
MAX_WAIT_SECONDS = 60.0  # the longest a waiting job sleeps (the watcher wakes it sooner)
PROBE_SECONDS = 30  # a probe that never reports (its worker died) frees the slot after this
STATE_TTL_SECONDS = 3600
CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"

# KEYS[1] state hash, KEYS[2] probe lock. ARGV[1] now, ARGV[2] probe lock TTL, ARGV[3] first cooldown.
# Returns "0" = go ahead ("counting" while closed with failures counted, "probe" when this
# caller is the half-open probe), else "<seconds until the next probe>|<seconds down so far>".
_CHECK = """
local open_until = tonumber(redis.call("HGET", KEYS[1], "open_until") or "0")
if open_until == 0 then
  if redis.call("EXISTS", KEYS[1]) == 1 then return "counting" end
  return "0"
end
local now = tonumber(ARGV[1])
local since = tonumber(redis.call("HGET", KEYS[1], "since") or ARGV[1])
if now < open_until then return tostring(open_until - now) .. "|" .. tostring(now - since) end
if redis.call("SET", KEYS[2], ARGV[1], "NX", "EX", ARGV[2]) then return "probe" end
local cooldown = tonumber(redis.call("HGET", KEYS[1], "cooldown") or ARGV[3])
return tostring(cooldown) .. "|" .. tostring(now - since)
"""

# KEYS[1] state hash, KEYS[2] probe lock. ARGV: now, failures to open, first cooldown, max
# cooldown, state TTL. Returns "0" while still closed, else "<open_until>|<since>".
_FAIL = """
local now = tonumber(ARGV[1])
local failures = redis.call("HINCRBY", KEYS[1], "failures", 1)
redis.call("EXPIRE", KEYS[1], ARGV[5])
local open_until = tonumber(redis.call("HGET", KEYS[1], "open_until") or "0")
if open_until > now then return tostring(open_until) .. "|" .. (redis.call("HGET", KEYS[1], "since") or ARGV[1]) end
if failures < tonumber(ARGV[2]) then return "0" end
local cooldown = tonumber(ARGV[3])
if open_until > 0 then
  cooldown = math.min(tonumber(ARGV[4]), 2 * tonumber(redis.call("HGET", KEYS[1], "cooldown") or ARGV[3]))
end
redis.call("HSETNX", KEYS[1], "since", ARGV[1])
redis.call("HSET", KEYS[1], "open_until", tostring(now + cooldown), "cooldown", tostring(cooldown))
redis.call("DEL", KEYS[2])
return tostring(now + cooldown) .. "|" .. redis.call("HGET", KEYS[1], "since")
"""


def job_wait(until_probe: float, down_for: float) -> float:
    """How long a job should sleep: until the next probe at least, else as long as Zendesk has
    been down so far (up to ``MAX_WAIT_SECONDS``), plus up to 1.5 s so a backlog is spread."""
    return max(until_probe, min(MAX_WAIT_SECONDS, down_for)) + random.uniform(0.5, 1.5)


class CircuitBreaker:
    """Zendesk's health as all workers see it.

    States, kept in one Redis hash so all workers agree:

    * **closed** (no hash): calls go through; each failed HTTP attempt (connection error, timeout,
      5xx) counts, any answer below 500 resets the count;
    * **open** (``open_until`` in the future): after ``FAILURES_TO_OPEN`` failed attempts in a
      row; callers are told to come back later (below);
    * **half open** (``open_until`` passed): one caller at a time (a Redis lock) probes with its
      real call; a success closes the breaker, a failure opens it again for twice as long (up to
      ``MAX_COOLDOWN_SECONDS``).

    Two clocks, so that recovery takes seconds without a backlog churning while Zendesk is down:

    * **probes** go every ``FIRST_COOLDOWN_SECONDS``, doubling to ``MAX_COOLDOWN_SECONDS`` (5 s):
      the worker's watcher (``jobs.zendesk_watch``) sends one as soon as one is due, so the
      breaker closes within a few seconds of Zendesk answering again;
    * **waiting jobs** are told to come back after as long as the outage has lasted so far
      (``since``), between the next probe and ``MAX_WAIT_SECONDS``, plus a little jitter: a
      thousand waiting jobs wake about once a minute, not every five seconds. They need not wait
      that long: when the breaker closes, the watcher makes them due at once.

    Every step is one Redis round trip (a script), and only failures write.
    """

    def __init__(self, redis: Redis, keys: Keys, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.clock = clock
        self._keys = [keys("zendesk", "breaker"), keys("zendesk", "breaker", "probe")]
        self._check = redis.register_script(_CHECK)
        self._fail = redis.register_script(_FAIL)
        self._maybe_open = False  # this process saw a failure or a probe: a success must close
        self._probing = False  # this caller holds the half-open probe slot

    def wait_seconds(self) -> float:
        """0 when a call may go now; else how long to wait before trying Zendesk again."""
        self._probing = False
        raw = self._check(keys=self._keys, args=[f"{self.clock():.3f}", PROBE_SECONDS, FIRST_COOLDOWN_SECONDS])
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        if text in ("probe", "counting"):
            self._maybe_open = True
            self._probing = text == "probe"
            return 0.0
        if text == "0":
            return 0.0
        until_probe, _, down_for = text.partition("|")
        return job_wait(float(until_probe), float(down_for or 0))

    def failed(self) -> float:
        """Count one failed attempt; returns how long a job should wait when this failure opened
        the breaker (or it is open), else 0."""
        self._maybe_open = True
        self._probing = False
        now = self.clock()
        raw = self._fail(keys=self._keys, args=[f"{now:.3f}", FAILURES_TO_OPEN, FIRST_COOLDOWN_SECONDS,
                                                MAX_COOLDOWN_SECONDS, STATE_TTL_SECONDS])
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        if text == "0":
            return 0.0
        open_until, _, since = text.partition("|")
        return job_wait(max(0.0, float(open_until) - now), now - float(since or now))

    def release_probe(self) -> None:
        """This caller took the probe slot but will not call (its budget said "later"): let the
        next caller probe at once rather than after ``PROBE_SECONDS``."""
        if self._probing:
            self.redis.delete(self._keys[1])
            self._probing = False

    def succeeded(self) -> None:
        """An answer below 500: Zendesk is up. Writes only when this process saw trouble."""
        if self._maybe_open:
            self.redis.delete(*self._keys)
            self._maybe_open = False

    def is_open(self) -> bool:
        """For /metrics and tests: is Zendesk work paused right now?"""
        return self.state() == OPEN

    def state(self) -> str:
        """``closed``, ``open`` (no call until the next probe) or ``half_open`` (a probe is due)."""
        raw = self.redis.hget(self._keys[0], "open_until")
        if raw is None or float(raw) == 0:
            return CLOSED
        return OPEN if float(raw) > self.clock() else HALF_OPEN
