"""Alert routing, the Engagement Director, exactly-once delivery and failure handling.

Real Redis, real RQ (a SimpleWorker in burst mode runs the jobs), Apprise sending over HTTP to
`responses`, and the Zendesk client pointed at `responses` for organisation lookups.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.registry import FailedJobRegistry

from jobs import runtime
from jobs.alerts import notify as alerts
from jobs.alerts.delivery import Delivery, DeliveryBusy, DeliveryFailed, deliver_with, metrics_key
from jobs.runtime import Runtime
from middleware.config import load_config
from middleware.config.alerting import fingerprint
from middleware.store import queues
from middleware.store.connection import Keys
from middleware.store.incidents import OVERRIDDEN
from middleware.zendesk.client import ZendeskClient
from middleware.zendesk.errors import RateLimited, TransientError
from middleware.zendesk.transport import Credentials
from rules.model import Organization
from tests.jobs.alerts.sample import NOW, incident

BASE = "http://127.0.0.1:9"
SINK = "http://127.0.0.1:8089"
ORG_URL = f"{BASE}/api/v2/organizations/22.json"

CONFIG = """
roles:
  head_of_support: ["json://127.0.0.1:8089/hos"]
  cto: ["json://127.0.0.1:8089/cto"]
  engagement_director:
    organization_field: engagement_director
    by_organization: {"33": ["json://127.0.0.1:8089/ed-33"]}
    default: ["json://127.0.0.1:8089/ed-default"]
  engineering: ["json://127.0.0.1:8089/eng", "json://127.0.0.1:8089/cto"]
  product: []
  customer_operations: ["${OPS_URL:-}"]
alerts:
  email_url_template: "json://127.0.0.1:8089/mail?to={email}"
  category_routes:
    outage: {incident.declared: [engineering]}
    data: {"*": [customer_operations, product]}
  retry: {max: 2, intervals: [0s]}
"""


def org_json(field: object = None, org_id: int = 22, name: str = "Acme Corp") -> dict:
    return {"organization": {"id": org_id, "name": name, "tags": [],
                             "organization_fields": {"engagement_director": field}}}


@pytest.fixture
def make_rt(redis, key_prefix, tmp_path) -> Iterator[Callable[..., Runtime]]:
    def make(text: str = CONFIG, env: dict[str, str] | None = None, path: Path | None = None) -> Runtime:
        if path is None:
            path = tmp_path / "config.yaml"
            path.write_text(f"redis: {{prefix: {key_prefix}}}\n{text}", encoding="utf-8")
        config = load_config(path, env=env or {})
        creds = Credentials("acme", "bot@acme.test", "tok", None, BASE)
        client = ZendeskClient(creds, config.zendesk, redis, Keys(key_prefix))
        rt = Runtime(config=config, redis=redis, zendesk=client, clock=lambda: NOW)
        runtime.install(rt)
        return rt

    yield make
    runtime.install(None)


@pytest.fixture
def rt(make_rt) -> Runtime:
    return make_rt()


@pytest.fixture
def sink() -> Iterator[responses.RequestsMock]:
    """Every Apprise json:// POST to 127.0.0.1:8089 (and Zendesk reads) go through `responses`."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, _sink_pattern(), body="")
        yield mock


def _sink_pattern() -> re.Pattern[str]:
    return re.compile(re.escape(SINK) + r"/.*")


def posts(mock: responses.RequestsMock) -> list[tuple[str, dict]]:
    """(path, JSON body) of every POST to the sink, in order."""
    out = []
    for call in mock.calls:
        if call.request.method == "POST" and call.request.url.startswith(SINK):
            path = call.request.url[len(SINK):].split("?")[0]
            out.append((path, json.loads(call.request.body)))
    return out


def alert_queue(rt: Runtime) -> Queue:
    return queues.queue(queues.ALERTS_STAGE, rt.redis, rt.keys)


def work(rt: Runtime) -> None:
    SimpleWorker([alert_queue(rt)], connection=rt.redis).work(burst=True, logging_level="WARNING")


