"""The cursor-based incremental ticket export, the middleware's reconcile sweep reads.

The cursor encodes the account's change number of the last ticket returned, so a ticket
updated after it was exported shows up again on a later page, as in Zendesk, even when the
update falls in the same second as the cursor (whole-second timestamps cannot order those:
ordering by (timestamp, id) lost such an update whenever the page's last ticket had a larger
id, which made the export test fail about one run in twenty).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from middleware.local.simulator.store.account import Account
from middleware.local.simulator.store.errors import bad_request

MAX_EXPORT_PAGE = 1000


class IncrementalExport:
    """``/incremental/tickets/cursor``: pages in the order the tickets last changed."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def page(self, start_time: int | None, cursor: str | None, per_page: int) -> dict[str, Any]:
        """One page after ``cursor`` (or from ``start_time``), and the cursor to go on with."""
        if cursor:
            try:
                pos = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
                if not isinstance(pos, list) or len(pos) != 1:
                    raise ValueError(pos)
                after = int(pos[0])
            except (ValueError, TypeError) as exc:
                raise bad_request("InvalidPaginationParameter", "cursor is invalid") from exc
        elif start_time is not None:
            after = -1
        else:
            raise bad_request("InvalidPaginationParameter", "start_time or cursor is required")
        per_page = max(1, min(int(per_page), MAX_EXPORT_PAGE))
        since = int(start_time) if start_time is not None and not cursor else None
        acc = self.account
        with acc.lock:
            changes = acc.changes
            rest = sorted(  # change numbers are unique: the tickets themselves are never compared
                (changed, t) for t in acc.tickets.values()
                if (changed := changes[t["id"]]) > after and (since is None or t["generated_timestamp"] >= since)
            )
        page = [t for _, t in rest[:per_page]]
        last = rest[len(page) - 1][0] if page else after
        token = base64.urlsafe_b64encode(json.dumps([last]).encode()).decode().rstrip("=")
        return {"tickets": page, "after_cursor": token, "end_of_stream": len(rest) <= per_page}
