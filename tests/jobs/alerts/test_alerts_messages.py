"""What alerts say: the facts to act on, configurable templates, nothing from a security ticket."""

from __future__ import annotations

from datetime import timedelta

from jobs.alerts.messages import Facts, format_duration, render, sla_text
from middleware.config.alerting import AlertsSettings, load_alerts
from middleware.store.incidents import Incident
from tests.jobs.alerts.sample import NOW, incident

LINK = "https://acme.zendesk.com/agent/tickets/5"


def facts(inc: Incident, event: str = "incident.declared", occurrence: str = "", **over: object) -> Facts:
    data: dict = dict(incident=inc, event=event, at=NOW, occurrence=occurrence, link=LINK,
                      organization="Acme Corp", due_at=NOW + timedelta(minutes=42))
    data.update(over)
    return Facts(**data)


def test_durations_read_short():
    assert format_duration(timedelta(seconds=8)) == "8s"
    assert format_duration(timedelta(minutes=12, seconds=59)) == "12m"
    assert format_duration(timedelta(hours=1, minutes=5)) == "1h 05m"
    assert format_duration(timedelta(days=2, hours=3, minutes=1)) == "2d 3h"
    assert format_duration(timedelta(seconds=-5)) == "0s"


def test_sla_text_says_time_left_or_how_late():
    due = NOW + timedelta(minutes=42)
    assert sla_text(NOW, due) == "42m left (due 2025-01-08 11:12 UTC)"
    assert sla_text(NOW + timedelta(minutes=57), due) == "15m late (was due 2025-01-08 11:12 UTC)"
    assert sla_text(NOW, due, responded_at=NOW - timedelta(minutes=2)) == (
        "met, first response 44m early (due 2025-01-08 11:12 UTC)")
    assert sla_text(NOW, due, responded_at=due + timedelta(minutes=3)).startswith("first response 3m late")
    assert sla_text(NOW, None) == "unknown"
    assert sla_text(NOW, None, "breached") == "breached"


def test_declared_message_carries_what_the_reader_needs():
    msg = render(AlertsSettings(), facts(incident()), ("head_of_support", "cto"))
    assert msg.title == "Critical incident declared: #5 Checkout is down"
    assert msg.body == (
        f"Ticket: {LINK}\n"
        "Subject: Checkout is down\n"
        "Organisation: Acme Corp\n"
        "Category: outage\n"
        'Why critical: subject mentions "down"\n'
        "Declared: 18m ago (2025-01-08 10:12 UTC)\n"
        "SLA: 42m left (due 2025-01-08 11:12 UTC)"
    )
    assert msg.notify_type == "failure"


def test_breach_reminders_say_which_reminder():
    first = render(AlertsSettings(), facts(incident(), "sla.breached", "0", due_at=NOW - timedelta(minutes=3)), ())
    second = render(AlertsSettings(), facts(incident(), "sla.breached", "2", due_at=NOW - timedelta(minutes=30)), ())
    assert first.title == "SLA breached: #5 Checkout is down"
    assert first.body.endswith("SLA: 3m late (was due 2025-01-08 10:27 UTC)")
    assert second.title == "Reminder 2: SLA breached: #5 Checkout is down"
    assert second.body.startswith("Reminder 2: Ticket:")


def test_the_sla_clocks_own_wording_is_used_when_it_sent_one():
    msg = render(AlertsSettings(), facts(incident(), "sla.at_risk", "0", sla_summary="20 min left of 1 h"), ())
    assert msg.title == "SLA at risk: #5 Checkout is down (20 min left of 1 h)"
    assert msg.body.endswith("SLA: 20 min left of 1 h")


def test_templates_are_configurable_per_event_with_a_default():
    settings = load_alerts({"templates": {
        "default": {"title": "[{event}] {ticket_id}", "body": "{link}"},
        "sla.at_risk": {"title": "{roles}: {sla} on #{ticket_id}", "body": "{organization} / {since_declared}"},
    }})
    at_risk = render(settings, facts(incident(), "sla.at_risk", "1"), ("head_of_support",))
    assert at_risk.title == "head_of_support: 42m left (due 2025-01-08 11:12 UTC) on #5"
    assert at_risk.body == "Acme Corp / 18m"
    assert at_risk.notify_type == "warning"
    other = render(settings, facts(incident(), "incident.reopened"), ())
    assert (other.title, other.body) == ("[incident.reopened] 5", LINK)


def test_security_incidents_carry_only_the_link_category_and_rule():
    inc = incident(category="security", rules=["security-breach"],
                   reasons=['description mentions "leaked password hunter2"'], subject="Data leak at Acme: hunter2")
    msg = render(AlertsSettings(), facts(inc), ("cto",))
    text = msg.title + "\n" + msg.body
    assert "hunter2" not in text and "Acme" not in text and "leak" not in text.lower()
    assert LINK in msg.body
    assert "Category: security" in msg.body
    assert "Rule: security-breach" in msg.body
    assert msg.title == "Critical security incident declared: #5"


def test_a_custom_template_cannot_leak_a_security_ticket():
    settings = load_alerts({
        "templates": {"incident.declared": {"title": "{subject}", "body": "{reasons} {organization}"}},
        "restricted_templates": {"incident.declared": {"title": "{subject} #{ticket_id}",
                                                       "body": "{reasons} {organization} {link}"}},
    })
    inc = incident(category="security", reasons=["secret reason"], subject="secret subject")
    msg = render(settings, facts(inc, organization="Secret Org"), ())
    assert "secret" not in (msg.title + msg.body).lower()
    assert msg.title == "(withheld: security incident) #5"
    assert msg.body.endswith(LINK)


def test_restricted_categories_are_configurable():
    settings = load_alerts({"restricted_categories": ["security", "legal"]})
    msg = render(settings, facts(incident(category="legal", subject="Lawsuit from Acme")), ())
    assert "Lawsuit" not in msg.title + msg.body
    msg = render(load_alerts({"restricted_categories": []}),
                 facts(incident(category="security", subject="Open to all")), ())
    assert "Open to all" in msg.title
