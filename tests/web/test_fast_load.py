"""The receiver's fast validation of ticket-event webhooks never disagrees with marshmallow:
for any body it returns exactly what ``TICKET_EVENT.load`` returns, or None (then marshmallow
loads it, and answers its 400 when the body is wrong)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from marshmallow import ValidationError

from bench.payloads import corpus_texts, created_event
from middleware.zendesk.webhook.fast_load import load_ticket_event
from middleware.zendesk.webhook.normalize import InvalidPayload, normalize
from middleware.zendesk.webhook.schemas import TICKET_EVENT
from tests.conftest import sample_path

VALUES: list[Any] = [None, "", "-", "0", 0, "17", 17, -3, 2**64, 1.5, True, "abc", "LOW", "On-hold", "OPEN",
                     "2025-01-08T10:12:07Z", "2025-01-08T10:12:07.123456789Z", "9999-01-01T00:00:00Z", "x" * 300,
                     [], ["vip", "b"], ["a", 1], "a b  c", {}, {"id": "5"}, "true", "\u00e9t\u00e9"]


def bodies() -> list[dict[str, Any]]:
    out = [json.loads(sample_path(f"ticket.{name}.json").read_text(encoding="utf-8"))
           for name in ("created", "comment_added", "priority_changed")]
    texts = corpus_texts()
    out += [created_event(5000 + n, text, requester_id=900 + n, now="2025-01-08T10:12:07.123456789Z")
            for n, text in enumerate(texts[:20])]
    return out


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    return found


def replaced(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    copy_ = copy.deepcopy(body)
    target = copy_
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return copy_


def check(body: dict[str, Any]) -> bool:
    """True if the fast path took the body (and agreed with marshmallow)."""
    fast = load_ticket_event(body)
    try:
        slow = TICKET_EVENT.load(body)
    except ValidationError:
        assert fast is None, f"fast path accepted what marshmallow refuses: {body}"
        return False
    if fast is not None:
        assert fast == slow
    return fast is not None


def test_every_well_formed_body_takes_the_fast_path_with_the_same_result():
    assert all(check(body) for body in bodies())


@pytest.mark.parametrize("index", range(4))
def test_any_field_replaced_or_removed_gives_the_same_result_or_marshmallow_decides(index):
    body = bodies()[index]
    taken = 0
    for path in paths(body):
        for value in [*VALUES, KeyError]:
            taken += check(replaced(body, path, value))
    extra = replaced(body, ("detail", "brand_new_property"), {"x": 1})
    assert check(extra)  # unknown properties are ignored, as marshmallow does
    assert taken > 100  # most variations are still valid and fast


def test_a_broken_body_still_gets_marshmallows_message():
    body = bodies()[0]
    broken = replaced(body, ("detail", "id"), "not-a-number")
    with pytest.raises(InvalidPayload) as info:
        normalize(broken)
    assert info.value.message == "detail.id: Not a valid integer."
