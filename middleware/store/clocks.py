"""The SLA clock's record in Redis, and the one atomic operation that changes it.

One hash per incident (``{prefix}:sla:{incident_id}``) holds the clock: when it started, the
promise it was started with, its state, and the next *step* it waits for. Steps are numbered:
``0 … w-1`` are the warnings, ``w`` is the breach, ``w+1, w+2, …`` are the breach reminders,
each at a fixed offset from the start, so a step number alone says what to do and when.

Every change is a *transition* applied by :meth:`ClockStore.apply`: a compare-and-set on the
clock's sequence number (a Lua script, so it is atomic in Redis). Two timers, the audit and an
event for the same incident may race; exactly one of them changes the clock, and the others see
a newer sequence number, re-read and usually find nothing left to do. A transition also appends
itself to the clock's outbox, which :mod:`jobs.sla.writeback` announces and writes to Zendesk
afterwards; ``written`` says how far that got, so a crash between the two only delays the write.

Two sorted sets index the clocks for the periodic audit: ``sla:next`` (incident → when its next
step is due) and ``sla:unsynced`` (incident → since when its outbox has unwritten transitions).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from redis import Redis

from middleware.store.connection import Keys
from rules.model import format_time, parse_time

PENDING = "pending"
AT_RISK = "at_risk"
MET = "met"
BREACHED = "breached"
CANCELLED = "cancelled"

KEEP = -1  # Change.next_step: leave the next step as it is

WARNING = "warning"
BREACH = "breach"
REMINDER = "reminder"

# Clock changes: compare the sequence number, set fields, queue the transition, index the next step.
# ARGV[7] = '1': the transition is already on the ticket (it rode on another write), so it is
# recorded as written instead of queued for the writer.
_APPLY = """
local cur = redis.call('HGET', KEYS[1], 'seq')
local expected = tonumber(ARGV[1])
if expected == 0 then
  if cur then return 0 end
elseif (not cur) or tonumber(cur) ~= expected then
  return 0
end
local fields = cjson.decode(ARGV[3])
for k, v in pairs(fields) do redis.call('HSET', KEYS[1], k, v) end
redis.call('HSET', KEYS[1], 'seq', expected + 1)
if ARGV[7] == '1' then
  redis.call('HSET', KEYS[1], 'written', expected + 1)
else
  redis.call('RPUSH', KEYS[2], ARGV[4])
  redis.call('ZADD', KEYS[4], 'NX', ARGV[6], ARGV[2])
end
if ARGV[5] == '-' then
  redis.call('ZREM', KEYS[3], ARGV[2])
elseif ARGV[5] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[2])
end
return 1
"""

# After a transition reached Zendesk: advance ``written``, drop written entries, unindex if done.
_WRITTEN = """
local written = tonumber(redis.call('HGET', KEYS[1], 'written') or '0')
local seq = tonumber(ARGV[1])
if seq > written then
  redis.call('HSET', KEYS[1], 'written', seq)
  written = seq
end
while true do
  local head = redis.call('LINDEX', KEYS[2], 0)
  if not head or tonumber(cjson.decode(head)['seq']) > written then break end
  redis.call('LPOP', KEYS[2])
end
if written >= tonumber(redis.call('HGET', KEYS[1], 'seq') or '0') then
  redis.call('ZREM', KEYS[3], ARGV[2])
end
return written
"""

# Keep the newest ``updated_at`` we have seen, so a safe update rarely needs a read first.
_STAMP = """
local cur = redis.call('HGET', KEYS[1], 'stamp_score')
if not cur then
  if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
