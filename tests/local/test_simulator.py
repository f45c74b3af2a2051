"""The Zendesk simulator, over real HTTP: zenpy 2.0.57 for the REST API (through a routing
session, as the product's client does), plain requests for raw shapes, and a real receiving
server for the signed webhooks."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment as ZComment
from zenpy.lib.api_objects import Organization as ZOrganization
from zenpy.lib.api_objects import Ticket as ZTicket
from zenpy.lib.api_objects import User as ZUser
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, RecordNotFoundException

from middleware.local.simulator import RoutingSession, SimulatorControl, SimulatorError, SimulatorServer
from middleware.local.simulator.store import Store
from middleware.web.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

SECRET = "sim-test-secret"
API_EMAIL = "middleware@example.com"
CONFLICT = {
    "error": "UpdateConflict",
    "description": "Safe Update prevented the update due to outdated ticket data. "
    "Please fetch the latest ticket data and try again.",
}
ROOT = Path(__file__).resolve().parents[2]


class Receiver:
    """A tiny webhook endpoint: records raw deliveries, answers from a programmable plan."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.plan: list[tuple[int, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/webhooks/zendesk"

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.received.append({"headers": dict(request.headers), "body": request.get_data()})
            status, headers = self.plan.pop(0) if self.plan else (200, {})
        if "X-Test-Sleep" in headers:  # answer too late: the sender times out
            time.sleep(float(headers["X-Test-Sleep"]))
        return Response("", status=status, headers=headers)(environ, start_response)

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.received]

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.plan.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.close()


@pytest.fixture
def ctl(server: SimulatorServer, receiver: Receiver) -> Iterator[SimulatorControl]:
    control = SimulatorControl(server.url)
    control.reset(keep_webhook=False)
    control.configure_webhook(url=receiver.url, secret=SECRET, enabled=True, retry_409_delay=0.0)
    receiver.reset()
    yield control
    control.close()


@pytest.fixture
def zen(server: SimulatorServer, ctl: SimulatorControl) -> Zenpy:
    return Zenpy(
        subdomain="acme",
        email=API_EMAIL,
        token="api-token",
        session=RoutingSession(server.url),
        disable_cache=True,
        ratelimit_budget=1,
    )


def auth() -> tuple[str, str]:
    return (f"{API_EMAIL}/token", "api-token")


def settle(ctl: SimulatorControl, receiver: Receiver) -> list[dict[str, Any]]:
    assert ctl.wait_deliveries(5)
    return receiver.events()


def by_type(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == f"zen:event-type:ticket.{name}"]


# -- REST API through zenpy ------------------------------------------------------------------------
def test_create_read_update_through_zenpy(zen: Zenpy, ctl: SimulatorControl) -> None:
    group = ctl.create_group("Escalations")
    created = zen.tickets.create(
        ZTicket(
            subject="Checkout is down",
            comment=ZComment(body="Nobody can pay"),
            requester=ZUser(name="Carol Customer", email="carol@customer.example"),
            tags=["checkout", "web"],
            custom_fields=[{"id": 360001, "value": "eu"}],
        )
    )
    ticket = created.ticket
    assert (ticket.status, ticket.description, list(ticket.tags)) == ("new", "Nobody can pay", ["checkout", "web"])
    assert ticket.via.channel == "api"
    requester = zen.users(id=ticket.requester_id)
    assert (requester.email, requester.role) == ("carol@customer.example", "end-user")
    assert ticket.submitter_id == zen.users.me().id

    fetched = zen.tickets(id=ticket.id)
    assert fetched.subject == "Checkout is down" and fetched.updated_at == ticket.updated_at
    fetched.priority = "urgent"
    fetched.type = "incident"
    fetched.group_id = group["id"]
    fetched.custom_fields = [{"id": 360002, "value": "p1"}]
    fetched.comment = ZComment(body="Escalated: matches outage rule", public=False)
    audit = zen.tickets.update(fetched)
    after = audit.ticket
    assert (after.priority, after.type, after.group_id) == ("urgent", "incident", group["id"])
    assert {f["id"]: f["value"] for f in after.custom_fields} == {360001: "eu", 360002: "p1"}
    assert after.updated_at > ticket.updated_at
    fields = {e["field_name"]: e for e in audit.audit.events if e.get("type") == "Change"}
    assert fields["priority"]["previous_value"] is None and fields["priority"]["value"] == "urgent"

    comments = list(zen.tickets.comments(ticket=ticket.id))
    assert [(c.body, c.public) for c in comments] == [
        ("Nobody can pay", True),
        ("Escalated: matches outage rule", False),
    ]
    authors = [zen.users(id=c.author_id).role for c in comments]
    assert authors == ["end-user", "admin"]  # is_staff is derivable from the author's role

    with pytest.raises(RecordNotFoundException):
        zen.tickets(id=9999)


