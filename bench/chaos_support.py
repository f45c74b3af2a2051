"""What the chaos scenarios share: a restartable Redis with AOF, an alert sink, signed webhook
posts, and the counting of what happened to critical tickets (flagged, duplicated, lost).

Everything runs on 127.0.0.1: a private redis-server, the Zendesk simulator, gunicorn, the
workers, and an HTTP sink standing in for the alert destinations (Apprise ``json://`` URLs).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from bench.common import wait_for
from middleware.local.localredis import answers, free_port, redis_executable
from middleware.local.processes import stop_process
from middleware.local.simulator import SimulatorControl
from middleware.local.simulator.webhooks import signature_timestamp
from middleware.web.signature import sign

FLAG_NOTE = "Flagged as a critical incident"
CRITICAL_TAG = "critical_incident"


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------
@dataclass
class Tally:
    """One scenario's figures: the five every scenario prints, plus its own."""

    name: str
    proves: str
    sent: int = 0
    flagged: int = 0
    duplicated: int = 0
    lost: int = 0
    server_errors: int = 0  # 5xx answered by the middleware, other than 503 + Retry-After
    extra: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # scenario-specific checks that failed
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return (self.error is None and not self.failures and self.lost == 0 and self.duplicated == 0
                and self.server_errors == 0)

    def line(self) -> str:
        extra = ", ".join(f"{k} {v}" for k, v in self.extra.items())
        verdict = "ok" if self.ok else "FAILED"
        text = (f"{self.name:<16} sent {self.sent:>6}  flagged {self.flagged:>5}  duplicated {self.duplicated}  "
                f"lost {self.lost}  5xx {self.server_errors}  [{verdict}, {self.seconds:.0f} s]")
        if extra:
            text += f"\n{'':<16} {extra}"
        for failure in self.failures:
            text += f"\n{'':<16} check failed: {failure}"
        if self.error:
            text += f"\n{'':<16} error: {self.error}"
        return text


