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

from marshmallow import RAISE, Schema, fields, validate

from middleware.config import Config, ConfigError, _Duration, _load_section

__all__ = ["ReconcileSettings", "load_reconcile_settings", "reconcile_settings_of"]


@dataclass(frozen=True)
class ReconcileSettings:
    enabled: bool = True
    every: timedelta = timedelta(minutes=5)
    grace: timedelta = timedelta(minutes=2)
    first_since: timedelta = timedelta(hours=2)
    seen_ttl: timedelta = timedelta(days=7)
    per_page: int = 1000


class _ReconcileSchema(Schema):
    class Meta:
        unknown = RAISE

    enabled = fields.Boolean(load_default=True)
    every = _Duration(load_default=timedelta(minutes=5))
    grace = _Duration(load_default=timedelta(minutes=2))
    first_since = _Duration(load_default=timedelta(hours=2))
    seen_ttl = _Duration(load_default=timedelta(days=7))
    per_page = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=1000))


def load_reconcile_settings(raw: Any, config: Config | None = None) -> ReconcileSettings:
    """Parse and check the ``reconcile`` section (absent means the documented defaults)."""
    values = _load_section(_ReconcileSchema(), raw, "reconcile")
    settings = ReconcileSettings(**values)
    if settings.every < timedelta(minutes=1):
        raise ConfigError("reconcile.every", "must be at least 1m (the periodic ticker runs once a minute)")
    if settings.first_since <= timedelta(0):
        raise ConfigError("reconcile.first_since", "must be longer than zero")
    if settings.seen_ttl < settings.every * 3 or settings.seen_ttl < settings.first_since:
        raise ConfigError("reconcile.seen_ttl", "must be at least three times reconcile.every and at least "
                                                "reconcile.first_since, or seen tickets would look unseen")
    return settings


def reconcile_settings_of(config: Config) -> ReconcileSettings:
    """The parsed section; the defaults for a Config built without ``load_config`` (tests)."""
    settings = config.sections.get("reconcile")
    return settings if isinstance(settings, ReconcileSettings) else ReconcileSettings()
