"""Zendesk's JSON and the product's objects, both ways, and nothing else: no I/O, no zenpy.

Every shape Zendesk answers in (a ticket from ``GET /tickets/{id}``, the export or a search; a
user, an organisation, an audit, a comment) becomes a :mod:`rules.model` object or one of the
small records below here, so the client's transport can change without the jobs noticing, and
the tests build model objects from plain dicts the way the client does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rules.model import Comment, Organization, Person, Ticket, format_time, parse_time


def ticket_from_api(data: dict[str, Any]) -> Ticket:
    """A REST API ticket (``GET /tickets/{id}``, the incremental export) as our Ticket."""
    via = data.get("via") or {}
    custom = {str(f.get("id")): f.get("value") for f in data.get("custom_fields") or [] if isinstance(f, dict)}
    return Ticket(
        id=int(data["id"]),
        subject=data.get("subject") or data.get("raw_subject") or "",
        description=data.get("description") or "",
        status=data.get("status"),
        priority=data.get("priority"),
        type=data.get("type"),
        tags=tuple(data.get("tags") or ()),
        requester_id=data.get("requester_id"),
        submitter_id=data.get("submitter_id"),
        assignee_id=data.get("assignee_id"),
        organization_id=data.get("organization_id"),
        group_id=data.get("group_id"),
        problem_id=data.get("problem_id"),
        via_channel=via.get("channel") if isinstance(via, dict) else None,
        created_at=parse_time(data.get("created_at")),
        updated_at=parse_time(data.get("updated_at")),
        custom_fields=custom,
    )


@dataclass(frozen=True)
class TaskTicket:
    """A ticket as the review and action tracking reads it: with its due date, assignee and
    external id, which the event-shaped :class:`Ticket` does not carry."""

    id: int
    subject: str
    status: str | None
    type: str | None
    due_at: datetime | None
    assignee_id: int | None
    group_id: int | None
    requester_id: int | None
    tags: tuple[str, ...]
    external_id: str | None
    created_at: datetime | None
    updated_at: datetime | None


def task_from_api(data: dict[str, Any]) -> TaskTicket:
    """A REST API ticket (create, list, search results) as a :class:`TaskTicket`."""
    return TaskTicket(
        id=int(data["id"]),
        subject=data.get("subject") or data.get("raw_subject") or "",
        status=data.get("status"),
        type=data.get("type"),
        due_at=parse_time(data.get("due_at")),
        assignee_id=data.get("assignee_id"),
        group_id=data.get("group_id"),
        requester_id=data.get("requester_id"),
        tags=tuple(data.get("tags") or ()),
        external_id=data.get("external_id"),
        created_at=parse_time(data.get("created_at")),
        updated_at=parse_time(data.get("updated_at")),
    )


@dataclass(frozen=True)
class Audit:
    """One ticket audit: everything one update did (field changes and at most one comment)."""

    id: int | None
    created_at: datetime | None
    author_id: int | None
    events: tuple[dict[str, Any], ...]

    def changed(self, field_name: str) -> Any:
        """The new value of ``field_name`` if this update changed it, else None."""
        for event in self.events:
            if event.get("type") in ("Change", "Create") and event.get("field_name") == field_name:
                return event.get("value")
        return None

    def comment(self) -> dict[str, Any] | None:
        return next((e for e in self.events if e.get("type") == "Comment"), None)


@dataclass(frozen=True)
class UserRecord:
    """A user as recipient selection reads it: who, which organisation, which tags."""

    id: int
    name: str | None
    email: str | None
    role: str | None
    organization_id: int | None
    tags: tuple[str, ...] = ()


def user_from_api(data: dict[str, Any]) -> UserRecord:
    """A REST API user (``show_many``, search results) as recipient selection reads it."""
    return UserRecord(id=int(data["id"]), name=data.get("name"), email=data.get("email"), role=data.get("role"),
                      organization_id=data.get("organization_id"), tags=tuple(data.get("tags") or ()))


def organization_from_api(data: dict[str, Any]) -> Organization:
    """A REST API organisation as the rules read it: its tags and ``organization_fields``."""
    return Organization(id=data.get("id"), name=data.get("name"), tags=tuple(data.get("tags") or ()),
                        fields=dict(data.get("organization_fields") or {}))


def person_from_api(data: dict[str, Any]) -> Person:
    """A REST API user as the rules and the alerts read one: who, and whether staff."""
    return Person(id=data.get("id"), role=data.get("role"), email=data.get("email"), name=data.get("name"))


def comment_from_api(data: dict[str, Any]) -> Comment:
    """A REST API comment (``GET /tickets/{id}/comments``); the author's staff status is
    not in it (it is looked up by role)."""
    return Comment(
        id=data.get("id"),
        body=data.get("body") or "",
        public=bool(data.get("public")),
        author_id=data.get("author_id"),
        created_at=parse_time(data.get("created_at")),
    )


def audit_from_api(data: dict[str, Any]) -> Audit:
    """A REST API audit (``GET /tickets/{id}/audits``), keeping its events as Zendesk gave them."""
    return Audit(id=data.get("id"), created_at=parse_time(data.get("created_at")), author_id=data.get("author_id"),
                 events=tuple(e for e in data.get("events") or [] if isinstance(e, dict)))


def task_payload(*, subject: str, body: str, due_at: datetime, tags: list[str], external_id: str,
                 assignee_id: int | None = None, group_id: int | None = None,
                 priority: str | None = None) -> dict[str, Any]:
    """The ticket a review or action task is created as: type task, a due date, and a
    description that is an internal note; unset assignee, group and priority are left out."""
    payload: dict[str, Any] = {
        "subject": subject,
        "comment": {"body": body, "public": False},
        "type": "task",
        "due_at": format_time(due_at),
        "tags": list(tags),
        "external_id": external_id,
    }
    for name, value in (("assignee_id", assignee_id), ("group_id", group_id), ("priority", priority)):
        if value is not None:
            payload[name] = value
    return payload
