"""Zendesk's JSON as the product reads it, on plain dicts (no HTTP, no zenpy): what the rules
and the lifecycle see of a ticket, a task, an audit, a person and an organisation, and the task
ticket the review creates."""

from __future__ import annotations

from datetime import UTC, datetime

from middleware.zendesk import mapping
from tests.zendesk.test_zendesk_client import ticket_json


def test_a_ticket_keeps_what_the_rules_read() -> None:
    ticket = mapping.ticket_from_api(ticket_json(subject=None, raw_subject="Raw subject", tags=None))
    assert (ticket.id, ticket.subject, ticket.tags, ticket.via_channel) == (5, "Raw subject", (), "web")
    assert ticket.custom_fields == {"360001": "x"}
    assert ticket.created_at == datetime(2025, 1, 8, 10, 12, 7, tzinfo=UTC)


def test_a_task_keeps_its_due_date_and_external_id() -> None:
    task = mapping.task_from_api(ticket_json(31, type="task", due_at="2026-12-10T09:00:00Z", external_id="review-7"))
    assert (task.type, task.external_id) == ("task", "review-7")
    assert task.due_at == datetime(2026, 12, 10, 9, tzinfo=UTC)


def test_an_audit_says_what_one_update_changed() -> None:
    audit = mapping.audit_from_api({"id": 3, "author_id": 9, "created_at": "2025-01-08T10:12:07Z", "events": [
        {"type": "Comment", "id": 70, "body": "hi"}, {"type": "Change", "field_name": "status", "value": "solved"},
        "not an event"]})
    assert audit.changed("status") == "solved" and audit.changed("priority") is None
    assert audit.comment() == {"type": "Comment", "id": 70, "body": "hi"}
    assert len(audit.events) == 2


def test_people_organisations_and_comments() -> None:
    assert mapping.person_from_api({"id": 1, "role": "agent", "email": "a@x.test", "name": "A"}).role == "agent"
    user = mapping.user_from_api({"id": "2", "organization_id": 22, "tags": ["incident_contact"]})
    assert (user.id, user.organization_id, user.tags) == (2, 22, ("incident_contact",))
    org = mapping.organization_from_api({"id": 22, "name": "Acme", "tags": ["enterprise"], "organization_fields": None})
    assert (org.tags, org.fields) == (("enterprise",), {})
    comment = mapping.comment_from_api({"id": 70, "body": None, "public": 1, "author_id": 9})
    assert (comment.body, comment.public, comment.created_at) == ("", True, None)


def test_a_task_ticket_is_an_internal_note_with_a_due_date_and_no_unset_fields() -> None:
    payload = mapping.task_payload(subject="Review", body="What happened", due_at=datetime(2026, 12, 10, 9, tzinfo=UTC),
                           tags=["post_incident_review"], external_id="review-7", group_id=4)
    assert payload["comment"] == {"body": "What happened", "public": False}
    assert (payload["type"], payload["group_id"], payload["due_at"]) == ("task", 4, "2026-12-10T09:00:00Z")
    assert "assignee_id" not in payload and "priority" not in payload
