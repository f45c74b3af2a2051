"""The ``possible:`` section of config.yaml: tickets the rules think may be critical.

Between the score's two thresholds (``rules.thresholds``) a ticket is neither flagged nor let
go: it gets a tag and a note saying what looked critical and how to confirm or dismiss, the
``possible`` alert route hears about it, and it is reminded once if nobody decides, because
the 1-hour promise is running from the moment the customer wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from middleware.config import Config, _Duration, _load_section

__all__ = ["POSSIBLE_EVENT", "PossibleSettings", "load_possible_settings", "possible_settings_of"]

POSSIBLE_EVENT = "possible"  # the alert route (and event) for a possible critical incident
REMINDER_EVENT = "possible.reminder"


@dataclass(frozen=True)
class PossibleSettings:
    enabled: bool = True
    tag: str = "possible_critical_incident"
    remind_after: timedelta = timedelta(minutes=15)


class _PossibleSchema(Schema):
    class Meta:
        unknown = RAISE

    enabled = fields.Boolean(load_default=True)
    tag = fields.String(load_default="possible_critical_incident", validate=validate.Regexp(r"^[^\s,]+$"))
    remind_after = _Duration(load_default=timedelta(minutes=15))


def load_possible_settings(raw: Any, config: Config | None = None) -> PossibleSettings:
    """Parse and check the ``possible`` section (absent: the defaults above)."""
    return PossibleSettings(**_load_section(_PossibleSchema(), raw, "possible"))


def possible_settings_of(config: Config) -> PossibleSettings:
    """The parsed section; the defaults for a Config built without ``load_config`` (tests)."""
    settings = config.sections.get("possible")
    return settings if isinstance(settings, PossibleSettings) else PossibleSettings()
