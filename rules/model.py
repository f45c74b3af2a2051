"""The one internal shape every ticket event takes after the receiver.

Zendesk speaks two dialects to us: event webhooks (string ids, UPPERCASE enums, nanosecond
timestamps) and trigger webhooks (display strings: title-cased enums, space-separated tags).
Reconcile reads a third (the REST API's own JSON). Everything downstream (rules, jobs) sees
only these dataclasses, with the REST API's lowercase values and integer ids, so no job has to
know where an event came from.

The classes are plain frozen dataclasses with ``to_dict``/``from_dict`` so an event travels
through Redis as JSON, not pickle: a job queued by one release can be read by the next.

It sits at the bottom of the layers, in ``rules/`` beside the engine that reads it, so every
other layer may import it and it imports nothing of the product (docs/architecture.md).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

__all__ = [
    "FIRING",
    "RESOLVED",
    "Alert",
    "Comment",
    "JsonRecord",
    "Organization",
    "Person",
    "StaffReport",
    "Ticket",
    "TicketEvent",
    "format_time",
    "parse_time",
]


def parse_time(value: str | datetime | None) -> datetime | None:
    """Parse Zendesk's ISO-8601 forms, including nanoseconds, into aware UTC datetimes."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Python accepts at most microseconds: trim nanoseconds ("…07.672717030+00:00").
    if "." in text:
        head, _, rest = text.partition(".")
        digits = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            digits += rest[i]
            i += 1
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[i:]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# Immutable values: ``copy.deepcopy`` hands the scalars back unchanged and makes an equal copy of
# a datetime (at ~40 us each, the largest cost of ``asdict`` on a ticket); both are kept as is.
_ATOMS = frozenset({str, int, float, bool, type(None), datetime})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(obj: Any) -> Any:
    """Exactly what ``dataclasses.asdict`` returns, at about a third of the cost.

    Why not ``asdict`` itself: every webhook the receiver queues is turned into a dict, and
    ``asdict`` looks up ``fields()`` and calls ``copy.deepcopy`` on every single value, even on
    strings, ints and datetimes; it was the largest cost of building the job after validation.
    Same rules here (dataclasses become dicts, lists/tuples/dicts are copied recursively,
    anything else is deep-copied) with field names cached per class, and immutable scalars and
    datetimes passed through: the result is equal, value for value, to ``asdict``'s.
    """
    cls = type(obj)
    if cls in _ATOMS:
        return obj
    names = _FIELD_NAMES.get(cls)
    if names is None and is_dataclass(obj) and not isinstance(obj, type):
        names = _FIELD_NAMES.setdefault(cls, tuple(f.name for f in fields(obj)))
    if names is not None:
        return {name: _plain(getattr(obj, name)) for name in names}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return cls(*[_plain(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return cls(_plain(v) for v in obj)
    if isinstance(obj, dict):
        return cls((_plain(k), _plain(v)) for k, v in obj.items())
    return copy.deepcopy(obj)


def format_time(value: datetime | None) -> str | None:
    """ISO-8601 in UTC with a ``Z``, the form Zendesk itself writes."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class JsonRecord:
    """``to_dict``/``from_dict`` for a flat dataclass that travels through Redis as JSON.

    The record classes differ only in which fields JSON cannot carry as they are: datetimes
    (written in Zendesk's ISO form), tuples (JSON lists) and dicts (copied, so a record never
    shares a dict with the JSON it was read from). Each class names those fields; the rest of
    the round trip is this one piece of code.
    """

    __slots__ = ()
    json_times: ClassVar[tuple[str, ...]] = ()
    json_tuples: ClassVar[tuple[str, ...]] = ()
    json_dicts: ClassVar[tuple[str, ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _plain(self)
        for name in self.json_times:
            data[name] = format_time(getattr(self, name))
        for name in self.json_tuples:
            data[name] = list(getattr(self, name))
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        values = dict(data)
        for name in cls.json_times:
            values[name] = parse_time(values.get(name))
        for name in cls.json_tuples:
            values[name] = tuple(values.get(name) or ())
        for name in cls.json_dicts:
            values[name] = dict(values.get(name) or {})
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Person:
    """What the rules may know about a requester: role and email (for the domain)."""

    id: int | None = None
    role: str | None = None  # "end-user" | "agent" | "admin"
    email: str | None = None
    name: str | None = None

    @property
    def email_domain(self) -> str | None:
        if not self.email or "@" not in self.email:
            return None
        return self.email.rsplit("@", 1)[1].lower()


@dataclass(frozen=True, slots=True)
class Organization:
    """What the rules may know about the requester's organisation."""

    id: int | None = None
    name: str | None = None
    tags: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Comment(JsonRecord):
    """A comment as the event carries it; ``public`` False means an internal note."""

    json_times = ("created_at",)

    id: int | None = None
    body: str = ""
    public: bool = True
    author_id: int | None = None
    author_is_staff: bool = False
    author_name: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket snapshot with the REST API's values (lowercase enums, integer ids)."""

    id: int
    subject: str = ""
    description: str = ""
    status: str | None = None  # new | open | pending | hold | solved | closed
    priority: str | None = None  # low | normal | high | urgent | None
    type: str | None = None  # question | incident | problem | task | None
    tags: tuple[str, ...] = ()
    requester_id: int | None = None
    submitter_id: int | None = None
    assignee_id: int | None = None
    organization_id: int | None = None
    group_id: int | None = None
    problem_id: int | None = None
    via_channel: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)
    # Context the event itself may not carry; filled from a cache when a rule needs it.
    requester: Person | None = None
    organization: Organization | None = None
    latest_comment: Comment | None = None

    def to_dict(self) -> dict[str, Any]:
        data = _plain(self)
        data["tags"] = list(self.tags)
        data["created_at"] = format_time(self.created_at)
        data["updated_at"] = format_time(self.updated_at)
        if self.organization is not None:
            data["organization"]["tags"] = list(self.organization.tags)
        if self.latest_comment is not None:
            data["latest_comment"] = self.latest_comment.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ticket:
        values = {f.name: data.get(f.name) for f in fields(cls) if f.name in data}
        values["tags"] = tuple(data.get("tags") or ())
        values["custom_fields"] = dict(data.get("custom_fields") or {})
        values["created_at"] = parse_time(data.get("created_at"))
        values["updated_at"] = parse_time(data.get("updated_at"))
        if data.get("requester"):
            values["requester"] = Person(**data["requester"])
        if data.get("organization"):
            org = dict(data["organization"])
            org["tags"] = tuple(org.get("tags") or ())
            values["organization"] = Organization(**org)
        if data.get("latest_comment"):
            values["latest_comment"] = Comment.from_dict(data["latest_comment"])
        return cls(**values)

    def with_context(self, requester: Person | None = None, organization: Organization | None = None) -> Ticket:
        """A copy with requester/organisation context added (the snapshot stays immutable)."""
        return replace(
            self,
            requester=requester or self.requester,
            organization=organization or self.organization,
        )


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One thing that happened to one ticket, whatever channel told us.

    ``type`` is the short Zendesk event name (``created``, ``comment_added``,
    ``status_changed``, ``tags_changed``, ``priority_changed``, …) or ``trigger`` for a
    trigger/automation webhook, ``reconcile`` for a ticket found by the catch-up job.
    ``previous``/``current`` carry the change an event describes, where it has one.
    """

    id: str
    type: str
    ticket: Ticket
    time: datetime | None = None
    actor_id: int | None = None
    source: str = "event"  # event | trigger | reconcile | intake
    comment: Comment | None = None
    previous: Any = None
    current: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "ticket": self.ticket.to_dict(),
            "time": format_time(self.time),
            "actor_id": self.actor_id,
            "source": self.source,
            "comment": self.comment.to_dict() if self.comment else None,
            "previous": self.previous,
            "current": self.current,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TicketEvent:
        return cls(
            id=data["id"],
            type=data["type"],
            ticket=Ticket.from_dict(data["ticket"]),
            time=parse_time(data.get("time")),
            actor_id=data.get("actor_id"),
            source=data.get("source", "event"),
            comment=Comment.from_dict(data["comment"]) if data.get("comment") else None,
            previous=data.get("previous"),
            current=data.get("current"),
        )


# -- what the intake receives (monitoring alerts, staff reports), in the same internal terms -----
FIRING, RESOLVED = "firing", "resolved"  # an Alert's status


@dataclass(frozen=True, slots=True)
class Alert(JsonRecord):
    """One alert, whichever tool sent it. ``fingerprint`` identifies the alert across notifications
    (the tool's own, or derived from its labels); ``status`` is ``firing`` or ``resolved``."""

    json_times = ("starts_at", "ends_at")
    json_dicts = ("labels",)

    source: str  # alertmanager | grafana | generic
    fingerprint: str
    status: str
    title: str
    description: str = ""
    severity: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    link: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @property
    def key(self) -> str:
        """A short, Redis- and job-id-safe digest of the fingerprint (fingerprints are free text)."""
        return hashlib.sha256(f"{self.fingerprint}".encode()).hexdigest()[:24]

    @property
    def delivery_id(self) -> str:
        """Same notification, same id: a retry by the sender is recognised and dropped, while a
        later notification (a re-fire, a resolve) is new."""
        parts = (self.fingerprint, self.status, format_time(self.starts_at) or "", format_time(self.ends_at) or "")
        return "alert-" + self.key + "-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class StaffReport(JsonRecord):
    """A suspected critical incident reported by a member of staff."""

    json_tuples = ("organizations",)

    reporter_email: str
    summary: str
    description: str
    reporter_name: str | None = None
    organizations: tuple[int | str, ...] = ()  # ids, or names when the reporter had no id
    category: str | None = None
    idempotency_key: str | None = None

    @property
    def organization_ids(self) -> tuple[int, ...]:
        return tuple(o for o in self.organizations if isinstance(o, int))

    @property
    def report_id(self) -> str:
        """The client's idempotency key if it sent one, else a digest of the content: the same
        report submitted twice (a double click, a retried curl) is one report."""
        if self.idempotency_key:
            basis = "key|" + self.idempotency_key
        else:
            basis = json.dumps([self.reporter_email.lower(), self.summary, self.description,
                                [str(o) for o in self.organizations], self.category])
        return "report-" + hashlib.sha256(basis.encode()).hexdigest()[:24]
