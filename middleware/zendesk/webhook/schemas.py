"""Marshmallow schemas for what Zendesk POSTs to ``/webhooks/zendesk``.

Two dialects arrive on the same URL (DESIGN.md §5):

* **event webhooks** (``zen:event-type:ticket.*``): ids are strings (``"5158"``), enums are
  UPPERCASE (``"LOW"``), ``priority``/``type`` may be null, ``time`` may carry nanoseconds;
* **trigger/automation webhooks** with the JSON body documented in ``docs/trigger-webhook.md``:
  every value is a rendered placeholder, so enums are title-cased display strings
  (``"Urgent"``, ``"On-hold"``), an empty value is ``""`` or ``"-"``, tags are one
  space-separated string, and booleans are ``"true"``/``"false"``.

The custom fields below accept both dialects and *load* to the REST API's own values
(lowercase enums, ``int`` ids, aware UTC datetimes, tag tuples), so ``normalize`` only
assembles dataclasses. Errors are marshmallow's, keyed by field, so the receiver can answer
``400 {"message": "detail.id: Not a valid integer."}`` and an admin reading Zendesk's webhook
activity log sees which placeholder is wrong.

Every schema ignores unknown keys (``EXCLUDE``): Zendesk adds properties to events over time,
and a 400 for a new property would make Zendesk drop real events for good.

Schemas are instantiated once, at import (``EVENT_ENVELOPE``, ``TICKET_EVENT``, ``TRIGGER``):
building a marshmallow schema costs far more than loading with one, and the receiver's
latency budget is a few milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, fields, validate

from rules.model import parse_time

__all__ = [
    "EVENT_ENVELOPE",
    "TICKET_EVENT",
    "TICKET_EVENT_PREFIX",
    "TRIGGER",
    "TRIGGER_EVENTS",
    "EventEnvelopeSchema",
    "TicketEventWebhookSchema",
    "TriggerWebhookSchema",
    "display_key",
    "flatten_errors",
]

TICKET_EVENT_PREFIX = "zen:event-type:ticket."

# Zendesk ids are positive 64-bit integers; "0" is how Zendesk spells "none" in event payloads
# (``"organization_id": "0"`` on users), and an empty placeholder renders as "" or "-".
_ID_TEXT = re.compile(r"^[0-9]{1,19}\Z")
_MAX_ID = 2**63 - 1
_EMPTY_TEXT = frozenset({"", "-"})

# Display string or UPPERCASE event value (lowercased, spaces and dashes as "_") -> REST value.
STATUSES: Mapping[str, str] = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "hold": "hold",
    "on_hold": "hold",  # {{ticket.status}} renders "On-hold"
    "solved": "solved",
    "closed": "closed",
    "deleted": "deleted",  # soft-deleted tickets, as the REST API reports them
}
PRIORITIES: Mapping[str, str] = {p: p for p in ("low", "normal", "high", "urgent")}
TICKET_TYPES: Mapping[str, str] = {t: t for t in ("question", "incident", "problem", "task")}

# What a trigger body may say happened: the same short names event webhooks use (so jobs
# dispatch on one vocabulary), plus ``automation`` for time-based automations.
TRIGGER_EVENTS: tuple[str, ...] = (
    "created",
    "updated",
    "comment_added",
    "status_changed",
    "priority_changed",
    "type_changed",
    "tags_changed",
    "subject_changed",
    "description_changed",
    "group_assignment_changed",
    "agent_assignment_changed",
    "organization_changed",
    "requester_changed",
    "automation",
)


_NOT_WORD = re.compile(r"[^a-z0-9]+")


def display_key(text: str) -> str:
    """``"On-hold"`` / ``"ON_HOLD"`` / ``"Phone call (inbound)"`` -> ``"on_hold"`` /
    ``"phone_call_inbound"``: one spelling for a display string and an UPPERCASE event value."""
    return _NOT_WORD.sub("_", text.strip().lower()).strip("_")


class ZendeskId(fields.Field):
    """A Zendesk id as an ``int``, from ``"5158"``, ``5158`` or a rendered ``{{…id}}``.

    ``""``, ``"-"``, ``0`` and ``"0"`` load as ``None`` (no such object) unless
    ``allow_empty=False``, which is used for the ticket id itself: an event about no ticket
    is a broken payload, not an empty field.
    """

    default_error_messages: ClassVar[dict[str, str]] = {"invalid": "Not a valid integer."}

    def __init__(self, *, allow_empty: bool = True, **kwargs: Any) -> None:
        self.allow_empty = allow_empty
        kwargs.setdefault("allow_none", allow_empty)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> int | None:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, int):
            number = value
        elif isinstance(value, str):
            text = value.strip()
            if text in _EMPTY_TEXT:
                if self.allow_empty:
                    return None
                raise self.make_error("invalid")
            if not _ID_TEXT.match(text):
                raise self.make_error("invalid")
            number = int(text)
        else:
            raise self.make_error("invalid")
        if number == 0 and self.allow_empty:
            return None
        if number <= 0 or number > _MAX_ID:
            raise self.make_error("invalid")
        return number


class ZendeskEnum(fields.Field):
    """One of a fixed set, given as an UPPERCASE event value or a title-cased display string;
    loads as the REST API's lowercase value. Empty (``null``, ``""``, ``"-"``) loads as ``None``."""

    default_error_messages: ClassVar[dict[str, str]] = {"invalid": "Must be one of: {choices}."}

    def __init__(self, choices: Mapping[str, str], **kwargs: Any) -> None:
        self.choices = dict(choices)
        self._choices_text = ", ".join(dict.fromkeys(self.choices.values()))
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("load_default", None)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str | None:
        if not isinstance(value, str):
            raise self.make_error("invalid", choices=self._choices_text)
        if value.strip() in _EMPTY_TEXT:
            return None
        found = self.choices.get(display_key(value))
        if found is None:
            raise self.make_error("invalid", choices=self._choices_text)
        return found


