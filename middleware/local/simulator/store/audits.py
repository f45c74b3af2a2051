"""A ticket's history: its comments, its audits and the event webhooks each change fires.

Every write records one audit (the comment it carries, a ``Create``/``Change`` event per field)
and builds the webhooks Zendesk would send for it while the before and after state is at hand;
they are delivered elsewhere, after the lock is released.
"""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

from middleware.local.simulator import events as ev
from middleware.local.simulator.store.account import Account
from middleware.local.simulator.store.errors import not_found
from middleware.local.simulator.store.formats import iso, opt_id, via

COMMENT_EVENT_KEYS = ("id", "type", "author_id", "body", "html_body", "plain_body", "public", "attachments", "audit_id")


def _html_of(body: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n\n")) or "<p></p>"
    return f'<div class="zd-comment" dir="auto">{paragraphs}</div>'


def _text_of(html_body: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_body)).strip()


def comment_event(comment: dict[str, Any]) -> dict[str, Any]:
    """The ``Comment`` event of an audit: the comment without its time, channel and metadata."""
    return {k: comment[k] for k in COMMENT_EVENT_KEYS}


class Audits:
    """``/tickets/{id}/comments`` and ``/audits``, and the records a write adds to them."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def _history(self, ticket_id: Any, records: dict[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        tid = opt_id(ticket_id) or -1
        if tid not in self.account.tickets:
            raise not_found()
        return list(records.get(tid, ()))

    def comments_of(self, ticket_id: Any) -> list[dict[str, Any]]:
        with self.account.lock:
            return self._history(ticket_id, self.account.comments)

    def audits_of(self, ticket_id: Any) -> list[dict[str, Any]]:
        with self.account.lock:
            return self._history(ticket_id, self.account.audits)

    # -- building records (with the lock held) ---------------------------------------------
    def comment(
        self, audit_id: int, author_id: int, body: Any, html_body: Any, public: bool, channel: str, ts: int
    ) -> dict[str, Any]:
        text = _text_of(str(html_body)) if html_body and not body else str(body or "")
        rich = str(html_body) if html_body else _html_of(text)
        return {
            "id": self.account.next_id("comment"),
            "type": "Comment",
            "author_id": author_id,
            "body": text,
            "html_body": rich,
            "plain_body": text,
            "public": public,
            "attachments": [],
            "audit_id": audit_id,
            "via": via(channel),
            "created_at": iso(ts),
            "metadata": {"system": {}, "custom": {}},
        }

    def field_event(self, kind: str, name: str, value: Any, *previous: Any) -> dict[str, Any]:
        """An audit's ``Create`` (no previous value) or ``Change`` event of one field."""
        event = {"id": self.account.next_id("event"), "type": kind, "field_name": name, "value": value}
        if previous:
            event["previous_value"] = previous[0]
        return event

    def audit(
        self, audit_id: int, ticket_id: int, author_id: int, channel: str, ts: int, events: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return {
            "id": audit_id,
            "ticket_id": ticket_id,
            "created_at": iso(ts),
            "author_id": author_id,
            "metadata": {"system": {}, "custom": {}},
            "via": via(channel),
            "events": events,
        }

    def record(self, ticket_id: int, audit: dict[str, Any], comment: dict[str, Any] | None) -> None:
        """Append a write's audit (and comment) to the ticket's history, copy-on-write."""
        acc = self.account
        if comment is not None:
            acc.comments[ticket_id] = [*acc.comments.get(ticket_id, ()), comment]
        acc.audits[ticket_id] = [*acc.audits.get(ticket_id, ()), audit]

    def webhooks(
        self,
        ticket: dict[str, Any],
        actor_id: int,
        changes: list[tuple[str, Any, Any]],
        comment: dict[str, Any] | None,
    ) -> list[dict[str, Any]]:
        """Zendesk's event webhooks for one update, sharing one ``meta.sequence.id``."""
        seq = uuid.uuid4().hex
        out: list[dict[str, Any]] = []

        def add(name: str, body: dict[str, Any]) -> None:
            out.append(ev.ticket_event(self.account.account_id, ticket, actor_id, name, body, seq, len(out) + 1))

        if comment is not None:
            author = self.account.users.get(comment["author_id"]) or {}
            add("comment_added", {"comment": ev.comment_body(comment, author)})
        for name, old, new in changes:
            if name == "tags":
                old_set, new_set = set(old or ()), set(new or ())
                add(
                    "tags_changed",
                    {
                        "tags_added": [t for t in new if t not in old_set],
                        "tags_removed": [t for t in old or () if t not in new_set],
                    },
                )
            elif name in ev.ENUM_EVENTS:
                add(ev.ENUM_EVENTS[name], {"current": ev.upper(new), "previous": ev.upper(old)})
            elif name in ev.ID_EVENTS:
                add(ev.ID_EVENTS[name], {"current": ev.sid(new), "previous": ev.sid(old)})
        return out

    def created_webhooks(self, ticket: dict[str, Any], actor_id: int) -> list[dict[str, Any]]:
        """A new ticket fires ``ticket.created`` alone."""
        return [ev.ticket_event(self.account.account_id, ticket, actor_id, "created", {}, uuid.uuid4().hex, 1)]
