"""Fault injection, Zendesk's per-minute rate limit, and the API request log.

The middleware's resilience (429 → reschedule with Retry-After, 5xx → retry with backoff, slow
calls → timeouts) can only be tested against a Zendesk that misbehaves on demand:

* a *rule* answers matching API calls with a status (429, 503, ...), optional ``Retry-After``,
  optional extra latency, for the next ``count`` matches (or forever); with ``after`` the call
  is carried out first and only its answer is replaced (a write whose response was lost);
* the *rate limit* counts calls per fixed one-minute window and answers 429 with the seconds
  left in the window as ``Retry-After`` once the limit is exceeded, like Zendesk, and reports
  ``X-Rate-Limit``/``X-Rate-Limit-Remaining`` on every answer;
* the *endpoint limits* Zendesk documents besides it (``middleware.zendesk.limits``): ticket
  updates per minute per account, updates per ticket per user in 10 minutes (a bulk update
  counts each ticket it names), incremental exports per minute; each a sliding window, past
  which the call gets 429 with ``Retry-After`` the seconds until its window frees;
* the *request log* records each API call (method, path, status, calling user) and keeps
  read/write counts, so tests and benchmarks can assert how many calls an event cost.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from middleware.local.simulator.store.errors import ApiError
from middleware.zendesk.limits import TICKET_WINDOW_SECONDS, Limits, windows_for

ERROR_BODIES: dict[int, dict[str, str]] = {
    429: {"error": "APIRateLimitExceeded", "description": "Number of allowed API requests per minute exceeded"},
    500: {"error": "InternalServerError", "description": "Something went wrong on our end"},
    502: {"error": "BadGateway", "description": "Bad gateway"},
    503: {"error": "ServiceUnavailable", "description": "Zendesk is temporarily unavailable"},
    504: {"error": "GatewayTimeout", "description": "Gateway timeout"},
}


@dataclass
class FaultRule:
    """Answer matching calls with ``status`` (and/or delay them) for the next ``count`` matches."""

    id: int
    status: int | None = None
    retry_after: float | None = None
    count: int | None = None  # None: until cleared
    path_regex: re.Pattern[str] | None = None
    method: str | None = None
    latency_ms: float = 0.0
    body: dict[str, Any] | None = None
    after: bool = False  # apply the call, then answer with ``status`` (the answer is lost)
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.path_regex is None or self.path_regex.search(path) is not None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "retry_after": self.retry_after,
            "count": self.count,
            "path_regex": self.path_regex.pattern if self.path_regex is not None else None,
            "method": self.method,
            "latency_ms": self.latency_ms,
            "after": self.after,
            "hits": self.hits,
        }


def _header_seconds(value: float) -> str:
    """Retry-After as whole seconds (zenpy does ``int(header)``)."""
    return str(max(0, math.ceil(value)))


class FaultInjector:
    """Rules and the rate limit, consulted before every API call."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.rules: list[FaultRule] = []
        self.rate_limit_per_minute: int | None = None
        self._window_start = 0.0
        self._window_count = 0
        self.endpoint_limits: Limits | None = None
        self._endpoint_calls: dict[tuple[str, ...], deque[float]] = {}

    def reset(self) -> None:
        with self._lock:
            self.rules.clear()
            self.rate_limit_per_minute = None
            self._window_count = 0
            self.endpoint_limits = None
            self._endpoint_calls.clear()

    def set_endpoint_limits(self, spec: dict[str, Any] | None) -> dict[str, Any] | None:
        """Enforce Zendesk's endpoint limits (``{"ticket_updates_per_minute": 100,
        "ticket_updates_per_ticket": 30, "incremental_exports_per_minute": 10}``, missing keys
        take Zendesk's figures; None turns them off)."""
        with self._lock:
            self._endpoint_calls.clear()
            if spec is None:
                self.endpoint_limits = None
                return None
            known = {"ticket_updates_per_minute", "ticket_updates_per_ticket", "incremental_exports_per_minute"}
            unknown = set(spec) - known
            if unknown:
                raise ValueError(f"unknown endpoint limit(s): {', '.join(sorted(unknown))}")
            self.endpoint_limits = Limits(**{k: int(v) for k, v in spec.items()})
            return self._endpoint_public()

    def _endpoint_public(self) -> dict[str, Any] | None:
        lim = self.endpoint_limits
        if lim is None:
            return None
        return {"ticket_updates_per_minute": lim.ticket_updates_per_minute,
                "ticket_updates_per_ticket": lim.ticket_updates_per_ticket,
                "incremental_exports_per_minute": lim.incremental_exports_per_minute}

    def _endpoint_refusal(self, method: str, path: str, body: Any, user: Any, now: float) -> float | None:
        """Seconds until the call's fullest endpoint window frees, or None (then counted)."""
        assert self.endpoint_limits is not None
        windows = [w for w in windows_for(self.endpoint_limits, method, path, body) if w.key != ("calls",)]
        worst = 0.0
        for w in windows:
            seconds = TICKET_WINDOW_SECONDS if w.key[0] == "ticket" else 60.0  # Zendesk's own windows
            key = (*w.key, str(user)) if w.key[0] == "ticket" else w.key  # per user per ticket
            calls = self._endpoint_calls.setdefault(key, deque())
            while calls and calls[0] <= now - seconds:
                calls.popleft()
            if len(calls) + w.cost > w.limit:
                worst = max(worst, calls[min(len(calls) - 1, len(calls) + w.cost - 1 - w.limit)] + seconds - now)
        if worst > 0:
            return worst
        for w in windows:
            key = (*w.key, str(user)) if w.key[0] == "ticket" else w.key
            self._endpoint_calls[key].extend([now] * w.cost)
        return None

    def add(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Add one rule, or set ``rate_limit_per_minute`` or ``endpoint_limits`` (null turns
        them off)."""
        if "endpoint_limits" in spec:
            spec = dict(spec)
            limits = self.set_endpoint_limits(spec.pop("endpoint_limits"))
            if not spec:
                return {"endpoint_limits": limits}
        with self._lock:
            if "rate_limit_per_minute" in spec:
                limit = spec["rate_limit_per_minute"]
                self.rate_limit_per_minute = None if limit in (None, 0) else int(limit)
                self._window_start, self._window_count = self.clock(), 0
                if set(spec) == {"rate_limit_per_minute"}:
                    return {"rate_limit_per_minute": self.rate_limit_per_minute}
            status = spec.get("status")
            latency = float(spec.get("latency_ms") or 0)
            if status is None and not latency:
                raise ValueError("a fault needs a status and/or latency_ms")
            if status is not None and not 400 <= int(status) <= 599:
                raise ValueError("status must be a 4xx or 5xx code")
            pattern = spec.get("path_regex")
            rule = FaultRule(
                id=next(self._ids),
                status=int(status) if status is not None else None,
                retry_after=float(spec["retry_after"]) if spec.get("retry_after") is not None else None,
                count=int(spec["count"]) if spec.get("count") is not None else None,
                path_regex=re.compile(pattern) if pattern else None,
                method=str(spec["method"]).upper() if spec.get("method") else None,
                latency_ms=latency,
                body=spec.get("body"),
                after=bool(spec.get("after")),
            )
            if rule.after and rule.status is None:
                raise ValueError("an 'after' fault needs a status")
            self.rules.append(rule)
            return rule.public()

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def public(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rules": [r.public() for r in self.rules],
                "rate_limit_per_minute": self.rate_limit_per_minute,
                "window_count": self._window_count,
                "endpoint_limits": self._endpoint_public(),
            }

    def check(self, method: str, path: str, body: Any = None,
              user: Any = None) -> tuple[float, ApiError | None, dict[str, str]]:
        """(seconds to delay, error to answer instead or None, rate-limit headers)."""
        delay = 0.0
        headers: dict[str, str] = {}
        with self._lock:
            if self.endpoint_limits is not None:
                wait = self._endpoint_refusal(method, path, body, user, self.clock())
                if wait is not None:
                    headers = {"Retry-After": _header_seconds(max(wait, 1))}
                    error = dict(ERROR_BODIES[429])
                    error["description"] = "Endpoint rate limit exceeded"
                    return 0.0, ApiError(429, error, headers), headers
            limit = self.rate_limit_per_minute
            if limit is not None:
                now = self.clock()
                if now - self._window_start >= 60:
                    self._window_start, self._window_count = now, 0
                self._window_count += 1
                headers["X-Rate-Limit"] = str(limit)
                headers["X-Rate-Limit-Remaining"] = str(max(0, limit - self._window_count))
                if self._window_count > limit:
                    wait = self._window_start + 60 - now
                    headers["Retry-After"] = _header_seconds(max(wait, 1))
                    return 0.0, ApiError(429, dict(ERROR_BODIES[429]), headers), headers
            for rule in self.rules:
                if rule.after or not rule.matches(method, path):
                    continue
                rule.hits += 1
                if rule.count is not None:
                    rule.count -= 1
                delay += rule.latency_ms / 1000.0
                if rule.status is not None:
                    body = rule.body or dict(ERROR_BODIES.get(rule.status, {"error": f"HTTP{rule.status}"}))
                    extra = dict(headers)
                    if rule.retry_after is not None:
                        extra["Retry-After"] = _header_seconds(rule.retry_after)
                    return delay, ApiError(rule.status, body, extra), headers
        return delay, None, headers


    def check_after(self, method: str, path: str, status: int) -> ApiError | None:
        """The error replacing the answer of a call that was carried out (an ``after`` rule);
        only successful calls are matched, so a refused write does not count."""
        if status >= 400:
            return None
        with self._lock:
            for rule in self.rules:
                if not rule.after or not rule.matches(method, path):
                    continue
                rule.hits += 1
                if rule.count is not None:
                    rule.count -= 1
                body = rule.body or dict(ERROR_BODIES.get(rule.status or 504, {"error": f"HTTP{rule.status}"}))
                return ApiError(rule.status or 504, body, {})
        return None


@dataclass
class RequestLog:
    """Every API call (bounded history) plus totals that survive the history bound."""

    history: int = 50000
    _entries: deque[dict[str, Any]] = field(init=False)
    _counts: Counter[str] = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._entries = deque(maxlen=self.history)
        self._counts = Counter()

    def record(self, entry: dict[str, Any]) -> None:
        kind = "reads" if entry["method"] in ("GET", "HEAD") else "writes"
        entry["kind"] = kind[:-1]
        with self._lock:
            self._entries.append(entry)
            self._counts["total"] += 1
            self._counts[kind] += 1
            self._counts[f"status_{entry['status']}"] += 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counts.clear()

    def report(self, limit: int | None = None) -> dict[str, Any]:
        with self._lock:
            entries = list(self._entries)
            counts = dict(self._counts)
        if limit is not None:
            entries = entries[-limit:]
        by_status = {k[len("status_") :]: v for k, v in counts.items() if k.startswith("status_")}
        return {
            "total": counts.get("total", 0),
            "reads": counts.get("reads", 0),
            "writes": counts.get("writes", 0),
            "by_status": by_status,
            "requests": entries,
        }
