"""A verified, parsed webhook body -> one ``TicketEvent`` (or the reason to ignore it).

The receiver hands over whatever JSON Zendesk sent; this module decides which dialect it is
*by shape* (an event webhook has ``"type": "zen:event-type:…"``, our trigger body has
``"ticket_id"``), validates it with the schemas built once in ``middleware.zendesk.webhook.schemas``, and
assembles the dataclasses every job reads. Nothing here does I/O, so it is tested without
Flask or Redis.

Two callers, one validation: the receiver calls :func:`validate` (the same checks and 400s,
but a valid event comes back as its ids, :class:`Accepted`) and queues the verified raw bytes;
the worker calls :func:`event_from_raw` on those bytes and gets the ``TicketEvent`` the
receiver would have built (docs/benchmarks.md, issue 16's sixth round).

Conventions the jobs rely on:

* ``TicketEvent.type`` is the short event name (``created``, ``comment_added``,
  ``status_changed`` …), whichever channel told us. A trigger body says it in its ``event``
  field, so ``jobs.triage`` can test ``event.type == "created"`` for both.
* ``source`` is ``"event"`` or ``"trigger"``.
* Enum values are the REST API's lowercase ones, ids are ``int``, times are aware UTC.
* ``previous``/``current`` carry the change: lowercase enums for status/priority/type
  changes, ``int`` ids for assignment/organisation/requester changes, and for
  ``tags_changed`` ``current = {"added": [...], "removed": [...]}`` (Zendesk sends
  ``event.tags_added``/``event.tags_removed``), ``previous = None``.
* A comment whose visibility or author role is not stated counts as *not* public and *not*
  staff: wrongly stopping a first-response clock would be worse than a needless SLA alert.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from marshmallow import ValidationError

from middleware.zendesk import json_guard
from middleware.zendesk.webhook.fast_load import load_ticket_event
from middleware.zendesk.webhook.quick_check import quick_ids
from middleware.zendesk.webhook.schemas import (
    EVENT_ENVELOPE,
    PRIORITIES,
    STATUSES,
    TICKET_EVENT,
    TICKET_EVENT_PREFIX,
    TICKET_TYPES,
    TRIGGER,
    display_key,
    flatten_errors,
)
from rules.model import Comment, Person, Ticket, TicketEvent

__all__ = [
    "Accepted",
    "Ignored",
    "InvalidPayload",
    "event_from_raw",
    "normalize",
    "normalize_payload",
    "payload_kind",
    "trigger_event_id",
    "validate",
    "via_channel",
]

PayloadKind = Literal["ticket_event", "other_event", "trigger"]

INVOCATION_HEADER = "X-Zendesk-Webhook-Invocation-Id"


class InvalidPayload(ValueError):
    """The body is JSON but not a payload we accept; ``fields`` maps a dotted path to messages."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


@dataclass(frozen=True, slots=True)
class Ignored:
    """A valid delivery we answer 200 and do not queue (Zendesk must see a 2xx, or it retries
    and eventually trips its circuit breaker)."""

    reason: str
    event_id: str | None = None
    type: str | None = None


# How Zendesk names a channel (event ``via.channel`` or the ``{{ticket.via}}`` display name,
# after ``display_key``) -> the REST API's ``via.channel``. Unknown names pass through.
_VIA_ALIASES: dict[str, str] = {
    "web_form": "web",
    "web_service": "api",
    "mail": "email",
    "trigger": "rule",
    "automation": "rule",
    "phone_call_inbound": "voice",
    "phone_call_outbound": "voice",
    "voicemail": "voice",
    "text": "sms",
}

_ENUM_CHANGES = {"status_changed": STATUSES, "priority_changed": PRIORITIES, "type_changed": TICKET_TYPES}
_ID_CHANGES = frozenset(
    {
        "agent_assignment_changed",
        "group_assignment_changed",
        "organization_changed",
        "requester_changed",
        "submitter_changed",
        "brand_changed",
        "form_changed",
        "problem_link_changed",
    }
)
_STAFF_ROLES = frozenset({"admin", "administrator", "agent"})


def payload_kind(body: dict[str, Any]) -> PayloadKind | None:
    """Which dialect a body speaks, from its shape alone (cheap; validation comes after)."""
    kind = body.get("type")
    if isinstance(kind, str) and kind.startswith("zen:"):
        is_ticket = kind.startswith(TICKET_EVENT_PREFIX) and len(kind) > len(TICKET_EVENT_PREFIX)
        return "ticket_event" if is_ticket else "other_event"
    if "ticket_id" in body:
        return "trigger"
    if "type" in body or "detail" in body:
        return "other_event"  # looks like an event; the envelope schema says what is wrong
    return None


@dataclass(frozen=True, slots=True)
class Accepted:
    """A valid ticket event, named by the ids the receiver needs (dedupe, the job's id and
    description, the own-API-user check, the log line) and nothing else: the event itself is
    built by the worker from the same bytes (:func:`event_from_raw`)."""

    id: str
    type: str
    ticket_id: int | None
    actor_id: int | None


