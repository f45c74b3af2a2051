"""Shared fixtures: a real Redis (the one on REDIS_URL, else a private one), one DB per use.

Tests never share data: unit and integration tests use database ``TEST_REDIS_DB`` (default 9),
flushed before each test, and every test gets its own key prefix as well. They share compiled
rules: ``load_config`` compiles each rules document once per test session (see
``rules_compiled_once``).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from middleware.config import loader
from middleware.local.localredis import answers, start_private_redis, with_db
from rules import RuleSet, compile_rules

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "zendesk-samples"
LOCAL_SAMPLES = Path(__file__).resolve().parent / "samples"


@pytest.fixture(scope="session", autouse=True)
def rules_compiled_once() -> Iterator[None]:
    """``load_config`` compiles each rules document once per test session. Most tests load the
    shipped config, and compiling its rules (the text and category models) takes most of a
    second; hundreds of loads did it again for the same document. A ``RuleSet`` is immutable
    (``evaluate`` is pure), so the tests share it; the document is still read, merged and handed
    to ``compile_rules`` by the loader as in production, a document that does not compile
    raises every time, and ``tests/rules`` call ``rules.compile_rules`` itself. Processes the
    tests start (the end-to-end stack, CLI subprocesses) compile for themselves."""
    compiled: dict[bytes, RuleSet] = {}

    def compile_once(document: Any) -> RuleSet:
        try:  # the same bytes only for the same document: equal values of the same types
            key = hashlib.sha256(pickle.dumps(document, protocol=5)).digest()
        except (pickle.PicklingError, TypeError, AttributeError):
            return compile_rules(document)
        if key not in compiled:
            compiled[key] = compile_rules(document)
        return compiled[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "compile_rules", compile_once)
        yield


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
