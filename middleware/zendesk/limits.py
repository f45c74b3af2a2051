"""Zendesk's rate limits as Zendesk enforces them, and which of them a given API call spends.

Zendesk limits more than requests per minute per account: its endpoint limits (ticket updates
per account and per ticket, incremental exports) are reached by a critical-incident storm long
before the account-wide one. Each is a sliding window of its own in the shared budget
(``middleware.zendesk.budget``); this module only says which windows a call spends and how
much (:func:`windows_for`), with Zendesk's figures in :class:`Limits`. A share of each
account-wide window is kept for urgent work (:func:`lane`), so background writes never delay a
new critical flag.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

# Support and Help Center API requests per minute, per plan (Suite and Support names alike).
PLAN_REQUESTS_PER_MINUTE: dict[str, int] = {
    "essential": 10,
    "team": 200,
    "growth": 400,
    "professional": 400,
    "enterprise": 700,
    "enterprise_plus": 2500,
}
HIGH_VOLUME_REQUESTS_PER_MINUTE = 2500
HIGH_VOLUME_PLANS = frozenset({"growth", "professional", "enterprise", "enterprise_plus"})

TICKET_UPDATES_PER_MINUTE = 100
TICKET_UPDATES_PER_MINUTE_HIGH_VOLUME = 300
TICKET_UPDATES_PER_TICKET = 30  # per user per ticket, in TICKET_WINDOW_SECONDS
TICKET_WINDOW_SECONDS = 600.0
INCREMENTAL_EXPORTS_PER_MINUTE = 10
INCREMENTAL_EXPORTS_PER_MINUTE_HIGH_VOLUME = 30

DEFAULT_REQUESTS_PER_MINUTE = 400  # when neither a plan nor a figure is configured (as before plans)

SLACK_SECONDS = 0.5  # added to every window: the request's way to Zendesk after the slot is taken

URGENT = "urgent"  # flagging a new critical incident, its first alerts: the whole window
BACKGROUND = "background"  # everything else a worker does: the window less the urgent share
LANES = (URGENT, BACKGROUND)
DEFAULT_URGENT_SHARE = 0.25

_lane: ContextVar[str] = ContextVar("zendesk_lane", default=URGENT)


def current_lane() -> str:
    """The lane of the code running now (:data:`URGENT` unless a :func:`lane` says otherwise)."""
    return _lane.get()


@contextmanager
def lane(name: str) -> Iterator[None]:
    """Run the block's Zendesk calls in lane ``name`` (:data:`URGENT` or :data:`BACKGROUND`).

    A budget served first come, first served lets background writes delay a new critical flag
    (in the soak, minute-by-minute SLA reminders filled the ticket-updates window and held new
    flags back for minutes: docs/benchmarks.md). So a share of each account-wide window
    (requests and ticket updates per minute: ``urgent_share``, 25 % by default) is kept for urgent
    work, flagging a new critical incident and its first alerts; work in the background lane (SLA
    write-backs and reminders, customer messages, reviews, reports, reconcile sweeps, bulk links)
    may use only the rest. Which lane a call is in is the caller's context (this function): the
    worker sets it per job (``jobs.priority``); code outside a worker (a command a person typed)
    is in the urgent lane, as before lanes existed. The per-ticket and export windows have no
    reserve: a new flag is on a ticket of its own, and only the reconcile sweep exports.
    """
    if name not in LANES:
        raise ValueError(f"unknown lane {name!r} (known: {', '.join(LANES)})")
    token = _lane.set(name)
    try:
        yield
    finally:
        _lane.reset(token)


def reserved(limit: int, share: float) -> int:
    """Slots of an account-wide window kept for urgent work: ``share`` of it, rounded down, and
    never the whole window (background work always keeps at least one slot)."""
    return max(0, min(limit - 1, math.floor(limit * share)))


@dataclass(frozen=True)
class Limits:
    """The figures the budget enforces (all per account unless said), as Zendesk's API
    reference lists them ("Rate limits", developer.zendesk.com/api-reference/introduction/rate-limits):

    * **Update Ticket** (``PUT /api/v2/tickets/{id}``): 100 requests per minute per account
      (300 with the High Volume API add-on), and 30 updates per 10 minutes *per user per ticket*.
      Updates made by agents in Zendesk's own interface count against the per-account figure too.
    * **Incremental exports** (``/api/v2/incremental/...``): 10 requests per minute (30 with High
      Volume).
    * the account-wide figure depends on the plan: Team 200, Growth and Professional 400,
      Enterprise 700, Enterprise Plus 2,500; Support Essential (legacy) 10; the High Volume add-on
      (Growth/Professional and above) raises it to 2,500.

    A bulk update (``PUT /api/v2/tickets/update_many``) changes many tickets in one request; each
    ticket it names counts as one update, against both the per-account update window and the
    ticket's own window, so a busy multi-customer incident (a hundred linked tickets) cannot draw
    a 429 however Zendesk chooses to count it. Every window is half a second longer than
    Zendesk's (``SLACK_SECONDS``: the time between taking a slot and the request arriving).
    """

    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE
    ticket_updates_per_minute: int = TICKET_UPDATES_PER_MINUTE
    ticket_updates_per_ticket: int = TICKET_UPDATES_PER_TICKET  # per 10 minutes, our API user
    incremental_exports_per_minute: int = INCREMENTAL_EXPORTS_PER_MINUTE
    urgent_share: float = DEFAULT_URGENT_SHARE  # of the account-wide windows, kept for urgent work

    def in_lane(self, name: str) -> Limits:
        """The figures a call in lane ``name`` may use: all of them when urgent; in the
        background, the account-wide windows less their urgent share."""
        if name == URGENT:
            return self
        return replace(
            self,
            requests_per_minute=self.requests_per_minute - reserved(self.requests_per_minute, self.urgent_share),
            ticket_updates_per_minute=(self.ticket_updates_per_minute
                                       - reserved(self.ticket_updates_per_minute, self.urgent_share)),
        )

    @classmethod
    def for_plan(cls, plan: str | None, high_volume: bool = False) -> Limits:
        """Zendesk's documented figures for a plan (None: the product's historical defaults)."""
        if plan is None:
            rpm = HIGH_VOLUME_REQUESTS_PER_MINUTE if high_volume else DEFAULT_REQUESTS_PER_MINUTE
        else:
            rpm = HIGH_VOLUME_REQUESTS_PER_MINUTE if high_volume else PLAN_REQUESTS_PER_MINUTE[plan]
        return cls(
            requests_per_minute=rpm,
            ticket_updates_per_minute=(TICKET_UPDATES_PER_MINUTE_HIGH_VOLUME if high_volume
                                       else TICKET_UPDATES_PER_MINUTE),
            ticket_updates_per_ticket=TICKET_UPDATES_PER_TICKET,
            incremental_exports_per_minute=(INCREMENTAL_EXPORTS_PER_MINUTE_HIGH_VOLUME if high_volume
                                            else INCREMENTAL_EXPORTS_PER_MINUTE),
        )


@dataclass(frozen=True)
class Window:
    """One sliding window a call spends ``cost`` slots of: ``key`` names it in Redis."""

    key: tuple[str, ...]
    seconds: float
    limit: int
    cost: int = 1


_TICKET_UPDATE = re.compile(r"^/api/v2/tickets/(\d+)(?:\.json)?$")
_UPDATE_MANY = re.compile(r"^/api/v2/tickets/update_many(?:\.json)?$")
_INCREMENTAL = re.compile(r"^/api/v2/incremental/")


def bulk_ticket_ids(body: Any, query: Mapping[str, Any] | None = None) -> list[int]:
    """The tickets an ``update_many`` body (``{"tickets": [{"id": …}, …]}``) or its ``?ids=``
    names, each once."""
    ids: list[int] = []
    if isinstance(body, Mapping) and isinstance(body.get("tickets"), list):
        ids = [int(t["id"]) for t in body["tickets"] if isinstance(t, Mapping) and str(t.get("id", "")).isdigit()]
    elif query and query.get("ids"):
        raw = query["ids"]
        text = ",".join(raw) if isinstance(raw, (list, tuple)) else str(raw)
        ids = [int(x) for x in text.split(",") if x.strip().isdigit()]
    return list(dict.fromkeys(ids))


def windows_for(limits: Limits, method: str, path: str, body: Any = None,
                query: Mapping[str, Any] | None = None, lane: str = URGENT) -> list[Window]:
    """Every window a call spends: always the account's requests per minute, and for ticket
    updates and incremental exports their own windows as well; each with the limit the call's
    ``lane`` may use."""
    limits = limits.in_lane(lane)
    minute = 60.0 + SLACK_SECONDS
    ticket_window = TICKET_WINDOW_SECONDS + SLACK_SECONDS
    windows = [Window(("calls",), minute, limits.requests_per_minute)]
    method = method.upper()
    if method == "PUT":
        single = _TICKET_UPDATE.match(path)
        ids = [int(single.group(1))] if single else (bulk_ticket_ids(body, query) if _UPDATE_MANY.match(path) else [])
        if ids:
            windows.append(Window(("updates",), minute, limits.ticket_updates_per_minute, len(ids)))
            windows.extend(Window(("ticket", str(tid)), ticket_window, limits.ticket_updates_per_ticket) for tid in ids)
    elif method == "GET" and _INCREMENTAL.match(path):
        windows.append(Window(("export",), minute, limits.incremental_exports_per_minute))
    return windows


__all__ = [
    "BACKGROUND",
    "DEFAULT_URGENT_SHARE",
    "HIGH_VOLUME_PLANS",
    "LANES",
    "PLAN_REQUESTS_PER_MINUTE",
    "URGENT",
    "Limits",
    "Window",
    "bulk_ticket_ids",
    "current_lane",
    "lane",
    "reserved",
    "windows_for",
]
