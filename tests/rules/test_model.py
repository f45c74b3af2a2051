"""``Ticket.to_dict`` and friends give exactly what ``dataclasses.asdict`` gave, only faster.

The receiver turns every queued event into a dict; ``asdict`` (a deep copy of every value,
~40 us per datetime) was replaced by ``events._plain`` for speed, and these tests pin that the
result did not change, value for value, on every shape the events can take.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from rules.model import Comment, Organization, Person, Ticket, TicketEvent, _plain
from tests.rules.corpus import load_corpus

NOW = datetime(2025, 1, 8, 10, 12, 7, 672717, tzinfo=UTC)

FULL = Ticket(
    id=5158,
    subject="Checkout is down",
    description="Nobody can pay",
    status="new",
    priority="urgent",
    type="incident",
    tags=("a", "b"),
    requester_id=1,
    submitter_id=2,
    assignee_id=3,
    organization_id=4,
    group_id=5,
    problem_id=6,
    via_channel="web",
    created_at=NOW,
    updated_at=NOW,
    custom_fields={"360001": [1, {"nested": (1, 2)}], "360002": None, "360003": "x"},
    requester=Person(1, "agent", "a@example.com", "Ann"),
    organization=Organization(4, "Acme", ("key_account",), {"tier": {"level": [1, 2]}}),
    latest_comment=Comment(9, "body", False, 3, True, "Agent", NOW),
)


@pytest.mark.parametrize("obj", [FULL, Ticket(id=1), Comment(), Person(), Organization(), FULL.latest_comment])
def test_plain_equals_asdict(obj: object) -> None:
    expected = dataclasses.asdict(obj)  # type: ignore[call-overload]
    got = _plain(obj)
    assert got == expected
    assert repr(got) == repr(expected)  # same container types (tuples stay tuples) and order


def test_plain_copies_containers_so_the_dict_never_aliases_the_ticket() -> None:
    got = _plain(FULL)
    got["custom_fields"]["360001"][1]["nested"] = "changed"
    got["organization"]["fields"]["tier"]["level"].append(3)
    assert FULL.custom_fields["360001"][1]["nested"] == (1, 2)
    assert FULL.organization is not None and FULL.organization.fields["tier"]["level"] == [1, 2]


def test_every_corpus_ticket_round_trips_as_before() -> None:
    for item in load_corpus():
        ticket = item.ticket
        data = ticket.to_dict()
        old = dataclasses.asdict(ticket)
        old["tags"] = list(ticket.tags)
        old["created_at"] = old["updated_at"] = None
        if ticket.organization is not None:
            old["organization"]["tags"] = list(ticket.organization.tags)
        if ticket.latest_comment is not None:
            old["latest_comment"] = {**dataclasses.asdict(ticket.latest_comment), "created_at": None}
        assert data == old
        assert Ticket.from_dict(data) == ticket


def test_event_to_dict_round_trips() -> None:
    event = TicketEvent(id="e1", type="comment_added", ticket=FULL, time=NOW, actor_id=7,
                        comment=FULL.latest_comment, previous="open", current={"added": ["x"], "removed": []})
    assert TicketEvent.from_dict(event.to_dict()) == event
