"""The incident record in Redis: what was declared, why, and everything that happened since.

One hash per incident (``{prefix}:incident:{id}``, the id being the ticket id of the ticket that
carries the incident), a timeline list beside it, and an index of open incidents by open time.
The SLA, alert, lifecycle and dashboard work all read and append to this one record, so the
post-incident review can be written from it without asking Zendesk.

Writes are idempotent: opening an incident that exists changes nothing and says so, and
timeline entries carry a key so that a job run twice does not record the same thing twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from redis import Redis

from middleware.store.connection import Keys
from rules.model import format_time, parse_time

OPEN = "open"
RESOLVED = "resolved"
OVERRIDDEN = "overridden"  # an agent said: not critical
POSSIBLE = "possible"  # not an incident: the alert snapshot of a possible critical ticket (jobs/possible.py)
NOT_FLAGGED = "not_flagged"  # not an incident: the alert snapshot of a critical ticket Zendesk refused to flag
SNAPSHOTS = (POSSIBLE, NOT_FLAGGED)  # statuses of alert snapshots: nothing is stored under their id


def _encode(values: dict[str, Any]) -> dict[str, str]:
    """Hash fields as strings: times in ISO-8601, lists/dicts/bools as JSON, None as empty."""
    out: dict[str, str] = {}
    for k, v in values.items():
        if isinstance(v, datetime):
            out[k] = format_time(v) or ""
        elif v is None:
            out[k] = ""
        elif isinstance(v, (list, dict, bool)):
            out[k] = json.dumps(v)
        else:
            out[k] = str(v)
    return out


@dataclass
class Incident:
    """One critical incident. Times are aware UTC datetimes."""

    id: int  # the ticket id that carries the incident (the problem ticket for multi-customer)
    ticket_id: int
    category: str | None
    rules: list[str]
    reasons: list[str]
    subject: str
    organization_id: int | None
    requester_id: int | None
    ticket_created_at: datetime | None
    declared_at: datetime
    critical_from_start: bool
    status: str = OPEN
    flagged_updated_at: datetime | None = None  # ticket.updated_at right after our write
    resolved_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Recorded by the jobs that learn them, for the dashboard (which never asks Zendesk):
    organization_name: str | None = None  # the alert fan-out, which reads the organisation anyway
    assignee_id: int | None = None  # every event on the incident's ticket (lifecycle)
    assignee_name: str | None = None  # from the staff roster's cache, when it has the agent

    def to_redis(self) -> dict[str, str]:
        return _encode(asdict(self))

    @classmethod
    def from_redis(cls, raw: dict[bytes, bytes]) -> Incident:
        d = {k.decode(): v.decode() for k, v in raw.items()}

        def opt_int(name: str) -> int | None:
            return int(d[name]) if d.get(name) else None

        return cls(
            id=int(d["id"]),
            ticket_id=int(d["ticket_id"]),
            category=d.get("category") or None,
            rules=json.loads(d.get("rules") or "[]"),
            reasons=json.loads(d.get("reasons") or "[]"),
            subject=d.get("subject", ""),
            organization_id=opt_int("organization_id"),
            requester_id=opt_int("requester_id"),
            ticket_created_at=parse_time(d.get("ticket_created_at")),
            declared_at=parse_time(d["declared_at"]),  # type: ignore[arg-type]
            critical_from_start=json.loads(d.get("critical_from_start") or "false"),
            status=d.get("status", OPEN),
            flagged_updated_at=parse_time(d.get("flagged_updated_at")),
            resolved_at=parse_time(d.get("resolved_at")),
            extra=json.loads(d.get("extra") or "{}"),
            organization_name=d.get("organization_name") or None,
            assignee_id=opt_int("assignee_id"),
            assignee_name=d.get("assignee_name") or None,
        )


class IncidentStore:
    """Reads and writes incidents under one key prefix."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _key(self, incident_id: int) -> str:
        return self.keys("incident", incident_id)

    def key(self, incident_id: int) -> str:
        """The incident's hash (``jobs.ticket_state`` reads it with the rest of a ticket's state)."""
        return self._key(incident_id)

    def link_key(self, ticket_id: int) -> str:
        """Which incident a linked ticket joined (see :meth:`incident_of_linked`)."""
        return self.keys("ticket_incident", ticket_id)

    def _timeline_key(self, incident_id: int) -> str:
        return self.keys("incident", incident_id, "timeline")

    def _open_index(self) -> str:
        return self.keys("incidents", "open")

    def _all_index(self) -> str:
        return self.keys("incidents", "all")

    def open(self, incident: Incident) -> bool:
        """Record a new incident; False (and no change) if it was already recorded.

        ``HSETNX`` on the id field is the claim: exactly one caller wins even when two workers
        declare the same ticket at the same moment.
        """
        key = self._key(incident.id)
        if not self.redis.hsetnx(key, "id", str(incident.id)):
            return False
        pipe = self.redis.pipeline()
        pipe.hset(key, mapping=incident.to_redis())
        score = incident.declared_at.timestamp()
        pipe.zadd(self._open_index(), {str(incident.id): score})
        pipe.zadd(self._all_index(), {str(incident.id): score})
        pipe.execute()
        self.add_event(incident.id, "declared", incident.declared_at,
                       {"category": incident.category, "rules": incident.rules}, dedupe_key="declared")
        return True

    def get(self, incident_id: int) -> Incident | None:
        return self.parse(self.redis.hgetall(self._key(incident_id)))

    @staticmethod
    def parse(raw: dict[bytes, bytes]) -> Incident | None:
        """The incident in an HGETALL reply of its hash; None for no hash or a partial one."""
        if not raw or b"declared_at" not in raw:
            return None
        return Incident.from_redis(raw)

    def update(self, incident_id: int, **fields_: Any) -> None:
        """Set some fields (datetimes and JSON-able values are encoded like ``to_redis``)."""
        mapping = _encode(fields_)
        self.redis.hset(self._key(incident_id), mapping=mapping)

    def set_status(self, incident_id: int, status: str, at: datetime) -> None:
        pipe = self.redis.pipeline()
        pipe.hset(self._key(incident_id), "status", status)
        if status == OPEN:
            pipe.zadd(self._open_index(), {str(incident_id): at.timestamp()})
        else:
            pipe.zrem(self._open_index(), str(incident_id))
        if status == RESOLVED:
            pipe.hset(self._key(incident_id), "resolved_at", format_time(at) or "")
        pipe.execute()

    def add_event(self, incident_id: int, kind: str, at: datetime, data: dict[str, Any] | None = None,
                  dedupe_key: str | None = None) -> bool:
        """Append to the incident's timeline; with ``dedupe_key``, at most once per key."""
        if dedupe_key is not None:
            seen = self.keys("incident", incident_id, "timeline_keys")
            if not self.redis.sadd(seen, dedupe_key):
                return False
        entry = {"at": format_time(at), "kind": kind, **(data or {})}
        self.redis.rpush(self._timeline_key(incident_id), json.dumps(entry, sort_keys=True))
        return True

    def index_linked(self, incident_id: int, ticket_ids: Iterable[int]) -> None:
        """Remember which incident a linked ticket belongs to (a reply there answers the incident)."""
        pipe = self.redis.pipeline(transaction=False)
        for ticket_id in ticket_ids:
            pipe.set(self.link_key(ticket_id), str(incident_id))
        pipe.execute()

    def incident_of_linked(self, ticket_id: int) -> int | None:
        """The incident a ticket was linked to (multi-customer), if any."""
        raw = self.redis.get(self.link_key(ticket_id))
        return int(raw) if raw else None

    def timeline(self, incident_id: int) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.redis.lrange(self._timeline_key(incident_id), 0, -1)]

    def open_ids(self) -> list[int]:
        return [int(x) for x in self.redis.zrange(self._open_index(), 0, -1)]

    def all_ids(self, since: datetime | None = None) -> list[int]:
        low = since.timestamp() if since else "-inf"
        return [int(x) for x in self.redis.zrangebyscore(self._all_index(), low, "+inf")]

    def many(self, ids: Iterable[int]) -> list[Incident]:
        out = []
        for i in ids:
            inc = self.get(i)
            if inc is not None:
                out.append(inc)
        return out