def kinds(rt: Runtime, inc_id: int = 5) -> list[str]:
    return [e["kind"] for e in rt.incidents.timeline(inc_id)]


def metric(rt: Runtime, name: str) -> int:
    return int(rt.redis.hget(metrics_key(rt), name) or 0)


# -- routing ------------------------------------------------------------------------------------
def test_roles_are_the_route_plus_the_category_routes(rt):
    alerting = rt.config.alerting
    assert alerts.roles_for(alerting, "outage", "incident.declared") == [
        "head_of_support", "engagement_director", "cto", "engineering"]
    assert alerts.roles_for(alerting, "outage", "sla.at_risk") == ["head_of_support"]
    assert alerts.roles_for(alerting, "data", "sla.breached") == [
        "head_of_support", "cto", "customer_operations", "product"]
    assert alerts.roles_for(alerting, None, "no.such.event") == []


def test_a_url_shared_by_roles_is_one_destination_and_empty_roles_are_log_only(rt):
    dests, silent = alerts.destinations_for(rt.config.alerting, ["cto", "engineering", "product"], {})
    assert [(d.url.rsplit("/", 1)[1], d.roles) for d in dests] == [("cto", ["cto", "engineering"]),
                                                                     ("eng", ["engineering"])]
    assert silent == ["product"]


# -- the Engagement Director --------------------------------------------------------------------
def ed_urls(rt: Runtime, orgs: dict) -> tuple[str, ...]:
    alerting = rt.config.alerting
    return alerts.engagement_director_urls(alerting.roles.engagement_director,
                                           alerting.alerts.email_url_template, orgs)


def org(field: object, org_id: int = 22) -> Organization:
    return Organization(id=org_id, name="Acme", fields={"engagement_director": field})


def test_engagement_director_from_the_field_then_by_organization_then_default(rt):
    assert ed_urls(rt, {22: org("jane@acme.test")}) == ("json://127.0.0.1:8089/mail?to=jane@acme.test",)
    assert ed_urls(rt, {22: org("json://127.0.0.1:8089/jane")}) == ("json://127.0.0.1:8089/jane",)
    assert ed_urls(rt, {33: org("")}) == ("json://127.0.0.1:8089/ed-33",)
    assert ed_urls(rt, {33: None}) == ("json://127.0.0.1:8089/ed-33",)
    assert ed_urls(rt, {22: org(None)}) == ("json://127.0.0.1:8089/ed-default",)
    assert ed_urls(rt, {}) == ("json://127.0.0.1:8089/ed-default",)
    assert ed_urls(rt, {22: org("a@acme.test, b@acme.test"), 33: None}) == (
        "json://127.0.0.1:8089/mail?to=a@acme.test", "json://127.0.0.1:8089/mail?to=b@acme.test",
        "json://127.0.0.1:8089/ed-33")


def test_an_unusable_field_falls_through_without_logging_it(rt, caplog):
    caplog.set_level(logging.WARNING)
    assert ed_urls(rt, {33: org("nosuch://user:hunter2@host", 33)}) == ("json://127.0.0.1:8089/ed-33",)
    assert ed_urls(rt, {22: org("just a name")}) == ("json://127.0.0.1:8089/ed-default",)
    assert "hunter2" not in caplog.text
    assert "not an Apprise URL" in caplog.text


def test_an_email_without_a_mail_template_falls_through(make_rt):
    rt = make_rt(CONFIG.replace('email_url_template: "json://127.0.0.1:8089/mail?to={email}"', ""))
    assert ed_urls(rt, {22: org("jane@acme.test")}) == ("json://127.0.0.1:8089/ed-default",)


def test_the_organisation_is_read_once_and_cached_with_an_expiry(rt, sink):
    sink.get(ORG_URL, json=org_json("json://127.0.0.1:8089/jane"))
    first = alerts.organizations(rt, incident(), must_know=True)
    second = alerts.organizations(rt, incident(), must_know=True)
    assert first == second and first[22] is not None and first[22].name == "Acme Corp"
    assert len([c for c in sink.calls if c.request.url == ORG_URL]) == 1
    ttl = rt.redis.ttl(rt.keys("cache", "organization", 22))
    assert 0 < ttl <= 3600


