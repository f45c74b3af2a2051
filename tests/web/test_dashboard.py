"""/api/incidents, /dashboard and /metrics read Redis only and show what an on-call person needs."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from jobs.runtime import Runtime
from jobs.sla import clock as sla
from middleware.config import load_config
from middleware.store.connection import Keys
from middleware.store.incidents import Incident, IncidentStore
from middleware.web.app import create_app
from middleware.zendesk.client import ZendeskClient
from middleware.zendesk.transport import Credentials

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)
TOKEN = "admin-secret"


@pytest.fixture
def setup(tmp_path: Path, redis, key_prefix):
    path = tmp_path / "config.yaml"
    path.write_text(f"redis: {{prefix: {key_prefix}}}\nrules: []\n", encoding="utf-8")
    config = load_config(path, env={})
    env = {"ADMIN_TOKEN": TOKEN, "ZENDESK_SUBDOMAIN": "acme"}
    app = create_app(config=config, env=env, redis=redis)
    app.extensions["cim.clock"] = lambda: NOW
    store = IncidentStore(redis, Keys(key_prefix))
    rt = Runtime(config=config, redis=redis, clock=lambda: NOW,
                 zendesk=ZendeskClient(Credentials("acme", "a@b.c", "t", None, "http://127.0.0.1:9"),
                                       config.zendesk, redis, Keys(key_prefix)))
    return app.test_client(), store, rt


def incident(iid: int, category: str, subject: str, declared: datetime) -> Incident:
    return Incident(id=iid, ticket_id=iid, category=category, rules=["r"], reasons=["why"], subject=subject,
                    organization_id=7, requester_id=8, ticket_created_at=declared, declared_at=declared,
                    critical_from_start=True)


def test_api_incidents_needs_the_admin_token(setup) -> None:
    client, _, _ = setup
    assert client.get("/api/incidents").status_code == 401
    assert client.get("/api/incidents", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/api/incidents", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.json == {"incidents": [], "count": 0, "as_of": "2026-11-29T10:00:00Z"}


def test_api_incidents_lists_open_incidents_with_their_sla_and_hides_security_subjects(setup) -> None:
    client, store, rt = setup
    outage = incident(11, "outage", "Platform down", NOW - timedelta(minutes=20))
    breach = incident(12, "security", "Customer list leaked", NOW - timedelta(minutes=5))
    for inc in (outage, breach):
        store.open(inc)
    sla.start_clock(rt, outage, NOW)
    body = client.get("/api/incidents", headers={"Authorization": f"Bearer {TOKEN}"}).json
    assert body["count"] == 2
    by_id = {i["id"]: i for i in body["incidents"]}
    assert by_id[11]["subject"] == "Platform down"
    assert by_id[11]["link"] == "https://acme.zendesk.com/agent/tickets/11"
    assert by_id[11]["sla"]["state"] == "pending"
    assert by_id[11]["sla"]["seconds_left"] == 40 * 60  # 1 h from creation, 20 min gone
    assert by_id[12]["subject"] == "(withheld: security incident)"
    assert by_id[12]["sla"] is None


def test_dashboard_accepts_the_browsers_basic_auth_and_escapes_text(setup) -> None:
    client, store, _ = setup
    store.open(incident(13, "outage", "<script>alert(1)</script> down", NOW))
    assert client.get("/dashboard").headers["WWW-Authenticate"].startswith("Basic")
    auth = base64.b64encode(f"admin:{TOKEN}".encode()).decode()
    page = client.get("/dashboard", headers={"Authorization": f"Basic {auth}"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "#13" in text and "&lt;script&gt;" in text and "<script>alert" not in text


def test_metrics_count_queues_incidents_and_zendesk_calls(setup, redis, key_prefix) -> None:
    client, store, _ = setup
    store.open(incident(14, "outage", "x", NOW))
    redis.hincrby(Keys(key_prefix)("metrics", "zendesk_calls"), "write", 3)
    text = client.get("/metrics").get_data(as_text=True)
    assert "cim_incidents_open 1" in text
    assert 'cim_zendesk_calls_total{kind="write"} 3' in text
    assert f'cim_queue_jobs{{queue="{key_prefix}-events",state="queued"}} 0' in text
