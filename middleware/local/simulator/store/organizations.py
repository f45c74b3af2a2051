"""The account's organisations and groups: what customers belong to and tickets are routed to.

Both are small records the middleware only reads (an organisation's tags and fields decide
who is a key account); they are seeded through the control API.
"""

from __future__ import annotations

from typing import Any

from middleware.local.simulator.store.account import Account
from middleware.local.simulator.store.errors import invalid, not_found
from middleware.local.simulator.store.formats import iso, opt_id, split_tags


class Organizations:
    """``/organizations``: names unique regardless of case, fields merged on update."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        acc = self.account
        with acc.lock:
            now = acc.now()
            name = data.get("name")
            if not name:
                raise invalid("name", "Name: cannot be blank")
            if any(o["name"].lower() == str(name).lower() for o in acc.orgs.values()):
                raise invalid("name", "Name: has already been taken", error="DuplicateValue")
            oid = acc.next_id("org", data.get("id"))
            org = {
                "id": oid,
                "name": str(name),
                "external_id": data.get("external_id"),
                "details": data.get("details") or "",
                "notes": data.get("notes") or "",
                "domain_names": list(data.get("domain_names") or []),
                "group_id": opt_id(data.get("group_id")),
                "shared_tickets": False,
                "shared_comments": False,
                "tags": split_tags(data.get("tags")),
                "organization_fields": dict(data.get("organization_fields") or {}),
                "created_at": iso(now),
                "updated_at": iso(now),
            }
            acc.orgs[oid] = org
            return org

    def update(self, org_id: Any, data: dict[str, Any]) -> dict[str, Any]:
        acc = self.account
        with acc.lock:
            org = acc.orgs.get(opt_id(org_id) or -1)
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
            new["updated_at"] = iso(acc.now())
            acc.orgs[new["id"]] = new
            return new

    def get(self, org_id: Any) -> dict[str, Any]:
        return self.account.lookup("orgs", org_id)

    def list_all(self) -> list[dict[str, Any]]:
        with self.account.lock:
            return list(self.account.orgs.values())


class Groups:
    """``/groups``: every account starts with the default group "Support", as Zendesk's does."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def add_unlocked(self, data: dict[str, Any], now: int) -> dict[str, Any]:
        if not data.get("name"):
            raise invalid("name", "Name: cannot be blank")
        gid = self.account.next_id("group", data.get("id"))
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
        self.account.groups[gid] = group
        return group

    def add_default_unlocked(self) -> None:
        self.add_unlocked({"name": "Support", "default": True}, self.account.now())

    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        with self.account.lock:
            return self.add_unlocked(data, self.account.now())

    def list_all(self) -> list[dict[str, Any]]:
        with self.account.lock:
            return list(self.account.groups.values())

    def get(self, group_id: Any) -> dict[str, Any]:
        return self.account.lookup("groups", group_id)