def test_zendesk_trouble_retries_the_fan_out_then_falls_back_on_the_last_try(rt, sink, monkeypatch):
    def unreadable(org_id: int) -> Organization:
        raise TransientError(f"GET /api/v2/organizations/{org_id}.json: HTTP 500")

    monkeypatch.setattr(rt.zendesk, "get_organization", unreadable)
    inc = incident()
    rt.incidents.open(inc)
    with pytest.raises(TransientError):
        alerts.fan_out_with(rt, inc, "incident.declared", NOW, "", {}, last_attempt=False)
    alerts.fan_out_with(rt, inc, "incident.declared", NOW, "", {}, last_attempt=True)
    work(rt)
    assert sorted(p for p, _ in posts(sink)) == ["/cto", "/ed-default", "/eng", "/hos"]
    assert "Organisation: organisation 22" in dict(posts(sink))["/hos"]["message"]


def test_a_rate_limit_is_waited_for_even_on_the_last_try_never_a_fallback(rt, sink):
    sink.get(ORG_URL, status=429, headers={"Retry-After": "55"}, json={})
    inc = incident()
    rt.incidents.open(inc)
    with pytest.raises(RateLimited):  # outside a worker it propagates; in RQ it reschedules (below)
        alerts.fan_out_with(rt, inc, "incident.declared", NOW, "", {}, last_attempt=True)
    work(rt)
    assert posts(sink) == []  # nobody alerted with the default director instead


def test_a_rate_limited_fan_out_is_rescheduled_for_when_the_budget_frees_then_finds_the_director(rt, sink):
    sink.get(ORG_URL, status=429, headers={"Retry-After": "55"}, json={})
    inc = incident()
    rt.incidents.open(inc)
    alerts.notify(rt, inc, "incident.declared", NOW)
    work(rt)
    queue = alert_queue(rt)
    (waiting,) = queue.scheduled_job_registry.get_job_ids()
    due = queue.scheduled_job_registry.get_scheduled_time(waiting)
    assert 50 <= (due - datetime.now(UTC)).total_seconds() <= 56  # when the budget frees, not 5 s
    assert Job.fetch(waiting, connection=rt.redis).retries_left == 3  # waiting spent no retry
    assert posts(sink) == [] and queue.failed_job_registry.count == 0
    sink.replace(responses.GET, ORG_URL, json=org_json("json://127.0.0.1:8089/jane"))
    queue.scheduled_job_registry.remove(waiting)
    queue.enqueue_job(Job.fetch(waiting, connection=rt.redis))
    work(rt)
    assert sorted(p for p, _ in posts(sink)) == ["/cto", "/eng", "/hos", "/jane"]  # the real director


def test_zendesk_trouble_never_delays_an_alert_without_the_director(rt, sink):
    sink.get(ORG_URL, status=429, headers={"Retry-After": "30"}, json={})
    inc = incident()
    rt.incidents.open(inc)
    alerts.fan_out_with(rt, inc, "sla.at_risk", NOW, "0", {}, last_attempt=False)
    work(rt)
    assert [p for p, _ in posts(sink)] == ["/hos"]


def test_multi_customer_incidents_reach_every_organisations_director(rt, sink):
    sink.get(ORG_URL, json=org_json("json://127.0.0.1:8089/jane"))
    sink.get(f"{BASE}/api/v2/organizations/33.json", json=org_json(None, 33, "Beta"))
    inc = incident(extra={"organization_ids": [22, 33]})
    orgs = alerts.organizations(rt, inc, must_know=True)
    assert ed_urls(rt, orgs) == ("json://127.0.0.1:8089/jane", "json://127.0.0.1:8089/ed-33")
    assert alerts.organization_label(inc, orgs) == "Acme Corp, Beta"


