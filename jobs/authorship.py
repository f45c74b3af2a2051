"""Who put a tag on a ticket: our API user, or an agent? Read from the ticket's audits.

Why it matters: when Zendesk applies our flagging write but its answer is lost (a timeout
after the write, a worker killed mid-call), the retry finds the ticket already tagged
``critical_incident`` and no incident recorded. Taken at face value that is an agent's manual
flag (rules ``["manual"]``, the alert saying "tag added by an agent"), and the rules' reasons
are lost. The audit that added the tag names its author: if that is our API user, the write
was ours and the incident keeps the rules' reasons. One read, only on that rare path.
"""

from __future__ import annotations

from typing import Any

from jobs.runtime import Runtime
from middleware.zendesk.errors import NotFound
from middleware.zendesk.mapping import Audit

__all__ = ["added_by_us"]


def added_by_us(rt: Runtime, ticket_id: int, tag: str) -> bool:
    """True if the newest update that added ``tag`` to the ticket was made by our API user."""
    try:
        audits = rt.zendesk.audits(ticket_id)
    except NotFound:
        return False
    for audit in reversed(audits):
        if _adds(audit, tag):
            return audit.author_id is not None and audit.author_id == rt.zendesk.api_user_id()
    return False


def _adds(audit: Audit, tag: str) -> bool:
    for event in audit.events:
        if event.get("type") not in ("Change", "Create") or event.get("field_name") != "tags":
            continue
        if tag in _tags(event.get("value")) and tag not in _tags(event.get("previous_value")):
            return True
    return False


def _tags(value: Any) -> set[str]:
    """Audit tag values come as a list or as one space-separated string."""
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list | tuple):
        return {str(v) for v in value}
    return set()
