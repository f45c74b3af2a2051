"""The receiver's quick check of a ticket-event webhook never disagrees with the validation: for
any body it names exactly the ids ``normalize`` names, or says nothing (then the full validation
runs and answers, 400 or not)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from middleware.zendesk.webhook.normalize import InvalidPayload, normalize
from middleware.zendesk.webhook.quick_check import quick_ids
from rules.model import TicketEvent
from tests.web.test_fast_load import VALUES, bodies, paths, replaced
from tests.web.test_normalize import sample, trigger_body

# Values at the quick tests' edges: ids with leading zeros, spaces, 18 and 19 digits and past
# 2**63 - 1; times on the 29th-31st (valid or not), at the end of 2999, in other forms; enum and
# text spellings; lengths at the limits of the subject (200), the channel (100), a name (1000) and
# an event id (128).
EDGES: list[Any] = [
    "0005158", " 17 ", "0", "123456789012345678", "1234567890123456789", "9223372036854775807",
    "9223372036854775808", 2**63 - 1, 2**63, False, 0.0, "\u0663",
    "2024-02-29T10:00:00Z", "2025-02-29T10:00:00Z", "2025-04-31T10:00:00Z", "2025-01-31T23:59:59.999999999Z",
    "2999-12-31T23:59:59Z", "3000-01-01T00:00:00Z", "2025-01-08T24:00:00Z", "2025-01-08T10:12:60Z",
    "2025-01-08T10:12:07+02:00", "2025-01-08T10:12:07", "2025-01-08 10:12:07Z", "2025-01-08T10:12:07.1234567890Z",
    "0999-01-01T00:00:00Z", " 2025-01-08T10:12:07Z", "2025-01-08T10:12Z",
    "on hold", "ON-HOLD", "On_hold", "Urgent ", "PROBLEM", "x", "y" * 100, "y" * 101, "z" * 200, "z" * 201,
    "n" * 1000, "n" * 1001, "e" * 128, "e" * 129,
    ["a", "a", " b "], "a\u00e9", "zen:event-type:ticket.x", "\x7f", "a b",
]


def decided(body: Any) -> tuple[str, str, int | None, int | None] | str:
    """The ids ``normalize`` names for an event it accepts; "invalid" or "other" otherwise."""
    try:
        event = normalize(copy.deepcopy(body))
    except InvalidPayload:
        return "invalid"
    if not isinstance(event, TicketEvent):
        return "other"
    return event.id, event.type, event.ticket.id, event.actor_id


def check(body: Any) -> bool:
    """True if the quick check named the body's ids (and they are normalize's)."""
    quick = quick_ids(body)
    if quick is not None:
        assert decided(body) == quick, body
    return quick is not None


def test_every_well_formed_event_webhook_is_named_by_the_quick_check() -> None:
    assert all(check(body) for body in bodies())


def test_triggers_other_events_and_other_shapes_are_left_to_the_validation() -> None:
    for body in (trigger_body(), sample("user.deleted.real.json"), [], "x", None, {"type": "zen:event-type:ticket."}):
        assert quick_ids(body) is None


@pytest.mark.parametrize("index", range(4))
def test_any_field_replaced_or_removed_gives_the_same_ids_or_the_validation_decides(index: int) -> None:
    body = bodies()[index]
    taken = refused = 0
    for path in paths(body):
        for value in [*VALUES, *EDGES, KeyError]:
            variant = replaced(body, path, value)
            if check(variant):
                taken += 1
            elif decided(variant) == "invalid":
                refused += 1
    assert taken > 300 and refused > 100  # both kinds of body were compared


def test_a_comment_and_its_author_are_checked_as_the_schema_checks_them() -> None:
    body = sample("ticket.comment_added.json")
    comment = ("event", "comment")
    for path in [comment, *(p for p in paths(body) if p[:2] == comment)]:
        for value in [*VALUES, *EDGES, KeyError]:
            check(replaced(body, path, value))
    assert check(replaced(body, ("event", "comment", "author"), None))
    assert check(replaced(body, ("event",), None))
