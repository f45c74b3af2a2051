"""The roles/routes/alerts sections: checked at start-up, errors name the key, never the secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from middleware.config import Config, ConfigError, load_config
from middleware.config.alerting import (
    DEFAULT_ROUTES,
    RolesSettings,
    email_url,
    load_alerts,
    load_roles,
    load_routes,
    redact,
)

ROOT = Path(__file__).resolve().parents[2]
SLACK = "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
SECRET = "TIiajkdnlazkcOXrIdevi7FQ"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_loads_with_no_alert_variables_and_is_log_only():
    config = load_config(ROOT / "config.yaml", env={})
    alerting = config.alerting
    # The routes are shipped as they are; other stages add routes of their own (report, …).
    assert {k: v for k, v in alerting.routes.items() if k in DEFAULT_ROUTES} == DEFAULT_ROUTES
    assert all(urls == () for urls in alerting.roles.static.values())
    assert alerting.roles.engagement_director.default == ()
    assert alerting.roles.engagement_director.organization_field == "engagement_director"
    assert alerting.alerts.email_url_template is None
    assert alerting.alerts.category_routes["outage"]["incident.declared"] == ("engineering",)


def test_urls_come_from_the_environment(tmp_path):
    path = write(tmp_path, 'roles:\n  cto: ["${CTO_URL}", "${CTO_MAIL:-}"]\n')
    config = load_config(path, env={"CTO_URL": SLACK})
    assert config.alerting.roles.static["cto"] == (SLACK,)


def test_a_missing_variable_without_default_names_the_key(tmp_path):
    path = write(tmp_path, 'roles:\n  cto: ["${CTO_URL}"]\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.key == "roles.cto[0]"
    assert "CTO_URL" in info.value.problem


def test_an_unparseable_url_names_the_key_and_hides_the_secret():
    with pytest.raises(ConfigError) as info:
        load_roles({"cto": [SLACK, "nosuchservice://user:hunter2@host/path"]})
    assert info.value.key == "roles.cto[1]"
    assert "hunter2" not in str(info.value)
    assert "nosuchservice://" in str(info.value)


def test_a_string_may_hold_several_urls_and_empty_entries_mean_log_only():
    roles = load_roles({"cto": f"{SLACK}  json://127.0.0.1:8080/cto", "product": ["", ""]})
    assert roles.static["cto"] == (SLACK, "json://127.0.0.1:8080/cto")
    assert roles.static["product"] == ()


def test_engagement_director_shape_is_checked():
    ed = load_roles({"engagement_director": {"by_organization": {360001234567: ["json://h/ed"]},
                                             "default": ["json://h/default"]}}).engagement_director
    assert ed.by_organization == {"360001234567": ("json://h/ed",)}
    assert ed.default == ("json://h/default",)
    assert ed.organization_field == "engagement_director"
    with pytest.raises(ConfigError) as info:
        load_roles({"engagement_director": {"by_organization": {"acme": ["json://h/x"]}}})
    assert info.value.key == "roles.engagement_director.by_organization.acme"
    with pytest.raises(ConfigError) as info:
        load_roles({"engagement_director": {"by_org": {}}})
    assert info.value.key == "roles.engagement_director.by_org"
    with pytest.raises(ConfigError) as info:
        load_roles({"engagement_director": {"default": ["json://h/x", "bogus"]}})
    assert info.value.key == "roles.engagement_director.default[1]"


def test_routes_may_only_name_known_roles(tmp_path):
    path = write(tmp_path, "roles:\n  security_team: []\nroutes:\n  sla.breached: [head_of_support, ctoo]\n"
                           "  incident.declared: [security_team]\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.key == "routes.sla.breached[1]"
    assert "'ctoo'" in info.value.problem
    path = write(tmp_path, "roles:\n  security_team: []\nroutes:\n  incident.declared: [security_team, cto]\n")
    # A possible critical incident, or a critical ticket Zendesk refused to let us flag, reaches
    # the Head of Support even when routes: does not list it.
    assert load_config(path, env={}).routes == {
        "incident.declared": ("security_team", "cto"), "possible": ("head_of_support",),
        "possible.reminder": ("head_of_support",), "incident.not_flagged": ("head_of_support",)}


def test_routes_default_to_the_documented_contract():
    assert load_routes(None) == {
        "incident.declared": ("head_of_support", "engagement_director", "cto"),
        "sla.at_risk": ("head_of_support",),
        "sla.breached": ("head_of_support", "cto"),
        "incident.resolved": ("head_of_support", "engagement_director", "cto"),
        "possible": ("head_of_support",),
        "possible.reminder": ("head_of_support",),
        "incident.not_flagged": ("head_of_support",),
    }


def test_category_routes_name_known_roles():
    with pytest.raises(ConfigError) as info:
        load_alerts({"category_routes": {"outage": {"incident.declared": ["engineers"]}}})
    assert info.value.key == "alerts.category_routes.outage.incident.declared[0]"
    settings = load_alerts({"category_routes": {"data": {"*": "customer_operations"}}})
    assert settings.category_routes == {"data": {"*": ("customer_operations",)}}


def test_templates_are_checked_and_merged_with_defaults():
    settings = load_alerts({"templates": {"sla.at_risk": {"title": "At risk: {link}", "type": "warning"}}})
    assert settings.templates["sla.at_risk"].title == "At risk: {link}"
    assert "{reasons}" in settings.templates["sla.at_risk"].body  # body kept from the default
    assert settings.templates["incident.declared"].notify_type == "failure"
    with pytest.raises(ConfigError) as info:
        load_alerts({"templates": {"sla.at_risk": {"body": "{link} {ticket_text}"}}})
    assert info.value.key == "alerts.templates.sla.at_risk.body"
    assert "{ticket_text}" in info.value.problem
    with pytest.raises(ConfigError) as info:
        load_alerts({"templates": {"sla.at_risk": {"body": "{subject.__class__}"}}})
    assert info.value.key == "alerts.templates.sla.at_risk.body"
    with pytest.raises(ConfigError) as info:
        load_alerts({"templates": {"sla.at_risk": {"type": "panic"}}})
    assert info.value.key == "alerts.templates.sla.at_risk.type"


def test_email_url_template_needs_the_placeholder_and_a_mail_url():
    template = "mailtos://alerts:pw@smtp.example.com?from=alerts@example.com&to={email}"
    assert load_alerts({"email_url_template": template}).email_url_template == template
    assert load_alerts({"email_url_template": ""}).email_url_template is None
    with pytest.raises(ConfigError) as info:
        load_alerts({"email_url_template": "mailtos://alerts:pw@smtp.example.com"})
    assert info.value.key == "alerts.email_url_template"
    assert "pw@" not in str(info.value)
    assert email_url(template, "jane.doe+ops@acme.test").endswith("to=jane.doe%2Bops@acme.test")


def test_retry_and_unknown_keys_are_checked():
    settings = load_alerts({"retry": {"max": 2, "intervals": ["5s", "1m"]}})
    assert (settings.retry_max, settings.retry_intervals) == (2, (5, 60))
    with pytest.raises(ConfigError) as info:
        load_alerts({"retry": {"max": -1}})
    assert info.value.key == "alerts.retry.max"
    with pytest.raises(ConfigError) as info:
        load_alerts({"retrys": {}})
    assert info.value.key == "alerts.retrys"


def test_redact_keeps_the_service_and_drops_every_secret():
    label = redact(SLACK)
    assert SECRET not in label and "A1BRTD4JD" not in label
    assert label.startswith("https://")
    mail = redact("mailtos://alerts:hunter2@smtp.example.com?to=cto@example.com")
    assert "hunter2" not in mail and "alerts" not in mail and "smtp.example.com" in mail
    hook = redact("jsons://hooks.example.com/secret-path-token?key=abc")
    assert "secret-path-token" not in hook and "abc" not in hook
    assert redact(SLACK) == label and redact(SLACK + "x") != label  # a stable fingerprint


def test_a_hand_built_config_gets_the_defaults():
    alerting = Config().alerting
    assert isinstance(alerting.roles, RolesSettings)
    assert alerting.routes == DEFAULT_ROUTES
