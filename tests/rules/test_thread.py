"""A reply quotes its thread: the rules judge what the writer says now (rules/thread.py).

The user-visible promise: a customer who replies to an old incident thread to book a training or
ask for the incident report is not paged as a new critical incident, while "still down, see
below", a forward of an alert and a short "any update?" above an outage still are."""

from __future__ import annotations

import pytest

from rules import RuleSet
from rules.thread import latest_message
from tests.rules.corpus import load_default_ruleset
from tests.rules.helpers import make_ticket

OLD_OUTAGE = (">>> Since 6am none of our drivers can see their loads in the app, all 40 trucks are standing in "
              "the yard and nothing has shipped. Please call me NOW.\n")
ROUTINE = ("Following up on the training we talked about. Everything has been fine with the app since the fix, "
           "the drivers have had no problems. Could you run two sessions on the driver app for our 18 new "
           "drivers in January, mornings if possible?\n\nThanks,\nKevin\n\n")

HEADERS = [
    "On Fri, Nov 3, 2025 at 23:41, Marco Delgado (Support) <marco@vendor.example> wrote:",
    "Le ven. 3 nov. 2025 à 23:41, Marco Delgado a écrit :",
    "El vie, 3 nov 2025 a las 23:41, Marco Delgado escribió:",
    "Am Fr., 3. Nov. 2025 um 23:41 Uhr schrieb Marco Delgado <marco@vendor.example>:",
    "W dniu 03.11.2025 o 23:41 Marco Delgado <marco@vendor.example> napisał(a):",
    "-----Original Message-----",
    "-----Ursprüngliche Nachricht-----",
    "From: Marco Delgado <marco@vendor.example>\nSent: Friday, November 3, 2025 23:41\nTo: Kevin\nSubject: RE: DOWN",
    "Von: Marco Delgado\nGesendet: Freitag, 3. November 2025 23:41\nAn: Kevin\nBetreff: AW: DOWN",
]


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_default_ruleset()


def customer(rules: RuleSet, subject: str, description: str):
    return rules.evaluate(make_ticket(subject, description, None, role="end-user", email="kevin@customer.example"))


@pytest.mark.parametrize("header", HEADERS)
def test_a_routine_reply_is_not_the_outage_it_quotes(rules: RuleSet, header: str) -> None:
    body = ROUTINE + header + "\n" + OLD_OUTAGE
    assert latest_message(body, "RE: drivers can't see loads") == ROUTINE
    assert customer(rules, "Re: drivers can't see loads", body).tier == "none"
    # the same history as the writer's own words is an outage
    assert customer(rules, "drivers can't see loads", OLD_OUTAGE.lstrip("> ")).critical


@pytest.mark.parametrize("own", [
    "Still happening!! Any update?\n\n",  # a few words: the history is the report
    "Hi, please see my latest below, this is now much worse than when I first logged it. Read the bottom first.\n\n",
])
def test_a_follow_up_that_points_at_the_history_keeps_it(rules: RuleSet, own: str) -> None:
    body = own + HEADERS[0] + "\n" + OLD_OUTAGE
    assert latest_message(body, "Re: loads") == body
    assert customer(rules, "Re: drivers can't see loads", body).critical


def test_a_forward_and_a_new_email_are_read_whole() -> None:
    body = ROUTINE + "---------- Forwarded message ---------\nFrom: Ops\n" + OLD_OUTAGE
    assert latest_message(body, "Re: loads") == body
    quoting = ROUTINE + HEADERS[0] + "\n" + OLD_OUTAGE.lstrip("> ")
    assert latest_message(quoting, "Re: Fwd: loads") == quoting
    # a ticket opened by a new email (or the web form) is read whole, unless it has ">"-quoted
    # lines or an "Original Message" line
    assert latest_message(quoting, "drivers can't see loads") == quoting
    assert latest_message(ROUTINE + HEADERS[0] + "\n" + OLD_OUTAGE, "drivers can't see loads") == ROUTINE
    assert latest_message(quoting, "AW: Fahrer sehen keine Ladungen") == ROUTINE
    assert latest_message(quoting, "[Ticket #4411] Re: loads") == ROUTINE


def test_quoted_lines_inside_the_message_are_dropped_and_dashes_alone_cut_nothing() -> None:
    text = ROUTINE + "> an old line the writer quoted\n" + "More of my own words here.\n"
    assert "old line" not in latest_message(text, "Re: x")
    assert "More of my own words" in latest_message(text, "Re: x")
    alert = "Alert details follow for the production cluster in the region, please acknowledge it now.\n" \
            "--- Details ---\nservice: orders-api\nstatus: FIRING\n"
    assert latest_message(alert, "Re: alert") == alert
