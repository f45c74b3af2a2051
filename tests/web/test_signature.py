"""Signature verification against Zendesk's published vectors (zendesk-samples/README.md).

The HTTP-level cases (401s, rotation through the endpoint) live in test_webhooks.py; these pin
the primitives the receiver relies on.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from middleware.web.signature import parse_secrets, sign, timestamp_is_fresh, verify
from tests.conftest import sample_path

TEST_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
VECTOR_TIMESTAMP = "2023-09-18T23:38:13Z"
VECTOR_SIGNATURE = "VCldPqtHdOD33FOkvZAhd0FbaSLroHT1nZn6kDYV48g="
EMPTY_TIMESTAMP = "2021-03-25T05:09:27Z"
EMPTY_SIGNATURE = "wCdBvXaHttn0wRVIYctzZ9O6O0bnqWakJMEKZ9VoRWw="
REAL_DELIVERY_SIGNATURE = "TmnyajSgXX2+tMqZ98RmknPqglKM+XJsgum1GkwFsW0="  # signed with the account's own secret


@pytest.fixture(scope="module")
def real_body() -> bytes:
    body = sample_path("user.deleted.real.json").read_bytes()
    # The vector only holds for these exact bytes (3-space indent, trailing newline).
    assert hashlib.sha256(body).hexdigest() == "dabc24629b8ac80f7ec992ab9167466dec08a1789101a7dd8650496b23441de9"
    return body


def test_sign_reproduces_the_real_body_vector(real_body: bytes) -> None:
    assert sign(TEST_SECRET, VECTOR_TIMESTAMP, real_body) == VECTOR_SIGNATURE


def test_verify_accepts_the_real_body_vector(real_body: bytes) -> None:
    assert verify((TEST_SECRET,), VECTOR_TIMESTAMP, real_body, VECTOR_SIGNATURE)


def test_empty_body_vector() -> None:
    assert sign(TEST_SECRET, EMPTY_TIMESTAMP, b"") == EMPTY_SIGNATURE
    assert verify((TEST_SECRET,), EMPTY_TIMESTAMP, b"", EMPTY_SIGNATURE)


def test_secret_is_used_as_utf8_text_not_base64_decoded(real_body: bytes) -> None:
    import base64

    decoded = base64.b64decode(TEST_SECRET).decode()
    assert not verify((decoded,), VECTOR_TIMESTAMP, real_body, VECTOR_SIGNATURE)


def test_rotation_accepts_any_current_secret(real_body: bytes) -> None:
    assert verify(("new-secret-not-yet-in-zendesk", TEST_SECRET), VECTOR_TIMESTAMP, real_body, VECTOR_SIGNATURE)
    assert verify((TEST_SECRET, "another"), VECTOR_TIMESTAMP, real_body, VECTOR_SIGNATURE)


def test_wrong_secret_body_or_timestamp_is_refused(real_body: bytes) -> None:
    assert not verify(("wrong",), VECTOR_TIMESTAMP, real_body, VECTOR_SIGNATURE)
    assert not verify((TEST_SECRET,), VECTOR_TIMESTAMP, real_body + b" ", VECTOR_SIGNATURE)
    assert not verify((TEST_SECRET,), "2023-09-18T23:38:14Z", real_body, VECTOR_SIGNATURE)
    assert not verify((), VECTOR_TIMESTAMP, real_body, VECTOR_SIGNATURE)


def test_real_delivery_header_does_not_match_the_test_secret(real_body: bytes) -> None:
    """The captured delivery was signed with the account's secret, not the static test one."""
    assert not verify((TEST_SECRET,), VECTOR_TIMESTAMP, real_body, REAL_DELIVERY_SIGNATURE)


def test_garbage_signature_is_refused_not_an_error(real_body: bytes) -> None:
    assert not verify((TEST_SECRET,), VECTOR_TIMESTAMP, real_body, "not base64 ✓")
    assert not verify((TEST_SECRET,), VECTOR_TIMESTAMP, real_body, "")


def test_parse_secrets_splits_rotation_list() -> None:
    assert parse_secrets("old, new ,,") == ("old", "new")
    assert parse_secrets("") == ()
    assert parse_secrets(None) == ()


@pytest.mark.parametrize(
    ("offset", "fresh"),
    [
        (timedelta(0), True),
        (timedelta(minutes=4, seconds=59), True),
        (timedelta(minutes=-4, seconds=-59), True),
        (timedelta(minutes=5, seconds=1), False),  # stale
        (timedelta(minutes=-5, seconds=-1), False),  # from the future
        (timedelta(hours=30), False),
    ],
)
def test_timestamp_tolerance_both_ways(offset: timedelta, fresh: bool) -> None:
    sent = datetime(2023, 9, 18, 23, 38, 13, tzinfo=UTC)
    assert timestamp_is_fresh(VECTOR_TIMESTAMP, sent + offset, timedelta(minutes=5)) is fresh


@pytest.mark.parametrize("value", ["", "yesterday", "2023-13-45T99:00:00Z"])
def test_malformed_timestamp_is_not_fresh(value: str) -> None:
    assert not timestamp_is_fresh(value, datetime(2023, 9, 18, 23, 38, 13, tzinfo=UTC), timedelta(minutes=5))
