"""The intake, security, correlation and reconcile sections of config.yaml: defaults, and errors
that name the key an admin got wrong."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from middleware.config import ConfigError, load_config
from rules.model import Ticket

ROOT = Path(__file__).resolve().parents[2]


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env=env or {})


def test_the_shipped_config_loads_on_a_bare_machine() -> None:
    config = load_config(ROOT / "config.yaml", env={})
    assert config.intake.alerts.requester_email is None  # ${MONITORING_REQUESTER_EMAIL:-}
    assert config.security.group_id is None  # ${SECURITY_GROUP_ID:-}
    assert "orders-not-syncing" in config.correlation.topics
    assert config.reconcile.every == timedelta(minutes=5)


def test_absent_sections_mean_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, "rules: []\n")
    intake = config.intake
    assert intake.dedupe_ttl == timedelta(minutes=10) and intake.alerts.solve_on_resolve is False
    assert config.correlation.topics == {}
    assert config.correlation.window == timedelta(minutes=30)
    assert config.correlation.threshold == 2
    assert config.reconcile.grace == timedelta(minutes=2)


def test_environment_values_fill_the_monitoring_requester_and_security_group(tmp_path: Path) -> None:
    text = ('intake: {alerts: {requester_email: "${MON:-}"}}\nsecurity: {group_id: "${SEC:-}"}\n'
            "rules: [{name: sec, category: security, when: {text: {keywords: [hacked]}}}]\n")
    config = load(tmp_path, text, env={"MON": "mon@ourco.example", "SEC": "360000123"})
    assert config.intake.alerts.requester_email == "mon@ourco.example"
    assert config.security.routed_group("security") == 360000123
    assert config.security.routed_group("outage") is None


@pytest.mark.parametrize("text, key", [
    ("intake: {alerts: {requester_email: nobody}}", "intake.alerts.requester_email"),
    ("intake: {alerts: {solve_on_resolve: maybe}}", "intake.alerts.solve_on_resolve"),
    ("intake: {alerts: {label_tags: [bad-label]}}", "intake.alerts.label_tags"),
    ("intake: {reports: {allowed_domains: [localhost]}}", "intake.reports.allowed_domains[0]"),
    ("intake: {dedupe_ttl: soon}", "intake.dedupe_ttl"),
    ("intake: {alert: {}}", "intake.alert"),
    ("security: {group_id: abc}", "security.group_id"),
    ("correlation: {window: 0s}", "correlation.window"),
    ("correlation: {threshold: 0}", "correlation.threshold"),
    ("correlation: {topics: [{name: Orders Down, phrases: [x]}]}", "correlation.topics[0] (Orders Down).name"),
    ("correlation: {topics: [{name: orders}]}", "correlation.topics[0] (orders)"),
    ("correlation: {topics: [{name: orders, regex: ['(']}]}", "correlation.topics[0] (orders).regex[0]"),
    ("correlation: {topics: [{name: orders, phrases: [x], colour: red}]}", "correlation.topics[0] (orders).colour"),
    ("correlation: {topics: [{name: o, phrases: [x]}, {name: o, phrases: [y]}]}", "correlation.topics[1].name"),
    ("correlation: {topics: [{name: orders, fields: {abc: {equals: 1}}}]}", "correlation.topics[0] (orders).fields"),
    ("correlation: {topics: [{name: orders, phrases: [x], threshold: two}]}",
     "correlation.topics[0] (orders).threshold"),
    ("reconcile: {every: 10s}", "reconcile.every"),
    ("reconcile: {seen_ttl: 1h}", "reconcile.seen_ttl"),
])
def test_mistakes_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text + "\nrules: []\n")
    assert info.value.key.startswith(key), str(info.value)


def test_topics_match_like_rule_keywords_regexes_and_fields(tmp_path: Path) -> None:
    topics = [
        {"name": "orders", "subject": "Orders not syncing", "phrases": ["orders not syncing"], "window": "10m",
         "threshold": 3},
        {"name": "sso", "regex": [r"\bsso\b.*(fail|broken)"]},
        {"name": "severity", "fields": {"360001": {"equals": "sev1"}}},
        {"name": "off", "enabled": False, "phrases": ["orders"]},
    ]
    config = load(tmp_path, yaml.safe_dump({"correlation": {"topics": topics}, "rules": []}))
    settings = config.correlation
    assert list(settings.topics) == ["orders", "sso", "severity"]
    assert settings.topics["orders"].window == timedelta(minutes=10) and settings.topics["orders"].threshold == 3
    assert settings.topics["sso"].threshold == 2

    def names(**fields: object) -> list[str]:
        return [topic.name for topic, _ in settings.matching(Ticket(id=1, **fields))]  # type: ignore[arg-type]

    assert names(subject="Our ORDERS aren't syncing", description="") == []  # different words
    assert names(subject="Help", description="Orders not syncing since 9:00!") == ["orders"]
    assert names(subject="SSO login broken") == ["sso"]
    assert names(subject="x", custom_fields={"360001": "sev1"}) == ["severity"]
    assert names(subject="orders") == []  # the disabled topic matches nothing
    (_, reasons), = settings.matching(Ticket(id=1, subject="orders not syncing"))
    assert reasons and "orders not syncing" in reasons[0]