# -- end to end through RQ -------------------------------------------------------------------
def test_declared_reaches_each_routed_role_once_with_the_facts(rt, sink):
    sink.get(ORG_URL, json=org_json("jane@acme.test"))
    inc = incident()
    rt.incidents.open(inc)
    alerts.notify(rt, inc, "incident.declared", inc.declared_at + timedelta(minutes=1),
                  details={"due_at": NOW + timedelta(minutes=40)})
    work(rt)
    got = {path: body for path, body in posts(sink)}
    assert sorted(got) == ["/cto", "/eng", "/hos", "/mail"]
    assert len(posts(sink)) == 4
    hos = got["/hos"]
    assert hos["title"] == "Critical incident declared: #5 Checkout is down"
    assert hos["type"] == "failure"
    assert f"Ticket: {BASE}/agent/tickets/5" in hos["message"]
    assert "Organisation: Acme Corp" in hos["message"]
    assert 'Why critical: subject mentions "down"' in hos["message"]
    assert "Declared: 1m ago" in hos["message"]
    assert "SLA: 57m left (due 2025-01-08 11:10 UTC)" in hos["message"]
    assert metric(rt, "sent") == 4
    sent = [e for e in rt.incidents.timeline(5) if e["kind"] == "alert_sent"]
    assert sorted(r for e in sent for r in e["roles"]) == [
        "cto", "engagement_director", "engineering", "engineering", "head_of_support"]
    assert all(re.fullmatch(r"json://127\.0\.0\.1…#[0-9a-f]{12}", e["destination"]) for e in sent)


def test_resolved_reaches_support_the_director_and_the_cto(rt, sink):
    """The lifecycle (not written yet) will call notify("incident.resolved"); this is that call."""
    sink.get(ORG_URL, json=org_json("json://127.0.0.1:8089/jane"))
    inc = incident()
    rt.incidents.open(inc)
    rt.incidents.set_status(5, "resolved", NOW)
    alerts.notify(rt, rt.incidents.get(5), "incident.resolved", NOW, details={"sla_state": "met"})
    alerts.notify(rt, rt.incidents.get(5), "incident.resolved", NOW)
    work(rt)
    got = dict(posts(sink))
    assert sorted(got) == ["/cto", "/hos", "/jane"] and len(posts(sink)) == 3
    assert got["/jane"]["title"] == "Critical incident resolved: #5 Checkout is down"
    assert got["/jane"]["type"] == "success"


def test_notify_twice_queues_one_fan_out_and_one_delivery_per_destination(rt, sink):
    sink.get(ORG_URL, json=org_json(None))
    inc = incident(category=None)
    rt.incidents.open(inc)
    alerts.notify(rt, inc, "incident.declared", NOW)
    alerts.notify(rt, inc, "incident.declared", NOW)
    assert alert_queue(rt).count == 1
    fan_out_job = alert_queue(rt).jobs[0]
    alerts.fan_out(*fan_out_job.args)  # a second run of the fan-out (say, after a worker died)
    assert sorted(j.func_name for j in alert_queue(rt).jobs) == ["jobs.alerts.delivery.deliver"] * 3 + [
        "jobs.alerts.notify.fan_out"]
    work(rt)
    assert sorted(p for p, _ in posts(sink)) == ["/cto", "/ed-default", "/hos"]
    for key in rt.redis.scan_iter("rq:job:*"):  # much later: the unique ids expired with the jobs
        rt.redis.delete(key)
    alerts.notify(rt, inc, "incident.declared", NOW)
    assert alert_queue(rt).count == 1  # a new fan-out is queued ...
    work(rt)
    assert len(posts(sink)) == 3  # ... but the sent markers stop every resend


