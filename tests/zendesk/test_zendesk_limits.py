"""Zendesk's endpoint limits in the shared budget: ticket updates per minute, updates per ticket
in 10 minutes (a bulk update counts each ticket), incremental exports per minute; each its own
window, with its figures from the plan named in config. A call over any window never leaves:
it is refused with the seconds until that window frees, and a refused call spends nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import responses
import yaml

from middleware.config import ConfigError, ZendeskSettings, load_config
from middleware.local.simulator import SimulatorControl, SimulatorServer
from middleware.store.connection import Keys
from middleware.zendesk.budget import CallBudget
from middleware.zendesk.client import ZendeskClient
from middleware.zendesk.errors import RateLimited
from middleware.zendesk.limits import Limits, windows_for
from middleware.zendesk.transport import Credentials
from tests.budget_support import Clock, refused

BASE = "http://127.0.0.1:9"
REPO = Path(__file__).resolve().parents[2]


def config_with(tmp_path: Path, zendesk: dict) -> ZendeskSettings:
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    raw["zendesk"] = zendesk
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_config(path, env={}).zendesk


# -- configuration --------------------------------------------------------------------------------
def test_figures_come_from_the_plan(tmp_path):
    pro = config_with(tmp_path, {"plan": "professional"})
    assert (pro.requests_per_minute, pro.ticket_updates_per_minute, pro.ticket_updates_per_ticket,
            pro.incremental_exports_per_minute) == (400, 100, 30, 10)
    hv = config_with(tmp_path, {"plan": "enterprise", "high_volume": True})
    assert (hv.requests_per_minute, hv.ticket_updates_per_minute, hv.incremental_exports_per_minute) == (2500, 300, 30)
    assert config_with(tmp_path, {"plan": "team"}).requests_per_minute == 200


def test_an_explicit_figure_wins_over_the_plan_and_old_configs_keep_working(tmp_path):
    mine = config_with(tmp_path, {"plan": "enterprise", "requests_per_minute": 500, "ticket_updates_per_minute": 80})
    assert (mine.requests_per_minute, mine.ticket_updates_per_minute) == (500, 80)
    old = config_with(tmp_path, {"requests_per_minute": 300})  # a config from before plans
    assert (old.requests_per_minute, old.ticket_updates_per_minute,
            old.incremental_exports_per_minute) == (300, 100, 10)
    shipped = load_config(REPO / "config.yaml", env={}).zendesk
    assert shipped.requests_per_minute == 400


def test_a_plan_that_does_not_exist_or_cannot_have_high_volume_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"zendesk\.plan"):
        config_with(tmp_path, {"plan": "platinum"})
    with pytest.raises(ConfigError, match=r"zendesk\.high_volume"):
        config_with(tmp_path, {"plan": "team", "high_volume": True})


# -- which windows a call spends ------------------------------------------------------------------
def test_updates_exports_and_bulk_updates_spend_their_own_windows():
    limits = Limits()
    assert [w.key for w in windows_for(limits, "GET", "/api/v2/tickets/5.json")] == [("calls",)]
    assert [w.key for w in windows_for(limits, "PUT", "/api/v2/tickets/5.json")] == [
        ("calls",), ("updates",), ("ticket", "5")]
    assert [w.key for w in windows_for(limits, "GET", "/api/v2/incremental/tickets/cursor.json")] == [
        ("calls",), ("export",)]
    bulk = windows_for(limits, "PUT", "/api/v2/tickets/update_many.json", {"tickets": [{"id": 1}, {"id": 2}]})
    assert [(w.key, w.cost) for w in bulk] == [(("calls",), 1), (("updates",), 2), (("ticket", "1"), 1),
                                               (("ticket", "2"), 1)]


# -- the windows in Redis -------------------------------------------------------------------------
def test_ticket_updates_per_minute_refuse_an_update_but_not_a_read(redis, key_prefix):
    clock = Clock(1_800_000_000.0)
    b = CallBudget(redis, Keys(key_prefix), clock=clock, limits=Limits(ticket_updates_per_minute=3))
    for tid in (1, 2, 3):
        b.take("PUT", f"/api/v2/tickets/{tid}.json")
        clock.now += 1
    wait = refused(lambda: b.take("PUT", "/api/v2/tickets/4.json"))
    assert wait == pytest.approx(60.5 - 3 + 0.5)  # when the first update leaves the window
    b.take("GET", "/api/v2/tickets/4.json")  # reads spend only the account's requests window


def test_thirty_updates_of_one_ticket_in_ten_minutes(redis, key_prefix):
    clock = Clock(1_800_000_000.0)
    b = CallBudget(redis, Keys(key_prefix), clock=clock)
    for _ in range(30):
        b.take("PUT", "/api/v2/tickets/7.json")
        clock.now += 5  # well inside the 100 updates a minute
    wait = refused(lambda: b.take("PUT", "/api/v2/tickets/7.json"))
    assert wait == pytest.approx(600.5 - 150 + 0.5)
    b.take("PUT", "/api/v2/tickets/8.json")  # another ticket has its own window
    clock.now += wait
    b.take("PUT", "/api/v2/tickets/7.json")


def test_incremental_exports_per_minute(redis, key_prefix):
    clock = Clock(1_800_000_000.0)
    b = CallBudget(redis, Keys(key_prefix), clock=clock)
    for _ in range(10):
        b.take("GET", "/api/v2/incremental/tickets/cursor.json")
    refused(lambda: b.take("GET", "/api/v2/incremental/tickets/cursor.json"))
    b.take("GET", "/api/v2/tickets/1.json")


def test_a_bulk_update_spends_one_update_per_ticket_and_a_refused_one_spends_nothing(redis, key_prefix):
    clock = Clock(1_800_000_000.0)
    b = CallBudget(redis, Keys(key_prefix), clock=clock, limits=Limits(ticket_updates_per_minute=5))
    bulk = {"tickets": [{"id": n} for n in range(1, 5)]}
    b.take("PUT", "/api/v2/tickets/update_many.json", bulk)  # 4 of 5
    refused(lambda: b.take("PUT", "/api/v2/tickets/update_many.json", {"tickets": [{"id": 10}, {"id": 11}]}))
    b.take("PUT", "/api/v2/tickets/12.json")  # the refused bulk took none of the last slot
    refused(lambda: b.take("PUT", "/api/v2/tickets/13.json"))
    calls = redis.zcard(Keys(key_prefix)("zendesk", "budget", "calls"))
    assert calls == 2  # only the two calls that went spent the requests window


# -- through the client, over HTTP ----------------------------------------------------------------
@responses.activate
def test_the_client_never_sends_an_update_past_the_window(redis, key_prefix):
    creds = Credentials("acme", "bot@acme.test", "tok", None, BASE)
    client = ZendeskClient(creds, ZendeskSettings(ticket_updates_per_minute=2), redis, Keys(key_prefix))
    responses.put(f"{BASE}/api/v2/tickets/update_many.json",
                  json={"job_status": {"id": "j1", "status": "queued"}})
    responses.put(f"{BASE}/api/v2/tickets/5.json",
                  json={"ticket": {"id": 5, "tags": []}, "audit": {"id": 1, "ticket_id": 5, "events": []}})
    client.update_many([{"id": 1, "priority": "high"}, {"id": 2, "priority": "high"}])
    with pytest.raises(RateLimited):
        client.safe_update(5, None, add_tags=["x"])
    assert [c.request.method for c in responses.calls] == ["PUT"]  # the update never left


def test_the_simulator_answers_429_past_an_endpoint_limit():
    with SimulatorServer() as server:
        control = SimulatorControl(server.url)
        control.endpoint_limits({"ticket_updates_per_ticket": 2})
        ticket = control.customer_ticket(subject="Down", description="all down", requester_email="a@customer.test")
        api = requests.Session()
        api.auth = ("bot@acme.test/token", "tok")
        url = f"{server.url}/api/v2/tickets/{ticket['id']}.json"
        statuses = [api.put(url, json={"ticket": {"priority": "high"}}, timeout=5) for _ in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        assert 1 <= int(statuses[2].headers["Retry-After"]) <= 600
        bulk = api.put(f"{server.url}/api/v2/tickets/update_many.json",
                       json={"tickets": [{"id": ticket["id"], "priority": "low"}]}, timeout=5)
        assert bulk.status_code == 429  # a bulk update counts against each ticket it names
        control.close()
