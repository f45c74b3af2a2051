"""``json_guard.loads``: orjson's speed, the standard library's answers.

The receivers parse every body with it; a body orjson refuses must get exactly what
``json.loads`` gave it before (the same values, or the same error), so no webhook that used
to be accepted is refused and no 400 changes.
"""

from __future__ import annotations

import json

import pytest

from middleware.zendesk.json_guard import loads

VALID = [
    b'{"type":"zen:event-type:ticket.created","detail":{"id":"35436","tags":["a","b"],"n":1.5e3}}',
    '{"subject":"Bestellungen kommen nicht an – 配送 🚚","z":null,"t":true}'.encode(),
    b'[1, -0.0, 1e308, 12345678901234567890, "x"]',  # a number beyond 64 bits: orjson refuses it
    b'{"s":"\\ud800 lone surrogate","pair":"\\ud83d\\ude9a"}',  # orjson refuses the lone surrogate
    b'{"a": NaN, "b": Infinity}',  # not JSON, but json.loads takes it
    '{"utf16": "yes"}'.encode("utf-16"),  # json.loads detects UTF-16/32
    b'{"dup":1,"dup":2}',
]
INVALID = [b"", b"{", b'{"a":1} trailing', b"\xff\xfe\xfa", b'{"a":"\x01"}', b"'single'"]


@pytest.mark.parametrize("raw", VALID)
def test_what_json_loads_accepts_parses_to_the_same_values(raw: bytes) -> None:
    got, want = loads(raw), json.loads(raw)
    assert json.dumps(got) == json.dumps(want)  # NaN != NaN, so compared as JSON text


@pytest.mark.parametrize("raw", INVALID)
def test_what_json_loads_refuses_is_refused_with_the_same_error(raw: bytes) -> None:
    with pytest.raises(ValueError) as want:
        json.loads(raw)
    with pytest.raises(ValueError) as got:
        loads(raw)
    assert type(got.value) is type(want.value) and str(got.value) == str(want.value)


def test_absurd_nesting_fails_as_it_did() -> None:
    raw = b"[" * 5000 + b"]" * 5000  # past orjson's 1,024 levels and the interpreter's recursion limit
    with pytest.raises(RecursionError):
        json.loads(raw)
    with pytest.raises(RecursionError):  # the receivers' 400 "malformed_json", as before
        loads(raw)
