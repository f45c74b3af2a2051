"""The simulated Zendesk account, one module per resource on one shared :class:`Account`.

``account`` (the records, the lock, the ids), ``users``, ``organizations`` (and groups),
``tickets``, ``audits`` (comments, audits and the webhooks a change fires), ``jobs`` (bulk
writes), ``export`` (the incremental export); ``errors`` and ``formats`` are Zendesk's error
bodies and wire formats, which they all share. :class:`Store` puts them together.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from middleware.local.simulator.store.account import Account
from middleware.local.simulator.store.audits import Audits
from middleware.local.simulator.store.export import IncrementalExport
from middleware.local.simulator.store.jobs import Jobs
from middleware.local.simulator.store.organizations import Groups, Organizations
from middleware.local.simulator.store.tickets import Tickets, WriteResult
from middleware.local.simulator.store.users import Users

__all__ = ["Store", "WriteResult"]


class Store:
    """The simulated account: its resources, each a module of its own, over one set of records."""

    def __init__(self, clock: Callable[[], float] = time.time, account_id: int = 22129848) -> None:
        self.account = Account(clock=clock, account_id=account_id)
        self.users = Users(self.account)
        self.organizations = Organizations(self.account)
        self.groups = Groups(self.account)
        self.audits = Audits(self.account)
        self.tickets = Tickets(self.account, self.users, self.audits)
        self.jobs = Jobs(self.account, self.tickets)
        self.export = IncrementalExport(self.account)
        self.groups.add_default_unlocked()

    def reset(self) -> None:
        """Forget every record (tests and the demo start from a clean account)."""
        with self.account.lock:
            self.account.clear()
            self.groups.add_default_unlocked()
