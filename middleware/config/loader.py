"""Load and validate ``config.yaml`` once, at start-up, so a mistake stops the process early.

The file is read, ``${VAR}`` (or ``${VAR:-default}``) in any string is replaced from the
environment (secrets never live in the file; a missing variable without a default is an error
naming both the key and the variable), and each section is parsed by its own module into one
typed object. The list of sections below is the list of what config.yaml may contain.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from middleware.config.alerting import (
    DEFAULT_ROUTES,
    Alerting,
    AlertsSettings,
    RolesSettings,
    load_alerts,
    load_roles,
    load_routes,
)
from middleware.config.correlation import CorrelationSettings, load_correlation_settings
from middleware.config.customer_updates import CustomerUpdateSettings, load_customer_updates
from middleware.config.intake import IntakeSettings, load_intake_settings
from middleware.config.lifecycle import (
    CustomerMessages,
    ReportSettings,
    ReviewSettings,
    load_customer_messages,
    load_report,
    load_review,
)
from middleware.config.possible import PossibleSettings, load_possible_settings
from middleware.config.reconcile import ReconcileSettings, load_reconcile_settings
from middleware.config.redis import load_redis
from middleware.config.rules import load_rules_document
from middleware.config.schema import ConfigError, load_yaml
from middleware.config.security import SecuritySettings, load_security_settings
from middleware.config.sla import SlaSettings, load_sla_settings
from middleware.config.webhook import WebhookSettings, load_webhook
from middleware.config.writeback import WritebackSettings, load_writeback
from middleware.config.zendesk import ZendeskSettings, load_zendesk
from rules import RuleSet, compile_rules

__all__ = ["SECTIONS", "Config", "load_config"]

DEFAULT_CONFIG_PATH = "config.yaml"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

# Every top-level key config.yaml may have, in the order they are parsed (later sections check
# names against earlier ones: routes against roles, SLA categories against the rules).
SECTIONS = (
    "webhook", "zendesk", "writeback", "redis", "rules",
    "sla",
    # alerting: roles first, routes and alerts check the role names they use against it
    "roles", "routes", "alerts",
    # spotting incidents beyond customer tickets (docs/intake.md)
    "intake", "security",
    # tickets that may be critical: put to a person (rules/README.md, "possible critical")
    "possible", "correlation", "reconcile",
    # after the declaration: customers told, review and actions, the lead-team report (docs/lifecycle.md)
    "customer_messages", "review", "report",
    # status updates and proactive notices, sent only when a person asks (docs/customer-updates.md)
    "customer_updates",
)


@dataclass
class Config:
    """The validated configuration: one typed object per section, each with its defaults (so a
    Config built by hand, as tests do, has every section)."""

    path: str = DEFAULT_CONFIG_PATH
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    zendesk: ZendeskSettings = field(default_factory=ZendeskSettings)
    writeback: WritebackSettings = field(default_factory=WritebackSettings)
    redis_prefix: str = "cim"
    rules: RuleSet = field(default_factory=lambda: RuleSet([]))  # compiled once, here
    sla: SlaSettings = field(default_factory=SlaSettings)
    roles: RolesSettings = field(default_factory=RolesSettings)
    routes: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_ROUTES))
    alerts: AlertsSettings = field(default_factory=AlertsSettings)
    intake: IntakeSettings = field(default_factory=IntakeSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    possible: PossibleSettings = field(default_factory=PossibleSettings)
    correlation: CorrelationSettings = field(default_factory=CorrelationSettings)
    reconcile: ReconcileSettings = field(default_factory=ReconcileSettings)
    customer_messages: CustomerMessages = field(default_factory=CustomerMessages)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    customer_updates: CustomerUpdateSettings = field(default_factory=CustomerUpdateSettings)

    @property
    def alerting(self) -> Alerting:
        """Roles, routes and alerts together, as the alert jobs use them."""
        return Alerting(roles=self.roles, routes=self.routes, alerts=self.alerts)

    @property
    def categories(self) -> frozenset[str]:
        """Every category an incident can have: the writeback's and the rules'."""
        named = {r.category for r in getattr(self.rules, "rules", ()) if getattr(r, "category", None)}
        return frozenset(self.writeback.category_tags) | named


def _substitute_env(value: Any, key: str, env: dict[str, str]) -> Any:
    if isinstance(value, str):

        def repl(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            raise ConfigError(key, f"environment variable {name} is not set")

        return _ENV_REF.sub(repl, value)
    if isinstance(value, dict):
        return {k: _substitute_env(v, f"{key}.{k}" if key else str(k), env) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute_env(v, f"{key}[{i}]", env) for i, v in enumerate(value)]
    return value


def _read(cfg_path: str, env: dict[str, str]) -> dict[str, Any]:
    """The file as a mapping of sections, environment references replaced."""
    try:
        text = Path(cfg_path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(cfg_path, f"cannot read the config file: {exc.strerror}") from exc
    try:
        raw = load_yaml(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(cfg_path, f"not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(cfg_path, "the top level must be a mapping of sections")
    raw = _substitute_env(raw, "", env)
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ConfigError(unknown[0], f"unknown section (known: {', '.join(sorted(SECTIONS))})")
    return raw


def load_config(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Config:
    """Read, substitute, validate and compile the configuration, or raise ConfigError (or
    rules.RuleError naming the rule, or the included file, and the key)."""
    env = dict(os.environ) if env is None else env
    cfg_path = str(path or env.get("MIDDLEWARE_CONFIG") or DEFAULT_CONFIG_PATH)
    raw = _read(cfg_path, env)
    config = Config(
        path=cfg_path,
        webhook=load_webhook(raw.get("webhook")),
        zendesk=load_zendesk(raw.get("zendesk")),
        writeback=load_writeback(raw.get("writeback")),
        redis_prefix=load_redis(raw.get("redis")).prefix,
    )
    # includes are relative to config.yaml
    config.rules = compile_rules(load_rules_document(raw.get("rules") or [], Path(cfg_path).resolve().parent))
    config.sla = load_sla_settings(raw.get("sla"), config.categories, config.writeback.tags)
    config.roles = load_roles(raw.get("roles"))
    config.routes = load_routes(raw.get("routes"), config.roles.names)
    config.alerts = load_alerts(raw.get("alerts"), config.roles.names)
    config.intake = load_intake_settings(raw.get("intake"))
    config.security = load_security_settings(raw.get("security"))
    config.possible = load_possible_settings(raw.get("possible"))
    config.correlation = load_correlation_settings(raw.get("correlation"))
    config.reconcile = load_reconcile_settings(raw.get("reconcile"))
    config.customer_messages = load_customer_messages(raw.get("customer_messages"), config.categories)
    config.review = load_review(raw.get("review"))
    config.report = load_report(raw.get("report"))
    config.customer_updates = load_customer_updates(raw.get("customer_updates"))
    return config
