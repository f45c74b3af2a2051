"""End to end: customers' tickets through the real stack, alerts into a local JSON sink.

gunicorn, two RQ workers (with the scheduler), Redis and the Zendesk simulator run as real
processes; Apprise delivers to ``json://127.0.0.1:PORT/<role>``, a tiny HTTP server in this test
process that records every POST. The SLA is seconds long, so one test sees an incident go from
declared to at risk to breached to a breach reminder, and checks that each alert reached the
right roles, each exactly once, including the Engagement Director of the ticket's organisation:

* Acme's director comes from the organisation field (an email, through the mail URL template);
* Beta has no field, so ``roles.engagement_director.by_organization`` names its director.

Then an agent solves both tickets. ``incident.resolved`` comes from the lifecycle
(:mod:`jobs.lifecycle`); while the declared path does not route ticket events to it yet, the
resolved alert is covered at unit level (tests/test_alerts.py, calling ``notify`` directly) and
this test checks it here as soon as :mod:`jobs.declare` hands events to the lifecycle.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from redis import Redis
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from middleware.localredis import answers, with_db
from middleware.simulator import SimulatorControl
from middleware.stack import ROOT, running_stack

pytestmark = pytest.mark.e2e

REDIS_DB = 15  # 12-14 are used by other suites run side by side on the same server
ACME, BETA = 360000000022, 360000000033
WARNING_AFTER, FIRST_RESPONSE, REMIND_EVERY = 3, 7, 4  # seconds


class Sink:
    """An HTTP server on 127.0.0.1 that records (path, JSON body) of every POST."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.port = self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, name="alert-sink", daemon=True)

    def _app(self, environ: dict, start_response: Callable) -> Response:
        request = Request(environ)
        body = json.loads(request.get_data() or b"{}")
        with self._lock:
            self.posts.append((request.path, body))
        return Response("ok")(environ, start_response)

    def received(self) -> list[tuple[str, dict]]:
        with self._lock:
            return list(self.posts)


@pytest.fixture
def sink() -> Iterator[Sink]:
    s = Sink()
    s._thread.start()
    try:
        yield s
    finally:
        s.server.shutdown()


def write_config(tmp_path: Path, port: int) -> Path:
    """The shipped config (its rules), with roles pointing at the sink and a seconds-long SLA."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    url = f"json://127.0.0.1:{port}"
    config["roles"] = {
        "head_of_support": [f"{url}/head_of_support"],
        "cto": [f"{url}/cto"],
        "engagement_director": {
            "organization_field": "engagement_director",
            "by_organization": {str(BETA): [f"{url}/ed-beta"]},
            "default": [f"{url}/ed-default"],
        },
        "engineering": [f"{url}/engineering"],
        "product": [],
        "customer_operations": [],
    }
    config["alerts"] = {
        **config.get("alerts", {}),
        "email_url_template": f"{url}/mail/{{email}}",  # a mail gateway stand-in: the address in the path
        "retry": {"max": 3, "intervals": ["1s"]},
    }
    config["sla"] = {"first_response": f"{FIRST_RESPONSE}s", "warnings": [f"{WARNING_AFTER}s"],
                     "reminder_every": f"{REMIND_EVERY}s"}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def flush_test_db() -> None:
    """Start from an empty database (left-over timers from an aborted run would fire too)."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    if answers(url):
        Redis.from_url(with_db(url, REDIS_DB)).flushdb()


_KIND = re.compile(r"^(Reminder \d+: )?(Critical incident declared|SLA at risk|SLA breached|Critical incident resolved)"
                   r": #(\d+)")


def lifecycle_wired() -> bool:
    """True once the declared path hands ticket events to the lifecycle (which emits resolved)."""
    import jobs.declare

    return "lifecycle" in inspect.getsource(jobs.declare)


def tally(posts: list[tuple[str, dict]]) -> Counter[tuple[int, str, str]]:
    """(ticket id, alert, destination path) → how many times it arrived."""
    out: Counter[tuple[int, str, str]] = Counter()
    for path, body in posts:
        match = _KIND.match(body.get("title", ""))
        assert match, f"unexpected alert title {body.get('title')!r}"
        alert = (match.group(1) or "") + match.group(2)
        out[(int(match.group(3)), alert, path)] += 1
    return out


def expected(ticket: int, director: str) -> set[tuple[int, str, str]]:
    """Routes: declared → support, director, CTO (+ engineering for outages); at risk → support;
    breached (and each reminder) → support, CTO (+ engineering for outages)."""
    return {
        *((ticket, "Critical incident declared", p) for p in ("/head_of_support", director, "/cto", "/engineering")),
        (ticket, "SLA at risk", "/head_of_support"),
        *((ticket, "SLA breached", p) for p in ("/head_of_support", "/cto", "/engineering")),
        *((ticket, "Reminder 1: SLA breached", p) for p in ("/head_of_support", "/cto", "/engineering")),
    }


def resolved(ticket: int, director: str) -> set[tuple[int, str, str]]:
    return {(ticket, "Critical incident resolved", p) for p in ("/head_of_support", director, "/cto")}


def wait_for(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def test_declared_at_risk_breached_and_reminder_reach_the_right_roles_once(tmp_path, sink):
    flush_test_db()
    config = write_config(tmp_path, sink.port)
    with running_stack(config_path=str(config), redis_db=REDIS_DB, log_dir=tmp_path / "logs") as stack:
        stack.start_worker("worker2")  # two workers racing for the same jobs: still one alert each
        sim = SimulatorControl(stack.simulator_url)
        sim.create_organization("Acme", organization_fields={"engagement_director": "jane@acme.test"}, id=ACME)
        sim.create_organization("Beta", id=BETA)
        acme = sim.customer_ticket("Checkout is down for everyone", "Nothing loads since 10:00.",
                                   "ops@acme.test", organization_id=ACME)["id"]
        beta = sim.customer_ticket("Our dashboard is completely down", "It has been down for us all morning.",
                                   "it@beta.test", organization_id=BETA)["id"]
        want = expected(acme, "/mail/jane@acme.test") | expected(beta, "/ed-beta")

        arrived = wait_for(lambda: want <= set(tally(sink.received())), timeout=60)
        for ticket in (acme, beta):
            sim.update(ticket, status="solved")
        if lifecycle_wired():
            want |= resolved(acme, "/mail/jane@acme.test") | resolved(beta, "/ed-beta")
            arrived = wait_for(lambda: want <= set(tally(sink.received())), timeout=30) and arrived
        time.sleep(1.5)  # room for any duplicate to show up
        counts = tally(sink.received())
        logs = stack.logs("worker") + stack.logs("worker2")

    missing = want - set(counts)
    assert arrived and not missing, f"missing alerts: {sorted(missing)}\nworker log tail:\n{logs[-3000:]}"
    duplicates = {k: n for k, n in counts.items() if n > 1}
    assert not duplicates, f"alerts delivered more than once: {duplicates}"
    # Nothing went to a director that is not the ticket's, nor to a role not routed.
    for ticket, _, path in counts:
        assert path not in ("/ed-default",)
        assert path != ("/ed-beta" if ticket == acme else "/mail/jane@acme.test")
    # Each delivery says what to act on; the URLs (tokens, in real life) stay out of the logs.
    first = next(body for path, body in sink.received() if path == "/head_of_support"
                 and body["title"].startswith(f"Critical incident declared: #{acme}"))
    assert f"/agent/tickets/{acme}" in first["message"]
    assert "Organisation: Acme" in first["message"] and "Category: outage" in first["message"]
    assert f"127.0.0.1:{sink.port}" not in logs
