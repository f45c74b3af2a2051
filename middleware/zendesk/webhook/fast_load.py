"""The common ticket-event webhook validated without marshmallow's schema machinery.

Why: the receiver validates every body so a broken one gets a clear 400, and the profile
(``bench ingest --profile``) put marshmallow's schema walk (per-field dispatch, error
bookkeeping, nested schema loads) at the top of our own code on the webhook's path, for a body
that is nearly always well-formed.

How it stays exactly as strict: every value goes through the *same field objects* of
``middleware.zendesk.webhook.schemas`` (their ``_deserialize``: ids, enums, times, tags, flags), and the plain
checks (strings, lengths, the two regular expressions, integers) are the ones marshmallow
applies. Anything this module is not sure of (a wrong type, a missing required key, a value a
field refuses) returns ``None``, and the caller loads the body with marshmallow as before, which
then gives the 400 with its message. So for any body this returns either exactly what
``TICKET_EVENT.load`` returns, or ``None`` (``tests/web/test_fast_load.py`` checks it on the samples,
the corpus and thousands of mutated bodies).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import ValidationError
from marshmallow.utils import missing as missing_

from middleware.zendesk.webhook.schemas import (
    CommentAuthorSchema,
    EventCommentSchema,
    EventEnvelopeSchema,
    TicketDetailSchema,
    TicketEventObjectSchema,
    TicketEventWebhookSchema,
    ViaSchema,
)

__all__ = ["load_ticket_event"]

log = logging.getLogger(__name__)

_TYPE = re.compile(r"^zen:event-type:[A-Za-z0-9_.]{1,100}\Z")
_EVENT_ID = re.compile(r"^[\x21-\x7e]{1,128}\Z")


class _Unsure(Exception):
    """Leave this body to marshmallow."""


_MISSING = object()


def _field(schema: type, name: str) -> Any:
    return schema._declared_fields[name]  # type: ignore[attr-defined]


def _custom(field: Any) -> Callable[[Any], Any]:
    """A custom field's own conversion; None where the field allows it; unsure otherwise."""
    allow_none = field.allow_none

    def convert(value: Any) -> Any:
        if value is None:
            if allow_none:
                return None
            raise _Unsure
        try:
            return field._deserialize(value, None, None)
        except ValidationError as exc:
            raise _Unsure from exc

    return convert


def _text(max_length: int | None = None) -> Callable[[Any], Any]:
    """``fields.String(allow_none=True)``, with ``validate.Length(max=…)`` when given."""

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is not str or (max_length is not None and len(value) > max_length):
            raise _Unsure
        return value

    return convert


def _raw(value: Any) -> Any:
    return value


def _integer(value: Any) -> Any:
    if value is None or type(value) is int:
        return value
    raise _Unsure  # strings of digits, floats: marshmallow's Integer decides


def _spec(schema: type, converters: dict[str, Callable[[Any], Any]]) -> list[tuple[str, Callable[[Any], Any], Any]]:
    """(name, converter, value when missing) for every declared field, from the schema itself,
    so a field added to the schema and not here makes every body go to marshmallow."""
    declared = schema._declared_fields  # type: ignore[attr-defined]
    if set(declared) != set(converters):
        raise RuntimeError(f"fast_load: {schema.__name__} fields changed: {sorted(set(declared) ^ set(converters))}")
    spec = []
    for name, field in declared.items():
        if field.required:
            missing: Any = _Unsure
        elif field.load_default is missing_:
            missing = _MISSING
        else:
            default = field.load_default
            missing = default() if callable(default) else default
        spec.append((name, converters[name], missing))
    return spec




def _load(spec: list[tuple[str, Callable[[Any], Any], Any]], data: Any) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise _Unsure
    out: dict[str, Any] = {}
    for name, convert, missing in spec:
        value = data.get(name, _MISSING)
        if value is _MISSING:
            if missing is _Unsure:
                raise _Unsure
            if missing is not _MISSING:
                out[name] = missing
            continue
        out[name] = convert(value)
    return out


def _nested(spec: list[tuple[str, Callable[[Any], Any], Any]]) -> Callable[[Any], Any]:
    """``fields.Nested(…, allow_none=True)``."""

    def convert(value: Any) -> Any:
        return None if value is None else _load(spec, value)

    return convert


def _regexp(pattern: re.Pattern[str]) -> Callable[[Any], Any]:
    """A required ``fields.String`` with a ``validate.Regexp``."""

    def convert(value: Any) -> Any:
        if type(value) is not str or not pattern.match(value):
            raise _Unsure
        return value

    return convert


def _id(schema: type, name: str) -> Callable[[Any], Any]:
    return _custom(_field(schema, name))


def _build() -> list[tuple[str, Callable[[Any], Any], Any]] | None:
    """The webhook's spec; None (every body to marshmallow) if a schema gained or lost a field
    this module does not know: slower, never wrong. The tests fail until it is taught."""
    try:
        author = _spec(CommentAuthorSchema, {
            "id": _id(CommentAuthorSchema, "id"),
            "is_staff": _custom(_field(CommentAuthorSchema, "is_staff")),
            "name": _text(1000),
        })
        comment = _spec(EventCommentSchema, {
            "id": _id(EventCommentSchema, "id"),
            "body": _text(),
            "is_public": _custom(_field(EventCommentSchema, "is_public")),
            "author": _nested(author),
        })
        event = _spec(TicketEventObjectSchema, {
            "comment": _nested(comment),
            "current": _raw,
            "previous": _raw,
            "tags_added": _custom(_field(TicketEventObjectSchema, "tags_added")),
            "tags_removed": _custom(_field(TicketEventObjectSchema, "tags_removed")),
        })
        via = _spec(ViaSchema, {"channel": _text(100)})
        detail = _spec(TicketDetailSchema, {
            **{name: _id(TicketDetailSchema, name) for name in (
                "id", "actor_id", "assignee_id", "requester_id", "submitter_id", "organization_id", "group_id")},
            "subject": _text(),
            "description": _text(),
            **{name: _custom(_field(TicketDetailSchema, name)) for name in (
                "status", "priority", "type", "tags", "created_at", "updated_at")},
            "via": _nested(via),
        })
        return _spec(TicketEventWebhookSchema, {
            "type": _regexp(_TYPE),
            "id": _regexp(_EVENT_ID),
            "time": _custom(_field(EventEnvelopeSchema, "time")),
            "account_id": _integer,
            "subject": _text(200),
            "detail": _nested(detail),
            "event": _nested(event),
        })
    except (RuntimeError, KeyError):
        log.warning("fast_load: the webhook schemas changed; every body is validated by marshmallow")
        return None


_WEBHOOK = _build()


def load_ticket_event(body: Any) -> dict[str, Any] | None:
    """What ``TICKET_EVENT.load(body)`` returns, or None: then load it with marshmallow."""
    if _WEBHOOK is None:
        return None
    try:
        data = _load(_WEBHOOK, body)
    except _Unsure:
        return None
    if data.get("detail") is None:  # required and not nullable: marshmallow says why
        return None
    return data
