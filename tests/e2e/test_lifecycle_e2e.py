"""End to end: after the declaration, on real processes (gunicorn, an RQ worker with the
scheduler, Redis, the Zendesk simulator over HTTP; Apprise into a local JSON sink).

* a declared ticket's requester gets the "handled as critical" message once, and it does not
  stop the SLA clock;
* solving a problem ticket tells every linked requester once, whether Zendesk copied the
  problem's public reply (then we say nothing) or not (then we tell each of them);
* the review task appears, assigned to the Head of Customer Support, due five days after the
  resolution, with the timeline;
* an action created with the CLI and past its due date reminds the Head of Customer Support, once;
* the report shows the right numbers for a known set of incidents, on the CLI and on the
  ``report`` route.

Everything is polled with deadlines; nothing sleeps a fixed time to "let things settle".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from middleware.local.stack import Stack, running_stack
from middleware.store import queues
from rules.model import parse_time
from tests.e2e import support
from tests.e2e.support import Sink, flush_db, wait_until, write_config
from tests.lifecycle_support import OUTAGE

pytestmark = pytest.mark.e2e

REDIS_DB = 15
PREFIX = "cime2e"
HEAD = "head@acme-support.test"
AGENT = "agent@acme-support.test"
DECLARED = "as a critical incident"
RESOLVED = "has been resolved"


def lifecycle_config(tmp_path: Path, sink: Sink) -> Path:
    """The shipped config on this suite's key prefix, alerts to the head of support and the CTO
    in the sink, review tasks for the head of support."""
    return write_config(tmp_path, redis={"prefix": PREFIX},
                        roles={"head_of_support": [sink.url("head_of_support")], "cto": [sink.url("cto")]},
                        merge={"alerts": {"retry": {"max": 3, "intervals": ["1s"]}},
                               "review": {"assignee_email": HEAD}})


class Window:
    """The real moments just before and after the test does something (``with window:``)."""

    def __enter__(self) -> Window:
        self.start = datetime.now(UTC)
        return self

    def __exit__(self, *exc: object) -> None:
        self.end = datetime.now(UTC)

    def contains(self, moment: datetime, slack: timedelta = timedelta(seconds=1)) -> bool:
        return self.start - slack <= moment <= self.end + slack


class World(support.World):
    """The people of the lifecycle story: the Head of Support and an agent."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(stack, PREFIX)
        self.head = int(self.sim.create_user("Helen Head", HEAD, role="agent")["id"])
        self.agent = int(self.sim.create_user("Agent Smith", AGENT, role="agent")["id"])

    def ours(self, tid: int, text: str) -> list[dict[str, Any]]:
        """Public comments carrying one of the product's customer messages."""
        return [c for c in self.ticket(tid)["comments"] if c["public"] and text in c["body"]]

    def declared(self, subject: str, body: str, email: str, **extra: Any) -> int:
        tid = int(self.sim.customer_ticket(subject, body, email, **extra)["id"])
        wait_until(lambda: self.incidents.get(tid), 30, f"ticket {tid} to be declared critical")
        return tid

    def outcome(self, kind: str, tid: int) -> dict[str, Any] | None:
        raw = self.redis.get(self.keys("lifecycle", "done", kind, tid))
        return json.loads(raw) if raw else None

    def run_job(self, func: str) -> None:
        """Queue a periodic job now (the worker's ticker would, within its period)."""
        queues.queue(queues.LIFECYCLE_STAGE, self.redis, self.keys).enqueue(func)


@pytest.fixture(scope="class")
def world(tmp_path_factory: pytest.TempPathFactory, sink: Sink) -> Iterator[World]:
    flush_db(REDIS_DB)
    tmp = tmp_path_factory.mktemp("lifecycle")
    config = lifecycle_config(tmp, sink)
    with running_stack(config_path=str(config), redis_db=REDIS_DB, log_dir=tmp / "logs") as stack:
        world = World(stack)
        yield world
        world.sim.close()


def linked_to(world: World, problem: int, emails: tuple[str, ...]) -> list[int]:
    """Customer tickets an agent links to the problem ticket in Zendesk."""
    linked = []
    for email in emails:
        t = int(world.sim.customer_ticket("Question about our orders", "The order list looks odd today.", email)["id"])
        world.sim.update(t, author_id=world.agent, type="incident", problem_id=problem)
        linked.append(t)
    return linked


