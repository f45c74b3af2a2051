"""One command on a connection the caller keeps for itself, without redis-py's per-command
machinery: what the receiver's one ``EVALSHA`` per webhook is sent on.

Why: ``Redis.execute_command`` wraps every command in work that is not the command. It takes a
connection from the pool and gives it back (a lock, a ``poll`` of the socket to check it holds
no stray data, four metric counters, an event dispatch), packs the arguments through a Python
generator before hiredis sees them, runs the call through a retry object and a lambda, and
records its duration. Counted in instructions (callgrind, docs/benchmarks.md, seventh round)
that was 209k of the receiver's 908k per webhook, of which the script's own packing, sending
and reading are a small part; the floor's one ``SET`` pays the same overhead.

What is kept, exactly as redis-py does it, because ``Connection`` does it itself: connecting
(lazily, with the client's URL, timeouts, TLS, credentials and protocol: the connection is
built by the pool's own class from the pool's own settings), the periodic health check, the
socket timeouts, and on any failure (timeout, reset, an interrupted read) closing the
connection and raising redis-py's ``ConnectionError``/``TimeoutError`` (both ``RedisError``: the
receiver answers 503), so the next call reconnects. An error reply (``NOSCRIPT``) is raised as
redis-py raises it and leaves the connection usable. The web's client retries nothing
(``middleware.store.connection.connect``: 0 retries), and neither does this, but for the one
case the pool's check before each command covered (:meth:`OwnConnection.call`).

Why the connection holds no stray data without that check: every command's reply is read in
full before the next is sent, and any failure closes the connection.

One connection per process and thread: it is rebuilt after a fork (a gunicorn worker never
shares its master's socket), and each thread has its own (gunicorn's sync workers serve one
request at a time; with ``--threads`` two requests never share a socket). Anything but a plain
client on a plain pool (a subclass overriding ``execute_command``, a sentinel or caching pool, a
single-connection client) keeps ``execute_command``: :func:`command_caller`.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.connection import BlockingConnectionPool, ConnectionPool
from redis.exceptions import ConnectionError

try:
    from hiredis import pack_command as _hiredis_pack
except ImportError:  # pragma: no cover - hiredis is in requirements.txt
    _hiredis_pack = None

__all__ = ["OwnConnection", "command_caller"]


class OwnConnection:
    """Connections of the client's pool's kind and settings, one per process and thread,
    owned by one caller."""

    def __init__(self, client: Redis) -> None:
        pool = client.connection_pool
        self._make: Callable[[], Any] = lambda: pool.connection_class(**pool.connection_kwargs)
        self._local = threading.local()
        me = weakref.ref(self)
        # A forked child forgets the parent's connections (never uses nor shuts their sockets:
        # redis-py only closes its copy of the descriptor there); checked once per fork rather
        # than by ``os.getpid()``, a system call, on every command.
        os.register_at_fork(after_in_child=lambda: _forget(me()))

    def _current(self) -> Any:
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is None:  # first use in this thread (of this process)
            connection = local.connection = self._make()
        return connection

    def call(self, *args: Any) -> Any:
        """Send one command and return its reply (redis-py's parsed reply, without a response
        callback: for ``EVALSHA`` what ``execute_command`` returns). Raises what it would raise.

        A connection the server closed while it sat idle (Redis restarted, its idle ``timeout``,
        ``CLIENT KILL``) is found when the command fails on it with ``ConnectionError``; the
        command is then sent once more on a new connection. That is what the pool's check
        before every command (a ``poll`` of the socket) gave, paid only when it happens: the
        server never read a command sent on a socket it had closed. A timeout is not retried."""
        connection = self._current()
        packed = [_hiredis_pack(args)] if _hiredis_pack is not None else connection.pack_command(*args)
        reused = connection.is_connected
        try:
            return self._round_trip(connection, packed)
        except ConnectionError:
            if not reused:
                raise
            return self._round_trip(connection, packed)  # closed by the failure: reconnects

    @staticmethod
    def _round_trip(connection: Any, packed: list[bytes]) -> Any:
        connection.send_packed_command(packed)  # connects, health-checks; closes on failure
        try:
            return connection.read_response()  # closes on failure; raises an error reply
        finally:
            if connection.should_reconnect():  # a server's maintenance notice, as the client checks it
                connection.disconnect()

    def close(self) -> None:
        """Close this thread's connection (tests; a process's connection otherwise lives as long as it)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.disconnect()
        self._local.connection = None


def _forget(own: OwnConnection | None) -> None:
    if own is not None:
        own._local = threading.local()


def command_caller(client: Any) -> Callable[..., Any]:
    """``OwnConnection(client).call`` for a plain redis-py client on a plain pool; the client's
    own ``execute_command`` for anything else, which then sees every command as before."""
    plain = (
        isinstance(client, Redis)
        and type(client).execute_command is Redis.execute_command
        and type(client.connection_pool) in (ConnectionPool, BlockingConnectionPool)
        and client.connection_pool.cache is None
        and not client._single_connection_client
    )
    return OwnConnection(client).call if plain else client.execute_command
