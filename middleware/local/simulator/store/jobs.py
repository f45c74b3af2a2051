"""Bulk writes (``create_many``, ``update_many``) and the job statuses that report them.

Each item is written as its single call would be; the answer is a job that says ``queued``,
as Zendesk's does, and is already complete when polled, so a client's polling loop runs once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from middleware.local.simulator.store.account import Account
from middleware.local.simulator.store.errors import ApiError, bad_request, not_found
from middleware.local.simulator.store.formats import iso
from middleware.local.simulator.store.tickets import Tickets, WriteResult

MAX_BULK = 100

Item = TypeVar("Item")


class Jobs:
    """``/tickets/create_many``, ``/tickets/update_many`` and ``/job_statuses/{id}``."""

    def __init__(self, account: Account, tickets: Tickets) -> None:
        self.account = account
        self.tickets = tickets

    def get(self, job_id: str) -> dict[str, Any]:
        with self.account.lock:
            job = self.account.jobs.get(job_id)
        if job is None:
            raise not_found()
        return job

    def bulk_update(
        self, actor_id: int, items: list[tuple[int, dict[str, Any]]], base_url: str
    ) -> tuple[dict[str, Any], list[WriteResult]]:
        """``update_many``: applied at once; each result names the ticket it updated."""
        return self._run(
            items,
            base_url,
            job_type="Bulk Update",
            verb="update",
            write=lambda item: self.tickets.update(actor_id, item[0], item[1]),
            known_id=lambda item: {"id": item[0]},
        )

    def bulk_create(
        self, actor_id: int, items: list[dict[str, Any]], base_url: str
    ) -> tuple[dict[str, Any], list[WriteResult]]:
        """``create_many``: each ticket created as ``POST /tickets`` would; the results give
        each new ticket's ``id`` by ``index``."""
        return self._run(
            items,
            base_url,
            job_type="Bulk Create",
            verb="create",
            write=lambda item: self.tickets.create(actor_id, item),
            known_id=lambda _item: {},
        )

    def _run(
        self,
        items: list[Item],
        base_url: str,
        *,
        job_type: str,
        verb: str,
        write: Callable[[Item], WriteResult],
        known_id: Callable[[Item], dict[str, Any]],
    ) -> tuple[dict[str, Any], list[WriteResult]]:
        """Write each item; a failed one is reported under the ticket id known before the
        write (an update's), a written one under the ticket's id."""
        if len(items) > MAX_BULK:
            raise bad_request("TooManyValues", f"You can {verb} up to {MAX_BULK} tickets at once")
        results: list[dict[str, Any]] = []
        writes: list[WriteResult] = []
        for index, item in enumerate(items):
            try:
                done_write = write(item)
            except ApiError as exc:
                results.append({"index": index, **known_id(item), "action": verb, "success": False,
                                "status": "Failed", "error": exc.body.get("error"),
                                "details": exc.body.get("description")})
                continue
            writes.append(done_write)
            results.append({"index": index, "id": done_write.ticket["id"], "action": verb, "success": True,
                            "status": f"{verb.capitalize()}d"})
        job_id = uuid.uuid4().hex[:26].upper()
        with self.account.lock:
            done = {
                "id": job_id,
                "url": f"{base_url}/api/v2/job_statuses/{job_id}.json",
                "job_type": job_type,
                "total": len(items),
                "progress": len(items),
                "status": "completed",
                "message": f"Completed at {iso(self.account.now())}",
                "results": results,
            }
            self.account.jobs[job_id] = done
        queued = {**done, "progress": None, "status": "queued", "message": None, "results": None}
        return queued, writes