def normalize(body: Any, *, invocation_id: str | None = None, raw: bytes = b"") -> TicketEvent | Ignored:
    """Validate ``body`` and return the event to queue, or why it is ignored.

    ``invocation_id`` (``X-Zendesk-Webhook-Invocation-Id``) and ``raw`` (the exact bytes) give
    a trigger body its event id, since the body itself carries none.
    Raises ``InvalidPayload`` naming the offending field.
    """
    return _validated(body, invocation_id, raw, _from_event_webhook, _from_trigger)


def validate(body: Any, *, invocation_id: str | None = None, raw: bytes = b"") -> Accepted | Ignored:
    """What :func:`normalize` decides (the same checks, the same ``InvalidPayload`` and
    ``Ignored``), but a valid event comes back as its ids only: the receiver's answer needs no
    more, and building the event cost a third of its work above the floor (docs/benchmarks.md).
    ``validate(...)`` and ``normalize(...)`` name the same event (``tests/web/test_normalize.py``).

    The common event webhook is first checked without converting its values
    (:func:`~middleware.zendesk.webhook.quick_check.quick_ids`: the same answer, a seventh of the
    instructions); anything that check is not sure of is validated here as before."""
    ids = quick_ids(body)
    if ids is not None:
        return Accepted(*ids)
    return _validated(body, invocation_id, raw, _event_ids, _trigger_ids)


def event_from_raw(raw: bytes, invocation_id: str | None = None) -> TicketEvent | Ignored:
    """The event a verified webhook's exact bytes carry, as the receiver parsed and validated
    them (``json.loads``, the JSON guard, :func:`normalize`): what the worker runs on.

    Raises ``InvalidPayload`` (a ``ValueError``) if the bytes are not an event: never for a
    body the receiver accepted with the same code.
    """
    try:
        body = json_guard.clean(raw, json_guard.loads(raw))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, TooDeep
        raise InvalidPayload(f"the body is not a valid webhook: {type(exc).__name__}") from exc
    return normalize(body, invocation_id=invocation_id, raw=raw)


def _validated(body: Any, invocation_id: str | None, raw: bytes,
               from_event: Callable[[dict[str, Any]], Any],
               from_trigger: Callable[[dict[str, Any], str], Any]) -> Any:
    """The one validation both :func:`normalize` and :func:`validate` run; a valid ticket event
    is handed to ``from_event`` (event webhooks) or ``from_trigger`` (trigger bodies)."""
    if not isinstance(body, dict):
        raise InvalidPayload("the body must be a JSON object", {"_schema": ["Not a JSON object."]})
    kind = payload_kind(body)
    if kind == "ticket_event":
        # The common body without marshmallow's schema walk; anything unusual, marshmallow.
        return from_event(load_ticket_event(body) or _load(TICKET_EVENT, body))
    if kind == "other_event":
        envelope = _load(EVENT_ENVELOPE, body)
        return Ignored("not_a_ticket_event", envelope["id"], envelope["type"])
    if kind == "trigger":
        return from_trigger(_load(TRIGGER, body), trigger_event_id(invocation_id, raw))
    raise InvalidPayload(
        "not a Zendesk event webhook (type zen:event-type:…) nor the documented trigger body (ticket_id)",
        {"_schema": ["Unknown payload shape."]},
    )


def _event_ids(data: dict[str, Any]) -> Accepted:
    """:func:`_from_event_webhook`'s ids, without the event."""
    detail = data["detail"]
    return Accepted(data["id"], data["type"][len(TICKET_EVENT_PREFIX) :], detail["id"], detail["actor_id"])


def _trigger_ids(data: dict[str, Any], event_id: str) -> Accepted:
    """:func:`_from_trigger`'s ids, without the event."""
    return Accepted(event_id, data.get("event") or "updated", data["ticket_id"], data["actor_id"])


def normalize_payload(
    data: Any, headers: Mapping[str, str] | None = None, raw: bytes | None = None
) -> TicketEvent | None:
    """``normalize`` for callers outside the receiver (the CLI's ``explain``): the invocation id
    is read from ``headers``, ``None`` means "valid, but not an event we act on", and an
    invalid body raises ``InvalidPayload`` (a ``ValueError``)."""
    invocation_id = None
    for name, value in (headers or {}).items():
        if name.lower() == INVOCATION_HEADER.lower():
            invocation_id = value or None
    if raw is None:
        raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    result = normalize(data, invocation_id=invocation_id, raw=raw)
    return None if isinstance(result, Ignored) else result


def trigger_event_id(invocation_id: str | None, raw: bytes) -> str:
    """A trigger body has no event id: use the delivery's invocation id, which Zendesk keeps
    across retries, else a hash of the exact body (a resend of the same bytes dedupes)."""
    if invocation_id:
        return invocation_id
    return "body-" + hashlib.sha256(raw).hexdigest()[:32]


