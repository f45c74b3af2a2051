"""The Zendesk client against `responses`: URLs, safe updates, 409/429/5xx, the shared budget."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import responses

from middleware.config import ZendeskSettings
from middleware.store.connection import Keys
from middleware.zendesk.client import ZendeskClient
from middleware.zendesk.errors import Conflict, RateLimited, TransientError
from middleware.zendesk.transport import Credentials

BASE = "http://127.0.0.1:9"


def ticket_json(tid: int = 5, **over: object) -> dict:
    data = {"id": tid, "subject": "Site down", "description": "all down", "status": "open", "priority": "low",
            "type": None, "tags": ["vip"], "requester_id": 11, "organization_id": 22, "group_id": None,
            "via": {"channel": "web"}, "created_at": "2025-01-08T10:12:07Z", "updated_at": "2025-01-08T10:20:00Z",
            "custom_fields": [{"id": 360001, "value": "x"}]}
    data.update(over)
    return data


@pytest.fixture
def client(redis, key_prefix):
    creds = Credentials(subdomain="acme", email="bot@acme.test", token="tok", oauth_token=None, api_url=BASE)
    return ZendeskClient(creds, ZendeskSettings(requests_per_minute=100), redis, Keys(key_prefix))


@responses.activate
def test_requests_go_to_the_configured_base_url_with_timeouts(client):
    responses.get(f"{BASE}/api/v2/tickets/5.json", json={"ticket": ticket_json()})
    ticket = client.get_ticket(5)
    assert ticket.subject == "Site down"
    assert ticket.tags == ("vip",)
    assert ticket.custom_fields == {"360001": "x"}
    assert ticket.updated_at == datetime(2025, 1, 8, 10, 20, tzinfo=UTC)
    assert responses.calls[0].request.url == f"{BASE}/api/v2/tickets/5.json"
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")


@responses.activate
def test_safe_update_adds_tags_without_replacing_and_sends_the_stamp(client):
    responses.put(f"{BASE}/api/v2/tickets/5.json",
                  json={"ticket": ticket_json(tags=["vip", "critical_incident"], priority="urgent",
                                              updated_at="2025-01-08T10:21:00Z"),
                        "audit": {"id": 1, "ticket_id": 5, "events": []}})
    stamp = datetime(2025, 1, 8, 10, 20, tzinfo=UTC)
    after = client.safe_update(5, stamp, add_tags=["critical_incident"], fields={"priority": "urgent"},
                               note="why")
    body = json.loads(responses.calls[0].request.body)["ticket"]
    assert body["additional_tags"] == ["critical_incident"]
    assert "tags" not in body  # never replace the agent's tags
    assert body["safe_update"] is True
    assert body["updated_stamp"] == "2025-01-08T10:20:00Z"
    assert body["comment"] == {"body": "why", "public": False}
    assert body["priority"] == "urgent"
    assert after.priority == "urgent"
    assert after.updated_at == datetime(2025, 1, 8, 10, 21, tzinfo=UTC)


@responses.activate
def test_a_stale_stamp_is_a_conflict(client):
    responses.put(f"{BASE}/api/v2/tickets/5.json", status=409,
                  json={"error": "UpdateConflict", "description": "Safe Update prevented the update"})
    with pytest.raises(Conflict):
        client.safe_update(5, datetime(2025, 1, 1, tzinfo=UTC), add_tags=["x"])
    assert len(responses.calls) == 1


@responses.activate
def test_429_raises_at_once_with_retry_after_instead_of_sleeping(client):
    responses.get(f"{BASE}/api/v2/tickets/5.json", status=429, headers={"Retry-After": "37"},
                  json={"error": "TooManyRequests"})
    with pytest.raises(RateLimited) as info:
        client.get_ticket(5)
    assert info.value.retry_after == 37
    assert info.value.source == "zendesk"
    assert len(responses.calls) == 1


@responses.activate
def test_5xx_is_retried_then_succeeds(client):
    url = f"{BASE}/api/v2/tickets/5.json"
    responses.get(url, status=503, json={})
    responses.get(url, status=502, body="bad gateway")
    responses.get(url, json={"ticket": ticket_json()})
    assert client.get_ticket(5).id == 5
    assert len(responses.calls) == 3


@responses.activate
def test_5xx_that_persists_surfaces_as_transient(client):
    responses.get(f"{BASE}/api/v2/tickets/5.json", status=500, json={})
    with pytest.raises(TransientError):
        client.get_ticket(5)
    assert len(responses.calls) == 3


@responses.activate
def test_shared_budget_refuses_calls_over_the_per_minute_limit(redis, key_prefix):
    creds = Credentials("acme", "bot@acme.test", "tok", None, BASE)
    keys = Keys(key_prefix)
    first = ZendeskClient(creds, ZendeskSettings(requests_per_minute=2), redis, keys)
    second = ZendeskClient(creds, ZendeskSettings(requests_per_minute=2), redis, keys)  # another worker
    responses.get(f"{BASE}/api/v2/tickets/5.json", json={"ticket": ticket_json()})
    first.get_ticket(5)
    second.get_ticket(5)
    with pytest.raises(RateLimited) as info:
        first.get_ticket(5)
    assert info.value.source == "budget"
    assert 1 <= info.value.retry_after <= 61
    assert len(responses.calls) == 2  # the third never left the building
    assert redis.hget(keys("metrics", "zendesk_calls"), "read") == b"2"


@responses.activate
def test_api_user_id_is_looked_up_once_and_shared_through_redis(client, redis, key_prefix):
    responses.get(f"{BASE}/api/v2/users/me.json", json={"user": {"id": 900, "name": "bot", "role": "admin"}})
    assert client.api_user_id() == 900
    assert client.api_user_id() == 900
    assert len(responses.calls) == 1
    assert redis.get(Keys(key_prefix)("zendesk", "api_user_id")) == b"900"


def test_credentials_name_what_is_missing():
    from middleware.zendesk.errors import ZendeskError

    with pytest.raises(ZendeskError, match="ZENDESK_SUBDOMAIN"):
        Credentials.from_env({})
    with pytest.raises(ZendeskError, match="ZENDESK_API_TOKEN"):
        Credentials.from_env({"ZENDESK_SUBDOMAIN": "acme"})
    with pytest.raises(ZendeskError, match="ZENDESK_EMAIL"):
        Credentials.from_env({"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_API_TOKEN": "t"})
    creds = Credentials.from_env({"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "o"})
    assert creds.base_url == "https://acme.zendesk.com"


@responses.activate
def test_comments_carry_author_visibility_and_time(client):
    responses.get(f"{BASE}/api/v2/tickets/5/comments.json", json={"comments": [
        {"id": 1, "body": "help", "public": True, "author_id": 11, "created_at": "2025-01-08T10:12:07Z"},
        {"id": 2, "body": "on it", "public": False, "author_id": 7, "created_at": "2025-01-08T10:15:00Z"},
    ], "next_page": None, "count": 2})
    comments = client.comments(5)
    assert [(c.id, c.public, c.author_id) for c in comments] == [(1, True, 11), (2, False, 7)]
    assert comments[1].created_at == datetime(2025, 1, 8, 10, 15, tzinfo=UTC)
