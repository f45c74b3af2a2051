"""Alerts in order: an alert waits for the alerts before it that go the same way.

Why: under a spent Zendesk budget (or a 429, or Zendesk down) an alert's fan-out waits for
the read of the customer's organisation that finds its Engagement Director, while the fan-outs
behind it that need no read (or found it cached) went ahead. People were told in whatever
order the waits ended: the Head of Support heard of an incident declared later before one
declared earlier (docs/reliability.md has the chaos run that showed it), and an incident's
"resolved" could overtake its "declared". A retried delivery (a destination that
refused for a while) was overtaken the same way.

So each step that can wait is put in a *lane*, a line ordered by the time of the event the
alert is about (the declaration time for ``incident.declared``), and runs only at the head of
its lane:

* two fan-out lanes, for the two halves of every fan-out: ``static`` (the roles whose
  destinations are fixed in config: Head of Support, CTO, …) and ``director`` (the Engagement
  Director, whose destination may need a Zendesk read). A director waiting for Zendesk holds
  back only the directors' alerts behind it; the Head of Support still hears at once when
  Zendesk is down (``jobs.alerts.notify``);
* one lane per destination (an Apprise URL, by fingerprint) for the deliveries: a destination
  gets its alerts one at a time, in order, and a retried delivery holds back the later ones
  to the same destination only.

A job that is not at the head of its lane *parks*: it records that and ends, without polling.
When the head leaves (done), the next entry, if parked, is started again (*kicked*) from the
job description stored with it. Joining, taking a turn and leaving are each one Redis script,
so a job parks and the head leaves without a lost wake-up between them.

Nothing is lost to ordering: an entry that is no longer in its lane (done, or dropped) goes
ahead unordered, and :func:`sweep` (every minute, from every worker's ticker) starts again a
head whose job is gone without having left, and after ``MAX_KICKS`` tries drops it so the
lane moves on.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from rq import Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from jobs import runtime
from jobs.runtime import Runtime
from middleware.store import queues

log = logging.getLogger(__name__)

__all__ = [
    "DIRECTOR",
    "GO",
    "GONE",
    "STATIC",
    "WAIT",
    "Kick",
    "dest_lane",
    "join",
    "leave",
    "renew",
    "score_of",
    "sweep",
    "sweep_with",
    "turn",
]

STATIC, DIRECTOR = "fanout-static", "fanout-director"
GO, WAIT, GONE = "go", "wait", "gone"
LEASE_SECONDS = 300  # a head not heard of for this long is checked by the sweep
ENTRY_TTL_SECONDS = 3 * 86400  # longer than any wait (an outage: about a day)
MAX_KICKS = 3  # a head whose job keeps vanishing is dropped after this many restarts
_ALIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}

# KEYS: lane zset, entry hash, lanes set. ARGV: member, score, kick (JSON), job id, lease
# until, TTL, lane name. 1 if the member joined, 0 if it was in the lane already.
_JOIN = """
if redis.call("ZSCORE", KEYS[1], ARGV[1]) then return 0 end
redis.call("ZADD", KEYS[1], ARGV[2], ARGV[1])
redis.call("HSET", KEYS[2], "kick", ARGV[3], "job", ARGV[4], "lease", ARGV[5], "parked", "0", "kicks", "0")
redis.call("EXPIRE", KEYS[2], ARGV[6])
redis.call("EXPIRE", KEYS[1], ARGV[6])
redis.call("SADD", KEYS[3], ARGV[7])
return 1
"""

# KEYS: lane zset, entry hash. ARGV: member, lease until, TTL. "go" at the head, "wait" (and
# parked) behind it, "gone" when the member is not in the lane.
_TURN = """
if not redis.call("ZSCORE", KEYS[1], ARGV[1]) then return "gone" end
local head = redis.call("ZRANGE", KEYS[1], 0, 0)[1]
local parked = "1"
if head == ARGV[1] then parked = "0" end
redis.call("HSET", KEYS[2], "parked", parked, "lease", ARGV[2])
redis.call("EXPIRE", KEYS[2], ARGV[3])
if parked == "0" then return "go" end
return "wait"
"""

# KEYS: lane zset, entry hash, lanes set. ARGV: member, lane name, entry key prefix. Returns
# {next member, its kick, its kick count} when the new head was parked (the caller starts
# it), else false.
_LEAVE = """
redis.call("ZREM", KEYS[1], ARGV[1])
redis.call("DEL", KEYS[2])
local head = redis.call("ZRANGE", KEYS[1], 0, 0)[1]
if not head then
  redis.call("SREM", KEYS[3], ARGV[2])
  return false
