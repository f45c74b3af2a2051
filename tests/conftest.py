"""Shared fixtures: a real Redis (the one on REDIS_URL, else a private one), one DB per use.

Tests never share data: unit and integration tests use database ``TEST_REDIS_DB`` (default 9),
flushed before each test, and every test gets its own key prefix as well.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from middleware.local.localredis import answers, start_private_redis, with_db

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


class HungRedis:
    """A TCP port that accepts connections and never answers: a stalled Redis (paused, swapping,
    behind a network black hole). ``connections`` counts the attempts to reach it."""

    def __init__(self) -> None:
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self.port: int = self._server.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def connections(self) -> int:
        return len(self._held)

    def _accept(self) -> None:
        self._server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                self._held.append(self._server.accept()[0])
            except OSError:
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self._held:
            conn.close()
        self._server.close()


@pytest.fixture
def hung_redis() -> Iterator[HungRedis]:
    server = HungRedis()
    try:
        yield server
    finally:
        server.close()
