"""Alerts stay in order: within one incident, across incidents, and at each destination.

Real Redis, real RQ (a SimpleWorker in burst mode), Apprise posting to `responses`, Zendesk's
organisation reads mocked too (tests/jobs/alerts/test_alerts.py's fixtures). What a person would notice:
the Head of Support hears of an incident declared earlier before one declared later; an
incident's "resolved" never reaches anyone before its "declared", even while the director's
half waits for the Zendesk budget; while Zendesk is down the Head of Support still hears at
once; a destination that refuses for a while gets its alerts in order once it is back; and a
line never stays stuck behind an alert whose job vanished.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses
from rq.job import Job

from jobs import alert_order
from jobs.alert_order import DIRECTOR, STATIC, Kick
from jobs.alerts import notify as alerts
from jobs.runtime import Runtime
from middleware.store.incidents import RESOLVED
from middleware.zendesk.errors import ZendeskUnavailable
from rules.model import Organization
from tests.jobs.alerts.test_alerts import (  # noqa: F401  (fixtures)
    BASE,
    NOW,
    ORG_URL,
    _sink_pattern,
    alert_queue,
    incident,
    make_rt,
    org_json,
    posts,
    rt,
    sink,
    work,
)

ORG_33 = f"{BASE}/api/v2/organizations/33.json"


def run_scheduled(rt: Runtime) -> None:  # noqa: F811
    """The budget has freed (or Zendesk is back): RQ's scheduler runs what waited, then the rest."""
    queue = alert_queue(rt)
    registry = queue.scheduled_job_registry
    for job_id in registry.get_job_ids():
        registry.remove(job_id)
        queue.enqueue_job(Job.fetch(job_id, connection=rt.redis))
    work(rt)


def titles(mock: responses.RequestsMock, path: str) -> list[str]:
    return [body["title"] for p, body in posts(mock) if p == path]


def test_resolved_never_overtakes_declared_while_the_director_waits_for_the_budget(rt, sink):  # noqa: F811
    """The declared fan-out's organisation read is refused (429) while the resolved one's is
    not: the resolved alert used to reach the director (and everyone) first."""
    sink.get(ORG_URL, status=429, headers={"Retry-After": "30"}, json={})
    sink.get(ORG_URL, json=org_json("json://127.0.0.1:8089/jane"))  # then the budget frees
    inc = incident()
    rt.incidents.open(inc)
    alerts.notify(rt, inc, "incident.declared", inc.declared_at)
    rt.incidents.set_status(5, RESOLVED, NOW)
    alerts.notify(rt, rt.incidents.get(5), "incident.resolved", NOW)
    work(rt)
    assert posts(sink) == []  # resolved waits behind declared, which waits for the budget
    run_scheduled(rt)
    for path in ("/hos", "/jane", "/cto"):
        assert titles(sink, path) == ["Critical incident declared: #5 Checkout is down",
                                      "Critical incident resolved: #5 Checkout is down"], path


def test_an_incident_declared_earlier_is_announced_first(rt, sink):  # noqa: F811
    """Incident 5's director lookup waits for the budget; incident 6, declared a minute later,
    needs no wait. The Head of Support and the CTO used to hear of 6 first."""
    sink.get(ORG_URL, status=429, headers={"Retry-After": "30"}, json={})
    sink.get(ORG_URL, json=org_json("json://127.0.0.1:8089/jane"))
    sink.get(ORG_33, json=org_json(None, 33, "Beta"))
    first = incident(category=None)
    second = incident(id=6, ticket_id=6, subject="Payments fail", organization_id=33, category=None,
                      declared_at=first.declared_at + timedelta(minutes=1))
    for inc in (first, second):
        rt.incidents.open(inc)
    alerts.notify(rt, first, "incident.declared", first.declared_at)
    alerts.notify(rt, second, "incident.declared", second.declared_at)
    work(rt)
    run_scheduled(rt)
    for path in ("/hos", "/cto"):
        assert titles(sink, path) == ["Critical incident declared: #5 Checkout is down",
                                      "Critical incident declared: #6 Payments fail"], path
    assert titles(sink, "/jane") == ["Critical incident declared: #5 Checkout is down"]
    assert titles(sink, "/ed-33") == ["Critical incident declared: #6 Payments fail"]
    assert alert_queue(rt).failed_job_registry.count == 0


