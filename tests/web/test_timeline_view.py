"""Timeline entries in words: known kinds say what happened, unknown kinds still show everything."""

from __future__ import annotations

from middleware.web.timeline_view import describe, humanise, ordered


def test_known_kinds_read_as_sentences_without_repeating_their_fields() -> None:
    sent = describe({"at": "2026-12-05T09:00:00Z", "kind": "alert_sent", "event": "sla.breached", "occurrence": "2",
                     "roles": ["head_of_support", "cto"], "destination": "slack://…ab12"})
    assert sent.title == "Alert \u201cSLA breached (reminder 2)\u201d delivered to head of support, cto via slack://…ab12"
    assert sent.tone == "ok" and sent.details == {}
    failed = describe({"kind": "alert_failed", "event": "incident.declared", "roles": ["cto"],
                       "destination": "mailto://…", "status": "FAILURE"})
    assert failed.tone == "bad" and "FAILED (delivery status FAILURE)" in failed.title
    told = describe({"kind": "customer_message", "message": "resolved", "ticket_id": 7, "outcome": "not_sent",
                     "reason": "the ticket is closed"})
    assert told.tone == "bad" and told.title == "Customer on #7 NOT told that it is resolved: the ticket is closed"
    assert told.ticket_ids == (7,)
    known = describe({"kind": "customer_message", "message": "resolved", "ticket_id": 7, "outcome": "already_told",
                      "reason": "the update that solved the ticket carried a public reply"})
    assert known.tone == "ok" and known.title.startswith("Customer on #7 already told that it is resolved")
    nobody = describe({"kind": "customer_message", "message": "declared", "ticket_id": 8, "outcome": "not_sent",
                       "reason": "a problem ticket filed by staff (its customers are told on their linked tickets)"})
    assert nobody.tone == "info" and nobody.title.startswith("No customer to tell on #8")
    first = describe({"kind": "sla.first_response", "by": "Dana", "sla": "met after 12m (1h target)",
                      "within_target": True, "state": "met", "comment_id": 5, "found_by_check": False,
                      "responded_at": "2026-12-05T09:12:00Z"})
    assert first.title == "First public reply by Dana: met after 12m (1h target)" and first.tone == "ok"
    assert first.details == {"responded_at": "2026-12-05T09:12:00Z"}  # no ids, no "False" noise
    assert first.data["comment_id"] == 5  # still in the record the API gives


def test_an_unknown_kind_is_titled_from_its_name_and_keeps_its_fields() -> None:
    shown = describe({"at": "2026-12-05T09:00:00Z", "kind": "proactive_notice", "ticket_id": 12, "audience": 40})
    assert shown.title == "Proactive notice" and shown.tone == "info"
    assert shown.details == {"ticket_id": 12, "audience": 40} and shown.ticket_ids == (12,)
    assert humanise("customer_update") == "Customer update"
    assert describe({}).title == "Event"


def test_restricted_entries_lose_ticket_words_only() -> None:
    shown = describe({"kind": "customer_update", "body": "our customer list leaked", "subject": "leak",
                      "ticket_id": 3}, restricted=True)
    assert shown.data == {"ticket_id": 3} and "leak" not in str(shown.details)


def test_entries_are_shown_in_time_order() -> None:
    entries = [{"at": "2026-12-05T09:05:00Z", "kind": "b"}, {"at": "2026-12-05T09:00:00Z", "kind": "a"},
               {"at": "2026-12-05T09:05:00Z", "kind": "c"}]
    assert [e["kind"] for e in ordered(entries)] == ["a", "b", "c"]


def test_customer_updates_and_notices_read_as_sentences_with_their_tickets_linked() -> None:
    sent = describe({"kind": "customer_update", "update_id": "u1", "by": "Dana", "sent": 2, "ticket_ids": [4, 5],
                     "not_sent": {"6": "the ticket is closed"}})
    assert sent.title == "Status update sent to 2 ticket(s)" and sent.tone == "warn"
    assert sent.ticket_ids == (4, 5) and sent.details == {"update_id": "u1", "not_sent": {"6": "the ticket is closed"}}
    asked = describe({"kind": "customer_notice.requested", "notice_id": "n1", "by": "Dana", "contacts": 12})
    assert asked.title == "Proactive notice requested by Dana" and asked.details == {"notice_id": "n1", "contacts": 12}
