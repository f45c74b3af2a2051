"""The ``customer_messages``, ``review`` and ``report`` sections of config.yaml.

Parsed and checked once at start-up (``middleware.config.loader``), so a
template naming a placeholder that does not exist, a category switch with a typo, or a review
due time of zero stops the process with a ``ConfigError`` naming the key
(``customer_messages.resolved.body``, ``review.due_in``) instead of failing at the moment a
customer should be told something.

Every key has a default, so a config without these sections loads on a fresh machine: customers
are told (both messages on), reviews are created unassigned, and the report goes out on Monday
at 08:00 UTC to whoever the ``report`` route names.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from marshmallow import ValidationError, fields, validate

from middleware.config.schema import TAG, ConfigError, Duration, SectionSchema, load_section

__all__ = [
    "MESSAGE_KINDS",
    "MESSAGE_PLACEHOLDERS",
    "CustomerMessages",
    "MessageTemplate",
    "ReportSettings",
    "ReviewSettings",
    "load_customer_messages",
    "load_report",
    "load_review",
]

DECLARED = "declared"
RESOLVED = "resolved"
MESSAGE_KINDS = (DECLARED, RESOLVED)
# What a customer message may say. Only values about the customer's own ticket: the message goes
# to the person who wrote that ticket, and never names other customers of the same incident.
MESSAGE_PLACEHOLDERS = ("ticket_id", "subject")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CATEGORY = r"^[A-Za-z0-9_-]+$"

DEFAULT_DECLARED = (
    "Hello,\n\n"
    "Thank you for reporting this. We are handling your request #{ticket_id} as a critical incident: "
    "our team is working on it with the highest priority, and we will keep you updated here.\n\n"
    "Customer Support"
)
DEFAULT_RESOLVED = (
    "Hello,\n\n"
    "The critical incident behind your request #{ticket_id} has been resolved. Thank you for your "
    "patience. If anything still does not work as expected, simply reply to this message and we "
    "will pick it up straight away.\n\n"
    "Customer Support"
)


@dataclass(frozen=True)
class MessageTemplate:
    """One customer message: whether it is sent at all, and its text."""

    enabled: bool
    body: str

    def render(self, ticket_id: int, subject: str) -> str:
        return self.body.format_map({"ticket_id": str(ticket_id), "subject": subject or f"#{ticket_id}"}).strip()


@dataclass(frozen=True)
class CustomerMessages:
    """The two public replies a customer gets, and the categories that switch them off."""

    declared: MessageTemplate = field(default_factory=lambda: MessageTemplate(True, DEFAULT_DECLARED))
    resolved: MessageTemplate = field(default_factory=lambda: MessageTemplate(True, DEFAULT_RESOLVED))
    categories: dict[str, dict[str, bool]] = field(default_factory=dict)

    def template(self, kind: str) -> MessageTemplate:
        return self.declared if kind == DECLARED else self.resolved

    def enabled_for(self, kind: str, category: str | None) -> bool:
        """On unless switched off globally or for the incident's category."""
        if not self.template(kind).enabled:
            return False
        return self.categories.get(category or "", {}).get(kind, True)


@dataclass(frozen=True)
class ReviewSettings:
    """The post-incident review task, the actions that come out of it, and their reminders."""

    enabled: bool = True
    due_in: timedelta = timedelta(days=5)
    assignee_id: int | None = None  # the Head of Customer Support's Zendesk user …
    assignee_email: str | None = None  # … or found by email (looked up once, then cached)
    group_id: int | None = None  # … and/or their group
    tag: str = "post_incident_review"
    action_tag: str = "incident_action"
    incident_tag_prefix: str = "incident_"  # incident_1234 links a review or action to incident 1234
    action_due_in: timedelta = timedelta(days=14)  # an action created without a due date
    reminders: bool = True

    def incident_tag(self, incident_id: int) -> str:
        return f"{self.incident_tag_prefix}{incident_id}"

    def incident_of(self, tags: tuple[str, ...] | list[str]) -> int | None:
        """The incident a task belongs to, from its ``incident_<id>`` tag."""
        for tag in tags:
            rest = tag[len(self.incident_tag_prefix):] if tag.startswith(self.incident_tag_prefix) else ""
            if rest.isdigit():
                return int(rest)
        return None


@dataclass(frozen=True)
class ReportSettings:
    """The weekly report to the lead team (delivered on the ``report`` alert route)."""

    enabled: bool = True
    weekday: int = 0  # Monday
    hour: int = 8  # UTC
    period: timedelta = timedelta(days=7)


# -- schemas ---------------------------------------------------------------------------------------
class _TemplateSchema(SectionSchema):
    enabled = fields.Boolean()
    body = fields.String(allow_none=True)