def test_safe_update_conflict_and_success(zen: Zenpy, server: SimulatorServer) -> None:
    ticket = zen.tickets.create(ZTicket(subject="s", comment=ZComment(body="b"))).ticket
    stamp = ticket.updated_at
    first = zen.tickets.update(ZTicket(id=ticket.id, priority="high", safe_update=True, updated_stamp=stamp))
    assert first.ticket.priority == "high"
    # A second writer holding the same (now stale) stamp, within the same second, is refused.
    with pytest.raises(APIException) as info:
        zen.tickets.update(ZTicket(id=ticket.id, priority="low", safe_update=True, updated_stamp=stamp))
    assert info.value.response.status_code == 409
    assert json.loads(str(info.value)) == CONFLICT
    raw = requests.put(
        f"{server.url}/api/v2/tickets/{ticket.id}.json",
        auth=auth(),
        json={"ticket": {"status": "open", "safe_update": True, "updated_stamp": stamp}},
    )
    assert raw.status_code == 409 and raw.json() == CONFLICT
    fresh = first.ticket.updated_at
    second = zen.tickets.update(ZTicket(id=ticket.id, priority="low", safe_update=True, updated_stamp=fresh))
    assert second.ticket.priority == "low" and second.ticket.updated_at > fresh
    # Without safe_update the last writer wins, like Zendesk.
    assert zen.tickets.update(ZTicket(id=ticket.id, status="open")).ticket.status == "open"


def test_concurrent_safe_updates_one_winner(zen: Zenpy, server: SimulatorServer) -> None:
    ticket = zen.tickets.create(ZTicket(subject="s", comment=ZComment(body="b"))).ticket
    url = f"{server.url}/api/v2/tickets/{ticket.id}.json"
    barrier = threading.Barrier(8)
    codes: list[int] = []

    def write(n: int) -> None:
        barrier.wait()
        body = {"ticket": {"additional_tags": [f"w{n}"], "safe_update": True, "updated_stamp": ticket.updated_at}}
        codes.append(requests.put(url, auth=auth(), json=body, timeout=10).status_code)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200] + [409] * 7
    assert len(zen.tickets(id=ticket.id).tags) == 1


def test_tag_endpoints_and_tag_fields(zen: Zenpy, server: SimulatorServer) -> None:
    tid = zen.tickets.create(ZTicket(subject="s", comment=ZComment(body="b"), tags=["a"])).ticket.id
    assert list(zen.tickets.add_tags(tid, ["b", "c"])) == ["a", "b", "c"]
    assert list(zen.tickets.delete_tags(tid, ["b"])) == ["a", "c"]
    assert list(zen.tickets.set_tags(tid, ["x"])) == ["x"]
    url = f"{server.url}/api/v2/tickets/{tid}/tags.json"
    assert requests.get(url, auth=auth()).json() == {"tags": ["x"]}
    old_stamp = "2000-01-01T00:00:00Z"
    stale = requests.put(url, auth=auth(), json={"tags": ["y"], "safe_update": True, "updated_stamp": old_stamp})
    assert stale.status_code == 409
    t = zen.tickets.update(ZTicket(id=tid, additional_tags=["p", "q"], remove_tags=["x"])).ticket
    assert list(t.tags) == ["p", "q"]
    assert list(zen.tickets.update(ZTicket(id=tid, tags=["only"])).ticket.tags) == ["only"]  # tags replaces all


