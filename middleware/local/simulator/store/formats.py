"""Zendesk's wire formats and vocabularies: how times, tags, flags and ids are written and read.

Every resource of the simulated account reads its input through these, so a value Zendesk
would accept (an ISO time with any fraction, tags as one string) is accepted everywhere alike.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

from middleware.local.simulator.store.errors import bad_request

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
SOLVED = ("solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TYPES = ("question", "incident", "problem", "task")
STAFF_ROLES = ("agent", "admin")
ROLES = ("end-user", "agent", "admin")


def iso(ts: int) -> str:
    """Epoch seconds as Zendesk writes times in the REST API: ``2025-01-08T10:12:07Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def parse_epoch(value: Any) -> int | None:
    """An ISO-8601 time (``Z``, offset, fractions of any length) or epoch number → epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", text)
    if match:  # Python parses at most microseconds; the fraction never matters for a stamp
        text = match.group(1) + match.group(3)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def split_tags(value: Any) -> list[str]:
    """Zendesk tags are whitespace-free words; a string is split like Zendesk splits it."""
    if value is None:
        return []
    items = value.split() if isinstance(value, str) else [str(v) for v in value]
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        for word in str(item).split():
            if word not in seen:
                seen.add(word)
                out.append(word)
    return out


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def opt_id(value: Any) -> int | None:
    """An optional id as Zendesk reads one: empty is none, anything else must be a number."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise bad_request("InvalidValue", f"not an id: {value!r}") from exc


def via(channel: str) -> dict[str, Any]:
    """The ``via`` object of a ticket, comment or audit made through ``channel``."""
    return {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}
