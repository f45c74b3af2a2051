"""The intake jobs against the Zendesk simulator (real HTTP, in this process) and a real Redis.

What matters to a user: a critical alert opens exactly one flagged ticket and an incident on the
declared path; the same alert again never opens a second ticket; its resolution is noted (and
solves the ticket when configured); a staff report becomes a flagged ticket on the reporter's
behalf; a security report lands in the security group.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs import intake, pipeline
from middleware.config.security import SecuritySettings
from middleware.store.clocks import ClockStore
from middleware.zendesk.mapping import ticket_from_api
from rules.model import Alert, StaffReport, TicketEvent
from tests.intake_support import comments, simulated, tickets

STARTED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def firing(fingerprint: str = "fp-1", severity: str = "critical", starts_at: datetime = STARTED,
           title: str = "HighErrorRate on api") -> Alert:
    return Alert(source="alertmanager", fingerprint=fingerprint, status="firing", title=title,
                 description="5xx rate above 5% for 10 minutes", severity=severity,
                 labels={"alertname": "HighErrorRate", "severity": severity, "team": "Payments API"},
                 link="http://prometheus.local/graph", starts_at=starts_at)


def resolved(alert: Alert, ends_at: datetime = STARTED + timedelta(minutes=20)) -> Alert:
    return Alert(**{**alert.to_dict(), "status": "resolved", "starts_at": alert.starts_at, "ends_at": ends_at})


@pytest.fixture
def sim(tmp_path: Path, redis, key_prefix):
    with simulated(tmp_path, redis, key_prefix,
                   intake={"alerts": {"requester_email": "monitoring@ourco.example"}}) as running:
        yield running


def test_a_critical_alert_opens_one_flagged_ticket_on_the_declared_path(sim) -> None:
    rt, control, _ = sim
    outcome = pipeline.handle_alert(firing().to_dict())
    assert outcome.startswith("ticket ")
    (ticket,) = tickets(control)
    assert ticket["subject"] == "HighErrorRate on api"
    assert {"critical_incident", "critical_monitoring", "monitoring_alert", "severity_critical",
            "team_payments_api", "alert_source_alertmanager"} <= set(ticket["tags"])
    assert ticket["priority"] == "urgent"
    assert ticket["external_id"].startswith(f"{rt.keys.prefix}-alert-")
    requester = control.requests_log()  # the ticket was created once, by one POST
    assert sum(1 for r in requester["requests"] if r["method"] == "POST" and r["path"] == "/api/v2/tickets.json") == 1
    assert rt.zendesk.get_user(ticket["requester_id"]).email == "monitoring@ourco.example"
    assert "monitoring-alert" in ticket["description"]  # the description says why it is critical
    incident = rt.incidents.get(ticket["id"])
    assert incident is not None and incident.category == "monitoring" and incident.critical_from_start
    assert ClockStore(rt.redis, rt.keys).get(ticket["id"]) is not None  # SLA clock started
    kinds = [e["kind"] for e in rt.incidents.timeline(ticket["id"])]
    assert "alert" in kinds  # incident.declared went to the alerts stage


def test_the_same_alert_again_notes_its_open_ticket_instead_of_opening_another(sim) -> None:
    _, control, _ = sim
    pipeline.handle_alert(firing().to_dict())
    repeat = pipeline.handle_alert(firing().to_dict())  # Alertmanager's repeat_interval resend
    assert repeat.startswith("repeat of a notification")
    again = pipeline.handle_alert(firing(starts_at=STARTED + timedelta(hours=1)).to_dict())  # fired again
    assert again.startswith("noted on ticket")
    (ticket,) = tickets(control)
    notes = [c["body"] for c in comments(control, ticket["id"]) if not c["public"]]
    assert len(notes) == 1 and "fired again" in notes[0]


def test_a_resolved_alert_notes_the_ticket_and_leaves_it_open_by_default(sim) -> None:
    _, control, _ = sim
    alert = firing()
    pipeline.handle_alert(alert.to_dict())
    outcome = pipeline.handle_alert(resolved(alert).to_dict())
    assert outcome.startswith("resolution noted")
    (ticket,) = tickets(control)
    assert ticket["status"] != "solved"
    notes = [c["body"] for c in comments(control, ticket["id"]) if not c["public"]]
    assert len(notes) == 1 and "resolved" in notes[0]
    assert pipeline.handle_alert(resolved(alert).to_dict()).startswith("resolution already")


def test_solve_on_resolve_solves_and_the_next_firing_opens_a_new_ticket(tmp_path: Path, redis, key_prefix) -> None:
    with simulated(tmp_path, redis, key_prefix, intake={"alerts": {"solve_on_resolve": True}}) as (_, control, _):
        alert = firing()
        pipeline.handle_alert(alert.to_dict())
        assert pipeline.handle_alert(resolved(alert).to_dict()).endswith("and solved")
        (first,) = tickets(control)
        assert first["status"] == "solved"
        pipeline.handle_alert(firing(starts_at=STARTED + timedelta(days=1)).to_dict())
        second = tickets(control)[-1]
        assert second["id"] != first["id"]
        assert second["external_id"] != first["external_id"]  # a new generation, a new external id


def test_a_warning_opens_no_ticket(sim) -> None:
    _, control, _ = sim
    assert pipeline.handle_alert(firing(severity="warning").to_dict()) == "not critical by the rules: no ticket"
    assert tickets(control) == []


def test_a_resolution_without_a_ticket_does_nothing_even_if_its_firing_comes_late(sim) -> None:
    _, control, _ = sim
    assert "no open ticket" in pipeline.handle_alert(resolved(firing()).to_dict())
    assert "already resolved" in pipeline.handle_alert(firing().to_dict())  # out of order: stale
    assert tickets(control) == []
    assert pipeline.handle_alert(firing(starts_at=STARTED + timedelta(hours=2)).to_dict()).startswith("ticket ")


def test_an_interrupted_create_is_resumed_without_a_second_ticket(sim, monkeypatch) -> None:
    rt, control, _ = sim
    real_open = intake.open_incident

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed after the create")

    monkeypatch.setattr(intake, "open_incident", crash)
    with pytest.raises(RuntimeError):
        pipeline.handle_alert(firing().to_dict())
    monkeypatch.setattr(intake, "open_incident", real_open)
    pipeline.handle_alert(firing().to_dict())  # RQ's retry
    (ticket,) = tickets(control)
    assert rt.incidents.get(ticket["id"]) is not None


def test_two_workers_with_the_same_alert_open_one_ticket(sim) -> None:
    _, control, _ = sim
    alert = firing()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            pipeline.handle_alert(alert.to_dict())
        except BaseException as exc:  # a Busy would be retried by RQ; recorded here
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(tickets(control)) == 1


def test_a_staff_report_becomes_a_flagged_ticket_on_the_reporters_behalf(sim) -> None:
    rt, control, _ = sim
    report = StaffReport(reporter_email="sam@ourco.example", reporter_name="Sam", summary="Checkout broken for Acme",
                         description="Acme's checkout returns an error page since 10:00.",
                         organizations=(77, "Beta Ltd"))
    outcome = pipeline.handle_report(report.to_dict())
    assert outcome.startswith("ticket ")
    (ticket,) = tickets(control)
    assert rt.zendesk.get_user(ticket["requester_id"]).email == "sam@ourco.example"
    assert {"critical_incident", "critical_staff_report", "staff_report"} <= set(ticket["tags"])
    assert ticket["priority"] == "urgent"
    assert "Beta Ltd" in ticket["description"]
    incident = rt.incidents.get(ticket["id"])
    assert incident is not None and incident.category == "staff_report"
    assert incident.extra["organization_ids"] == [77]  # the Engagement Director of org 77 hears of it
    pipeline.handle_report(report.to_dict())  # the same report again (a retry, a double click)
    assert len(tickets(control)) == 1


def test_a_security_report_is_routed_to_the_security_group(tmp_path: Path, redis, key_prefix) -> None:
    with simulated(tmp_path, redis, key_prefix) as (rt, control, _):
        group = control.create_group("Security")
        rt.config.security = SecuritySettings(group_id=group["id"])
        report = StaffReport(reporter_email="sam@ourco.example", summary="Leaked API key",
                             description="An admin API key was posted in a public repo.", category="security")
        pipeline.handle_report(report.to_dict())
        (ticket,) = tickets(control)
        assert ticket["group_id"] == group["id"]
        assert "critical_security" in ticket["tags"]
        assert rt.incidents.get(ticket["id"]).category == "security"


def test_a_customers_security_ticket_is_routed_to_the_security_group_by_triage(tmp_path: Path, redis,
                                                                               key_prefix) -> None:
    with simulated(tmp_path, redis, key_prefix) as (rt, control, _):
        group = control.create_group("Security")
        rt.config.security = SecuritySettings(group_id=group["id"])
        raw = control.customer_ticket("We have been hacked", "Our admin account was compromised last night.",
                                      "ciso@globex.example")
        ticket = ticket_from_api(raw)
        event = TicketEvent(id="evt-sec", type="created", ticket=ticket, time=ticket.created_at,
                            actor_id=ticket.requester_id)
        assert pipeline.handle_event(event.to_dict()).startswith("flagged critical (security")
        flagged = control.get_ticket(raw["id"])["ticket"]
        assert flagged["group_id"] == group["id"] and "critical_security" in flagged["tags"]


def test_tickets_are_found_by_external_id(sim) -> None:
    rt = sim[0]
    made = rt.zendesk.create_ticket({"subject": "x", "comment": {"body": "y"}, "external_id": "ext-42"})
    rt.zendesk.create_ticket({"subject": "z", "comment": {"body": "y"}, "external_id": "ext-43"})
    assert [t.id for t in rt.zendesk.tickets_by_external_id("ext-42")] == [made.id]
    assert rt.zendesk.tickets_by_external_id("nope") == []


def test_a_note_retried_after_a_crash_is_not_written_twice(sim, monkeypatch) -> None:
    _, control, _ = sim
    pipeline.handle_alert(firing().to_dict())
    later = firing(starts_at=STARTED + timedelta(hours=1))
    real_save = intake.AlertState.save

    def killed_after_the_write(self, rt, **changes):  # Zendesk took the note; Redis never heard
        if changes.get("last_ref") == later.delivery_id:
            raise RuntimeError("worker killed")
        return real_save(self, rt, **changes)

    monkeypatch.setattr(intake.AlertState, "save", killed_after_the_write)
    with pytest.raises(RuntimeError):
        pipeline.handle_alert(later.to_dict())
    monkeypatch.setattr(intake.AlertState, "save", real_save)
    pipeline.handle_alert(later.to_dict())  # RQ's retry
    (ticket,) = tickets(control)
    notes = [c["body"] for c in comments(control, ticket["id"]) if not c["public"]]
    assert len(notes) == 1
