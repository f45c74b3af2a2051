"""The ``intake:`` section of config.yaml: how monitoring alerts and staff reports become tickets.

Parsed once at start-up (``middleware.config.loader``) so a typo stops
the process with a ``ConfigError`` naming the key. Secrets are not here: the bearer token that
senders present is ``INTAKE_TOKEN`` in the environment.

Every key has a default, so a config file without an ``intake:`` section is valid: alerts are
then filed by the API user itself, alert tickets are left open when the alert resolves, and
any reporter email is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from marshmallow import fields, validate

from middleware.config.schema import ConfigError, Duration, SectionSchema, load_section

__all__ = [
    "AlertIntakeSettings",
    "IntakeSettings",
    "ReportIntakeSettings",
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


class _AlertsSchema(SectionSchema):
    requester_email = fields.String(allow_none=True)
    requester_name = fields.String(validate=validate.Length(min=1, max=200))
    label_tags = fields.List(fields.String(validate=validate.Regexp(_LABEL, error="not a label name")))
    solve_on_resolve = fields.Boolean()
    max_alerts = fields.Integer(validate=validate.Range(min=1, max=10000))


class _ReportsSchema(SectionSchema):
    allowed_domains = fields.List(fields.String())


class _IntakeSchema(SectionSchema):
    dedupe_ttl = Duration()
    lock_timeout = Duration()
    alerts = fields.Raw(allow_none=True)
    reports = fields.Raw(allow_none=True)


def load_intake_settings(raw: Any) -> IntakeSettings:
    """Parse and check the ``intake`` section (absent means the documented defaults)."""
    top = load_section(_IntakeSchema(), raw, "intake")
    settings = IntakeSettings(**{k: v for k, v in top.items() if k not in ("alerts", "reports")})
    if settings.dedupe_ttl <= timedelta(0):
        raise ConfigError("intake.dedupe_ttl", "must be longer than zero")
    if settings.lock_timeout < timedelta(seconds=5):
        raise ConfigError("intake.lock_timeout", "must be at least 5s (a ticket create must fit inside it)")
    alerts = load_section(_AlertsSchema(), top.get("alerts"), "intake.alerts")
    email = (alerts.get("requester_email") or "").strip() or None
    if email is not None and not _EMAIL.match(email):
        raise ConfigError("intake.alerts.requester_email", f"expected an email address, got {email!r}")
    alerts["requester_email"] = email
    if "label_tags" in alerts:
        alerts["label_tags"] = tuple(dict.fromkeys(alerts["label_tags"]))
    reports = load_section(_ReportsSchema(), top.get("reports"), "intake.reports")
    domains = []
    for i, domain in enumerate(reports.get("allowed_domains", ())):
        clean = domain.strip().lower().lstrip("@")
        if "." not in clean or " " in clean or "@" in clean:
            raise ConfigError(f"intake.reports.allowed_domains[{i}]",
                              f"expected an email domain such as example.com, got {domain!r}")
        domains.append(clean)
    return replace(settings, alerts=AlertIntakeSettings(**alerts),
                   reports=ReportIntakeSettings(allowed_domains=tuple(domains)))
