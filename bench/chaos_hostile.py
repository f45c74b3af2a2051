"""Generated hostile requests for ``python -m bench chaos --scenario hostile``.

Three families, all sent validly signed (webhooks) or with the intake token, so they get past
authentication and reach the parsing, validation, normalisation and the jobs:

* **webhook events** — Hypothesis strategies over the event schema: real event types and
  fields, with values drawn from the plausible and the hostile (wrong types, huge numbers,
  lone surrogates, control characters, times in year 1 or 9999, deep nesting, empty objects);
* **intake bodies** — the same over the generic and Alertmanager alert shapes and staff reports;
* **raw-byte mutations** — valid bodies with bytes flipped, inserted, deleted or truncated.

Every answer must be a 2xx or a 4xx: a 5xx (or a dropped connection) is a defect.
"""

from __future__ import annotations

import concurrent.futures
import json
import random
import warnings
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st

from bench.chaos_support import CRITICAL_DESCRIPTION, CRITICAL_SUBJECT, Poster, sample_event

EVENT_TYPES = ["ticket.created", "ticket.comment_added", "ticket.status_changed", "ticket.tags_changed",
               "ticket.priority_changed", "ticket.agent_assignment_changed", "user.deleted"]

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "\u202e", "platform down \ud83d", "", " ", "null",
                     "URGENT platform down nobody can log in", "9" * 400]),
)
TIMES = st.one_of(
    st.sampled_from(["2025-01-08T10:12:07Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z",
                     "2025-01-08T10:12:07.123456789Z", "2025-13-45T99:99:99Z", "yesterday", "",
                     "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"]),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
)
IDS = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.text(max_size=12), st.none(),
                st.sampled_from(["5158", "-", "", "0", "1e9", "99999999999999999999999"]))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), HOSTILE_TEXT)
ANY_JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                        max_leaves=6)


def nested(depth: int) -> Any:
    value: Any = "x"
    for k in range(depth):
        value = [value] if k % 2 else {"n": value}
    return value


DEEP = st.integers(min_value=40, max_value=900).map(nested)
VALUE = st.one_of(SCALARS, ANY_JSON, DEEP)


@st.composite
def webhook_events(draw: Any) -> dict[str, Any]:
    ticket_id = draw(st.one_of(st.integers(min_value=1, max_value=10**6).map(str), IDS))
    detail: dict[str, Any] = {
        "id": ticket_id,
        "subject": draw(st.one_of(HOSTILE_TEXT, VALUE)),
        "description": draw(st.one_of(HOSTILE_TEXT, VALUE)),
        "status": draw(st.one_of(st.sampled_from(["NEW", "OPEN", "SOLVED", "closed", "weird"]), VALUE)),
        "priority": draw(st.one_of(st.sampled_from(["LOW", "URGENT", None, "p0"]), VALUE)),
        "type": draw(st.one_of(st.sampled_from(["TASK", "INCIDENT", None]), VALUE)),
        "tags": draw(st.one_of(st.lists(HOSTILE_TEXT, max_size=5), VALUE)),
        "created_at": draw(st.one_of(TIMES, VALUE)),
        "updated_at": draw(st.one_of(TIMES, VALUE)),
        "requester_id": draw(IDS),
        "actor_id": draw(IDS),
        "organization_id": draw(IDS),
        "via": draw(st.one_of(st.fixed_dictionaries({"channel": HOSTILE_TEXT}), VALUE)),
    }
    for key in draw(st.lists(st.sampled_from(sorted(detail)), max_size=3)):
        detail.pop(key, None)  # missing fields
    event: dict[str, Any] = {
        "account_id": draw(st.one_of(st.just(1), IDS)),
        "id": draw(st.one_of(st.uuids().map(str), HOSTILE_TEXT)),
        "subject": f"zen:ticket:{ticket_id}",
        "time": draw(st.one_of(TIMES, VALUE)),
        "type": "zen:event-type:" + draw(st.one_of(st.sampled_from(EVENT_TYPES), HOSTILE_TEXT)),
        "zendesk_event_version": "2022-11-06",
        "event": draw(st.one_of(st.just({}), st.dictionaries(st.text(max_size=8), VALUE, max_size=3))),
        "detail": draw(st.one_of(st.just(detail), VALUE)) if draw(st.integers(0, 9)) == 0 else detail,
    }
    return event


