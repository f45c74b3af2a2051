"""Pure critical-incident rules: compile config.yaml's ``rules:`` once, evaluate tickets fast.

    from rules import compile_rules
    ruleset = compile_rules(config["rules"])      # RuleError names the rule and key
    decision = ruleset.evaluate(ticket)           # no I/O, no clock: same ticket, same decision
    decision.critical, decision.category, decision.tags, decision.note, decision.explain()

The rule format is documented in ``rules/README.md``. ``rules.model`` holds the domain model
every layer reads (tickets, events); this package imports nothing from ``middleware`` or
``jobs`` (docs/architecture.md; import-linter checks it).
"""

from rules.decision import Decision, Match, Veto
from rules.engine import Actions, Rule, RuleSet, compile_rules
from rules.errors import RuleError

__all__ = ["Actions", "Decision", "Match", "Rule", "RuleError", "RuleSet", "Veto", "compile_rules"]
