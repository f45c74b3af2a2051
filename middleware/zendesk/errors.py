"""What can go wrong with a Zendesk call, as the jobs need to tell it apart.

A job reschedules itself on :class:`RateLimited` (and so on an outage, a kind of it), retries
on :class:`TransientError`, re-reads on :class:`Conflict` and handles :class:`Refused` once;
these types are the contract between the client and every job, whichever layer raised them.
"""

from __future__ import annotations

import requests


class ZendeskError(Exception):
    """A Zendesk call failed in a way the caller should know about."""


class RateLimited(ZendeskError):
    """Zendesk (or our own shared budget) says: not now, try after ``retry_after`` seconds."""

    def __init__(self, retry_after: float, source: str = "zendesk") -> None:
        self.retry_after = max(1.0, float(retry_after))
        self.source = source
        super().__init__(f"rate limited by {source}; retry after {self.retry_after:.0f} s")


class ZendeskUnavailable(RateLimited):
    """Zendesk is down (the shared circuit breaker is open): try again after ``retry_after``.

    A :class:`RateLimited`, so every job that reschedules itself on a 429 also waits out an
    outage that way, instead of spending its RQ retries (``middleware.zendesk.breaker``).
    """

    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after, source="breaker")


class TransientError(ZendeskError):
    """Connection trouble, a timeout or a 5xx: worth trying again later."""


class Conflict(ZendeskError):
    """A safe update was refused because the ticket changed since we read it (409)."""


class NotFound(ZendeskError):
    """The record does not exist (or we may not see it)."""


class Refused(ZendeskError):
    """Zendesk refused the request as invalid (400 or 422): a closed ticket ("closed prevents
    ticket update"), a field or value it does not accept. Not transient: the same request is
    refused again, so the caller handles it once instead of spending retries on it. ``reason``
    is Zendesk's own explanation (its validation messages name fields, never ticket text)."""

    def __init__(self, what: str, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"{what} refused by Zendesk: HTTP {status}" + (f": {reason}" if reason else ""))


REFUSED_STATUSES = frozenset({400, 422})



def refusal_reason(response: requests.Response | None, limit: int = 300) -> str:
    """Zendesk's words for a 400/422, e.g. ``Status: closed prevents ticket update``: the
    details' descriptions, else the error's description or title, else nothing."""
    try:
        data = response.json() if response is not None else None
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    found: list[str] = []
    details = data.get("details")
    if isinstance(details, dict):
        for problems in details.values():
            for problem in problems if isinstance(problems, list) else [problems]:
                text = problem.get("description") if isinstance(problem, dict) else problem
                if isinstance(text, str) and text.strip():
                    found.append(text.strip())
    error = data.get("error")
    if not found:
        for text in (data.get("description"), error.get("message") if isinstance(error, dict) else None,
                     error.get("title") if isinstance(error, dict) else error):
            if isinstance(text, str) and text.strip():
                found.append(text.strip())
                break
    return "; ".join(dict.fromkeys(found))[:limit]
