"""The rules document as an admin writes it: config.yaml includes the shipped rules and adds to
them, and ``python -m middleware rules eval`` measures any labelled set.

What matters to a user: a config.yaml anywhere finds the shipped rules; their own words, weights
and thresholds change the shipped ones without copying them; a bad include or a bad labelled
file is one clear line; the eval prints the figures and every miss with its explanation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from middleware.cli.main import main
from middleware.cli.rules_eval import LabelError, evaluate, load_labelled
from middleware.config import load_config
from middleware.config.rules import load_rules_document, merge_documents
from rules import RuleError

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"
SHIPPED = """
rules:
  include: rules/default.yaml
  product:
    objects:
      pallets: [pallet*]
"""


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_config_kept_elsewhere_still_finds_the_shipped_rules(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, SHIPPED), env={})
    assert config.rules.scorer is not None and len(config.rules.scorer.signals) > 20
    from tests.rules.helpers import make_ticket

    ticket = make_ticket("pallets", "All pallets rejected at the gate since 6am, 20 trucks waiting.")
    assert config.rules.evaluate(ticket).critical


def test_the_admins_words_and_thresholds_change_the_shipped_ones(tmp_path: Path) -> None:
    from tests.rules.helpers import make_ticket

    ticket = make_ticket("gizmos", "The gizmo console is greyed out.")
    base = load_config(write(tmp_path, SHIPPED), env={}).rules.evaluate(ticket)
    own = SHIPPED + "  concepts:\n    impact: [greyed out]\n  thresholds: {possible: 1.5}\n" \
                    "  signals:\n    - {name: gizmo, says: the gizmo console fails, category: outage, weight: 2,\n" \
                    "       any: [gizmo], requires: [impact]}\n  concepts_extra: x\n"
    with pytest.raises(RuleError) as info:  # a typo names the key
        load_config(write(tmp_path, own), env={})
    assert info.value.key == "concepts_extra"
    own = own.replace("  concepts_extra: x\n", "").replace("    impact: [greyed out]\n",
                                                             "    impact: [greyed out]\n    gizmo: [gizmo*]\n")
    changed = load_config(write(tmp_path, own), env={}).rules
    decision = changed.evaluate(ticket)
    assert base.tier == "none" and decision.tier == "possible", decision.explain()
    shipped = load_config(write(tmp_path, SHIPPED), env={}).rules.scorer
    assert changed.scorer.possible == 1.5 and changed.scorer.critical == shipped.critical  # the shipped critical stays
    assert shipped.possible != 1.5


def test_merging_rules_documents() -> None:
    base = {"concepts": {"a": {"en": ["x"], "de": ["y"]}}, "signals": [{"name": "s", "weight": 1}],
            "rules": [{"name": "shipped"}], "thresholds": {"critical": 5, "possible": 3}}
    over = {"concepts": {"a": ["z"], "b": ["w"]}, "signals": [{"name": "s", "weight": 2}, {"name": "t", "weight": 1}],
            "rules": [{"name": "mine"}], "thresholds": {"possible": 2}}
    merged = merge_documents(base, over)
    assert merged["concepts"] == {"a": ["x", "y", "z"], "b": ["w"]}
    assert merged["signals"] == [{"name": "s", "weight": 2}, {"name": "t", "weight": 1}]
    assert [r["name"] for r in merged["rules"]] == ["mine", "shipped"]  # the admin's rules come first
    assert merged["thresholds"] == {"critical": 5, "possible": 2}


def test_a_bad_include_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=r"cannot read nosuch\.yaml"):
        load_rules_document({"include": "nosuch.yaml"}, tmp_path)
    write(tmp_path, "a: [unclosed", "broken.yaml")
    with pytest.raises(RuleError, match=r"broken\.yaml is not valid YAML"):
        load_rules_document({"include": "broken.yaml"}, tmp_path)
    write(tmp_path, "include: loop.yaml\n", "loop.yaml")
    with pytest.raises(RuleError, match="nested more than"):
        load_rules_document({"include": "loop.yaml"}, tmp_path)


TRICKY_YAML = """
anchored: &base {weight: 2.5, says: "a quoted: colon", tags: [a, 'b c']}
merged: {<<: *base, weight: -1}
folded: >
  two lines
  folded into one
literal: |
  Übergabe gestört — 集
    indented
