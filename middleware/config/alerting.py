"""The ``roles``, ``routes`` and ``alerts`` sections of config.yaml: who hears about what, how.

Parsed and checked once at start-up (``middleware.config.loader``), so a
typo in a role name, an Apprise URL that no plugin understands, or a template placeholder that
does not exist stops the process with a ``ConfigError`` naming the key (``roles.cto[0]``,
``routes.sla.breached[1]``, ``alerts.templates.sla.at_risk.body``) instead of silently dropping
an alert at 3 a.m.

URLs carry tokens and passwords (they come from ``${VAR}`` substitution), so nothing here ever
puts a URL in an error message or a log line: :func:`redact` gives a recognisable but harmless
label (scheme, non-secret host, a short fingerprint).

An empty role (no URLs, or only ``${VAR:-}`` that are unset) is valid and means "log only": the
alert is logged and recorded on the incident's timeline but sent nowhere. That is what lets the
shipped config.yaml load on a fresh machine with no alert variables at all.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from middleware.config.schema import ConfigError, parse_duration

__all__ = [
    "BUILTIN_ROLES",
    "ENGAGEMENT_DIRECTOR",
    "NOT_FLAGGED",
    "PLACEHOLDERS",
    "Alerting",
    "AlertsSettings",
    "EngagementDirector",
    "RolesSettings",
    "Template",
    "apprise_accepts",
    "email_url",
    "fingerprint",
    "load_alerts",
    "load_roles",
    "load_routes",
    "redact",
]

ENGAGEMENT_DIRECTOR = "engagement_director"
# A critical ticket whose flagging write Zendesk refused (a closed ticket, a field it rejects):
# no incident is recorded, so a person is told, with Zendesk's reason, to act by hand.
NOT_FLAGGED = "incident.not_flagged"
BUILTIN_ROLES = ("head_of_support", "cto", ENGAGEMENT_DIRECTOR, "engineering", "product", "customer_operations")

DEFAULT_ROUTES: dict[str, tuple[str, ...]] = {
    "incident.declared": ("head_of_support", ENGAGEMENT_DIRECTOR, "cto"),
    "sla.at_risk": ("head_of_support",),
    "sla.breached": ("head_of_support", "cto"),
    "incident.resolved": ("head_of_support", ENGAGEMENT_DIRECTOR, "cto"),
    "possible": ("head_of_support",),
    "possible.reminder": ("head_of_support",),
    NOT_FLAGGED: ("head_of_support",),
}
# Routes that exist even when config.yaml's ``routes:`` does not list them (they came later
# than many configs): a possible critical incident, or a critical ticket Zendesk would not let
# us flag, must reach someone.
IMPLIED_ROUTES = ("possible", "possible.reminder", NOT_FLAGGED)

# Every name a template may use. Restricted (security) incidents get the same names, but the
# ticket-derived ones are replaced by WITHHELD before rendering, whatever the template says.
PLACEHOLDERS = (
    "event", "event_label", "reminder", "incident_id", "ticket_id", "link", "subject", "organization",
    "category", "rules", "reasons", "declared_at", "since_declared", "sla", "sla_due_at", "roles", "problem",
)
TICKET_DERIVED = ("subject", "organization", "reasons")
WITHHELD = "(withheld: security incident)"

_NOTIFY_TYPES = ("info", "success", "warning", "failure")

_BODY = (
    "{reminder}Ticket: {link}\n"
    "Subject: {subject}\n"
    "Organisation: {organization}\n"
    "Category: {category}\n"
    "Why critical: {reasons}\n"
    "Declared: {since_declared} ago ({declared_at})\n"
    "SLA: {sla}"
)
_POSSIBLE_BODY = (
    "{reminder}Ticket: {link}\n"
    "Subject: {subject}\n"
    "Organisation: {organization}\n"
    "Looks like: {category}\n"
    "Why: {reasons}\n"
    "Raised: {since_declared} ago ({declared_at})\n"
    "Confirm: add the tag critical_incident (the SLA runs from when the ticket was raised). "
    "Dismiss: add not_critical."
)
_NOT_FLAGGED_BODY = (
    "Ticket: {link}\n"
    "Subject: {subject}\n"
    "Organisation: {organization}\n"
    "Category: {category}\n"
    "Why critical: {reasons}\n"
    "Zendesk refused the update: {problem}\n"
    "No incident is running for it (no SLA clock, no other alerts). Flag it by hand: add the tag "
    "critical_incident if the ticket can still be changed, else open a new ticket for the customer."
)
_RESTRICTED_NOT_FLAGGED_BODY = (
    "Ticket: {link}\n"
    "Category: {category}\n"
    "Rule: {rules}\n"
    "Zendesk refused the update: {problem}\n"
    "No incident is running for it. Flag it by hand (tag critical_incident) or open a new ticket."
)
_RESTRICTED_BODY = (
    "{reminder}Ticket: {link}\n"
    "Category: {category}\n"
    "Rule: {rules}\n"
    "Declared: {since_declared} ago ({declared_at})\n"
    "SLA: {sla}\n"
    "Details are kept out of alerts for security incidents: open the ticket."
)


@dataclass(frozen=True)
class Template:
    """Title and body of one event's message, and how urgent it looks (Apprise notify type)."""

    title: str
    body: str
    notify_type: str = "info"


