"""The ``reconcile:`` section of config.yaml: how often, and how far back, missed webhooks are
caught up from Zendesk's incremental ticket export.

Why each knob exists:

* ``every``: Zendesk drops deliveries for good after a few retries and while its circuit breaker
  is open; the catch-up bounds how long such a ticket waits unflagged.
* ``grace``: a ticket changed moments ago probably has its webhook in flight; judging it now
  would only race the webhook's own job, so it waits for the next run.
* ``first_since``: where the very first run (no cursor yet) starts reading.
* ``seen_ttl``: how long the per-ticket "last change we saw" is remembered; keep it well above
  ``every`` so a ticket is never mistaken for unseen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from marshmallow import fields, validate

from middleware.config.schema import ConfigError, Duration, SectionSchema, load_section

__all__ = ["ReconcileSettings", "load_reconcile_settings"]


@dataclass(frozen=True)
class ReconcileSettings:
    enabled: bool = True
    every: timedelta = timedelta(minutes=5)
    grace: timedelta = timedelta(minutes=2)
    first_since: timedelta = timedelta(hours=2)
    seen_ttl: timedelta = timedelta(days=7)
    per_page: int = 1000


class _ReconcileSchema(SectionSchema):
    builds = ReconcileSettings

    enabled = fields.Boolean()
    every = Duration()
    grace = Duration()
    first_since = Duration()
    seen_ttl = Duration()
    per_page = fields.Integer(validate=validate.Range(min=1, max=1000))


def load_reconcile_settings(raw: Any) -> ReconcileSettings:
    """Parse and check the ``reconcile`` section (absent means the documented defaults)."""
    settings: ReconcileSettings = load_section(_ReconcileSchema(), raw, "reconcile")
    if settings.every < timedelta(minutes=1):
        raise ConfigError("reconcile.every", "must be at least 1m (the periodic ticker runs once a minute)")
    if settings.first_since <= timedelta(0):
        raise ConfigError("reconcile.first_since", "must be longer than zero")
    if settings.seen_ttl < settings.every * 3 or settings.seen_ttl < settings.first_since:
        raise ConfigError("reconcile.seen_ttl", "must be at least three times reconcile.every and at least "
                                                "reconcile.first_since, or seen tickets would look unseen")
    return settings
