"""Load and validate ``config.yaml`` once, at start-up, so a mistake stops the process early.

Every problem is reported as ``ConfigError`` naming the key path (``webhook.max_body_bytes``,
``rules[3] (security-breach).when.text``) and what is wrong with it, because the person
reading it is an admin who just edited YAML, not a developer reading a traceback.

Secrets never live in the file: ``${VAR}`` (or ``${VAR:-default}``) anywhere in a string value
is replaced from the environment, and a missing variable without a default is an error naming
both the key and the variable.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from middleware.zendesk_limits import DEFAULT_URGENT_SHARE, HIGH_VOLUME_PLANS, PLAN_REQUESTS_PER_MINUTE, Limits
from rules import compile_rules

__all__ = [
    "Config",
    "ConfigError",
    "WebhookSettings",
    "WritebackSettings",
    "ZendeskSettings",
    "load_config",
    "parse_duration",
]

DEFAULT_CONFIG_PATH = "config.yaml"
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(ValueError):
    """A configuration problem, worded for the admin who edits config.yaml."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"config error at {key}: {problem}")


def parse_duration(value: Any, key: str = "duration") -> timedelta:
    """``90s``, ``45m``, ``1h``, ``1h30m``, ``2d`` (or a bare number of seconds)."""
    if isinstance(value, bool):
        raise ConfigError(key, f"expected a duration such as 45m or 1h, got {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ConfigError(key, "a duration cannot be negative")
        return timedelta(seconds=value)
    text = str(value).strip().lower()
    match = _DURATION.match(text)
    if not text or not match or not any(match.groups()):
        raise ConfigError(key, f"expected a duration such as 90s, 45m or 1h, got {value!r}")
    d, h, m, s = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=d, hours=h, minutes=m, seconds=s)


class _Duration(fields.Field):
    """A marshmallow field for duration strings, so schema errors name the key."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> timedelta:
        try:
            return parse_duration(value, attr or "duration")
        except ConfigError as exc:
            raise ValidationError(exc.problem) from exc


@dataclass(frozen=True)
class WebhookSettings:
    """How the receiver judges what Zendesk sends."""

    timestamp_tolerance: timedelta = timedelta(minutes=5)
    max_body_bytes: int = 1024 * 1024
    dedupe_ttl: timedelta = timedelta(days=3)
    retry_after_seconds: int = 10


@dataclass(frozen=True)
class ZendeskSettings:
    """How we talk to Zendesk: bounds on time and on the per-minute request budget."""

    api_user_id: int | None = None  # looked up once (GET /users/me) when not set
    timeout_seconds: float = 10.0
    connect_timeout_seconds: float = 3.05
    requests_per_minute: int = 400  # shared budget across all workers, below the plan's limit
    agent_url: str | None = None  # base for links to tickets; defaults to the API base
    # Zendesk's other limits, each its own window in the shared budget (middleware.zendesk_limits);
    # unset in config.yaml, they come from ``plan`` and ``high_volume``.
    plan: str | None = None
    high_volume: bool = False
    ticket_updates_per_minute: int = 100
    ticket_updates_per_ticket: int = 30  # per 10 minutes (Zendesk: per user per ticket)
    incremental_exports_per_minute: int = 10
    # Of the account-wide windows, the share background work may not use (flags come first).
    urgent_share: float = DEFAULT_URGENT_SHARE

    @property
    def limits(self) -> Limits:
        """The figures the shared budget enforces."""
        return Limits(
            requests_per_minute=self.requests_per_minute,
            ticket_updates_per_minute=self.ticket_updates_per_minute,
            ticket_updates_per_ticket=self.ticket_updates_per_ticket,
            incremental_exports_per_minute=self.incremental_exports_per_minute,
            urgent_share=self.urgent_share,
        )


@dataclass(frozen=True)
class WritebackSettings:
    """What a critical decision writes onto a ticket."""

    critical_tag: str = "critical_incident"
    override_tags: tuple[str, ...] = ("not_critical",)
    priority: str = "urgent"
    category_tags: dict[str, str] = field(
        default_factory=lambda: {
            "security": "critical_security",
            "outage": "critical_outage",
            "multi_customer": "critical_multi_customer",
            "monitoring": "critical_monitoring",
            "staff_report": "critical_staff_report",
        }
    )


class _WebhookSchema(Schema):
    class Meta:
        unknown = RAISE

    timestamp_tolerance = _Duration(load_default=timedelta(minutes=5))
    max_body_bytes = fields.Integer(load_default=1024 * 1024, validate=validate.Range(min=1024))
    dedupe_ttl = _Duration(load_default=timedelta(days=3))
    retry_after_seconds = fields.Integer(load_default=10, validate=validate.Range(min=1, max=59))


class _ZendeskSchema(Schema):
    class Meta:
        unknown = RAISE

    api_user_id = fields.Integer(load_default=None, allow_none=True)
    timeout_seconds = fields.Float(load_default=10.0, validate=validate.Range(min=0.1, max=60))
    connect_timeout_seconds = fields.Float(load_default=3.05, validate=validate.Range(min=0.1, max=30))
    requests_per_minute = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100000))
    agent_url = fields.String(load_default=None, allow_none=True)
    plan = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(sorted(PLAN_REQUESTS_PER_MINUTE)))
    high_volume = fields.Boolean(load_default=False)
    ticket_updates_per_minute = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100000))
    ticket_updates_per_ticket = fields.Integer(load_default=None, validate=validate.Range(min=1, max=10000))
    incremental_exports_per_minute = fields.Integer(load_default=None, validate=validate.Range(min=1, max=10000))
    urgent_share = fields.Float(load_default=DEFAULT_URGENT_SHARE, validate=validate.Range(min=0, max=0.9))

    @validates_schema
    def _high_volume_needs_a_plan_that_offers_it(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("high_volume") and data.get("plan") and data["plan"] not in HIGH_VOLUME_PLANS:
            raise ValidationError(f"the High Volume API add-on is only sold with plans "
                                  f"{', '.join(sorted(HIGH_VOLUME_PLANS))}", "high_volume")

    @post_load
    def _fill_from_plan(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Figures not given take Zendesk's documented ones for the plan; an explicit figure
        (e.g. a lower ``requests_per_minute`` leaving room for other integrations) wins."""
        plan_limits = Limits.for_plan(data.get("plan"), bool(data.get("high_volume")))
        for name in ("requests_per_minute", "ticket_updates_per_minute", "ticket_updates_per_ticket",
                     "incremental_exports_per_minute"):
            if data.get(name) is None:
                data[name] = getattr(plan_limits, name)
        return data


