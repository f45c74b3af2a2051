"""Signed ``ticket.created`` webhook requests, generated before a run and written to a file.

Why pre-generated: the signature covers a timestamp, so a load generator that cannot compute
HMAC-SHA256 (wrk's Lua) cannot sign on the fly, and one that can (Python) would spend its CPU
on it during the measurement. The receiver accepts a timestamp within
``webhook.timestamp_tolerance`` (5 minutes) of now, so requests signed just before a run stay
valid for it; each carries its own event id and invocation id, so none is a duplicate.

File format (read by ``bench/loadgen.py`` and ``bench/wrk_presigned.lua``): for each request an
8-digit ASCII length, then that many bytes of raw HTTP/1.1 request.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from middleware.local.simulator.events import event_time
from middleware.local.simulator.webhooks import ulid
from middleware.web.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

WEBHOOK_PATH = "/webhooks/zendesk"
_CHANNELS = {"web": "web_form", "email": "mail", "api": "web_service"}


@dataclass(frozen=True)
class SignedRequests:
    """Where the requests are, and the event id of each (by position) for the lost-event check."""

    path: Path
    event_ids: list[str]


def corpus_texts() -> list[dict[str, Any]]:
    """Subjects, descriptions, tags, channel and priority of the labelled corpus: realistic
    sizes and wording for the bodies (critical and normal tickets alike)."""
    import yaml

    from tests.rules.corpus import CORPUS_PATH

    items = yaml.safe_load(CORPUS_PATH.read_text(encoding="utf-8"))["tickets"]
    return [
        {
            "subject": item.get("subject") or "",
            "description": item.get("description") or "",
            "tags": list(item.get("tags") or ()),
            "via": item.get("via") or "web",
            "priority": item.get("priority"),
            "critical": bool(item.get("critical")),
        }
        for item in items
    ]


def created_event(ticket_id: int, text: dict[str, Any], *, requester_id: int, now: str) -> dict[str, Any]:
    """A ``zen:event-type:ticket.created`` body in Zendesk's dialect (string ids, UPPERCASE
    enums, nanosecond ``time``), shaped like ``tests/samples/ticket.created.json``."""
    detail = {
        "actor_id": str(requester_id),
        "assignee_id": None,
        "brand_id": "8447346621310",
        "created_at": now,
        "custom_status": "8447320465780",
        "description": text["description"],
        "external_id": None,
        "form_id": "8646151517822",
        "group_id": None,
        "id": str(ticket_id),
        "is_public": True,
        "organization_id": None,
        "priority": text["priority"].upper() if text.get("priority") else None,
        "requester_id": str(requester_id),
        "status": "NEW",
        "subject": text["subject"],
        "submitter_id": str(requester_id),
        "tags": text["tags"],
        "type": None,
        "updated_at": now,
        "via": {"channel": _CHANNELS.get(text["via"], text["via"])},
    }
    return {
        "account_id": 22129848,
        "detail": detail,
        "event": {},
        "id": str(uuid.uuid4()),
        "subject": f"zen:ticket:{ticket_id}",
        "time": event_time(),
        "type": "zen:event-type:ticket.created",
        "zendesk_event_version": "2022-11-06",
    }


def write_signed_requests(path: Path, count: int, secret: str, *, host: str = "127.0.0.1",
                          first_ticket_id: int = 100_000) -> SignedRequests:
    """``count`` distinct signed webhook requests, cycling through the corpus texts."""
    texts = corpus_texts()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    now = stamp
    ids: list[str] = []
    with path.open("wb") as out:
        for i in range(count):
            event = created_event(first_ticket_id + i, texts[i % len(texts)], requester_id=900_000 + i % 500, now=now)
            body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            head = (
                f"POST {WEBHOOK_PATH} HTTP/1.1\r\n"
                f"Host: {host}\r\n"
                "User-Agent: Zendesk Webhook\r\n"
                "Content-Type: application/json; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\n"
                f"X-Zendesk-Webhook-Id: 01BENCHWEBHOOK0000000000000\r\n"
                f"X-Zendesk-Webhook-Invocation-Id: {ulid()}\r\n"
                f"{TIMESTAMP_HEADER}: {stamp}\r\n"
                f"{SIGNATURE_HEADER}: {sign(secret, stamp, body)}\r\n"
                "\r\n"
            ).encode("ascii")
            raw = head + body
            out.write(b"%08d" % len(raw))
            out.write(raw)
            ids.append(event["id"])
    return SignedRequests(path, ids)


def read_requests(path: Path) -> list[bytes]:
    data = path.read_bytes()
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        size = int(data[pos : pos + 8])
        out.append(data[pos + 8 : pos + 8 + size])
        pos += 8 + size
    return out
