"""The people and organisations a job needs, from a Redis cache before Zendesk.

Triage asks who a ticket's requester is (staff report or customer) and which organisation they
belong to; alerts look up an organisation's Engagement Director; the SLA and customer messages
ask whether a comment's author is staff. One cache serves them all, filled by whichever asks
first and by the staff roster (``jobs.staff_roster``), each entry kept ``CONTEXT_TTL_SECONDS``, so
a busy incident costs Zendesk one read per person, not one per event.
"""

from __future__ import annotations

import json

from jobs.runtime import Runtime
from middleware.zendesk.errors import NotFound
from rules.model import Organization, Person

__all__ = [
    "CONTEXT_TTL_SECONDS",
    "cached_organization",
    "cached_person",
    "mark_roster_complete",
    "person_name",
    "remember_people",
    "roster_complete",
]

CONTEXT_TTL_SECONDS = 3600


def cached_person(rt: Runtime, user_id: int, *, staff_known: bool = False) -> Person | None:
    """The user from the Redis cache (the staff roster keeps agents and admins there), else
    from Zendesk, cached for ``CONTEXT_TTL_SECONDS``; None if Zendesk has no such user.

    ``staff_known``: the caller only needs to know whether the user is staff, so while the
    staff roster is complete a user it does not hold is an end user, without a read."""
    raw = rt.redis.get(rt.keys("cache", "user", user_id))
    if raw:
        return Person(**json.loads(raw))
    if staff_known and roster_complete(rt):
        return Person(id=user_id, role="end-user")
    try:
        person = rt.zendesk.get_user(user_id)
    except NotFound:
        return None
    remember_people(rt, [person])
    return person


def person_name(rt: Runtime, user_id: int | None) -> str | None:
    """A user's name from the person cache (the staff roster keeps every agent there); no Zendesk read."""
    if user_id is None:
        return None
    raw = rt.redis.get(rt.keys("cache", "user", user_id))
    return (json.loads(raw).get("name") or None) if raw else None


def _roster_key(rt: Runtime) -> str:
    return rt.keys("cache", "staff_roster", "complete")


def mark_roster_complete(rt: Runtime, seconds: int) -> None:
    """Every agent and admin is in the person cache for the next ``seconds`` (the staff roster)."""
    rt.redis.set(_roster_key(rt), b"1", ex=seconds)


def roster_complete(rt: Runtime) -> bool:
    return bool(rt.redis.exists(_roster_key(rt)))


def remember_people(rt: Runtime, people: list[Person]) -> None:
    """Put people in the cache ``cached_person`` reads, in one round trip."""
    pipe = rt.redis.pipeline(transaction=False)
    for person in people:
        if person.id is not None:
            pipe.set(rt.keys("cache", "user", person.id), json.dumps(
                {"id": person.id, "role": person.role, "email": person.email, "name": person.name}),
                ex=CONTEXT_TTL_SECONDS)
    pipe.execute()


def cached_organization(rt: Runtime, org_id: int) -> Organization | None:
    key = rt.keys("cache", "organization", org_id)
    raw = rt.redis.get(key)
    if raw:
        data = json.loads(raw)
        data["tags"] = tuple(data.get("tags") or ())
        return Organization(**data)
    try:
        org = rt.zendesk.get_organization(org_id)
    except NotFound:
        return None
    rt.redis.set(key, json.dumps({"id": org.id, "name": org.name, "tags": list(org.tags), "fields": org.fields}),
                 ex=CONTEXT_TTL_SECONDS)
    return org
