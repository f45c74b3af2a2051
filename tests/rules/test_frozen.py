"""The fast constructor of the rules' frozen values: the same object as the class's own."""

from __future__ import annotations

import dataclasses

import pytest

from rules import Decision, Match
from rules.frozen import builder
from rules.scoring import Score, SignalHit

HIT = SignalHit("workflow-stopped", "a workflow stopped", 3.0, "outage", ("label*", "blank"))


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (Decision, {"critical": True, "category": "outage", "matches": (Match("signals", "outage", ("score 5",)),),
                    "tags": ("critical_outage",), "note": "Flagged", "score": 5.0, "signals": (HIT,)}),
        (Decision, {"critical": False}),
        (Score, {"value": 3.0, "tier": "possible", "category": "outage", "hits": (HIT,)}),
        (Match, {"rule": "signals", "category": None, "reasons": ()}),
    ],
)
def test_built_values_equal_the_classes_own(cls: type, values: dict[str, object]) -> None:
    built = builder(cls)(**values)
    made = cls(**values)
    assert type(built) is cls and built == made and hash(built) == hash(made) and repr(built) == repr(made)
    field = dataclasses.fields(cls)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, field, None)


def test_a_missing_or_unknown_field_is_refused_as_by_the_class() -> None:
    build = builder(Match)
    with pytest.raises(TypeError):
        build(rule="x", category=None)
    with pytest.raises(TypeError):
        build(rule="x", category=None, reasons=(), weight=1)


def test_a_class_that_checks_its_values_keeps_its_own_constructor() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        n: int

        def __post_init__(self) -> None:
            if self.n < 0:
                raise ValueError("negative")

    assert builder(Checked) is Checked
