"""The default rules in config.yaml, one behaviour at a time: what each category catches, and
the negatives the brief names ("not urgent", "resolved now", "false alarm", planned-maintenance
questions, security questionnaires, pen-test scheduling, one user's small problem, how-to)."""

from __future__ import annotations

import pytest

from rules import RuleSet
from tests.rules.corpus import load_default_ruleset
from tests.rules.helpers import make_ticket


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_default_ruleset()


@pytest.mark.parametrize(
    ("subject", "description", "category", "tag"),
    [
        ("Data breach", "We think customer data was leaked through your export link.", "security", "critical_security"),
        ("help", "Our admin account was hacked last night, new admins we don't know.", "security", "critical_security"),
        ("API key", "We accidentally pushed our API key to a public GitHub repo.", "security", "critical_security"),
        ("urgent", "Ransomware on our network, disconnect the integration.", "security", "critical_security"),
        ("PLATFORM DOWN", "Your platform is down for us since 8am.", "outage", "critical_outage"),
        ("login", "Nobody in our company can log in since this morning.", "outage", "critical_outage"),
        ("errors", "Every request to the API returns 500 errors.", "outage", "critical_outage"),
        ("sync", "No new data since yesterday, the connector is not ingesting.", "outage", "critical_outage"),
        ("orders", "Orders are not coming through to the warehouse.", "outage", "critical_outage"),
        ("gone", "All of our projects are gone, three years of work.", "outage", "critical_outage"),
    ],
)
def test_customer_reports(rules: RuleSet, subject: str, description: str, category: str, tag: str) -> None:
    decision = rules.evaluate(make_ticket(subject, description, role="end-user", email="a@customer.example"))
    assert decision.critical, decision.explain()
    assert decision.category == category
    assert tag in decision.tags
    assert "Flagged automatically as a critical incident" in decision.note


def test_monitoring_alert_by_tag_and_by_source(rules: RuleSet) -> None:
    tagged = make_ticket("Queue backlog", "above 50k", tags=["monitoring_alert"], via_channel="api")
    assert rules.evaluate(tagged).category == "monitoring"
    by_source = make_ticket("Datadog [P1] Triggered", "Replication lag 845s", via_channel="api", role="agent")
    decision = rules.evaluate(by_source)
    assert decision.category == "monitoring" and "critical_monitoring" in decision.tags
    for quiet in (
        make_ticket("[RESOLVED] HighErrorRate", "severity = critical", tags=["monitoring_alert"], via_channel="api"),
        make_ticket("Disk 80%", "severity = warning", tags=["monitoring_alert", "severity_warning"]),
        make_ticket("Grafana: [OK] latency", "Severity: critical", via_channel="api", role="agent"),
        make_ticket("Datadog P1 Triggered", "lag", via_channel="email", role="end-user"),  # not from the API
    ):
        assert not rules.evaluate(quiet).critical, rules.evaluate(quiet).explain()


def test_staff_reports(rules: RuleSet) -> None:
    staff = make_ticket("P1 - Acme invoices failing", "raising as P1", role="agent", email="x@example-internal.com")
    decision = rules.evaluate(staff)
    assert decision.category == "staff_report" and "critical_staff_report" in decision.tags
    by_domain = make_ticket("critical", "customer escalation", role="end-user", email="ceo@example-internal.com")
    assert rules.evaluate(by_domain).category == "staff_report"
    tagged = make_ticket("escalation", "big customer unhappy", tags=["critical"], role="admin")
    assert rules.evaluate(tagged).category == "staff_report"
    customer = make_ticket("critical", "this is critical for us", role="end-user", email="a@customer.example")
    assert not rules.evaluate(customer).critical
    not_critical = make_ticket("macros", "Not critical, any time this week.", role="agent")
    assert not rules.evaluate(not_critical).critical


@pytest.mark.parametrize(
    ("subject", "description", "comment"),
    [
        ("Small bug - not urgent", "The platform is down for the sandbox only? not urgent.", None),
        ("Re: site down", "Our site is down.", "Resolved now, thanks."),
        ("Re: site down", "Our site is down.", "Never mind, it's working again!"),
        ("Outage?", "Earlier I said nobody could log in - false alarm, our VPN.", None),
        ("Maintenance", "Will the platform be down during the planned maintenance on Sunday?", None),
        ("Security questionnaire", "Please describe how you handle a data breach.", None),
        ("Pen test", "We'd like to schedule a penetration test next month, what dates should we avoid?", None),
        ("Password", "One user forgot his password and can't log in. Everyone else is fine.", None),
        ("How to", "How do I export all users? The export fails after 1000 rows.", None),
        ("SLA breach question", "What counts as an SLA breach in the report?", None),
        ("Hackathon", "We are running a hackathon, 200 hackers expected.", None),
        ("Down payment", "The down payment is missing from the invoice.", None),
        ("Car", "Sorry for the delay, I crashed my car last week.", None),
        ("Traffic", "Website traffic is down 30% this week, is tracking broken?", None),
    ],
)
def test_negatives(rules: RuleSet, subject: str, description: str, comment: str | None) -> None:
    decision = rules.evaluate(make_ticket(subject, description, comment, role="end-user", email="a@b.example"))
    assert not decision.critical, decision.explain()


def test_vetoed_decision_explains_the_exception(rules: RuleSet) -> None:
    decision = rules.evaluate(make_ticket("Re: site down", "Our site is down.", "False alarm, sorry!"))
    assert not decision.critical
    assert "outage-service-down" in decision.explain()
    assert 'latest comment contains "false alarm"' in decision.explain()
