"""Signed event-webhook delivery, with Zendesk's retry rules, off the request path.

Writes only *enqueue* events; worker threads deliver them, so an API call never waits on the
receiver (as with Zendesk). Delivery follows what DESIGN.md §5 says Zendesk does:

* each invocation is signed: ``X-Zendesk-Webhook-Signature`` = base64(HMAC-SHA256(secret,
  timestamp + body)) with ``X-Zendesk-Webhook-Signature-Timestamp`` = now;
* retried (same invocation id and body, fresh timestamp and signature) up to ``max_retries``
  times on 409, on a timeout, and on 429/503 that carry ``Retry-After`` under 60 s (waiting
  that long); every other failure is dropped for good;
* while delivery is disabled (Zendesk's circuit breaker open), events are dropped, not queued.

Retries wait in a time-ordered heap rather than in a sleeping worker, so one slow retry does
not hold up the rest. With one worker (the default) events leave in the order they happened;
more workers deliver concurrently and therefore out of order, as Zendesk may.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import json
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from middleware.web.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RETRY_STATUSES_WITH_RETRY_AFTER = (429, 503)
MAX_RETRY_AFTER = 60.0
# What the control API may set on the webhook (``WebhookConfig``'s fields but its id).
SETTINGS = ("url", "secret", "enabled", "events", "timeout", "max_retries", "retry_409_delay")


def ulid() -> str:
    """A ULID (26 Crockford base32 chars), the id format of Zendesk's webhook and invocation ids."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def signature_timestamp(now: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))


@dataclass
class WebhookConfig:
    """Where events go and how; ``secret`` is never reported back over the control API."""

    url: str | None = None
    secret: str | None = None
    enabled: bool = True
    events: frozenset[str] | None = None  # None: every event type
    timeout: float = 5.0
    max_retries: int = 3
    retry_409_delay: float = 1.0
    webhook_id: str = field(default_factory=ulid)

    def public(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "secret_set": bool(self.secret),
            "enabled": self.enabled,
            "events": sorted(self.events) if self.events is not None else None,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "webhook_id": self.webhook_id,
        }


@dataclass
class Delivery:
    """One invocation of the webhook for one event, with every attempt made."""

    invocation_id: str
    event: dict[str, Any]
    body: bytes
    url: str
    secret: str
    state: str = "pending"  # pending | delivered | failed | dropped
    reason: str | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {
            "invocation_id": self.invocation_id,
            "event_id": self.event.get("id"),
            "event_type": self.event.get("type"),
            "subject": self.event.get("subject"),
            "url": self.url,
            "state": self.state,
            "reason": self.reason,
            "status": self.attempts[-1]["status"] if self.attempts else None,
            "attempts": list(self.attempts),
        }


