"""End to end: customers' tickets through the real stack, alerts into a local JSON sink.

gunicorn, two RQ workers (with the scheduler), Redis and the Zendesk simulator run as real
processes; Apprise delivers to ``json://127.0.0.1:PORT/<role>``, a tiny HTTP server in this test
process that records every POST. The SLA is seconds long, so one test sees an incident go from
declared to at risk to breached to a breach reminder, and checks that each alert reached the
right roles, each exactly once, including the Engagement Director of the ticket's organisation:

* Acme's director comes from the organisation field (an email, through the mail URL template);
* Beta has no field, so ``roles.engagement_director.by_organization`` names its director.

Then an agent solves both tickets: ``incident.resolved`` comes from the lifecycle
(:mod:`jobs.lifecycle.status`), which the pipeline hands every ticket event.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest

from middleware.local.simulator import SimulatorControl
from middleware.local.stack import running_stack
from tests.e2e.support import Sink, flush_db, wait_until, write_config

pytestmark = pytest.mark.e2e

REDIS_DB = 15  # 12-14 are used by other suites run side by side on the same server
ACME, BETA = 360000000022, 360000000033
# seconds; the breach 10 s after the warning: a timer that fires late under load acts on the latest
# step due (the breach, not a warning already overtaken), so a 4 s gap lost the at-risk alert in CI
WARNING_AFTER, FIRST_RESPONSE, REMIND_EVERY = 5, 15, 5


def alerts_config(tmp_path: Path, sink: Sink) -> Path:
    """The shipped config (its rules), with roles pointing at the sink and a seconds-long SLA."""
    return write_config(
        tmp_path,
        roles={
            "head_of_support": [sink.url("head_of_support")],
            "cto": [sink.url("cto")],
            "engagement_director": {
                "organization_field": "engagement_director",
                "by_organization": {str(BETA): [sink.url("ed-beta")]},
                "default": [sink.url("ed-default")],
            },
            "engineering": [sink.url("engineering")],
            "product": [],
            "customer_operations": [],
        },
        sla={"first_response": f"{FIRST_RESPONSE}s", "warnings": [f"{WARNING_AFTER}s"],
             "reminder_every": f"{REMIND_EVERY}s"},
        merge={"alerts": {
            "email_url_template": sink.url("mail/{email}"),  # a mail gateway stand-in: the address in the path
            "retry": {"max": 3, "intervals": ["1s"]},
        }},
    )


_KIND = re.compile(r"^(Reminder \d+: )?(Critical incident declared|SLA at risk|SLA breached|Critical incident resolved)"
                   r": #(\d+)")


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


def all_arrived(sink: Sink, want: set[tuple[int, str, str]], timeout: float) -> bool:
    """Whether every wanted alert reached the sink within ``timeout`` s (the test then says which did not)."""
    def arrived() -> bool:
        return want <= set(tally(sink.received()))

    try:
        return wait_until(arrived, timeout, "the alerts")
    except AssertionError:  # timed out, or an unexpected title (``tally`` raises that again here)
        return arrived()


def test_declared_at_risk_breached_and_reminder_reach_the_right_roles_once(tmp_path, sink):
    flush_db(REDIS_DB)  # left-over timers from an aborted run would fire too
    config = alerts_config(tmp_path, sink)
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

        arrived = all_arrived(sink, want, timeout=60)
        for ticket in (acme, beta):
            sim.update(ticket, status="solved")
        want |= resolved(acme, "/mail/jane@acme.test") | resolved(beta, "/ed-beta")
        arrived = all_arrived(sink, want, timeout=30) and arrived
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
