"""Shared fixtures: a real Redis (the one on REDIS_URL, else a private one), one DB per use.

Tests never share data: unit and integration tests use database ``TEST_REDIS_DB`` (default 9),
flushed before each test, and every test gets its own key prefix as well.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from middleware.localredis import answers, start_private_redis, with_db

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "zendesk-samples"
LOCAL_SAMPLES = Path(__file__).resolve().parent / "samples"


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """The Redis server for this test session: REDIS_URL if it answers, else a private one."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    if answers(url):
        yield url
        return
    private = start_private_redis()
    try:
        yield private.url
    finally:
        private.stop()


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    return with_db(redis_server_url, int(os.environ.get("TEST_REDIS_DB", "9")))


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    conn = Redis.from_url(redis_url)
    conn.flushdb()
    try:
        yield conn
    finally:
        conn.flushdb()
        conn.close()


@pytest.fixture
def key_prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


def sample_path(name: str) -> Path:
    """Zendesk samples live in ../shared; a copy in tests/samples keeps CI independent of it."""
    local = LOCAL_SAMPLES / name
    return local if local.exists() else SAMPLES / name
