"""The ``intake:`` section of config.yaml: how monitoring alerts and staff reports become tickets.

Parsed once at start-up (registered in ``middleware.config._section_loaders``) so a typo stops
the process with a ``ConfigError`` naming the key. Secrets are not here: the bearer token that
senders present is ``INTAKE_TOKEN`` in the environment.

Every key has a default, so a config file without an ``intake:`` section is valid: alerts are
then filed by the API user itself, alert tickets are left open when the alert resolves, and
any reporter email is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from middleware.config import Config, ConfigError, _Duration, _load_section

__all__ = [
    "AlertIntakeSettings",
    "IntakeSettings",
    "ReportIntakeSettings",
    "intake_settings_of",
    "load_intake_settings",
]

_LABEL = r"^[A-Za-z_][A-Za-z0-9_]*$"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class AlertIntakeSettings:
    """Monitoring alerts: who files the ticket, which labels become tags, what a resolve does."""

    requester_email: str | None = None  # None: the API user files the ticket itself
    requester_name: str = "Monitoring"
    label_tags: tuple[str, ...] = ("severity", "team", "service")
    solve_on_resolve: bool = False
    max_alerts: int = 200  # alerts in one request (Alertmanager groups them)


@dataclass(frozen=True)
class ReportIntakeSettings:
    """Staff reports: whose email may file one (empty: anyone holding the token)."""

    allowed_domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntakeSettings:
    dedupe_ttl: timedelta = timedelta(minutes=10)  # an identical delivery within this is a retry
    lock_timeout: timedelta = timedelta(seconds=60)
    alerts: AlertIntakeSettings = field(default_factory=AlertIntakeSettings)
    reports: ReportIntakeSettings = field(default_factory=ReportIntakeSettings)


class _AlertsSchema(Schema):
    class Meta:
        unknown = RAISE

    requester_email = fields.String(load_default=None, allow_none=True)
    requester_name = fields.String(load_default="Monitoring", validate=validate.Length(min=1, max=200))
    label_tags = fields.List(fields.String(validate=validate.Regexp(_LABEL, error="not a label name")),
                             load_default=["severity", "team", "service"])
    solve_on_resolve = fields.Boolean(load_default=False)
    max_alerts = fields.Integer(load_default=200, validate=validate.Range(min=1, max=10000))


class _ReportsSchema(Schema):
    class Meta:
        unknown = RAISE

    allowed_domains = fields.List(fields.String(), load_default=[])


class _IntakeSchema(Schema):
    class Meta:
        unknown = RAISE

    dedupe_ttl = _Duration(load_default=timedelta(minutes=10))
    lock_timeout = _Duration(load_default=timedelta(seconds=60))
    alerts = fields.Raw(load_default=None, allow_none=True)
    reports = fields.Raw(load_default=None, allow_none=True)


def load_intake_settings(raw: Any, config: Config | None = None) -> IntakeSettings:
    """Parse and check the ``intake`` section (absent means the documented defaults)."""
    top = _load_section(_IntakeSchema(), raw, "intake")
    if top["dedupe_ttl"] <= timedelta(0):
        raise ConfigError("intake.dedupe_ttl", "must be longer than zero")
    if top["lock_timeout"] < timedelta(seconds=5):
        raise ConfigError("intake.lock_timeout", "must be at least 5s (a ticket create must fit inside it)")
    alerts = _load_section(_AlertsSchema(), top["alerts"], "intake.alerts")
    email = (alerts["requester_email"] or "").strip() or None
    if email is not None and not _EMAIL.match(email):
        raise ConfigError("intake.alerts.requester_email", f"expected an email address, got {email!r}")
    reports = _load_section(_ReportsSchema(), top["reports"], "intake.reports")
    domains = []
    for i, domain in enumerate(reports["allowed_domains"]):
        clean = domain.strip().lower().lstrip("@")
        if "." not in clean or " " in clean or "@" in clean:
            raise ConfigError(f"intake.reports.allowed_domains[{i}]",
                              f"expected an email domain such as example.com, got {domain!r}")
        domains.append(clean)
    return IntakeSettings(
        dedupe_ttl=top["dedupe_ttl"],
        lock_timeout=top["lock_timeout"],
        alerts=AlertIntakeSettings(
            requester_email=email,
            requester_name=alerts["requester_name"],
            label_tags=tuple(dict.fromkeys(alerts["label_tags"])),
            solve_on_resolve=alerts["solve_on_resolve"],
            max_alerts=alerts["max_alerts"],
        ),
        reports=ReportIntakeSettings(allowed_domains=tuple(domains)),
    )


def intake_settings_of(config: Config) -> IntakeSettings:
    """The parsed section; the defaults for a Config built without ``load_config`` (tests)."""
    settings = config.sections.get("intake")
    return settings if isinstance(settings, IntakeSettings) else IntakeSettings()
