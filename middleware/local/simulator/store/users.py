"""The account's people: end users and staff, found by id, email or external id.

Writes need an author and events an ``actor_id``, so every API credential is a user here too
(:meth:`Users.authenticate`), and requesters are created on first sight by email, as Zendesk
does for a customer who writes in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from middleware.local.simulator.store.account import Account
from middleware.local.simulator.store.errors import invalid
from middleware.local.simulator.store.formats import ROLES, STAFF_ROLES, iso, opt_id, split_tags


class Users:
    """``/users``: create, update by email, look up, search, authenticate."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def add_unlocked(self, data: dict[str, Any], now: int) -> dict[str, Any]:
        acc = self.account
        email = (data.get("email") or "").strip().lower() or None
        if email and email in acc.users_by_email:
            raise invalid("email", f"Email: {email} is already being used by another user", error="DuplicateValue")
        role = data.get("role") or "end-user"
        if role not in ROLES:
            raise invalid("role", f"Role: {role} is not valid")
        org_id = opt_id(data.get("organization_id"))
        if org_id is not None and org_id not in acc.orgs:
            raise invalid("organization_id", "Organization: is invalid")
        uid = acc.next_id("user", data.get("id"))
        if uid in acc.users:
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
        acc.users[uid] = user
        if email:
            acc.users_by_email[email] = uid
        return user

    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        with self.account.lock:
            return self.add_unlocked(data, self.account.now())

    def create_or_update(self, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Zendesk matches on email (or external_id): update that user, else create one."""
        acc = self.account
        with acc.lock:
            now = acc.now()
            email = (data.get("email") or "").strip().lower() or None
            uid = acc.users_by_email.get(email) if email else None
            if uid is None and data.get("external_id"):
                uid = next((u["id"] for u in acc.users.values() if u["external_id"] == data["external_id"]), None)
            if uid is None:
                return self.add_unlocked(data, now), True
            user = dict(acc.users[uid])
            for key in ("name", "role", "phone", "external_id", "details", "notes"):
                if key in data and data[key] is not None:
                    user[key] = data[key]
            if user["role"] not in ROLES:
                raise invalid("role", f"Role: {user['role']} is not valid")
            if "organization_id" in data:
                org_id = opt_id(data.get("organization_id"))
                if org_id is not None and org_id not in acc.orgs:
                    raise invalid("organization_id", "Organization: is invalid")
                user["organization_id"] = org_id
            if "tags" in data:
                user["tags"] = split_tags(data["tags"])
            if "user_fields" in data:
                user["user_fields"] = {**user["user_fields"], **(data.get("user_fields") or {})}
            user["moderator"] = user["role"] in STAFF_ROLES
            user["updated_at"] = iso(now)
            acc.users[uid] = user
            return user, False

    def get(self, user_id: Any) -> dict[str, Any]:
        return self.account.lookup("users", user_id)

    def list_all(self) -> list[dict[str, Any]]:
        with self.account.lock:
            return sorted(self.account.users.values(), key=lambda u: u["id"])

    def by_ids(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        with self.account.lock:
            return [self.account.users[i] for i in ids if i in self.account.users]

    def search(self, query: str) -> list[dict[str, Any]]:
        """``users/search.json?query=``: an email (optionally ``email:``), a name, or ``external_id:``."""
        q = query.strip()
        key, _, value = q.partition(":") if ":" in q and "@" not in q.split(":", 1)[0] else ("", "", q)
        value = value.strip().strip('"').lower()
        acc = self.account
        with acc.lock:
            if key in ("", "email") and "@" in value:
                uid = acc.users_by_email.get(value)
                return [acc.users[uid]] if uid else []
            if key == "external_id":
                return [u for u in acc.users.values() if (u["external_id"] or "").lower() == value]
            return [u for u in acc.users.values() if value and value in (u["name"] or "").lower()]

    def find_or_create(self, spec: dict[str, Any], default_role: str = "end-user") -> dict[str, Any]:
        """A user by id, or by email (created on first sight, as Zendesk does for requesters)."""
        with self.account.lock:
            return self.find_or_create_unlocked(spec, default_role, self.account.now())

    def find_or_create_unlocked(self, spec: dict[str, Any], default_role: str, now: int) -> dict[str, Any]:
        acc = self.account
        if spec.get("id") is not None and int(spec["id"]) in acc.users:
            return acc.users[int(spec["id"])]
        email = (spec.get("email") or "").strip().lower()
        if email and email in acc.users_by_email:
            return acc.users[acc.users_by_email[email]]
        if not email and spec.get("id") is not None:
            raise invalid("requester", "Requester: is invalid")
        data = {"role": default_role, **{k: v for k, v in spec.items() if v is not None}}
        return self.add_unlocked(data, now)

    def authenticate(self, identity: str, email: str | None) -> dict[str, Any]:
        """The user behind an API credential; unknown credentials become an admin user (the
        simulator accepts any non-empty credential but remembers who called)."""
        acc = self.account
        with acc.lock:
            uid = acc.auth_users.get(identity)
            if uid is not None and uid in acc.users:
                return acc.users[uid]
            now = acc.now()
            if email and email.lower() in acc.users_by_email:
                user = acc.users[acc.users_by_email[email.lower()]]
            else:
                address = email or f"oauth-{uuid.uuid5(uuid.NAMESPACE_OID, identity).hex[:10]}@api.simulator.invalid"
                user = self.add_unlocked({"email": address, "name": f"API user {address}", "role": "admin"}, now)
            acc.auth_users[identity] = user["id"]
            return user

    def is_staff_unlocked(self, user_id: int | None) -> bool:
        user = self.account.users.get(user_id) if user_id is not None else None
        return bool(user and user["role"] in STAFF_ROLES)