def test_while_zendesk_is_down_support_hears_at_once_and_only_the_director_waits(rt, sink, monkeypatch):  # noqa: F811
    """The director's address needs Zendesk; the Head of Support's does not. An outage used to
    hold the whole alert, and now holding the line would hold every alert behind it."""
    down = True

    def organization(org_id: int) -> Organization:
        if down:
            raise ZendeskUnavailable(30)
        return Organization(id=org_id, name="Acme Corp", tags=(),
                            fields={"engagement_director": "json://127.0.0.1:8089/jane"})

    monkeypatch.setattr(rt.zendesk, "get_organization", organization)
    first = incident(category=None)
    other = incident(id=6, ticket_id=6, subject="Payments fail", organization_id=None, category=None)
    for inc in (first, other):
        rt.incidents.open(inc)
    alerts.notify(rt, first, "incident.declared", first.declared_at)
    alerts.notify(rt, other, "sla.breached", NOW, occurrence="0")  # later, about another incident
    work(rt)
    assert titles(sink, "/hos") == ["Critical incident declared: #5 Checkout is down",
                                    "SLA breached: #6 Payments fail"]
    assert "Organisation: organisation 22" in next(b for p, b in posts(sink) if p == "/hos")["message"]
    assert titles(sink, "/jane") == [] and titles(sink, "/ed-default") == []  # waits: no fallback
    down = False
    run_scheduled(rt)
    assert titles(sink, "/jane") == ["Critical incident declared: #5 Checkout is down"]
    assert len(titles(sink, "/hos")) == 2  # nobody told twice


def test_a_destination_that_refused_gets_its_alerts_in_order_once_it_is_back(rt, sink):  # noqa: F811
    """The first alert to the Head of Support is refused (500) and retried; the second used to
    go out meanwhile and arrive first."""
    sink.replace(responses.POST, _sink_pattern(), status=500, body="")
    sink.add(responses.POST, _sink_pattern(), body="")  # responses: registered order, last repeats
    inc = incident(category=None)
    rt.incidents.open(inc)
    alerts.notify(rt, inc, "sla.at_risk", NOW, occurrence="0")
    alerts.notify(rt, inc, "sla.at_risk", NOW + timedelta(minutes=5), occurrence="1")
    work(rt)
    sent = [p for p, _ in posts(sink)]
    assert sent == ["/hos", "/hos", "/hos"]  # refused, then the first, then the second
    assert alert_queue(rt).failed_job_registry.count == 0
    timeline = [e for e in rt.incidents.timeline(5) if e["kind"] == "alert_sent"]
    assert [e["occurrence"] for e in timeline] == ["0", "1"]


def test_alerts_queued_before_alerts_were_ordered_still_go_out(rt, sink):  # noqa: F811
    """A fan-out queued by the previous version (no place in a line) runs whole, at once."""
    sink.get(ORG_URL, json=org_json("json://127.0.0.1:8089/jane"))
    inc = incident(category=None)
    rt.incidents.open(inc)
    alert_queue(rt).enqueue("jobs.alerts.notify.fan_out",
                            args=(inc.to_redis(), "incident.declared", "2025-01-08T10:12:00Z", "", {}))
    work(rt)
    assert sorted(p for p, _ in posts(sink)) == ["/cto", "/hos", "/jane"]


# -- the lines themselves --------------------------------------------------------------------
def kick_of(rt: Runtime, name: str) -> Kick:  # noqa: F811
    return Kick("time.sleep", [0], "alerts", rt.keys.job_id("test", name), f"test {name}")