DEFAULT_TEMPLATES: dict[str, Template] = {
    "default": Template("{event_label}: #{ticket_id} {subject}", _BODY, "info"),
    "incident.declared": Template("Critical incident declared: #{ticket_id} {subject}", _BODY, "failure"),
    "sla.at_risk": Template("SLA at risk: #{ticket_id} {subject} ({sla})", _BODY, "warning"),
    "sla.breached": Template("{reminder}SLA breached: #{ticket_id} {subject}", _BODY, "failure"),
    "incident.resolved": Template("Critical incident resolved: #{ticket_id} {subject}", _BODY, "success"),
    "possible": Template("Possibly critical, please decide: #{ticket_id} {subject}", _POSSIBLE_BODY, "warning"),
    "possible.reminder": Template("Still undecided, possibly critical: #{ticket_id} {subject}", _POSSIBLE_BODY,
                                  "warning"),
    NOT_FLAGGED: Template("Critical ticket NOT flagged in Zendesk: #{ticket_id} {subject}", _NOT_FLAGGED_BODY,
                          "failure"),
}
DEFAULT_RESTRICTED_TEMPLATES: dict[str, Template] = {
    "default": Template("{event_label}: security incident #{ticket_id}", _RESTRICTED_BODY, "info"),
    "incident.declared": Template("Critical security incident declared: #{ticket_id}", _RESTRICTED_BODY,
                                  "failure"),
    "sla.at_risk": Template("SLA at risk: security incident #{ticket_id} ({sla})", _RESTRICTED_BODY, "warning"),
    "sla.breached": Template("{reminder}SLA breached: security incident #{ticket_id}", _RESTRICTED_BODY,
                             "failure"),
    "incident.resolved": Template("Security incident resolved: #{ticket_id}", _RESTRICTED_BODY, "success"),
    "possible": Template("Possibly a security incident, please decide: #{ticket_id}", _RESTRICTED_BODY, "warning"),
    "possible.reminder": Template("Still undecided, possibly a security incident: #{ticket_id}", _RESTRICTED_BODY,
                                  "warning"),
    NOT_FLAGGED: Template("Critical security ticket NOT flagged in Zendesk: #{ticket_id}",
                          _RESTRICTED_NOT_FLAGGED_BODY, "failure"),
}


@dataclass(frozen=True)
class EngagementDirector:
    """The customer's Engagement Director: organisation field, then per-organisation, then default."""

    organization_field: str | None = ENGAGEMENT_DIRECTOR
    by_organization: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default: tuple[str, ...] = ()


@dataclass(frozen=True)
class RolesSettings:
    """Role name → Apprise URLs; the Engagement Director is resolved per organisation."""

    static: dict[str, tuple[str, ...]] = field(default_factory=dict)
    engagement_director: EngagementDirector = field(default_factory=EngagementDirector)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(BUILTIN_ROLES) | frozenset(self.static)


