"""The ``zendesk:`` section of config.yaml: how we talk to Zendesk, within time and budget.

The budget's figures (requests, ticket updates, updates per ticket, export pages) follow
Zendesk's published ones for ``plan`` and ``high_volume`` (middleware.zendesk.limits); a figure
given here wins, e.g. a ``requests_per_minute`` below the plan's that leaves room for the
account's other integrations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from middleware.config.schema import SectionSchema, load_section
from middleware.zendesk.limits import HIGH_VOLUME_PLANS, PLAN_REQUESTS_PER_MINUTE, Limits

__all__ = ["ZendeskSettings", "load_zendesk"]

_LIMIT_NAMES = ("requests_per_minute", "ticket_updates_per_minute", "ticket_updates_per_ticket",
                "incremental_exports_per_minute")
_DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class ZendeskSettings:
    """How we talk to Zendesk: bounds on time and on the shared budget of every limit."""

    api_user_id: int | None = None  # looked up once (GET /users/me) when not set
    timeout_seconds: float = 10.0
    connect_timeout_seconds: float = 3.05
    agent_url: str | None = None  # base for links to tickets; defaults to the API base
    plan: str | None = None
    high_volume: bool = False
    # Each its own window in the shared budget (middleware.zendesk.limits), across all workers.
    requests_per_minute: int = _DEFAULT_LIMITS.requests_per_minute
    ticket_updates_per_minute: int = _DEFAULT_LIMITS.ticket_updates_per_minute
    ticket_updates_per_ticket: int = _DEFAULT_LIMITS.ticket_updates_per_ticket  # per 10 minutes
    incremental_exports_per_minute: int = _DEFAULT_LIMITS.incremental_exports_per_minute
    # Of the account-wide windows, the share background work may not use (flags come first).
    urgent_share: float = _DEFAULT_LIMITS.urgent_share

    @property
    def limits(self) -> Limits:
        """The figures the shared budget enforces."""
        return Limits(**{name: getattr(self, name) for name in _LIMIT_NAMES}, urgent_share=self.urgent_share)


class _ZendeskSchema(SectionSchema):
    api_user_id = fields.Integer(allow_none=True)
    timeout_seconds = fields.Float(validate=validate.Range(min=0.1, max=60))
    connect_timeout_seconds = fields.Float(validate=validate.Range(min=0.1, max=30))
    requests_per_minute = fields.Integer(validate=validate.Range(min=1, max=100000))
    agent_url = fields.String(allow_none=True)
    plan = fields.String(allow_none=True, validate=validate.OneOf(sorted(PLAN_REQUESTS_PER_MINUTE)))
    high_volume = fields.Boolean()
    ticket_updates_per_minute = fields.Integer(validate=validate.Range(min=1, max=100000))
    ticket_updates_per_ticket = fields.Integer(validate=validate.Range(min=1, max=10000))
    incremental_exports_per_minute = fields.Integer(validate=validate.Range(min=1, max=10000))
    urgent_share = fields.Float(validate=validate.Range(min=0, max=0.9))

    @validates_schema
    def _high_volume_needs_a_plan_that_offers_it(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("high_volume") and data.get("plan") and data["plan"] not in HIGH_VOLUME_PLANS:
            raise ValidationError(f"the High Volume API add-on is only sold with plans "
                                  f"{', '.join(sorted(HIGH_VOLUME_PLANS))}", "high_volume")

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> ZendeskSettings:
        """Figures not given take Zendesk's documented ones for the plan."""
        plan_limits = Limits.for_plan(data.get("plan"), bool(data.get("high_volume")))
        for name in _LIMIT_NAMES:
            data.setdefault(name, getattr(plan_limits, name))
        return ZendeskSettings(**data)


def load_zendesk(raw: Any) -> ZendeskSettings:
    """Parse and check the ``zendesk`` section (absent: the defaults above)."""
    return load_section(_ZendeskSchema(), raw, "zendesk")
