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

from marshmallow import fields

from middleware.config.schema import TAG, Duration, SectionSchema, load_section

__all__ = ["POSSIBLE_EVENT", "PossibleSettings", "load_possible_settings"]

POSSIBLE_EVENT = "possible"  # the alert route (and event) for a possible critical incident
REMINDER_EVENT = "possible.reminder"


@dataclass(frozen=True)
class PossibleSettings:
    enabled: bool = True
    tag: str = "possible_critical_incident"
    remind_after: timedelta = timedelta(minutes=15)


class _PossibleSchema(SectionSchema):
    builds = PossibleSettings

    enabled = fields.Boolean()
    tag = fields.String(validate=TAG)
    remind_after = Duration()


def load_possible_settings(raw: Any) -> PossibleSettings:
    """Parse and check the ``possible`` section (absent: the defaults above)."""
    return load_section(_PossibleSchema(), raw, "possible")
