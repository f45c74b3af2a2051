"""Which kind of critical incident a ticket is (outage, security, monitoring, staff report), from its wording.

Why a model beside the signals' votes: a flagged ticket's category picks who is alerted (an
outage adds engineering; a security incident's alerts carry no ticket text) and the signals
vote for a category only through the words they were written for. A security incident told as
a question ("is it normal our token was used from Singapore?") or an alert that trips only the
outage signals was given the wrong one: left one set out over the fifteen newest labelled sets,
the votes chose right for 84 % of the flagged critical tickets, this model for 93 %, and the
votes with this model overriding them where it is sure for 94 % (rules/README.md).

The model is data written by the trainer (``python -m bench.train_text_model --write``): a
multinomial logistic regression over the same features as the text model (TF-IDF of words,
word pairs and four-letter pieces of words), stored as one ``rules.text_model`` block set per
category and read as one ``LinearTextModel`` with an output per category. Whether the
requester is staff is a word of the text (``STAFF_WORD``), since "our engineer reports checkout
down" is a staff report and the same words from a customer an outage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rules.errors import ConditionError
from rules.text_model import CHECK_TOLERANCE, LinearTextModel, known_words, model_words, read_blocks

__all__ = ["STAFF_WORD", "CategoryModel", "compile_category_model"]

# Put before the words of a staff member's ticket (an agent, an admin, a staff domain, a
# monitoring tool): a plain word, so the trainer's analysers read it like any other, and one no
# ticket writes.
STAFF_WORD = "zzstaffzz"
# Words read: what kind of incident a ticket is shows in its subject and first lines. On the
# six sets it never saw (AR–AW), the first 200 words chose as well as the whole text (0.912 of
# the flagged critical tickets; 120 words: 0.898), and a 5 KB mail costs a quarter as much.
MAX_WORDS = 200


class CategoryModel:
    """``guess(words, staff)``: the likeliest category and its probability.

    The trainer gives every category the same terms (one multinomial regression over one
    vocabulary), so the categories are one ``LinearTextModel`` with an output each: a ticket's
    words are looked up once and every category's sums come from the same figures."""

    __slots__ = ("categories", "linear")

    def __init__(self, categories: tuple[str, ...], linear: LinearTextModel) -> None:
        self.categories = categories
        self.linear = linear

    def logits(self, words: Sequence[str], staff: bool) -> list[float]:
        """Each category's log-odds (in ``categories`` order) for a ticket with these words."""
        return self.read(words, staff)[0]

    def read(self, words: Sequence[str], staff: bool) -> tuple[list[float], int]:
        """``logits``, and how many of the words it reads (``known_words``: all of them, unless
        it knows fewer than a quarter of the distinct ones)."""
        read = [STAFF_WORD, *words[:MAX_WORDS]] if staff else words[:MAX_WORDS]
        logits, _, _, known, distinct = self.linear.logits(read)
        return logits, known_words(len(read), known, distinct)

    def guess(self, words: Sequence[str], staff: bool) -> tuple[str, float, int]:
        """The category with the highest probability (softmax of the log-odds), that probability,
        and how many of the words it reads (``read``)."""
        logits, known = self.read(words, staff)
        top = max(logits)
        weights = [math.exp(v - top) for v in logits]
        best = logits.index(top)
        return self.categories[best], weights[best] / sum(weights), known


def compile_category_model(raw: Any, where: str = "text_model.categories") -> CategoryModel:
    """Build the model from the trainer's data (``{models: {category: text model data}, checks:
    [[text, staff, [log-odds...]]]}``) and check it reproduces the trainer's values."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("models"), Mapping) or len(raw["models"]) < 2:
        raise ConditionError(where, "the category model's data (a mapping with models for two or more categories, "
                                    "written by bench/train_text_model.py)")
    categories = tuple(sorted(raw["models"]))
    read = {}
    intercepts = []
    for category in categories:
        if not isinstance(category, str) or not category.isidentifier():
            raise ConditionError(f"{where}.models", f"a category is a lower-case word, got {category!r}")
        data = raw["models"][category]
        if not isinstance(data, Mapping):
            raise ConditionError(f"{where}.models.{category}", "a text model's data (blocks and intercept)")
        read[category] = read_blocks(data, f"{where}.models.{category}")
        try:
            intercepts.append(float(data["intercept"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConditionError(f"{where}.models.{category}", f"malformed model data ({exc!r})") from None
    n = read[categories[0]][2]
    if any(read[c][2] != n for c in categories):
        raise ConditionError(where, "every category's model has pieces of the same length")
    tables = []
    for block in (0, 1):
        terms = read[categories[0]][block]
        if any(len(read[c][block]) != len(terms) for c in categories):
            raise ConditionError(where, "every category's model has the same terms (one trainer's vocabulary)")
        try:
            tables.append({t: (idf, tuple(read[c][block][t][1] for c in categories)) for t, (idf, _) in terms.items()})
        except KeyError:
            raise ConditionError(where, "every category's model has the same terms (one trainer's vocabulary)") \
                from None
    model = CategoryModel(categories, LinearTextModel(tables[0], tables[1], tuple(intercepts), n))
    try:
        checks = [(str(text), bool(staff), [float(v) for v in expected]) for text, staff, expected in
                  raw.get("checks", ())]
    except (TypeError, ValueError) as exc:
        raise ConditionError(f"{where}.checks", f"malformed ({exc!r})") from None
    for text, staff, expected in checks:
        got = model.logits(model_words(text), staff)
        if len(got) != len(expected) or any(abs(a - b) > CHECK_TOLERANCE for a, b in zip(got, expected, strict=False)):
            raise ConditionError(where, "does not reproduce its trainer")
    return model