end
local entry = ARGV[3] .. head
if redis.call("HGET", entry, "parked") ~= "1" then return false end
redis.call("HSET", entry, "parked", "0")
local kicks = redis.call("HINCRBY", entry, "kicks", 1)
return {head, redis.call("HGET", entry, "kick") or "", kicks}
"""


@dataclass(frozen=True)
class Kick:
    """How to start an entry's job again: its function, arguments and RQ options."""

    func: str
    args: list[Any]
    stage: str
    job_id: str
    description: str
    timeout: int = 120
    retry_max: int = 0
    retry_intervals: list[int] = field(default_factory=list)
    result_ttl: int = 86400
    failure_ttl: int = 365 * 86400

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Kick:
        return cls(**json.loads(raw))

    def enqueue(self, rt: Runtime, lane: str, n: int) -> str | None:
        """Queue the job again as ``<job_id>-<lane kind>-k<n>``; its id, or None if that one
        exists already.

        The lane is in the id because a fan-out waits in two lines with one job: each line
        starts it again with its own count, and the director line's first start must not be
        refused as a duplicate of the static line's (it then waited for the sweep).
        """
        job_id = f"{self.job_id}-{_lane_kind(lane)}-k{n}"
        retry = Retry(max=self.retry_max, interval=list(self.retry_intervals)) if self.retry_max else None
        try:
            queues.queue(self.stage, rt.redis, rt.keys).enqueue(
                self.func, args=tuple(self.args), job_id=job_id, unique=True, retry=retry,
                job_timeout=self.timeout, result_ttl=self.result_ttl, failure_ttl=self.failure_ttl,
                description=self.description)
        except DuplicateJobError:
            return None
        return job_id


def score_of(at: datetime) -> float:
    """An event's place in its lanes: its time, to the millisecond."""
    return float(round(at.timestamp() * 1000))


def dest_lane(fingerprint: str) -> str:
    """The lane of one destination (an Apprise URL, by its fingerprint: no secret in a key)."""
    return f"dest-{fingerprint}"


def _lane_kind(lane: str) -> str:
    """``static``, ``director`` or ``dest``: a member is in at most one lane of each kind."""
    return {STATIC: "static", DIRECTOR: "director"}.get(lane, "dest")


def _keys(rt: Runtime, lane: str, member: str) -> tuple[str, str, str]:
    return rt.keys("alert", "lane", lane), rt.keys("alert", "lane", lane, member), rt.keys("alert", "lanes")


def join(rt: Runtime, lane: str, member: str, score: float, kick: Kick) -> bool:
    """Put ``member`` in ``lane`` at ``score`` (once: False if it is there already). Join
    before queueing its job, so the job never runs ahead of a lane it belongs to."""
    lane_key, entry, lanes = _keys(rt, lane, member)
    joined = rt.redis.register_script(_JOIN)(
        keys=[lane_key, entry, lanes],
        args=[member, score, kick.to_json(), kick.job_id, time.time() + LEASE_SECONDS, ENTRY_TTL_SECONDS, lane])
    return bool(joined)


