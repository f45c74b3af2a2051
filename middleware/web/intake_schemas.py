"""What ``/intake/alerts`` and ``/intake/reports`` accept, validated with marshmallow, and the one
internal shape each becomes (:class:`Alert`, :class:`StaffReport`).

Monitoring tools each speak their own JSON, so the dialect is recognised *by shape*:

* **Prometheus Alertmanager** webhook, ``"version": "4"``: a group of alerts, each with
  ``status``, ``labels``, ``annotations``, ``startsAt``/``endsAt``, ``generatorURL`` and
  ``fingerprint``;
* **Grafana alerting** (unified alerting) webhook: the same shape with ``"version": "1"`` and
  Grafana's extras (``orgId``, ``dashboardURL``, ``panelURL``, ``valueString`` …); Grafana's
  legacy alert webhook (``ruleId``, ``state: alerting|ok``) is accepted too;
* the documented **generic** form: ``title``, ``description``, ``severity``, ``fingerprint``,
  ``status`` (``firing``/``resolved``), ``labels``, ``link``.

Unknown extra keys are ignored (the tools add fields between versions); missing or malformed
required ones are a 400 naming the key. Nothing here does I/O, so it is tested without Flask.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from middleware.zendesk.webhook.schemas import flatten_errors
from rules.model import FIRING, RESOLVED, Alert, StaffReport, parse_time

__all__ = [
    "Alert",
    "InvalidIntake",
    "StaffReport",
    "parse_alerts",
    "parse_report",
]

MAX_TEXT = 60_000
_CATEGORY = r"^[a-z][a-z0-9_]*$"
_LATEST_VALID = datetime(1971, 1, 1, tzinfo=UTC)  # Alertmanager's "no end" is 0001-01-01
LAST_PLAUSIBLE_YEAR = 2999  # later times overflow the durations added to them (as in zendesk.webhook.schemas)


class InvalidIntake(ValueError):
    """The body is JSON but not something we accept; ``fields`` maps a dotted path to messages."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


# -- fields ----------------------------------------------------------------------------------------
class _Time(fields.Field):
    """An ISO-8601 time as the tools write it (nanoseconds included); Alertmanager's
    ``0001-01-01T00:00:00Z`` ("no end yet") loads as None."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime | None:
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            raise ValidationError("Not a valid time: expected an ISO-8601 string.")
        try:
            parsed = parse_time(value)
        except (ValueError, OverflowError) as exc:
            raise ValidationError("Not a valid ISO-8601 time.") from exc
        if parsed is not None and parsed.year > LAST_PLAUSIBLE_YEAR:
            raise ValidationError(f"Not a plausible time: after the year {LAST_PLAUSIBLE_YEAR}.")
        return parsed if parsed is not None and parsed >= _LATEST_VALID else None


class _Labels(fields.Dict):
    """Labels/annotations: text keys and values; numbers and booleans are turned into text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(validate=validate.Length(min=1, max=200)), values=fields.Raw(),
                         **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, str]:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        out: dict[str, str] = {}
        for key, item in loaded.items():
            if isinstance(item, (dict, list)):
                raise ValidationError({key: ["Expected text, not a list or object."]})
            out[key] = "" if item is None else (str(item).lower() if isinstance(item, bool) else str(item))[:2000]
        return out


# -- schemas -------------------------------------------------------------------------------------
class _PromAlertSchema(Schema):
    """One alert in an Alertmanager/Grafana group."""

    class Meta:
        unknown = EXCLUDE

    status = fields.String(required=True, validate=validate.OneOf([FIRING, RESOLVED]))
    labels = _Labels(required=True)
    annotations = _Labels(load_default=dict)
    startsAt = _Time(load_default=None)
    endsAt = _Time(load_default=None)
    generatorURL = fields.String(load_default=None, allow_none=True)
    fingerprint = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    # Grafana's extras
    dashboardURL = fields.String(load_default=None, allow_none=True)
    panelURL = fields.String(load_default=None, allow_none=True)
    valueString = fields.String(load_default=None, allow_none=True)


class _PromGroupSchema(Schema):
    """The Alertmanager v4 / Grafana unified alerting webhook body."""

    class Meta:
        unknown = EXCLUDE

    version = fields.String(required=True)
    status = fields.String(load_default=None, allow_none=True)
    receiver = fields.String(load_default=None, allow_none=True)
    externalURL = fields.String(load_default=None, allow_none=True)
    commonLabels = _Labels(load_default=dict)
    commonAnnotations = _Labels(load_default=dict)
    alerts = fields.List(fields.Nested(_PromAlertSchema), required=True, validate=validate.Length(min=1))