_PRIORITIES = ("low", "normal", "high", "urgent")


class _WritebackSchema(Schema):
    class Meta:
        unknown = RAISE

    critical_tag = fields.String(load_default="critical_incident", validate=validate.Regexp(r"^\S+$"))
    override_tags = fields.List(fields.String(validate=validate.Regexp(r"^\S+$")), load_default=["not_critical"])
    priority = fields.String(load_default="urgent", validate=validate.OneOf(_PRIORITIES))
    category_tags = fields.Dict(
        keys=fields.String(), values=fields.String(validate=validate.Regexp(r"^\S+$")), load_default=None
    )


class _RedisSchema(Schema):
    class Meta:
        unknown = RAISE

    prefix = fields.String(load_default="cim", validate=validate.Regexp(r"^[A-Za-z0-9_.-]+$"))


@dataclass
class Config:
    """The validated configuration. ``raw`` keeps the sections other modules parse."""

    raw: dict[str, Any]
    path: str
    webhook: WebhookSettings
    zendesk: ZendeskSettings
    writeback: WritebackSettings
    redis_prefix: str
    rules: Any  # rules.RuleSet, compiled once here
    sections: dict[str, Any] = field(default_factory=dict)  # other modules' parsed sections


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


def _load_section(schema: Schema, raw: Any, name: str) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(name, "expected a mapping")
    try:
        return schema.load(raw)
    except ValidationError as exc:
        key, problem = _first_error(exc.messages)
        raise ConfigError(f"{name}.{key}" if key else name, problem) from exc


