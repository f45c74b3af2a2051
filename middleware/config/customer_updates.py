"""The ``customer_updates:`` section of config.yaml: status updates and proactive notices.

Beyond the two automatic messages (``customer_messages``), customers hear from us only when a
person asks (``python -m middleware incident update|notify``, or the incident API). This
section says who an organisation's incident contacts are, how large a notice may be before it
needs an explicit ``--yes``, and what a proactive notice ticket looks like. Parsed and checked at
start-up like every section, so a typo stops the process with the key named
(``customer_updates.confirm_above``) instead of surfacing in the middle of an incident.

Every key has a default: contacts are the organisation's end users tagged ``incident_contact``,
a notice to more than 50 organisations needs ``--yes``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, replace
from typing import Any

from marshmallow import fields, validate

from middleware.config.schema import TAG, ConfigError, SectionSchema, load_section

__all__ = [
    "NOTICE_PLACEHOLDERS",
    "UPDATE_PLACEHOLDERS",
    "CustomerUpdateSettings",
    "MessageError",
    "check_message",
    "load_customer_updates",
    "render",
]

# What a message may say about its recipient; never anything about other customers.
UPDATE_PLACEHOLDERS = ("ticket_id", "subject", "requester_name")
NOTICE_PLACEHOLDERS = ("requester_name", "organization_name")
MAX_MESSAGE_CHARS = 20000

DEFAULT_NOTICE_SUBJECT = "Important information about our service"


class MessageError(ValueError):
    """A message a person wrote cannot be sent as it is (empty, too long, unknown placeholder)."""


@dataclass(frozen=True)
class CustomerUpdateSettings:
    """Who an organisation's incident contacts are, and the limits of a proactive notice."""

    contact_user_tag: str = "incident_contact"  # end users with this tag are their organisation's contacts
    contact_org_field: str | None = None  # or: an organisation field listing contact emails (wins when filled)
    confirm_above: int = 50  # a notice to more organisations than this needs --yes
    notice_subject: str = DEFAULT_NOTICE_SUBJECT
    notice_tag: str = "incident_notice"  # on every proactive notice ticket
    update_tag: str = "incident_update"  # on every ticket that got a status update


class _ContactsSchema(SectionSchema):
    user_tag = fields.String(validate=TAG, data_key="user_tag", attribute="contact_user_tag")
    org_field = fields.String(allow_none=True, data_key="org_field", attribute="contact_org_field")


class _Schema(SectionSchema):
    contacts = fields.Dict(allow_none=True)
    confirm_above = fields.Integer(strict=False, validate=validate.Range(min=1, max=100000))
    notice_subject = fields.String()
    notice_tag = fields.String(validate=TAG)
    update_tag = fields.String(validate=TAG)


def load_customer_updates(raw: Any) -> CustomerUpdateSettings:
    """``customer_updates:`` → :class:`CustomerUpdateSettings` (absent: the defaults)."""
    values = load_section(_Schema(), raw, "customer_updates")
    values.update(load_section(_ContactsSchema(), values.pop("contacts", None) or {}, "customer_updates.contacts"))
    settings = CustomerUpdateSettings(**values)
    subject = settings.notice_subject.strip()
    if not subject:
        raise ConfigError("customer_updates.notice_subject", "cannot be empty")
    try:
        check_message(subject, NOTICE_PLACEHOLDERS)
    except MessageError as exc:
        raise ConfigError("customer_updates.notice_subject", str(exc)) from exc
    org_field = (settings.contact_org_field or "").strip() or None
    if org_field is not None and not org_field.replace("_", "").replace("-", "").isalnum():
        raise ConfigError("customer_updates.contacts.org_field",
                          "expected an organisation field key, e.g. incident_contacts")
    if settings.notice_tag == settings.update_tag:
        raise ConfigError("customer_updates.update_tag", "must differ from customer_updates.notice_tag")
    return replace(settings, notice_subject=subject, contact_org_field=org_field)


def check_message(text: str, placeholders: tuple[str, ...]) -> str:
    """The message, stripped, if it can be sent; else :class:`MessageError` saying why."""
    body = (text or "").strip()
    if not body:
        raise MessageError("the message is empty")
    if len(body) > MAX_MESSAGE_CHARS:
        raise MessageError(f"the message is {len(body)} characters long (at most {MAX_MESSAGE_CHARS})")
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError as exc:
        raise MessageError(f"the message is not a valid template ({exc}); write {{{{ and }}}} for literal braces") \
            from exc
    for _, name, spec, conversion in parsed:
        if name is not None and (name not in placeholders or spec or conversion):
            known = ", ".join("{" + p + "}" for p in placeholders)
            raise MessageError(f"unknown placeholder {{{name}}} (known: {known}; "
                               "write {{ and }} for literal braces)")
    return body


def render(text: str, values: dict[str, Any]) -> str:
    """The message for one recipient (placeholders checked by :func:`check_message` before)."""
    return text.format_map({k: "" if v is None else str(v) for k, v in values.items()}).strip()
