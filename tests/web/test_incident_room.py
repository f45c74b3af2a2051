"""The incident room: /dashboard, /dashboard/incidents/<id> and /api/incidents/<id> show what the
jobs recorded (Redis only), withhold security incidents' words, and make alert delivery visible."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobs.runtime import Runtime
from middleware.config import load_config
from middleware.store.connection import Keys
from middleware.web.app import create_app
from middleware.web.incident_room import Room
from middleware.zendesk.client import ZendeskClient
from middleware.zendesk.transport import Credentials
from tests.room_support import seed

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
TOKEN = "admin-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def build(tmp_path: Path, redis: Any, key_prefix: str, roles: str = "") -> tuple[Any, Runtime, dict[str, int]]:
    path = tmp_path / "config.yaml"
    path.write_text(f"redis: {{prefix: {key_prefix}}}\nrules: []\n{roles}", encoding="utf-8")
    config = load_config(path, env={})
    app = create_app(config=config, env={"ADMIN_TOKEN": TOKEN, "ZENDESK_SUBDOMAIN": "acme"}, redis=redis)
    app.extensions["cim.clock"] = lambda: NOW
    rt = Runtime(config=config, redis=redis, clock=lambda: NOW,
                 zendesk=ZendeskClient(Credentials("acme", "a@b.c", "t", None, "http://127.0.0.1:9"),
                                       config.zendesk, redis, Keys(key_prefix)))
    return app.test_client(), rt, seed(rt, NOW)


@pytest.fixture
def room(tmp_path: Path, redis, key_prefix):
    return build(tmp_path, redis, key_prefix)


def text(response: Any) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


# -- the incident page and its API ------------------------------------------------------------------
def test_incident_pages_need_the_admin_token_and_answer_bad_ids_with_json(room) -> None:
    client, _, ids = room
    for url in (f"/api/incidents/{ids['at_risk']}", f"/dashboard/incidents/{ids['at_risk']}"):
        assert client.get(url).status_code == 401
        assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    bad = client.get("/api/incidents/abc", headers=AUTH)
    assert bad.status_code == 400 and bad.json["error"] == "invalid_parameter"
    missing = client.get("/dashboard/incidents/999999", headers=AUTH)
    assert missing.status_code == 404 and "no critical incident 999999" in missing.json["message"]
    huge = client.get("/api/incidents/" + "9" * 40, headers=AUTH)
    assert huge.status_code == 400


def test_api_incident_has_the_whole_story(room) -> None:
    client, _, ids = room
    body = client.get(f"/api/incidents/{ids['resolved']}", headers=AUTH).json
    assert body["organization"] == "Initech"
    assert body["assignee"] == {"id": 502, "name": "Sam Support"}
    assert body["first_response"]["by"] == "Sam Support" and body["first_response"]["seconds"] == 20 * 60
    assert body["time_to_resolve_seconds"] == 5 * 3600
    assert body["linked_tickets"] == [{"ticket_id": 104, "link": "https://acme.zendesk.com/agent/tickets/104"}]
    assert body["review"]["link"] == "https://acme.zendesk.com/agent/tickets/201"
    assert [(a["ticket_id"], a["overdue"]) for a in body["actions"]] == [(202, True)]
    kinds = [e["kind"] for e in body["timeline"]]
    assert kinds[0] == "declared" and {"linked", "sla.first_response", "resolved", "review_created",
                                       "action_created"} <= set(kinds)
    times = [e["at"] for e in body["timeline"]]
    assert times == sorted(times)


def test_every_alert_delivery_shows_with_its_destination_and_result(room) -> None:
    client, _, ids = room
    body = client.get(f"/api/incidents/{ids['at_risk']}", headers=AUTH).json
    assert body["alerts"] == {"raised": 2, "delivered": 1, "failed": 1, "logged_only": 0}
    failed = next(e for e in body["timeline"] if e["kind"] == "alert_failed")
    assert failed["tone"] == "bad" and "FAILED" in failed["title"] and "mailto://…c3d4" in failed["title"]
    page = text(client.get(f"/dashboard/incidents/{ids['at_risk']}", headers=AUTH))
    assert 'id="banner-failed"' in page
    assert '<tr class="failed">' in page and "failed: FAILURE" in page
    assert "delivered" in page and "json://sink/…a1b2" in page


def test_unknown_timeline_kinds_still_show_with_their_fields(room) -> None:
    client, _, ids = room
    body = client.get(f"/api/incidents/{ids['breached']}", headers=AUTH).json
    update = next(e for e in body["timeline"] if e["kind"] == "status_page")
    assert update["title"] == "Status page" and update["details"] == {"note": "status page updated"}
    page = text(client.get(f"/dashboard/incidents/{ids['breached']}", headers=AUTH))
    assert 'data-kind="status_page"' in page and "status page updated" in page


def test_security_incidents_keep_their_words_withheld(room) -> None:
    client, _, ids = room
    for url in (f"/api/incidents/{ids['security']}", f"/dashboard/incidents/{ids['security']}", "/dashboard",
                "/api/incidents?status=all"):
        out = client.get(url, headers=AUTH).get_data(as_text=True)
        assert "Customer list leaked" not in out and "Secret Co" not in out and "Bob" not in out, url
    body = client.get(f"/api/incidents/{ids['security']}", headers=AUTH).json
    assert body["subject"] == "(withheld: security incident)" and body["organization"] == "(withheld)"
    assert body["reasons"] == ["(withheld: security incident)"]


# -- the overview -----------------------------------------------------------------------------------
def test_overview_lists_open_incidents_first_then_recently_resolved(room) -> None:
    client, _, ids = room
    page = text(client.get("/dashboard", headers=AUTH))
    open_at, resolved_at = page.index('id="open-incidents"'), page.index('id="resolved-incidents"')
    assert open_at < page.index(f'data-incident="{ids["resolved"]}"')
    assert resolved_at < page.index(f'data-incident="{ids["resolved"]}"')
    for key in ("at_risk", "breached", "security"):
        assert open_at < page.index(f'data-incident="{ids[key]}"') < resolved_at
    # the most urgent first: the breached clock, then the one with 25 minutes left
    assert page.index(f'data-incident="{ids["breached"]}"') < page.index(f'data-incident="{ids["at_risk"]}"')
    row = page[page.index(f'data-incident="{ids["at_risk"]}"'):]
    row = row[:row.index("</tr>")]
    assert "Acme Corp" in row and "Dana Agent" in row and "outage" in row
    assert 'class="countdown" data-due="2026-12-05T09:25:00Z">25m left' in row
    assert "1 failed" in row and "alert-failed" in page
    resolved = page[page.index(f'data-incident="{ids["resolved"]}"'):]
    assert "Sam Support" in resolved[:resolved.index("</tr>")] and "after 20m" in resolved


def test_overview_times_carry_utc_on_hover(room) -> None:
    client, _, _ = room
    page = text(client.get("/dashboard", headers=AUTH))
    assert '<time datetime="2026-12-05T09:00:00Z" title="2026-12-05 09:00:00 UTC">' in page
    assert "<script>" in page and "toLocaleString" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing loaded from outside


def test_overview_figures_for_7_and_30_days(room) -> None:
    _, rt, _ = room
    view = Room(rt.redis, rt.keys, rt.config, lambda t: f"z/{t}", NOW)
    records = view.history()
    tasks, _ = view.tasks()
    summary = view.summary(records, tasks)
    week = summary["periods"]["7d"]
    assert week["incidents"] == 4
    assert (week["sla_met"], week["sla_breached"], week["sla_attainment"]) == (1, 1, 0.5)
    assert week["first_response_median_seconds"] == 20 * 60 and week["first_response_p90_seconds"] == 20 * 60
    assert week["resolve_median_seconds"] == 5 * 3600
    assert week["alert_deliveries_failed"] == 1
    assert summary["actions_overdue"] == 1 and summary["actions_open"] == 1
    assert [w["incidents"] for w in summary["weeks"]] == [0] * 7 + [4]
    assert summary["weeks"][-1]["attainment"] == 0.5


def test_overview_renders_the_summary_and_an_inline_chart(room) -> None:
    client, _, _ = room
    page = text(client.get("/dashboard", headers=AUTH))
    summary = page[page.index('id="summary"'):page.index('id="weekly"')]
    assert "7 days" in summary and "30 days" in summary and "50%" in summary and "20m" in summary
    assert "5h 00m" in summary
    assert 'id="actions-overdue"' in summary
    assert '<svg class="chart"' in page and "<polyline" not in page  # one week with data: a dot, no line


def test_filters_by_status_category_and_customer(room) -> None:
    client, _, ids = room

    def shown(query: str) -> set[int]:
        page = text(client.get(f"/dashboard?{query}", headers=AUTH))
        return {i for i in ids.values() if f'data-incident="{i}"' in page}

    assert shown("") == set(ids.values())
    assert shown("status=open") == {ids["at_risk"], ids["breached"], ids["security"]}
    assert shown("status=resolved") == {ids["resolved"]}
    assert shown("category=outage") == {ids["at_risk"], ids["resolved"]}
    assert shown("customer=Globex") == {ids["breached"]}
    assert shown("category=outage&customer=Initech&status=resolved") == {ids["resolved"]}
    bad = client.get("/dashboard?status=everything", headers=AUTH)
    assert bad.status_code == 400 and bad.json["error"] == "invalid_parameter"


def test_banner_says_alerts_are_logged_only_when_no_destination_is_configured(room, tmp_path, redis) -> None:
    client, _, ids = room
    for url in ("/dashboard", f"/dashboard/incidents/{ids['breached']}"):
        page = text(client.get(url, headers=AUTH))
        assert 'id="banner-log-only"' in page and "alerts are logged only" in page
    configured, _, _ = build(tmp_path, redis, "cfg2",
                             roles="roles: {head_of_support: ['json://127.0.0.1:9/hos'], cto: []}\n")
    page = text(configured.get("/dashboard", headers=AUTH))
    assert 'id="banner-log-only"' not in page
    assert 'id="banner-partial"' in page and "cto" in page[page.index('id="banner-partial"'):][:300]


def test_browser_basic_auth_works_on_the_incident_page(room) -> None:
    client, _, ids = room
    auth = base64.b64encode(f"admin:{TOKEN}".encode()).decode()
    page = client.get(f"/dashboard/incidents/{ids['at_risk']}", headers={"Authorization": f"Basic {auth}"})
    assert page.status_code == 200 and "Platform down, nobody can log in" in page.get_data(as_text=True)


def test_pages_read_redis_only(room, monkeypatch) -> None:
    client, _, ids = room
    import requests

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the dashboard called out over HTTP")

    monkeypatch.setattr(requests.Session, "request", refuse)
    for url in ("/dashboard", f"/dashboard/incidents/{ids['resolved']}", f"/api/incidents/{ids['at_risk']}",
                "/api/incidents?status=all"):
        assert client.get(url, headers=AUTH).status_code == 200


def test_old_incident_without_new_fields_still_shows(room, redis) -> None:
    """Incidents recorded before organisation/assignee were recorded: the organisation's cached
    name (Redis), else its id; no assignee."""
    client, rt, _ = room
    redis.hdel(rt.incidents.key(101), "organization_name", "assignee_id", "assignee_name")
    body = client.get("/api/incidents/101", headers=AUTH).json
    assert body["organization"] == "organisation 7" and body["assignee"] is None
    redis.set(rt.keys("cache", "organization", 7), '{"id": 7, "name": "Acme (cached)", "tags": [], "fields": {}}')
    assert client.get("/api/incidents/101", headers=AUTH).json["organization"] == "Acme (cached)"


def test_the_first_reply_is_one_line_on_the_timeline(room) -> None:
    """The reply that was the first response shows once (the SLA's line), other replies as comments."""
    client, rt, ids = room
    iid = ids["at_risk"]
    at = NOW - timedelta(minutes=30)
    for comment_id in (77, 78):
        rt.incidents.add_event(iid, "comment", at, {"ticket_id": iid, "comment_id": comment_id,
                                                    "author_name": "Dana Agent", "staff": True})
    rt.incidents.add_event(iid, "sla.first_response", at, {"state": "met", "by": "Dana Agent", "comment_id": 77,
                                                           "within_target": True, "sla": "met after 5m (1h target)"})
    titles = [e["title"] for e in client.get(f"/api/incidents/{iid}", headers=AUTH).json["timeline"]]
    assert titles.count(f"Public reply by Dana Agent on #{iid}") == 1
    assert "First public reply by Dana Agent: met after 5m (1h target)" in titles


def test_redis_unreachable_is_a_503_in_json_not_a_500(tmp_path: Path, key_prefix: str) -> None:
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    path = tmp_path / "config.yaml"
    path.write_text(f"redis: {{prefix: {key_prefix}}}\nrules: []\n", encoding="utf-8")
    dead = Redis(host="127.0.0.1", port=9, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    app = create_app(config=load_config(path, env={}), env={"ADMIN_TOKEN": TOKEN}, redis=dead)
    client = app.test_client()
    for url in ("/dashboard", "/dashboard/incidents/5", "/api/incidents/5"):
        answer = client.get(url, headers=AUTH)
        assert answer.status_code == 503 and answer.json["error"] == "unavailable", url
