"""The receiver's check of the common ticket-event webhook: is it valid, and which ids does it
name, decided without converting a single value.

Why: the receiver validates every body so that a broken one gets its 400 at the door, but of the
validated event it keeps only four ids (the event's id and type, the ticket's and the actor's:
``normalize.Accepted``); the event itself is built by the worker. Validating by conversion
(``fast_load``: every value through its schema field, times parsed into datetimes, enums
mapped, tags deduplicated, a dict built per level) cost 143k instructions per webhook, the
largest part of the receiver above the floor (docs/benchmarks.md, seventh round). Deciding
only *whether* each value would convert is a type test, a set lookup or one regular expression
per value, in one function, with no call per field.

How it stays exactly as strict: every test here is a sufficient condition for the schema
field to accept the value (an id of 1-18 ASCII digits, an enum spelling the field itself
accepted when this module was built, a time in Zendesk's own form with a day of the month up
to 28, …). A value that passes no quick test is handed to the field's own conversion, and if
that refuses it, or the body is not the usual shape at all (a missing ``detail``, a list where
an object belongs), :func:`quick_ids` returns None: the caller then runs the full validation
(``normalize.validate``), which gives the 400 with its message or accepts the body as before. So
for any body this returns either exactly the ids ``validate`` returns, or None
(``tests/web/test_quick_check.py``: the samples, the corpus, and every field of several bodies
replaced by 27 values or removed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError

from middleware.zendesk.webhook.schemas import (
    TICKET_EVENT_PREFIX,
    CommentAuthorSchema,
    EventCommentSchema,
    EventEnvelopeSchema,
    TicketDetailSchema,
    TicketEventObjectSchema,
    TicketEventWebhookSchema,
    ViaSchema,
)

__all__ = ["quick_ids"]

_PREFIX_LENGTH = len(TICKET_EVENT_PREFIX)
# The envelope's type pattern (schemas.EventEnvelopeSchema), as ``re.match`` applies it.
_TYPE = re.compile(r"^zen:event-type:[A-Za-z0-9_.]{1,100}\Z")
# An id of 1-18 ASCII digits (tested as ``str.isdigit() and str.isascii()``, a third of a
# pattern's cost) is below 2**63 - 1: ``ZendeskId`` loads it as ``int`` (0 as None).
# Zendesk's time form, "2025-01-08T10:12:07Z" or with 1-9 fractional digits; a year from 1000 to
# 2999, a valid hour, minute and second, a day up to 28 (a date in any month): parse_time reads
# it and ZendeskTime accepts it. Any other form or day asks the field.
_TIME = re.compile(r"[12][0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
                   r"(?:\.[0-9]{1,9})?Z")


class _Invalid(Exception):
    """A field's own conversion refused the value: the full validation says why."""


def _field(schema: type, name: str) -> Any:
    return schema._declared_fields[name]  # type: ignore[attr-defined]


def _asks(schema: type, name: str) -> Callable[[Any], Any]:
    """The field's own conversion, for a value no quick test passed (None where the field allows it)."""
    field = _field(schema, name)

    def convert(value: Any) -> Any:
        if value is None and field.allow_none:
            return None
        try:
            return field._deserialize(value, None, None)
        except ValidationError as exc:
            raise _Invalid from exc

    return convert


def _spellings(schema: type, name: str) -> frozenset[str]:
    """The enum's usual spellings (``"OPEN"``, ``"open"``, ``"On-hold"``, ``""``…) that its field accepts."""
    field = _field(schema, name)
    candidates = {"", "-"}
    for key in field.choices:
        for text in (key, key.replace("_", " "), key.replace("_", "-")):
            candidates |= {text, text.upper(), text.lower(), text.title(), text.capitalize()}
    accepted = set()
    for text in candidates:
        try:
            field._deserialize(text, None, None)
        except ValidationError:
            continue
        accepted.add(text)
    return frozenset(accepted)


def _declared(schema: type, names: set[str]) -> None:
    """Fail at import if a schema gained or lost a field this module does not check."""
    declared = set(schema._declared_fields)  # type: ignore[attr-defined]
    if declared != names:
        raise RuntimeError(f"quick_check: {schema.__name__} fields changed: {sorted(declared ^ names)}")


_declared(TicketEventWebhookSchema, {"type", "id", "time", "account_id", "subject", "detail", "event"})
_declared(TicketDetailSchema, {"id", "actor_id", "assignee_id", "requester_id", "submitter_id", "organization_id",
                               "group_id", "subject", "description", "status", "priority", "type", "tags", "via",
                               "created_at", "updated_at"})
_declared(ViaSchema, {"channel"})
_declared(TicketEventObjectSchema, {"comment", "current", "previous", "tags_added", "tags_removed"})
_declared(EventCommentSchema, {"id", "body", "is_public", "author"})
_declared(CommentAuthorSchema, {"id", "is_staff", "name"})

_STATUSES = _spellings(TicketDetailSchema, "status")
_PRIORITIES = _spellings(TicketDetailSchema, "priority")
_TYPES = _spellings(TicketDetailSchema, "type")
_ticket_id = _asks(TicketDetailSchema, "id")
_an_id = _asks(TicketDetailSchema, "actor_id")  # every optional id is the same ZendeskId(load_default=None)
_a_time = _asks(EventEnvelopeSchema, "time")  # as are the times, the enums' and the tags' fields
_status = _asks(TicketDetailSchema, "status")
_priority = _asks(TicketDetailSchema, "priority")
_ticket_type = _asks(TicketDetailSchema, "type")
_tags = _asks(TicketDetailSchema, "tags")
_flag = _asks(EventCommentSchema, "is_public")