def test_each_occurrence_is_its_own_alert(rt, sink):
    sink.get(ORG_URL, json=org_json(None))
    inc = incident()
    rt.incidents.open(inc)
    for occurrence in ("0", "1", "1", "2"):
        alerts.notify(rt, inc, "sla.breached", NOW, occurrence=occurrence)
    work(rt)
    titles = sorted(body["title"] for path, body in posts(sink) if path == "/cto")
    assert titles == ["Reminder 1: SLA breached: #5 Checkout is down", "Reminder 2: SLA breached: #5 Checkout is down",
                      "SLA breached: #5 Checkout is down"]
    assert len(posts(sink)) == 6  # head_of_support and cto, three occurrences


def test_a_delivery_run_twice_sends_once(rt, sink):
    d = delivery(rt)
    assert deliver_with(rt, d, last_attempt=False).startswith("sent")
    assert deliver_with(rt, d, last_attempt=False).startswith("already sent")
    assert len(posts(sink)) == 1
    assert metric(rt, "duplicate") == 1


def test_a_delivery_in_progress_elsewhere_is_retried_not_doubled(rt, sink):
    d = delivery(rt)
    held = rt.redis.lock(rt.keys("alert", "sending", d.key), timeout=30)
    assert held.acquire(blocking=False)
    with pytest.raises(DeliveryBusy):
        deliver_with(rt, d, last_attempt=False)
    assert posts(sink) == []
    held.release()
    deliver_with(rt, d, last_attempt=False)
    assert len(posts(sink)) == 1


def delivery(rt: Runtime, url: str = "json://127.0.0.1:8089/hos") -> Delivery:
    rt.incidents.open(incident())
    return Delivery(key=alerts.digest(5, "incident.declared", "", fingerprint(url)), incident_id=5,
                    event="incident.declared", occurrence="", at="2025-01-08T10:30:00Z", url=url,
                    label="json://127.0.0.1…#x", roles=("head_of_support",), title="t", body="b",
                    notify_type="failure")


# -- failures -----------------------------------------------------------------------------------
def test_a_transient_failure_is_retried_and_then_delivered(rt, sink):
    sink.get(ORG_URL, json=org_json(None))
    sink.replace(responses.POST, _sink_pattern(), status=500, body="")
    sink.add(responses.POST, _sink_pattern(), body="")  # responses: registered order, last repeats
    inc = incident(category=None)
    rt.incidents.open(inc)
    alerts.notify(rt, inc, "sla.at_risk", NOW, occurrence="0")
    work(rt)
    assert [p for p, _ in posts(sink)] == ["/hos", "/hos"]
    assert (metric(rt, "retried"), metric(rt, "sent"), metric(rt, "failed")) == (1, 1, 0)
    assert "alert_failed" not in kinds(rt)


def test_a_permanent_failure_is_kept_logged_counted_and_on_the_timeline(rt, sink, caplog):
    caplog.set_level(logging.INFO)
    sink.get(ORG_URL, json=org_json(None))
    sink.replace(responses.POST, _sink_pattern(), status=500, body="")
    inc = incident(category=None)
    rt.incidents.open(inc)
    alerts.notify(rt, inc, "sla.at_risk", NOW, occurrence="0")
    work(rt)
    assert len(posts(sink)) == 3  # the first try and retry.max = 2 retries
    failed = FailedJobRegistry(rt.keys.queue(queues.ALERTS_STAGE), connection=rt.redis)
    assert len(failed.get_job_ids()) == 1
    assert (metric(rt, "failed"), metric(rt, "retried"), metric(rt, "sent")) == (1, 2, 0)
    entry = next(e for e in rt.incidents.timeline(5) if e["kind"] == "alert_failed")
    assert entry["roles"] == ["head_of_support"] and entry["event"] == "sla.at_risk"
    assert "/hos" not in entry["destination"]
    assert "gave up on alert sla.at_risk#0 incident 5 to head_of_support" in caplog.text
    assert "8089/hos" not in caplog.text  # the URL never reaches the log


def test_an_unusable_url_fails_at_once_without_retries(rt, sink):
    d = delivery(rt, url="nosuch://token@host")
    with pytest.raises(DeliveryFailed):
        deliver_with(rt, d, last_attempt=False)
    assert metric(rt, "failed") == 1
    assert "alert_failed" in kinds(rt)


