"""Rule sets: exceptions, how several matches merge, the note and the explanation, JSON form,
and the promise that evaluation is pure."""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import pytest

from rules import Decision, Match, RuleSet, compile_rules
from tests.rules.helpers import make_ticket

RULES = [
    {
        "name": "security",
        "category": "security",
        "when": {"text": {"keywords": ["data breach", "hacked"]}},
        "unless": [{"text": {"keywords": ["questionnaire"]}}, {"tags": {"any": ["test"]}}],
        "actions": {"add_tags": ["critical_security", "shared"], "priority": "high", "note": "Call the CISO."},
    },
    {
        "name": "outage",
        "category": "outage",
        "when": {"text": {"keywords": ["site is down"]}},
        "unless": {"text": {"keywords": ["false alarm"]}},
        "actions": {"add_tags": ["critical_outage", "shared"], "priority": "urgent", "group_id": 360005},
    },
    {
        "name": "tagged",
        "when": {"tags": {"any": ["escalate"]}},
        "actions": {"group_id": 360009},
    },
]


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return compile_rules(RULES)


def test_not_critical(ruleset: RuleSet) -> None:
    decision = ruleset.evaluate(make_ticket("How do I download invoices?"))
    assert decision == Decision(critical=False)
    assert decision.note == ""
    assert decision.explain() == "NOT critical: no rule matched."


def test_single_match(ruleset: RuleSet) -> None:
    decision = ruleset.evaluate(make_ticket("Help", "We think we were hacked"))
    assert decision.critical
    assert decision.category == "security"
    assert decision.matches == (Match("security", "security", ('description contains "hacked"',)),)
    assert decision.tags == ("critical_security", "shared")
    assert decision.priority == "high"
    assert decision.group_id is None


def test_several_matches_merge_in_file_order(ruleset: RuleSet) -> None:
    ticket = make_ticket("Site is down", "after a data breach", tags=["escalate"])
    decision = ruleset.evaluate(ticket)
    assert decision.rule_names == ("security", "outage", "tagged")
    assert decision.category == "security"  # first matching rule wins
    assert decision.tags == ("critical_security", "shared", "critical_outage")  # merged, deduplicated
    assert decision.priority == "urgent"  # the highest any rule sets
    assert decision.group_id == 360005  # the first rule that sets one


def test_category_skips_rules_without_one(ruleset: RuleSet) -> None:
    decision = ruleset.evaluate(make_ticket("nothing to see", tags=["escalate"]))
    assert decision.critical and decision.category is None and decision.group_id == 360009
    decision = ruleset.evaluate(make_ticket("the site is down", tags=["escalate"]))
    assert decision.category == "outage"


def test_unless_vetoes_and_is_explained(ruleset: RuleSet) -> None:
    decision = ruleset.evaluate(make_ticket("Security questionnaire", "Have you had a data breach?"))
    assert not decision.critical
    assert [v.rule for v in decision.vetoed] == ["security"]
    assert decision.vetoed[0].exceptions == ('subject contains "questionnaire"',)
    text = decision.explain()
    assert "NOT critical: no rule matched." in text
    assert 'security: matched because description contains "data breach"' in text
    assert 'vetoed because subject contains "questionnaire"' in text


def test_unless_list_means_any(ruleset: RuleSet) -> None:
    assert not ruleset.evaluate(make_ticket("we were hacked", tags=["test"])).critical
    assert ruleset.evaluate(make_ticket("we were hacked")).critical


def test_veto_of_one_rule_leaves_the_others(ruleset: RuleSet) -> None:
    decision = ruleset.evaluate(make_ticket("site is down - false alarm?", "also we were hacked"))
    assert decision.critical and decision.rule_names == ("security",)
    assert [v.rule for v in decision.vetoed] == ["outage"]
    assert "Vetoed by an exception" in decision.explain()


def test_note_says_which_rule_matched_on_what(ruleset: RuleSet) -> None:
    decision = ruleset.evaluate(make_ticket("Site is down", "after a data breach"))
    assert decision.note.splitlines() == [
        "Flagged automatically as a critical incident (category: security).",
        'Matched rule "security" because: description contains "data breach".',
        "  Call the CISO.",
        'Also matched rule "outage" because: subject contains "site is down".',
    ]


def test_explain_lists_rules_reasons_and_actions(ruleset: RuleSet) -> None:
    text = ruleset.evaluate(make_ticket("Site is down", tags=["escalate"])).explain()
    assert text.splitlines() == [
        "CRITICAL incident (category: outage)",
        "Matched rules, in file order:",
        "  1. outage [outage]",
        '     - subject contains "site is down"',
        "  2. tagged",
        '     - tag "escalate" present',
        "Actions: add tags critical_outage, shared; set priority urgent; assign group 360005",
    ]


def test_to_dict_is_json_safe_and_round_trips(ruleset: RuleSet) -> None:
    decision = ruleset.evaluate(make_ticket("site is down - false alarm", "data breach"))
    data = json.loads(json.dumps(decision.to_dict()))
    assert data["critical"] is True
    assert data["category"] == "security"
    assert data["matches"] == [
        {"rule": "security", "category": "security", "reasons": ['description contains "data breach"']}
    ]
    assert data["tags"] == ["critical_security", "shared"]
    assert data["priority"] == "high" and data["group_id"] is None
    assert data["note"] == decision.note
    assert data["vetoed"][0]["rule"] == "outage"
    assert Decision.from_dict(data) == decision


def test_names_and_disabled() -> None:
    ruleset = compile_rules(
        [
            {"name": "a", "when": {"tags": {"any": ["x"]}}},
            {"name": "b", "enabled": False, "when": {"tags": {"any": ["x"]}}},
        ]
    )
    assert ruleset.names == ("a",)
    assert ruleset.disabled == ("b",)
    assert len(ruleset) == 1
    assert ruleset.evaluate(make_ticket(tags=["x"])).rule_names == ("a",)


def test_empty_rule_sets() -> None:
    for raw in (None, []):
        ruleset = compile_rules(raw)
        assert ruleset.names == () and not ruleset.evaluate(make_ticket("site is down")).critical


def test_evaluation_reads_no_clock(ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_clock() -> float:
        raise AssertionError("rules must not read the clock")

    for name in ("time", "monotonic", "perf_counter"):
        monkeypatch.setattr(time, name, no_clock)
    assert ruleset.evaluate(make_ticket("site is down")).critical


def test_same_ticket_same_decision(ruleset: RuleSet) -> None:
    ticket = make_ticket("Site is down", "data breach", "false alarm", tags=["escalate"])
    assert ruleset.evaluate(ticket) == ruleset.evaluate(ticket)


def test_package_imports_only_events_from_middleware() -> None:
    """rules/ is pure: the only middleware module it may import is rules.model."""
    package = Path(__file__).resolve().parents[2] / "rules"
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] == "middleware":
                    assert name == "rules.model", f"{path.name} imports {name}"
                assert name.split(".")[0] not in {"redis", "rq", "requests", "zenpy", "flask"}, path.name
