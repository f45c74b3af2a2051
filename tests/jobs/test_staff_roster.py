"""The staff roster against a real Redis and `responses` for Zendesk.

What matters to a user: a member of staff who reports a critical incident is recognised with
no Zendesk read at that moment (the roster cached them beforehand), a customer is still looked
up when the rules need to know who they are, the roster costs nothing when no rule reads the
requester, and a rate limit leaves it for the next run instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from rq import Queue

from jobs import pipeline, staff_roster
from jobs.runtime import Runtime
from middleware import worker
from middleware.store.connection import Keys
from middleware.store.queues import EVENTS_STAGE
from tests.jobs.test_triage import (
    BASE,
    STAFF_RULE,
    installed,
    make_event,
    make_runtime,
    make_ticket,
    put_ok,
    user_reads,
)

USERS = f"{BASE}/api/v2/users.json"
STAFF = [{"id": 11, "role": "agent", "email": "sam@acme.test", "name": "Sam"},
         {"id": 12, "role": "admin", "email": "ada@acme.test", "name": "Ada"}]


@pytest.fixture
def rt(tmp_path: Path, redis, key_prefix) -> Iterator[Runtime]:
    with installed(make_runtime(tmp_path, redis, key_prefix, STAFF_RULE)) as runtime_:
        yield runtime_


def staff_pages() -> None:
    """Two cursor pages, as Zendesk sends them for more than one page of staff."""
    responses.get(USERS, match=[responses.matchers.query_param_matcher(
        {"role[]": ["agent", "admin"], "page[size]": "100"})],
        json={"users": STAFF[:1], "meta": {"has_more": True, "after_cursor": "c1"},
              "links": {"next": f"{USERS}?role[]=agent&role[]=admin&page[size]=100&page[after]=c1"}})
    responses.get(USERS, match=[responses.matchers.query_param_matcher(
        {"role[]": ["agent", "admin"], "page[size]": "100", "page[after]": "c1"})],
        json={"users": STAFF[1:], "meta": {"has_more": False, "after_cursor": None}, "links": {"next": None}})


@responses.activate
def test_a_staff_report_after_the_roster_ran_costs_no_read(rt: Runtime) -> None:
    staff_pages()
    assert staff_roster.refresh() == "2 agents and admins cached"
    ticket = make_ticket(subject="P1: billing run failed", description="Critical for month end")  # requester 11
    put_ok(ticket, ["customer_tag", "critical_incident", "critical_staff_report"])
    assert pipeline.handle_event(make_event(ticket).to_dict()).startswith("flagged critical (staff_report")
    assert user_reads() == []
    assert [c.request.method for c in responses.calls] == ["GET", "GET", "PUT"]  # two roster pages, one write


@responses.activate
def test_a_customer_not_on_the_roster_is_still_looked_up(rt: Runtime) -> None:
    """Before the roster has run (or once it is stale), who wrote is read from Zendesk."""
    responses.get(f"{BASE}/api/v2/users/99.json",
                  json={"user": {"id": 99, "role": "end-user", "email": "ann@customer.test", "name": "Ann"}})
    ticket = make_ticket(subject="Critical question about invoices", description="Where is it?", requester_id=99)
    assert pipeline.handle_event(make_event(ticket).to_dict()) == "not critical"
    assert user_reads() == [f"{BASE}/api/v2/users/99.json"]


@responses.activate
def test_while_the_roster_is_fresh_a_customer_costs_no_read(rt: Runtime) -> None:
    """Is the requester staff? A fresh roster answers it: whoever it does not hold is a customer."""
    staff_pages()
    staff_roster.refresh()
    ticket = make_ticket(subject="Critical question about invoices", description="Where is it?", requester_id=99)
    assert pipeline.handle_event(make_event(ticket).to_dict()) == "not critical"
    assert user_reads() == []


@responses.activate
def test_no_rule_reads_the_requester_so_the_roster_reads_nothing(tmp_path: Path, redis, key_prefix) -> None:
    with installed(make_runtime(tmp_path, redis, key_prefix)):
        assert staff_roster.refresh() == "no rule reads the requester: nothing to do"
    assert len(responses.calls) == 0


@responses.activate
def test_a_rate_limit_leaves_the_roster_for_the_next_run(rt: Runtime) -> None:
    responses.get(USERS, status=429, headers={"Retry-After": "30"}, json={"error": "TooManyRequests"})
    assert staff_roster.refresh().startswith("rate limited")


def test_the_roster_runs_every_ten_minutes_ahead_of_queued_events(redis, key_prefix: str) -> None:
    roster = next(p for p in worker.periodic_jobs() if p.func == "jobs.staff_roster.refresh")
    assert roster.every_seconds == 600 and roster.stage == EVENTS_STAGE and roster.at_front
    keys = Keys(key_prefix)
    queue = Queue(keys.queue(EVENTS_STAGE), connection=redis)
    queue.enqueue("bench.probes.noop")
    worker.enqueue_periodic(redis, keys, [roster])
    assert queue.jobs[0].func_name == "jobs.staff_roster.refresh"