def turn(rt: Runtime, lane: str, member: str) -> str:
    """``GO`` at the head of the lane; ``WAIT`` behind it (parked: the job should end, it is
    started again when its turn comes); ``GONE`` when not in the lane (go ahead, unordered)."""
    lane_key, entry, _ = _keys(rt, lane, member)
    raw = rt.redis.register_script(_TURN)(keys=[lane_key, entry],
                                          args=[member, time.time() + LEASE_SECONDS, ENTRY_TTL_SECONDS])
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def renew(rt: Runtime, lane: str, member: str, job_id: str | None = None) -> None:
    """The head is still at it (waiting for the budget or for Zendesk, or retrying): keep its
    place, and note the job that will run it next (``job_id``) for the sweep."""
    _, entry, _ = _keys(rt, lane, member)
    pipe = rt.redis.pipeline(transaction=False)
    mapping = {"lease": time.time() + LEASE_SECONDS}
    if job_id:
        mapping["job"] = job_id
    pipe.hset(entry, mapping=mapping)
    pipe.expire(entry, ENTRY_TTL_SECONDS)
    pipe.execute()


def leave(rt: Runtime, lane: str, member: str) -> None:
    """``member`` is done (sent, or given up on for good): the next in line, if parked, starts."""
    lane_key, entry, lanes = _keys(rt, lane, member)
    prefix = rt.keys("alert", "lane", lane, "")
    result = rt.redis.register_script(_LEAVE)(keys=[lane_key, entry, lanes], args=[member, lane, prefix])
    if result:
        head, raw_kick, kicks = result
        _start(rt, lane, _text(head), raw_kick, int(kicks))


def _start(rt: Runtime, lane: str, member: str, raw_kick: Any, n: int) -> None:
    if not raw_kick:
        return
    job_id = Kick.from_json(raw_kick).enqueue(rt, lane, n)
    if job_id:
        renew(rt, lane, member, job_id)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# -- the safety net -----------------------------------------------------------------------------
def sweep() -> str:
    """RQ entry point (every minute, ``middleware.worker``): see :func:`sweep_with`."""
    counts = sweep_with(runtime.get())
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing to do"


def sweep_with(rt: Runtime, now: float | None = None) -> dict[str, int]:
    """Every lane whose head has not been heard of for ``LEASE_SECONDS``: if its job is still
    queued, scheduled or running, keep it; if the job is gone without leaving (it failed for
    good, or was lost), start it again, at most ``MAX_KICKS`` times, then drop it so the lane
    moves on. A lane whose head's record expired is cleaned up the same way."""
    now = time.time() if now is None else now
    counts: dict[str, int] = {}
    for raw_lane in rt.redis.smembers(rt.keys("alert", "lanes")):
        lane = _text(raw_lane)
        lane_key, _, lanes = _keys(rt, lane, "")
        head = rt.redis.zrange(lane_key, 0, 0)
        if not head:
            rt.redis.srem(lanes, lane)
            continue
        member = _text(head[0])
        _, entry, _ = _keys(rt, lane, member)
        data = {_text(k): _text(v) for k, v in rt.redis.hgetall(entry).items()}
        if data and float(data.get("lease") or 0) > now:
            continue
        if data and _alive(rt, data.get("job")):
            renew(rt, lane, member)
            counts["alive"] = counts.get("alive", 0) + 1
            continue
        kicks = int(data.get("kicks") or 0)
        if data.get("kick") and kicks < MAX_KICKS:
            rt.redis.hincrby(entry, "kicks", 1)
            rt.redis.hset(entry, "parked", "0")
            _start(rt, lane, member, data["kick"], kicks + 1)
            log.warning("alert lane %s: %s had stopped without finishing; started again", lane, member)
            counts["restarted"] = counts.get("restarted", 0) + 1
            continue
        log.warning("alert lane %s: dropped %s after %d restarts; the next alert goes on", lane, member, kicks)
        leave(rt, lane, member)
        counts["dropped"] = counts.get("dropped", 0) + 1
    return counts


def _alive(rt: Runtime, job_id: str | None) -> bool:
    if not job_id:
        return False
    try:
        return Job.fetch(job_id, connection=rt.redis).get_status() in _ALIVE
    except NoSuchJobError:
        return False