class _GrafanaLegacySchema(Schema):
    """Grafana's legacy (pre-unified) alert notification webhook."""

    class Meta:
        unknown = EXCLUDE

    title = fields.String(load_default=None, allow_none=True)
    ruleId = fields.Raw(load_default=None, allow_none=True)
    ruleName = fields.String(load_default=None, allow_none=True)
    ruleUrl = fields.String(load_default=None, allow_none=True)
    # Legacy Grafana notifies on these three states only; ``no_data`` is treated as firing.
    state = fields.String(required=True, validate=validate.OneOf(["alerting", "ok", "no_data"]))
    message = fields.String(load_default="", allow_none=True)
    tags = _Labels(load_default=dict)


class _GenericSchema(Schema):
    """The documented generic JSON alert (docs/intake.md)."""

    class Meta:
        unknown = EXCLUDE

    title = fields.String(required=True, validate=validate.Length(min=1, max=500))
    description = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    severity = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    fingerprint = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=500))
    status = fields.String(load_default=FIRING, validate=validate.OneOf([FIRING, RESOLVED]))
    labels = _Labels(load_default=dict)
    link = fields.Url(load_default=None, allow_none=True, require_tld=False)
    starts_at = _Time(load_default=None)


class _ReportSchema(Schema):
    """A staff report (docs/intake.md)."""

    class Meta:
        unknown = RAISE  # people type these by hand: a misspelt key should be an error, not ignored

    reporter_email = fields.Email(required=True)
    reporter_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    summary = fields.String(required=True, validate=validate.Length(min=3, max=250))
    description = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))
    organizations = fields.List(fields.Raw(), load_default=list, validate=validate.Length(max=100))
    category = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(_CATEGORY))
    id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))

    @validates_schema
    def _organizations(self, data: dict[str, Any], **kwargs: Any) -> None:
        for i, org in enumerate(data.get("organizations") or ()):
            if isinstance(org, bool) or not isinstance(org, (int, str)) or (isinstance(org, str) and not org.strip()):
                raise ValidationError({"organizations": {i: ["Expected an organisation id or name."]}})


# -- parsing ---------------------------------------------------------------------------------------
def payload_kind(body: Any) -> str:
    """``alertmanager``, ``grafana``, ``grafana_legacy`` or ``generic``, by shape."""
    if not isinstance(body, dict):
        raise InvalidIntake("the body must be a JSON object")
    if "alerts" in body:
        if "orgId" in body or str(body.get("version")) == "1":
            return "grafana"
        return "alertmanager"
    if "ruleId" in body or "ruleName" in body or "evalMatches" in body:
        return "grafana_legacy"
    if "title" in body:
        return "generic"
    raise InvalidIntake("not a recognised alert: expected an Alertmanager or Grafana webhook (with 'alerts') "
                        "or the generic form (with 'title')")


def parse_alerts(body: Any, *, max_alerts: int = 200) -> list[Alert]:
    """The alerts in a monitoring webhook body, or :class:`InvalidIntake` saying what is wrong."""
    kind = payload_kind(body)
    if kind in ("alertmanager", "grafana"):
        if kind == "alertmanager" and str(body.get("version")) != "4":
            raise InvalidIntake("unsupported Alertmanager webhook version (expected \"4\")",
                                {"version": [f"expected \"4\", got {body.get('version')!r}"]})
        group = _load(_PromGroupSchema(), body)
        if len(group["alerts"]) > max_alerts:
            raise InvalidIntake(f"too many alerts in one request ({len(group['alerts'])} > {max_alerts})",
                                {"alerts": [f"at most {max_alerts} alerts per request"]})
        return [_from_prom(kind, group, alert) for alert in group["alerts"]]
    if kind == "grafana_legacy":
        return [_from_grafana_legacy(_load(_GrafanaLegacySchema(), body))]
    return [_from_generic(_load(_GenericSchema(), body))]


