"""What each part of the webhook costs, in instructions, independent of the machine's load.

Why: on the shared 2-core box the receiver's CPU per request moves by a third between runs
(docs/benchmarks.md), far more than one part of the request weighs. Instructions counted by
callgrind do not move with the neighbours (±0.1 % between runs with a fixed hash seed), so
"what does the signature cost" gets an answer that holds.

One process serves signed ``ticket.created`` webhooks through ``app.wsgi_app`` (no gunicorn, a
real Redis): the requests are made and 200 of them served first, outside the count; then only
the next ``N`` are counted (callgrind collects inside ``itertools.starmap`` alone, which the web
path never calls). ``--times K --part module:name`` runs one function K times per request
instead of once, so (count with it - count without) / (K - 1) is that part's cost::

    export PYTHONHASHSEED=0 REDIS_URL=redis://127.0.0.1:6383/0
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=starmap_next \\
        --callgrind-out-file=/tmp/cg.out .venv/bin/python -m bench.ingest_instructions receiver 300
    grep ^summary /tmp/cg.out        # instructions for 300 requests
    ... receiver 300 --times 5 --part middleware.web.webhooks:verify   # the HMAC, 5 times
    ... floor 300 / bare 300          # bench/bare_app.py's two apps, the same way
    ... job-raw 300 / job-dict 300    # the worker's side: the event from a queued job's data

``job-raw`` and ``job-dict`` count what a worker does with the same webhooks before triage:
unpickle the job's data and build the ``TicketEvent``, from the verified raw body
(``jobs.pipeline.handle_webhook``: parse, JSON guard, validation, the model) or from the event's
dict the receiver used to queue (``handle_event``: ``from_dict``). Their difference is what
queueing the raw body moved from the receiver to the worker.

Not run by ``bench all``: it needs valgrind and takes about two minutes per count.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import io
import itertools
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.payloads import read_requests, write_signed_requests

SECRET = "bench-instructions-secret-0123"
WARM_UP = 200


def environs(count: int) -> list[dict[str, Any]]:
    """``count`` WSGI environs of distinct signed webhooks, as gunicorn would build them."""
    path = Path(tempfile.mkdtemp(prefix="cim-bench-instr-")) / "requests.bin"
    write_signed_requests(path, count, SECRET, first_ticket_id=int.from_bytes(os.urandom(3), "big") * 100)
    out = []
    for raw in read_requests(path):
        head, body = raw.split(b"\r\n\r\n", 1)
        request_line, *lines = head.decode("ascii").split("\r\n")
        method, target, _ = request_line.split(" ")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method, "PATH_INFO": target, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
            "wsgi.input": io.BytesIO(body),
        }
        for line in lines:
            name, value = line.split(": ", 1)
            key = name.upper().replace("-", "_")
            environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
        out.append(environ)
    return out


def repeat(module_and_name: str, times: int) -> None:
    """Make ``module:name`` (or ``module:Class.method``) run ``times`` times per call."""
    module_name, dotted = module_and_name.split(":")
    owner: Any = importlib.import_module(module_name)
    *path, name = dotted.split(".")
    for part in path:
        owner = getattr(owner, part)
    real = getattr(owner, name)

    def several(*args: Any, **kwargs: Any) -> Any:
        for _ in range(times - 1):
            real(*args, **kwargs)
        return real(*args, **kwargs)

    setattr(owner, name, several)


def job_data(app: str, environs_: list[dict[str, Any]]) -> list[bytes]:
    """The pickled ``data`` of each webhook's job, as the receiver writes it today (``job-raw``:
    the body and the invocation id) or wrote it before (``job-dict``: the event's dict)."""
    from middleware.store.queues import HANDLE_EVENT, HANDLE_WEBHOOK
    from middleware.zendesk.webhook.normalize import event_from_raw

    out = []
    for environ in environs_:
        raw = environ["wsgi.input"].getvalue()
        if app == "job-raw":
            call: tuple[Any, ...] = (HANDLE_WEBHOOK, None, (raw, None), {})
        else:
            event = event_from_raw(raw)
            call = (HANDLE_EVENT, None, (event.to_dict(),), {})  # type: ignore[union-attr]
        out.append(pickle.dumps(call, pickle.HIGHEST_PROTOCOL))  # RQ's default serializer
    return out


def count_job_data(app: str, n: int) -> None:
    """What each job's entry point does before triage, counted like a request."""
    from middleware.zendesk.webhook.normalize import event_from_raw
    from rules.model import TicketEvent

    def build(data: bytes) -> Any:
        _, _, args, _ = pickle.loads(data)
        return event_from_raw(*args) if app == "job-raw" else TicketEvent.from_dict(args[0])

    jobs = job_data(app, environs(WARM_UP + n))
    collections.deque(map(build, jobs[:WARM_UP]), maxlen=0)  # not counted
    collections.deque(itertools.starmap(build, ((j,) for j in jobs[WARM_UP:])), maxlen=0)  # counted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", choices=("receiver", "floor", "bare", "job-raw", "job-dict"))
    parser.add_argument("n", type=int, help="requests counted")
    parser.add_argument("--part", help="module:name run --times times per request (receiver only)")
    parser.add_argument("--times", type=int, default=5)
    args = parser.parse_args()
    os.environ["ZENDESK_WEBHOOK_SECRET"] = SECRET
    if args.app.startswith("job-"):
        count_job_data(args.app, args.n)
        return
    wsgi: Callable[..., Any]
    if args.app == "receiver":
        from middleware.web.app import create_app

        wsgi = create_app(env=dict(os.environ)).wsgi_app
    else:
        from bench import bare_app

        wsgi = (bare_app.redis_app if args.app == "floor" else bare_app.app).wsgi_app
    if args.part:
        repeat(args.part, args.times)
    requests = environs(WARM_UP + args.n)

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        if not status.startswith("2"):
            raise SystemExit(f"answered {status}: the count would not be of the usual path")

    def serve(environ: dict[str, Any]) -> None:
        body = wsgi(environ, start_response)
        collections.deque(body, maxlen=0)
        getattr(body, "close", lambda: None)()

    collections.deque(map(serve, requests[:WARM_UP]), maxlen=0)  # not counted
    collections.deque(itertools.starmap(serve, ((e,) for e in requests[WARM_UP:])), maxlen=0)  # counted


if __name__ == "__main__":
    main()