# ---------------------------------------------------------------------------------------------
# Redis with AOF, restartable on the same port
# ---------------------------------------------------------------------------------------------
class ChaosRedis:
    """A redis-server with AOF on (as production must run it) that can be stopped, restarted
    on the same port with its data, paused (SIGSTOP) and resumed."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="cim-chaos-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> None:
        self.proc = subprocess.Popen(
            [redis_executable(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", self.dir, "--databases", "16"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(lambda: answers(self.url), timeout, "redis-server to answer")

    def stop(self) -> None:
        """SIGTERM (Redis flushes its AOF) and wait."""
        if self.proc is not None:
            stop_process(self.proc)
        self.proc = None

    def pause(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGCONT)

    def close(self) -> None:
        self.resume()
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Alert destinations
# ---------------------------------------------------------------------------------------------
class AlertSink:
    """An HTTP server standing in for every alert destination (Apprise ``json://`` URLs).

    Records each POST (path, time, the alert's title); a path listed in ``failing`` answers 500
    until its time.
    """

    def __init__(self) -> None:
        self.received: list[tuple[str, float]] = []
        self.titles: list[tuple[str, str]] = []  # (path, title) of each alert received, in order
        self.refused: list[tuple[str, float]] = []
        self.failing: dict[str, float] = {}
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                path = self.path.split("?")[0]
                try:
                    title = str(json.loads(body).get("title") or "")
                except (ValueError, AttributeError):
                    title = ""
                with sink._lock:
                    refuse = sink.failing.get(path, 0) > time.time()
                    (sink.refused if refuse else sink.received).append((path, time.time()))
                    if not refuse:
                        sink.titles.append((path, title))
                self.send_response(500 if refuse else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def paths(self) -> list[str]:
        with self._lock:
            return [p for p, _ in self.received]

    def tickets(self, path: str, title_start: str) -> list[int]:
        """The ticket ids (``#123`` in the title) of the alerts ``path`` received whose title
        starts with ``title_start``, in the order they arrived."""
        with self._lock:
            found = [t for p, t in self.titles if p == path and t.startswith(title_start)]
        return [int(m.group(1)) for t in found if (m := re.search(r"#(\d+)", t))]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------------------------------------
# Tickets and what became of them
# ---------------------------------------------------------------------------------------------
CRITICAL_SUBJECT = "URGENT - platform down, none of our users can log in"
CRITICAL_DESCRIPTION = "Since 09:00 every login fails with a 502; the whole company is blocked."


def critical_ticket(sim: SimulatorControl, n: int, organization_id: int | None = None) -> int:
    """A customer opens a ticket the shipped rules flag as an outage; returns its id."""
    ticket = sim.customer_ticket(f"{CRITICAL_SUBJECT} (#{n})", CRITICAL_DESCRIPTION,
                                 f"it{n}@customer{n}.example", organization_id=organization_id)
    return int(ticket["id"])


@dataclass
class Outcome:
    flagged: list[int]
    duplicated: list[int]
    lost: list[int]


def outcome(sim: SimulatorControl, ticket_ids: list[int]) -> Outcome:
    """Which tickets carry our flag, which got our flagging note more than once, which neither."""
    flagged, duplicated, lost = [], [], []
    for tid in ticket_ids:
        data = sim.get_ticket(tid)
        notes = sum(1 for c in data.get("comments") or [] if FLAG_NOTE in (c.get("body") or ""))
        if CRITICAL_TAG in (data["ticket"].get("tags") or []):
            flagged.append(tid)
        else:
            lost.append(tid)
        if notes > 1:
            duplicated.append(tid)
    return Outcome(flagged, duplicated, lost)


def wait_flagged(sim: SimulatorControl, ticket_ids: list[int], timeout: float) -> Outcome:
    """Poll until every ticket is flagged or ``timeout`` passes; the final count either way."""
    deadline = time.monotonic() + timeout
    while True:
        result = outcome(sim, ticket_ids)
        if not result.lost or time.monotonic() > deadline:
            return result
        time.sleep(1.0)


def webhook_server_errors(sim: SimulatorControl) -> tuple[int, int]:
    """(5xx other than 503, 503) answered by the middleware to the simulator's deliveries."""
    other = unavailable = 0
    for delivery in sim.deliveries().get("deliveries") or []:
        for attempt in delivery.get("attempts") or []:
            status = attempt.get("status")
            if status == 503:
                unavailable += 1
            elif status is not None and status >= 500:
                other += 1
    return other, unavailable


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """The bench's waiting loop (``bench.common.wait_for``) at the chaos suite's pace."""
    return wait_for(predicate, timeout, interval=interval, what=what)


# ---------------------------------------------------------------------------------------------
# Posting to the receivers directly
# ---------------------------------------------------------------------------------------------
class Poster:
    """Signed webhook posts and authenticated intake posts to the running gunicorn."""

    def __init__(self, web_url: str, webhook_secret: str, intake_token: str | None = None) -> None:
        self.web_url = web_url
        self.secret = webhook_secret
        self.intake_token = intake_token
        self.local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
        return session

    def webhook(self, body: bytes, *, signed: bool = True, invocation_id: str | None = None,
                timeout: float = 30.0) -> tuple[int, float]:
        """(status, seconds) of one delivery; status 0 when the connection failed."""
        stamp = signature_timestamp()
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "X-Zendesk-Webhook-Signature-Timestamp": stamp,
                   "X-Zendesk-Webhook-Signature": sign(self.secret, stamp, body) if signed else "bad"}
        if invocation_id:
            headers["X-Zendesk-Webhook-Invocation-Id"] = invocation_id
        return self._post(f"{self.web_url}/webhooks/zendesk", body, headers, timeout)

    def intake(self, path: str, body: bytes, timeout: float = 30.0) -> tuple[int, float]:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.intake_token}"}
        return self._post(f"{self.web_url}/intake/{path}", body, headers, timeout)

    def _post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, float]:
        started = time.monotonic()
        try:
            status = self._session().post(url, data=body, headers=headers, timeout=timeout).status_code
        except requests.RequestException:
            status = 0
        return status, time.monotonic() - started


def sample_event(ticket_id: int, event_id: str, subject: str = "Question about invoices",
                 description: str = "How do I export them?") -> bytes:
    """A ``ticket.created`` event body as Zendesk sends it (for direct posts)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return json.dumps({
        "account_id": 1, "id": event_id, "subject": f"zen:ticket:{ticket_id}", "time": now,
        "type": "zen:event-type:ticket.created", "zendesk_event_version": "2022-11-06", "event": {},
        "detail": {"id": str(ticket_id), "subject": subject, "description": description,
                   "status": "NEW", "priority": "LOW", "type": "QUESTION", "tags": [], "actor_id": "990001",
                   "requester_id": "990001", "created_at": now, "updated_at": now, "via": {"channel": "web_service"}},
    }).encode()