def parse_report(body: Any, *, categories: Iterable[str] = (), allowed_domains: Iterable[str] = (),
                 idempotency_key: str | None = None) -> StaffReport:
    """A staff report from its JSON body, or :class:`InvalidIntake`.

    ``categories``: the category names the configuration knows (rules, writeback tags); a report
    may name one of them so it is routed (and redacted) like a ticket of that category.
    """
    if not isinstance(body, dict):
        raise InvalidIntake("the body must be a JSON object")
    data = _load(_ReportSchema(), body)
    known = set(categories)
    if data["category"] is not None and known and data["category"] not in known:
        raise InvalidIntake("unknown category", {"category": [f"expected one of: {', '.join(sorted(known))}"]})
    domains = tuple(d.lower() for d in allowed_domains)
    email = data["reporter_email"].strip()
    if domains and email.rsplit("@", 1)[1].lower() not in domains:
        raise InvalidIntake("reporter_email is not a staff address",
                            {"reporter_email": [f"must be at {', '.join(domains)}"]})
    orgs: list[int | str] = []
    for org in data["organizations"]:
        value: int | str = int(org) if isinstance(org, int) or org.strip().isdigit() else " ".join(org.split())
        if value not in orgs:
            orgs.append(value)
    return StaffReport(
        reporter_email=email,
        reporter_name=(data["reporter_name"] or "").strip() or None,
        summary=" ".join(data["summary"].split()),
        description=data["description"].strip(),
        organizations=tuple(orgs),
        category=data["category"],
        idempotency_key=idempotency_key or data["id"],
    )


def _load(schema: Schema, body: dict[str, Any]) -> dict[str, Any]:
    try:
        return dict(schema.load(body))
    except ValidationError as exc:
        flat = flatten_errors(exc.messages)
        first = next(iter(flat.items()))
        raise InvalidIntake(f"invalid {first[0]}: {first[1][0]}", flat) from exc


def _severity(value: str | None) -> str | None:
    clean = re.sub(r"[^a-z0-9]+", "_", (value or "").strip().lower()).strip("_")
    return clean or None


def _derived_fingerprint(*parts: Any) -> str:
    """A stable fingerprint when the sender gave none: the alert's identity is its labels."""
    return "derived-" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def _from_prom(kind: str, group: dict[str, Any], alert: dict[str, Any]) -> Alert:
    labels = {**group["commonLabels"], **alert["labels"]}
    annotations = {**group["commonAnnotations"], **alert["annotations"]}
    name = labels.get("alertname") or "alert"
    instance = labels.get("instance") or labels.get("service") or labels.get("job")
    title = annotations.get("summary") or annotations.get("title") or (f"{name} on {instance}" if instance else name)
    description = annotations.get("description") or annotations.get("message") or ""
    if alert.get("valueString"):
        description = f"{description}\n\nValues: {alert['valueString']}".strip()
    link = alert.get("panelURL") or alert.get("dashboardURL") or alert.get("generatorURL") or group.get("externalURL")
    return Alert(
        source=kind,
        fingerprint=alert.get("fingerprint") or _derived_fingerprint(sorted(labels.items())),
        status=alert["status"],
        title=" ".join(title.split())[:250],
        description=description[:MAX_TEXT],
        severity=_severity(labels.get("severity")),
        labels=labels,
        link=link or None,
        starts_at=alert.get("startsAt"),
        ends_at=alert.get("endsAt") if alert["status"] == RESOLVED else None,
    )


def _from_grafana_legacy(data: dict[str, Any]) -> Alert:
    title = data.get("ruleName") or data.get("title") or "Grafana alert"
    labels = dict(data["tags"])
    identity = data.get("ruleId") if data.get("ruleId") is not None else title
    return Alert(
        source="grafana",
        fingerprint=f"grafana-rule-{identity}",
        status=RESOLVED if data["state"] == "ok" else FIRING,
        title=" ".join(str(title).split())[:250],
        description=(data.get("message") or "")[:MAX_TEXT],
        severity=_severity(labels.get("severity")),
        labels=labels,
        link=data.get("ruleUrl") or None,
    )


def _from_generic(data: dict[str, Any]) -> Alert:
    labels = dict(data["labels"])
    severity = _severity(data["severity"] or labels.get("severity"))
    return Alert(
        source="generic",
        fingerprint=data["fingerprint"] or _derived_fingerprint(data["title"], sorted(labels.items())),
        status=data["status"],
        title=" ".join(data["title"].split())[:250],
        description=data["description"],
        severity=severity,
        labels=labels,
        link=data["link"],
        starts_at=data["starts_at"],
    )
