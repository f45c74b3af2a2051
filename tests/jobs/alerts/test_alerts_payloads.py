"""The exact HTTP requests Apprise makes for Slack and Microsoft Teams (Power Automate workflow)
webhooks, captured with `responses`, for the message the declared alert renders."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import responses

from jobs.alerts.delivery import send
from jobs.alerts.messages import Facts, render
from middleware.config.alerting import AlertsSettings
from middleware.store.incidents import Incident

SLACK_HOOK = "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
TEAMS_HOST = "https://prod-161.westeurope.logic.azure.com:443"
TEAMS_PATH = "/workflows/643e69f83c8944438d68119179a10a64/triggers/manual/paths/invoke"
TEAMS_QUERY = ("api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0"
               "&sig=KODuebWbDGYFr0z0eu-6Rj8aUKz7108W3wrNJZxFE5A")
TEAMS_HOOK = f"{TEAMS_HOST}{TEAMS_PATH}?{TEAMS_QUERY}"
NOW = datetime(2025, 1, 8, 10, 30, tzinfo=UTC)
ICON = "https://github.com/caronc/apprise/raw/master/apprise/assets/themes/default/apprise-failure-{}.png"


@pytest.fixture
def message():
    inc = Incident(id=5, ticket_id=5, category="outage", rules=["outage-keywords"],
                   reasons=['subject mentions "down"'], subject="Checkout is down", organization_id=22,
                   requester_id=11, ticket_created_at=None, declared_at=NOW - timedelta(minutes=3),
                   critical_from_start=True)
    facts = Facts(incident=inc, event="incident.declared", at=NOW, occurrence="",
                  link="https://acme.zendesk.com/agent/tickets/5", organization="Acme Corp",
                  due_at=NOW + timedelta(minutes=57))
    return render(AlertsSettings(), facts, ("head_of_support",))


BODY = (
    "Ticket: https://acme.zendesk.com/agent/tickets/5\n"
    "Subject: Checkout is down\n"
    "Organisation: Acme Corp\n"
    "Category: outage\n"
    'Why critical: subject mentions "down"\n'
    "Declared: 3m ago (2025-01-08 10:27 UTC)\n"
    "SLA: 57m left (due 2025-01-08 11:27 UTC)"
)
# Teams cards render Markdown: Apprise escapes plain text so ticket text can never format or link.
TEAMS_BODY = (
    "Ticket: https://acme\\.zendesk\\.com/agent/tickets/5\n"
    "Subject: Checkout is down\n"
    "Organisation: Acme Corp\n"
    "Category: outage\n"
    'Why critical: subject mentions "down"\n'
    "Declared: 3m ago \\(2025\\-01\\-08 10:27 UTC\\)\n"
    "SLA: 57m left \\(due 2025\\-01\\-08 11:27 UTC\\)"
)


@responses.activate
def test_slack_webhook_payload(message):
    responses.post(SLACK_HOOK, body="ok")
    before = time.time()
    assert send(SLACK_HOOK, message.title, message.body, message.notify_type, 10) == (True, "SUCCESS")
    assert len(responses.calls) == 1
    request = responses.calls[0].request
    assert request.url == SLACK_HOOK
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["User-Agent"] == "Critical-incident middleware"
    payload = json.loads(request.body)
    ts = payload["attachments"][0].pop("ts")
    assert before <= ts <= time.time()
    assert payload == {
        "mrkdwn": False,  # plain text: a ticket's "<!channel>" or *stars* stay literal
        "attachments": [{
            "title": "Critical incident declared: #5 Checkout is down",
            "text": BODY,
            "color": "#A32037",
            "footer_icon": ICON.format("72x72"),
            "footer": "Critical-incident middleware",
        }],
        "icon_url": ICON.format("72x72"),
    }


@responses.activate
def test_teams_workflow_payload(message):
    responses.post(f"{TEAMS_HOST}{TEAMS_PATH}", body="")
    assert send(TEAMS_HOOK, message.title, message.body, message.notify_type, 10) == (True, "SUCCESS")
    request = responses.calls[0].request
    assert request.url == TEAMS_HOOK  # the signature travels as given, in the query
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": None,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {"type": "Image", "url": ICON.format("32x32"), "height": "32px", "altText": "failure"},
                    {"type": "TextBlock", "text": "Critical incident declared: #5 Checkout is down",
                     "style": "heading", "weight": "Bolder", "size": "Large", "id": "title"},
                    {"type": "TextBlock", "text": TEAMS_BODY, "style": "default", "wrap": True, "id": "body"},
                ],
                "msteams": {"width": "full"},
            },
        }],
    }


@responses.activate
def test_a_webhook_error_is_reported_as_a_failure(message):
    responses.post(SLACK_HOOK, status=500, body="oops")
    assert send(SLACK_HOOK, message.title, message.body, message.notify_type, 10) == (False, "FAILURE")


def test_an_unparseable_url_is_reported_as_such(message):
    assert send("nosuch://x", message.title, message.body, message.notify_type, 10) == (False, "UNPARSEABLE")


@responses.activate
def test_ticket_text_cannot_ping_a_slack_channel():
    responses.post(SLACK_HOOK, body="ok")
    send(SLACK_HOOK, "Critical: <!channel> help", "Subject: <!here> *urgent* & <https://evil.test|click>",
         "failure", 10)
    attachment = json.loads(responses.calls[0].request.body)["attachments"][0]
    assert attachment["title"] == "Critical: &lt;!channel&gt; help"
    assert attachment["text"] == "Subject: &lt;!here&gt; *urgent* &amp; &lt;https://evil.test|click&gt;"