def _first_error(messages: Any, prefix: str = "") -> tuple[str, str]:
    """Flatten marshmallow's nested error dict to the first (key path, message)."""
    if isinstance(messages, dict):
        for k, v in messages.items():
            sub = (
                f"{prefix}.{k}"
                if prefix and not isinstance(k, int)
                else (f"{prefix}[{k}]" if isinstance(k, int) else str(k))
            )
            return _first_error(v, sub)
    if isinstance(messages, list) and messages:
        first = messages[0]
        if isinstance(first, (dict, list)):
            return _first_error(first, prefix)
        return prefix, str(first)
    return prefix, str(messages)


# Sections parsed by other modules: name -> loader(raw_section, config_so_far) -> parsed value.
# Loaders raise ConfigError themselves. Registered here (not by import side effects) so the
# list of what config.yaml may contain reads in one place.
def _section_loaders() -> dict[str, Any]:
    from middleware.alerting_settings import load_alerts, load_roles, load_routes
    from middleware.correlate_settings import load_correlation_settings
    from middleware.customer_updates_settings import load_customer_updates
    from middleware.intake_settings import load_intake_settings
    from middleware.lifecycle_settings import load_customer_messages, load_report, load_review
    from middleware.possible_settings import load_possible_settings
    from middleware.reconcile_settings import load_reconcile_settings
    from middleware.security_settings import load_security_settings
    from middleware.sla_settings import load_sla_settings

    return {
        "sla": load_sla_settings,
        # alerting: roles first, routes and alerts check the role names they use against it
        "roles": load_roles,
        "routes": load_routes,
        "alerts": load_alerts,
        # spotting incidents beyond customer tickets (docs/intake.md)
        "intake": load_intake_settings,
        "security": load_security_settings,
        # tickets that may be critical: put to a person (rules/README.md, "possible critical")
        "possible": load_possible_settings,
        "correlation": load_correlation_settings,
        "reconcile": load_reconcile_settings,
        # after the declaration: customers told, review and actions, the lead-team report (docs/lifecycle.md)
        "customer_messages": load_customer_messages,
        "review": load_review,
        "report": load_report,
        # status updates and proactive notices, sent only when a person asks (docs/customer-updates.md)
        "customer_updates": load_customer_updates,
    }


KNOWN_TOP_LEVEL = {"webhook", "zendesk", "writeback", "redis", "rules"}


def load_config(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Config:
    """Read, substitute, validate and compile the configuration, or raise ConfigError."""
    env = dict(os.environ) if env is None else env
    cfg_path = str(path or env.get("MIDDLEWARE_CONFIG") or DEFAULT_CONFIG_PATH)
    try:
        text = Path(cfg_path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(cfg_path, f"cannot read the config file: {exc.strerror}") from exc
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(cfg_path, f"not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(cfg_path, "the top level must be a mapping of sections")
    raw = _substitute_env(raw, "", env)

    loaders = _section_loaders()
    unknown = sorted(set(raw) - KNOWN_TOP_LEVEL - set(loaders))
    if unknown:
        raise ConfigError(unknown[0], f"unknown section (known: {', '.join(sorted(KNOWN_TOP_LEVEL | set(loaders)))})")

    wh = _load_section(_WebhookSchema(), raw.get("webhook"), "webhook")
    zd = _load_section(_ZendeskSchema(), raw.get("zendesk"), "zendesk")
    wb = _load_section(_WritebackSchema(), raw.get("writeback"), "writeback")
    rd = _load_section(_RedisSchema(), raw.get("redis"), "redis")
    writeback = WritebackSettings(
        critical_tag=wb["critical_tag"],
        override_tags=tuple(wb["override_tags"]),
        priority=wb["priority"],
        category_tags=wb["category_tags"] or WritebackSettings().category_tags,
    )
    from middleware.rules_file import load_rules_document

    # includes are relative to config.yaml; raises rules.RuleError naming the rule (or file) and key
    rules_raw = load_rules_document(raw.get("rules") or [], Path(cfg_path).resolve().parent)
    ruleset = compile_rules(rules_raw)
    config = Config(
        raw=raw,
        path=cfg_path,
        webhook=WebhookSettings(**wh),
        zendesk=ZendeskSettings(**zd),
        writeback=writeback,
        redis_prefix=rd["prefix"],
        rules=ruleset,
    )
    for name, loader in loaders.items():
        config.sections[name] = loader(raw.get(name), config)
    return config


# marshmallow's INCLUDE is re-exported for loaders that accept free-form sub-keys.
_ = INCLUDE