def test_a_head_whose_job_vanished_is_started_again_then_dropped_so_the_line_moves_on(rt):  # noqa: F811
    lane = alert_order.dest_lane("abc")
    assert alert_order.join(rt, lane, "first", 1.0, kick_of(rt, "first"))  # its job never queued
    assert alert_order.join(rt, lane, "second", 2.0, kick_of(rt, "second"))
    assert not alert_order.join(rt, lane, "second", 2.0, kick_of(rt, "second"))  # once
    assert alert_order.turn(rt, lane, "second") == alert_order.WAIT  # parked behind "first"
    assert alert_order.turn(rt, lane, "first") == alert_order.GO
    later = 10**10  # far past every lease
    for n in range(1, alert_order.MAX_KICKS + 1):
        assert alert_order.sweep_with(rt, now=later) == {"restarted": 1}
        (job,) = [j for j in alert_queue(rt).jobs if j.id.endswith(f"first-dest-k{n}")]
        job.delete()  # ... and vanishes again
    assert alert_order.sweep_with(rt, now=later) == {"dropped": 1}
    assert alert_order.turn(rt, lane, "first") == alert_order.GONE
    assert [j.id for j in alert_queue(rt).jobs] == [rt.keys.job_id("test", "second") + "-dest-k1"]  # its turn


def test_a_head_still_queued_is_left_alone(rt):  # noqa: F811
    lane = alert_order.dest_lane("def")
    kick = kick_of(rt, "queued")
    alert_order.join(rt, lane, "queued", 1.0, kick)
    alert_queue(rt).enqueue("time.sleep", 0, job_id=kick.job_id)
    assert alert_order.sweep_with(rt, now=10**10) == {"alive": 1}
    assert alert_order.turn(rt, lane, "queued") == alert_order.GO


def test_leaving_starts_the_next_parked_alert_once(rt):  # noqa: F811
    lane = STATIC
    for n, name in enumerate(("a", "b", "c")):
        alert_order.join(rt, lane, name, float(n), kick_of(rt, name))
    assert [alert_order.turn(rt, lane, m) for m in ("c", "b", "a")] == ["wait", "wait", "go"]
    alert_order.leave(rt, lane, "a")
    assert [j.id for j in alert_queue(rt).jobs] == [rt.keys.job_id("test", "b") + "-static-k1"]
    alert_order.leave(rt, lane, "a")  # twice: nothing more
    assert len(alert_queue(rt).jobs) == 1
    assert alert_order.turn(rt, DIRECTOR, "a") == alert_order.GONE  # another line: not in it


def test_an_alert_parked_in_both_lines_is_started_again_by_each(rt):  # noqa: F811
    """Two incidents declared at once: the second's fan-out waits in both lines. The static
    line lets it go first; its job runs that half and parks again behind the first director's
    half. When that one leaves, the second's director half must start too. It used to be
    queued under the id the static line had already used, refused as a duplicate, and so
    waited for the five-minute sweep (the end-to-end alerts test saw directors told late)."""
    for lane in (STATIC, DIRECTOR):
        for n, name in enumerate(("first", "second")):
            alert_order.join(rt, lane, name, float(n), kick_of(rt, name))
        assert [alert_order.turn(rt, lane, m) for m in ("second", "first")] == ["wait", "go"]
    alert_order.leave(rt, STATIC, "first")
    work(rt)  # the second's job: its static half goes, its director half parks again
    assert alert_order.turn(rt, STATIC, "second") == alert_order.GO
    alert_order.leave(rt, STATIC, "second")
    assert alert_order.turn(rt, DIRECTOR, "second") == alert_order.WAIT
    alert_order.leave(rt, DIRECTOR, "first")
    assert len(alert_queue(rt).jobs) == 1, "the director half was not started again"


@pytest.mark.parametrize("event", ["incident.declared", "sla.at_risk"])
def test_an_alert_stands_in_the_lines_its_roles_need(rt, event):  # noqa: F811
    roles = alerts.roles_for(rt.config.alerting, None, event)
    expected = [STATIC, DIRECTOR] if "engagement_director" in roles else [STATIC]
    assert alerts.lanes_of(roles) == expected