def via_channel(value: str | None) -> str | None:
    """``"web_service"`` / ``"Web Form"`` / ``"Email"`` -> ``"api"`` / ``"web"`` / ``"email"``."""
    if value is None:
        return None
    key = display_key(value)
    if not key:
        return None
    return _VIA_ALIASES.get(key, key)


def _load(schema: Any, body: dict[str, Any]) -> dict[str, Any]:
    try:
        return schema.load(body)
    except ValidationError as exc:
        flat = flatten_errors(exc.messages)
        path, messages = next(iter(flat.items()))
        raise InvalidPayload(f"{path}: {messages[0]}", flat) from exc


def _from_event_webhook(data: dict[str, Any]) -> TicketEvent:
    detail = data["detail"]
    change = data.get("event") or {}
    short_type = data["type"][len(TICKET_EVENT_PREFIX) :]
    comment = _event_comment(change.get("comment"))
    via = detail.get("via") or {}
    ticket = Ticket(
        id=detail["id"],
        type=detail["type"],
        submitter_id=detail["submitter_id"],
        assignee_id=detail["assignee_id"],
        via_channel=via_channel(via.get("channel")),
        latest_comment=comment,
        **_shared_ticket_fields(detail),
    )
    previous, current = _change(short_type, change)
    return TicketEvent(
        id=data["id"],
        type=short_type,
        ticket=ticket,
        time=data["time"],
        actor_id=detail["actor_id"],
        source="event",
        comment=comment,
        previous=previous,
        current=current,
    )


def _shared_ticket_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The ticket's fields both dialects name alike (the event's ``detail``, the trigger body),
    loaded by the same schema fields: empty text and tags become ``""`` and ``()``."""
    return {
        "subject": data["subject"] or "",
        "description": data["description"] or "",
        "status": data["status"],
        "priority": data["priority"],
        "tags": data["tags"] or (),
        "requester_id": data["requester_id"],
        "organization_id": data["organization_id"],
        "group_id": data["group_id"],
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
    }


def _event_comment(data: dict[str, Any] | None) -> Comment | None:
    if not data:
        return None
    author = data.get("author") or {}
    return Comment(
        id=data["id"],
        body=data["body"] or "",
        public=data["is_public"] is True,
        author_id=author.get("id"),
        author_is_staff=author.get("is_staff") is True,
        author_name=author.get("name"),
    )


def _change(short_type: str, change: dict[str, Any]) -> tuple[Any, Any]:
    """``previous``/``current`` in the same vocabulary as the ticket snapshot."""
    if short_type == "tags_changed" and ("tags_added" in change or "tags_removed" in change):
        added, removed = change.get("tags_added") or (), change.get("tags_removed") or ()
        if added or removed:
            return None, {"added": list(added), "removed": list(removed)}
    previous, current = change.get("previous"), change.get("current")
    if short_type in _ENUM_CHANGES:
        choices = _ENUM_CHANGES[short_type]
        return _enum_value(previous, choices), _enum_value(current, choices)
    if short_type in _ID_CHANGES:
        return _id_value(previous), _id_value(current)
    return previous, current


def _enum_value(value: Any, choices: Any) -> Any:
    if not isinstance(value, str):
        return value
    key = display_key(value)
    return choices.get(key, key) or None


def _id_value(value: Any) -> Any:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value) or None
    return value


def _from_trigger(data: dict[str, Any], event_id: str) -> TicketEvent:
    kind = data.get("event") or "updated"
    actor_id = data["actor_id"]
    role = (data.get("actor_role") or "").strip().lower()
    actor_is_staff = role in _STAFF_ROLES or "agent" in role
    comment = None
    raw_comment = data.get("latest_comment")
    if raw_comment and (raw_comment["id"] is not None or raw_comment["body"]):
        author_id = raw_comment["author_id"]
        comment = Comment(
            id=raw_comment["id"],
            body=raw_comment["body"] or "",
            public=raw_comment["is_public"] is True,
            author_id=author_id,
            # The body has no per-author role; the updater's role applies when they wrote it.
            author_is_staff=actor_is_staff and author_id is not None and author_id == actor_id,
            author_name=raw_comment["author_name"] or None,
        )
    requester = None
    if data["requester_id"] is not None or data["requester_email"]:
        requester = Person(id=data["requester_id"], email=data["requester_email"] or None)
    ticket = Ticket(
        id=data["ticket_id"],
        type=data["ticket_type"],
        via_channel=via_channel(data["via"]),
        requester=requester,
        latest_comment=comment,
        **_shared_ticket_fields(data),
    )
    return TicketEvent(
        id=event_id,
        type=kind,
        ticket=ticket,
        time=data["updated_at"],
        actor_id=actor_id,
        source="trigger",
        comment=comment if kind == "comment_added" else None,
    )
