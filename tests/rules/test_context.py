"""Three-valued (Kleene) evaluation for tickets that lack requester or organisation context.

A webhook carries ``requester_id`` / ``organization_id`` but not the records; fetching them is a
Zendesk read. These tests pin the combinators' truth tables (``judge``), the explanation rule
(``known_reasons``), how ``RuleSet.evaluate`` turns them into ``Decision.undecided`` and the
``needs_*`` flags, ``complete=True``, the JSON form, and that the two-valued ``holds`` path is
what runs whenever no context is missing.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from rules import Decision, Match, RuleSet, Veto, compile_rules
from rules.condition_types import AllOf, AnyOf, Condition, Facts, Not, Truth
from rules.conditions import parse_condition
from rules.model import Organization, Person, Ticket
from tests.rules.helpers import make_ticket

# Leaves with a known value on TICKET (below), and one that is unknown without the requester.
T = {"tags": {"any": ["t"]}}
F = {"tags": {"any": ["absent"]}}
U = {"requester_role": ["agent"]}
UO = {"organization_tags": {"any": ["key_account"]}}

AGENT = Person(id=5, role="agent", email="sam@example-internal.com")
CUSTOMER = Person(id=5, role="end-user", email="pat@customer.example")
KEY_ACCOUNT = Organization(id=8, tags=("key_account",))


def lacking(ticket: Ticket, *, requester: bool = True, organization: bool = False) -> Ticket:
    """The ticket as a webhook reports it: ids only, no requester / organisation records."""
    if requester:
        ticket = replace(ticket, requester=None, requester_id=5)
    if organization:
        ticket = replace(ticket, organization=None, organization_id=8)
    return ticket


TICKET = lacking(make_ticket("Outage now", "the site is down", tags=["t"]), organization=True)


def judge(raw: dict[str, Any], ticket: Ticket = TICKET) -> Truth:
    """``judge`` of one parsed condition, with the rule set's view of what the ticket lacks."""
    condition = parse_condition(raw, "when")
    ruleset = compile_rules([{"name": "r", "when": raw}])
    facts = Facts(ticket, ruleset.lexicon)
    facts.missing_requester = ticket.requester is None and ticket.requester_id is not None
    facts.missing_organization = ticket.organization is None and ticket.organization_id is not None
    return condition.judge(facts)


class TestKleeneTruthTables:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            (U, None),
            (UO, None),
            ({"requester_domain": ["example-internal.com"]}, None),
            ({"organization_fields": {"tier": {"equals": "gold"}}}, None),
            ({"organization_fields": {"tier": {"equals": "gold"}, "sla": {"present": True}}}, None),
            ({"organization_id": [8]}, True),  # read from the ticket itself: never unknown
            (T, True),
            (F, False),
        ],
    )
    def test_leaves(self, raw: dict[str, Any], expected: Truth) -> None:
        assert judge(raw) is expected

    @pytest.mark.parametrize(
        ("children", "expected"),
        [([T, T], True), ([T, U], None), ([U, T], None), ([F, U], False), ([U, F], False), ([U, UO], None)],
    )
    def test_all(self, children: list[dict[str, Any]], expected: Truth) -> None:
        assert judge({"all": children}) is expected

    @pytest.mark.parametrize(
        ("children", "expected"),
        [([F, F], False), ([T, U], True), ([U, T], True), ([F, U], None), ([U, F], None), ([U, UO], None)],
    )
    def test_any(self, children: list[dict[str, Any]], expected: Truth) -> None:
        assert judge({"any": children}) is expected

    @pytest.mark.parametrize(("child", "expected"), [(T, False), (F, True), (U, None), (UO, None)])
    def test_not(self, child: dict[str, Any], expected: Truth) -> None:
        assert judge({"not": child}) is expected

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ({"all": [{"any": [F, U]}, {"not": {"any": [F, F]}}]}, None),
            ({"any": [{"all": [U, F]}, T]}, True),
            ({"any": [{"all": [U, F]}, F]}, False),
            ({"not": {"all": [U, T]}}, None),
            ({"not": {"all": [U, F]}}, True),
            ({"not": {"any": [U, T]}}, False),
            ({"all": [{"not": U}, {"any": [UO, T]}]}, None),
            ({"any": [{"not": {"any": [U, T]}}, {"all": [UO, F]}]}, False),
        ],
    )
    def test_nested(self, raw: dict[str, Any], expected: Truth) -> None:
        assert judge(raw) is expected

    def test_several_keys_in_one_mapping_are_an_all(self) -> None:
        assert judge({**T, **U}) is None
        assert judge({**F, **U}) is False

    def test_word_gates_are_false_in_every_context(self) -> None:
        # The ticket has no "breach": an `all` needing it is False whatever the requester is.
        assert judge({"all": [U, {"text": {"keywords": ["breach"]}}]}) is False
        assert judge({"all": [U, {"text": {"keywords": ["outage"]}}]}) is None
        assert judge({"any": [U, {"text": {"keywords": ["breach"]}}]}) is None
        assert judge({"any": [U, {"text": {"keywords": ["outage"]}}]}) is True

    def test_merged_keyword_children_keep_the_logic(self) -> None:
        # Plain keyword conditions side by side in an `any` are merged into one at compile time.
        raw = {"any": [{"text": {"keywords": ["breach"]}}, U, {"text": {"keywords": ["outage"]}}]}
        condition = parse_condition(raw, "when")
        assert isinstance(condition, AnyOf) and len(condition.children()) == 2
        assert judge(raw) is True
        raw = {"any": [{"text": {"keywords": ["breach"]}}, U, {"text": {"keywords": ["hacked"]}}]}
        assert judge(raw) is None

    def test_context_present_or_absent_is_two_valued(self) -> None:
        with_context = TICKET.with_context(requester=AGENT, organization=KEY_ACCOUNT)
        assert judge({"all": [U, UO]}, with_context) is True
        no_requester_at_all = replace(TICKET, requester_id=None, organization_id=None)
        assert judge({"any": [U, UO]}, no_requester_at_all) is False
        assert judge({"not": U}, no_requester_at_all) is True

    def test_combinators_carry_the_needs_flags(self) -> None:
        condition = parse_condition({"all": [T, {"any": [F, {"not": U}]}]}, "when")
        assert isinstance(condition, AllOf) and condition.needs_requester and not condition.needs_organization
        negated = parse_condition({"not": UO}, "when")
        assert isinstance(negated, Not) and negated.needs_organization and not negated.needs_requester


def known_reasons(raw: dict[str, Any], ticket: Ticket = TICKET) -> tuple[str, ...] | None:
    condition = parse_condition(raw, "when")
    facts = Facts(ticket, compile_rules([{"name": "r", "when": raw}]).lexicon)
    facts.missing_requester = facts.missing_organization = True
    assert condition.judge(facts) is True
    return condition.known_reasons(facts)


class TestKnownReasons:
    def test_an_unknown_child_before_the_true_one_makes_the_reasons_unknown(self) -> None:
        # With an agent as requester `any` would explain itself by its first child.
        assert known_reasons({"any": [U, T]}) is None
        assert known_reasons({"any": [T, U]}) == ('tag "t" present',)
        assert known_reasons({"any": [F, T, U]}) == ('tag "t" present',)

    def test_all_needs_every_child_explained(self) -> None:
        assert known_reasons({"all": [T, {"any": [T, U]}]}) == ('tag "t" present', 'tag "t" present')
        assert known_reasons({"all": [T, {"any": [U, T]}]}) is None

    def test_not_explains_itself_by_what_it_looks_for(self) -> None:
        assert known_reasons({"not": {"all": [U, F]}}) == ('not: requester role is "agent" and tag "absent" present',)


class TestEvaluate:
    def rules(self, when: dict[str, Any], unless: Any = None, **extra: Any) -> RuleSet:
        rule: dict[str, Any] = {"name": "ctx", "category": "outage", "when": when, **extra}
        if unless is not None:
            rule["unless"] = unless
        return compile_rules([rule, {"name": "plain", "category": "security", "when": {"tags": {"any": ["sec"]}}}])

    def test_when_unknown_is_undecided(self) -> None:
        decision = self.rules({"all": [U, T]}).evaluate(TICKET)
        assert decision.undecided == ("ctx",)
        assert not decision.decided
        assert decision.needs_requester and not decision.needs_organization
        assert not decision.critical and decision.matches == ()

    def test_when_false_is_decided(self) -> None:
        decision = self.rules({"all": [U, F]}).evaluate(TICKET)
        assert decision == Decision(critical=False)

    def test_when_true_and_unless_absent_or_false_matches(self) -> None:
        for unless in (None, [F, {"all": [U, F]}], {"not": {"any": [U, T]}}):
            decision = self.rules({"any": [T, U]}, unless).evaluate(TICKET)
            assert decision.decided and decision.critical, unless
            assert decision.matches == (Match("ctx", "outage", ('tag "t" present',)),)

    def test_when_true_and_unless_unknown_is_undecided(self) -> None:
        for unless in (U, [F, U], {"all": [T, UO]}, {"not": U}):
            decision = self.rules(T, unless).evaluate(TICKET)
            assert decision.undecided == ("ctx",), unless
            assert not decision.critical and decision.vetoed == ()

    def test_unless_definitely_true_vetoes(self) -> None:
        decision = self.rules(T, [T, U]).evaluate(TICKET)
        assert decision.decided and not decision.critical
        assert decision.vetoed == (Veto("ctx", "outage", ('tag "t" present',), ('tag "t" present',)),)

    def test_unless_list_whose_explanation_depends_on_context_is_undecided(self) -> None:
        # With an agent the veto would read "requester role is agent": the explanation differs.
        assert self.rules(T, [U, T]).evaluate(TICKET).undecided == ("ctx",)
        assert self.rules({"any": [U, T]}).evaluate(TICKET).undecided == ("ctx",)

    def test_decided_rules_still_report_and_needs_flags_name_the_context(self) -> None:
        ruleset = self.rules({"all": [U, UO, T]})
        decision = ruleset.evaluate(replace(TICKET, tags=("t", "sec")))
        assert decision.undecided == ("ctx",)
        assert decision.needs_requester and decision.needs_organization
        assert decision.critical and decision.rule_names == ("plain",)  # provisional
        only_org = ruleset.evaluate(TICKET.with_context(requester=AGENT))
        assert only_org.undecided == ("ctx",) and only_org.needs_organization and not only_org.needs_requester

    def test_fetching_what_it_asks_for_settles_the_decision(self) -> None:
        ruleset = self.rules({"all": [{"any": [U, UO]}, T]}, [{"not": {"requester_domain": ["example-internal.com"]}}])
        first = ruleset.evaluate(TICKET)
        assert first.undecided and first.needs_requester and first.needs_organization
        settled = ruleset.evaluate(TICKET.with_context(requester=AGENT, organization=KEY_ACCOUNT))
        assert settled.decided and settled.critical

    def test_complete_treats_missing_context_as_absent(self) -> None:
        ruleset = self.rules({"not": {"all": [U, T]}})
        assert ruleset.evaluate(TICKET).undecided == ("ctx",)
        complete = ruleset.evaluate(TICKET, complete=True)
        assert complete.decided and complete.critical and complete.rule_names == ("ctx",)
        # ... exactly what a ticket with no requester at all gets (today's behaviour).
        assert complete == ruleset.evaluate(replace(TICKET, requester_id=None, organization_id=None))
        assert self.rules({"all": [U, T]}).evaluate(TICKET, complete=True) == Decision(critical=False)

    def test_no_requester_id_means_no_requester(self) -> None:
        ticket = replace(TICKET, requester_id=None, organization_id=None)
        assert self.rules({"all": [U, T]}).evaluate(ticket) == Decision(critical=False)
        assert self.rules({"not": U}).evaluate(ticket).rule_names == ("ctx",)

    def test_rules_that_read_no_context_are_never_undecided(self) -> None:
        ruleset = compile_rules([{"name": "a", "when": {"text": {"keywords": ["site is down"]}}}])
        assert not ruleset.needs_requester
        decision = ruleset.evaluate(TICKET)
        assert decision.decided and decision.critical
        assert decision == ruleset.evaluate(TICKET, complete=True)

    def test_organisation_missing_alone(self) -> None:
        ticket = lacking(make_ticket("x", tags=["t"]), requester=False, organization=True)
        ruleset = self.rules({"all": [UO, T]})
        decision = ruleset.evaluate(ticket)
        assert decision.undecided == ("ctx",) and decision.needs_organization and not decision.needs_requester
        assert ruleset.evaluate(ticket.with_context(organization=KEY_ACCOUNT)).rule_names == ("ctx",)
        assert ruleset.evaluate(ticket.with_context(organization=Organization(id=8))) == Decision(critical=False)

    def test_explain_says_it_is_undecided(self) -> None:
        text = self.rules({"all": [U, T]}).evaluate(replace(TICKET, tags=("t", "sec"))).explain()
        lines = text.splitlines()
        assert lines[0].startswith("UNDECIDED: the outcome of ctx depends on the ticket's requester")
        assert "Provisional result" in lines[1]
        assert lines[2] == "CRITICAL incident (category: security)"

    def test_to_dict_round_trips_and_old_dicts_still_load(self) -> None:
        decision = self.rules({"all": [U, UO, T]}).evaluate(replace(TICKET, tags=("t", "sec")))
        data = json.loads(json.dumps(decision.to_dict()))
        assert data["undecided"] == ["ctx"]
        assert data["needs_requester"] is True and data["needs_organization"] is True
        assert Decision.from_dict(data) == decision
        old = {k: v for k, v in data.items() if k not in ("undecided", "needs_requester", "needs_organization")}
        loaded = Decision.from_dict(old)
        assert loaded.decided and not loaded.needs_requester and not loaded.needs_organization
        assert replace(loaded, undecided=("ctx",), needs_requester=True, needs_organization=True) == decision
        assert Decision.from_dict(Decision(critical=False).to_dict()) == Decision(critical=False)


@pytest.fixture
def judge_calls(monkeypatch: pytest.MonkeyPatch) -> list[Condition]:
    """Record every ``judge`` call (the three-valued path) on any condition class."""
    calls: list[Condition] = []
    for cls in (Condition, AllOf, AnyOf, Not):
        original = cls.__dict__["judge"]

        def spy(self: Condition, facts: Facts, _original: Any = original) -> Truth:
            calls.append(self)
            return _original(self, facts)

        monkeypatch.setattr(cls, "judge", spy)
    return calls


def test_the_two_valued_path_runs_when_nothing_is_missing(judge_calls: list[Condition]) -> None:
    ruleset = compile_rules(
        [
            {"name": "a", "when": {"all": [U, T]}, "unless": [UO, F]},
            {"name": "b", "when": {"any": [T, {"text": {"keywords": ["outage"]}}]}},
        ]
    )
    for ticket in (
        TICKET.with_context(requester=CUSTOMER, organization=KEY_ACCOUNT),
        replace(TICKET, requester_id=None, organization_id=None),
    ):
        ruleset.evaluate(ticket)
    ruleset.evaluate(TICKET, complete=True)
    assert judge_calls == []
    # Lacking context, only the rule that reads it is judged; the other one runs `holds`.
    ruleset.evaluate(TICKET)
    rule_a = ruleset.rules[0]
    judged_in_a = {id(c) for top in (rule_a.when, rule_a.unless) if top is not None for c in top.walk()}
    assert judge_calls and all(id(c) in judged_in_a for c in judge_calls)
