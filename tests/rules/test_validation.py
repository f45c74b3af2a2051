"""Strict validation: every mistake an admin can make in the YAML stops start-up with a
RuleError that names the rule (position and name) and the key path inside it."""

from __future__ import annotations

from typing import Any

import pytest

from rules import RuleError, compile_rules

GOOD = {"name": "ok", "when": {"tags": {"any": ["x"]}}}


def error_for(rule: Any, *, position: int = 1) -> RuleError:
    rules = [{**GOOD, "name": f"ok{i}" if i else "ok"} for i in range(position)] + [rule]
    with pytest.raises(RuleError) as info:
        compile_rules(rules)
    return info.value


def test_message_format_from_the_spec() -> None:
    err = error_for(
        {"name": "security-breach", "when": {"any": [{"tags": {"any": ["x"]}}, {"text": {"regex": "(foo"}}]}},
        position=3,
    )
    assert err.rule == "security-breach"
    assert err.index == 3
    assert err.key == "when.any[1].text.regex"
    assert err.problem.startswith("invalid regular expression: missing ), unterminated subpattern")
    assert str(err).startswith(
        "rules[3] (security-breach): when.any[1].text.regex: invalid regular expression: missing ), unterminated"
    )
    assert isinstance(err, ValueError)


@pytest.mark.parametrize(
    ("rule", "key", "problem"),
    [
        # rule level
        ({"name": "r", "when": {"tags": {"any": ["x"]}}, "whne": 1}, "whne", "unknown key"),
        ({"when": {"tags": {"any": ["x"]}}}, "name", "needs a name"),
        ({"name": "  ", "when": {"tags": {"any": ["x"]}}}, "name", "needs a name"),
        ({"name": "r"}, "when", "needs a 'when'"),
        ({"name": "r", "when": {}}, "when", "empty mapping"),
        ({"name": "r", "when": [{"tags": {"any": ["x"]}}]}, "when", "expected a condition"),
        ({"name": "r", "enabled": "no", "when": {"tags": {"any": ["x"]}}}, "enabled", "true or false"),
        ({"name": "r", "category": "Security!", "when": {"tags": {"any": ["x"]}}}, "category", "lower-case word"),
        ({"name": "r", "description": 3, "when": {"tags": {"any": ["x"]}}}, "description", "expected text"),
        ({"name": "r", "when": {"tags": {"any": ["x"]}}, "unless": []}, "unless", "empty"),
        ({"name": "r", "when": {"tags": {"any": ["x"]}}, "unless": [{"tagz": 1}]}, "unless[0].tagz", "unknown key"),
        # combinators
        ({"name": "r", "when": {"all": []}}, "when.all", "empty"),
        ({"name": "r", "when": {"any": {"tags": {"any": ["x"]}}}}, "when.any", "expected a list of conditions"),
        ({"name": "r", "when": {"not": ["x"]}}, "when.not", "expected a condition"),
        ({"name": "r", "when": {"all": [{"tags": {"any": ["x"]}}, {"prio": "high"}]}}, "when.all[1].prio", "unknown"),
        # text
        ({"name": "r", "when": {"text": {"keywords": []}}}, "when.text.keywords", "is empty"),
        ({"name": "r", "when": {"text": {"keywords": ["ok", ""]}}}, "when.text.keywords[1]", "empty text"),
        ({"name": "r", "when": {"text": {"keywords": ["ok", {"a": 1}]}}}, "when.text.keywords[1]", "expected text"),
        ({"name": "r", "when": {"text": {"keywords": ["a*b"]}}}, "when.text.keywords[0]", "may only end a word"),
        ({"name": "r", "when": {"text": {"keywords": ["?!"]}}}, "when.text.keywords[0]", "no letters or digits"),
        ({"name": "r", "when": {"text": {"keyword": ["x"]}}}, "when.text.keyword", 'did you mean "keywords"'),
        ({"name": "r", "when": {"text": {"fields": ["subject"]}}}, "when.text", "at least one of keywords"),
        (
            {"name": "r", "when": {"text": {"keywords": ["x"], "fields": ["body"]}}},
            "when.text.fields[0]",
            "unknown field",
        ),
        ({"name": "r", "when": {"text": {"regex": ["ok", "a**"]}}}, "when.text.regex[1]", "invalid regular expression"),
        ({"name": "r", "when": {"text": {"regex": "x*"}}}, "when.text.regex", "matches empty text"),
        ({"name": "r", "when": {"text": {"near": {"first": ["a"]}}}}, "when.text.near.then", "needs both"),
        (
            {"name": "r", "when": {"text": {"near": {"first": ["a"], "then": ["b"], "within": 99}}}},
            "when.text.near.within",
            "0 to 20",
        ),
        (
            {"name": "r", "when": {"text": {"near": {"first": ["ab*c"], "then": ["b"]}}}},
            "when.text.near.first[0]",
            "'*'",
        ),
        (
            {"name": "r", "when": {"text": {"near": {"first": ["abc*"], "then": ["b"]}}}},
            "when.text.near.first[0]",
            "not supported here",
        ),
        # tags
        ({"name": "r", "when": {"tags": {"some": ["x"]}}}, "when.tags.some", "unknown key"),
        ({"name": "r", "when": {"tags": {"any": []}}}, "when.tags.any", "is empty"),
        ({"name": "r", "when": {"tags": {"any": ["two words"]}}}, "when.tags.any[0]", "spaces or commas"),
        ({"name": "r", "when": {"organization_tags": ["x"]}}, "when.organization_tags", "expected a mapping"),
        # enums and ids
        ({"name": "r", "when": {"priority": ["critical"]}}, "when.priority[0]", "unknown priority 'critical'"),
        ({"name": "r", "when": {"type": "bug"}}, "when.type", "unknown type 'bug'"),
        ({"name": "r", "when": {"status": ["done"]}}, "when.status[0]", "unknown status"),
        ({"name": "r", "when": {"requester_role": ["manager"]}}, "when.requester_role[0]", "unknown role"),
        ({"name": "r", "when": {"requester_domain": ["not a domain"]}}, "when.requester_domain[0]", "email domain"),
        ({"name": "r", "when": {"group_id": ["abc"]}}, "when.group_id[0]", "whole number id"),
        ({"name": "r", "when": {"organization_id": [True]}}, "when.organization_id[0]", "whole number id"),
        ({"name": "r", "when": {"via": []}}, "when.via", "is empty"),
        # fields
        ({"name": "r", "when": {"custom_fields": {"sev": {"equals": 1}}}}, "when.custom_fields.sev", "numeric id"),
        ({"name": "r", "when": {"custom_fields": {"1": {"equal": 1}}}}, "when.custom_fields.1.equal", "did you mean"),
        (
            {"name": "r", "when": {"custom_fields": {"1": {"equals": 1, "present": True}}}},
            "when.custom_fields.1",
            "exactly one",
        ),
        ({"name": "r", "when": {"custom_fields": {"1": {"in": []}}}}, "when.custom_fields.1.in", "non-empty list"),
        (
            {"name": "r", "when": {"custom_fields": {"1": {"present": "yes"}}}},
            "when.custom_fields.1.present",
            "true or false",
        ),
        (
            {"name": "r", "when": {"organization_fields": {"tier": {"equals": None}}}},
            "when.organization_fields.tier.equals",
            "single value",
        ),
        # actions
        ({"name": "r", "when": GOOD["when"], "actions": ["x"]}, "actions", "expected a mapping"),
        ({"name": "r", "when": GOOD["when"], "actions": {"add_tag": ["x"]}}, "actions.add_tag", "did you mean"),
        ({"name": "r", "when": GOOD["when"], "actions": {"add_tags": []}}, "actions.add_tags", "non-empty"),
        (
            {"name": "r", "when": GOOD["when"], "actions": {"add_tags": ["a b"]}},
            "actions.add_tags[0]",
            "without spaces",
        ),
        ({"name": "r", "when": GOOD["when"], "actions": {"priority": "p1"}}, "actions.priority", "unknown priority"),
        ({"name": "r", "when": GOOD["when"], "actions": {"group_id": -3}}, "actions.group_id", "group id"),
        ({"name": "r", "when": GOOD["when"], "actions": {"note": ""}}, "actions.note", "non-empty text"),
    ],
)
def test_error_names_rule_and_key(rule: dict[str, Any], key: str, problem: str) -> None:
    err = error_for(rule)
    assert err.index == 1
    assert err.key == key
    assert problem in err.problem
    name = rule.get("name")
    expected_rule = name.strip() if isinstance(name, str) and name.strip() else "rules[1]"
    assert err.rule == expected_rule
    assert str(err).startswith("rules[1]")
    assert f": {key}: " in str(err)


def test_duplicate_names() -> None:
    err = error_for({"name": " ok ", "when": {"tags": {"any": ["y"]}}})
    assert (err.rule, err.key) == ("ok", "name")
    assert 'duplicate rule name "ok" (also rules[0])' in str(err)


def test_disabled_rules_are_validated_too() -> None:
    err = error_for({"name": "later", "enabled": False, "when": {"priority": ["p1"]}})
    assert (err.rule, err.key) == ("later", "when.priority[0]")


def test_not_a_list_or_not_a_mapping() -> None:
    with pytest.raises(RuleError, match="expected a list of rules"):
        compile_rules("rules")  # type: ignore[arg-type]
    with pytest.raises(RuleError, match='unknown key'):  # a mapping is a rules document (rules, signals, ...)
        compile_rules({"name": "x"})
    err = error_for("just text")
    assert (err.rule, err.key) == ("rules[1]", "")
    assert str(err) == "rules[1]: expected a rule (a mapping with name, when, ...)"
