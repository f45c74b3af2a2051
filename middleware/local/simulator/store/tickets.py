"""Tickets: reads, and the writes Zendesk allows, each one audit and its event webhooks.

Each write returns a :class:`WriteResult`: the ticket after the change, the audit Zendesk would
record, and the event webhooks it would send.

Timestamps: ``updated_at`` has Zendesk's whole-second format, and every change moves a ticket's
``updated_at`` forward by at least one second (``max(now, previous + 1 s)``). That keeps the
real wire format and still lets ``safe_update`` detect a stale stamp reliably even for two
updates within the same second. ``generated_timestamp`` carries the same instant as epoch
seconds, as in Zendesk's incremental export.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from middleware.local.simulator import events as ev
from middleware.local.simulator.store.account import Account
from middleware.local.simulator.store.audits import Audits, comment_event
from middleware.local.simulator.store.errors import conflict, invalid, not_found
from middleware.local.simulator.store.formats import (
    PRIORITIES,
    SOLVED,
    STATUSES,
    TYPES,
    iso,
    opt_id,
    parse_epoch,
    split_tags,
    truthy,
    via,
)
from middleware.local.simulator.store.users import Users

# The fields a new ticket's audit records as ``Create`` events, when set.
CREATE_EVENT_FIELDS = (
    "subject",
    "requester_id",
    "status",
    "priority",
    "type",
    "group_id",
    "assignee_id",
    "organization_id",
    "tags",
)


@dataclass
class WriteResult:
    """What one write produced: the ticket after it, its audit, and the webhooks to send."""

    ticket: dict[str, Any]
    audit: dict[str, Any] | None
    events: list[dict[str, Any]] = field(default_factory=list)
    created: bool = False


def _comment_in(data: dict[str, Any], key: str = "comment") -> Any:
    """A write's comment as a dict (Zendesk takes a bare string for the body too)."""
    comment = data.get(key)
    return {"body": comment} if isinstance(comment, str) else comment


