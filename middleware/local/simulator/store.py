"""In-memory Zendesk account: users, organisations, groups, tickets, comments, audits, jobs.

Everything lives behind one lock. Stored records are *copy-on-write*: an update builds a new
dict (and new lists) and swaps it in, so a reader can take a reference under the lock and
serialise it afterwards without racing a writer. That keeps the lock held for microseconds,
which is what lets the simulator take a few hundred requests a second.

Each write returns a :class:`WriteResult`: the ticket after the change, the audit Zendesk would
record, and the event webhooks it would send (built here, while the before/after state is at
hand; delivered elsewhere).

Timestamps: ``updated_at`` has Zendesk's whole-second format, and every change moves a ticket's
``updated_at`` forward by at least one second (``max(now, previous + 1 s)``). That keeps the
real wire format and still lets ``safe_update`` detect a stale stamp reliably even for two
updates within the same second. ``generated_timestamp`` carries the same instant as epoch
seconds, as in Zendesk's incremental export.
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from middleware.local.simulator import events as ev

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
SOLVED = ("solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TYPES = ("question", "incident", "problem", "task")
STAFF_ROLES = ("agent", "admin")
ROLES = ("end-user", "agent", "admin")

# Id ranges: tickets count from 1 like a fresh account; everything else uses large ids, as a
# real account does, so clients meet ids that only fit in 64 bits and events' string ids.
TICKET_ID_START = 1
USER_ID_START = 360_000_000_001
ORG_ID_START = 360_100_000_001
GROUP_ID_START = 360_200_000_001
COMMENT_ID_START = 41_200_000_001
AUDIT_ID_START = 41_100_000_001
EVENT_ID_START = 41_300_000_001
MAX_BULK = 100
MAX_EXPORT_PAGE = 1000

CONFLICT_BODY = {
    "error": "UpdateConflict",
    "description": (
        "Safe Update prevented the update due to outdated ticket data. "
        "Please fetch the latest ticket data and try again."
    ),
}


class ApiError(Exception):
    """An error answer in Zendesk's shape (status + JSON body + optional headers)."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body.get('error')}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found() -> ApiError:
    return ApiError(404, {"error": "RecordNotFound", "description": "Not found"})


def invalid(field_name: str, message: str, error: str | None = None) -> ApiError:
    """Zendesk's 422 ``RecordInvalid`` body, naming the field like Zendesk does."""
    detail: dict[str, Any] = {"description": message}
    if error:
        detail["error"] = error
    return ApiError(
        422,
        {"error": "RecordInvalid", "description": "Record validation errors", "details": {field_name: [detail]}},
    )


def bad_request(error: str, description: str) -> ApiError:
    return ApiError(400, {"error": error, "description": description})


def iso(ts: int) -> str:
    """Epoch seconds as Zendesk writes times in the REST API: ``2025-01-08T10:12:07Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def parse_epoch(value: Any) -> int | None:
    """An ISO-8601 time (``Z``, offset, fractions of any length) or epoch number → epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", text)
    if match:  # Python parses at most microseconds; the fraction never matters for a stamp
        text = match.group(1) + match.group(3)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def split_tags(value: Any) -> list[str]:
    """Zendesk tags are whitespace-free words; a string is split like Zendesk splits it."""
    if value is None:
        return []
    items = value.split() if isinstance(value, str) else [str(v) for v in value]
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        for word in str(item).split():
            if word not in seen:
                seen.add(word)
                out.append(word)
    return out


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _opt_id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise bad_request("InvalidValue", f"not an id: {value!r}") from exc


def _html_of(body: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n\n")) or "<p></p>"
    return f'<div class="zd-comment" dir="auto">{paragraphs}</div>'


def _text_of(html_body: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_body)).strip()


@dataclass
class WriteResult:
    """What one write produced: the ticket after it, its audit, and the webhooks to send."""

    ticket: dict[str, Any]
    audit: dict[str, Any] | None
    events: list[dict[str, Any]] = field(default_factory=list)
    created: bool = False


