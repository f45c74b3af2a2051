"""Fixtures shared by the end-to-end tests (helpers are in :mod:`tests.e2e.support`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from middleware.local.simulator import SimulatorControl
from middleware.local.stack import Stack
from tests.e2e.support import Sink


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    """A running alert sink, one per test file (a module-scoped stack may be configured with it)."""
    s = Sink()
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def sim(stack: Stack) -> Iterator[SimulatorControl]:
    """The simulator of the test file's module-scoped ``stack``, webhooks on before and after the
    test (a test may pause them to deliver an event itself)."""
    control = SimulatorControl(stack.simulator_url)
    control.resume_webhooks()
    yield control
    control.resume_webhooks()
    control.close()
