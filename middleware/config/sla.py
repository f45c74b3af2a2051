"""The ``sla:`` section of config.yaml: how long a first response may take, when people are
warned, how often a breach is repeated, and what is written on the ticket.

Parsed and checked once at start-up (``middleware.config.loader``) so
that a clock that could never work, such as a warning later than the promise itself, stops the
process with a ``ConfigError`` naming the key (``sla.warnings[1]``,
``sla.categories.security.first_response``) instead of surfacing an hour into an incident.

Settings are copied onto each clock when it starts, so editing the file never moves the due
time of an incident that is already running.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from marshmallow import fields, validate

from middleware.config.schema import TAG, ConfigError, Duration, SectionSchema, load_section

__all__ = [
    "SlaFields",
    "SlaPolicy",
    "SlaSettings",
    "SlaTags",
    "load_sla_settings",
]

STATES = ("pending", "at_risk", "met", "breached")
_CATEGORY = r"^[A-Za-z0-9_-]+$"


@dataclass(frozen=True)
class SlaPolicy:
    """The promise for one kind of incident: times are measured from when the clock starts."""

    first_response: timedelta = timedelta(hours=1)
    warnings: tuple[timedelta, ...] = (timedelta(minutes=30), timedelta(minutes=45))
    reminder_every: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class SlaTags:
    """The one tag per state that shows the SLA on the ticket (a cancelled clock has none)."""

    pending: str = "critical_sla_pending"
    at_risk: str = "critical_sla_at_risk"
    met: str = "critical_sla_met"
    breached: str = "critical_sla_breached"

    def for_state(self, state: str) -> str | None:
        return getattr(self, state) if state in STATES else None

    def all(self) -> tuple[str, ...]:
        return tuple(getattr(self, state) for state in STATES)


@dataclass(frozen=True)
class SlaFields:
    """Ids of optional custom ticket fields kept current (text fields: ISO time, state name)."""

    due_at: int | None = None
    state: int | None = None


@dataclass(frozen=True)
class SlaSettings:
    default: SlaPolicy = field(default_factory=SlaPolicy)
    categories: dict[str, SlaPolicy] = field(default_factory=dict)
    tags: SlaTags = field(default_factory=SlaTags)
    fields: SlaFields = field(default_factory=SlaFields)

    def policy_for(self, category: str | None) -> SlaPolicy:
        """The category's own promise if it has one, else the default."""
        return self.categories.get(category or "", self.default)


class _PolicySchema(SectionSchema):
    first_response = Duration()
    warnings = fields.List(Duration())
    reminder_every = Duration()


class _TagsSchema(SectionSchema):
    builds = SlaTags

    pending = fields.String(validate=TAG)
    at_risk = fields.String(validate=TAG)
    met = fields.String(validate=TAG)
    breached = fields.String(validate=TAG)


class _FieldsSchema(SectionSchema):
    builds = SlaFields

    due_at = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    state = fields.Integer(allow_none=True, validate=validate.Range(min=1))


class _SlaSchema(_PolicySchema):
    categories = fields.Dict(keys=fields.String(validate=validate.Regexp(_CATEGORY)), values=fields.Raw(),
                             allow_none=True)
    tags = fields.Dict(keys=fields.String(), values=fields.Raw(), allow_none=True)
    fields_ = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), allow_none=True,
                          data_key="fields", attribute="fields")


def load_sla_settings(raw: Any, categories: frozenset[str] | None = None,
                      taken_tags: frozenset[str] = frozenset()) -> SlaSettings:
    """Parse and check the ``sla`` section (absent means the documented defaults).

    ``categories``: the categories incidents can have (a misspelt one would silently fall back
    to the default promise); ``taken_tags``: the writeback section's tags, which no SLA state may
    reuse.
    """
    top = load_section(_SlaSchema(), raw, "sla")
    default = _policy(top, SlaPolicy(), "sla")
    policies = {
        str(name): _policy(
            load_section(_PolicySchema(), sub, f"sla.categories.{name}"), default, f"sla.categories.{name}"
        )
        for name, sub in (top.get("categories") or {}).items()
    }
    _check_categories(policies, categories)
    tags = load_section(_TagsSchema(), top.get("tags"), "sla.tags")
    _check_distinct(tags, taken_tags)
    ids = load_section(_FieldsSchema(), top.get("fields"), "sla.fields")
    if ids.due_at is not None and ids.due_at == ids.state:
        raise ConfigError("sla.fields.state", "must be a different field from sla.fields.due_at")
    return SlaSettings(default=default, categories=policies, tags=tags, fields=ids)


def _policy(values: dict[str, Any], base: SlaPolicy, key: str) -> SlaPolicy:
    """A policy from the keys given, the rest inherited from ``base``, checked as a whole."""
    policy = SlaPolicy(
        first_response=values.get("first_response", base.first_response),
        warnings=tuple(values["warnings"]) if "warnings" in values else base.warnings,
        reminder_every=values.get("reminder_every", base.reminder_every),
    )
    if policy.first_response <= timedelta(0):
        raise ConfigError(f"{key}.first_response", "must be longer than zero")
    if policy.reminder_every <= timedelta(0):
        raise ConfigError(f"{key}.reminder_every", "must be longer than zero")
    inherited = "warnings" not in values
    for i, warning in enumerate(policy.warnings):
        where = f"{key}.warnings" if inherited else f"{key}.warnings[{i}]"
        if warning <= timedelta(0):
            raise ConfigError(where, "a warning must come after the clock starts (longer than zero)")
        if warning >= policy.first_response:
            hint = " (inherited; give this category its own warnings)" if inherited else ""
            raise ConfigError(
                where, f"{_short(warning)} is not earlier than first_response {_short(policy.first_response)}{hint}"
            )
        if i and warning <= policy.warnings[i - 1]:
            raise ConfigError(where, "warnings must be listed from earliest to latest, without repeats")
    return policy


def _check_categories(policies: dict[str, SlaPolicy], categories: frozenset[str] | None) -> None:
    """A misspelt category would silently fall back to the default promise: refuse it."""
    if categories is None:
        return
    for name in policies:
        if name not in categories:
            raise ConfigError(f"sla.categories.{name}",
                              f"no rule or writeback.category_tags entry has this category "
                              f"(known: {', '.join(sorted(categories))})")


def _check_distinct(tags: SlaTags, others: frozenset[str]) -> None:
    """Four different tags, none of them the product's other tags, or states would be unreadable."""
    seen: dict[str, str] = {}
    for state in STATES:
        tag = getattr(tags, state)
        if tag in seen:
            raise ConfigError(f"sla.tags.{state}", f"{tag!r} is already the tag of sla.tags.{seen[tag]}")
        if tag in others:
            raise ConfigError(f"sla.tags.{state}", f"{tag!r} is already used by the writeback section")
        seen[tag] = state


def _short(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