def test_bulk_update_and_job_status(zen: Zenpy, server: SimulatorServer) -> None:
    ids = [zen.tickets.create(ZTicket(subject=f"t{i}", comment=ZComment(body="b"))).ticket.id for i in range(3)]
    job = zen.tickets.update([ZTicket(id=i, priority="high", additional_tags=["bulk"]) for i in ids])
    assert job.status == "queued"
    done = zen.job_status(id=job.id)
    assert done.status == "completed" and done.total == 3
    assert all(r.success for r in done.results)
    raw = requests.put(
        f"{server.url}/api/v2/tickets/update_many.json",
        params={"ids": f"{ids[0]},{ids[1]},777"},
        auth=auth(),
        json={"ticket": {"status": "pending"}},
    )
    job_id = raw.json()["job_status"]["id"]
    status = requests.get(f"{server.url}/api/v2/job_statuses/{job_id}.json", auth=auth()).json()["job_status"]
    results = status["results"]
    assert [r["success"] for r in results] == [True, True, False]
    assert [t.status for t in zen.tickets(ids=ids)] == ["pending", "pending", "new"]
    assert all("bulk" in t.tags and t.priority == "high" for t in zen.tickets(ids=ids))
    many = ",".join(str(i) for i in range(1, 102))
    too_many = requests.put(
        f"{server.url}/api/v2/tickets/update_many.json",
        auth=auth(),
        params={"ids": many},
        json={"ticket": {"status": "open"}},
    )
    assert too_many.status_code == 400


def test_incremental_export_cursor_paging(zen: Zenpy, server: SimulatorServer) -> None:
    ids = [zen.tickets.create(ZTicket(subject=f"t{i}", comment=ZComment(body="b"))).ticket.id for i in range(5)]
    url = f"{server.url}/api/v2/incremental/tickets/cursor.json"
    seen: list[int] = []
    page = requests.get(url, params={"start_time": 0, "per_page": 2}, auth=auth()).json()
    while True:
        seen += [t["id"] for t in page["tickets"]]
        if page["end_of_stream"]:
            break
        page = requests.get(page["after_url"], auth=auth()).json()
    assert seen == ids
    resume = page["after_cursor"]
    empty = requests.get(url, params={"cursor": resume}, auth=auth()).json()
    assert empty["tickets"] == [] and empty["end_of_stream"] is True and empty["after_cursor"] == resume
    zen.tickets.update(ZTicket(id=ids[1], status="open"))
    again = requests.get(url, params={"cursor": resume}, auth=auth()).json()
    assert [t["id"] for t in again["tickets"]] == [ids[1]]
    assert [t.id for t in zen.tickets.incremental(start_time=0, per_page=2)] == [ids[0], *ids[2:], ids[1]]
    future = requests.get(url, params={"start_time": int(time.time()) + 3600}, auth=auth()).json()
    assert future["tickets"] == [] and future["end_of_stream"] is True


def test_users_organizations_groups(zen: Zenpy, server: SimulatorServer, ctl: SimulatorControl) -> None:
    me = zen.users.me()
    assert (me.email, me.role) == (API_EMAIL, "admin")
    assert zen.users.me().id == me.id
    org = ctl.create_organization("Acme", tags=["enterprise"], organization_fields={"tier": "gold", "ed": "dana"})
    fetched = zen.organizations(id=org["id"])
    assert list(fetched.tags) == ["enterprise"] and dict(fetched.organization_fields) == {"tier": "gold", "ed": "dana"}
    created = zen.users.create(ZUser(name="Eve", email="eve@acme.example", organization_id=org["id"]))
    assert created.organization_id == org["id"] and created.role == "end-user"
    dup = requests.post(f"{server.url}/api/v2/users.json", auth=auth(), json={"user": {"email": "eve@acme.example"}})
    assert dup.status_code == 422 and dup.json()["error"] == "RecordInvalid"
    upsert = requests.post(
        f"{server.url}/api/v2/users/create_or_update.json",
        auth=auth(),
        json={"user": {"email": "eve@acme.example", "role": "agent"}},
    )
    assert upsert.status_code == 200 and upsert.json()["user"]["role"] == "agent"
    found = requests.get(f"{server.url}/api/v2/users/search.json", params={"query": "eve@acme.example"}, auth=auth())
    assert [u["id"] for u in found.json()["users"]] == [created.id]
    assert [u.id for u in zen.users(ids=[me.id, created.id])] == [me.id, created.id]
    posted = zen.organizations.create(ZOrganization(name="Beta", tags=["smb"]))
    assert posted.name == "Beta"
    assert [g.name for g in zen.groups()] == ["Support"]
    assert requests.get(f"{server.url}/api/v2/users/me.json").status_code == 401
    bearer = requests.get(f"{server.url}/api/v2/users/me.json", headers={"Authorization": "Bearer abc"}).json()["user"]
    assert bearer["role"] == "admin" and bearer["id"] != me.id


