"""End to end: the first-response SLA on real processes, with an SLA a few seconds long.

gunicorn, two RQ workers started with the scheduler, Redis and the Zendesk simulator run as
real processes. Two customers open critical tickets. Nobody answers the first: its tag goes
``critical_sla_pending`` → ``critical_sla_at_risk`` → ``critical_sla_breached``, with a plain
internal note at each step and then breach reminders. An agent answers the second in time: it
ends ``critical_sla_met``. At no moment does a ticket carry two SLA tags, and with two workers
racing for the same timers each note is still written once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from redis import Redis

from middleware.local.simulator import SimulatorControl
from middleware.local.stack import running_stack
from middleware.store.connection import Keys
from middleware.store.incidents import IncidentStore
from rules.model import parse_time
from tests.e2e.support import flush_db, write_config

pytestmark = pytest.mark.e2e

REDIS_DB = 12
WARNING, DUE, REMIND = 6, 12, 4  # seconds (6 s of pending: room for a loaded machine's triage)
SLA_TAGS = ("critical_sla_pending", "critical_sla_at_risk", "critical_sla_met", "critical_sla_breached")


class Watcher:
    """Polls tickets and keeps every SLA tag set seen, to check "one SLA tag at a time"."""

    def __init__(self, sim: SimulatorControl) -> None:
        self.sim = sim
        self.seen: dict[int, list[tuple[str, ...]]] = {}

    def look(self, ticket_id: int) -> dict[str, Any]:
        full = self.sim.get_ticket(ticket_id)
        tags = tuple(t for t in full["ticket"]["tags"] if t in SLA_TAGS)
        history = self.seen.setdefault(ticket_id, [])
        if not history or history[-1] != tags:
            history.append(tags)
        return full

    def until(self, ticket_id: int, check: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any]:
        """Poll ``ticket_id`` until ``check`` holds, and every other watched ticket meanwhile: a
        ticket looked at only after another's wait missed its short states on a loaded machine."""
        deadline = time.monotonic() + timeout
        full = self.look(ticket_id)
        while not check(full) and time.monotonic() < deadline:
            time.sleep(0.1)
            for other in [t for t in self.seen if t != ticket_id]:
                self.look(other)
            full = self.look(ticket_id)
        return full


def notes(full: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in full["comments"] if not c["public"]]


def note_with(full: dict[str, Any], text: str) -> list[dict[str, Any]]:
    return [c for c in notes(full) if text in c["body"]]


def has_tag(tag: str) -> Callable[[dict[str, Any]], bool]:
    return lambda full: tag in full["ticket"]["tags"]


def seconds_between(earlier: str, later: str) -> float:
    a: datetime = parse_time(earlier)  # type: ignore[assignment]
    b: datetime = parse_time(later)  # type: ignore[assignment]
    return (b - a).total_seconds()


def test_unanswered_ticket_goes_pending_at_risk_breached_and_answered_one_is_met(tmp_path):
    flush_db(REDIS_DB)  # timers left by an aborted run would fire too
    # The shipped config (its rules and writeback), with a seconds-long SLA.
    config = write_config(tmp_path, sla={"first_response": f"{DUE}s", "warnings": [f"{WARNING}s"],
                                         "reminder_every": f"{REMIND}s"})
    with running_stack(config_path=str(config), redis_db=REDIS_DB, log_dir=tmp_path / "logs") as stack:
        stack.start_worker("worker2")  # two workers with schedulers racing for the same timers
        sim = SimulatorControl(stack.simulator_url)
        watch = Watcher(sim)
        silent = sim.customer_ticket("Checkout is down for everyone", "Nothing loads since 10:00.",
                                     "ops@acme.test")["id"]
        watch.look(silent)  # watched from now on, while the test waits on the other ticket
        answered = sim.customer_ticket("Our dashboard is completely down", "It has been down all morning.",
                                       "it@beta.test")["id"]

        watch.until(answered, has_tag("critical_sla_pending"), timeout=DUE - 2)
        sim.agent_reply(answered, "We are on it and will update you within the hour.")
        done = watch.until(answered, has_tag("critical_sla_met"), timeout=15)

        full = watch.until(silent, lambda f: bool(note_with(f, "Reminder 1:")), timeout=30)
        time.sleep(1)  # room for a duplicate note from the second worker to show up
        full = watch.look(silent)
        logs = stack.logs("worker") + stack.logs("worker2")
        timeline = IncidentStore(Redis.from_url(stack.redis_url), Keys("cim")).timeline(silent)

    tail = f"\nworker logs (tail):\n{logs[-4000:]}"
    # The answered ticket: met, in plain words.
    assert has_tag("critical_sla_met")(done), f"answered ticket not met: {done['ticket']['tags']}{tail}"
    assert [t for t in done["ticket"]["tags"] if t in SLA_TAGS] == ["critical_sla_met"]
    met = note_with(done, "First response after")
    assert len(met) == 1 and f"within the {DUE} s target" in met[0]["body"], notes(done)

    # The silent ticket: every step, in order, one SLA tag at a time, each note once.
    states = [s for s in watch.seen[silent] if s]
    assert states[:3] == [("critical_sla_pending",), ("critical_sla_at_risk",), ("critical_sla_breached",)], (
        f"tag history {watch.seen[silent]}{tail}")
    for ticket_id in (silent, answered):
        assert all(len(s) <= 1 for s in watch.seen[ticket_id]), f"two SLA tags at once: {watch.seen[ticket_id]}"
    started = note_with(full, "First-response SLA: a public reply is due by")
    at_risk = note_with(full, f"SLA at risk: no public reply {WARNING} s after this ticket was opened")
    breached = note_with(full, f"No public reply {DUE} s after this ticket was opened: SLA breached")
    reminder = note_with(full, "Reminder 1: still no public reply")
    assert [len(started), len(at_risk), len(breached), len(reminder)] == [1, 1, 1, 1], (
        [n["body"] for n in notes(full)], tail)

    # Timers fire on time: the scheduler's whole seconds, plus one for Zendesk's whole-second stamps.
    opened = full["ticket"]["created_at"]
    assert seconds_between(opened, at_risk[0]["created_at"]) <= WARNING + 2, (opened, at_risk[0])
    assert seconds_between(opened, breached[0]["created_at"]) <= DUE + 2, (opened, breached[0])

    # The incident's record keeps the SLA timeline and the escalations raised.
    kinds = [e["kind"] for e in timeline if e["kind"].startswith("sla.")]
    assert kinds[:4] == ["sla.started", "sla.at_risk", "sla.breached", "sla.reminder"], kinds
    raised = {(e["event"], e["occurrence"]) for e in timeline if e["kind"] == "alert"}
    assert {("sla.at_risk", "0"), ("sla.breached", "0"), ("sla.breached", "1")} <= raised, raised
