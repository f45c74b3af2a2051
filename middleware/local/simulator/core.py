"""The simulator's moving parts in one object, shared by the API and the control API."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from middleware.local.simulator.faults import FaultInjector, RequestLog
from middleware.local.simulator.store import Store, WriteResult
from middleware.local.simulator.webhooks import SETTINGS, WebhookConfig, WebhookSender

DEFAULT_ACCOUNT_ID = 22129848


class Simulator:
    """Account state, fault injection, request log and webhook sender of one simulated Zendesk."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        account_id: int = DEFAULT_ACCOUNT_ID,
        webhook: WebhookConfig | None = None,
        webhook_workers: int = 1,
    ) -> None:
        self.store = Store(clock=clock, account_id=account_id)
        self.faults = FaultInjector(clock=clock)
        self.requests = RequestLog()
        self.sender = WebhookSender(webhook, workers=webhook_workers)

    def start(self) -> None:
        self.sender.start()

    def close(self) -> None:
        self.sender.stop()

    def publish(self, *writes: WriteResult) -> None:
        """Send the events of committed writes (after the store lock is released)."""
        events: list[dict[str, Any]] = []
        for write in writes:
            events.extend(write.events)
        self.sender.publish(events)

    def reset(self, keep_webhook: bool = True) -> None:
        """A clean account: no records, faults, request log or deliveries. The webhook
        destination is kept unless asked otherwise, since it usually comes from the CLI."""
        self.store.reset()
        self.faults.reset()
        self.requests.clear()
        self.sender.reset()
        if not keep_webhook:
            defaults = WebhookConfig()
            self.sender.configure(**{name: getattr(defaults, name) for name in SETTINGS})
