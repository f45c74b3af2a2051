"""A small asyncio HTTP/1.1 load generator, run as its own process (``python -m bench.loadgen``).

Why our own: the open-loop latency test needs requests sent on a fixed schedule with latency
measured from the *scheduled* time (so a stalled server is not hidden by a client that waits
for it, "coordinated omission"), and the storm needs the status of every single request to
check that none was lost. wrk does neither; it is used for raw throughput only.

It reads pre-signed raw requests (``bench/payloads.py``), opens one connection per request
(gunicorn's sync worker closes every connection after its response, as a Zendesk delivery
would reconnect), and prints one JSON object on stdout.

Modes:
  closed --concurrency C --duration S   C clients back to back: the server's maximum rate
  open   --rate R --duration S          R requests/s on a fixed schedule: latency at a load
  storm  --concurrency C [--count N]    every request in the file, as fast as C clients can
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.payloads import read_requests

TIMEOUT_S = 10.0  # Zendesk gives up after about 10 s: slower counts as failed


class _Exchange(asyncio.Protocol):
    """One request on one fresh connection; resolves to the status code once the whole
    response (headers and Content-Length body) is in."""

    def __init__(self, request: bytes, done: asyncio.Future[int]) -> None:
        self.request = request
        self.done = done
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self.request)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        status = self._complete()
        if status is not None and not self.done.done():
            self.done.set_result(status)
            assert self.transport is not None
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            status = self._complete(eof=True)
            if status is not None:
                self.done.set_result(status)
            else:
                self.done.set_exception(ConnectionError("connection closed before a full response"))

    def _complete(self, eof: bool = False) -> int | None:
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self.buf[:end]).decode("latin-1")
        lines = head.split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if length is None:
            return status if eof else None
        return status if len(self.buf) - end - 4 >= length else None


async def fetch(host: str, port: int, request: bytes, timeout: float = TIMEOUT_S) -> int:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[int] = loop.create_future()
    transport = None
    try:
        async with asyncio.timeout(timeout):
            transport, _ = await loop.create_connection(lambda: _Exchange(request, done), host, port)
            return await done
    finally:
        if transport is not None:
            transport.close()


def _latency_summary(values: list[float]) -> dict[str, float | int]:
    data = sorted(values)
    if not data:
        return {"count": 0}

    def pct(p: float) -> float:
        rank = max(1, -(-len(data) * p // 100))
        return round(data[int(min(rank, len(data))) - 1] * 1000, 2)

    return {"count": len(data), "p50": pct(50), "p90": pct(90), "p99": pct(99), "p999": pct(99.9),
            "max": round(data[-1] * 1000, 2), "mean": round(sum(data) / len(data) * 1000, 2)}


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    return type(exc).__name__


async def closed_loop(host: str, port: int, requests: list[bytes], concurrency: int, duration: float) -> dict[str, Any]:
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    next_index = 0
    deadline = time.monotonic() + duration

    async def client() -> None:
        nonlocal next_index
        while time.monotonic() < deadline and next_index < len(requests):
            request = requests[next_index]
            next_index += 1
            started = time.monotonic()
            try:
                statuses[str(await fetch(host, port, request))] += 1
                latencies.append(time.monotonic() - started)
            except Exception as exc:
                statuses[_error_kind(exc)] += 1

    began = time.monotonic()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.monotonic() - began
    done = sum(statuses.values())
    return {"mode": "closed", "concurrency": concurrency, "sent": done, "elapsed_s": round(elapsed, 3),
            "throughput": round(done / elapsed, 1), "statuses": dict(statuses),
            "exhausted": next_index >= len(requests), "latency_ms": _latency_summary(latencies)}


async def open_loop(host: str, port: int, requests: list[bytes], rate: float, duration: float) -> dict[str, Any]:
    """Send request i at t0 + i/rate whatever happened to the earlier ones; latency counts
    from that scheduled moment, so time a request spent waiting for the client is included."""
    count = min(len(requests), int(rate * duration))
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    send_lag: list[float] = []
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.05

    async def one(i: int, scheduled: float) -> None:
        send_lag.append(max(0.0, loop.time() - scheduled))
        try:
            statuses[str(await fetch(host, port, requests[i]))] += 1
            latencies.append(loop.time() - scheduled)
        except Exception as exc:
            statuses[_error_kind(exc)] += 1

    tasks = []
    last_send = t0
    for i in range(count):
        scheduled = t0 + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, scheduled)))
        last_send = loop.time()
    await asyncio.gather(*tasks)
    elapsed = loop.time() - t0
    return {"mode": "open", "rate": rate, "sent": count, "elapsed_s": round(elapsed, 3),
            "achieved_rate": round(count / max(last_send - t0 + 1 / rate, 1e-9), 1), "statuses": dict(statuses),
            "latency_ms": _latency_summary(latencies), "client_send_lag_ms": _latency_summary(send_lag)}


async def storm(host: str, port: int, requests: list[bytes], concurrency: int) -> dict[str, Any]:
    """Every request once, ``concurrency`` at a time; the status of each is reported (by
    position) so the caller can check each accepted event in Redis."""
    results: list[int | str] = [""] * len(requests)
    latencies: list[float] = []
    next_index = 0

    async def client() -> None:
        nonlocal next_index
        while next_index < len(requests):
            i = next_index
            next_index += 1
            started = time.monotonic()
            try:
                results[i] = await fetch(host, port, requests[i])
                latencies.append(time.monotonic() - started)
            except Exception as exc:
                results[i] = _error_kind(exc)

    began = time.monotonic()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.monotonic() - began
    statuses = Counter(str(r) for r in results)
    return {"mode": "storm", "concurrency": concurrency, "sent": len(requests), "elapsed_s": round(elapsed, 3),
            "throughput": round(len(requests) / elapsed, 1), "statuses": dict(statuses),
            "latency_ms": _latency_summary(latencies), "results": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("closed", "open", "storm"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--requests", type=Path, required=True, help="file written by bench.payloads")
    parser.add_argument("--skip", type=int, default=0, help="start at this request (earlier ones were used)")
    parser.add_argument("--count", type=int, default=None, help="use at most this many requests")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the load generator only talks to this machine")
    requests = read_requests(args.requests)[args.skip :]
    if args.count is not None:
        requests = requests[: args.count]
    if args.mode == "closed":
        result = asyncio.run(closed_loop(args.host, args.port, requests, args.concurrency, args.duration))
    elif args.mode == "open":
        result = asyncio.run(open_loop(args.host, args.port, requests, args.rate, args.duration))
    else:
        result = asyncio.run(storm(args.host, args.port, requests, args.concurrency))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
