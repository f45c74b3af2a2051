"""The per-minute budget of Zendesk calls that every worker shares, kept in Redis.

Zendesk's limits are per account, so one process counting its own calls is not enough: the
product as a whole must never exceed ``zendesk.requests_per_minute`` (and the other windows of
``middleware.zendesk.limits``). A slot is taken before each request leaves.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from redis import Redis

from middleware.store.connection import Keys
from middleware.zendesk.errors import RateLimited
from middleware.zendesk.limits import SLACK_SECONDS, URGENT, Limits, current_lane, windows_for

# One sliding window per pair of keys: KEYS[2i-1] the slots taken (zset: member -> time),
# KEYS[2i] the callers told to wait (member -> wake time). ARGV[1] now (epoch s), ARGV[2] a
# unique member, then per window: ARGV[3i] its length (s), ARGV[3i+1] its limit, ARGV[3i+2] the
# slots this call needs (capped at the limit: such a call waits for an empty window).
# All windows are taken or none. Returns "0" when the call may go now, else the seconds to wait
# for the last of its windows to free (a string: Lua numbers would come back as integers).
_BUDGET_SCRIPT = """
local now, member = tonumber(ARGV[1]), ARGV[2]
local n = #KEYS / 2
local worst = 0
local waits = {}
for i = 1, n do
  local calls = KEYS[2 * i - 1]
  local window, limit, cost = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  if cost > limit then cost = limit end
  redis.call("ZREMRANGEBYSCORE", calls, "-inf", now - window)
  local used = redis.call("ZCARD", calls)
  if used + cost > limit then
    local waiting = KEYS[2 * i]
    redis.call("ZREMRANGEBYSCORE", waiting, "-inf", now)
    local ahead = redis.call("ZCARD", waiting)
    local index = used + cost - 1 - limit + (ahead % limit)
    if index > used - 1 then index = used - 1 end
    local slot = redis.call("ZRANGE", calls, index, index, "WITHSCORES")
    local wait = tonumber(slot[2]) + window * (1 + math.floor(ahead / limit)) - now
    waits[i] = wait
    if wait > worst then worst = wait end
  end
end
if worst > 0 then
  for i = 1, n do
    if waits[i] then
      local waiting = KEYS[2 * i]
      redis.call("ZADD", waiting, now + waits[i], member)
      if redis.call("TTL", waiting) < math.ceil(waits[i]) + 1 then
        redis.call("EXPIRE", waiting, math.ceil(waits[i]) + 1)
      end
    end
  end
  return tostring(worst)
end
for i = 1, n do
  local calls = KEYS[2 * i - 1]
  local window, limit, cost = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  if cost > limit then cost = limit end
  for j = 1, cost do
    redis.call("ZADD", calls, now, member .. ":" .. j)
  end
  redis.call("EXPIRE", calls, math.ceil(window) + 1)
end
return "0"
"""


class CallBudget:
    """Zendesk's rate limits, shared by every worker, each enforced over *any* window.

    Why sliding windows and not a counter per wall-clock minute: a per-minute counter lets the
    whole budget go out at 12:00:59 and again at 12:01:00, twice the limit within two seconds,
    and Zendesk's own minute need not start when ours does (docs/benchmarks.md: what the budget
    benchmark measured either way). Here the time of every call in a window is kept in one
    sorted set per window, so no window, however placed, holds more than its limit.

    Every call spends the account's requests-per-minute window; a ticket update also spends the
    account's ticket-updates window and the ticket's own 10-minute window, an incremental export
    the exports window (``middleware.zendesk.limits``: which, and Zendesk's figures). A bulk
    update spends one update per ticket it names. A call takes all its windows or none, in one
    Redis round trip (a script), so a refused call costs nothing against any of them.

    A refused caller is told to come back when the last of its windows frees; callers refused
    one after the other are given successive slots (and later windows once those run out)
    rather than all the same one, so a backlog wakes up a few jobs at a time instead of all of
    them every second.

    Each window is half a second longer than Zendesk's: a slot is taken just before the request
    leaves, and the time it takes to reach Zendesk varies (with an exact window, more calls than
    the budget reached Zendesk within one: docs/benchmarks.md).

    A call in the background lane (``middleware.zendesk.limits.lane``) may fill the account-wide
    windows only up to their share kept for urgent work, and waits in a line of its own: a new
    critical flag never waits behind SLA reminders, and is never given a slot after theirs.
    """

    WINDOW_SECONDS = 60.0 + SLACK_SECONDS

    def __init__(self, redis: Redis, keys: Keys, per_minute: int | None = None,
                 clock: Callable[[], float] = time.time, limits: Limits | None = None) -> None:
        self.redis = redis
        self.keys = keys
        if limits is None:
            limits = Limits() if per_minute is None else Limits(requests_per_minute=per_minute)
        elif per_minute is not None:
            limits = replace(limits, requests_per_minute=per_minute)
        self.limits = limits
        self.per_minute = limits.requests_per_minute
        self.clock = clock
        self._script = redis.register_script(_BUDGET_SCRIPT)

    def take(self, method: str = "GET", path: str = "/", body: Any = None,
             query: Mapping[str, Any] | None = None, lane: str | None = None) -> None:
        """Take a slot in every window this call spends, or raise :class:`RateLimited` with the
        seconds until they have all freed. ``lane``: the caller's (default: the current one)."""
        lane = lane or current_lane()
        windows = windows_for(self.limits, method, path, body, query, lane)
        now = self.clock()
        member = f"{now:.6f}-{os.urandom(4).hex()}"
        line = ("waiting",) if lane == URGENT else ("waiting", lane)
        keys: list[str] = []
        args: list[Any] = [f"{now:.6f}", member]
        for w in windows:
            keys += [self.keys("zendesk", "budget", *w.key), self.keys("zendesk", "budget", *w.key, *line)]
            args += [w.seconds, w.limit, w.cost]
        raw = self._script(keys=keys, args=args)
        wait = float(raw.decode() if isinstance(raw, bytes) else raw)
        if wait > 0:
            # Half a second more: RQ's scheduler runs a rescheduled job on a whole second.
            raise RateLimited(wait + 0.5, source="budget")
