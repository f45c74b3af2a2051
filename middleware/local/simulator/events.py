"""Zendesk event webhook payloads (``zen:event-type:ticket.*``), built the way Zendesk sends them.

The receiver must cope with Zendesk's event dialect, so the simulator speaks it exactly (see
``shared/zendesk-samples``): ids are strings, enums are UPPERCASE, ``time`` carries nanoseconds,
``detail`` is a snapshot of the ticket *after* the change with ``actor_id`` = who made it, and
``event`` holds what changed. One action's events share ``event.meta.sequence.id``.

Event bodies (the ``event`` object):

* ``ticket.created``: ``{}``
* ``ticket.comment_added``: ``{"comment": {id, body, html_body, is_public, author{id, is_staff, name}}}``
* ``ticket.status_changed`` / ``priority_changed`` / ``type_changed``: ``{"current", "previous"}``
  UPPERCASE or null
* ``ticket.group_assignment_changed`` / ``agent_assignment_changed``: ``{"current", "previous"}``
  as string ids or null
* ``ticket.tags_changed``: ``{"tags_added": [...], "tags_removed": [...]}``

``ticket.problem_link_changed`` is not emitted: its payload shape could not be confirmed.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

EVENT_VERSION = "2022-11-06"
EVENT_PREFIX = "zen:event-type:ticket."
BRAND_ID = 8447346621310
FORM_ID = 8646151517822
# Zendesk gives every status a custom status id; one fixed id per status is enough here.
CUSTOM_STATUS_IDS = {
    "new": 8447320465780,
    "open": 8447320465790,
    "pending": 8447320465800,
    "hold": 8447320465810,
    "solved": 8447320465820,
    "closed": 8447320465830,
}
# REST ``via.channel`` → the channel name event webhooks carry (``api`` arrives as
# ``web_service`` in real events, see ticket.created.json).
EVENT_CHANNELS = {"api": "web_service", "web": "web_form", "email": "mail"}
ENUM_EVENTS = {"status": "status_changed", "priority": "priority_changed", "type": "type_changed"}
ID_EVENTS = {"group_id": "group_assignment_changed", "assignee_id": "agent_assignment_changed"}


def sid(value: Any) -> str | None:
    """Ids travel as strings in events; a missing id stays null."""
    return None if value is None else str(value)


def upper(value: Any) -> str | None:
    return None if value is None else str(value).upper()


def event_time(ns: int | None = None) -> str:
    """``2025-01-08T10:12:07.672717030Z``: nanosecond precision, as real events carry."""
    ns = time.time_ns() if ns is None else ns
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


def detail(ticket: dict[str, Any], actor_id: int) -> dict[str, Any]:
    """The ticket snapshot of an event: string ids, UPPERCASE enums, event channel names."""
    channel = (ticket.get("via") or {}).get("channel")
    return {
        "actor_id": sid(actor_id),
        "assignee_id": sid(ticket["assignee_id"]),
        "brand_id": sid(ticket["brand_id"]),
        "created_at": ticket["created_at"],
        "custom_status": sid(ticket["custom_status_id"]),
        "description": ticket["description"],
        "external_id": sid(ticket["external_id"]),
        "form_id": sid(ticket["ticket_form_id"]),
        "group_id": sid(ticket["group_id"]),
        "id": sid(ticket["id"]),
        "is_public": ticket["is_public"],
        "organization_id": sid(ticket["organization_id"]),
        "priority": upper(ticket["priority"]),
        "requester_id": sid(ticket["requester_id"]),
        "status": upper(ticket["status"]),
        "subject": ticket["subject"],
        "submitter_id": sid(ticket["submitter_id"]),
        "tags": list(ticket["tags"]),
        "type": upper(ticket["type"]),
        "updated_at": ticket["updated_at"],
        "via": {"channel": EVENT_CHANNELS.get(channel, channel)},
    }


def comment_body(comment: dict[str, Any], author: dict[str, Any]) -> dict[str, Any]:
    """``event.comment``: enough to spot the first public staff reply without an API call."""
    return {
        "id": sid(comment["id"]),
        "body": comment["body"],
        "html_body": comment["html_body"],
        "is_public": comment["public"],
        "author": {
            "id": sid(comment["author_id"]),
            "is_staff": author.get("role") in ("agent", "admin"),
            "name": author.get("name"),
        },
    }


def ticket_event(
    account_id: int,
    ticket: dict[str, Any],
    actor_id: int,
    name: str,
    body: dict[str, Any],
    sequence_id: str,
    position: int,
) -> dict[str, Any]:
    """One complete event webhook body for ``zen:event-type:ticket.<name>``."""
    event = dict(body)
    if name != "created":  # the documented created example has an empty event object
        event["meta"] = {"sequence": {"id": sequence_id, "position": position}}
    return {
        "account_id": account_id,
        "detail": detail(ticket, actor_id),
        "event": event,
        "id": str(uuid.uuid4()),
        "subject": f"zen:ticket:{ticket['id']}",
        "time": event_time(),
        "type": EVENT_PREFIX + name,
        "zendesk_event_version": EVENT_VERSION,
    }