# -- faults, rate limit, request log ---------------------------------------------------------------
def test_429_injection_with_retry_after(zen: Zenpy, server: SimulatorServer, ctl: SimulatorControl) -> None:
    tid = zen.tickets.create(ZTicket(subject="s", comment=ZComment(body="b"))).ticket.id
    ctl.add_fault(429, retry_after=2, count=1, path_regex=r"/tickets/\d+\.json", method="GET")
    limited = requests.get(f"{server.url}/api/v2/tickets/{tid}.json", auth=auth())
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert requests.get(f"{server.url}/api/v2/tickets/{tid}.json", auth=auth()).status_code == 200
    ctl.add_fault(429, retry_after=2, count=3)
    started = time.monotonic()
    with pytest.raises(RatelimitBudgetExceeded):  # zenpy with ratelimit_budget raises instead of sleeping
        zen.tickets(id=tid)
    assert time.monotonic() - started < 1
    log = ctl.requests_log()
    assert log["by_status"]["429"] == 2 and all(r["user_email"] == API_EMAIL for r in log["requests"])


def test_503_and_latency_injection(zen: Zenpy, server: SimulatorServer, ctl: SimulatorControl) -> None:
    tid = zen.tickets.create(ZTicket(subject="s", comment=ZComment(body="b"))).ticket.id
    ctl.clear_requests()
    ctl.add_fault(503, count=2, method="PUT")
    url = f"{server.url}/api/v2/tickets/{tid}.json"
    statuses = [requests.put(url, auth=auth(), json={"ticket": {"priority": "high"}}).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert requests.get(url, auth=auth()).status_code == 200
    ctl.add_fault(latency_ms=200, count=1)
    started = time.monotonic()
    assert requests.get(url, auth=auth()).status_code == 200
    assert time.monotonic() - started >= 0.2
    log = ctl.requests_log()
    assert (log["reads"], log["writes"], log["by_status"]) == (2, 3, {"503": 2, "200": 3})
    assert [r["kind"] for r in log["requests"]] == ["write", "write", "write", "read", "read"]


def test_rate_limit_per_minute(server: SimulatorServer, ctl: SimulatorControl) -> None:
    ctl.rate_limit(3)
    answers = [requests.get(f"{server.url}/api/v2/groups.json", auth=auth()) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-Rate-Limit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
    assert answers[3].json()["error"] == "APIRateLimitExceeded"
    ctl.rate_limit(None)
    assert requests.get(f"{server.url}/api/v2/groups.json", auth=auth()).status_code == 200


# -- webhooks ---------------------------------------------------------------------------------------
def assert_signed(delivery: dict[str, Any]) -> None:
    headers = delivery["headers"]
    assert verify([SECRET], headers[TIMESTAMP_HEADER], delivery["body"], headers[SIGNATURE_HEADER])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", headers[TIMESTAMP_HEADER])
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["User-Agent"] == "Zendesk Webhook"
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", headers["X-Zendesk-Webhook-Invocation-Id"])
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", headers["X-Zendesk-Webhook-Id"])


def test_webhooks_signed_in_zendesk_shape(zen: Zenpy, ctl: SimulatorControl, receiver: Receiver) -> None:
    org = ctl.create_organization("Acme", tags=["enterprise"])
    group = ctl.create_group("Tier 2")
    ticket = ctl.customer_ticket(
        "Login broken",
        "I cannot log in",
        "carol@acme.example",
        "Carol",
        organization_id=org["id"],
        tags=["login"],
        priority="low",
        type="question",
    )
    me = zen.users.me()
    current = zen.tickets(id=ticket["id"])
    zen.tickets.update(
        ZTicket(
            id=ticket["id"],
            priority="urgent",
            status="open",
            type="incident",
            group_id=group["id"],
            additional_tags=["critical_incident"],
            remove_tags=["login"],
            safe_update=True,
            updated_stamp=current.updated_at,
            comment=ZComment(body="Critical: outage rule matched", public=False),
        )
    )
    events = settle(ctl, receiver)
    for delivery in receiver.received:
        assert_signed(delivery)
    assert len({d["headers"]["X-Zendesk-Webhook-Invocation-Id"] for d in receiver.received}) == len(events)

    created = by_type(events, "created")[0]
    assert created["event"] == {} and created["zendesk_event_version"] == "2022-11-06"
    assert created["subject"] == f"zen:ticket:{ticket['id']}" and created["account_id"] == 22129848
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", created["time"])
    assert re.fullmatch(r"[0-9a-f-]{36}", created["id"])
    detail = created["detail"]
    assert detail["id"] == str(ticket["id"]) and detail["organization_id"] == str(org["id"])
    assert detail["actor_id"] == detail["requester_id"] == str(ticket["requester_id"])
    assert (detail["priority"], detail["status"], detail["type"]) == ("LOW", "NEW", "QUESTION")
    assert detail["tags"] == ["login"] and detail["via"] == {"channel": "web_form"}
    assert detail["description"] == "I cannot log in" and detail["assignee_id"] is None

    changed = [e for e in events if e is not created]
    assert {e["type"].rsplit(".", 1)[1] for e in changed} == {
        "comment_added",
        "priority_changed",
        "status_changed",
        "type_changed",
        "group_assignment_changed",
        "tags_changed",
    }
    assert all(e["detail"]["actor_id"] == str(me.id) for e in changed)  # our own writes are recognisable
    assert len({e["event"]["meta"]["sequence"]["id"] for e in changed}) == 1
    assert by_type(events, "priority_changed")[0]["event"]["current"] == "URGENT"
    assert by_type(events, "priority_changed")[0]["event"]["previous"] == "LOW"
    assert by_type(events, "status_changed")[0]["event"]["current"] == "OPEN"
    assert by_type(events, "type_changed")[0]["event"]["current"] == "INCIDENT"
    assert by_type(events, "group_assignment_changed")[0]["event"]["current"] == str(group["id"])
    tags = by_type(events, "tags_changed")[0]["event"]
    assert (tags["tags_added"], tags["tags_removed"]) == (["critical_incident"], ["login"])
    note = by_type(events, "comment_added")[0]["event"]["comment"]
    assert note["is_public"] is False and note["author"] == {"id": str(me.id), "is_staff": True, "name": me.name}
    assert isinstance(note["id"], str) and note["body"] == "Critical: outage rule matched"
    snapshot = changed[0]["detail"]
    assert (snapshot["priority"], snapshot["group_id"]) == ("URGENT", str(group["id"]))
    assert snapshot["tags"] == ["critical_incident"]


def test_agent_and_customer_comments_through_control_api(ctl: SimulatorControl, receiver: Receiver) -> None:
    ticket = ctl.customer_ticket("Slow", "Pages are slow", "dan@customer.example")
    reply = ctl.agent_reply(ticket["id"], "Looking into it", agent_email="ann@support.example")
    assert reply["comment"]["public"] is True
    ctl.update(ticket["id"], status="pending", author_email="ann@support.example")
    back = ctl.comment(ticket["id"], "Still slow")
    assert back["ticket"]["status"] == "open"  # a requester's reply reopens a pending ticket
    full = ctl.get_ticket(ticket["id"])
    assert [c["body"] for c in full["comments"]] == ["Pages are slow", "Looking into it", "Still slow"]
    events = settle(ctl, receiver)
    comments = [e["event"]["comment"] for e in by_type(events, "comment_added")]
    assert [(c["author"]["is_staff"], c["author"]["name"]) for c in comments] == [(True, "ann"), (False, "dan")]
    assert [e["event"]["current"] for e in by_type(events, "status_changed")] == ["OPEN", "PENDING", "OPEN"]
    ctl.update(ticket["id"], status="closed")
    with pytest.raises(SimulatorError) as info:
        ctl.update(ticket["id"], priority="high")
    assert info.value.status == 422


def test_webhook_retries_like_zendesk(ctl: SimulatorControl, receiver: Receiver) -> None:
    receiver.plan = [(503, {"Retry-After": "0"}), (409, {}), (200, {})]
    ctl.customer_ticket("one", "first", "r1@example.com")
    settle(ctl, receiver)
    invocations = [d["headers"]["X-Zendesk-Webhook-Invocation-Id"] for d in receiver.received]
    assert len(invocations) == 3 and len(set(invocations)) == 1  # same invocation, retried
    assert len({d["body"] for d in receiver.received}) == 1
    for delivery in receiver.received:
        assert_signed(delivery)
    receiver.reset()
    receiver.plan = [(500, {}), (429, {"Retry-After": "120"}), (503, {})]
    for n in range(3):
        ctl.customer_ticket(f"t{n}", "x", f"r{n}@example.com")
    settle(ctl, receiver)
    assert len(receiver.received) == 3  # none of these is retried
    report = ctl.deliveries()
    states = [(d["state"], len(d["attempts"])) for d in report["deliveries"]]
    assert states == [("delivered", 3), ("failed", 1), ("failed", 1), ("failed", 1)]
    assert report["pending"] == 0 and report["counts"]["attempts"] == 6


def test_webhook_timeout_is_retried(ctl: SimulatorControl, receiver: Receiver) -> None:
    ctl.configure_webhook(timeout=0.2)
    receiver.plan = [(200, {"X-Test-Sleep": "0.5"})]
    ctl.customer_ticket("slow receiver", "x", "slow@example.com")
    settle(ctl, receiver)
    delivery = ctl.deliveries()["deliveries"][0]
    assert delivery["state"] == "delivered"
    assert [(a["status"], a["error"]) for a in delivery["attempts"]] == [(None, "timeout"), (200, None)]


def test_paused_delivery_drops_events(ctl: SimulatorControl, receiver: Receiver) -> None:
    ctl.pause_webhooks()
    lost = ctl.customer_ticket("lost", "never announced", "lost@example.com")
    ctl.resume_webhooks()
    seen = ctl.customer_ticket("seen", "announced", "seen@example.com")
    events = settle(ctl, receiver)
    assert [e["detail"]["id"] for e in events] == [str(seen["id"])]
    dropped = ctl.deliveries(state="dropped")["deliveries"]
    assert [d["subject"] for d in dropped] == [f"zen:ticket:{lost['id']}"]
    assert ctl.get_ticket(lost["id"])["ticket"]["subject"] == "lost"  # the ticket itself exists


def test_webhook_event_filter(ctl: SimulatorControl, receiver: Receiver) -> None:
    ctl.configure_webhook(events=["ticket.comment_added"])
    ticket = ctl.customer_ticket("f", "x", "f@example.com")
    ctl.agent_reply(ticket["id"], "hello")
    events = settle(ctl, receiver)
    assert [e["type"] for e in events] == ["zen:event-type:ticket.comment_added"]


def test_runs_as_a_process() -> None:
    port = _free_port()
    env = {**os.environ, "SIM_SECRET": SECRET, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "middleware.local.simulator", "--port", str(port), "--webhook-secret-env", "SIM_SECRET"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        control = SimulatorControl(f"http://127.0.0.1:{port}")
        control.wait_until_up(10)
        assert control.webhook()["secret_set"] is True
        assert SECRET not in " ".join(proc.args)  # type: ignore[arg-type]
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_export_never_loses_an_update_made_in_the_same_second_as_its_cursor() -> None:
    # Whole-second timestamps: tickets created across a second boundary, then one of the
    # earlier ones updated within that second. Ordered by (timestamp, id), the update sorted
    # before the cursor and was never exported (the test above failed about one run in twenty).
    clock = [1_700_000_000.8]
    store = Store(clock=lambda: clock[0])
    actor = store.users.create({"name": "Api", "email": "api@example.com", "role": "admin"}).get("id")
    ids = []
    for i in range(4):
        clock[0] += 0.4 if i == 2 else 0.0  # the third and fourth ticket one second later
        ids.append(store.tickets.create(actor, {"subject": f"t{i}", "comment": {"body": "b"}}).ticket["id"])
    page = store.export.page(0, None, 10)
    assert [t["id"] for t in page["tickets"]] == ids
    store.tickets.update(actor, ids[0], {"status": "open"})  # same second as the last ticket's creation
    again = store.export.page(None, page["after_cursor"], 10)
    assert [t["id"] for t in again["tickets"]] == [ids[0]]
