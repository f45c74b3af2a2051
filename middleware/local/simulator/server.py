"""Running the simulator: the Flask app, an in-process server, and the command line.

``SimulatorServer`` serves the app on 127.0.0.1 in a background thread (werkzeug's threaded
server, HTTP/1.1 keep-alive, no per-request log lines) for tests and benchmarks that want the
simulator in their own process. ``main()`` runs it as its own process for the demo and the
end-to-end tests; the webhook signing secret comes from the environment (never argv, where
``ps`` would show it).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from middleware.local.simulator.core import DEFAULT_ACCOUNT_ID, Simulator
from middleware.local.simulator.webhooks import WebhookConfig
from middleware.web.signature import parse_secrets

log = logging.getLogger(__name__)

STOP_POLL_SECONDS = 0.05  # how often the serving thread looks for a stop request


def create_app(
    simulator: Simulator | None = None,
    *,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    webhook_workers: int = 1,
    account_id: int = DEFAULT_ACCOUNT_ID,
    clock: Callable[[], float] = time.time,
) -> Flask:
    """The simulator as a Flask app (``/api/v2`` + ``/_sim``); starts the webhook sender.

    The :class:`Simulator` is at ``app.extensions["zendesk_simulator"]``.
    """
    from middleware.local.simulator import admin, api

    if simulator is None:
        simulator = Simulator(
            clock=clock,
            account_id=account_id,
            webhook=WebhookConfig(url=webhook_url, secret=webhook_secret),
            webhook_workers=webhook_workers,
        )
    app = Flask("middleware.local.simulator")
    app.extensions["zendesk_simulator"] = simulator
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    api.register_errors(app)
    simulator.start()
    return app


class _QuietHandler(WSGIRequestHandler):
    """Keep-alive (HTTP/1.1) and no access log line per request: benchmarks send thousands."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class SimulatorServer:
    """The simulator on a local port, served from a background thread.

    >>> with SimulatorServer(webhook_url=..., webhook_secret=...) as server:
    ...     SimulatorControl(server.url).customer_ticket(...)
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, app: Flask | None = None, **app_kwargs: Any) -> None:
        self.app = app or create_app(**app_kwargs)
        self.simulator: Simulator = self.app.extensions["zendesk_simulator"]
        self._server: BaseWSGIServer = make_server(host, port, self.app, threaded=True, request_handler=_QuietHandler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}"

    def start(self) -> SimulatorServer:
        if self._thread is None:
            # werkzeug polls for shutdown every 0.5 s by default: a test or the demo stopping
            # the simulator waited that long each time
            self._thread = threading.Thread(target=self._server.serve_forever, args=(STOP_POLL_SECONDS,),
                                            name="zendesk-simulator", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()
        self.simulator.close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m middleware simulator",
        description="A local Zendesk: REST API under /api/v2, signed event webhooks, control API under /_sim.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--webhook-url", default=None, help="where to POST event webhooks")
    parser.add_argument(
        "--webhook-secret-env",
        default="ZENDESK_WEBHOOK_SECRET",
        help="name of the environment variable holding the signing secret (first one if comma-separated)",
    )
    parser.add_argument("--webhook-workers", type=int, default=1, help=">1 delivers concurrently (out of order)")
    parser.add_argument("--webhook-timeout", type=float, default=5.0)
    parser.add_argument("--account-id", type=int, default=DEFAULT_ACCOUNT_ID)
    parser.add_argument("--rate-limit-per-minute", type=int, default=None)
    parser.add_argument("--endpoint-limits", action="store_true",
                        help="enforce Zendesk's endpoint limits (100 ticket updates/min, 30 per ticket in 10 min, "
                             "10 incremental exports/min)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT/SIGTERM."""
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s simulator %(levelname)s %(message)s")
    secrets = parse_secrets(os.environ.get(args.webhook_secret_env))
    if args.webhook_url and not secrets:
        log.warning("%s is empty: webhooks will be signed with an empty secret", args.webhook_secret_env)
    server = SimulatorServer(
        args.host,
        args.port,
        webhook_url=args.webhook_url,
        webhook_secret=secrets[0] if secrets else None,
        webhook_workers=args.webhook_workers,
        account_id=args.account_id,
    )
    server.simulator.sender.configure(timeout=args.webhook_timeout)
    if args.rate_limit_per_minute:
        server.simulator.faults.add({"rate_limit_per_minute": args.rate_limit_per_minute})
    if args.endpoint_limits:
        server.simulator.faults.set_endpoint_limits({})
    stop = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    server.start()
    log.info("Zendesk simulator on %s (webhooks → %s)", server.url, args.webhook_url or "nowhere")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0