class WebhookSender:
    """Queue + worker threads delivering signed event webhooks, and a record of deliveries."""

    def __init__(self, config: WebhookConfig | None = None, workers: int = 1, history: int = 20000) -> None:
        self.config = config or WebhookConfig()
        self.workers = max(1, int(workers))
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._in_flight = 0
        self._history: deque[Delivery] = deque(maxlen=history)
        self._counts = {"published": 0, "delivered": 0, "failed": 0, "dropped": 0, "attempts": 0}
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._generation = 0  # bumped by reset(): deliveries of an older generation are discarded

    # -- configuration --------------------------------------------------------------------
    def configure(self, **changes: Any) -> WebhookConfig:
        """Change the webhook (url, secret, enabled, events, timeout, max_retries)."""
        with self._cond:
            cfg = self.config
            for key, value in changes.items():
                if key == "events":
                    value = None if value is None else frozenset(_full_type(v) for v in value)
                if not hasattr(cfg, key):
                    raise ValueError(f"unknown webhook setting: {key}")
                setattr(cfg, key, value)
            return cfg

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        with self._cond:
            if self._threads:
                return
            self._stopping = False
            for n in range(self.workers):
                thread = threading.Thread(target=self._run, name=f"sim-webhook-{n}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout)

    def reset(self) -> None:
        """Forget queued retries, history and counters (the configuration stays)."""
        with self._cond:
            self._heap.clear()
            self._history.clear()
            self._generation += 1
            for key in self._counts:
                self._counts[key] = 0
            self._cond.notify_all()

    # -- producing ----------------------------------------------------------------------------
    def publish(self, events: list[dict[str, Any]]) -> None:
        """Hand events over for delivery; never blocks on the network."""
        if not events:
            return
        with self._cond:
            cfg = self.config
            for event in events:
                if cfg.events is not None and event.get("type") not in cfg.events:
                    continue
                self._counts["published"] += 1
                delivery = Delivery(ulid(), event, b"", cfg.url or "", cfg.secret or "")
                if not cfg.url:
                    self._finish(delivery, "dropped", "no webhook url configured")
                    continue
                if not cfg.enabled:
                    self._finish(delivery, "dropped", "webhook disabled (circuit breaker open)")
                    continue
                delivery.body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                self._history.append(delivery)
                heapq.heappush(self._heap, (0.0, next(self._seq), delivery))
            self._cond.notify_all()

    def _finish(self, delivery: Delivery, state: str, reason: str | None = None) -> None:
        delivery.state = state
        delivery.reason = reason
        self._counts[state] += 1
        if state == "dropped":
            self._history.append(delivery)

    # -- observing -----------------------------------------------------------------------------
    def pending(self) -> int:
        with self._cond:
            return len(self._heap) + self._in_flight

    def report(self, limit: int | None = None, state: str | None = None) -> dict[str, Any]:
        with self._cond:
            items = [d for d in self._history if state is None or d.state == state]
            if limit is not None:
                items = items[-limit:]
            return {
                "config": self.config.public(),
                "pending": len(self._heap) + self._in_flight,
                "counts": dict(self._counts),
                "deliveries": [d.report() for d in items],
            }

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued or in flight (for tests and the demo)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    # -- delivering ----------------------------------------------------------------------------
    def _run(self) -> None:
        session = _Poster()
        try:
            while True:
                with self._cond:
                    while not self._stopping and (not self._heap or self._heap[0][0] > time.monotonic()):
                        wait = (self._heap[0][0] - time.monotonic()) if self._heap else None
                        self._cond.wait(wait if wait is None else max(wait, 0.001))
                    if self._stopping:
                        return
                    _, _, delivery = heapq.heappop(self._heap)
                    self._in_flight += 1
                    generation = self._generation
                    timeout = self.config.timeout
                    max_retries = self.config.max_retries
                    retry_409 = self.config.retry_409_delay
                try:
                    attempt, delay = self._attempt(session, delivery, timeout)
                except Exception as exc:  # a worker must never die: record and drop
                    attempt = {"timestamp": signature_timestamp(), "status": None, "error": type(exc).__name__}
                    delay = None
                with self._cond:
                    self._in_flight -= 1
                    if generation == self._generation:
                        self._after_attempt(delivery, attempt, delay, max_retries, retry_409)
                    self._cond.notify_all()
        finally:
            session.close()

    def _attempt(self, session: _Poster, delivery: Delivery, timeout: float) -> tuple[dict[str, Any], Any]:
        """POST once; returns the attempt record and the retry delay it asks for (or None)."""
        stamp = signature_timestamp()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Zendesk Webhook",
            "X-Zendesk-Account-Id": str(delivery.event.get("account_id", "")),
            "X-Zendesk-Webhook-Id": self.config.webhook_id,
            "X-Zendesk-Webhook-Invocation-Id": delivery.invocation_id,
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: sign(delivery.secret, stamp, delivery.body),
        }
        started = time.monotonic()
        record: dict[str, Any] = {"timestamp": stamp, "status": None, "error": None}
        delay: float | None = None
        try:
            status, answer_headers = session.post(delivery.url, delivery.body, headers, timeout)
            record["status"] = status
            if status == 409:
                delay = -1.0  # marker: retry after the configured 409 delay
            elif status in RETRY_STATUSES_WITH_RETRY_AFTER:
                delay = _retry_after(answer_headers.get("retry-after"))
        except TimeoutError:
            record["error"] = "timeout"
            delay = 0.0
        except (OSError, http.client.HTTPException, ValueError) as exc:
            record["error"] = type(exc).__name__
        record["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        return record, delay

    def _after_attempt(
        self, delivery: Delivery, attempt: dict[str, Any], delay: float | None, max_retries: int, retry_409: float
    ) -> None:
        delivery.attempts.append(attempt)
        self._counts["attempts"] += 1
        status = attempt["status"]
        if status is not None and 200 <= status < 300:
            self._finish(delivery, "delivered")
            return
        retries_done = len(delivery.attempts) - 1
        if delay is not None and retries_done < max_retries:
            wait = retry_409 if delay < 0 else delay
            heapq.heappush(self._heap, (time.monotonic() + wait, next(self._seq), delivery))
            return
        why = attempt["error"] or f"HTTP {status}"
        self._finish(delivery, "failed", why if delay is None else f"{why}; retries exhausted")


class _Poster:
    """POSTs over kept-alive connections, one per destination (each worker has its own).

    ``http.client`` rather than requests: a delivery costs about half as much, which matters
    when a benchmark makes the simulator send several webhooks per ticket event.
    """

    def __init__(self) -> None:
        self._conns: dict[tuple[str, str], http.client.HTTPConnection] = {}

    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, dict[str, str]]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        key = (parts.scheme, parts.netloc)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        for _ in range(2):
            conn = self._conns.get(key)
            reused = conn is not None
            if conn is None:
                factory = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
                conn = factory(parts.hostname, parts.port, timeout=timeout)
                self._conns[key] = conn
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            try:
                conn.request("POST", target, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._drop(key)
                if reused:  # the receiver closed an idle kept-alive connection: reconnect once
                    continue
                raise
            except BaseException:
                self._drop(key)
                raise
            if response.will_close:
                self._drop(key)
            return response.status, {k.lower(): v for k, v in response.getheaders()}
        raise ConnectionError("could not deliver")  # pragma: no cover - loop always returns or raises

    def _drop(self, key: tuple[str, str]) -> None:
        conn = self._conns.pop(key, None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for key in list(self._conns):
            self._drop(key)


def _retry_after(value: str | None) -> float | None:
    """Zendesk retries a 429/503 only when Retry-After says under 60 s."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds < MAX_RETRY_AFTER else None


def _full_type(name: str) -> str:
    return name if name.startswith("zen:event-type:") else f"zen:event-type:{name}"
