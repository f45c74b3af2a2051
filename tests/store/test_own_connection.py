"""The receiver's own Redis connection (``middleware.store.own_connection``) answers as the
client would: the same replies and errors, a new connection after the server closed the old one,
after a fork and in another thread, and every command still on the wire once."""

from __future__ import annotations

import os
import threading
from typing import Any, ClassVar

import pytest
from redis import Redis
from redis.connection import Connection
from redis.exceptions import ConnectionError, NoScriptError, ResponseError, TimeoutError

from middleware.local.localredis import free_port
from middleware.store.connection import connect
from middleware.store.own_connection import OwnConnection, command_caller
from tests.conftest import HungRedis


class WireCount(Connection):
    """Counts the commands each connection sends, by name, as they go on the wire."""

    sent: ClassVar[list[str]] = []

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        data = command if isinstance(command, bytes) else b"".join(command)
        self.sent.append(data.split(b"\r\n")[2].decode())
        super().send_packed_command(command, check_health)


def test_a_plain_client_gets_its_own_connection_and_anything_else_keeps_execute_command(redis_url: str) -> None:
    plain = Redis.from_url(redis_url)
    assert isinstance(getattr(command_caller(plain), "__self__", None), OwnConnection)

    class Overriding(Redis):
        def execute_command(self, *args: Any, **options: Any) -> Any:
            return super().execute_command(*args, **options)

    overriding = Overriding.from_url(redis_url)
    assert command_caller(overriding) == overriding.execute_command
    single = Redis.from_url(redis_url, single_connection_client=True)
    assert command_caller(single) == single.execute_command
    single.close()


def test_replies_and_error_replies_are_the_clients(redis: Redis) -> None:
    call = OwnConnection(redis).call
    sha = redis.script_load("return {1, ARGV[1], KEYS[1]}")
    assert call("EVALSHA", sha, 1, "k", b"\x80bytes") == redis.execute_command("EVALSHA", sha, 1, "k", b"\x80bytes")
    with pytest.raises(NoScriptError):
        call("EVALSHA", "0" * 40, 0)
    assert call("EVALSHA", sha, 1, "k", "again")[1] == b"again"  # an error reply leaves it usable
    with pytest.raises(ResponseError):
        call("NOSUCHCOMMAND")
    assert call("SET", "a", "1") == b"OK"  # the raw reply: no response callback


def test_a_connection_the_server_closed_is_replaced_and_the_command_runs_once(redis_url: str, redis: Redis) -> None:
    WireCount.sent.clear()
    own = OwnConnection(Redis.from_url(redis_url, connection_class=WireCount))
    assert own.call("INCR", "n") == 1
    own.call("CLIENT", "SETNAME", "own-connection-test")
    killed = [c["id"] for c in redis.client_list() if c.get("name") == "own-connection-test"]
    assert len(killed) == 1
    redis.client_kill_filter(_id=killed[0])  # a Redis restart, or its idle timeout, does the same
    assert own.call("INCR", "n") == 2  # on a new connection, run once
    assert int(redis.get("n")) == 2
    assert WireCount.sent.count("INCR") == 3  # the second was sent on the closed socket, then again
    assert not [c for c in redis.client_list() if c.get("name") == "own-connection-test"]


def test_redis_down_or_stalled_raises_the_clients_errors_without_retrying() -> None:
    with pytest.raises(ConnectionError):
        OwnConnection(connect(f"redis://127.0.0.1:{free_port()}/0", for_web=True)).call("GET", "k")
    hung = HungRedis()
    try:
        with pytest.raises(TimeoutError):
            OwnConnection(connect(hung.url, for_web=True)).call("GET", "k")
        assert hung.connections == 1  # waited on once
    finally:
        hung.close()


def test_a_forked_child_and_another_thread_each_get_a_connection_of_their_own(redis_url: str, redis: Redis) -> None:
    own = OwnConnection(Redis.from_url(redis_url))
    own.call("CLIENT", "SETNAME", "parent")
    pid = os.fork()
    if pid == 0:  # the child: its own connection, named by the server as new
        try:
            name = own.call("CLIENT", "GETNAME")
            own.call("SET", "child-saw", name or b"(none)")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert redis.get("child-saw") == b"(none)"
    assert own.call("CLIENT", "GETNAME") == b"parent"  # the parent's socket untouched by the child
    seen: list[Any] = []
    thread = threading.Thread(target=lambda: seen.append(own.call("CLIENT", "GETNAME")))
    thread.start()
    thread.join()
    assert seen == [None]
    assert own.call("CLIENT", "GETNAME") == b"parent"