LAST_PLAUSIBLE_YEAR = 2999  # later times leave no room for the durations added to them


class ZendeskTime(fields.Field):
    """An ISO-8601 time as an aware UTC ``datetime``: event ``time`` with nanoseconds, detail
    ``created_at``, or ``{{ticket.updated_at_with_timestamp}}`` (which may omit seconds)."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "Not a valid ISO-8601 date-time.",
        "implausible": f"Not a plausible date-time: after the year {LAST_PLAUSIBLE_YEAR}.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("load_default", None)
        super().__init__(**kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> datetime | None:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if value.strip() in _EMPTY_TEXT:
            return None
        try:
            parsed = parse_time(value)
        except (ValueError, OverflowError) as exc:
            raise self.make_error("invalid") from exc
        if parsed is not None and parsed.year > LAST_PLAUSIBLE_YEAR:
            # Year 9999 parses, then overflows the SLA's due time (an hour later) in the job.
            raise self.make_error("implausible")
        return parsed


class Tags(fields.Field):
    """Ticket tags as a tuple: a JSON list (events) or one space-separated string
    (``{{ticket.tags}}`` in a trigger body). Order is kept, repeats dropped."""

    default_error_messages: ClassVar[dict[str, str]] = {"invalid": "Not a valid list of tags."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("load_default", ())
        super().__init__(**kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> tuple[str, ...]:
        if isinstance(value, str):
            items: list[Any] = value.split()
        elif isinstance(value, list):
            items = value
        else:
            raise self.make_error("invalid")
        if not all(isinstance(tag, str) for tag in items):
            raise self.make_error("invalid")
        return tuple(dict.fromkeys(tag.strip() for tag in items if tag.strip()))


class Flag(fields.Field):
    """A boolean from JSON (``true``) or from a rendered placeholder (``"true"``/``"false"``);
    an empty rendering loads as ``None`` (unknown), never as ``False``."""

    default_error_messages: ClassVar[dict[str, str]] = {"invalid": "Not a valid boolean."}
    _TRUE = frozenset({"true", "1", "yes"})
    _FALSE = frozenset({"false", "0", "no"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("load_default", None)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            if text in _EMPTY_TEXT:
                return None
            if text in self._TRUE:
                return True
            if text in self._FALSE:
                return False
        raise self.make_error("invalid")


class TriggerEventName(fields.Field):
    """What a trigger says happened (``"comment_added"``); an empty value means ``"updated"``,
    so a trigger pasted without the field still works."""

    default_error_messages: ClassVar[dict[str, str]] = {"invalid": "Must be one of: {choices}."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("load_default", "updated")
        kwargs.setdefault("allow_none", True)  # null loads as None; normalize reads it as "updated"
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        if isinstance(value, str) and value.strip() in _EMPTY_TEXT:
            return "updated"
        if isinstance(value, str) and display_key(value) in TRIGGER_EVENTS:
            return display_key(value)
        raise self.make_error("invalid", choices=", ".join(TRIGGER_EVENTS))


def _text(**kwargs: Any) -> fields.String:
    """Free text (subject, description, comment body): may be null, missing means empty."""
    kwargs.setdefault("load_default", "")
    return fields.String(allow_none=True, **kwargs)


def _optional_text(max_length: int = 1000) -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(max=max_length))


class _Lenient(Schema):
    """Unknown keys are ignored: Zendesk adds properties, and a 400 would lose the event."""

    class Meta:
        unknown = EXCLUDE


# ---------------------------------------------------------------------------------------------
# Event webhooks (zen:event-type:*)
# ---------------------------------------------------------------------------------------------


class CommentAuthorSchema(_Lenient):
    id = ZendeskId(load_default=None)
    is_staff = Flag()
    name = _optional_text()


class EventCommentSchema(_Lenient):
    """``event.comment`` of ``comment_added``: enough to spot the first public staff reply."""

    id = ZendeskId(load_default=None)
    body = _text()
    is_public = Flag()
    author = fields.Nested(CommentAuthorSchema, load_default=None, allow_none=True)


class TicketEventObjectSchema(_Lenient):
    """The ``event`` object: what changed. ``meta`` (sequence) is not needed downstream."""

    comment = fields.Nested(EventCommentSchema, load_default=None, allow_none=True)
    current = fields.Raw(load_default=None, allow_none=True)
    previous = fields.Raw(load_default=None, allow_none=True)
    tags_added = Tags()
    tags_removed = Tags()


class ViaSchema(_Lenient):
    channel = _optional_text(100)


class TicketDetailSchema(_Lenient):
    """``detail``: the ticket snapshot every ticket event carries."""

    id = ZendeskId(required=True, allow_empty=False)
    actor_id = ZendeskId(load_default=None)
    assignee_id = ZendeskId(load_default=None)
    requester_id = ZendeskId(load_default=None)
    submitter_id = ZendeskId(load_default=None)
    organization_id = ZendeskId(load_default=None)
    group_id = ZendeskId(load_default=None)
    subject = _text()
    description = _text()
    status = ZendeskEnum(STATUSES)
    priority = ZendeskEnum(PRIORITIES)
    type = ZendeskEnum(TICKET_TYPES)
    tags = Tags()
    via = fields.Nested(ViaSchema, load_default=None, allow_none=True)
    created_at = ZendeskTime()
    updated_at = ZendeskTime()


class EventEnvelopeSchema(_Lenient):
    """The properties every Zendesk event shares; enough to decide to ignore a non-ticket event."""

    type = fields.String(required=True, validate=validate.Regexp(r"^zen:event-type:[A-Za-z0-9_.]{1,100}\Z"))
    # Printable ASCII only: the id goes into Redis keys, the job id and the log line.
    id = fields.String(required=True, validate=validate.Regexp(r"^[\x21-\x7e]{1,128}\Z", error="Not a valid event id."))
    time = ZendeskTime()
    account_id = fields.Integer(load_default=None, allow_none=True)
    subject = _optional_text(200)


class TicketEventWebhookSchema(EventEnvelopeSchema):
    """A full ``zen:event-type:ticket.*`` body."""

    detail = fields.Nested(TicketDetailSchema, required=True)
    event = fields.Nested(TicketEventObjectSchema, load_default=None, allow_none=True)


# ---------------------------------------------------------------------------------------------
# Trigger / automation webhooks (the body in docs/trigger-webhook.md)
# ---------------------------------------------------------------------------------------------


class TriggerCommentSchema(_Lenient):
    id = ZendeskId(load_default=None)
    body = _text()
    is_public = Flag()
    author_id = ZendeskId(load_default=None)
    author_name = _optional_text()


class TriggerWebhookSchema(_Lenient):
    """Our documented trigger body, every value a rendered placeholder."""

    event = TriggerEventName()
    ticket_id = ZendeskId(required=True, allow_empty=False)
    subject = _text()
    description = _text()
    status = ZendeskEnum(STATUSES)
    priority = ZendeskEnum(PRIORITIES)
    ticket_type = ZendeskEnum(TICKET_TYPES)
    tags = Tags()
    via = _optional_text(100)
    requester_id = ZendeskId(load_default=None)
    requester_email = _optional_text(320)
    organization_id = ZendeskId(load_default=None)
    group_id = ZendeskId(load_default=None)
    actor_id = ZendeskId(load_default=None)
    actor_role = _optional_text(100)
    created_at = ZendeskTime()
    updated_at = ZendeskTime()
    latest_comment = fields.Nested(TriggerCommentSchema, load_default=None, allow_none=True)


# Built once: constructing a schema is the expensive part, loading with it is cheap.
EVENT_ENVELOPE = EventEnvelopeSchema()
TICKET_EVENT = TicketEventWebhookSchema()
TRIGGER = TriggerWebhookSchema()


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict as ``{"detail.id": ["Not a valid integer."]}``,
    the form an admin can match against the payload."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, path))
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for item in messages:
            flat.update(flatten_errors(item, prefix))
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat
