"""Every non-text condition type, the combinators, and the needs_* flags the caller relies on."""

from __future__ import annotations

import pytest

from rules import compile_rules
from tests.rules.helpers import make_ticket, matches, one_rule, reasons


class TestTags:
    def test_any(self) -> None:
        rule = {"tags": {"any": ["outage", "site_down"]}}
        assert reasons(rule, make_ticket(tags=["vip", "outage"])) == ('tag "outage" present',)
        assert not matches(rule, make_ticket(tags=["vip"]))

    def test_all(self) -> None:
        rule = {"tags": {"all": ["vip", "outage"]}}
        assert reasons(rule, make_ticket(tags=["outage", "vip", "x"])) == ('tags "vip" and "outage" present',)
        assert not matches(rule, make_ticket(tags=["vip"]))

    def test_none(self) -> None:
        rule = {"tags": {"none": ["not_critical", "spam"]}}
        assert reasons(rule, make_ticket(tags=["vip"])) == ('no tag "not_critical" or "spam"',)
        assert not matches(rule, make_ticket(tags=["spam"]))

    def test_combined_and_case(self) -> None:
        rule = {"tags": {"any": ["Outage"], "none": ["resolved"]}}
        assert matches(rule, make_ticket(tags=["outage"]))
        assert not matches(rule, make_ticket(tags=["outage", "resolved"]))


class TestTicketValues:
    @pytest.mark.parametrize(
        ("when", "field", "good", "bad", "reason"),
        [
            ({"priority": ["high", "urgent"]}, "priority", "urgent", "low", 'priority is "urgent"'),
            ({"priority": "URGENT"}, "priority", "urgent", None, 'priority is "urgent"'),
            ({"type": ["incident", "problem"]}, "type", "problem", "question", 'ticket type is "problem"'),
            ({"status": ["new", "open"]}, "status", "open", "solved", 'status is "open"'),
            ({"via": ["api", "Email"]}, "via_channel", "email", "web", 'via channel is "email"'),
            ({"group_id": [360001, "360002"]}, "group_id", 360002, 5, "group id is 360002"),
        ],
    )
    def test_value_in_list(self, when: dict, field: str, good: object, bad: object, reason: str) -> None:
        assert reasons(when, make_ticket(**{field: good})) == (reason,)
        assert not matches(when, make_ticket(**{field: bad}))

    def test_via_channel_compared_lower_case(self) -> None:
        assert matches({"via": ["api"]}, make_ticket(via_channel="API"))


class TestRequester:
    def test_role(self) -> None:
        rule = {"requester_role": ["agent", "admin"]}
        assert reasons(rule, make_ticket(role="admin")) == ('requester role is "admin"',)
        assert not matches(rule, make_ticket(role="end-user"))
        assert not matches(rule, make_ticket())  # no requester context: the condition cannot hold

    def test_domain_exact_and_subdomain(self) -> None:
        rule = {"requester_domain": ["@Example-Internal.com"]}
        assert reasons(rule, make_ticket(email="a@example-internal.com")) == (
            'requester email domain is "example-internal.com"',
        )
        assert matches(rule, make_ticket(email="a@eu.example-internal.com"))
        assert not matches(rule, make_ticket(email="a@notexample-internal.com"))
        assert not matches(rule, make_ticket(email="broken-address"))


class TestOrganization:
    def test_organization_id_from_ticket_or_context(self) -> None:
        rule = {"organization_id": [42]}
        assert reasons(rule, make_ticket(org_id=42)) == ("organisation id is 42",)
        assert not matches(rule, make_ticket(org_id=43))

    def test_organization_tags(self) -> None:
        rule = {"organization_tags": {"any": ["key_account"]}}
        assert reasons(rule, make_ticket(org_tags=("key_account",))) == ('organisation tag "key_account" present',)
        assert not matches(rule, make_ticket(org_tags=()))
        assert not matches(rule, make_ticket())  # no organisation context

    def test_organization_fields(self) -> None:
        rule = {"organization_fields": {"tier": {"in": ["enterprise", "premium"]}}}
        assert reasons(rule, make_ticket(org_fields={"tier": "Enterprise "})) == (
            'organisation field "tier" is "enterprise"',
        )
        assert not matches(rule, make_ticket(org_fields={"tier": "basic"}))


