"""``LOG_FORMAT=json``: a worker's every line is one JSON object, with the ticket and incident ids
of the job it runs, and no secret from the environment ever appears in a line."""

from __future__ import annotations

import io
import json
import logging
import logging.handlers
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from middleware import logs
from middleware.local.stack import ROOT
from middleware.logs import JsonFormatter, RedactSecrets, secrets_of
from middleware.store.connection import Keys
from middleware.store.enqueue import job_id_for
from middleware.store.queues import EVENTS_STAGE
from rules.model import Ticket, TicketEvent

TOKEN = "zd-api-token-9f8e7d6c5b"
ALERT_URL = "slack://T0AAAA/B0BBBB/secretwebhookpart"


def noisy_job(event: dict) -> str:
    """Logs what a real job logs: ids in the text, and (wrongly) a secret it was handed."""
    log = logging.getLogger("jobs.triage")
    log.info("incident %s: alert sla.at_risk queued for %s", event["ticket"]["id"], ALERT_URL)
    try:
        raise RuntimeError(f"Zendesk refused token {TOKEN}")
    except RuntimeError:
        log.warning("ticket %s: write failed", event["ticket"]["id"], exc_info=True)
    return "done"


def test_a_worker_logs_one_json_object_per_line_with_ids_and_no_secrets(tmp_path: Path, redis: Redis,
                                                                          redis_url: str, key_prefix: str) -> None:
    keys = Keys(key_prefix)
    event = TicketEvent(id="e1", type="created", ticket=Ticket(id=4321))
    job = Queue(keys.queue(EVENTS_STAGE), connection=redis).enqueue(
        "tests.cli.test_logs.noisy_job", event.to_dict(), job_id=job_id_for(event.id, keys),
        description=f"jobs.pipeline.handle_event(event=e1 type=created ticket={event.ticket.id})")
    config = tmp_path / "config.yaml"
    config.write_text(f"redis: {{prefix: {key_prefix}}}\nrules: []\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "LOG_FORMAT": "json", "REDIS_URL": redis_url, "MIDDLEWARE_CONFIG": str(config),
           "ZENDESK_SUBDOMAIN": "yourco", "ZENDESK_EMAIL": "bot@yourco.example", "ZENDESK_API_TOKEN": TOKEN,
           "ALERT_CTO_URLS": ALERT_URL, "ZENDESK_API_URL": "http://127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-m", "middleware", "worker", "--burst"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # every line parses
    assert lines and all({"time", "level", "logger", "message"} <= set(x) for x in lines)
    mine = [x for x in lines if x.get("job_id") == job.id]
    assert mine and all(x["ticket_id"] == 4321 for x in mine if x["logger"] == "jobs.triage")
    alert = next(x for x in mine if "sla.at_risk" in x["message"])
    assert alert["incident_id"] == 4321 and "***" in alert["message"]
    failed = next(x for x in mine if "write failed" in x["message"])
    assert "RuntimeError: Zendesk refused token ***" in failed["exception"]
    assert TOKEN not in output and "secretwebhookpart" not in output


def test_secrets_come_from_their_variable_names_and_the_redis_password() -> None:
    env = {"ADMIN_TOKEN": "admin-1234567", "ZENDESK_WEBHOOK_SECRET": "old-secret-1,new-secret-2",
           "ALERT_CTO_URLS": "json://a.example/x1y2z3 mailto://u:p@b.example", "REDIS_URL": "redis://:r3d1spass@h:6379/0",
           "ZENDESK_SUBDOMAIN": "yourco", "LOG_FORMAT": "json", "INTAKE_TOKEN": "abc"}
    found = secrets_of(env)
    assert {"admin-1234567", "old-secret-1", "new-secret-2", "json://a.example/x1y2z3", "r3d1spass"} <= set(found)
    assert "yourco" not in found and "json" not in found and "abc" not in found  # too short to blank safely


def test_ids_given_by_the_caller_win_over_the_text() -> None:
    record = logging.LogRecord("jobs.sla.clock", logging.INFO, __file__, 1, "incident %s: breached", (7,), None)
    record.ticket_id = 99
    RedactSecrets([]).filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "incident 7: breached" and entry["incident_id"] == 7 and entry["ticket_id"] == 99


@pytest.fixture
def configured_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dict[str, str]], io.StringIO]]:
    """The root logger as ``logs.configure`` sets it up in a web process, writing to a buffer;
    pytest's own handlers are put back afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level, saved_configured = root.handlers[:], root.level, logs._configured[:]
    monkeypatch.setattr(time, "time", lambda: 1_765_000_000.25)  # one instant for both ways of writing

    def configure(env: dict[str, str]) -> io.StringIO:
        root.handlers = []
        logs.configure(logging.INFO, env)
        buffer = io.StringIO()
        root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
        return buffer

    yield configure
    root.handlers, logs._configured[:] = saved_handlers, saved_configured
    root.setLevel(saved_level)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_webhooks_fast_line_is_the_line_logging_writes(configured_root, log_format: str) -> None:
    """``HotLine`` writes what ``logger.info`` would, byte for byte, secrets redacted, in both formats."""
    buffer = configured_root({"LOG_FORMAT": log_format, "ZENDESK_WEBHOOK_SECRET": "s3cret-value-42"})
    log = logging.getLogger("middleware.web.webhooks")
    line = logs.HotLine(log)
    assert line._only_handler() is logging.getLogger().handlers[0]  # the fast way, not logging's
    for message in ("zendesk webhook status=202 outcome=queued event_id=e-1 type=created ticket_id=5158 ms=0.31",
                    "ticket 12 and incident 7: é, ü, 日本 and \"quotes\" \\ s3cret-value-42"):
        log.info("%s", message)
        slow = buffer.getvalue()
        buffer.truncate(0), buffer.seek(0)
        line(message)
        assert buffer.getvalue() == slow
        buffer.truncate(0), buffer.seek(0)
        assert "s3cret-value-42" not in slow and slow.count("\n") == 1


def test_the_fast_line_steps_aside_for_any_other_logging_setup(configured_root) -> None:
    """Another handler on the way (an operator's, pytest's ``caplog``), a level that hides INFO:
    the line goes through logging, or nowhere, as ``logger.info`` would send it."""
    buffer = configured_root({})
    log = logging.getLogger("middleware.web.webhooks")
    line = logs.HotLine(log)
    extra = logging.handlers.BufferingHandler(10)
    log.addHandler(extra)
    try:
        line("zendesk webhook status=401")
    finally:
        log.removeHandler(extra)
    assert [r.getMessage() for r in extra.buffer] == ["zendesk webhook status=401"]
    assert buffer.getvalue().endswith("zendesk webhook status=401\n")
    log.setLevel(logging.WARNING)
    try:
        line("zendesk webhook status=202")
    finally:
        log.setLevel(logging.NOTSET)
    assert "status=202" not in buffer.getvalue()
