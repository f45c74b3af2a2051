"""The ``security:`` section of config.yaml: where security incidents are routed in Zendesk.

A security incident should land with the people cleared to see it, whichever rule found it, so
the group is configured once here instead of on every security rule. A rule that sets its own
``actions.group_id`` still wins (it is the more specific instruction). Keeping ticket text out of
broad alerts is the alerts' ``restricted_categories`` setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from middleware.config import Config, _load_section

__all__ = ["SECURITY", "SecuritySettings", "load_security_settings", "routed_group", "security_settings_of"]

SECURITY = "security"


@dataclass(frozen=True)
class SecuritySettings:
    group_id: int | None = None  # Zendesk group that gets every security incident


class _SecuritySchema(Schema):
    class Meta:
        unknown = RAISE

    group_id = fields.Integer(load_default=None, allow_none=True, strict=False, validate=validate.Range(min=1))


def load_security_settings(raw: Any, config: Config | None = None) -> SecuritySettings:
    """Parse and check the ``security`` section (absent: no routing). An empty value (an unset
    ``${SECURITY_GROUP_ID:-}``) means no group."""
    if isinstance(raw, dict) and raw.get("group_id") == "":
        raw = {**raw, "group_id": None}
    return SecuritySettings(**_load_section(_SecuritySchema(), raw, "security"))


def security_settings_of(config: Config) -> SecuritySettings:
    """The parsed section; the defaults for a Config built without ``load_config`` (tests)."""
    settings = config.sections.get("security")
    return settings if isinstance(settings, SecuritySettings) else SecuritySettings()


def routed_group(config: Config, category: str | None) -> int | None:
    """The group a decision of ``category`` is routed to by configuration, if any."""
    if category == SECURITY:
        return security_settings_of(config).group_id
    return None
