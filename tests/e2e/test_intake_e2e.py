"""End to end: monitoring alerts, staff reports, many customers at once and missed webhooks,
through gunicorn, an RQ worker, Redis and the Zendesk simulator, as real processes over HTTP.

Alerts to people go to a local JSON sink (Apprise ``json://``), so "one set of alerts" is
counted on what actually arrived. Every wait polls with a deadline; nothing sleeps blindly.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from middleware.local.simulator import SimulatorControl
from middleware.local.stack import ROOT, Stack, running_stack
from middleware.store.connection import Keys
from middleware.store.incidents import IncidentStore
from middleware.store.queues import ALERTS_STAGE
from tests.e2e.support import Sink, flush_db, wait_until, write_config

pytestmark = pytest.mark.e2e

REDIS_DB = 14
TOKEN = "e2e-intake-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ROLES = ("head_of_support", "cto", "engineering", "product", "customer_operations")
_DECLARED = re.compile(r"^Critical incident declared: #(\d+)")


def declared_paths(sink: Sink, ticket_id: int) -> list[str]:
    """Paths that received 'incident declared' for ``ticket_id``."""
    return [path for path, body in sink.received()
            if (m := _DECLARED.match(body.get("title", ""))) and int(m.group(1)) == ticket_id]


def declared_for_any(sink: Sink, ticket_ids: set[int]) -> list[tuple[int, str]]:
    """(ticket id, path) of every 'incident declared' alert for one of ``ticket_ids``."""
    return [(int(m.group(1)), path) for path, body in sink.received()
            if (m := _DECLARED.match(body.get("title", ""))) and int(m.group(1)) in ticket_ids]


def alerts_idle(redis: Redis) -> bool:
    """No alert fan-out or delivery queued, running or waiting for a retry."""
    queue = Queue(Keys("cim").queue(ALERTS_STAGE), connection=redis)  # the shipped config's prefix
    return (queue.count == 0 and StartedJobRegistry(queue=queue).count == 0
            and ScheduledJobRegistry(queue=queue).count == 0)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, sink: Sink) -> Iterator[Stack]:
    flush_db(REDIS_DB)
    # The shipped config (rules, topics) with alerts into the sink and no catch-up grace.
    config = write_config(
        tmp_path_factory.mktemp("config"),
        roles={**{role: [sink.url(role)] for role in ROLES},
               "engagement_director": {"organization_field": "engagement_director", "by_organization": {},
                                       "default": [sink.url("engagement_director")]}},
        merge={"alerts": {"retry": {"max": 3, "intervals": ["1s"]}}, "reconcile": {"grace": "0s"}})
    with running_stack(config_path=str(config), redis_db=REDIS_DB, log_dir=tmp_path_factory.mktemp("logs"),
                       extra_env={"INTAKE_TOKEN": TOKEN}) as running:
        yield running


def tagged(sim: SimulatorControl, tag: str) -> list[dict[str, Any]]:
    return [t for t in sim.tickets() if tag in t["tags"]]


def alertmanager(fingerprint: str, status: str = "firing") -> dict[str, Any]:
    alert = {"status": status, "labels": {"alertname": "CheckoutErrors", "severity": "critical", "service": "checkout"},
             "annotations": {"summary": "Checkout error rate above 5%", "description": "5xx on /checkout for 10m"},
             "startsAt": "2025-03-01T09:00:00Z", "endsAt": "2025-03-01T09:30:00Z" if status == "resolved"
             else "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus.local/graph", "fingerprint": fingerprint}
    return {"version": "4", "groupKey": "{}:{alertname=\"CheckoutErrors\"}", "truncatedAlerts": 0, "status": status,
            "receiver": "critical-incidents", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager.local", "alerts": [alert]}


def test_an_alertmanager_alert_opens_one_flagged_ticket_and_its_resolution_is_noted(
        stack: Stack, sim: SimulatorControl, sink: Sink) -> None:
    fingerprint = uuid.uuid4().hex[:16]
    sent = requests.post(f"{stack.web_url}/intake/alerts", json=alertmanager(fingerprint), headers=AUTH, timeout=10)
    assert sent.status_code == 202, sent.text
    (ticket,) = wait_until(lambda: [t for t in tagged(sim, "critical_monitoring")
                                    if fingerprint in t["description"]], what="the alert's ticket")
    assert {"critical_incident", "monitoring_alert"} <= set(ticket["tags"]) and ticket["priority"] == "urgent"
    wait_until(lambda: "/head_of_support" in declared_paths(sink, ticket["id"]), what="the declared alert")

    again = requests.post(f"{stack.web_url}/intake/alerts", json=alertmanager(fingerprint), headers=AUTH, timeout=10)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"

    done = requests.post(f"{stack.web_url}/intake/alerts", json=alertmanager(fingerprint, "resolved"), headers=AUTH,
                         timeout=10)
    assert done.status_code == 202, done.text
    wait_until(lambda: any("resolved" in c["body"] and not c["public"]
                           for c in sim.get_ticket(ticket["id"])["comments"]), what="the resolution note")
    assert len([t for t in sim.tickets() if fingerprint in t["description"]]) == 1  # never a second ticket


def test_the_intake_refuses_a_wrong_token(stack: Stack) -> None:
    refused = requests.post(f"{stack.web_url}/intake/alerts", json=alertmanager("x"),
                            headers={"Authorization": "Bearer nope"}, timeout=10)
    assert refused.status_code == 401


def test_a_staff_report_becomes_a_flagged_ticket(stack: Stack, sim: SimulatorControl) -> None:
    summary = f"Invoices missing for several customers {uuid.uuid4().hex[:6]}"
    sent = requests.post(f"{stack.web_url}/intake/reports", headers=AUTH, timeout=10, json={
        "reporter_email": "sam@ourco.example", "reporter_name": "Sam", "summary": summary,
        "description": "Since this morning's release no invoice PDFs are generated.", "organizations": [],
        "category": "outage"})
    assert sent.status_code == 202, sent.text
    (ticket,) = wait_until(lambda: [t for t in tagged(sim, "critical_staff_report") if t["subject"] == summary],
                           what="the report's ticket")
    assert {"critical_incident", "critical_outage"} <= set(ticket["tags"]) and ticket["priority"] == "urgent"


def test_three_organisations_reporting_the_same_problem_make_one_problem_ticket(
        stack: Stack, sim: SimulatorControl, sink: Sink) -> None:
    orgs = [sim.create_organization(f"Shop {n} {uuid.uuid4().hex[:4]}")["id"] for n in range(3)]
    reports = [sim.customer_ticket("Orders not syncing", f"Since 9am our orders are not syncing to the ERP ({n}).",
                                   f"ops{n}@shop{n}.example", organization_id=org)["id"]
               for n, org in enumerate(orgs)]

    def linked() -> list[dict[str, Any]]:
        current = {t["id"]: t for t in sim.tickets()}
        return [current[r] for r in reports if current[r]["type"] == "incident" and current[r]["problem_id"]]

    wait_until(lambda: len(linked()) == 3, timeout=45, what="three linked incident tickets")
    problem_ids = {t["problem_id"] for t in linked()}
    assert len(problem_ids) == 1
    problem_id = problem_ids.pop()
    problem = sim.get_ticket(problem_id)["ticket"]
    assert problem["type"] == "problem" and "critical_multi_customer" in problem["tags"]

    wait_until(lambda: {"/head_of_support", "/cto", "/engineering"} <= set(declared_paths(sink, problem_id)),
               what="the multi-customer incident's alerts")
    redis = Redis.from_url(stack.redis_url)
    wait_until(lambda: alerts_idle(redis), what="every alert job to finish")  # so a duplicate would be here
    incidents = IncidentStore(redis, Keys("cim"))
    assert all(incidents.get(r) is None for r in reports)  # no incident (so no alerts) per customer ticket
    declared = declared_for_any(sink, {problem_id, *reports})
    assert all(ticket == problem_id for ticket, _ in declared), declared  # no alert per customer ticket
    paths = [path for _, path in declared]
    assert len(paths) == len(set(paths)), paths  # each role once: one set of alerts


def test_tickets_created_while_webhooks_were_lost_are_flagged_by_reconcile(
        stack: Stack, sim: SimulatorControl) -> None:
    sim.pause_webhooks()  # Zendesk's circuit breaker is open: these events are never delivered
    missed = sim.customer_ticket("Our whole platform is down", "Nobody in the company can log in, every request "
                                 "fails with a 502.", "cto@initech.example")
    dropped = sim.deliveries(state="dropped")["deliveries"]
    assert any(d["subject"] == f"zen:ticket:{missed['id']}" for d in dropped)
    assert not any(d["subject"] == f"zen:ticket:{missed['id']}" and d["state"] != "dropped"
                   for d in sim.deliveries()["deliveries"])
    sim.resume_webhooks()
    assert "critical_incident" not in sim.get_ticket(missed["id"])["ticket"]["tags"]

    run = subprocess.run([sys.executable, "-m", "middleware", "reconcile", "--since", "1h"], cwd=ROOT,
                         env=stack.env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "queued" in run.stdout
    wait_until(lambda: "critical_incident" in sim.get_ticket(missed["id"])["ticket"]["tags"],
               what="reconcile to flag the missed ticket")

    again = subprocess.run([sys.executable, "-m", "middleware", "reconcile", "--since", "1h"], cwd=ROOT,
                           env=stack.env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    notes = [c for c in sim.get_ticket(missed["id"])["comments"] if not c["public"]]
    assert sum("Flagged as a critical incident" in c["body"] for c in notes) == 1
