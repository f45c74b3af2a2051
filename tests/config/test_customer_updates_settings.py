"""The customer_updates section: defaults on a fresh machine, mistakes named by key at start-up."""

from __future__ import annotations

import pytest

from middleware.config import ConfigError
from middleware.config.customer_updates import (
    NOTICE_PLACEHOLDERS,
    UPDATE_PLACEHOLDERS,
    MessageError,
    check_message,
    load_customer_updates,
    render,
)
from tests.lifecycle_support import config_for


def test_defaults_when_the_section_is_absent() -> None:
    s = load_customer_updates(None)
    assert (s.contact_user_tag, s.contact_org_field, s.confirm_above) == ("incident_contact", None, 50)
    assert (s.notice_tag, s.update_tag) == ("incident_notice", "incident_update")


def test_the_shipped_config_loads_it(tmp_path) -> None:
    config = config_for(tmp_path, "x")
    assert config.customer_updates.confirm_above == 50


@pytest.mark.parametrize(("raw", "key"), [
    ({"confirm_above": 0}, "customer_updates.confirm_above"),
    ({"confirm_above": "many"}, "customer_updates.confirm_above"),
    ({"contacts": {"user_tag": "two words"}}, "customer_updates.contacts.user_tag"),
    ({"contacts": {"org_field": "bad field!"}}, "customer_updates.contacts.org_field"),
    ({"contacts": {"who": "x"}}, "customer_updates.contacts.who"),
    ({"notice_subject": "About {ticket_id}"}, "customer_updates.notice_subject"),
    ({"notice_subject": "  "}, "customer_updates.notice_subject"),
    ({"update_tag": "incident_notice"}, "customer_updates.update_tag"),
    ({"surprise": 1}, "customer_updates.surprise"),
])
def test_mistakes_name_the_key(raw, key) -> None:
    with pytest.raises(ConfigError) as err:
        load_customer_updates(raw)
    assert err.value.key == key


def test_messages_are_checked_and_rendered_per_recipient() -> None:
    text = check_message("  Hi {requester_name}, about #{ticket_id} ({subject}). {{braces}}  ", UPDATE_PLACEHOLDERS)
    assert render(text, {"requester_name": "Ann", "ticket_id": 7, "subject": "Down"}) == \
        "Hi Ann, about #7 (Down). {braces}"
    with pytest.raises(MessageError, match="unknown placeholder"):
        check_message("Hi {ticket_id}", NOTICE_PLACEHOLDERS)  # a notice has no ticket of its own yet
    with pytest.raises(MessageError, match="braces"):
        check_message("JSON: {", UPDATE_PLACEHOLDERS)
    with pytest.raises(MessageError, match="characters long"):
        check_message("x" * 20001, UPDATE_PLACEHOLDERS)
