"""How requests reach Zendesk: credentials, the HTTP session under zenpy, and retries.

The session is where every call is bounded (timeouts), checked against the circuit breaker,
charged to the shared budget, counted, and where a 429 becomes :class:`RateLimited` before
zenpy 2.0.57 can sleep on it in the worker's thread. ``ZENDESK_API_URL`` points it at any base
URL (the local simulator, tests).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from middleware.zendesk import json_guard
from middleware.zendesk.breaker import CircuitBreaker
from middleware.zendesk.budget import CallBudget
from middleware.zendesk.errors import RateLimited, TransientError, ZendeskError, ZendeskUnavailable

T = TypeVar("T")


@dataclass(frozen=True)
class Credentials:
    """Where and who: read from the environment, never from config.yaml."""

    subdomain: str
    email: str | None
    token: str | None
    oauth_token: str | None
    api_url: str | None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Credentials:
        env = dict(os.environ) if env is None else env
        api_url = (env.get("ZENDESK_API_URL") or "").rstrip("/") or None
        subdomain = env.get("ZENDESK_SUBDOMAIN") or ("local" if api_url else "")
        if not subdomain:
            raise ZendeskError("ZENDESK_SUBDOMAIN (or ZENDESK_API_URL) is not set")
        token, oauth = env.get("ZENDESK_API_TOKEN"), env.get("ZENDESK_OAUTH_TOKEN")
        if not token and not oauth:
            raise ZendeskError("ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN is not set")
        email = env.get("ZENDESK_EMAIL")
        if token and not email:
            raise ZendeskError("ZENDESK_EMAIL is required with ZENDESK_API_TOKEN")
        return cls(subdomain, email, token, oauth, api_url)

    @property
    def base_url(self) -> str:
        return self.api_url or f"https://{self.subdomain}.zendesk.com"


class Session(requests.Session):
    """zenpy's HTTP session: rewrites the base URL, applies timeouts, breaker, budget and
    metrics, and turns 429 into :class:`RateLimited` before zenpy can sleep on it."""

    def __init__(self, creds: Credentials, timeout: tuple[float, float], budget: CallBudget | None,
                 counter: Callable[[str, str], None] | None, breaker: CircuitBreaker | None = None) -> None:
        super().__init__()
        self._target = urlsplit(creds.base_url) if creds.api_url else None
        self._timeout = timeout
        self._budget = budget
        self._counter = counter
        self._breaker = breaker
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        method_s = method.decode() if isinstance(method, bytes) else str(method)
        url_s = original = url.decode() if isinstance(url, bytes) else str(url)
        if self._target is not None:
            parts = urlsplit(url_s)
            url_s = urlunsplit((self._target.scheme, self._target.netloc,
                                self._target.path.rstrip("/") + parts.path, parts.query, parts.fragment))
        kwargs["timeout"] = self._timeout
        if self._breaker is not None:
            wait = self._breaker.wait_seconds()  # checked first: no budget spent while Zendesk is down
            if wait > 0:
                raise ZendeskUnavailable(wait)
        if self._budget is not None:
            try:
                self._budget.take(method_s, urlsplit(original).path, kwargs.get("json"), kwargs.get("params"))
            except RateLimited:
                if self._breaker is not None:
                    self._breaker.release_probe()  # a probe that does not go: the next caller probes
                raise
        kind = "read" if method_s.upper() == "GET" else "write"
        try:
            response = super().request(method_s, url_s, *args, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            self._unavailable_if_open(exc)
            raise TransientError(f"{method_s} {urlsplit(url_s).path}: {type(exc).__name__}") from exc
        finally:
            if self._counter is not None:
                self._counter(kind, method_s.upper())
        if original != url_s:
            # zenpy picks its response handler by matching the Zendesk host in the URL.
            response.request = response.request.copy()
            response.request.url = original
        if response.status_code >= 500:
            error = TransientError(f"{method_s} {urlsplit(url_s).path}: HTTP {response.status_code}")
            self._unavailable_if_open(error)
            raise error
        if self._breaker is not None:
            self._breaker.succeeded()
        if response.status_code == 429:
            raise RateLimited(_retry_after(response), source="zendesk")
        # Lone surrogates in what Zendesk returns become U+FFFD before anything parses it, as
        # they do in webhooks: text that cannot be encoded would crash the job that reads it.
        response._content = json_guard.clean_bytes(response.content)
        return response

    def _unavailable_if_open(self, cause: Exception) -> None:
        """Count a failed attempt; if it opened the breaker, say so instead of retrying."""
        if self._breaker is None:
            return
        wait = self._breaker.failed()
        if wait > 0:
            raise ZendeskUnavailable(wait) from cause


def _retry_after(response: requests.Response) -> float:
    try:
        return float(response.headers.get("Retry-After", "60"))
    except ValueError:
        return 60.0


def retrying(fn: Callable[[], T]) -> T:
    """Retry a repeatable call on transient failures: 3 tries, ~0.5 s then ~1 s apart."""
    wrapped = retry(
        retry=retry_if_exception_type(TransientError),
        stop=stop_after_attempt(3),
        wait=wait_exponential_jitter(multiplier=0.5, max=4, jitter=0.25),
        reraise=True,
    )(fn)
    return wrapped()
