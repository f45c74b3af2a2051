"""The records of one simulated account, the one lock over them and the id counters.

Every resource (users, organisations, groups, tickets, audits, jobs, the export) works on this
one object, so a write that spans resources (a ticket whose requester is created on first
sight) happens under one lock. Stored records are *copy-on-write*: an update builds a new dict
(and new lists) and swaps it in, so a reader can take a reference under the lock and serialise
it afterwards without racing a writer. That keeps the lock held for microseconds, which is what
lets the simulator take a few hundred requests a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from middleware.local.simulator.store.errors import not_found
from middleware.local.simulator.store.formats import opt_id

# Id ranges: tickets count from 1 like a fresh account; everything else uses large ids, as a
# real account does, so clients meet ids that only fit in 64 bits and events' string ids.
ID_STARTS = {
    "ticket": 1,
    "user": 360_000_000_001,
    "org": 360_100_000_001,
    "group": 360_200_000_001,
    "comment": 41_200_000_001,
    "audit": 41_100_000_001,
    "event": 41_300_000_001,
    "change": 1,
}


class Account:
    """The account's records by id; callers hold ``lock`` while they read or swap them."""

    def __init__(self, clock: Callable[[], float] = time.time, account_id: int = 22129848) -> None:
        self.clock = clock
        self.account_id = account_id
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        """Forget every record (with the lock held, or before anyone else sees the account)."""
        self.users: dict[int, dict[str, Any]] = {}
        self.users_by_email: dict[str, int] = {}
        self.auth_users: dict[str, int] = {}
        self.orgs: dict[int, dict[str, Any]] = {}
        self.groups: dict[int, dict[str, Any]] = {}
        self.tickets: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.audits: dict[int, list[dict[str, Any]]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        # ticket id -> the number of its last change, counted over the account: the export's
        # order (whole-second timestamps cannot order two changes within one second)
        self.changes: dict[int, int] = {}
        self._next = dict(ID_STARTS)

    def changed(self, ticket_id: int) -> None:
        """Note a ticket's change, for the incremental export (with the lock held)."""
        self.changes[ticket_id] = self.next_id("change")

    def now(self) -> int:
        return int(self.clock())

    def next_id(self, kind: str, wanted: Any = None) -> int:
        """Next id of a kind; an explicit id (seeding fixtures) is honoured and moves the counter."""
        if wanted is not None:
            value = int(wanted)
            self._next[kind] = max(self._next[kind], value + 1)
            return value
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    def lookup(self, records: str, record_id: Any) -> dict[str, Any]:
        """One record by id (a string id too) from the records named (``"users"``, ``"tickets"``,
        ...), or Zendesk's 404. Named, not passed, so a reset's fresh dicts are the ones read."""
        with self.lock:
            record = getattr(self, records).get(opt_id(record_id) or -1)
        if record is None:
            raise not_found()
        return record