elseif tonumber(cur) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'stamp_score', ARGV[1], 'ticket_stamp', ARGV[2])
return 1
"""


@dataclass(frozen=True)
class Transition:
    """One change of the clock, as queued for Zendesk and the alerts.

    ``note`` is the internal note to add (None: nothing to write on the ticket), ``retag`` says
    whether the SLA tag changes, ``alert``/``occurrence`` the alert to raise, and ``timeline`` /
    ``dedupe`` the incident timeline entry (recorded once per key).
    """

    seq: int
    kind: str
    state: str
    at: str
    note: str | None = None
    retag: bool = False
    alert: str | None = None
    occurrence: str = ""
    timeline: str = ""
    dedupe: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: bytes | str) -> Transition:
        return cls(**json.loads(raw))

    @property
    def moment(self) -> datetime:
        return parse_time(self.at)  # type: ignore[return-value]


@dataclass(frozen=True)
class Clock:
    """One incident's SLA clock, as read from Redis (immutable: changes go through ``apply``)."""

    incident_id: int
    ticket_id: int
    category: str | None
    started_at: datetime  # what the clock counts from (ticket creation or declaration)
    from_start: bool  # critical from the ticket's creation
    recorded_at: datetime  # when we started it: steps due before then were never "late"
    first_response: timedelta
    warnings: tuple[timedelta, ...]
    reminder_every: timedelta
    state: str = PENDING
    seq: int = 0
    written: int = 0
    next_step: int | None = 0
    responded_at: datetime | None = None
    responded_by: str | None = None
    ticket_stamp: datetime | None = None

    # -- the steps ---------------------------------------------------------------------
    @property
    def due_at(self) -> datetime:
        return self.started_at + self.first_response

    @property
    def generation(self) -> int:
        """Tells this clock's timers from those of an earlier clock for the same incident."""
        return int(self.recorded_at.timestamp())

    @property
    def breach_step(self) -> int:
        return len(self.warnings)

    def step_kind(self, step: int) -> tuple[str, int]:
        """(warning, i) · (breach, 0) · (reminder, n) for n = 1, 2, …"""
        if step < self.breach_step:
            return WARNING, step
        if step == self.breach_step:
            return BREACH, 0
        return REMINDER, step - self.breach_step

    def step_at(self, step: int) -> datetime:
        kind, index = self.step_kind(step)
        if kind == WARNING:
            return self.started_at + self.warnings[index]
        return self.due_at + self.reminder_every * index

    def latest_due_step(self, now: datetime, tolerance: timedelta) -> int | None:
        """The furthest step due by ``now``: after downtime, older warnings or reminders are
        superseded by the latest one rather than all sent at once."""
        if self.next_step is None or self.step_at(self.next_step) > now + tolerance:
            return None
        step = self.next_step
        if step < self.breach_step:
            while step + 1 <= self.breach_step and self.step_at(step + 1) <= now + tolerance:
                step += 1
            return step
        return max(step, self._reminders_due(now + tolerance)) if step > self.breach_step else step

    def next_after(self, step: int, now: datetime, tolerance: timedelta) -> int:
        """The step to wait for once ``step`` was acted on at ``now``: reminders that fell due
        while the workers were down are skipped, never sent in a burst."""
        if step < self.breach_step:
            return step + 1
        return max(step + 1, self._reminders_due(now + tolerance) + 1)

    def _reminders_due(self, now: datetime) -> int:
        """The step number of the latest reminder due by ``now`` (the breach step if none)."""
        return self.breach_step + max(0, math.floor((now - self.due_at) / self.reminder_every))

    # -- (de)serialisation ----------------------------------------------------------------
    def to_redis(self) -> dict[str, str]:
        return {
            "incident_id": str(self.incident_id),
            "ticket_id": str(self.ticket_id),
            "category": self.category or "",
            "started_at": format_time(self.started_at) or "",
            "from_start": "1" if self.from_start else "0",
            "recorded_at": format_time(self.recorded_at) or "",
            "first_response": str(self.first_response.total_seconds()),
            "warnings": json.dumps([w.total_seconds() for w in self.warnings]),
            "reminder_every": str(self.reminder_every.total_seconds()),
            "state": self.state,
            "written": str(self.written),
            "next_step": "" if self.next_step is None else str(self.next_step),
            "responded_at": format_time(self.responded_at) or "",
            "responded_by": self.responded_by or "",
        }

    @classmethod
    def from_redis(cls, raw: dict[bytes, bytes]) -> Clock:
        d = {k.decode(): v.decode() for k, v in raw.items()}
        return cls(
            incident_id=int(d["incident_id"]),
            ticket_id=int(d["ticket_id"]),
            category=d.get("category") or None,
            started_at=parse_time(d["started_at"]),  # type: ignore[arg-type]
            from_start=d.get("from_start") == "1",
            recorded_at=parse_time(d["recorded_at"]),  # type: ignore[arg-type]
            first_response=timedelta(seconds=float(d["first_response"])),
            warnings=tuple(timedelta(seconds=s) for s in json.loads(d.get("warnings") or "[]")),
            reminder_every=timedelta(seconds=float(d["reminder_every"])),
            state=d.get("state", PENDING),
            seq=int(d.get("seq") or 0),
            written=int(d.get("written") or 0),
            next_step=int(d["next_step"]) if d.get("next_step") else None,
            responded_at=parse_time(d.get("responded_at")),
            responded_by=d.get("responded_by") or None,
            ticket_stamp=parse_time(d.get("ticket_stamp")),
        )