def _id_value(value: Any) -> int | None:
    """An optional id as ``ZendeskId`` loads it (raises ``_Invalid`` where it refuses it)."""
    if value is None:
        return None
    if type(value) is str and value.isdigit() and value.isascii() and len(value) <= 18:  # 1-18 ASCII digits
        return int(value) or None
    return _an_id(value)  # type: ignore[no-any-return]


def _other_id_ok(value: Any) -> None:
    if value is not None and not (type(value) is str and value.isdigit() and value.isascii() and len(value) <= 18):
        _an_id(value)


def _time_ok(value: Any) -> None:
    if value is not None and (type(value) is not str or not _TIME.fullmatch(value)):
        _a_time(value)


# Event types already matched against the envelope's pattern, with their short names: a few
# dozen exist; the cache is bounded all the same.
_SHORT_TYPES: dict[str, str] = {}


def quick_ids(body: Any) -> tuple[str, str, int, int | None] | None:
    """(event id, short type, ticket id, actor id) of a valid ticket-event webhook, exactly as
    ``normalize.validate`` names them, or None: then ``validate`` decides (and it may well accept)."""
    if type(body) is not dict:
        return None
    try:
        return _check(body)
    except _Invalid:
        return None


def _check(body: dict[str, Any]) -> tuple[str, str, int, int | None] | None:
    get = body.get
    kind, event_id, detail = get("type"), get("id"), get("detail")
    short = _SHORT_TYPES.get(kind) if type(kind) is str else None
    if short is None:
        if (type(kind) is not str or not kind.startswith(TICKET_EVENT_PREFIX) or len(kind) == _PREFIX_LENGTH
                or not _TYPE.match(kind)):
            return None
        short = kind[_PREFIX_LENGTH:]
        if len(_SHORT_TYPES) < 256:
            _SHORT_TYPES[kind] = short
    # _EVENT_ID without the pattern: 1-128 printable ASCII characters but the space.
    if (type(event_id) is not str or not event_id or len(event_id) > 128 or not event_id.isascii()
            or not event_id.isprintable() or " " in event_id or type(detail) is not dict):
        return None
    account, subject = get("account_id"), get("subject")
    if (account is not None and type(account) is not int) or (
            subject is not None and (type(subject) is not str or len(subject) > 200)):
        return None
    _time_ok(get("time"))

    get = detail.get
    ticket_id: Any = get("id")
    if type(ticket_id) is str and ticket_id.isdigit() and ticket_id.isascii() and len(ticket_id) <= 18 \
            and ticket_id[0] != "0":
        ticket_id = int(ticket_id)
    elif ticket_id is None:
        return None  # required: the full validation names it
    else:
        ticket_id = _ticket_id(ticket_id)
    actor_id = _id_value(get("actor_id"))
    _other_id_ok(get("assignee_id"))
    _other_id_ok(get("requester_id"))
    _other_id_ok(get("submitter_id"))
    _other_id_ok(get("organization_id"))
    _other_id_ok(get("group_id"))
    subject, description = get("subject"), get("description")
    if (subject is not None and type(subject) is not str) or (description is not None and type(description) is not str):
        return None
    value = get("status")
    if value is not None and (type(value) is not str or value not in _STATUSES):
        _status(value)
    value = get("priority")
    if value is not None and (type(value) is not str or value not in _PRIORITIES):
        _priority(value)
    value = get("type")
    if value is not None and (type(value) is not str or value not in _TYPES):
        _ticket_type(value)
    value = get("tags")
    if value is not None and not (type(value) is list and (not value or set(map(type, value)) == {str})):
        _tags(value)
    via = get("via")
    if via is not None:
        if type(via) is not dict:
            return None
        channel = via.get("channel")
        if channel is not None and (type(channel) is not str or len(channel) > 100):
            return None
    created, updated = get("created_at"), get("updated_at")
    _time_ok(created)
    if updated != created:  # a new ticket's two times are the same text
        _time_ok(updated)

    change = body.get("event")
    if change is not None and (type(change) is not dict or (change and not _change_ok(change))):
        return None
    return event_id, short, ticket_id, actor_id


def _tags_ok(value: Any) -> None:
    if value is not None and not (type(value) is list and (not value or set(map(type, value)) == {str})):
        _tags(value)


def _change_ok(change: dict[str, Any]) -> bool:
    """``event`` (what changed): its tags, and its comment with the comment's author."""
    _tags_ok(change.get("tags_added"))
    _tags_ok(change.get("tags_removed"))
    comment = change.get("comment")
    if comment is None:
        return True
    if type(comment) is not dict:
        return False
    get = comment.get
    _id_value(get("id"))
    body, public, author = get("body"), get("is_public"), get("author")
    if body is not None and type(body) is not str:
        return False
    if public is not None and public is not True and public is not False:
        _flag(public)
    if author is None:
        return True
    if type(author) is not dict:
        return False
    get = author.get
    _id_value(get("id"))
    staff, name = get("is_staff"), get("name")
    if staff is not None and staff is not True and staff is not False:
        _flag(staff)
    return name is None or (type(name) is str and len(name) <= 1000)
