"""POST /api/incidents/<id>/updates: the incident page's way to send a status update.

It needs the admin token, never calls Zendesk (it records the update and queues the job the
worker sends it with), answers every bad request with a 4xx JSON body that says what is wrong,
and the same update asked for twice is queued once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from middleware.config import load_config
from middleware.store import queues
from middleware.store.connection import Keys
from middleware.store.incidents import Incident, IncidentStore
from middleware.web.app import create_app

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
TOKEN = "admin-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def setup(tmp_path: Path, redis, key_prefix):
    path = tmp_path / "config.yaml"
    path.write_text(f"redis: {{prefix: {key_prefix}}}\nrules: []\n", encoding="utf-8")
    config = load_config(path, env={})
    app = create_app(config=config, env={"ADMIN_TOKEN": TOKEN, "ZENDESK_SUBDOMAIN": "acme"}, redis=redis)
    app.extensions["cim.clock"] = lambda: NOW
    store = IncidentStore(redis, Keys(key_prefix))
    for iid, category in ((21, "outage"), (22, "security")):
        store.open(Incident(id=iid, ticket_id=iid, category=category, rules=["r"], reasons=["why"],
                            subject="Down", organization_id=None, requester_id=8, ticket_created_at=NOW,
                            declared_at=NOW, critical_from_start=True))
    return app.test_client(), store, redis


def queued(redis, store: IncidentStore) -> list[str]:
    queue = queues.queue(queues.LIFECYCLE_STAGE, redis, store.keys)
    return [j for j in queue.get_job_ids() if j.startswith("cupdate-")]


def test_an_update_is_recorded_queued_once_and_on_the_timeline(setup) -> None:
    client, store, redis = setup
    body = {"message": "We are deploying a fix for #{ticket_id}.", "by": "Helen Head"}
    first = client.post("/api/incidents/21/updates", json=body, headers=AUTH)
    assert first.status_code == 202, first.json
    assert first.json["state"] == "queued" and first.json["by"] == "Helen Head"
    again = client.post("/api/incidents/21/updates", json=body, headers=AUTH)
    assert again.status_code == 200 and again.json["update_id"] == first.json["update_id"]
    assert len(queued(redis, store)) == 1
    [entry] = [e for e in store.timeline(21) if e["kind"] == "customer_update.requested"]
    assert entry["by"] == "Helen Head" and entry["update_id"] == first.json["update_id"]
    listed = client.get("/api/incidents/21/updates", headers=AUTH).json
    assert listed["count"] == 1 and listed["updates"][0]["state"] == "queued"


def test_the_incident_pages_form_sends_with_its_token_and_a_forged_post_sends_nothing(setup) -> None:
    client, store, redis = setup
    room = client.get("/dashboard/incidents/21", headers=AUTH).get_data(as_text=True)
    assert 'href="/dashboard/incidents/21/update"' in room  # the incident page links to the form
    page = client.get("/dashboard/incidents/21/update", headers=AUTH)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "{requester_name}" in text and "allow_security" not in text  # an outage: no security checkbox
    token = re.search(r'name="token" value="([0-9a-f]+)"', text).group(1)
    # Another site's page making the browser post (its saved Basic credentials go along):
    forged = client.post("/dashboard/incidents/21/update", data={"message": "Hi", "by": "Mallory"}, headers=AUTH)
    assert forged.status_code == 403 and queued(redis, store) == []
    as_form = client.post("/api/incidents/21/updates", data={"message": "Hi", "by": "Mallory"}, headers=AUTH)
    assert as_form.status_code == 400 and queued(redis, store) == []
    sent = client.post("/dashboard/incidents/21/update", headers=AUTH,
                       data={"message": "Fixed soon, #{ticket_id}.", "by": "Helen Head", "token": token})
    assert sent.status_code == 202 and "Queued" in sent.get_data(as_text=True)
    assert len(queued(redis, store)) == 1
    bad = client.post("/dashboard/incidents/21/update", headers=AUTH,
                      data={"message": "Hi {customer}", "by": "Helen Head", "token": token})
    assert bad.status_code == 400 and "unknown placeholder" in bad.get_data(as_text=True)
    secure = client.get("/dashboard/incidents/22/update", headers=AUTH).get_data(as_text=True)
    assert 'name="allow_security"' in secure and "withheld" in secure
    assert client.get("/dashboard/incidents/99/update", headers=AUTH).status_code == 404
    assert client.get("/dashboard/incidents/21/update").status_code == 401


@pytest.mark.parametrize(("path", "body", "status", "words"), [
    ("/api/incidents/21/updates", {"message": "Hi {customer}", "by": "H"}, 400, "unknown placeholder"),
    ("/api/incidents/21/updates", {"message": "", "by": "H"}, 400, "empty"),
    ("/api/incidents/21/updates", {"message": "Hi"}, 400, "by"),
    ("/api/incidents/21/updates", {"message": "Hi", "by": "  "}, 400, "who asks"),
    ("/api/incidents/21/updates", {"message": "Hi", "by": "H", "update_id": "x" * 65}, 400, "64 characters"),
    ("/api/incidents/21/updates", {"message": "Hi", "by": "H", "update_id": 5}, 400, "update_id"),
    ("/api/incidents/22/updates", {"message": "Hi", "by": "H"}, 403, "allow-security"),
    ("/api/incidents/99/updates", {"message": "Hi", "by": "H"}, 404, "no incident 99"),
])
def test_bad_requests_get_a_4xx_that_says_why_and_queue_nothing(setup, path, body, status, words) -> None:
    client, store, redis = setup
    answer = client.post(path, json=body, headers=AUTH)
    assert answer.status_code == status and words in answer.json["message"]
    assert queued(redis, store) == []


def test_it_needs_the_admin_token_and_a_json_object(setup) -> None:
    client, store, redis = setup
    assert client.post("/api/incidents/21/updates", json={"message": "Hi", "by": "H"}).status_code == 401
    assert client.get("/api/incidents/21/updates").status_code == 401
    bad = client.post("/api/incidents/21/updates", data="[1]", content_type="application/json", headers=AUTH)
    assert bad.status_code == 400 and bad.json["error"] == "invalid_body"
    allowed = client.post("/api/incidents/22/updates", json={"message": "Hi", "by": "H", "allow_security": True},
                          headers=AUTH)
    assert allowed.status_code == 202 and len(queued(redis, store)) == 1
