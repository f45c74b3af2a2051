"""The Zendesk client calls the intake and correlation need, against `responses`: the exact
requests (bulk update, job status, list by external id, create on someone's behalf)."""

from __future__ import annotations

import json

import pytest
import responses

from middleware.config import ZendeskSettings
from middleware.store.connection import Keys
from middleware.zendesk.client import BULK_LIMIT, ZendeskClient
from middleware.zendesk.errors import ZendeskError
from middleware.zendesk.transport import Credentials
from tests.zendesk.test_zendesk_client import ticket_json

BASE = "http://127.0.0.1:9"


@pytest.fixture
def client(redis, key_prefix):
    creds = Credentials(subdomain="acme", email="bot@acme.test", token="tok", oauth_token=None, api_url=BASE)
    return ZendeskClient(creds, ZendeskSettings(requests_per_minute=100), redis, Keys(key_prefix))


@responses.activate
def test_bulk_update_sends_each_tickets_own_fields_in_one_call(client) -> None:
    responses.put(f"{BASE}/api/v2/tickets/update_many.json",
                  json={"job_status": {"id": "J1", "status": "queued", "url": f"{BASE}/api/v2/job_statuses/J1.json"}})
    job_id = client.update_many([{"id": 1, "type": "incident", "problem_id": 9, "additional_tags": ["a"]},
                                 {"id": 2, "type": "incident", "problem_id": 9, "additional_tags": ["a"]}])
    assert job_id == "J1"
    (call,) = responses.calls
    body = json.loads(call.request.body)
    assert [t["id"] for t in body["tickets"]] == [1, 2]
    assert body["tickets"][0]["problem_id"] == 9 and body["tickets"][0]["additional_tags"] == ["a"]
    assert "tags" not in body["tickets"][0]  # never replaces a customer's tags


def test_bulk_update_refuses_more_than_zendesk_takes(client) -> None:
    with pytest.raises(ValueError):
        client.update_many([{"id": i} for i in range(BULK_LIMIT + 1)])
    with pytest.raises(ValueError):
        client.update_many([])


@responses.activate
def test_job_status_reports_per_ticket_results(client) -> None:
    responses.get(f"{BASE}/api/v2/job_statuses/J1.json", json={"job_status": {
        "id": "J1", "status": "completed", "results": [{"id": 1, "success": True, "status": "Updated"}]}})
    status = client.job_status("J1")
    assert status["status"] == "completed" and status["results"][0]["id"] == 1


@responses.activate
def test_tickets_are_listed_by_external_id(client) -> None:
    responses.get(f"{BASE}/api/v2/tickets.json", json={"tickets": [ticket_json(7)], "meta": {"has_more": False},
                                                       "links": {"next": None}})
    (found,) = client.tickets_by_external_id("cim-alert-abc-1")
    assert found.id == 7
    assert "external_id=cim-alert-abc-1" in responses.calls[0].request.url


@responses.activate
def test_a_ticket_is_created_on_someones_behalf_by_email(client) -> None:
    responses.post(f"{BASE}/api/v2/tickets.json", status=201, json={"ticket": ticket_json(8), "audit": {"id": 1}})
    client.create_ticket({"subject": "s", "comment": {"body": "b"}, "requester": {"email": "sam@ourco.example",
                                                                                  "name": "Sam"}})
    sent = json.loads(responses.calls[0].request.body)["ticket"]
    assert sent["requester"]["email"] == "sam@ourco.example" and sent["requester"]["name"] == "Sam"


@responses.activate
def test_a_refused_bulk_update_is_an_error(client) -> None:
    responses.put(f"{BASE}/api/v2/tickets/update_many.json", status=422, json={"error": "RecordInvalid"})
    with pytest.raises(ZendeskError):
        client.update_many([{"id": 1, "type": "incident"}])
