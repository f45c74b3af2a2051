"""The ``webhook:`` section of config.yaml: how the receiver judges what Zendesk sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from marshmallow import fields, validate

from middleware.config.schema import Duration, SectionSchema, load_section

__all__ = ["WebhookSettings", "load_webhook"]


@dataclass(frozen=True)
class WebhookSettings:
    """How old a signed request may be, how large, how long a delivery is remembered, and what
    ``Retry-After`` a 503 asks for (Zendesk retries)."""

    timestamp_tolerance: timedelta = timedelta(minutes=5)
    max_body_bytes: int = 1024 * 1024
    dedupe_ttl: timedelta = timedelta(days=3)
    retry_after_seconds: int = 10


class _WebhookSchema(SectionSchema):
    builds = WebhookSettings

    timestamp_tolerance = Duration()
    max_body_bytes = fields.Integer(validate=validate.Range(min=1024))
    dedupe_ttl = Duration()
    retry_after_seconds = fields.Integer(validate=validate.Range(min=1, max=59))


def load_webhook(raw: object) -> WebhookSettings:
    """Parse and check the ``webhook`` section (absent: the defaults above)."""
    return load_section(_WebhookSchema(), raw, "webhook")
