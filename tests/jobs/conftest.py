"""What the job tests that talk to Zendesk share: one simulator per test module (real HTTP, real
zenpy) and an :class:`~tests.lifecycle_support.Env` on the shipped config.

A module that needs other settings overrides ``config_sections`` (the sections of config.yaml to
replace), instead of writing the two fixtures out again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from middleware.local.simulator import SimulatorServer
from tests.lifecycle_support import Env, make_env


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer() as s:
        yield s


@pytest.fixture
def config_sections() -> dict[str, Any]:
    """The sections of the shipped config.yaml a module replaces (none by default)."""
    return {}


@pytest.fixture
def env(server, redis, tmp_path, key_prefix, config_sections) -> Iterator[Env]:
    yield from make_env(server, redis, tmp_path, key_prefix, **config_sections)
