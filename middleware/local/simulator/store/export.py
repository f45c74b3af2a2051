"""The cursor-based incremental ticket export, the middleware's reconcile sweep reads.

The cursor encodes the (generated_timestamp, id) of the last ticket returned, so a ticket
updated after it was exported shows up again on a later page, as in Zendesk.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from middleware.local.simulator.store.account import Account
from middleware.local.simulator.store.errors import bad_request

MAX_EXPORT_PAGE = 1000


class IncrementalExport:
    """``/incremental/tickets/cursor``: pages ordered by (updated, id)."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def page(self, start_time: int | None, cursor: str | None, per_page: int) -> dict[str, Any]:
        """One page after ``cursor`` (or from ``start_time``), and the cursor to go on with."""
        if cursor:
            try:
                pos = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
                after = (int(pos[0]), int(pos[1]))
            except (ValueError, TypeError, IndexError) as exc:
                raise bad_request("InvalidPaginationParameter", "cursor is invalid") from exc
        elif start_time is not None:
            after = (int(start_time) - 1, 2**63)
        else:
            raise bad_request("InvalidPaginationParameter", "start_time or cursor is required")
        per_page = max(1, min(int(per_page), MAX_EXPORT_PAGE))
        with self.account.lock:
            rest = sorted(
                (t for t in self.account.tickets.values() if (t["generated_timestamp"], t["id"]) > after),
                key=lambda t: (t["generated_timestamp"], t["id"]),
            )
        page = rest[:per_page]
        last = (page[-1]["generated_timestamp"], page[-1]["id"]) if page else after
        token = base64.urlsafe_b64encode(json.dumps(list(last)).encode()).decode().rstrip("=")
        return {"tickets": page, "after_cursor": token, "end_of_stream": len(rest) <= per_page}