class TestAfterTheDeclaration:
    """One stack: customers told, problems solved, review task, action reminder."""

    def test_the_declared_tickets_requester_gets_the_message_once(self, world: World) -> None:
        tid = world.declared(*OUTAGE, "ops@acme.test")
        wait_until(lambda: world.ours(tid, DECLARED), 30, "the customer message")
        world.idle()
        assert len(world.ours(tid, DECLARED)) == 1
        tags = world.ticket(tid)["ticket"]["tags"]
        assert "critical_sla_pending" in tags and "critical_sla_met" not in tags  # not a first response
        comment_id = world.ours(tid, DECLARED)[0]["id"]
        assert world.redis.sismember(world.keys("sent_comments", tid), str(comment_id))

    def test_solving_a_problem_tells_every_linked_requester_once(self, world: World) -> None:
        problem = world.declared(*OUTAGE, AGENT, type="problem")
        linked = linked_to(world, problem, ("a@one.test", "b@two.test", "c@three.test"))
        assert all(world.incidents.get(t) is None for t in linked)  # not critical on their own
        wait_until(lambda: all(world.ours(t, DECLARED) for t in linked), 30, "linked requesters told it is critical")

        world.sim.update(problem, author_id=world.agent, status="solved")  # no comment: Zendesk copies nothing
        wait_until(lambda: all(world.ours(t, RESOLVED) for t in linked), 30, "linked requesters told it is resolved")
        world.idle()
        for t in linked:
            assert len(world.ours(t, DECLARED)) == 1 and len(world.ours(t, RESOLVED)) == 1
            assert world.ticket(t)["ticket"]["status"] == "solved"  # Zendesk solved the incidents
        assert world.ours(problem, DECLARED) == [] and world.ours(problem, RESOLVED) == []  # filed by staff
        incident = world.incidents.get(problem)
        assert incident.status == "resolved" and incident.resolved_at is not None

    def test_a_problems_public_solving_reply_is_not_repeated(self, world: World) -> None:
        problem = world.declared(*OUTAGE, AGENT, type="problem")
        linked = linked_to(world, problem, ("d@four.test", "e@five.test"))
        wait_until(lambda: all(world.ours(t, DECLARED) for t in linked), 30, "linked requesters told it is critical")

        world.sim.update(problem, author_id=world.agent, status="solved",
                         comment={"body": "The order sync is fixed. Sorry for the trouble!", "public": True})
        wait_until(lambda: all(world.outcome("resolved", t) for t in linked), 30, "the resolution messages decided")
        world.idle()
        for t in linked:
            copies = world.ours(t, "The order sync is fixed")
            assert len(copies) == 1  # Zendesk's copy of the problem's reply …
            assert world.ours(t, RESOLVED) == []  # … and nothing more from us
            assert world.outcome("resolved", t)["outcome"] == "already_told"

    def test_the_review_task_appears_with_the_timeline_and_due_date(self, world: World) -> None:
        tid = world.declared("Our whole platform is down", "Nobody can log in, the site is down for everyone.",
                             "it@beta.test")
        world.sim.agent_reply(tid, "We are on it.", agent_email=AGENT)
        wait_until(lambda: "critical_sla_met" in world.ticket(tid)["ticket"]["tags"], 30, "the SLA met")
        world.sim.update(tid, author_id=world.agent, status="solved")
        wanted = {"post_incident_review", f"incident_{tid}"}
        task = wait_until(lambda: next((t for t in world.sim.tickets() if wanted <= set(t["tags"])), None), 30,
                          "the review task")
        incident = world.incidents.get(tid)
        assert task["type"] == "task" and task["assignee_id"] == world.head
        due = parse_time(task["due_at"])
        assert abs(due - (incident.resolved_at + timedelta(days=5))) < timedelta(seconds=1)
        text = world.ticket(task["id"])["comments"][0]["body"]
        for expected in ("First report:", "Declared critical:", "Alerts sent:", "incident.declared",
                         "by Agent Smith", "Resolved:", "Linked tickets:", f"/agent/tickets/{tid}",
                         "Time to first response:", "Time to resolve:", "ROOT CAUSE", "LEARNINGS", "ACTIONS"):
            assert expected in text, expected
        assert re.search(r"SLA outcome: +met", text)
        world.idle()
        assert len([t for t in world.sim.tickets() if wanted <= set(t["tags"])]) == 1

    def test_an_overdue_action_reminds_the_head_of_support_once(self, world: World, sink: Sink) -> None:
        tid = world.declared(*OUTAGE, "ops@gamma.test")
        yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
        added = world.cli("action", "add", "--incident", str(tid), "--owner", HEAD, "--due", yesterday,
                          "Add a status page")
        assert added.returncode == 0, added.stderr
        assert "created" in added.stdout
        listed = world.cli("action", "list", "--incident", str(tid))
        assert "OVERDUE" in listed.stdout and "Add a status page" in listed.stdout

        title = f"Incident action overdue: incident #{tid}"

        def reminders() -> list[str]:
            return [path for path, body in sink.received() if body.get("title", "").startswith(title)]

        world.run_job("jobs.report.reminders.remind")
        wait_until(reminders, 30, "the overdue action reminder")
        world.run_job("jobs.report.reminders.remind")  # the next run the same day
        world.idle()
        assert reminders() == ["/head_of_support"]