class _MessagesSchema(SectionSchema):
    declared = fields.Raw(allow_none=True)
    resolved = fields.Raw(allow_none=True)
    categories = fields.Dict(
        keys=fields.String(validate=validate.Regexp(_CATEGORY)),
        values=fields.Dict(keys=fields.String(validate=validate.OneOf(MESSAGE_KINDS)), values=fields.Boolean()),
        allow_none=True,
    )


class _OptionalId(fields.Field):
    """A Zendesk id as a number or digits (``${VAR:-}`` gives a string); empty means none."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            raise ValidationError("expected a Zendesk id (digits)")
        text = str(value).strip()
        if not text.isdigit() or int(text) < 1:
            raise ValidationError("expected a Zendesk id (digits)")
        return int(text)


class _ReviewSchema(SectionSchema):
    builds = ReviewSettings

    enabled = fields.Boolean()
    due_in = Duration()
    assignee_id = _OptionalId(allow_none=True)
    assignee_email = fields.String(allow_none=True)
    group_id = _OptionalId(allow_none=True)
    tag = fields.String(validate=TAG)
    action_tag = fields.String(validate=TAG)
    incident_tag_prefix = fields.String(validate=TAG)
    action_due_in = Duration()
    reminders = fields.Boolean()


class _ReportSchema(SectionSchema):
    enabled = fields.Boolean()
    weekday = fields.String(validate=validate.OneOf(WEEKDAYS))
    hour = fields.Integer(validate=validate.Range(min=0, max=23))
    period = Duration()


# -- loaders ---------------------------------------------------------------------------------------
def _check_body(text: str, key: str) -> str:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ConfigError(key, f"not a valid template: {exc}") from exc
    for _, name, spec, conversion in parsed:
        if name is not None and (name not in MESSAGE_PLACEHOLDERS or spec or conversion):
            raise ConfigError(key, f"unknown placeholder {{{name}}} (known: {', '.join(MESSAGE_PLACEHOLDERS)})")
    if not text.strip():
        raise ConfigError(key, "a message cannot be empty (set enabled: false to send none)")
    return text


def _template(raw: Any, key: str, default: MessageTemplate) -> MessageTemplate:
    if isinstance(raw, bool):  # `declared: false` is the short way to switch one off
        return replace(default, enabled=raw)
    values = load_section(_TemplateSchema(), raw, key)
    body = values.get("body")
    return MessageTemplate(values.get("enabled", default.enabled),
                           default.body if body is None else _check_body(body, f"{key}.body"))


def load_customer_messages(raw: Any, categories: frozenset[str] | None = None) -> CustomerMessages:
    """``customer_messages:`` → :class:`CustomerMessages` (absent: both messages on).

    ``categories``: the categories incidents can have; a switch for any other is a typo.
    """
    top = load_section(_MessagesSchema(), raw, "customer_messages")
    switches = {str(k): dict(v) for k, v in (top.get("categories") or {}).items()}
    if categories is not None:
        for name in switches:
            if name not in categories:
                raise ConfigError(f"customer_messages.categories.{name}",
                                  f"no rule or writeback.category_tags entry has this category "
                                  f"(known: {', '.join(sorted(categories))})")
    defaults = CustomerMessages()
    return CustomerMessages(
        declared=_template(top.get("declared"), "customer_messages.declared", defaults.declared),
        resolved=_template(top.get("resolved"), "customer_messages.resolved", defaults.resolved),
        categories=switches,
    )


def load_review(raw: Any) -> ReviewSettings:
    """``review:`` → :class:`ReviewSettings`."""
    settings: ReviewSettings = load_section(_ReviewSchema(), raw, "review")
    if settings.due_in <= timedelta(0):
        raise ConfigError("review.due_in", "must be longer than zero")
    if settings.action_due_in <= timedelta(0):
        raise ConfigError("review.action_due_in", "must be longer than zero")
    email = (settings.assignee_email or "").strip() or None
    if email is not None and "@" not in email:
        raise ConfigError("review.assignee_email", "expected an email address")
    if settings.tag == settings.action_tag:
        raise ConfigError("review.action_tag", "must differ from review.tag")
    return replace(settings, assignee_email=email)


def load_report(raw: Any) -> ReportSettings:
    """``report:`` → :class:`ReportSettings`."""
    values = load_section(_ReportSchema(), raw, "report")
    if "weekday" in values:
        values["weekday"] = WEEKDAYS.index(values["weekday"])
    settings = ReportSettings(**values)
    if settings.period < timedelta(hours=1):
        raise ConfigError("report.period", "must be at least 1h")
    return settings
