"""A small, known set of incidents recorded the way the jobs record them, for the incident room's tests.

Times are relative to ``now`` so the same story serves the unit tests (a fixed clock) and a quick
look in a browser. Each incident is recorded through the stores the jobs use
(``IncidentStore.open``/``add_event``, the SLA clock's own ``start_clock`` and
``record_first_response``), never by writing keys by hand, so the tests read what production
writes.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from jobs.report.reminders import tasks_key
from jobs.runtime import Runtime
from jobs.sla import clock as sla
from middleware.store.incidents import RESOLVED, Incident


def incident(iid: int, category: str, subject: str, declared: datetime, org: int | None = 7,
             org_name: str | None = "Acme Corp", assignee: tuple[int, str] | None = None) -> Incident:
    return Incident(id=iid, ticket_id=iid, category=category, rules=["outage-service-down"],
                    reasons=[f'subject contains "{subject.split()[0].lower()}"'], subject=subject,
                    organization_id=org, requester_id=8, ticket_created_at=declared, declared_at=declared,
                    critical_from_start=True, organization_name=org_name,
                    assignee_id=assignee[0] if assignee else None, assignee_name=assignee[1] if assignee else None)


def alert(rt: Runtime, iid: int, at: datetime, event: str, roles: list[str], destination: str, ok: bool,
          occurrence: str = "") -> None:
    rt.incidents.add_event(iid, "alert", at, {"event": event, "occurrence": occurrence})
    data = {"event": event, "occurrence": occurrence, "roles": roles, "destination": destination}
    if ok:
        rt.incidents.add_event(iid, "alert_sent", at + timedelta(seconds=2), data)
    else:
        rt.incidents.add_event(iid, "alert_failed", at + timedelta(minutes=6), {**data, "status": "FAILURE"})


def seed(rt: Runtime, now: datetime) -> dict[str, int]:
    """Four incidents: open and at risk (one alert failed), open and breached, resolved in time
    (review and an overdue action), a security one; returns their ids by name."""
    h = timedelta(hours=1)
    m = timedelta(minutes=1)
    # 1. open, 35 min old, answered by nobody yet: 25 min left; the CTO's alert failed.
    a = incident(101, "outage", "Platform down, nobody can log in", now - 35 * m, assignee=(501, "Dana Agent"))
    rt.incidents.open(a)
    sla.start_clock(rt, a, a.declared_at)
    alert(rt, a.id, a.declared_at, "incident.declared", ["head_of_support"], "json://sink/…a1b2", True)
    alert(rt, a.id, a.declared_at, "incident.declared", ["cto"], "mailto://…c3d4", False)
    rt.incidents.add_event(a.id, "customer_message", a.declared_at + m,
                           {"message": "declared", "ticket_id": a.id, "outcome": "sent", "comment_id": 9001})
    # 2. open for 2 h with no reply: breached; the alerts go nowhere (log only).
    b = incident(102, "data_loss", "Invoices deleted after the upgrade", now - 2 * h, org=8, org_name="Globex")
    rt.incidents.open(b)
    sla.start_clock(rt, b, b.declared_at)
    rt.incidents.add_event(b.id, "alert_log_only", b.declared_at,
                           {"event": "incident.declared", "occurrence": "", "roles": ["cto"]})
    rt.incidents.add_event(b.id, "sla.breached", b.declared_at + h,
                           {"state": "breached", "sla": "breached 0s ago (1h target)"})
    rt.incidents.add_event(b.id, "status_page", b.declared_at + 90 * m, {"note": "status page updated"})
    # 3. declared 3 days ago, answered after 20 min, resolved after 5 h; review and an overdue action.
    c = incident(103, "outage", "API errors for EU customers", now - 72 * h, org=9, org_name="Initech",
                 assignee=(502, "Sam Support"))
    rt.incidents.open(c)
    sla.start_clock(rt, c, c.declared_at)
    sla.record_first_response(rt, c.id, sla.Reply(at=c.declared_at + 20 * m, by="Sam Support", comment_id=77),
                              c.declared_at + 20 * m)
    # The announcement (``jobs.sla.writeback.flush``) writes to Zendesk; its timeline entry is recorded as it would be.
    rt.incidents.add_event(c.id, "sla.first_response", c.declared_at + 20 * m,
                           {"state": "met", "by": "Sam Support", "responded_at": (c.declared_at + 20 * m).isoformat(),
                            "within_target": True, "sla": "met after 20m (1h target)"})
    rt.incidents.add_event(c.id, "linked", c.declared_at + h, {"ticket_id": 104})
    rt.incidents.index_linked(c.id, [104])
    rt.incidents.set_status(c.id, RESOLVED, c.declared_at + 5 * h)
    rt.incidents.add_event(c.id, "resolved", c.declared_at + 5 * h, {"ticket_id": c.id, "status": "solved"})
    rt.redis.hset(rt.keys("review", c.id), mapping={"ticket_id": "201", "due_at": "2026-12-01T10:00:00Z"})
    rt.incidents.add_event(c.id, "review_created", c.declared_at + 5 * h, {"ticket_id": 201})
    rt.incidents.add_event(c.id, "action_created", c.declared_at + 6 * h, {"ticket_id": 202, "owner_id": 502})
    # 4. a security incident: its subject and organisation never show.
    d = incident(105, "security", "Customer list leaked by Bob", now - 10 * m, org_name="Secret Co")
    rt.incidents.open(d)
    rt.redis.set(tasks_key(rt.keys), json.dumps({"as_of": (now - 5 * m).isoformat(), "tasks": [
        {"kind": "review", "ticket_id": 201, "subject": "Post-incident review: #103", "status": "open",
         "due_at": (now + 48 * h).isoformat(), "incident_id": c.id, "assignee_id": 502},
        {"kind": "action", "ticket_id": 202, "subject": "Incident #103 action: add a canary", "status": "open",
         "due_at": (now - 24 * h).isoformat(), "incident_id": c.id, "assignee_id": 502},
    ]}))
    return {"at_risk": a.id, "breached": b.id, "resolved": c.id, "security": d.id}