@st.composite
def intake_bodies(draw: Any) -> tuple[str, dict[str, Any] | Any]:
    kind = draw(st.sampled_from(["generic", "alertmanager", "report"]))
    if kind == "generic":
        body: Any = {"title": draw(HOSTILE_TEXT), "fingerprint": draw(st.one_of(HOSTILE_TEXT, VALUE)),
                     "status": draw(st.one_of(st.sampled_from(["firing", "resolved"]), VALUE)),
                     "severity": draw(st.one_of(st.sampled_from(["critical", "warning"]), VALUE)),
                     "labels": draw(st.one_of(st.dictionaries(st.text(max_size=8), HOSTILE_TEXT, max_size=4), VALUE)),
                     "starts_at": draw(st.one_of(TIMES, VALUE))}
        return "alerts", body
    if kind == "alertmanager":
        alert = {"status": draw(st.sampled_from(["firing", "resolved"])),
                 "labels": draw(st.dictionaries(st.text(max_size=8), HOSTILE_TEXT, max_size=4)),
                 "annotations": draw(st.dictionaries(st.text(max_size=8), st.one_of(HOSTILE_TEXT, VALUE), max_size=3)),
                 "startsAt": draw(TIMES), "endsAt": draw(TIMES), "fingerprint": draw(HOSTILE_TEXT)}
        body = {"version": "4", "status": "firing", "receiver": "x", "groupKey": draw(HOSTILE_TEXT),
                "alerts": draw(st.one_of(st.lists(st.just(alert), min_size=1, max_size=3), VALUE))}
        return "alerts", body
    body = {"reporter_email": draw(st.one_of(st.emails(), HOSTILE_TEXT)), "summary": draw(HOSTILE_TEXT),
            "description": draw(st.one_of(HOSTILE_TEXT, VALUE)),
            "organizations": draw(st.one_of(st.lists(IDS, max_size=3), VALUE)),
            "category": draw(st.one_of(st.sampled_from(["outage", "security", "nope"]), VALUE))}
    return "reports", body


def _collect(strategy: Any, count: int, seed: int) -> list[Any]:
    """``count`` examples of ``strategy``, generated by Hypothesis's engine (not replayed)."""
    found: list[Any] = []

    @fixed_seed(seed)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def record(value: Any) -> None:
        found.append(value)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record()
    return found


def encode(value: Any) -> bytes:
    """JSON as a sender would write it: non-ASCII escaped, so lone surrogates travel as ``\\ud800``."""
    try:
        return json.dumps(value, ensure_ascii=True).encode("ascii")
    except (ValueError, RecursionError):
        return b'{"unencodable": true}'


def mutate(body: bytes, rng: random.Random) -> bytes:
    data = bytearray(body)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(4)
        pos = rng.randrange(len(data) + 1)
        if op == 0 and data:
            data[min(pos, len(data) - 1)] = rng.randrange(256)
        elif op == 1:
            data[pos:pos] = bytes([rng.randrange(256)])
        elif op == 2 and data:
            del data[min(pos, len(data) - 1)]
        else:
            data = data[:pos]
    return bytes(data)


def run_hostile(poster: Poster, total: int, seed: int = 13) -> Counter[int]:
    """Send ``total`` hostile requests; returns the count of each status (0: connection failed).

    A fifth are drawn by Hypothesis (three quarters webhook events, a quarter intake bodies);
    the rest are raw-byte mutations of those and of valid events (Hypothesis's engine spends
    ~50 ms an example here, a mutation microseconds).
    """
    drawn = max(1, total // 5)
    n_events = drawn * 3 // 4
    events = [encode(e) for e in _collect(webhook_events(), n_events, seed)]
    intake = [(path, encode(b)) for path, b in _collect(intake_bodies(), drawn - n_events, seed + 1)]
    rng = random.Random(seed)
    bases = [*events[:200], *(valid_event(k) for k in range(50))]
    raw = [mutate(rng.choice(bases), rng) for _ in range(total - len(events) - len(intake))]
    jobs: list[tuple[str, str, bytes]] = ([("webhook", "", b) for b in events] + [("intake", p, b) for p, b in intake]
                                          + [("webhook", "", b) for b in raw])
    rng.shuffle(jobs)

    def send(job: tuple[str, str, bytes]) -> int:
        kind, path, body = job
        if kind == "intake":
            return poster.intake(path, body)[0]
        return poster.webhook(body, invocation_id=None)[0]

    statuses: Counter[int] = Counter()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for status in pool.map(send, jobs):
            statuses[status] += 1
    return statuses


def valid_event(k: int) -> bytes:
    if k % 2:
        return sample_event(700000 + k, f"valid-{k}", CRITICAL_SUBJECT, CRITICAL_DESCRIPTION)
    return sample_event(700000 + k, f"valid-{k}")
