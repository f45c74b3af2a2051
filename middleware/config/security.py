"""The ``security:`` section of config.yaml: where security incidents are routed in Zendesk.

A security incident should land with the people cleared to see it, whichever rule found it, so
the group is configured once here instead of on every security rule. A rule that sets its own
``actions.group_id`` still wins (it is the more specific instruction). Keeping ticket text out of
broad alerts is the alerts' ``restricted_categories`` setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from middleware.config.schema import SectionSchema, load_section

__all__ = ["SECURITY", "SecuritySettings", "load_security_settings"]

SECURITY = "security"


@dataclass(frozen=True)
class SecuritySettings:
    group_id: int | None = None  # Zendesk group that gets every security incident

    def routed_group(self, category: str | None) -> int | None:
        """The group a decision of ``category`` is routed to by configuration, if any."""
        return self.group_id if category == SECURITY else None


class _SecuritySchema(SectionSchema):
    builds = SecuritySettings

    group_id = fields.Integer(allow_none=True, strict=False, validate=validate.Range(min=1))


def load_security_settings(raw: Any) -> SecuritySettings:
    """Parse and check the ``security`` section (absent: no routing). An empty value (an unset
    ``${SECURITY_GROUP_ID:-}``) means no group."""
    if isinstance(raw, dict) and raw.get("group_id") == "":
        raw = {**raw, "group_id": None}
    return load_section(_SecuritySchema(), raw, "security")
