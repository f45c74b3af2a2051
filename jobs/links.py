"""Which tickets belong to an incident: its own, those correlation linked, those Zendesk lists.

Customer messages at resolution, status updates, the review's timeline and the weekly report all
need the same answer, so it is kept here, below the stages that ask: the tickets known without
asking Zendesk (:func:`known_links`), and with Zendesk's own list of a problem ticket's incidents
(:func:`linked_ticket_ids`), remembered once read.
"""

from __future__ import annotations

import logging

from jobs.runtime import Runtime
from middleware.store.incidents import Incident
from middleware.zendesk.errors import RateLimited, TransientError, ZendeskError

__all__ = ["extra_links", "known_links", "linked_ticket_ids", "links_key"]

log = logging.getLogger(__name__)


def links_key(rt: Runtime, incident_id: int) -> str:
    """The set of tickets known to belong to an incident (linked by hand, or found later)."""
    return rt.keys("lifecycle", "links", incident_id)


def extra_links(incident: Incident) -> list[int]:
    """``incident.extra["linked_ticket_ids"]``: the tickets the correlation job linked."""
    raw = incident.extra.get("linked_ticket_ids") or []
    return [int(t) for t in raw if str(t).isdigit()]


def known_links(rt: Runtime, incident: Incident) -> list[int]:
    """Every ticket known (without asking Zendesk) to belong to the incident, its own first."""
    stored = sorted(int(t) for t in rt.redis.smembers(links_key(rt, incident.id)))
    return list(dict.fromkeys([incident.ticket_id, *extra_links(incident), *stored]))


def linked_ticket_ids(rt: Runtime, incident: Incident) -> list[int]:
    """:func:`known_links` plus the incidents Zendesk lists under the incident's ticket (when it
    is a problem ticket: agents may link tickets by hand). The union is remembered."""
    ids = known_links(rt, incident)
    try:
        from_zendesk = [t.id for t in rt.zendesk.problem_incidents(incident.ticket_id)]
    except (RateLimited, TransientError):
        raise  # the job is retried or rescheduled
    except ZendeskError as exc:  # e.g. not a problem ticket: the tickets we know are the ones to tell
        log.info("incident %s: no linked incidents from Zendesk (%s)", incident.id, type(exc).__name__)
        from_zendesk = []
    extra = [t for t in from_zendesk if t not in ids]
    if extra:
        rt.redis.sadd(links_key(rt, incident.id), *[str(t) for t in extra])
    return ids + extra
