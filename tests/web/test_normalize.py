"""Payload -> TicketEvent: what every job downstream reads, for both Zendesk dialects."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from middleware.zendesk.webhook.normalize import (
    Ignored,
    InvalidPayload,
    normalize,
    normalize_payload,
    payload_kind,
    trigger_event_id,
    via_channel,
)
from rules.model import Comment, Person, TicketEvent
from tests.conftest import sample_path


def sample(name: str) -> dict[str, Any]:
    return json.loads(sample_path(name).read_text())


def trigger_body(**overrides: Any) -> dict[str, Any]:
    """What Zendesk renders from docs/trigger-webhook.md for an urgent incident."""
    body: dict[str, Any] = {
        "event": "comment_added",
        "ticket_id": "5160",
        "subject": "Checkout is down for everyone",
        "description": "Since 09:00 no customer can pay.",
        "status": "Open",
        "priority": "Urgent",
        "ticket_type": "Incident",
        "tags": "outage vip_customer",
        "via": "Web Form",
        "requester_id": "8447388090494",
        "requester_email": "ops@customer.example",
        "organization_id": "8447346622462",
        "group_id": "8447320466430",
        "created_at": "2025-01-08T10:12Z",
        "updated_at": "2025-01-08T10:40Z",
        "actor_id": "9000000000001",
        "actor_role": "Agent",
        "latest_comment": {
            "id": "41200000001",
            "body": 'We are on it. "Payments" team paged.\nNext update in 30 min.',
            "is_public": "true",
            "author_id": "9000000000001",
            "author_name": "Agent Smith",
        },
    }
    body.update(overrides)
    return body


def test_ticket_created_sample() -> None:
    event = normalize(sample("ticket.created.json"))
    assert isinstance(event, TicketEvent)
    assert event.id == "cbe4028c-7239-495d-b020-f22348516046"
    assert event.type == "created"
    assert event.source == "event"
    assert event.actor_id == 8447388090494
    # nanoseconds trimmed to microseconds, aware UTC
    assert event.time == datetime(2025, 1, 8, 10, 12, 7, 672717, tzinfo=UTC)
    t = event.ticket
    assert (t.id, t.status, t.priority, t.type) == (5158, "open", "low", "task")
    assert t.tags == ("ticket-info-test-tag",)
    assert (t.requester_id, t.organization_id, t.group_id) == (8447388090494, 8447346622462, 8447320466430)
    assert t.via_channel == "api"  # event "web_service" is the REST API's "api"
    assert t.created_at == datetime(2025, 1, 8, 10, 12, 7, tzinfo=UTC)
    assert event.comment is None and t.latest_comment is None


def test_comment_added_carries_the_comment() -> None:
    event = normalize(sample("ticket.comment_added.json"))
    assert isinstance(event, TicketEvent)
    expected = Comment(
        id=41200000001,
        body="We are looking into this now.",
        public=True,
        author_id=9000000000001,
        author_is_staff=True,
        author_name="Agent Smith",
    )
    assert event.type == "comment_added"
    assert event.comment == expected
    assert event.ticket.latest_comment == expected


def test_private_note_and_unknown_visibility_are_not_public() -> None:
    body = sample("ticket.comment_added.json")
    body["event"]["comment"]["is_public"] = False
    event = normalize(body)
    assert isinstance(event, TicketEvent) and event.comment is not None
    assert event.comment.public is False
    del body["event"]["comment"]["is_public"]
    del body["event"]["comment"]["author"]["is_staff"]
    event = normalize(body)
    assert isinstance(event, TicketEvent) and event.comment is not None
    assert (event.comment.public, event.comment.author_is_staff) == (False, False)


def test_priority_changed_previous_and_current_are_rest_values() -> None:
    event = normalize(sample("ticket.priority_changed.json"))
    assert isinstance(event, TicketEvent)
    assert (event.type, event.previous, event.current) == ("priority_changed", "high", "urgent")
    assert event.ticket.priority == "urgent"
    assert event.time == datetime(2025, 1, 8, 11, 30, 15, 456789, tzinfo=UTC)


def test_status_changed() -> None:
    body = sample("ticket.created.json")
    body["type"] = "zen:event-type:ticket.status_changed"
    body["detail"]["status"] = "SOLVED"
    body["event"] = {"previous": "OPEN", "current": "SOLVED"}
    event = normalize(body)
    assert isinstance(event, TicketEvent)
    assert (event.type, event.previous, event.current, event.ticket.status) == (
        "status_changed",
        "open",
        "solved",
        "solved",
    )


def test_tags_changed_uses_tags_added_and_removed() -> None:
    body = sample("ticket.created.json")
    body["type"] = "zen:event-type:ticket.tags_changed"
    body["detail"]["tags"] = ["not_critical", "vip"]
    body["event"] = {"tags_added": ["not_critical"], "tags_removed": ["critical_incident"]}
    event = normalize(body)
    assert isinstance(event, TicketEvent)
    assert event.type == "tags_changed"
    assert event.current == {"added": ["not_critical"], "removed": ["critical_incident"]}
    assert event.previous is None
    assert event.ticket.tags == ("not_critical", "vip")


def test_group_assignment_changed_ids_are_ints() -> None:
    body = sample("ticket.created.json")
    body["type"] = "zen:event-type:ticket.group_assignment_changed"
    body["event"] = {"previous": "111", "current": "222"}
    event = normalize(body)
    assert isinstance(event, TicketEvent)
    assert (event.previous, event.current) == (111, 222)


def test_null_priority_and_type() -> None:
    body = sample("ticket.created.json")
    body["detail"]["priority"] = None
    body["detail"]["type"] = None
    body["detail"]["organization_id"] = None
    event = normalize(body)
    assert isinstance(event, TicketEvent)
    assert (event.ticket.priority, event.ticket.type, event.ticket.organization_id) == (None, None, None)


def test_non_ticket_event_is_ignored() -> None:
    result = normalize(sample("user.deleted.real.json"))
    assert result == Ignored(
        "not_a_ticket_event", "b3695d61-2ef4-4e9c-97af-1f065c099564", "zen:event-type:user.deleted"
    )


def test_schema_errors_name_the_field() -> None:
    body = sample("ticket.created.json")
    body["detail"]["id"] = "not-a-number"
    body["detail"]["priority"] = "SEVERE"
    with pytest.raises(InvalidPayload) as exc:
        normalize(body)
    assert exc.value.message == "detail.id: Not a valid integer."
    assert exc.value.fields == {
        "detail.id": ["Not a valid integer."],
        "detail.priority": ["Must be one of: low, normal, high, urgent."],
    }


@pytest.mark.parametrize("event_id", ["", "has space", "new\nline", "trailing\n", "x" * 129, "é"])
def test_event_ids_must_be_printable_ascii(event_id: str) -> None:
    """The id goes into Redis keys, the job id and the log line."""
    with pytest.raises(InvalidPayload) as exc:
        normalize({**sample("ticket.created.json"), "id": event_id})
    assert exc.value.message.startswith("id: ")


def test_bare_ticket_prefix_is_not_a_ticket_event() -> None:
    result = normalize({**sample("ticket.created.json"), "type": "zen:event-type:ticket."})
    assert isinstance(result, Ignored)


@pytest.mark.parametrize("body", [[], "x", 3, None, {"hello": "world"}])
def test_unknown_shapes_are_invalid(body: Any) -> None:
    with pytest.raises(InvalidPayload):
        normalize(body)


def test_event_round_trips_through_the_job_argument() -> None:
    """The job gets ``event.to_dict()``; the worker must rebuild the same event from it."""
    for name in ("ticket.created.json", "ticket.comment_added.json", "ticket.priority_changed.json"):
        event = normalize(sample(name))
        assert isinstance(event, TicketEvent)
        assert TicketEvent.from_dict(json.loads(json.dumps(event.to_dict()))) == event
    trigger = normalize(trigger_body(), invocation_id="01HANA2B5D5W9XSJS3NE5SQA1J")
    assert isinstance(trigger, TicketEvent)
    assert TicketEvent.from_dict(json.loads(json.dumps(trigger.to_dict()))) == trigger


# --- trigger bodies ---------------------------------------------------------------------------


def test_trigger_body_with_display_values() -> None:
    event = normalize(trigger_body(), invocation_id="01HANA2B5D5W9XSJS3NE5SQA1J")
    assert isinstance(event, TicketEvent)
    assert event.id == "01HANA2B5D5W9XSJS3NE5SQA1J"
    assert (event.type, event.source, event.actor_id) == ("comment_added", "trigger", 9000000000001)
    t = event.ticket
    assert (t.id, t.status, t.priority, t.type) == (5160, "open", "urgent", "incident")
    assert t.tags == ("outage", "vip_customer")
    assert t.via_channel == "web"
    assert t.requester == Person(id=8447388090494, email="ops@customer.example")
    assert t.updated_at == datetime(2025, 1, 8, 10, 40, tzinfo=UTC)
    assert event.time == t.updated_at
    assert event.comment is not None and event.comment == t.latest_comment
    assert event.comment.public is True
    assert event.comment.author_is_staff is True  # the updating agent wrote it
    assert event.comment.body.startswith('We are on it. "Payments"')


def test_trigger_body_with_empty_placeholders() -> None:
    """What Zendesk renders for a fresh ticket with no priority, type, group or organisation."""
    body = trigger_body(
        event="",
        status="New",
        priority="-",
        ticket_type="-",
        tags="",
        organization_id="",
        group_id="",
        actor_id="",
        actor_role="",
        latest_comment={"id": "", "body": "", "is_public": "", "author_id": "", "author_name": ""},
    )
    event = normalize(body, invocation_id="inv-1")
    assert isinstance(event, TicketEvent)
    assert event.type == "updated"
    t = event.ticket
    assert (t.status, t.priority, t.type, t.tags, t.organization_id, t.group_id) == ("new", None, None, (), None, None)
    assert event.actor_id is None
    assert t.latest_comment is None and event.comment is None


def test_trigger_comment_by_an_end_user_is_not_staff() -> None:
    body = trigger_body(actor_role="End-user", actor_id="8447388090494")
    body["latest_comment"]["author_id"] = "8447388090494"
    event = normalize(body, invocation_id="inv-2")
    assert isinstance(event, TicketEvent) and event.comment is not None
    assert event.comment.author_is_staff is False


def test_trigger_on_hold_and_other_events_keep_no_comment_on_the_event() -> None:
    event = normalize(trigger_body(event="status_changed", status="On-hold"), invocation_id="inv-3")
    assert isinstance(event, TicketEvent)
    assert (event.type, event.ticket.status) == ("status_changed", "hold")
    assert event.comment is None and event.ticket.latest_comment is not None


def test_trigger_event_id_without_invocation_id_is_a_body_hash() -> None:
    raw = json.dumps(trigger_body()).encode()
    a = normalize(trigger_body(), raw=raw)
    b = normalize(trigger_body(), raw=raw)
    c = normalize(trigger_body(), raw=raw + b" ")
    assert isinstance(a, TicketEvent) and isinstance(b, TicketEvent) and isinstance(c, TicketEvent)
    assert a.id == b.id == trigger_event_id(None, raw)
    assert a.id.startswith("body-") and a.id != c.id


def test_trigger_with_unrendered_placeholder_is_invalid() -> None:
    with pytest.raises(InvalidPayload) as exc:
        normalize(trigger_body(ticket_id="{{ticket.id}}"), invocation_id="inv-4")
    assert exc.value.message == "ticket_id: Not a valid integer."


def test_trigger_with_unknown_status_is_invalid() -> None:
    with pytest.raises(InvalidPayload) as exc:
        normalize(trigger_body(status="Awaiting customer"), invocation_id="inv-5")
    assert exc.value.message.startswith("status: Must be one of: new, open, pending, hold")


def test_payload_kind_by_shape() -> None:
    assert payload_kind(sample("ticket.created.json")) == "ticket_event"
    assert payload_kind(sample("user.deleted.real.json")) == "other_event"
    assert payload_kind(trigger_body()) == "trigger"
    assert payload_kind({"nothing": 1}) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("web_service", "api"),
        ("Web Form", "web"),
        ("Email", "email"),
        ("API", "api"),
        ("Mail", "email"),
        ("Closed Ticket", "closed_ticket"),
        ("-", None),
        ("", None),
        (None, None),
    ],
)
def test_via_channel(value: str | None, expected: str | None) -> None:
    assert via_channel(value) == expected


def test_input_is_not_mutated() -> None:
    body = sample("ticket.comment_added.json")
    before = copy.deepcopy(body)
    normalize(body)
    assert body == before


def test_normalize_payload_for_the_cli() -> None:
    """``python -m middleware explain file.json`` reads a saved webhook body."""
    event = normalize_payload(sample("ticket.created.json"), headers={})
    assert event is not None and event.ticket.id == 5158
    assert normalize_payload(sample("user.deleted.real.json"), headers={}) is None
    trigger = normalize_payload(trigger_body(), headers={"x-zendesk-webhook-invocation-id": "inv-9"})
    assert trigger is not None and trigger.id == "inv-9"
    same = normalize_payload(trigger_body(), headers={})
    again = normalize_payload(trigger_body(), headers={})
    assert same is not None and again is not None and same.id == again.id
    with pytest.raises(ValueError):
        normalize_payload({"ticket_id": "x"})