empty: ~
flags: [yes, no, on, off, true]
numbers: [0o17, 0x1f, 1e3, .inf, 010, 1_000]
when: 2026-12-06T10:00:00Z
"""


def test_yaml_is_read_as_the_python_parser_reads_it(tmp_path: Path) -> None:
    """The config is parsed by libyaml's C parser (load_yaml): the same documents as PyYAML's
    own parser, and a mistake still quotes the offending line."""
    import yaml

    from middleware.config.schema import load_yaml

    for text in (TRICKY_YAML, REPO_CONFIG.read_text(encoding="utf-8"),
                 (REPO_CONFIG.parent / "rules" / "default.yaml").read_text(encoding="utf-8")):
        assert load_yaml(text) == yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError) as info:
        load_yaml("rules:\n  thresholds: {critical: 4\n  signals: []\n")
    assert "thresholds: {critical: 4\n" in str(info.value) and "^" in str(info.value)


LABELLED = """
- id: x-001
  subject: labels blank
  description: All labels print blank since 8am, every packing station.
  requester_email: ops@customer.test
  critical: true
  category: outage
- id: x-002
  subject: invoice copy
  description: Could you send a copy of invoice 42?
  critical: false
- id: x-003
  subject: strange
  description: Our API key was leaked in a public GitHub repository by a contractor.
  critical: true
  category: security
"""


def test_eval_reads_yaml_and_jsonl_and_counts(tmp_path: Path) -> None:
    rules = load_config(REPO_CONFIG, env={}).rules
    yaml_items = load_labelled(write(tmp_path, LABELLED, "set.yaml"))
    jsonl = "\n".join(json.dumps({"id": f"j{i}", "subject": "s", "description": "d", "critical": False})
                      for i in range(3))
    assert [i.critical for i in yaml_items] == [True, False, True]
    assert len(load_labelled(write(tmp_path, jsonl, "set.jsonl"))) == 3
    report = evaluate(rules, yaml_items)
    assert (report["tp"], report["fp"], report["fn"], report["tn"]) == (2, 0, 0, 1)
    assert report["per_category"]["security"]["recall"] == 1.0


@pytest.mark.parametrize(
    ("text", "problem"),
    [("- {id: a, subject: s}", "'critical' must be true or false"),
     ("- {id: a, critical: true}", "needs a category"),
     ("just text", "expected a list of tickets")],
)
def test_a_bad_labelled_file_names_the_ticket(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(LabelError, match=problem):
        load_labelled(write(tmp_path, text, "bad.yaml"))


def test_the_eval_report_counts_each_language_so_an_admin_sees_where_the_rules_fail(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A set labelled with `language` gets lines per language: critical tickets flagged (or put
    to a person) and routine tickets flagged (or put to a person) in each, which is how a
    language the rules do not speak shows (its critical tickets missed, its routine ones raised)."""
    text = """
- {id: d1, subject: "Etiketten", description: "Alle Etiketten sind leer, seit heute früh druckt kein Lager.",
   critical: true, category: outage, language: de}
- {id: d2, subject: "Rechnung", description: "Können Sie mir bitte eine Kopie der Rechnung schicken? Danke.",
   critical: false, language: DE}
- {id: e1, subject: "invoice copy", description: "Could you send me a copy of the March invoice? Thanks.",
   critical: false, language: en}
- {id: n1, subject: "faktura", description: "Kan dere sende meg en kopi av fakturaen? Takk.",
   critical: false, language: no}
- {id: x1, subject: "hello", description: "just a note", critical: false}
"""
    items = load_labelled(write(tmp_path, text, "langs.yaml"))
    assert [i.language for i in items] == ["de", "de", "en", "no", None]  # YAML's `no` is Norwegian here
    report = evaluate(load_config(REPO_CONFIG, env={}).rules, items)
    assert report["per_language"]["de"] == {"critical": 1, "flagged": 1, "flagged_or_possible": 1, "routine": 1,
                                            "routine_flagged": 0, "routine_possible": 0}
    assert set(report["per_language"]) == {"de", "en", "no"}
    assert main(["--config", str(REPO_CONFIG), "rules", "eval", str(tmp_path / "langs.yaml"), "--summary"]) == 0
    out = capsys.readouterr().out
    assert "per language (critical flagged; flagged or possible | routine flagged; possible):" in out
    assert "  de       1/1     1/1   |   0/1     0/1" in out


def test_the_eval_command_prints_figures_and_explains_misses(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = REPO_CONFIG
    labelled = write(tmp_path, LABELLED.replace("critical: false", "critical: true\n  category: outage"), "set.yaml")
    assert main(["--config", str(config), "rules", "eval", str(labelled)]) == 0
    out = capsys.readouterr().out
    assert "automatic flag: precision 1.000  recall 0.667" in out
    assert "-- miss x-002: 'invoice copy': labelled critical (outage), got none" in out
    assert "NOT critical" in out
    assert main(["--config", str(config), "rules", "eval", str(tmp_path / "nosuch.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err
