"""The payload schemas: both Zendesk dialects load to REST values, errors name the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from marshmallow import Schema, ValidationError

from middleware.zendesk.webhook import schemas
from middleware.zendesk.webhook.normalize import normalize
from middleware.zendesk.webhook.schemas import (
    EVENT_ENVELOPE,
    TICKET_EVENT,
    TRIGGER,
    Flag,
    Tags,
    TriggerEventName,
    ZendeskEnum,
    ZendeskId,
    ZendeskTime,
    display_key,
    flatten_errors,
)
from tests.conftest import sample_path


def load_one(field: Any, value: Any) -> Any:
    """Load ``{"x": value}`` through a throwaway schema holding ``field``."""
    schema = Schema.from_dict({"x": field})()
    return schema.load({"x": value})["x"]


def sample(name: str) -> dict[str, Any]:
    return json.loads(sample_path(name).read_text())


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5158", 5158), (5158, 5158), (" 42 ", 42), ("", None), ("-", None), ("0", None), (0, None)],
)
def test_ids_load_as_int_and_empty_as_none(value: Any, expected: int | None) -> None:
    assert load_one(ZendeskId(), value) == expected


@pytest.mark.parametrize("value", ["abc", "1.5", 1.5, True, "-3", -3, "99999999999999999999", "١٢", [], {}])
def test_bad_ids_are_refused(value: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        load_one(ZendeskId(), value)
    assert exc.value.messages == {"x": ["Not a valid integer."]}


@pytest.mark.parametrize("value", ["", "-", "0", None])
def test_ticket_id_may_not_be_empty(value: Any) -> None:
    with pytest.raises(ValidationError):
        load_one(ZendeskId(allow_empty=False), value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("OPEN", "open"),
        ("Open", "open"),
        ("HOLD", "hold"),
        ("On-hold", "hold"),  # how {{ticket.status}} renders it
        ("Solved", "solved"),
        ("-", None),
        ("", None),
        (None, None),
    ],
)
def test_status_accepts_event_and_display_spellings(value: Any, expected: str | None) -> None:
    assert load_one(ZendeskEnum(schemas.STATUSES), value) == expected


@pytest.mark.parametrize(("value", "expected"), [("LOW", "low"), ("Urgent", "urgent"), ("URGENT", "urgent")])
def test_priority(value: str, expected: str) -> None:
    assert load_one(ZendeskEnum(schemas.PRIORITIES), value) == expected


def test_unknown_enum_value_names_the_choices() -> None:
    with pytest.raises(ValidationError) as exc:
        load_one(ZendeskEnum(schemas.PRIORITIES), "Critical")
    assert exc.value.messages == {"x": ["Must be one of: low, normal, high, urgent."]}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-01-08T10:12:07.672717030Z", datetime(2025, 1, 8, 10, 12, 7, 672717, tzinfo=UTC)),
        ("2013-12-12T05:35Z", datetime(2013, 12, 12, 5, 35, tzinfo=UTC)),  # *_with_timestamp example
        ("2025-01-08T12:12:07+02:00", datetime(2025, 1, 8, 10, 12, 7, tzinfo=UTC)),
        ("", None),
        ("-", None),
        (None, None),
    ],
)
def test_times_load_as_aware_utc(value: Any, expected: datetime | None) -> None:
    assert load_one(ZendeskTime(), value) == expected


@pytest.mark.parametrize("value", ["yesterday", "2025-02-30T00:00:00Z", 1736331127, "0001-01-01T00:00:00+05:00"])
def test_bad_times_are_refused(value: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        load_one(ZendeskTime(), value)
    assert exc.value.messages == {"x": ["Not a valid ISO-8601 date-time."]}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["a", "b"], ("a", "b")),
        ("critical_incident  vip sla", ("critical_incident", "vip", "sla")),  # {{ticket.tags}}
        ("", ()),
        (["a", "a", " "], ("a",)),
        (None, None),
    ],
)
def test_tags_from_list_or_space_separated_string(value: Any, expected: Any) -> None:
    assert load_one(Tags(), value) == expected


@pytest.mark.parametrize("value", [[1, 2], {"a": 1}, 3])
def test_bad_tags_are_refused(value: Any) -> None:
    with pytest.raises(ValidationError):
        load_one(Tags(), value)


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), ("true", True), ("False", False), ("", None), ("-", None), (None, None)]
)
def test_flags_from_json_or_rendered_text(value: Any, expected: bool | None) -> None:
    assert load_one(Flag(), value) == expected


def test_flag_refuses_other_text() -> None:
    with pytest.raises(ValidationError):
        load_one(Flag(), "maybe")


@pytest.mark.parametrize(
    ("value", "expected"), [("comment_added", "comment_added"), ("Created", "created"), ("", "updated")]
)
def test_trigger_event_name(value: str, expected: str) -> None:
    assert load_one(TriggerEventName(), value) == expected


def test_trigger_event_name_refuses_typos_and_lists_choices() -> None:
    with pytest.raises(ValidationError) as exc:
        load_one(TriggerEventName(), "comment_aded")
    assert "comment_added" in exc.value.messages["x"][0]


def test_display_key() -> None:
    assert display_key("Phone call (inbound)") == "phone_call_inbound"
    assert display_key(" ON_HOLD ") == "on_hold"


@pytest.mark.parametrize("name", ["ticket.created.json", "ticket.comment_added.json", "ticket.priority_changed.json"])
def test_ticket_samples_load(name: str) -> None:
    data = TICKET_EVENT.load(sample(name))
    assert data["detail"]["id"] == 5158
    assert data["detail"]["status"] == "open"


def test_unknown_properties_are_ignored_not_refused() -> None:
    """Zendesk adds properties over time; a 400 would make it drop real events for good."""
    body = sample("ticket.created.json")
    body["brand_new_top_level"] = {"x": 1}
    body["detail"]["brand_new_detail_field"] = "y"
    assert TICKET_EVENT.load(body)["detail"]["id"] == 5158


def test_envelope_of_a_non_ticket_event() -> None:
    data = EVENT_ENVELOPE.load(sample("user.deleted.real.json"))
    assert data["type"] == "zen:event-type:user.deleted"
    assert data["id"] == "b3695d61-2ef4-4e9c-97af-1f065c099564"


def test_missing_required_fields_are_named() -> None:
    with pytest.raises(ValidationError) as exc:
        TICKET_EVENT.load({"type": "zen:event-type:ticket.created"})
    flat = flatten_errors(exc.value.messages)
    assert flat["id"] == ["Missing data for required field."]
    assert flat["detail"] == ["Missing data for required field."]


def test_trigger_requires_a_ticket_id() -> None:
    with pytest.raises(ValidationError) as exc:
        TRIGGER.load({"ticket_id": "{{ticket.id}}"})
    assert flatten_errors(exc.value.messages) == {"ticket_id": ["Not a valid integer."]}


def test_flatten_errors_gives_dotted_paths() -> None:
    messages = {"detail": {"id": ["Not a valid integer."], "via": {"channel": ["Not a valid string."]}}}
    assert flatten_errors(messages) == {
        "detail.id": ["Not a valid integer."],
        "detail.via.channel": ["Not a valid string."],
    }


def test_no_schema_is_built_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """Schemas are built once at import (nested ones on first use); a request builds none."""
    bodies = [sample(n) for n in ("ticket.created.json", "ticket.comment_added.json", "user.deleted.real.json")]
    trigger = {"ticket_id": "1", "latest_comment": {"id": "2", "body": "x"}}
    for body in [*bodies, trigger]:
        normalize(body, invocation_id="warm-up")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a schema was constructed while handling a payload")

    monkeypatch.setattr(Schema, "__init__", refuse)
    for body in [*bodies, trigger]:
        normalize(body, invocation_id="again")
