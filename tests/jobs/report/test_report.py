"""The lead-team report as pure computation: a known set of incidents gives known numbers.

No Redis, no Zendesk, no clock: incident records and timelines go in, with ``now``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jobs.report.build import IncidentFacts, TrackedTask, build_report, facts_of, percentile, render_report, report_dict
from middleware.store.incidents import OPEN, OVERRIDDEN, RESOLVED, Incident
from rules.model import format_time

NOW = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # a Monday morning
SINCE = NOW - timedelta(days=7)
M = timedelta(minutes=1)


def link(ticket_id: int) -> str:
    return f"https://acme.zendesk.com/agent/tickets/{ticket_id}"


def facts(i: int, category: str | None, declared: datetime, *, ttfr: timedelta | None = None,
          sla: str | None = "met", resolved_after: timedelta | None = None, status: str | None = None,
          subject: str = "Checkout down") -> IncidentFacts:
    """An incident reported 2 minutes before it was declared, its clock started at the report."""
    report = declared - 2 * M
    resolved = declared + resolved_after if resolved_after is not None else None
    return IncidentFacts(
        id=i, ticket_id=i, category=category, subject=subject,
        status=status or (RESOLVED if resolved else OPEN),
        first_report_at=report, declared_at=declared, resolved_at=resolved,
        sla_started_at=report, first_response_at=report + ttfr if ttfr is not None else None,
        sla_state=sla,
    )


def known_week() -> list[IncidentFacts]:
    d = SINCE + timedelta(days=1)
    return [
        facts(1, "outage", d, ttfr=10 * M, sla="met", resolved_after=2 * timedelta(hours=1)),
        facts(2, "outage", d + timedelta(hours=5), ttfr=20 * M, sla="met", resolved_after=timedelta(hours=4)),
        facts(3, "security", d + timedelta(days=1), ttfr=30 * M, sla="met", resolved_after=timedelta(hours=6),
              subject="Admin password leaked"),
        facts(4, "multi_customer", d + timedelta(days=2), ttfr=50 * M, sla="met"),
        facts(5, "outage", d + timedelta(days=3), ttfr=70 * M, sla="breached", resolved_after=timedelta(days=1)),
        facts(6, "monitoring", d + timedelta(days=4), sla="cancelled", resolved_after=10 * M),
        facts(7, "outage", d + timedelta(days=5), sla="pending"),  # still running: not decided yet
        facts(8, "outage", d + timedelta(days=5), sla="cancelled", status=OVERRIDDEN),  # not critical after all
        # declared before the period, resolved in it: counts for time to resolve only
        facts(9, "outage", SINCE - timedelta(days=2), ttfr=5 * M, sla="met",
              resolved_after=timedelta(days=3)),
        # long before and long done: not in this report at all
        facts(10, "outage", SINCE - timedelta(days=30), ttfr=5 * M, resolved_after=timedelta(hours=1)),
    ]


def test_known_incidents_give_known_numbers():
    report = build_report(known_week(), NOW, SINCE)
    assert [f.id for f in report.incidents] == [9, 1, 2, 3, 4, 5, 6, 7, 8]
    assert report.by_category == {"monitoring": 1, "multi_customer": 1, "outage": 4, "security": 1}
    assert (report.sla_met, report.sla_breached) == (4, 1)
    assert report.sla_attainment == 0.8
    # first responses of incidents declared in the period: 10, 20, 30, 50, 70 minutes
    assert report.ttfr_median == 30 * M
    assert report.ttfr_p90 == 70 * M  # nearest rank: the 5th of 5
    # resolved in the period (from first report): 1: 2h02, 2: 4h02, 3: 6h02, 5: 1d 0h02, 6: 12m, 9: 3d 0h02
    assert report.resolved == 6
    assert report.ttr_median == timedelta(hours=5, minutes=2)
    assert report.still_open == 2 and report.overridden == 1


def test_no_incidents_no_numbers():
    report = build_report([], NOW, SINCE, tasks=[])
    assert report.sla_attainment is None and report.ttfr_median is None and report.ttr_median is None
    title, body = render_report(report, link)
    assert "0 new, 0 resolved" in title
    assert "no first response due in this period" in body and "  none" in body


def test_percentile_is_nearest_rank():
    values = [timedelta(minutes=m) for m in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)]
    assert percentile(values, 90) == timedelta(minutes=9)
    assert percentile(values, 50) == timedelta(minutes=5)
    assert percentile(values[:1], 90) == timedelta(minutes=1)
    assert percentile([], 90) is None


def test_open_reviews_and_overdue_actions():
    tasks = [
        TrackedTask("review", 101, "Post-incident review: #1 Checkout down", "open", NOW + timedelta(days=1), 1),
        TrackedTask("review", 102, "Post-incident review: #2 Checkout down", "open", NOW - timedelta(days=1), 2),
        TrackedTask("review", 103, "Post-incident review: #9", "solved", NOW - timedelta(days=1), 9),
        TrackedTask("action", 201, "Renew certificates", "open", NOW - timedelta(hours=1), 1),
        TrackedTask("action", 202, "Status page", "pending", NOW + timedelta(days=3), 2),
        TrackedTask("action", 203, "Done already", "solved", NOW - timedelta(days=3), 2),
    ]
    report = build_report(known_week(), NOW, SINCE, tasks)
    assert [t.ticket_id for t in report.open_reviews] == [101, 102]
    assert [t.ticket_id for t in report.overdue_actions] == [201]
    assert report.open_actions == 2
    _, body = render_report(report, link)
    assert "Open post-incident reviews: 2" in body and "OVERDUE" in body
    assert "Overdue actions: 1 (of 2 open)" in body and link(201) in body


def test_the_text_lists_every_incident_with_its_link_and_keeps_security_subjects_out():
    report = build_report(known_week(), NOW, SINCE)
    title, body = render_report(report, link, restricted=frozenset({"security"}))
    assert title == "Critical incidents, last 7 days: 7 new, 6 resolved"
    assert "New incidents by category: monitoring 1, multi_customer 1, outage 4, security 1" in body
    assert "First-response SLA attainment: 80% (4 met, 1 breached)" in body
    assert "Time to first response: median 30m, 90th percentile 1h 10m" in body
    assert "Time to resolve: median 5h 02m (6 resolved in the period)" in body
    assert "Reviews and actions: not available" in body  # no task list was given
    for i in (1, 2, 3, 4, 5, 6, 7, 8, 9):
        assert link(i) in body
    assert link(10) not in body
    assert "Admin password leaked" not in body and "withheld" in body
    data = report_dict(report, link, restricted=frozenset({"security"}))
    assert data["sla"] == {"met": 4, "breached": 1, "attainment": 0.8}
    assert data["time_to_first_response_seconds"] == {"median": 1800.0, "p90": 4200.0}
    assert [i["subject"] for i in data["incidents"] if i["category"] == "security"] == [
        "(subject withheld: security incident)"]


def test_facts_come_from_the_record_and_its_timeline():
    created = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    declared = created + 3 * M
    incident = Incident(id=5, ticket_id=5, category="outage", rules=["outage-service-down"], reasons=[],
                        subject="Checkout down", organization_id=None, requester_id=11, ticket_created_at=created,
                        declared_at=declared, critical_from_start=True, status=RESOLVED,
                        resolved_at=created + timedelta(hours=2))
    t = format_time
    timeline = [
        {"kind": "declared", "at": t(declared)},
        {"kind": "alert", "at": t(declared), "event": "incident.declared", "occurrence": ""},
        {"kind": "sla.started", "at": t(declared), "started_at": t(created), "sla_due_at": t(created + 60 * M),
         "state": "pending"},
        {"kind": "alert_sent", "at": t(declared + M), "event": "incident.declared", "occurrence": "",
         "roles": ["head_of_support", "cto"]},
        {"kind": "sla.at_risk", "at": t(created + 30 * M), "state": "at_risk"},
        {"kind": "sla.first_response", "at": t(created + 40 * M), "responded_at": t(created + 38 * M),
         "by": "Agent Smith", "state": "met"},
        {"kind": "sla.final", "at": t(created + 40 * M), "state": "met"},
        {"kind": "customer_message", "at": t(declared), "message": "declared", "ticket_id": 5, "outcome": "sent"},
        {"kind": "resolved", "at": t(created + timedelta(hours=2))},
        {"kind": "reopened", "at": t(created + timedelta(hours=3))},
    ]
    f = facts_of(incident, timeline, linked=[5, 7, 8])
    assert f.first_report_at == created
    assert f.sla_started_at == created and f.sla_due_at == created + 60 * M
    assert f.first_response_at == created + 38 * M and f.first_response_by == "Agent Smith"
    assert f.time_to_first_response == 38 * M
    assert f.time_to_resolve == timedelta(hours=2)
    assert f.sla_state == "met"
    assert f.linked_ticket_ids == (5, 7, 8)
    assert [(a.event, a.roles, a.delivered) for a in f.alerts] == [
        ("incident.declared", ("head_of_support", "cto"), True)]
    assert f.customer_messages[0]["outcome"] == "sent"
    assert f.reopened == 1


def test_a_multi_customer_incident_counts_from_its_first_report():
    declared = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    incident = Incident(id=30, ticket_id=30, category="multi_customer", rules=["correlation"], reasons=[],
                        subject="Orders not syncing", organization_id=None, requester_id=None,
                        ticket_created_at=declared, declared_at=declared, critical_from_start=True,
                        extra={"first_report_at": format_time(declared - 25 * M)})
    assert facts_of(incident, []).first_report_at == declared - 25 * M


def test_the_report_lists_what_customers_were_told_and_when():
    declared = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    incident = Incident(id=40, ticket_id=40, category="multi_customer", rules=["correlation:x"], reasons=[],
                        subject="Orders not syncing", organization_id=None, requester_id=11,
                        ticket_created_at=declared, declared_at=declared, critical_from_start=True)
    t = format_time
    timeline = [
        {"kind": "declared", "at": t(declared)},
        {"kind": "customer_message", "at": t(declared + M), "message": "declared", "ticket_id": 41, "outcome": "sent"},
        {"kind": "customer_message", "at": t(declared + 3 * M), "message": "declared", "ticket_id": 42,
         "outcome": "sent"},
        {"kind": "customer_message", "at": t(declared + M), "message": "declared", "ticket_id": 40,
         "outcome": "not_sent"},
        {"kind": "customer_update.requested", "at": t(declared + 20 * M), "update_id": "u1", "by": "Helen Head"},
        {"kind": "customer_update", "at": t(declared + 21 * M), "update_id": "u1", "by": "Helen Head", "sent": 2,
         "ticket_ids": [41, 42]},
    ]
    f = facts_of(incident, timeline, linked=[41, 42])
    report = build_report([f], NOW, SINCE)
    _, body = render_report(report, link)
    assert ("      told 2026-03-04 10:01 UTC to 2026-03-04 10:03 UTC: told it is handled as critical, "
            "2 ticket(s)") in body
    assert "      told 2026-03-04 10:21 UTC: status update u1, 2 ticket(s) (asked for by Helen Head)" in body
    [listed] = report_dict(report, link)["incidents"]
    assert [x["what"] for x in listed["customers_told"]] == ["told it is handled as critical", "status update u1"]
    assert listed["customers_told"][1] == {"what": "status update u1", "at": "2026-03-04T10:21:00Z", "until": None,
                                           "by": "Helen Head", "recipients": "2 ticket(s)"}
