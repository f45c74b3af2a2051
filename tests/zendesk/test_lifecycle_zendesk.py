"""The Zendesk calls the lifecycle added to the client, against `responses`: exact requests,
pagination, and errors turned into the client's own exceptions."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import responses

from middleware.config import ZendeskSettings
from middleware.store.connection import Keys
from middleware.zendesk.client import ZendeskClient
from middleware.zendesk.errors import NotFound, RateLimited, ZendeskError
from middleware.zendesk.transport import Credentials

BASE = "http://127.0.0.1:9"


@pytest.fixture
def client(redis, key_prefix):
    creds = Credentials(subdomain="acme", email="bot@acme.test", token="tok", oauth_token=None, api_url=BASE)
    return ZendeskClient(creds, ZendeskSettings(requests_per_minute=100), redis, Keys(key_prefix))


def task_json(tid: int, **over: object) -> dict:
    data = {"id": tid, "subject": "Post-incident review: #5", "status": "open", "type": "task",
            "due_at": "2026-12-10T12:00:00Z", "assignee_id": 77, "group_id": None, "requester_id": 900,
            "tags": ["post_incident_review", "incident_5"], "external_id": "cim-post-incident-review-5",
            "created_at": "2026-12-05T12:00:00Z", "updated_at": "2026-12-05T12:00:00Z"}
    data.update(over)
    return data


@responses.activate
def test_a_public_reply_is_one_public_comment_and_returns_its_id(client):
    responses.put(f"{BASE}/api/v2/tickets/5.json", json={
        "ticket": {"id": 5, "status": "open", "updated_at": "2026-12-05T12:00:01Z"},
        "audit": {"id": 3, "ticket_id": 5, "events": [
            {"id": 4101, "type": "Comment", "public": True, "body": "Hello", "author_id": 900},
            {"id": 4102, "type": "Change", "field_name": "status", "value": "open"}]}})
    assert client.public_reply(5, "Hello") == 4101
    body = json.loads(responses.calls[0].request.body)["ticket"]
    assert body["comment"] == {"body": "Hello", "public": True}
    assert "safe_update" not in body and "tags" not in body and "status" not in body


@responses.activate
def test_a_refused_reply_is_not_retried(client):
    responses.put(f"{BASE}/api/v2/tickets/5.json", status=422,
                  json={"error": "RecordInvalid", "description": "Status: closed prevents ticket update"})
    with pytest.raises(ZendeskError):
        client.public_reply(5, "Hello")
    responses.put(f"{BASE}/api/v2/tickets/6.json", status=404, json={"error": "RecordNotFound"})
    with pytest.raises(NotFound):
        client.public_reply(6, "Hello")
    assert len(responses.calls) == 2


@responses.activate
def test_audits_follow_cursor_pages_and_tell_what_each_update_did(client):
    page2 = f"{BASE}/api/v2/tickets/5/audits.json?page[size]=100&page[after]=xyz"
    responses.get(f"{BASE}/api/v2/tickets/5/audits.json", match=[responses.matchers.query_param_matcher(
        {"page[size]": "100"})], json={"audits": [
            {"id": 1, "created_at": "2026-12-05T10:00:00Z", "author_id": 11,
             "events": [{"type": "Comment", "public": True, "author_id": 11, "body": "down!"}]}],
            "meta": {"has_more": True}, "links": {"next": page2}})
    responses.get(page2, json={"audits": [
        {"id": 2, "created_at": "2026-12-05T11:00:00Z", "author_id": 77,
         "events": [{"type": "Comment", "public": True, "author_id": 77, "body": "fixed"},
                    {"type": "Change", "field_name": "status", "value": "solved", "previous_value": "open"}]}],
        "meta": {"has_more": False}, "links": {"next": None}})
    audits = client.audits(5)
    assert [a.id for a in audits] == [1, 2]
    assert audits[1].changed("status") == "solved" and audits[0].changed("status") is None
    assert audits[1].comment()["body"] == "fixed"
    assert audits[1].created_at == datetime(2026, 12, 5, 11, tzinfo=UTC)


@responses.activate
def test_a_problems_incidents_follow_offset_pages(client):
    responses.get(f"{BASE}/api/v2/tickets/9/incidents.json", match=[responses.matchers.query_param_matcher(
        {"per_page": "100"})], json={"tickets": [{"id": 10, "problem_id": 9, "type": "incident"}],
                                     "next_page": f"{BASE}/api/v2/tickets/9/incidents.json?page=2&per_page=100"})
    responses.get(f"{BASE}/api/v2/tickets/9/incidents.json", match=[responses.matchers.query_param_matcher(
        {"page": "2", "per_page": "100"})], json={"tickets": [{"id": 11, "problem_id": 9}], "next_page": None})
    assert [(t.id, t.problem_id) for t in client.problem_incidents(9)] == [(10, 9), (11, 9)]


@responses.activate
def test_tasks_by_external_id_and_search_carry_due_dates(client):
    responses.get(f"{BASE}/api/v2/tickets.json", match=[responses.matchers.query_param_matcher(
        {"external_id": "cim-post-incident-review-5"})], json={"tickets": [task_json(31)], "next_page": None})
    found = client.tasks_by_external_id("cim-post-incident-review-5")
    assert found[0].id == 31 and found[0].due_at == datetime(2026, 12, 10, 12, tzinfo=UTC)
    assert found[0].assignee_id == 77 and found[0].external_id == "cim-post-incident-review-5"

    responses.get(f"{BASE}/api/v2/search.json", json={"results": [
        {**task_json(31), "result_type": "ticket"}, {"id": 5, "result_type": "user"}], "next_page": None})
    results = client.search_tickets("tags:post_incident_review status<solved")
    assert [t.id for t in results] == [31]
    query = responses.calls[-1].request.params["query"]
    assert query == "type:ticket tags:post_incident_review status<solved"


@responses.activate
def test_a_task_is_created_with_type_due_date_assignee_and_an_internal_description(client):
    responses.post(f"{BASE}/api/v2/tickets.json", status=201, json={
        "ticket": task_json(31), "audit": {"id": 1, "events": []}})
    task = client.create_task(subject="Post-incident review: #5", body="timeline…",
                              due_at=datetime(2026, 12, 10, 12, tzinfo=UTC), tags=["post_incident_review"],
                              external_id="cim-post-incident-review-5", assignee_id=77, group_id=None)
    sent = json.loads(responses.calls[0].request.body)["ticket"]
    assert sent["type"] == "task" and sent["due_at"] == "2026-12-10T12:00:00Z"
    assert sent["comment"] == {"body": "timeline…", "public": False}
    assert sent["assignee_id"] == 77 and "group_id" not in sent
    assert sent["external_id"] == "cim-post-incident-review-5" and sent["tags"] == ["post_incident_review"]
    assert task.id == 31


@responses.activate
def test_a_user_is_found_by_exact_email(client):
    responses.get(f"{BASE}/api/v2/users/search.json", json={"users": [
        {"id": 1, "email": "jane.doe@acme.test", "role": "agent", "name": "Jane Doe"},
        {"id": 2, "email": "jane@acme.test", "role": "admin", "name": "Jane"}]})
    person = client.find_user_by_email("Jane@Acme.test")
    assert (person.id, person.role) == (2, "admin")
    assert responses.calls[0].request.params["query"] == "email:Jane@Acme.test"
    responses.get(f"{BASE}/api/v2/users/search.json", json={"users": []})
    assert client.find_user_by_email("nobody@acme.test") is None


@responses.activate
def test_list_reads_raise_the_clients_errors(client):
    responses.get(f"{BASE}/api/v2/tickets/5/audits.json", status=429, headers={"Retry-After": "12"})
    with pytest.raises(RateLimited):
        client.audits(5)
    responses.get(f"{BASE}/api/v2/tickets/6/audits.json", status=404, json={"error": "RecordNotFound"})
    with pytest.raises(NotFound):
        client.audits(6)
