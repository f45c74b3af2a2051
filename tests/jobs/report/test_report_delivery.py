"""The report gathered from Redis and Zendesk, sent weekly on the ``report`` route, and the CLI.

Apprise delivers to a local JSON sink; Zendesk is the simulator; the clock is set by the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobs.report import delivery as report_delivery
from middleware.cli.main import main
from middleware.store import queues
from tests.jobs.lifecycle.test_lifecycle import agent, declare, solve
from tests.lifecycle_support import API_EMAIL, Env, Sink, write_config

MONDAY = datetime(2026, 3, 9, tzinfo=UTC)


@pytest.fixture
def sink() -> Iterator[Sink]:
    s = Sink()
    yield s
    s.close()


@pytest.fixture
def config_sections(sink) -> dict[str, Any]:
    return {"roles": {"head_of_support": [sink.url("head_of_support")], "cto": [sink.url("cto")]}}


def reports(sink: Sink) -> list[str]:
    return sorted(p for p, b in sink.received() if b.get("title", "").startswith("Critical incidents, last 7 days"))


def test_the_weekly_report_goes_out_once_a_week_after_its_hour(env, sink):
    monday_9 = MONDAY + timedelta(hours=9)
    assert report_delivery.run_weekly(env.rt, MONDAY + timedelta(hours=7, minutes=59)).startswith("not due")
    outcome = report_delivery.run_weekly(env.rt, monday_9)
    assert "2 delivery job(s) queued" in outcome, outcome
    assert report_delivery.run_weekly(env.rt, monday_9 + timedelta(hours=1)).endswith("already sent")
    assert report_delivery.run_weekly(env.rt, monday_9 + timedelta(days=4)).endswith("already sent")
    env.drain(queues.ALERTS_STAGE)
    env.drain(queues.ALERTS_STAGE)
    assert reports(sink) == ["/cto", "/head_of_support"]

    assert "queued" in report_delivery.run_weekly(env.rt, monday_9 + timedelta(days=7))
    env.drain(queues.ALERTS_STAGE)
    assert reports(sink) == ["/cto", "/cto", "/head_of_support", "/head_of_support"]


def test_a_new_deployment_sends_its_first_report_at_the_next_scheduled_time(env, sink):
    wednesday = MONDAY + timedelta(days=2)
    assert report_delivery.run_weekly(env.rt, wednesday).startswith("first report at the next scheduled time")
    assert report_delivery.run_weekly(env.rt, wednesday + timedelta(days=2)).startswith("first report")
    assert "queued" in report_delivery.run_weekly(env.rt, MONDAY + timedelta(days=7, hours=8))


def test_a_report_is_delivered_once_per_destination_even_if_its_job_runs_twice(env, sink):
    title, body = "Critical incidents, last 7 days: 0 new, 0 resolved", "none"
    report_delivery.deliver(env.rt, title, body, "2026-W11")
    assert report_delivery.deliver(env.rt, title, body, "2026-W11") == 0  # same occasion: not queued again
    jobs = env.queued(queues.ALERTS_STAGE)
    env.drain(queues.ALERTS_STAGE)
    key = jobs[0].removeprefix(f"report-{env.rt.keys.job_prefix}-")
    assert report_delivery.send_one(env.rt.config.roles.static["cto"][0], title, body, key) \
        == "already sent"
    assert reports(sink) == ["/cto", "/head_of_support"]


def test_the_gathered_report_counts_the_incidents_and_the_open_review(env):
    tid = declare(env)
    solve(env, tid, agent(env))
    env.drain()
    report = report_delivery.gather(env.rt, env.now + timedelta(minutes=1), env.now - timedelta(days=7))
    assert [f.id for f in report.incidents] == [tid]
    assert report.by_category == {"outage": 1} and report.resolved == 1
    assert [t.incident_id for t in report.open_reviews] == [tid]
    assert report.overdue_actions == ()


def test_zendesk_unavailable_still_gives_the_numbers(env):
    tid = declare(env)
    env.sim.add_fault(403, path_regex="/api/v2/search")  # refused: no retry, reviews "not available"
    report = report_delivery.gather(env.rt, env.now + timedelta(minutes=1), env.now - timedelta(days=7))
    assert [f.id for f in report.incidents] == [tid]
    assert report.open_reviews is None


# -- the command line ------------------------------------------------------------------------------
@pytest.fixture
def cli_env(env, server, redis_url, tmp_path, key_prefix, monkeypatch) -> Env:
    config = write_config(tmp_path, key_prefix)
    for name, value in {"REDIS_URL": redis_url, "ZENDESK_API_URL": server.url, "ZENDESK_EMAIL": API_EMAIL,
                        "ZENDESK_API_TOKEN": "tok", "MIDDLEWARE_CONFIG": str(config)}.items():
        monkeypatch.setenv(name, value)
    return env


def test_report_command_prints_the_report(cli_env, capsys):
    env = cli_env
    tid = declare(env)
    solve(env, tid, agent(env))
    env.drain()
    assert main(["report", "--since", "7d", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["by_category"] == {"outage": 1}
    assert [i["ticket_id"] for i in data["incidents"]] == [tid]
    assert data["incidents"][0]["link"].endswith(f"/agent/tickets/{tid}")
    assert len(data["open_reviews"]) == 1

    assert main(["report"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Critical incidents, last 7 days: 1 new, 1 resolved")
    assert main(["report", "--since", "soon"]) == 2


def test_action_commands_create_and_list_actions(cli_env, capsys):
    env = cli_env
    tid = declare(env)
    agent(env, "owner@acme-support.test")
    argv = ["action", "add", "--incident", str(tid), "--owner", "owner@acme-support.test", "--due", "2020-01-02",
            "Add", "a", "status", "page"]
    assert main(argv) == 0
    assert "created" in capsys.readouterr().out
    assert main(argv) == 0
    assert "exists already" in capsys.readouterr().out
    assert main(["action", "list", "--incident", str(tid)]) == 0
    listed = capsys.readouterr().out
    assert "due 2020-01-02  OVERDUE  Incident #" in listed and "Add a status page" in listed
    assert main(["action", "add", "--incident", str(tid), "--owner", "who@nowhere.test", "x"]) == 1
    assert "no Zendesk user" in capsys.readouterr().err