@dataclass(frozen=True)
class Change:
    """What a transition does to the clock: new field values, the outbox entry, the next step."""

    entry: Transition
    state: str | None = None
    next_step: int | None = KEEP  # KEEP: unchanged; None: no further step
    responded_at: datetime | None = None
    responded_by: str | None = None


def _next_arg(clock: Clock) -> str:
    """The ``sla:next`` score of the clock's next step, or ``-`` to unindex a stopped clock."""
    return "-" if clock.next_step is None else repr(clock.step_at(clock.next_step).timestamp())


class ClockStore:
    """Reads clocks and applies transitions under one key prefix."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._apply = redis.register_script(_APPLY)
        self._written = redis.register_script(_WRITTEN)
        self._stamp = redis.register_script(_STAMP)

    def key(self, incident_id: int) -> str:
        return self.keys("sla", incident_id)

    def outbox_key(self, incident_id: int) -> str:
        return self.keys("sla", incident_id, "outbox")

    @property
    def next_index(self) -> str:
        return self.keys("sla", "next")

    @property
    def unsynced_index(self) -> str:
        return self.keys("sla", "unsynced")

    def get(self, incident_id: int) -> Clock | None:
        return self.parse(self.redis.hgetall(self.key(incident_id)))

    @staticmethod
    def parse(raw: dict[bytes, bytes]) -> Clock | None:
        """The clock in an HGETALL reply of its hash; None when there is no clock (a hash with
        only the ticket's stamp, or none at all)."""
        return Clock.from_redis(raw) if raw and b"started_at" in raw else None

    def create(self, clock: Clock, entry: Transition, now: datetime, *, written: bool = False) -> bool:
        """Record a new clock with its first transition; False if the incident has one already.

        ``written``: that transition already reached the ticket (the declaring write carried
        it), so nothing waits for the writer and the audit has nothing to catch up on.
        """
        return self._run(0, clock.incident_id, clock.to_redis(), entry, _next_arg(clock), now, written=written)

    def apply(self, clock: Clock, change: Change, now: datetime) -> bool:
        """Apply ``change`` if ``clock`` is still the latest version; False if someone was first."""
        updated = replace(
            clock,
            state=change.state or clock.state,
            next_step=clock.next_step if change.next_step == KEEP else change.next_step,
            responded_at=change.responded_at or clock.responded_at,
            responded_by=change.responded_by or clock.responded_by,
        )
        fields = {k: v for k, v in updated.to_redis().items()
                  if k in ("state", "next_step", "responded_at", "responded_by")}
        next_arg = "" if change.next_step == KEEP else _next_arg(updated)
        return self._run(clock.seq, clock.incident_id, fields, change.entry, next_arg, now)

    def _run(self, expected: int, incident_id: int, fields: dict[str, str], entry: Transition,
             next_arg: str, now: datetime, *, written: bool = False) -> bool:
        keys = [self.key(incident_id), self.outbox_key(incident_id), self.next_index, self.unsynced_index]
        args = [expected, incident_id, json.dumps(fields), entry.to_json(), next_arg, repr(now.timestamp()),
                "1" if written else "0"]
        return bool(self._apply(keys=keys, args=args))

    def outbox(self, incident_id: int) -> list[Transition]:
        """Transitions not yet written to Zendesk, oldest first."""
        written = int(self.redis.hget(self.key(incident_id), "written") or 0)
        entries = (Transition.from_json(x) for x in self.redis.lrange(self.outbox_key(incident_id), 0, -1))
        return [e for e in entries if e.seq > written]

    def mark_written(self, incident_id: int, seq: int) -> None:
        self._written(keys=[self.key(incident_id), self.outbox_key(incident_id), self.unsynced_index],
                      args=[seq, incident_id])

    def note_stamp(self, incident_id: int, stamp: datetime | None) -> None:
        """Remember the ticket's newest ``updated_at`` (older ones are ignored)."""
        if stamp is not None:
            self._stamp(keys=[self.key(incident_id)], args=[repr(stamp.timestamp()), format_time(stamp)])

    def overdue(self, before: datetime) -> list[int]:
        """Clocks whose next step was due before ``before``."""
        return [int(x) for x in self.redis.zrangebyscore(self.next_index, "-inf", before.timestamp())]

    def unsynced(self, before: datetime) -> list[int]:
        """Clocks with transitions waiting for Zendesk since before ``before``."""
        return [int(x) for x in self.redis.zrangebyscore(self.unsynced_index, "-inf", before.timestamp())]