@dataclass(frozen=True)
class AlertsSettings:
    """How alerts are written, routed by category, retried and remembered."""

    templates: dict[str, Template] = field(default_factory=lambda: dict(DEFAULT_TEMPLATES))
    restricted_templates: dict[str, Template] = field(default_factory=lambda: dict(DEFAULT_RESTRICTED_TEMPLATES))
    restricted_categories: frozenset[str] = frozenset({"security"})
    category_routes: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    email_url_template: str | None = None
    retry_max: int = 5
    retry_intervals: tuple[int, ...] = (10, 30, 60, 120, 300)
    send_timeout_seconds: float = 20.0
    sent_ttl: timedelta = timedelta(days=30)

    def template_for(self, event: str, restricted: bool) -> Template:
        table = self.restricted_templates if restricted else self.templates
        return table.get(event) or table["default"]


# -- URLs ------------------------------------------------------------------------------------
def fingerprint(url: str) -> str:
    """A short stable id for a URL: tells destinations apart in keys and logs without the secret."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]


def apprise_accepts(url: str) -> bool:
    """True if an Apprise plugin parses ``url`` (nothing is sent)."""
    import apprise

    return apprise.Apprise.instantiate(url) is not None


def redact(url: str) -> str:
    """``scheme://host…#fingerprint``: enough to recognise a destination, never its secret.

    The host comes from Apprise's privacy rendering, which masks hosts that are tokens
    (``slack://T...2``); user, password, path and query are always dropped.
    """
    import apprise

    scheme = url.split("://", 1)[0] if "://" in url else "?"
    host = ""
    try:
        plugin = apprise.Apprise.instantiate(url)
        if plugin is not None:
            host = urlsplit(plugin.url(privacy=True)).hostname or ""
    except Exception:  # redaction must never fail a delivery or a config check
        host = ""
    return f"{scheme}://{host}…#{fingerprint(url)}"


def email_url(template: str, email: str) -> str:
    """The Apprise mail URL for one address: ``{email}`` in the template, URL-quoted."""
    return template.replace("{email}", quote(email, safe="@"))


# -- loaders ---------------------------------------------------------------------------------
def _url_list(value: Any, key: str) -> tuple[str, ...]:
    """A list of URLs (or one string, split on whitespace); empty entries are dropped (log only)."""
    if value is None:
        return ()
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ConfigError(key, "expected a list of Apprise URLs")
    urls: list[str] = []
    for i, item in enumerate(items):
        item_key = f"{key}[{i}]" if not isinstance(value, str) else key
        if not isinstance(item, str):
            raise ConfigError(item_key, "expected an Apprise URL string")
        for part in item.split():
            if not apprise_accepts(part):
                raise ConfigError(item_key, f"not a URL Apprise can deliver to ({redact(part)})")
            urls.append(part)
    return tuple(dict.fromkeys(urls))


def _engagement_director(raw: Any, key: str) -> EngagementDirector:
    if raw is None or isinstance(raw, (list, str)):
        return EngagementDirector(default=_url_list(raw, key))
    if not isinstance(raw, dict):
        raise ConfigError(key, "expected a mapping (organization_field, by_organization, default) or a URL list")
    unknown = sorted(set(raw) - {"organization_field", "by_organization", "default"})
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}", "unknown key (known: by_organization, default, organization_field)")
    org_field = raw.get("organization_field", ENGAGEMENT_DIRECTOR)
    if org_field is not None and (not isinstance(org_field, str) or not org_field.strip()):
        raise ConfigError(f"{key}.organization_field", "expected the key of a Zendesk organisation field")
    by_org_raw = raw.get("by_organization") or {}
    if not isinstance(by_org_raw, dict):
        raise ConfigError(f"{key}.by_organization", "expected a mapping of organisation id → URL list")
    by_org: dict[str, tuple[str, ...]] = {}
    for org_id, urls in by_org_raw.items():
        org_key = str(org_id).strip()
        if not org_key.isdigit():
            raise ConfigError(f"{key}.by_organization.{org_id}", "expected a Zendesk organisation id (digits)")
        by_org[org_key] = _url_list(urls, f"{key}.by_organization.{org_key}")
    return EngagementDirector(
        organization_field=org_field.strip() if org_field else None,
        by_organization=by_org,
        default=_url_list(raw.get("default"), f"{key}.default"),
    )


def load_roles(raw: Any) -> RolesSettings:
    """``roles:`` → :class:`RolesSettings`; every URL is checked with Apprise."""
    if raw is None:
        return RolesSettings()
    if not isinstance(raw, dict):
        raise ConfigError("roles", "expected a mapping of role name → Apprise URL list")
    static: dict[str, tuple[str, ...]] = {}
    ed = EngagementDirector()
    for name, value in raw.items():
        role = str(name)
        if not role.isidentifier():
            raise ConfigError(f"roles.{role}", "a role name is letters, digits and underscores")
        if role == ENGAGEMENT_DIRECTOR:
            ed = _engagement_director(value, f"roles.{role}")
        else:
            static[role] = _url_list(value, f"roles.{role}")
    return RolesSettings(static=static, engagement_director=ed)


def _role_list(value: Any, key: str, known: frozenset[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(key, "expected a list of role names")
    for i, role in enumerate(value):
        if role not in known:
            raise ConfigError(f"{key}[{i}]", f"unknown role {role!r} (known: {', '.join(sorted(known))})")
    return tuple(dict.fromkeys(value))


def load_routes(raw: Any, known: frozenset[str] = frozenset(BUILTIN_ROLES)) -> dict[str, tuple[str, ...]]:
    """``routes:`` event → roles. Absent: the documented defaults. Roles not in ``known`` (the
    ``roles`` section's names) are errors."""
    if raw is None:
        return dict(DEFAULT_ROUTES)
    if not isinstance(raw, dict):
        raise ConfigError("routes", "expected a mapping of event name → role list")
    routes = {str(event): _role_list(roles, f"routes.{event}", known) for event, roles in raw.items()}
    for event in IMPLIED_ROUTES:
        routes.setdefault(event, DEFAULT_ROUTES[event])
    return routes


def _check_template_text(text: Any, key: str) -> str:
    if not isinstance(text, str):
        raise ConfigError(key, "expected a string")
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ConfigError(key, f"not a valid template: {exc}") from exc
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            raise ConfigError(key, f"unknown placeholder {{{name}}} (known: {', '.join(PLACEHOLDERS)})")
    return text


def _templates(raw: Any, key: str, defaults: dict[str, Template]) -> dict[str, Template]:
    if raw is None:
        return dict(defaults)
    if not isinstance(raw, dict):
        raise ConfigError(key, "expected a mapping of event name → {title, body, type}")
    out = dict(defaults)
    for event, spec in raw.items():
        ekey = f"{key}.{event}"
        if not isinstance(spec, dict):
            raise ConfigError(ekey, "expected a mapping with title, body and optionally type")
        unknown = sorted(set(spec) - {"title", "body", "type"})
        if unknown:
            raise ConfigError(f"{ekey}.{unknown[0]}", "unknown key (known: body, title, type)")
        base = defaults.get(str(event)) or defaults["default"]
        notify_type = spec.get("type", base.notify_type)
        if notify_type not in _NOTIFY_TYPES:
            raise ConfigError(f"{ekey}.type", f"expected one of {', '.join(_NOTIFY_TYPES)}")
        out[str(event)] = Template(
            title=_check_template_text(spec.get("title", base.title), f"{ekey}.title"),
            body=_check_template_text(spec.get("body", base.body), f"{ekey}.body"),
            notify_type=notify_type,
        )
    return out


def _category_routes(raw: Any, key: str, known: frozenset[str]) -> dict[str, dict[str, tuple[str, ...]]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(key, "expected a mapping of category → {event: [roles]}")
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for category, events in raw.items():
        ckey = f"{key}.{category}"
        if not isinstance(events, dict):
            raise ConfigError(ckey, "expected a mapping of event name (or *) → role list")
        out[str(category)] = {str(ev): _role_list(roles, f"{ckey}.{ev}", known) for ev, roles in events.items()}
    return out


def _email_template(raw: Any, key: str) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str) or "{email}" not in raw:
        raise ConfigError(key, "expected an Apprise mail URL containing {email}")
    if not apprise_accepts(email_url(raw.strip(), "probe@example.com")):
        raise ConfigError(key, f"not a mail URL Apprise can deliver to ({redact(raw)})")
    return raw.strip()


def _retry(raw: Any, key: str) -> tuple[int, tuple[int, ...]]:
    if raw is None:
        return AlertsSettings.retry_max, AlertsSettings.retry_intervals
    if not isinstance(raw, dict) or set(raw) - {"max", "intervals"}:
        raise ConfigError(key, "expected a mapping with max and intervals")
    max_ = raw.get("max", AlertsSettings.retry_max)
    if isinstance(max_, bool) or not isinstance(max_, int) or not 0 <= max_ <= 50:
        raise ConfigError(f"{key}.max", "expected a whole number of retries from 0 to 50")
    intervals_raw = raw.get("intervals", list(AlertsSettings.retry_intervals))
    if not isinstance(intervals_raw, list) or not intervals_raw:
        raise ConfigError(f"{key}.intervals", "expected a list of durations such as [10s, 1m]")
    intervals = tuple(int(parse_duration(v, f"{key}.intervals[{i}]").total_seconds())
                      for i, v in enumerate(intervals_raw))
    return max_, intervals


_ALERTS_KEYS = {"templates", "restricted_templates", "restricted_categories", "category_routes",
                "email_url_template", "retry", "send_timeout", "sent_ttl"}


def load_alerts(raw: Any, known: frozenset[str] = frozenset(BUILTIN_ROLES)) -> AlertsSettings:
    """``alerts:`` → :class:`AlertsSettings` (templates, category routes, mail URL, retries);
    ``known``: the role names category routes may use."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("alerts", "expected a mapping")
    unknown = sorted(set(raw) - _ALERTS_KEYS)
    if unknown:
        raise ConfigError(f"alerts.{unknown[0]}", f"unknown key (known: {', '.join(sorted(_ALERTS_KEYS))})")
    restricted = raw.get("restricted_categories", list(AlertsSettings.restricted_categories))
    if not isinstance(restricted, list) or not all(isinstance(c, str) for c in restricted):
        raise ConfigError("alerts.restricted_categories", "expected a list of category names")
    retry_max, intervals = _retry(raw.get("retry"), "alerts.retry")
    timeout = (parse_duration(raw["send_timeout"], "alerts.send_timeout").total_seconds() if "send_timeout" in raw
               else AlertsSettings.send_timeout_seconds)
    if not 1 <= timeout <= 300:
        raise ConfigError("alerts.send_timeout", "expected between 1s and 5m")
    return AlertsSettings(
        templates=_templates(raw.get("templates"), "alerts.templates", DEFAULT_TEMPLATES),
        restricted_templates=_templates(raw.get("restricted_templates"), "alerts.restricted_templates",
                                        DEFAULT_RESTRICTED_TEMPLATES),
        restricted_categories=frozenset(restricted),
        category_routes=_category_routes(raw.get("category_routes"), "alerts.category_routes", known),
        email_url_template=_email_template(raw.get("email_url_template"), "alerts.email_url_template"),
        retry_max=retry_max,
        retry_intervals=intervals,
        send_timeout_seconds=timeout,
        sent_ttl=parse_duration(raw["sent_ttl"], "alerts.sent_ttl") if "sent_ttl" in raw else AlertsSettings.sent_ttl,
    )


@dataclass(frozen=True)
class Alerting:
    """The three sections together, as the alert jobs use them."""

    roles: RolesSettings
    routes: dict[str, tuple[str, ...]]
    alerts: AlertsSettings

    def setup(self) -> dict[str, Any]:
        """Which routed roles have somewhere to go; ``logged_only`` when no role has any destination."""
        by_category = [r for routes in self.alerts.category_routes.values() for roles in routes.values()
                       for r in roles]
        routed = list(dict.fromkeys([*(r for roles in self.routes.values() for r in roles), *by_category]))
        ed = self.roles.engagement_director
        configured = [r for r, urls in self.roles.static.items() if urls]
        if ed.default or ed.by_organization:
            configured.append(ENGAGEMENT_DIRECTOR)
        silent = [r for r in routed if r not in configured]
        return {"logged_only": not configured, "configured_roles": configured,
                "roles_without_destination": silent, "engagement_director_field": ed.organization_field}
