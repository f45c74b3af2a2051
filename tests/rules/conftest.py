"""Fixtures the rules' tests share: the shipped rules and every labelled ticket, each made once
per module that asks (both immutable: a ``RuleSet`` decides without changing, the labelled items
are frozen; tests/rules/corpus.py reads them once per session)."""

from __future__ import annotations

import pytest

from middleware.cli.rules_eval import EvalItem
from rules import RuleSet
from tests.rules.corpus import LABELLED_SETS, labelled_set, load_default_ruleset


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    """The shipped rules, with the text and category models."""
    return load_default_ruleset()


@pytest.fixture(scope="module")
def labelled() -> list[EvalItem]:
    """Every labelled ticket of every set in tests/corpus."""
    return [item for name in LABELLED_SETS for item in labelled_set(name)]
