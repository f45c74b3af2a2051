"""What a stage did that the stages after it must hear about, handed to the pipeline.

A stage does not call the stages that follow it: that once made them import each other in a
circle (triage → declare → correlate → declare, alerts → triage …). It says what happened here
(an incident declared or overridden, tickets linked to one, a ticket changed outside a webhook)
and the pipeline (``jobs.pipeline``), which opened the route for the job, runs the stages listed
for it, there and then, so the order of work is what a direct call would give and nothing a
stage did is lost if it fails later.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

from jobs.runtime import Runtime
from middleware.store.incidents import Incident
from rules.model import TicketEvent

__all__ = ["Route", "changed", "declared", "linked", "overridden", "routed_by"]


class Route(Protocol):
    """Where each kind of news goes: the pipeline's lists of stages."""

    def declared(self, rt: Runtime, incident: Incident, event: TicketEvent) -> None: ...

    def overridden(self, rt: Runtime, incident: Incident, event: TicketEvent) -> None: ...

    def linked(self, rt: Runtime, incident: Incident, ticket_ids: Iterable[int]) -> None: ...

    def changed(self, rt: Runtime, event: TicketEvent) -> None: ...


_ROUTE: ContextVar[Route | None] = ContextVar("route", default=None)


@contextmanager
def routed_by(route: Route) -> Iterator[None]:
    """What stages say inside this block goes to ``route`` (the pipeline opens it per job)."""
    token = _ROUTE.set(route)
    try:
        yield
    finally:
        _ROUTE.reset(token)


def _route() -> Route:
    route = _ROUTE.get()
    if route is None:
        raise RuntimeError("a stage reported what happened outside the pipeline: run it through jobs.pipeline")
    return route


def declared(rt: Runtime, incident: Incident, event: TicketEvent) -> None:
    """A new critical incident was recorded (exactly once per incident)."""
    _route().declared(rt, incident, event)


def overridden(rt: Runtime, incident: Incident, event: TicketEvent) -> None:
    """An agent said the incident is not critical."""
    _route().overridden(rt, incident, event)


def linked(rt: Runtime, incident: Incident, ticket_ids: Iterable[int]) -> None:
    """Tickets joined a running incident (multi-customer correlation)."""
    _route().linked(rt, incident, ticket_ids)


def changed(rt: Runtime, event: TicketEvent) -> None:
    """We changed a ticket outside a webhook (the intake's ticket): the stages after triage see it."""
    _route().changed(rt, event)
