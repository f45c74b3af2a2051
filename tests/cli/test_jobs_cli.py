"""``python -m middleware jobs failed`` / ``jobs retry``: a job that failed for good is listed with
its ticket and error, and requeued on its own queue; another deployment's jobs are not touched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue, SimpleWorker

from middleware.cli import main as cli
from middleware.store.connection import Keys
from middleware.store.enqueue import job_id_for
from middleware.store.queues import EVENTS_STAGE, LIFECYCLE_STAGE
from rules.model import Ticket, TicketEvent

FAILS = "tests.cli.test_jobs_cli.zendesk_says_no"


def zendesk_says_no(*args: Any) -> None:
    raise RuntimeError("Zendesk answered 403 for https://yourco.zendesk.com/api/v2/tickets/77.json?token=s3cret")


def fail_one_event(redis: Redis, keys: Keys, ticket_id: int) -> str:
    """An event job, built as the receiver builds it, that fails with no retry left."""
    event = TicketEvent(id=f"e{ticket_id}", type="created", ticket=Ticket(id=ticket_id))
    queue = Queue(keys.queue(EVENTS_STAGE), connection=redis)
    job = queue.enqueue(FAILS, event.to_dict(), job_id=job_id_for(event.id, keys))
    SimpleWorker([queue], connection=redis).work(burst=True, logging_level="ERROR")
    return job.id


@pytest.fixture
def deployment(tmp_path: Path, redis: Redis, key_prefix: str, monkeypatch: pytest.MonkeyPatch,
               redis_url: str) -> Keys:
    config = tmp_path / "config.yaml"
    config.write_text(f"redis: {{prefix: {key_prefix}}}\nrules: []\n", encoding="utf-8")
    monkeypatch.setenv("MIDDLEWARE_CONFIG", str(config))
    monkeypatch.setenv("REDIS_URL", redis_url)
    return Keys(key_prefix)


def test_failed_jobs_are_listed_with_ticket_and_error_and_retried(deployment: Keys, redis: Redis, capsys) -> None:
    keys = deployment
    mine = fail_one_event(redis, keys, 77)
    other = fail_one_event(redis, Keys(f"{keys.prefix}x"), 88)  # another environment, same Redis
    lifecycle = Queue(keys.queue(LIFECYCLE_STAGE), connection=redis)
    later = lifecycle.enqueue(FAILS, 5, 1, job_id=keys.job_id("resolution", 5, 1),
                              description="resolution of incident 5 (round 1)")
    SimpleWorker([lifecycle], connection=redis).work(burst=True, logging_level="ERROR")

    assert cli.main(["jobs", "failed"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"2 failed job(s) on the {keys.prefix}-* queues")
    line = next(x for x in out.splitlines() if x.startswith(mine))
    assert f"{keys.prefix}-events" in line and "ticket 77" in line and "RuntimeError: Zendesk answered 403" in line
    assert line.endswith("Zendesk answered 403 for https://…")  # no URL (and no token in it)
    assert "incident 5" in next(x for x in out.splitlines() if x.startswith(later.id))
    assert other not in out

    assert cli.main(["jobs", "retry", mine]) == 0
    assert capsys.readouterr().out == f"requeued {mine}\n"
    assert Queue(keys.queue(EVENTS_STAGE), connection=redis).job_ids == [mine]
    assert cli.main(["jobs", "retry", "--all"]) == 0
    assert capsys.readouterr().out == f"requeued {later.id}\n"
    assert lifecycle.failed_job_registry.count == 0 and lifecycle.job_ids == [later.id]
    assert Queue(f"{keys.prefix}x-events", connection=redis).failed_job_registry.get_job_ids() == [other]


def test_retrying_an_unknown_job_is_one_line_and_exit_2(deployment: Keys, capsys) -> None:
    assert cli.main(["jobs", "retry", "evt-nope"]) == 2
    err = capsys.readouterr().err
    assert err == f"jobs retry: evt-nope is not a failed job of the {deployment.prefix}-* queues\n"
    assert cli.main(["jobs", "retry"]) == 2
    assert cli.main(["jobs", "failed"]) == 0
    assert capsys.readouterr().out.startswith("no failed jobs")
