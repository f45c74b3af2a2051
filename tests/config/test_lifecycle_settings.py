"""The ``customer_messages``, ``review`` and ``report`` sections: defaults that work on a fresh
machine, and mistakes reported with the key that holds them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from middleware.config import Config, ConfigError, load_config
from middleware.config.lifecycle import (
    CustomerMessages,
    ReportSettings,
    ReviewSettings,
    load_customer_messages,
    load_report,
    load_review,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_config_loads_with_no_environment_and_says_what_the_issue_promises():
    config = load_config(ROOT / "config.yaml", env={})
    messages = config.customer_messages
    assert messages.enabled_for("declared", "outage") and messages.enabled_for("resolved", "security")
    assert not messages.enabled_for("declared", "monitoring")  # monitoring tickets have no customer
    review = config.review
    assert review.due_in == timedelta(days=5) and review.tag == "post_incident_review"
    assert review.assignee_id is None and review.assignee_email is None and review.group_id is None
    assert config.report == ReportSettings()
    routes = config.routes
    assert routes["review.overdue"] == ("head_of_support",) and routes["action.overdue"] == ("head_of_support",)
    assert "report" in routes


def test_environment_values_fill_the_head_of_support():
    config = load_config(ROOT / "config.yaml", env={"HEAD_OF_SUPPORT_USER_ID": "360000000123",
                                                    "HEAD_OF_SUPPORT_GROUP_ID": "360200000001",
                                                    "HEAD_OF_SUPPORT_EMAIL": "head@acme.test"})
    review = config.review
    assert (review.assignee_id, review.group_id, review.assignee_email) == (360000000123, 360200000001,
                                                                             "head@acme.test")


def test_absent_sections_mean_the_defaults():
    assert load_customer_messages(None) == CustomerMessages()
    assert load_review(None) == ReviewSettings()
    assert load_report(None) == ReportSettings()
    bare = Config(path="x", redis_prefix="t")
    assert bare.customer_messages == CustomerMessages() and bare.review == ReviewSettings()


def test_templates_render_the_customers_own_ticket():
    messages = load_customer_messages({"declared": {"body": "Re {subject} (#{ticket_id}): on it."},
                                       "resolved": False})
    assert messages.declared.render(42, "Checkout down") == "Re Checkout down (#42): on it."
    assert not messages.enabled_for("resolved", "outage")
    assert messages.enabled_for("declared", "outage")


def test_the_incident_tag_ties_a_task_to_its_incident():
    review = ReviewSettings()
    assert review.incident_tag(17) == "incident_17"
    assert review.incident_of(("incident_action", "incident_17")) == 17
    assert review.incident_of(("incident_action", "incident_abc")) is None


@pytest.mark.parametrize(("loader", "raw", "key", "problem"), [
    (load_customer_messages, {"declared": {"body": "Hi {name}"}}, "customer_messages.declared.body",
     "unknown placeholder {name}"),
    (load_customer_messages, {"resolved": {"body": "  "}}, "customer_messages.resolved.body", "cannot be empty"),
    (load_customer_messages, {"resolved": {"text": "x"}}, "customer_messages.resolved.text", "Unknown field"),
    (load_customer_messages, {"categories": {"outage": {"told": False}}}, "customer_messages.categories",
     "Must be one of"),
    (load_customer_messages, {"greeting": "x"}, "customer_messages.greeting", "Unknown field"),
    (load_review, {"due_in": "soon"}, "review.due_in", "expected a duration"),
    (load_review, {"due_in": 0}, "review.due_in", "longer than zero"),
    (load_review, {"assignee_id": "jane"}, "review.assignee_id", "Zendesk id"),
    (load_review, {"assignee_email": "jane"}, "review.assignee_email", "email address"),
    (load_review, {"action_tag": "post_incident_review"}, "review.action_tag", "must differ"),
    (load_review, {"tag": "two words"}, "review.tag", "one word"),
    (load_report, {"weekday": "funday"}, "report.weekday", "Must be one of"),
    (load_report, {"hour": 24}, "report.hour", "less than or equal to 23"),
    (load_report, {"period": "10m"}, "report.period", "at least 1h"),
])
def test_mistakes_name_the_key(loader, raw, key, problem):
    with pytest.raises(ConfigError) as info:
        loader(raw)
    assert info.value.key.startswith(key)
    assert problem in info.value.problem


def test_a_misspelt_category_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("customer_messages: {categories: {monitorng: {declared: false}}}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.key == "customer_messages.categories.monitorng"