class Store:
    """The simulated account. All public methods take the lock; records are copy-on-write."""

    def __init__(self, clock: Callable[[], float] = time.time, account_id: int = 22129848) -> None:
        self.clock = clock
        self.account_id = account_id
        self.lock = threading.Lock()
        self._reset_unlocked()

    # -- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every record (tests and the demo start from a clean account)."""
        with self.lock:
            self._reset_unlocked()

    def _reset_unlocked(self) -> None:
        self.users: dict[int, dict[str, Any]] = {}
        self.users_by_email: dict[str, int] = {}
        self.orgs: dict[int, dict[str, Any]] = {}
        self.groups: dict[int, dict[str, Any]] = {}
        self.tickets: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.audits: dict[int, list[dict[str, Any]]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.auth_users: dict[str, int] = {}
        self._next = {
            "ticket": TICKET_ID_START,
            "user": USER_ID_START,
            "org": ORG_ID_START,
            "group": GROUP_ID_START,
            "comment": COMMENT_ID_START,
            "audit": AUDIT_ID_START,
            "event": EVENT_ID_START,
        }
        now = self._now()
        self._add_group_unlocked({"name": "Support", "default": True}, now)

    def _now(self) -> int:
        return int(self.clock())

    def _id(self, kind: str, wanted: Any = None) -> int:
        """Next id of a kind; an explicit id (seeding fixtures) is honoured and moves the counter."""
        if wanted is not None:
            value = int(wanted)
            self._next[kind] = max(self._next[kind], value + 1)
            return value
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    # -- users -----------------------------------------------------------------------------
    def _add_user_unlocked(self, data: dict[str, Any], now: int) -> dict[str, Any]:
        email = (data.get("email") or "").strip().lower() or None
        if email and email in self.users_by_email:
            raise invalid("email", f"Email: {email} is already being used by another user", error="DuplicateValue")
        role = data.get("role") or "end-user"
        if role not in ROLES:
            raise invalid("role", f"Role: {role} is not valid")
        org_id = _opt_id(data.get("organization_id"))
        if org_id is not None and org_id not in self.orgs:
            raise invalid("organization_id", "Organization: is invalid")
        uid = self._id("user", data.get("id"))
        if uid in self.users:
            raise invalid("id", f"Id: {uid} is already taken", error="DuplicateValue")
        name = data.get("name") or (email.split("@")[0] if email else f"User {uid}")
        user = {
            "id": uid,
            "name": name,
            "email": email,
            "role": role,
            "role_type": None,
            "organization_id": org_id,
            "default_group_id": None,
            "active": True,
            "verified": True,
            "suspended": False,
            "shared": False,
            "moderator": role in STAFF_ROLES,
            "only_private_comments": False,
            "restricted_agent": False,
            "ticket_restriction": None if role in STAFF_ROLES else "requested",
            "time_zone": "UTC",
            "locale": "en-US",
            "locale_id": 1,
            "phone": data.get("phone"),
            "external_id": data.get("external_id"),
            "details": data.get("details") or "",
            "notes": data.get("notes") or "",
            "tags": split_tags(data.get("tags")),
            "user_fields": dict(data.get("user_fields") or {}),
            "created_at": iso(now),
            "updated_at": iso(now),
        }
        self.users[uid] = user
        if email:
            self.users_by_email[email] = uid
        return user

    def create_user(self, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._add_user_unlocked(data, self._now())

    def create_or_update_user(self, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Zendesk matches on email (or external_id): update that user, else create one."""
        with self.lock:
            now = self._now()
            email = (data.get("email") or "").strip().lower() or None
            uid = self.users_by_email.get(email) if email else None
            if uid is None and data.get("external_id"):
                uid = next((u["id"] for u in self.users.values() if u["external_id"] == data["external_id"]), None)
            if uid is None:
                return self._add_user_unlocked(data, now), True
            user = dict(self.users[uid])
            for key in ("name", "role", "phone", "external_id", "details", "notes"):
                if key in data and data[key] is not None:
                    user[key] = data[key]
            if user["role"] not in ROLES:
                raise invalid("role", f"Role: {user['role']} is not valid")
            if "organization_id" in data:
                org_id = _opt_id(data.get("organization_id"))
                if org_id is not None and org_id not in self.orgs:
                    raise invalid("organization_id", "Organization: is invalid")
                user["organization_id"] = org_id
            if "tags" in data:
                user["tags"] = split_tags(data["tags"])
            if "user_fields" in data:
                user["user_fields"] = {**user["user_fields"], **(data.get("user_fields") or {})}
            user["moderator"] = user["role"] in STAFF_ROLES
            user["updated_at"] = iso(now)
            self.users[uid] = user
            return user, False

    def get_user(self, user_id: Any) -> dict[str, Any]:
        with self.lock:
            user = self.users.get(_opt_id(user_id) or -1)
        if user is None:
            raise not_found()
        return user

    def list_users(self) -> list[dict[str, Any]]:
        with self.lock:
            return sorted(self.users.values(), key=lambda u: u["id"])

    def users_by_ids(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        with self.lock:
            return [self.users[i] for i in ids if i in self.users]

    def search_users(self, query: str) -> list[dict[str, Any]]:
        """``users/search.json?query=``: an email (optionally ``email:``), a name, or ``external_id:``."""
        q = query.strip()
        key, _, value = q.partition(":") if ":" in q and "@" not in q.split(":", 1)[0] else ("", "", q)
        value = value.strip().strip('"').lower()
        with self.lock:
            if key in ("", "email") and "@" in value:
                uid = self.users_by_email.get(value)
                return [self.users[uid]] if uid else []
            if key == "external_id":
                return [u for u in self.users.values() if (u["external_id"] or "").lower() == value]
            return [u for u in self.users.values() if value and value in (u["name"] or "").lower()]

    def find_or_create_user(self, spec: dict[str, Any], default_role: str = "end-user") -> dict[str, Any]:
        """A user by id, or by email (created on first sight, as Zendesk does for requesters)."""
        with self.lock:
            return self._find_or_create_user_unlocked(spec, default_role, self._now())

    def _find_or_create_user_unlocked(self, spec: dict[str, Any], default_role: str, now: int) -> dict[str, Any]:
        if spec.get("id") is not None and int(spec["id"]) in self.users:
            return self.users[int(spec["id"])]
        email = (spec.get("email") or "").strip().lower()
        if email and email in self.users_by_email:
            return self.users[self.users_by_email[email]]
        if not email and spec.get("id") is not None:
            raise invalid("requester", "Requester: is invalid")
        data = {"role": default_role, **{k: v for k, v in spec.items() if v is not None}}
        return self._add_user_unlocked(data, now)

    def authenticate(self, identity: str, email: str | None) -> dict[str, Any]:
        """The user behind an API credential; unknown credentials become an admin user (the
        simulator accepts any non-empty credential but remembers who called)."""
        with self.lock:
            uid = self.auth_users.get(identity)
            if uid is not None and uid in self.users:
                return self.users[uid]
            now = self._now()
            if email and email.lower() in self.users_by_email:
                user = self.users[self.users_by_email[email.lower()]]
            else:
                address = email or f"oauth-{uuid.uuid5(uuid.NAMESPACE_OID, identity).hex[:10]}@api.simulator.invalid"
                user = self._add_user_unlocked({"email": address, "name": f"API user {address}", "role": "admin"}, now)
            self.auth_users[identity] = user["id"]
            return user

    def is_staff(self, user_id: int | None) -> bool:
        user = self.users.get(user_id) if user_id is not None else None
        return bool(user and user["role"] in STAFF_ROLES)

    # -- organisations and groups ------------------------------------------------------------
    def create_organization(self, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            now = self._now()
            name = data.get("name")
            if not name:
                raise invalid("name", "Name: cannot be blank")
            if any(o["name"].lower() == str(name).lower() for o in self.orgs.values()):
                raise invalid("name", "Name: has already been taken", error="DuplicateValue")
            oid = self._id("org", data.get("id"))
            org = {
                "id": oid,
                "name": str(name),
                "external_id": data.get("external_id"),
                "details": data.get("details") or "",
                "notes": data.get("notes") or "",
                "domain_names": list(data.get("domain_names") or []),
                "group_id": _opt_id(data.get("group_id")),
                "shared_tickets": False,
                "shared_comments": False,
                "tags": split_tags(data.get("tags")),
                "organization_fields": dict(data.get("organization_fields") or {}),
                "created_at": iso(now),
                "updated_at": iso(now),
            }
            self.orgs[oid] = org
            return org

    def update_organization(self, org_id: Any, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            org = self.orgs.get(_opt_id(org_id) or -1)
            if org is None:
                raise not_found()
            new = dict(org)
            for key in ("name", "details", "notes", "external_id"):
                if key in data:
                    new[key] = data[key]
            if "domain_names" in data:
                new["domain_names"] = list(data["domain_names"] or [])
            if "tags" in data:
                new["tags"] = split_tags(data["tags"])
            if "organization_fields" in data:
                new["organization_fields"] = {**org["organization_fields"], **(data["organization_fields"] or {})}
            new["updated_at"] = iso(self._now())
            self.orgs[new["id"]] = new
            return new

    def get_organization(self, org_id: Any) -> dict[str, Any]:
        with self.lock:
            org = self.orgs.get(_opt_id(org_id) or -1)
        if org is None:
            raise not_found()
        return org

    def list_organizations(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.orgs.values())

    def _add_group_unlocked(self, data: dict[str, Any], now: int) -> dict[str, Any]:
        if not data.get("name"):
            raise invalid("name", "Name: cannot be blank")
        gid = self._id("group", data.get("id"))
        group = {
            "id": gid,
            "name": str(data["name"]),
            "description": data.get("description") or "",
            "default": bool(data.get("default", False)),
            "deleted": False,
            "is_public": True,
            "created_at": iso(now),
            "updated_at": iso(now),
        }
        self.groups[gid] = group
        return group

    def create_group(self, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._add_group_unlocked(data, self._now())

    def list_groups(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.groups.values())

    def get_group(self, group_id: Any) -> dict[str, Any]:
        with self.lock:
            group = self.groups.get(_opt_id(group_id) or -1)
        if group is None:
            raise not_found()
        return group

    # -- tickets: reads ---------------------------------------------------------------------
    def get_ticket(self, ticket_id: Any) -> dict[str, Any]:
        with self.lock:
            ticket = self.tickets.get(_opt_id(ticket_id) or -1)
        if ticket is None:
            raise not_found()
        return ticket

    def tickets_by_ids(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        with self.lock:
            return [self.tickets[i] for i in ids if i in self.tickets]

    def list_tickets(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.tickets.values())

    def ticket_comments(self, ticket_id: Any) -> list[dict[str, Any]]:
        with self.lock:
            tid = _opt_id(ticket_id) or -1
            if tid not in self.tickets:
                raise not_found()
            return list(self.comments.get(tid, ()))

    def ticket_audits(self, ticket_id: Any) -> list[dict[str, Any]]:
        with self.lock:
            tid = _opt_id(ticket_id) or -1
            if tid not in self.tickets:
                raise not_found()
            return list(self.audits.get(tid, ()))

    def get_job(self, job_id: str) -> dict[str, Any]:
        with self.lock:
            job = self.jobs.get(job_id)
        if job is None:
            raise not_found()
        return job

    def export(self, start_time: int | None, cursor: str | None, per_page: int) -> dict[str, Any]:
        """One page of the cursor-based incremental export, ordered by (updated, id).

        The cursor encodes the (generated_timestamp, id) of the last ticket returned, so a
        ticket updated after it was exported shows up again on a later page, as in Zendesk.
        """
        if cursor:
            try:
                pos = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
                after = (int(pos[0]), int(pos[1]))
            except (ValueError, TypeError, IndexError) as exc:
                raise bad_request("InvalidPaginationParameter", "cursor is invalid") from exc
        elif start_time is not None:
            after = (int(start_time) - 1, 2**63)
        else:
            raise bad_request("InvalidPaginationParameter", "start_time or cursor is required")
        per_page = max(1, min(int(per_page), MAX_EXPORT_PAGE))
        with self.lock:
            rest = sorted(
                (t for t in self.tickets.values() if (t["generated_timestamp"], t["id"]) > after),
                key=lambda t: (t["generated_timestamp"], t["id"]),
            )
        page = rest[:per_page]
        last = (page[-1]["generated_timestamp"], page[-1]["id"]) if page else after
        token = base64.urlsafe_b64encode(json.dumps(list(last)).encode()).decode().rstrip("=")
        return {"tickets": page, "after_cursor": token, "end_of_stream": len(rest) <= per_page}

    # -- tickets: writes --------------------------------------------------------------------
    def create_ticket(
        self,
        actor_id: int,
        data: dict[str, Any],
        *,
        via_channel: str = "api",
        created_at: Any = None,
    ) -> WriteResult:
        """``POST /tickets``: the first comment becomes the description; a requester given as
        ``{name, email}`` is found or created; ``ticket.created`` is the one event fired."""
        with self.lock:
            now = self._now()
            ts = parse_epoch(created_at) if created_at is not None else now
            if ts is None:
                raise invalid("created_at", "Created at: is invalid")
            comment_in = data.get("comment") or {}
            if isinstance(comment_in, str):
                comment_in = {"body": comment_in}
            body = comment_in.get("body") or comment_in.get("value")
            html_body = comment_in.get("html_body")
            if not body and not html_body and data.get("description"):
                body = str(data["description"])
            if not body and not html_body:
                raise invalid("description", "Description: cannot be blank")
            if isinstance(data.get("requester"), dict):
                requester = self._find_or_create_user_unlocked(data["requester"], "end-user", now)
            elif data.get("requester_id") is not None:
                requester = self.users.get(_opt_id(data["requester_id"]) or -1)
                if requester is None:
                    raise invalid("requester", "Requester: is invalid")
            else:
                requester = self.users[actor_id]
            submitter_id = _opt_id(data.get("submitter_id")) or actor_id
            org_id = _opt_id(data.get("organization_id")) or requester["organization_id"]
            if org_id is not None and org_id not in self.orgs:
                raise invalid("organization_id", "Organization: is invalid")
            tid = self._id("ticket")
            ticket: dict[str, Any] = {
                "id": tid,
                "external_id": data.get("external_id"),
                "via": {"channel": via_channel, "source": {"from": {}, "to": {}, "rel": None}},
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
            author_id = _opt_id(comment_in.get("author_id")) or requester["id"]
            public = truthy(comment_in.get("public", True))
            ticket["is_public"] = public
            audit_id = self._id("audit")
            comment = self._make_comment(audit_id, author_id, body, html_body, public, via_channel, ts)
            ticket["description"] = comment["body"]
            self.tickets[tid] = ticket
            self.comments[tid] = [comment]
            audit_events: list[dict[str, Any]] = [self._comment_event(comment)]
            for name in (
                "subject",
                "requester_id",
                "status",
                "priority",
                "type",
                "group_id",
                "assignee_id",
                "organization_id",
                "tags",
            ):
                value = ticket[name]
                if value not in (None, []):
                    audit_events.append({"id": self._id("event"), "type": "Create", "field_name": name, "value": value})
            audit = self._make_audit(audit_id, tid, actor_id, via_channel, ts, audit_events)
            self.audits[tid] = [audit]
            self._touch_problem(ticket, None)
            seq = uuid.uuid4().hex
            events = [ev.ticket_event(self.account_id, ticket, actor_id, "created", {}, seq, 1)]
            return WriteResult(ticket=ticket, audit=audit, events=events, created=True)

    def update_ticket(
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
        with self.lock:
            tid = _opt_id(ticket_id) or -1
            current = self.tickets.get(tid)
            if current is None:
                raise not_found()
            self._check_stamp(current, data)
            if current["status"] == "closed" and not allow_closed:
                raise invalid("status", "Status: closed prevents ticket update")
            return self._update_unlocked(actor_id, current, data, via_channel)

    def _check_stamp(self, ticket: dict[str, Any], data: dict[str, Any]) -> None:
        if not truthy(data.get("safe_update")):
            return
        stamp = data.get("updated_stamp")
        if stamp is None:
            raise invalid("updated_stamp", "Updated stamp: is required with safe_update")
        if parse_epoch(stamp) != ticket["generated_timestamp"]:
            raise ApiError(409, dict(CONFLICT_BODY))

    def _update_unlocked(
        self, actor_id: int, current: dict[str, Any], data: dict[str, Any], via_channel: str
    ) -> WriteResult:
        new = dict(current)
        changes = self._apply_fields(new, data, creating=False)
        if "status" not in data and current["status"] == "new" and new["assignee_id"] is not None:
            new["status"] = "open"
            changes.append(("status", "new", "open"))
        comment_in = data.get("comment")
        if isinstance(comment_in, str):
            comment_in = {"body": comment_in}
        has_comment = bool(comment_in) and bool(
            comment_in.get("body") or comment_in.get("html_body") or comment_in.get("value")
        )
        if not changes and not has_comment:
            return WriteResult(ticket=current, audit=None, events=[])
        ts = max(self._now(), current["generated_timestamp"] + 1)
        new["updated_at"] = iso(ts)
        new["generated_timestamp"] = ts
        new["custom_status_id"] = ev.CUSTOM_STATUS_IDS[new["status"]]
        audit_id = self._id("audit")
        audit_events: list[dict[str, Any]] = []
        comment = None
        if has_comment and comment_in is not None:
            author_id = _opt_id(comment_in.get("author_id")) or actor_id
            if author_id not in self.users:
                raise invalid("comment", "Comment: author is invalid")
            comment = self._make_comment(
                audit_id,
                author_id,
                comment_in.get("body") or comment_in.get("value"),
                comment_in.get("html_body"),
                truthy(comment_in.get("public", True)),
                via_channel,
                ts,
            )
            audit_events.append(self._comment_event(comment))
        for name, old, value in changes:
            audit_events.append(
                {"id": self._id("event"), "type": "Change", "field_name": name, "value": value, "previous_value": old}
            )
        audit = self._make_audit(audit_id, new["id"], actor_id, via_channel, ts, audit_events)
        self.tickets[new["id"]] = new
        if comment is not None:
            self.comments[new["id"]] = [*self.comments.get(new["id"], ()), comment]
        self.audits[new["id"]] = [*self.audits.get(new["id"], ()), audit]
        self._touch_problem(new, current)
        events = self._change_events(new, actor_id, changes, comment)
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
        linked = sorted(
            (t for t in self.tickets.values() if t.get("problem_id") == problem_id and t["status"] not in SOLVED),
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

    def modify_tags(self, actor_id: int, ticket_id: Any, mode: str, tags: Any, data: dict[str, Any]) -> WriteResult:
        """``/tickets/{id}/tags``: PUT adds, POST sets, DELETE removes; refused on closed
        tickets like Zendesk; honours ``safe_update`` + ``updated_stamp`` too."""
        words = split_tags(tags)
        with self.lock:
            tid = _opt_id(ticket_id) or -1
            current = self.tickets.get(tid)
            if current is None:
                raise not_found()
            self._check_stamp(current, data)
            if current["status"] == "closed":
                raise invalid("status", "Status: closed prevents ticket update")
            update = {"set": {"tags": words}, "add": {"additional_tags": words}, "remove": {"remove_tags": words}}
            return self._update_unlocked(actor_id, current, update[mode], "api")

    def bulk_update(
        self, actor_id: int, items: list[tuple[int, dict[str, Any]]], base_url: str
    ) -> tuple[dict[str, Any], list[WriteResult]]:
        """``update_many``: applied at once, reported as a job that is already complete when
        polled (the response itself says ``queued``, as Zendesk's does)."""
        if len(items) > MAX_BULK:
            raise bad_request("TooManyValues", f"You can update up to {MAX_BULK} tickets at once")
        results: list[dict[str, Any]] = []
        writes: list[WriteResult] = []
        for index, (tid, data) in enumerate(items):
            try:
                write = self.update_ticket(actor_id, tid, data)
            except ApiError as exc:
                results.append(
                    {
                        "index": index,
                        "id": tid,
                        "action": "update",
                        "success": False,
                        "status": "Failed",
                        "error": exc.body.get("error"),
                        "details": exc.body.get("description"),
                    }
                )
                continue
            writes.append(write)
            results.append({"index": index, "id": tid, "action": "update", "success": True, "status": "Updated"})
        job_id = uuid.uuid4().hex[:26].upper()
        with self.lock:
            done = {
                "id": job_id,
                "url": f"{base_url}/api/v2/job_statuses/{job_id}.json",
                "job_type": "Bulk Update",
                "total": len(items),
                "progress": len(items),
                "status": "completed",
                "message": f"Completed at {iso(self._now())}",
                "results": results,
            }
            self.jobs[job_id] = done
        queued = {**done, "progress": None, "status": "queued", "message": None, "results": None}
        return queued, writes

    def bulk_create(
        self, actor_id: int, items: list[dict[str, Any]], base_url: str
    ) -> tuple[dict[str, Any], list[WriteResult]]:
        """``create_many``: each ticket created as ``POST /tickets`` would; reported as a job that
        is already complete when polled, its results giving each new ticket's ``id`` by ``index``."""
        if len(items) > MAX_BULK:
            raise bad_request("TooManyValues", f"You can create up to {MAX_BULK} tickets at once")
        results: list[dict[str, Any]] = []
        writes: list[WriteResult] = []
        for index, data in enumerate(items):
            try:
                write = self.create_ticket(actor_id, data)
            except ApiError as exc:
                results.append({"index": index, "action": "create", "success": False, "status": "Failed",
                                "error": exc.body.get("error"), "details": exc.body.get("description")})
                continue
            writes.append(write)
            results.append({"index": index, "id": write.ticket["id"], "action": "create", "success": True,
                            "status": "Created"})
        job_id = uuid.uuid4().hex[:26].upper()
        with self.lock:
            done = {
                "id": job_id,
                "url": f"{base_url}/api/v2/job_statuses/{job_id}.json",
                "job_type": "Bulk Create",
                "total": len(items),
                "progress": len(items),
                "status": "completed",
                "message": f"Completed at {iso(self._now())}",
                "results": results,
            }
            self.jobs[job_id] = done
        queued = {**done, "progress": None, "status": "queued", "message": None, "results": None}
        return queued, writes

    # -- helpers (called with the lock held) ------------------------------------------------
    def _apply_fields(
        self, ticket: dict[str, Any], data: dict[str, Any], *, creating: bool
    ) -> list[tuple[str, Any, Any]]:
        """Validate and apply the writable fields of ``data`` to ``ticket`` (in place: it is a
        fresh copy); returns (field, old, new) for each field that actually changed."""
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
            gid = _opt_id(data["group_id"])
            if gid is not None and gid not in self.groups:
                raise invalid("group_id", "Group: is invalid")
            put("group_id", gid)
        if "assignee_id" in data:
            aid = _opt_id(data["assignee_id"])
            if aid is not None and not self.is_staff(aid):
                raise invalid("assignee_id", "Assignee: is invalid")
            put("assignee_id", aid)
        if "requester_id" in data and not creating:
            rid = _opt_id(data["requester_id"])
            if rid not in self.users:
                raise invalid("requester", "Requester: is invalid")
            put("requester_id", rid)
        if "organization_id" in data and not creating:
            oid = _opt_id(data["organization_id"])
            if oid is not None and oid not in self.orgs:
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
            pid = _opt_id(data["problem_id"])
            if pid is not None:
                problem = self.tickets.get(pid)
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
            problem = self.tickets.get(pid)
            if problem is not None and not problem["has_incidents"]:
                self.tickets[pid] = {**problem, "has_incidents": True}

    def _make_comment(
        self, audit_id: int, author_id: int, body: Any, html_body: Any, public: bool, channel: str, ts: int
    ) -> dict[str, Any]:
        text = _text_of(str(html_body)) if html_body and not body else str(body or "")
        rich = str(html_body) if html_body else _html_of(text)
        return {
            "id": self._id("comment"),
            "type": "Comment",
            "author_id": author_id,
            "body": text,
            "html_body": rich,
            "plain_body": text,
            "public": public,
            "attachments": [],
            "audit_id": audit_id,
            "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": iso(ts),
            "metadata": {"system": {}, "custom": {}},
        }

    def _comment_event(self, comment: dict[str, Any]) -> dict[str, Any]:
        keys = ("id", "type", "author_id", "body", "html_body", "plain_body", "public", "attachments", "audit_id")
        return {k: comment[k] for k in keys}

    def _make_audit(
        self, audit_id: int, ticket_id: int, author_id: int, channel: str, ts: int, events: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return {
            "id": audit_id,
            "ticket_id": ticket_id,
            "created_at": iso(ts),
            "author_id": author_id,
            "metadata": {"system": {}, "custom": {}},
            "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
            "events": events,
        }

    def _change_events(
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
            out.append(ev.ticket_event(self.account_id, ticket, actor_id, name, body, seq, len(out) + 1))

        if comment is not None:
            author = self.users.get(comment["author_id"]) or {}
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