# -- what is not sent ---------------------------------------------------------------------------
def test_roles_without_destinations_are_log_only(rt, sink, caplog):
    caplog.set_level(logging.INFO)
    sink.get(ORG_URL, json=org_json(None))
    inc = incident(category="data")
    rt.incidents.open(inc)
    alerts.notify(rt, inc, "sla.at_risk", NOW, occurrence="0")
    work(rt)
    assert [p for p, _ in posts(sink)] == ["/hos"]
    entry = next(e for e in rt.incidents.timeline(5) if e["kind"] == "alert_log_only")
    assert entry["roles"] == ["customer_operations", "product"]
    assert "no destination configured (log only)" in caplog.text
    assert metric(rt, "log_only") == 1


def test_sla_alerts_stop_once_the_incident_is_no_longer_open(rt, sink):
    inc = incident()
    rt.incidents.open(inc)
    rt.incidents.set_status(5, OVERRIDDEN, NOW)
    result = alerts.fan_out_with(rt, rt.incidents.get(5), "sla.breached", NOW, "0", {})
    assert result.startswith("skipped")
    assert alert_queue(rt).count == 0


def test_the_details_the_sla_clock_sends_are_used(rt, sink):
    sink.get(ORG_URL, json=org_json(None))
    inc = incident(category=None)
    rt.incidents.open(inc)
    alerts.notify(rt, inc, "sla.at_risk", NOW, occurrence="0",
                  details={"sla": "20 min left of 1 h", "sla_due_at": "2025-01-08T10:50:00Z", "sla_state": "at_risk",
                           "elapsed_seconds": 2400, "warning": 0})
    work(rt)
    (path, body), = posts(sink)
    assert path == "/hos"
    assert body["title"] == "SLA at risk: #5 Checkout is down (20 min left of 1 h)"
    assert body["type"] == "warning"


def test_details_with_datetimes_go_on_the_timeline_as_text(rt, sink):
    inc = incident()
    rt.incidents.open(inc)
    alerts.notify(rt, inc, "sla.at_risk", NOW, occurrence="1",
                  details={"due_at": NOW, "elapsed": timedelta(minutes=45), "obj": object()})
    entry = next(e for e in rt.incidents.timeline(5) if e["kind"] == "alert")
    assert entry["due_at"] == "2025-01-08T10:30:00Z" and entry["elapsed"] == 2700.0
    assert entry["occurrence"] == "1"


def test_the_sla_clock_supplies_the_due_time_when_details_do_not(rt, sink):
    from middleware.store.clocks import Clock, ClockStore, Transition

    sink.get(ORG_URL, json=org_json(None))
    inc = incident(category=None)
    rt.incidents.open(inc)
    clock = Clock(incident_id=5, ticket_id=5, category=None, started_at=NOW - timedelta(minutes=70),
                  from_start=True, recorded_at=NOW - timedelta(minutes=70), first_response=timedelta(hours=1),
                  warnings=(), reminder_every=timedelta(minutes=15))
    assert ClockStore(rt.redis, rt.keys).create(clock, Transition(seq=1, kind="started", state="pending",
                                                                  at="2025-01-08T09:20:00Z"), NOW)
    alerts.notify(rt, inc, "sla.breached", NOW, occurrence="0")
    work(rt)
    assert posts(sink)[0][1]["message"].endswith("SLA: 10m late (was due 2025-01-08 10:20 UTC)")


def test_the_shipped_config_sends_nothing_and_fails_nothing(make_rt, sink):
    rt = make_rt(path=Path(__file__).resolve().parents[3] / "config.yaml")
    sink.get(ORG_URL, json=org_json(None))
    inc = incident()
    rt.incidents.open(inc)
    alerts.notify(rt, inc, "incident.declared", NOW)
    work(rt)
    assert posts(sink) == []
    assert "alert_log_only" in kinds(rt)
