"""Parsing what monitoring tools and staff send (pure: no Flask, no Redis)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from middleware.web.intake_schemas import InvalidIntake, parse_alerts, parse_report
from rules.model import Alert, StaffReport
from tests.intake_support import ALERTMANAGER, REPORT

GRAFANA = {
    "receiver": "cim", "status": "firing", "orgId": 1, "version": "1", "groupKey": "{}:{}", "truncatedAlerts": 0,
    "title": "[FIRING:1] DiskFull", "state": "alerting", "message": "**Firing**",
    "groupLabels": {}, "commonLabels": {"alertname": "DiskFull"}, "commonAnnotations": {},
    "externalURL": "http://grafana.local/",
    "alerts": [{
        "status": "firing", "labels": {"alertname": "DiskFull", "severity": "page", "grafana_folder": "infra"},
        "annotations": {"summary": "Disk full on db-1", "description": "/var is 99% full"},
        "startsAt": "2025-03-01T09:00:00+01:00", "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://grafana.local/alerting/grafana/abc/view", "fingerprint": "f00d",
        "silenceURL": "http://grafana.local/silence", "dashboardURL": "http://grafana.local/d/x",
        "panelURL": "http://grafana.local/d/x?viewPanel=2", "values": {"B": 99}, "valueString": "[ var='B' value=99 ]",
    }],
}


def test_alertmanager_alerts_carry_title_severity_link_and_times() -> None:
    first, second = parse_alerts(ALERTMANAGER)
    assert first.source == "alertmanager"
    assert first.fingerprint == "aa11" and second.fingerprint == "bb22"
    assert first.title == "API 5xx rate above 5%"  # the common summary annotation
    assert first.description == "api-1 is failing"
    assert first.severity == "critical"
    assert first.labels["instance"] == "api-1" and first.labels["alertname"] == "HighErrorRate"
    assert first.link == "http://prometheus.local/graph?g0"
    assert first.starts_at == datetime(2025, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)  # nanoseconds trimmed
    assert first.ends_at is None  # "0001-01-01": not ended


def test_a_title_falls_back_to_the_alert_name_and_instance() -> None:
    body = copy.deepcopy(ALERTMANAGER)
    body["commonAnnotations"] = {}
    assert parse_alerts(body)[0].title == "HighErrorRate on api-1"


def test_grafana_unified_alerting_is_recognised() -> None:
    (alert,) = parse_alerts(GRAFANA)
    assert alert.source == "grafana"
    assert alert.title == "Disk full on db-1"
    assert alert.severity == "page"
    assert alert.link == "http://grafana.local/d/x?viewPanel=2"
    assert "value=99" in alert.description
    assert alert.starts_at == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def test_grafana_legacy_alerts_map_alerting_and_ok() -> None:
    legacy = {"title": "[Alerting] CPU", "ruleId": 7, "ruleName": "CPU high", "state": "alerting",
              "message": "CPU above 95%", "ruleUrl": "http://grafana.local/d/cpu", "tags": {"severity": "critical"}}
    (alert,) = parse_alerts(legacy)
    assert (alert.source, alert.status, alert.fingerprint, alert.severity) == ("grafana", "firing", "grafana-rule-7",
                                                                             "critical")
    (ok,) = parse_alerts({**legacy, "state": "ok"})
    assert ok.status == "resolved" and ok.fingerprint == alert.fingerprint
    (no_data,) = parse_alerts({**legacy, "state": "no_data"})
    assert no_data.status == "firing"
    with pytest.raises(InvalidIntake):
        parse_alerts({**legacy, "state": "paused"})


def test_generic_alerts_have_defaults_and_a_stable_derived_fingerprint() -> None:
    (alert,) = parse_alerts({"title": "Queue backlog", "labels": {"queue": "orders"}, "severity": "Critical"})
    assert alert.status == "firing" and alert.severity == "critical" and alert.source == "generic"
    (again,) = parse_alerts({"title": "Queue backlog", "labels": {"queue": "orders"}})
    assert again.fingerprint == alert.fingerprint  # same alert identity, same fingerprint
    (other,) = parse_alerts({"title": "Queue backlog", "labels": {"queue": "payments"}})
    assert other.fingerprint != alert.fingerprint


def test_delivery_ids_tell_retries_from_new_notifications() -> None:
    (alert,) = parse_alerts({"title": "x", "fingerprint": "fp", "starts_at": "2025-03-01T09:00:00Z"})
    (retry,) = parse_alerts({"title": "x changed text", "fingerprint": "fp", "starts_at": "2025-03-01T09:00:00Z"})
    (refire,) = parse_alerts({"title": "x", "fingerprint": "fp", "starts_at": "2025-03-01T10:00:00Z"})
    (resolved,) = parse_alerts({"title": "x", "fingerprint": "fp", "status": "resolved",
                                "starts_at": "2025-03-01T09:00:00Z"})
    assert alert.delivery_id == retry.delivery_id
    assert len({alert.delivery_id, refire.delivery_id, resolved.delivery_id}) == 3
    assert alert.key == refire.key == resolved.key  # one fingerprint, one Redis state


def test_alerts_round_trip_through_the_job_argument() -> None:
    alert = parse_alerts(ALERTMANAGER)[0]
    assert Alert.from_dict(alert.to_dict()) == alert


@pytest.mark.parametrize("body, key", [
    ({**ALERTMANAGER, "version": "3"}, "version"),
    ({**ALERTMANAGER, "alerts": []}, "alerts"),
    ({**ALERTMANAGER, "alerts": [{"status": "firing"}]}, "alerts.0.labels"),
    ({"title": ""}, "title"),
    ({"title": "x", "status": "open"}, "status"),
    ({"title": "x", "link": "not a url"}, "link"),
    ({"title": "x", "labels": {"a": {"nested": 1}}}, "labels.a"),
    ({"title": "x", "starts_at": "yesterday"}, "starts_at"),
])
def test_invalid_alerts_name_the_key(body: dict, key: str) -> None:
    with pytest.raises(InvalidIntake) as info:
        parse_alerts(body)
    assert any(k.startswith(key) for k in info.value.fields), info.value.fields


def test_too_many_alerts_and_non_objects_are_refused() -> None:
    with pytest.raises(InvalidIntake, match="too many"):
        parse_alerts(ALERTMANAGER, max_alerts=1)
    with pytest.raises(InvalidIntake, match="JSON object"):
        parse_alerts([ALERTMANAGER])


def test_a_staff_report_is_cleaned_and_its_id_is_stable() -> None:
    report = parse_report({**REPORT, "summary": "  Checkout   down for Acme ",
                           "organizations": [22, "22", "Beta  Ltd"]})
    assert report.summary == "Checkout down for Acme"
    assert report.organizations == (22, "Beta Ltd")
    assert report.organization_ids == (22,)
    assert report.report_id == parse_report({**REPORT, "organizations": [22, "Beta Ltd"]}).report_id
    assert report.report_id != parse_report({**REPORT, "organizations": [22]}).report_id
    keyed = parse_report(REPORT, idempotency_key="k1")
    assert keyed.report_id == parse_report({**REPORT, "summary": "other"}, idempotency_key="k1").report_id
    assert StaffReport.from_dict(report.to_dict()) == report


@pytest.mark.parametrize("body, key", [
    ({**REPORT, "reporter_email": "not-an-email"}, "reporter_email"),
    ({k: v for k, v in REPORT.items() if k != "summary"}, "summary"),
    ({**REPORT, "organizations": [True]}, "organizations"),
    ({**REPORT, "category": "Security!"}, "category"),
    ({**REPORT, "extra": 1}, "extra"),
])
def test_invalid_reports_name_the_key(body: dict, key: str) -> None:
    with pytest.raises(InvalidIntake) as info:
        parse_report(body)
    assert any(k.startswith(key) for k in info.value.fields), info.value.fields


def test_report_categories_and_domains_are_checked_when_configured() -> None:
    with pytest.raises(InvalidIntake, match="unknown category"):
        parse_report({**REPORT, "category": "outage"}, categories=["security"])
    with pytest.raises(InvalidIntake, match="staff address"):
        parse_report(REPORT, allowed_domains=["other.example"])
    assert parse_report(REPORT, categories=["outage"], allowed_domains=["ourco.example"]).category == "outage"