class TestCustomFields:
    def test_equals_is_loose_about_case_and_type(self) -> None:
        rule = {"custom_fields": {360001: {"equals": "Sev1_Critical"}}}
        assert reasons(rule, make_ticket(custom_fields={"360001": "sev1_critical"})) == (
            'custom field 360001 is "sev1_critical"',
        )
        assert matches({"custom_fields": {"5": {"equals": True}}}, make_ticket(custom_fields={"5": "true"}))
        assert matches({"custom_fields": {"5": {"equals": 3}}}, make_ticket(custom_fields={"5": "3"}))
        assert not matches(rule, make_ticket(custom_fields={"360001": "sev2"}))

    def test_in_and_multi_select(self) -> None:
        rule = {"custom_fields": {"7": {"in": ["a", "b"]}}}
        assert matches(rule, make_ticket(custom_fields={"7": "b"}))
        assert matches(rule, make_ticket(custom_fields={"7": ["x", "a"]}))
        assert not matches(rule, make_ticket(custom_fields={"7": ["x"]}))

    def test_present(self) -> None:
        assert matches({"custom_fields": {"7": {"present": True}}}, make_ticket(custom_fields={"7": "x"}))
        for empty in (None, "", [], False):
            assert not matches({"custom_fields": {"7": {"present": True}}}, make_ticket(custom_fields={"7": empty}))
            assert matches({"custom_fields": {"7": {"present": False}}}, make_ticket(custom_fields={"7": empty}))
        assert matches({"custom_fields": {"7": {"present": False}}}, make_ticket())

    def test_several_fields_must_all_hold(self) -> None:
        rule = {"custom_fields": {"1": {"equals": "a"}, "2": {"present": True}}}
        assert matches(rule, make_ticket(custom_fields={"1": "a", "2": "z"}))
        assert not matches(rule, make_ticket(custom_fields={"1": "a"}))


class TestCombinators:
    def test_keys_in_one_mapping_all_hold(self) -> None:
        rule = {"priority": ["urgent"], "tags": {"any": ["vip"]}}
        assert reasons(rule, make_ticket(priority="urgent", tags=["vip"])) == (
            'priority is "urgent"',
            'tag "vip" present',
        )
        assert not matches(rule, make_ticket(priority="urgent"))

    def test_all_any_not_nested(self) -> None:
        rule = {
            "all": [
                {"any": [{"tags": {"any": ["outage"]}}, {"text": {"keywords": ["site is down"]}}]},
                {"not": {"via": ["api"]}},
            ]
        }
        assert matches(rule, make_ticket("site is down", via_channel="email"))
        assert matches(rule, make_ticket(tags=["outage"]))
        assert not matches(rule, make_ticket("site is down", via_channel="api"))
        assert not matches(rule, make_ticket("hello"))

    def test_any_reports_the_first_child_that_holds(self) -> None:
        rule = {"any": [{"tags": {"any": ["a"]}}, {"tags": {"any": ["b"]}}]}
        assert reasons(rule, make_ticket(tags=["b", "a"])) == ('tag "a" present',)

    def test_not_reason_names_what_was_absent(self) -> None:
        rule = {"all": [{"tags": {"any": ["a"]}}, {"not": {"tags": {"any": ["b"]}}}]}
        assert reasons(rule, make_ticket(tags=["a"])) == ('tag "a" present', 'not: tag "b" present')

    def test_single_child_lists_work(self) -> None:
        assert matches({"all": [{"tags": {"any": ["a"]}}]}, make_ticket(tags=["a"]))
        assert matches({"any": [{"tags": {"any": ["a"]}}]}, make_ticket(tags=["a"]))

    def test_text_gates_do_not_change_results(self) -> None:
        # `all`/`any` skip children whose words are absent; a `not` around text must still hold.
        rule = {"all": [{"not": {"text": {"keywords": ["resolved"]}}}, {"text": {"keywords": ["outage"]}}]}
        assert matches(rule, make_ticket("outage"))
        assert not matches(rule, make_ticket("outage resolved"))
        rule = {"any": [{"text": {"keywords": ["outage"]}}, {"not": {"text": {"keywords": ["fine"]}}}]}
        assert matches(rule, make_ticket("all good"))
        assert not matches(rule, make_ticket("fine"))


class TestNeeds:
    def test_requester_and_organization_flags(self) -> None:
        assert not one_rule({"tags": {"any": ["a"]}}).needs_requester
        assert one_rule({"requester_role": ["agent"]}).needs_requester
        assert one_rule({"not": {"requester_domain": ["x.com"]}}).needs_requester
        assert not one_rule({"organization_id": [1]}).needs_organization  # on the ticket itself
        assert one_rule({"organization_tags": {"any": ["vip"]}}).needs_organization
        assert one_rule(
            {"tags": {"any": ["a"]}}, unless={"organization_fields": {"t": {"present": True}}}
        ).needs_organization

    def test_disabled_rules_do_not_ask_for_context(self) -> None:
        ruleset = compile_rules([{"name": "x", "enabled": False, "when": {"requester_role": ["agent"]}}])
        assert not ruleset.needs_requester
        assert ruleset.names == ()
        assert ruleset.disabled == ("x",)
