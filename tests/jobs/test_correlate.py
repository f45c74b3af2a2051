"""Many customers, one problem: the correlation job against a real Redis, with the Zendesk
simulator (real HTTP) or, for races, an in-memory Zendesk that is slow on purpose.

What matters to a user: reports from enough organisations within the window open ONE problem
ticket, every matching ticket is linked to it as an incident (bulk, 100 per call), ONE incident
is declared (one SLA clock from the first report, one set of alerts), and two workers at the
same instant never open two problem tickets.
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobs import correlate, pipeline
from jobs.runtime import Runtime
from middleware.store.clocks import ClockStore
from middleware.store.incidents import RESOLVED
from middleware.zendesk.errors import RateLimited
from middleware.zendesk.mapping import ticket_from_api
from rules.model import Ticket, TicketEvent
from tests.intake_support import make_runtime, simulated, tickets, write_config

TOPICS = {"window": "30m", "threshold": 2, "topics": [
    {"name": "orders-not-syncing", "subject": "Orders not syncing for several customers",
     "phrases": ["orders not syncing", "orders are not syncing"]}]}


@pytest.fixture(autouse=True)
def _routed():
    """Correlation says what it declared and linked; the pipeline routes it, as in a worker."""
    with pipeline.routed():
        yield


def event_for(ticket: Ticket, n: int = 0) -> TicketEvent:
    return TicketEvent(id=f"evt-{ticket.id}-{n}", type="created", ticket=ticket, time=ticket.created_at,
                       actor_id=ticket.requester_id)


def report(control: Any, org_id: int | None, n: int, text: str = "Our orders are not syncing since 9am") -> Ticket:
    raw = control.customer_ticket(f"Problem {n}", text, f"user{n}@customer{org_id or 'none'}.example",
                                  organization_id=org_id)
    return ticket_from_api(raw)


def alerts_declared(rt: Runtime, incident_id: int) -> int:
    return sum(1 for e in rt.incidents.timeline(incident_id) if e["kind"] == "alert"
               and e.get("event") == "incident.declared")


@pytest.fixture
def sim(tmp_path: Path, redis, key_prefix):
    with simulated(tmp_path, redis, key_prefix, correlation=TOPICS) as running:
        yield running


def test_three_organisations_make_one_problem_with_three_linked_incidents(sim) -> None:
    rt, control, _ = sim
    orgs = [control.create_organization(name)["id"] for name in ("Acme", "Beta", "Gamma")]
    first = report(control, orgs[0], 1)
    pipeline.handle_event(event_for(first).to_dict())  # through triage: the declared path's hook
    assert [t["type"] for t in tickets(control)] == [None]  # one organisation: nothing yet

    second = report(control, orgs[1], 2)
    pipeline.handle_event(event_for(second).to_dict())
    third = report(control, orgs[2], 3)
    pipeline.handle_event(event_for(third).to_dict())

    all_tickets = {t["id"]: t for t in tickets(control)}
    problems = [t for t in all_tickets.values() if t["type"] == "problem"]
    assert len(problems) == 1
    problem = problems[0]
    assert {"critical_incident", "critical_multi_customer"} <= set(problem["tags"])
    assert problem["priority"] == "urgent"
    for t in (first, second, third):
        linked = all_tickets[t.id]
        assert linked["type"] == "incident" and linked["problem_id"] == problem["id"]
        assert "critical_multi_customer" in linked["tags"]
        assert rt.incidents.get(t.id) is None  # no incident of their own: one for all
    incident = rt.incidents.get(problem["id"])
    assert incident is not None and incident.category == "multi_customer"
    assert incident.extra["organization_ids"] == sorted(orgs)
    clock = ClockStore(rt.redis, rt.keys).get(problem["id"])
    assert clock is not None and clock.started_at == first.created_at  # the first report starts the promise
    assert alerts_declared(rt, problem["id"]) == 1
    kinds = [e["kind"] for e in rt.incidents.timeline(problem["id"])]
    assert kinds.count("linked") == 3


def test_one_organisation_reporting_twice_is_not_many_customers(sim) -> None:
    rt, control, _ = sim
    org = control.create_organization("Acme")["id"]
    for n in range(3):
        correlate.after_event(rt, event_for(report(control, org, n)))
    assert all(t["type"] is None for t in tickets(control))


def test_unrelated_tickets_are_not_correlated(sim) -> None:
    rt, control, _ = sim
    orgs = [control.create_organization(name)["id"] for name in ("Acme", "Beta")]
    for n, org in enumerate(orgs):
        correlate.after_event(rt, event_for(report(control, org, n, text="How do I export invoices?")))
    assert all(t["type"] is None for t in tickets(control))


def test_reports_further_apart_than_the_window_do_not_count_together(tmp_path: Path, redis, key_prefix) -> None:
    now = [datetime(2025, 3, 1, 9, 0, tzinfo=UTC)]
    with simulated(tmp_path, redis, key_prefix, clock=lambda: now[0], correlation=TOPICS) as (rt, control, _):
        topic = rt.config.correlation.topics["orders-not-syncing"]
        early = Ticket(id=1, subject="orders not syncing", organization_id=1, created_at=now[0])
        assert correlate.correlate(rt, topic, event_for(early)).startswith("reported (1 of 2")
        now[0] += timedelta(minutes=31)
        late = Ticket(id=2, subject="orders not syncing", organization_id=2, created_at=now[0])
        assert correlate.correlate(rt, topic, event_for(late)).startswith("reported (1 of 2")
        assert tickets(control) == []


def test_many_tickets_are_linked_100_per_bulk_call(tmp_path, redis, key_prefix) -> None:
    # High Volume: 300 ticket updates a minute, so both bulk calls fit in one minute's budget.
    with simulated(tmp_path, redis, key_prefix, correlation=TOPICS,
                   zendesk={"plan": "enterprise", "high_volume": True}) as (rt, control, _):
        _link_150(rt, control)


def test_a_bulk_link_past_the_minutes_ticket_updates_waits_and_sends_only_the_rest(sim, redis) -> None:
    # 100 ticket updates a minute (every plan without High Volume), of which links (background
    # work) may spend 75, the rest being kept for new critical tickets' flags: the first bulk
    # call of 75 spends that share, the second is put off rather than drawing Zendesk's 429,
    # and the first 75 links stay recorded, so the job's next run sends only the other 75.
    rt, control, _ = sim
    control.endpoint_limits({})  # the simulator enforces Zendesk's figures: 429 past them
    orgless = [report(control, None, n) for n in range(148)]
    for ticket in orgless:
        correlate.after_event(rt, event_for(ticket))
    orgs = [control.create_organization(name)["id"] for name in ("Acme", "Beta")]
    correlate.after_event(rt, event_for(report(control, orgs[0], 1000)))
    control.clear_requests()
    last = report(control, orgs[1], 1001)
    with pytest.raises(RateLimited):
        correlate.after_event(rt, event_for(last))
    assert sum(1 for t in tickets(control) if t["type"] == "incident") == 75
    assert all(r["status"] != 429 for r in control.requests_log()["requests"])
    rt.zendesk.safe_update(last.id, None, note="a flag still finds its share of the minute")
    for key in redis.scan_iter("*:zendesk:budget:*"):  # a minute later: the windows have freed
        redis.delete(key)
    control.clear_requests()
    control.endpoint_limits({})  # its windows free too
    correlate.after_event(rt, event_for(last))
    bulk = [r for r in control.requests_log()["requests"] if r["path"] == "/api/v2/tickets/update_many.json"]
    assert len(bulk) == 1
    assert sum(1 for t in tickets(control) if t["type"] == "incident") == 150


def _link_150(rt, control) -> None:  # type: ignore[no-untyped-def]
    orgless = [report(control, None, n) for n in range(148)]  # reported, but count for no organisation
    for ticket in orgless:
        correlate.after_event(rt, event_for(ticket))
    orgs = [control.create_organization(name)["id"] for name in ("Acme", "Beta")]
    control.clear_requests()
    correlate.after_event(rt, event_for(report(control, orgs[0], 1000)))
    correlate.after_event(rt, event_for(report(control, orgs[1], 1001)))
    bulk = [r for r in control.requests_log()["requests"] if r["path"] == "/api/v2/tickets/update_many.json"]
    assert len(bulk) == 2  # 150 tickets: 100 + 50
    linked = [t for t in tickets(control) if t["type"] == "incident"]
    assert len(linked) == 150
    assert len({t["problem_id"] for t in linked}) == 1


def test_a_resolved_problem_ends_the_episode(sim) -> None:
    rt, control, _ = sim
    orgs = [control.create_organization(name)["id"] for name in ("Acme", "Beta")]
    for n, org in enumerate(orgs):
        correlate.after_event(rt, event_for(report(control, org, n)))
    (first_problem,) = [t for t in tickets(control) if t["type"] == "problem"]
    rt.incidents.set_status(first_problem["id"], RESOLVED, rt.clock())
    for n, org in enumerate(orgs, start=10):
        correlate.after_event(rt, event_for(report(control, org, n)))
    problems = [t for t in tickets(control) if t["type"] == "problem"]
    assert len(problems) == 2
    assert problems[0]["external_id"] != problems[1]["external_id"]


# -- races and slow bulk jobs: an in-memory Zendesk ----------------------------------------------
class SlowZendesk:
    """Just what correlation calls, thread-safe, with a slow create to widen every race window."""

    bulk_limit = 100

    def __init__(self, job_status: str = "completed") -> None:
        self.lock = threading.Lock()
        self.created: list[dict[str, Any]] = []
        self.bulk_calls: list[list[dict[str, Any]]] = []
        self.status = job_status
        self.ids = itertools.count(9000)

    def tickets_by_external_id(self, external_id: str) -> list[Ticket]:
        with self.lock:
            return [self._ticket(c) for c in self.created if c["external_id"] == external_id]

    def create_ticket(self, payload: dict[str, Any]) -> Ticket:
        time.sleep(0.2)
        with self.lock:
            self.created.append({**payload, "id": next(self.ids)})
            return self._ticket(self.created[-1])

    def update_many(self, updates: list[dict[str, Any]]) -> str:
        with self.lock:
            self.bulk_calls.append(updates)
            return f"job{len(self.bulk_calls)}"

    def job_status(self, job_id: str) -> dict[str, Any]:
        with self.lock:
            updates = self.bulk_calls[int(job_id[3:]) - 1]
        results = [{"id": u["id"], "success": True, "status": "Updated"} for u in updates]
        return {"id": job_id, "status": self.status, "results": results if self.status == "completed" else None}

    def linked(self) -> set[int]:
        return {u["id"] for call in self.bulk_calls for u in call}

    @staticmethod
    def _ticket(data: dict[str, Any]) -> Ticket:
        now = datetime.now(UTC)
        return Ticket(id=data["id"], subject=data["subject"], type=data.get("type"), created_at=now, updated_at=now)


@pytest.fixture
def slow_rt(tmp_path: Path, redis, key_prefix) -> Runtime:
    rt = make_runtime(write_config(tmp_path, key_prefix, correlation=TOPICS), redis, "http://127.0.0.1:9")
    rt.zendesk = SlowZendesk()  # type: ignore[assignment]
    return rt


def test_simultaneous_reports_on_two_workers_open_one_problem_ticket(slow_rt: Runtime) -> None:
    rt = slow_rt
    topic = rt.config.correlation.topics["orders-not-syncing"]
    now = datetime.now(UTC)
    reports = [Ticket(id=100 + n, subject="orders not syncing", organization_id=n, created_at=now) for n in range(6)]
    barrier = threading.Barrier(len(reports))
    errors: list[BaseException] = []

    def worker(ticket: Ticket) -> None:
        barrier.wait()
        try:
            with pipeline.routed():  # a thread starts with a context of its own
                correlate.correlate(rt, topic, event_for(ticket))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in reports]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    fake: SlowZendesk = rt.zendesk  # type: ignore[assignment]
    assert len(fake.created) == 1
    problem_id = fake.created[0]["id"]
    assert fake.linked() == {t.id for t in reports}  # every report linked, whoever created the problem
    assert all(u["problem_id"] == problem_id and u["type"] == "incident" for c in fake.bulk_calls for u in c)
    incident = rt.incidents.get(problem_id)
    assert incident is not None and alerts_declared(rt, problem_id) == 1


def test_an_unconfirmed_bulk_job_is_retried_until_zendesk_confirms(slow_rt: Runtime, monkeypatch) -> None:
    rt = slow_rt
    fake: SlowZendesk = rt.zendesk  # type: ignore[assignment]
    fake.status = "working"
    monkeypatch.setattr(correlate, "JOB_WAIT_SECONDS", 0.3)
    topic = rt.config.correlation.topics["orders-not-syncing"]
    now = datetime.now(UTC)
    first, second = (Ticket(id=n, subject="orders not syncing", organization_id=n, created_at=now) for n in (1, 2))
    correlate.correlate(rt, topic, event_for(first))
    with pytest.raises(correlate.LinkPending):
        correlate.correlate(rt, topic, event_for(second))
    fake.status = "completed"
    outcome = correlate.correlate(rt, topic, event_for(second))  # RQ's retry of the same event
    assert "linked 2" in outcome
    assert len(fake.created) == 1
    assert correlate.correlate(rt, topic, event_for(second, 1)).endswith("nothing left to link")