def test_the_report_shows_the_right_numbers_for_a_known_set_of_incidents(tmp_path: Path, sink: Sink) -> None:
    flush_db(REDIS_DB)
    config = lifecycle_config(tmp_path, sink)
    with running_stack(config_path=str(config), redis_db=REDIS_DB, log_dir=tmp_path / "logs") as stack:
        world = World(stack)
        answered = world.declared(*OUTAGE, "ops@acme.test")
        replied = Window()
        with replied:
            world.sim.agent_reply(answered, "Looking into it now.", agent_email=AGENT)
        wait_until(lambda: "critical_sla_met" in world.ticket(answered)["ticket"]["tags"], 30, "the SLA met")
        solved = {answered: Window()}
        with solved[answered]:
            world.sim.update(answered, author_id=world.agent, status="solved")
        silent = world.declared("Our whole platform is down", "The site is down for everyone.", "it@beta.test")
        solved[silent] = Window()
        with solved[silent]:
            world.sim.update(silent, author_id=world.agent, status="solved")
        hacked = world.declared("Our admin account has been hacked", "Someone logged in as our admin.",
                                "sec@delta.test")
        overridden = world.declared(*OUTAGE, "ops@epsilon.test")
        world.sim.update(overridden, author_id=world.agent, additional_tags=["not_critical"])
        wait_until(lambda: world.incidents.get(overridden).status == "overridden", 30, "the override")
        wait_until(lambda: all(world.incidents.get(t).status == "resolved" for t in (answered, silent)), 30,
                   "both resolutions")
        wait_until(lambda: len([t for t in world.sim.tickets() if "post_incident_review" in t["tags"]]) == 2, 30,
                   "both review tasks")
        world.idle()

        result = world.cli("report", "--since", "1d", "--json")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)

        def created(t: int) -> datetime:  # whole seconds: up to 1 s before the real moment
            return parse_time(world.ticket(t)["ticket"]["created_at"])

        assert data["by_category"] == {"outage": 2, "security": 1}
        assert data["sla"] == {"met": 1, "breached": 0, "attainment": 1.0}
        # Measured from the ticket's creation to the moment the test made the agent reply / solve.
        ttfr = timedelta(seconds=data["time_to_first_response_seconds"]["median"])
        assert replied.contains(created(answered) + ttfr)
        assert data["time_to_first_response_seconds"]["p90"] == data["time_to_first_response_seconds"]["median"]
        low = sum((solved[t].start - created(t)).total_seconds() - 1 for t in solved) / 2  # median of two: the mean
        high = sum((solved[t].end - created(t)).total_seconds() + 1 for t in solved) / 2
        assert low <= data["time_to_resolve_seconds"]["median"] <= high
        assert (data["resolved"], data["still_open"], data["overridden"]) == (2, 1, 1)
        assert sorted(r["incident_id"] for r in data["open_reviews"]) == [answered, silent]
        assert data["overdue_actions"] == []
        listed = {i["ticket_id"]: i for i in data["incidents"]}
        assert set(listed) == {answered, silent, hacked, overridden}
        assert listed[hacked]["subject"] == "(subject withheld: security incident)"
        assert all(i["link"].endswith(f"/agent/tickets/{t}") for t, i in listed.items())

        sent = world.cli("report", "--since", "1d", "--send")
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout.startswith("Critical incidents, last 1 day: 3 new, 2 resolved")
        reports = [p for p, b in sink.received() if b.get("title", "").startswith("Critical incidents, last 1 day")]
        assert sorted(reports) == ["/cto", "/head_of_support"]
        world.sim.close()