class Tickets:
    """``/tickets``: get and list, create, update (with ``safe_update``), tags, problem links."""

    def __init__(self, account: Account, users: Users, audits: Audits) -> None:
        self.account = account
        self.users = users
        self.audits = audits

    # -- reads ------------------------------------------------------------------------------
    def get(self, ticket_id: Any) -> dict[str, Any]:
        return self.account.lookup("tickets", ticket_id)

    def by_ids(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        with self.account.lock:
            return [self.account.tickets[i] for i in ids if i in self.account.tickets]

    def list_all(self) -> list[dict[str, Any]]:
        with self.account.lock:
            return list(self.account.tickets.values())

    # -- writes -----------------------------------------------------------------------------
    def create(
        self,
        actor_id: int,
        data: dict[str, Any],
        *,
        via_channel: str = "api",
        created_at: Any = None,
    ) -> WriteResult:
        """``POST /tickets``: the first comment becomes the description; a requester given as
        ``{name, email}`` is found or created; ``ticket.created`` is the one event fired."""
        acc = self.account
        with acc.lock:
            now = acc.now()
            ts = parse_epoch(created_at) if created_at is not None else now
            if ts is None:
                raise invalid("created_at", "Created at: is invalid")
            comment_in = _comment_in(data) or {}
            body = comment_in.get("body") or comment_in.get("value")
            html_body = comment_in.get("html_body")
            if not body and not html_body and data.get("description"):
                body = str(data["description"])
            if not body and not html_body:
                raise invalid("description", "Description: cannot be blank")
            if isinstance(data.get("requester"), dict):
                requester = self.users.find_or_create_unlocked(data["requester"], "end-user", now)
            elif data.get("requester_id") is not None:
                requester = acc.users.get(opt_id(data["requester_id"]) or -1)
                if requester is None:
                    raise invalid("requester", "Requester: is invalid")
            else:
                requester = acc.users[actor_id]
            submitter_id = opt_id(data.get("submitter_id")) or actor_id
            org_id = opt_id(data.get("organization_id")) or requester["organization_id"]
            if org_id is not None and org_id not in acc.orgs:
                raise invalid("organization_id", "Organization: is invalid")
            tid = acc.next_id("ticket")
            ticket: dict[str, Any] = {
                "id": tid,
                "external_id": data.get("external_id"),
                "via": via(via_channel),
                "created_at": iso(ts),
                "updated_at": iso(ts),
                "generated_timestamp": ts,
                "type": None,
                "subject": None,
                "raw_subject": None,
                "description": "",
                "priority": None,
                "status": "new",
                "recipient": None,
                "requester_id": requester["id"],
                "submitter_id": submitter_id,
                "assignee_id": None,
                "organization_id": org_id,
                "group_id": None,
                "collaborator_ids": [],
                "follower_ids": [],
                "email_cc_ids": [],
                "forum_topic_id": None,
                "problem_id": None,
                "has_incidents": False,
                "is_public": True,
                "due_at": None,
                "tags": [],
                "custom_fields": [],
                "satisfaction_rating": None,
                "sharing_agreement_ids": [],
                "followup_ids": [],
                "ticket_form_id": ev.FORM_ID,
                "brand_id": ev.BRAND_ID,
                "allow_channelback": False,
                "allow_attachments": True,
                "from_messaging_channel": False,
                "custom_status_id": ev.CUSTOM_STATUS_IDS["new"],
            }
            subject = data.get("subject")
            ticket["subject"] = ticket["raw_subject"] = str(subject) if subject is not None else None
            self._apply_fields(ticket, data, creating=True)
            if "status" not in data and ticket["assignee_id"] is not None:
                ticket["status"] = "open"
            ticket["custom_status_id"] = ev.CUSTOM_STATUS_IDS[ticket["status"]]
            author_id = opt_id(comment_in.get("author_id")) or requester["id"]
            public = truthy(comment_in.get("public", True))
            ticket["is_public"] = public
            audit_id = acc.next_id("audit")
            comment = self.audits.comment(audit_id, author_id, body, html_body, public, via_channel, ts)
            ticket["description"] = comment["body"]
            acc.tickets[tid] = ticket
            acc.changed(tid)
            audit_events: list[dict[str, Any]] = [comment_event(comment)]
            for name in CREATE_EVENT_FIELDS:
                value = ticket[name]
                if value not in (None, []):
                    audit_events.append(self.audits.field_event("Create", name, value))
            audit = self.audits.audit(audit_id, tid, actor_id, via_channel, ts, audit_events)
            self.audits.record(tid, audit, comment)
            self._touch_problem(ticket, None)
            events = self.audits.created_webhooks(ticket, actor_id)
            return WriteResult(ticket=ticket, audit=audit, events=events, created=True)

    def update(
        self,
        actor_id: int,
        ticket_id: Any,
        data: dict[str, Any],
        *,
        via_channel: str = "api",
        allow_closed: bool = False,
    ) -> WriteResult:
        """``PUT /tickets/{id}``: field changes plus at most one comment, as one audit.

        ``safe_update`` with a stale ``updated_stamp`` is refused with Zendesk's 409 body. An
        update that changes nothing records nothing and fires nothing (as in Zendesk).
        """
        with self.account.lock:
            current = self._writable_unlocked(ticket_id, data, allow_closed=allow_closed)
            return self._update_unlocked(actor_id, current, data, via_channel)

    def modify_tags(self, actor_id: int, ticket_id: Any, mode: str, tags: Any, data: dict[str, Any]) -> WriteResult:
        """``/tickets/{id}/tags``: PUT adds, POST sets, DELETE removes; refused on closed
        tickets like Zendesk; honours ``safe_update`` + ``updated_stamp`` too."""
        words = split_tags(tags)
        with self.account.lock:
            current = self._writable_unlocked(ticket_id, data, allow_closed=False)
            update = {"set": {"tags": words}, "add": {"additional_tags": words}, "remove": {"remove_tags": words}}
            return self._update_unlocked(actor_id, current, update[mode], "api")

    # -- helpers (called with the lock held) ------------------------------------------------
    def _writable_unlocked(self, ticket_id: Any, data: dict[str, Any], *, allow_closed: bool) -> dict[str, Any]:
        """The ticket a write may change: it exists, its stamp is current if ``safe_update``
        asks, and it is not closed (unless the caller may write to closed tickets)."""
        current = self.account.tickets.get(opt_id(ticket_id) or -1)
        if current is None:
            raise not_found()
        if truthy(data.get("safe_update")):
            stamp = data.get("updated_stamp")
            if stamp is None:
                raise invalid("updated_stamp", "Updated stamp: is required with safe_update")
            if parse_epoch(stamp) != current["generated_timestamp"]:
                raise conflict()
        if current["status"] == "closed" and not allow_closed:
            raise invalid("status", "Status: closed prevents ticket update")
        return current

    def _update_unlocked(
        self, actor_id: int, current: dict[str, Any], data: dict[str, Any], via_channel: str
    ) -> WriteResult:
        acc = self.account
        new = dict(current)
        changes = self._apply_fields(new, data, creating=False)
        if "status" not in data and current["status"] == "new" and new["assignee_id"] is not None:
            new["status"] = "open"
            changes.append(("status", "new", "open"))
        comment_in = _comment_in(data)
        has_comment = bool(comment_in) and bool(
            comment_in.get("body") or comment_in.get("html_body") or comment_in.get("value")
        )
        if not changes and not has_comment:
            return WriteResult(ticket=current, audit=None, events=[])
        ts = max(acc.now(), current["generated_timestamp"] + 1)
        new["updated_at"] = iso(ts)
        new["generated_timestamp"] = ts
        new["custom_status_id"] = ev.CUSTOM_STATUS_IDS[new["status"]]
        audit_id = acc.next_id("audit")
        audit_events: list[dict[str, Any]] = []
        comment = None
        if has_comment and comment_in is not None:
            author_id = opt_id(comment_in.get("author_id")) or actor_id
            if author_id not in acc.users:
                raise invalid("comment", "Comment: author is invalid")
            comment = self.audits.comment(
                audit_id,
                author_id,
                comment_in.get("body") or comment_in.get("value"),
                comment_in.get("html_body"),
                truthy(comment_in.get("public", True)),
                via_channel,
                ts,
            )
            audit_events.append(comment_event(comment))
        for name, old, value in changes:
            audit_events.append(self.audits.field_event("Change", name, value, old))
        audit = self.audits.audit(audit_id, new["id"], actor_id, via_channel, ts, audit_events)
        acc.tickets[new["id"]] = new
        acc.changed(new["id"])
        self.audits.record(new["id"], audit, comment)
        self._touch_problem(new, current)
        events = self.audits.webhooks(new, actor_id, changes, comment)
        if new["type"] == "problem" and new["status"] in SOLVED and current["status"] not in SOLVED:
            events += self._solve_incidents_unlocked(actor_id, new["id"], comment, via_channel)
        return WriteResult(ticket=new, audit=audit, events=events)

    def _solve_incidents_unlocked(
        self, actor_id: int, problem_id: int, comment: dict[str, Any] | None, via_channel: str
    ) -> list[dict[str, Any]]:
        """Zendesk's behaviour when a problem ticket is solved: each linked incident that is not
        solved yet is solved too, in one update that carries a copy of the problem's solving
        comment (same author and visibility). Returns the events of those updates."""
        events: list[dict[str, Any]] = []
        tickets = self.account.tickets.values()
        linked = sorted(
            (t for t in tickets if t.get("problem_id") == problem_id and t["status"] not in SOLVED),
            key=lambda t: t["id"],
        )
        for incident in linked:
            data: dict[str, Any] = {"status": "solved"}
            if comment is not None:
                data["comment"] = {
                    "body": comment["body"],
                    "public": comment["public"],
                    "author_id": comment["author_id"],
                }
            events += self._update_unlocked(actor_id, incident, data, via_channel).events
        return events

    def _apply_fields(
        self, ticket: dict[str, Any], data: dict[str, Any], *, creating: bool
    ) -> list[tuple[str, Any, Any]]:
        """Validate and apply the writable fields of ``data`` to ``ticket`` (in place: it is a
        fresh copy); returns (field, old, new) for each field that actually changed."""
        acc = self.account
        changes: list[tuple[str, Any, Any]] = []

        def put(name: str, value: Any) -> None:
            old = ticket.get(name)
            if old != value:
                ticket[name] = value
                changes.append((name, old, value))

        if "subject" in data and not creating:
            subject = data["subject"]
            put("subject", None if subject is None else str(subject))
            ticket["raw_subject"] = ticket["subject"]
        if "status" in data:
            status = data["status"]
            if status not in STATUSES:
                raise invalid("status", f"Status: {status} is not valid")
            put("status", status)
        if "priority" in data:
            priority = data["priority"] or None
            if priority is not None and priority not in PRIORITIES:
                raise invalid("priority", f"Priority: {priority} is not valid")
            put("priority", priority)
        if "type" in data:
            kind = data["type"] or None
            if kind is not None and kind not in TYPES:
                raise invalid("type", f"Type: {kind} is not valid")
            put("type", kind)
        if "group_id" in data:
            gid = opt_id(data["group_id"])
            if gid is not None and gid not in acc.groups:
                raise invalid("group_id", "Group: is invalid")
            put("group_id", gid)
        if "assignee_id" in data:
            aid = opt_id(data["assignee_id"])
            if aid is not None and not self.users.is_staff_unlocked(aid):
                raise invalid("assignee_id", "Assignee: is invalid")
            put("assignee_id", aid)
        if "requester_id" in data and not creating:
            rid = opt_id(data["requester_id"])
            if rid not in acc.users:
                raise invalid("requester", "Requester: is invalid")
            put("requester_id", rid)
        if "organization_id" in data and not creating:
            oid = opt_id(data["organization_id"])
            if oid is not None and oid not in acc.orgs:
                raise invalid("organization_id", "Organization: is invalid")
            put("organization_id", oid)
        if "external_id" in data and not creating:
            put("external_id", data["external_id"])
        if "due_at" in data:
            due = data["due_at"]
            epoch = parse_epoch(due)
            if due not in (None, "") and epoch is None:
                raise invalid("due_at", "Due at: is invalid")
            put("due_at", iso(epoch) if epoch is not None else None)
        if "problem_id" in data:
            pid = opt_id(data["problem_id"])
            if pid is not None:
                problem = acc.tickets.get(pid)
                if problem is None or problem["type"] != "problem" or pid == ticket["id"]:
                    raise invalid("problem_id", "Problem: is invalid")
            put("problem_id", pid)
        if ticket.get("problem_id") is not None and ticket.get("type") != "incident":
            raise invalid("problem_id", "Problem: can only be set on incidents")
        tags = list(ticket["tags"])
        if "tags" in data:
            tags = split_tags(data["tags"])
        if "additional_tags" in data:
            tags += [t for t in split_tags(data["additional_tags"]) if t not in tags]
        if "remove_tags" in data:
            gone = set(split_tags(data["remove_tags"]))
            tags = [t for t in tags if t not in gone]
        if tags != ticket["tags"] and (set(tags) != set(ticket["tags"]) or creating):
            put("tags", tags)
        fields_in = data.get("custom_fields", data.get("fields"))
        if fields_in is not None:
            merged = {f["id"]: f["value"] for f in ticket["custom_fields"]}
            pairs = (
                fields_in.items()
                if isinstance(fields_in, dict)
                else ((f.get("id"), f.get("value")) for f in fields_in if isinstance(f, dict))
            )
            for fid, value in pairs:
                merged[int(fid)] = value
            put("custom_fields", [{"id": k, "value": v} for k, v in merged.items()])
        return changes

    def _touch_problem(self, ticket: dict[str, Any], before: dict[str, Any] | None) -> None:
        """Keep ``has_incidents`` true on a problem ticket once an incident links to it."""
        pid = ticket.get("problem_id")
        if pid is not None and pid != (before or {}).get("problem_id"):
            problem = self.account.tickets.get(pid)
            if problem is not None and not problem["has_incidents"]:
                self.account.tickets[pid] = {**problem, "has_incidents": True}
