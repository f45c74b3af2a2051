"""The one exception the rule compiler raises, worded for the admin who edits config.yaml.

A rule set is compiled once at start-up. When it is wrong the process must stop with a message
that points at the exact place in the YAML: which rule (by position, and by name when it has
one), which key inside it, and what is wrong. ``ConditionError`` is the internal form raised
deep inside the parser, before the rule's position and name are known; ``compile_rules``
turns it into a ``RuleError``.
"""

from __future__ import annotations

__all__ = ["ConditionError", "RuleError"]


class RuleError(ValueError):
    """A bad rule: ``str(e)`` reads ``rules[3] (security-breach): when.any[1].text.regex[0]: …``.

    Attributes: ``rule`` is the rule's name when it has a usable one, else ``rules[i]``;
    ``index`` its position (None for a problem with the list itself); ``key`` the dotted path
    inside the rule (empty when the whole rule is wrong); ``problem`` what is wrong.
    """

    def __init__(self, index: int | None, name: str | None, key: str, problem: str) -> None:
        self.index = index
        self.name = name
        self.rule = name if name else (f"rules[{index}]" if index is not None else "rules")
        self.key = key
        self.problem = problem
        where = "rules" if index is None else f"rules[{index}]"
        if name:
            where += f" ({name})"
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")


class ConditionError(ValueError):
    """Raised while parsing one rule; carries the key path inside the rule and the problem."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}")
