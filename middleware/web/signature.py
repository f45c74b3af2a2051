"""Zendesk webhook signatures (DESIGN.md §5).

``X-Zendesk-Webhook-Signature`` is base64(HMAC-SHA256(secret as UTF-8, timestamp + raw body)).
We HMAC the raw bytes exactly as received (re-serialising JSON would change them) and compare
in constant time. Several secrets may be valid at once while a secret is being rotated.
"""

from __future__ import annotations

import binascii
import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta

from rules.model import parse_time

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature Zendesk would send for this body; used by the simulator and tests."""
    return _signature(secret, timestamp, body).decode("ascii")


def _signature(secret: str, timestamp: str, body: bytes) -> bytes:
    """base64(HMAC-SHA256) as ASCII bytes; ``hmac.digest`` is the one-shot C path (no HMAC
    object, no Python-level copy of the key's pads per call)."""
    return binascii.b2a_base64(hmac.digest(secret.encode("utf-8"), timestamp.encode("utf-8") + body, "sha256"),
                               newline=False)


def parse_secrets(value: str | None) -> tuple[str, ...]:
    """``ZENDESK_WEBHOOK_SECRET`` holds one secret, or several comma-separated during rotation."""
    if not value:
        return ()
    return tuple(s.strip() for s in value.split(",") if s.strip())


def verify(secrets: Iterable[str], timestamp: str, body: bytes, signature: str) -> bool:
    """True when any current secret produced ``signature``; every secret is tried (no early
    exit on a cheap mismatch) so timing does not reveal which one is in use."""
    return Verifier(secrets)(timestamp, body, signature)


class Verifier:
    """:func:`verify` for a process that checks many bodies against the same secrets: each
    secret's HMAC key schedule (the padded key hashed once, inside and outside) is computed once
    and copied per body, instead of being set up again by every ``hmac.digest`` (a tenth of
    the signature's cost per webhook, docs/benchmarks.md)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._keyed = tuple(hmac.new(secret.encode("utf-8"), digestmod="sha256") for secret in secrets)

    def __bool__(self) -> bool:
        return bool(self._keyed)

    def __call__(self, timestamp: str, body: bytes, signature: str) -> bool:
        ok = False
        given = signature.strip().encode("ascii", "replace")
        message = timestamp.encode("utf-8") + body
        for keyed in self._keyed:
            mac = keyed.copy()
            mac.update(message)
            ok |= hmac.compare_digest(binascii.b2a_base64(mac.digest(), newline=False), given)
        return ok


def timestamp_is_fresh(timestamp: str, now: datetime, tolerance: timedelta) -> bool:
    """A signed timestamp too far from now (either way) is a replay or a broken clock."""
    try:
        sent = parse_time(timestamp)
        if sent is None:
            return False
        return abs(now - sent) <= tolerance
    except (ValueError, OverflowError):  # "0001-01-01T00:00:00+05:00" overflows on conversion
        return False
