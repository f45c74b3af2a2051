"""A small text model: how much a ticket's wording resembles the critical tickets of the labelled sets.

Why, beside the concept signals: concepts catch an idea in words someone listed; the next
customer writes it in other words, and routine tickets use the alarming ones harmlessly. A
linear model over the words (and four-letter pieces of words, for inflections and other
languages) of ~2,500 labelled tickets, written by many people who never saw the rules, weighs
all of a ticket's wording at once. On sets it was not trained on it removed most of the routine
tickets the concepts flagged on an ordinary day (rules/README.md has the figures). It is one
signal among the others, with a weight in rules/default.yaml, and it explains itself by the
words that weighed most; an admin can turn it off (weight 0) or retrain it on their own
labelled tickets (``python -m bench.train_text_model``).

The model is data (rules/text_model.json, written by the trainer): a binary TF-IDF vocabulary
(a term is there or not) with an L2 norm per block (words and word pairs; four-character pieces
of words), and the coefficients of a logistic regression. This
module reproduces that transform exactly in plain Python, so nothing beyond the standard
library is needed at run time; the file carries ticket texts with the value the trainer
computed, and ``compile_text_model`` refuses a file it does not reproduce.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from rules.concepts import COMMON_WORDS, tokens
from rules.errors import ConditionError

__all__ = ["TextModel", "compile_text_model"]

MAX_CHARS = 20_000  # a pasted log beyond this adds cost, not meaning
CHECK_TOLERANCE = 1e-6
# Only words at least this rare (idf), and not made only of the matcher's common words, are
# cited: "since", "all" and "and the" weigh, but name nothing an agent can check; "manifests",
# "blank" and "trucks" do.
CITE_MIN_IDF = 3.5


@dataclass(frozen=True, slots=True)
class _Block:
    """One vectoriser's vocabulary: term -> (idf, coefficient)."""

    terms: Mapping[str, tuple[float, float]]
    kind: str  # "words" | "chars"
    ngrams: tuple[int, int]


_PIECES_CACHE = 20_000  # distinct words whose known pieces are kept: a desk's vocabulary, at most ~5 MiB
PIECE = 4  # characters in a piece of a word


def model_words(text: str) -> list[str]:
    """The words the model reads: the concept matcher's folded tokens (lower case, accents and
    apostrophes gone, punctuation splits), one C-level pass; the first MAX_CHARS characters."""
    return tokens(text[:MAX_CHARS])


def word_terms(text: str) -> list[str]:
    """Words and pairs of words (the trainer's analyser for the words block)."""
    words = model_words(text)
    return [*words, *(f"{a} {b}" for a, b in pairwise(words))]


def word_pieces(text: str, n: int = PIECE) -> list[str]:
    """The character pieces of a text (the trainer's analyser for the pieces block): each
    distinct word, padded with a space, gives each of its n-character pieces."""
    return [g for word in set(model_words(text)) for g in _pieces_of(word, n)]


class TextModel:
    """``logit(text)``: the model's log-odds that a ticket with this text is critical, and the
    words that weighed most towards its sign.

    Features are binary (a term is there or not), so each block's share is two sums over the set
    of the ticket's known terms, done with set operations in C (a set's order can move a sum in
    its last bit, far below the 0.1 the signal is rounded to); the known pieces of each distinct
    word are looked up once per process (bounded)."""

    __slots__ = ("_chars", "_cite", "_n", "_pieces", "_words", "intercept", "trained_on")

    def __init__(self, blocks: tuple[_Block, ...], intercept: float, trained_on: str) -> None:
        # Only the derived tables are kept: the blocks' (idf, coefficient) pairs would double
        # the model's memory in every process for nothing read after this.
        self.intercept = intercept
        self.trained_on = trained_on
        words = [b for b in blocks if b.kind == "words"]
        chars = [b for b in blocks if b.kind == "chars"]
        if len(words) != 1 or len(chars) != 1 or words[0].ngrams != (1, 2) or chars[0].ngrams[0] != chars[0].ngrams[1]:
            raise ConditionError("text_model.blocks", "one words block of (1, 2)-grams and one chars block of n-grams")
        # term (a word, or a pair of words) -> idf * coefficient, and -> idf squared. Only strings
        # and floats, so the garbage collector never walks these tables (a pause in the p99).
        keys = list(words[0].terms)
        values = list(words[0].terms.values())
        self._words = ({k: idf * coef for k, (idf, coef) in zip(keys, values, strict=True)},
                       {k: idf * idf for k, (idf, _) in zip(keys, values, strict=True)})
        self._cite = frozenset(k for k, (idf, _) in zip(keys, values, strict=True)
                               if idf >= CITE_MIN_IDF and not COMMON_WORDS.issuperset(k.split(" ")))
        self._chars = ({t: idf * coef for t, (idf, coef) in chars[0].terms.items()},
                       {t: idf * idf for t, (idf, _) in chars[0].terms.items()})
        self._n = chars[0].ngrams[0]
        self._pieces: dict[str, tuple[str, ...]] = {}  # word -> its pieces that the model knows

    def logit(self, text: str) -> tuple[float, tuple[str, ...], int]:
        """The log-odds, the (at most four) cited words, and how many words the text has."""
        words = model_words(text)
        distinct = set(words)
        table = self._words
        known = table[0].keys()
        present = known & distinct
        present |= known & set(map(" ".join, pairwise(words)))
        value = self.intercept + _part(table, present)
        pieces = self._pieces
        found = list(map(pieces.get, distinct))
        if None in found:  # words not seen before in this process: their known pieces, once
            if len(pieces) >= _PIECES_CACHE:
                pieces.clear()
            known_pieces = self._chars[0].keys()
            n = self._n
            for word in distinct:
                if word not in pieces:
                    pieces[word] = tuple(known_pieces & set(_pieces_of(word, n)))
            found = list(map(pieces.__getitem__, distinct))
        value += _part(self._chars, frozenset().union(*found))
        return value, _cited(table[0], present & self._cite, value), len(words)


def _cited(weighted: dict[str, float], candidates: set[str], value: float) -> tuple[str, ...]:
    """The (at most four) terms that weighed most towards the sign of ``value``; terms of equal
    weight (words that always came together in training, such as "favor" and "por favor") in
    alphabetical order, so that every process cites the same words (a set's order is the hash
    seed's, which differs from one process to the next)."""
    if value >= 0:
        ranked = sorted(candidates, key=lambda t: (-weighted[t], t))[:4]
        return tuple(t for t in ranked if weighted[t] > 0)
    ranked = sorted(candidates, key=lambda t: (weighted[t], t))[:4]
    return tuple(t for t in ranked if weighted[t] < 0)


def _part(table: tuple[dict[Any, float], dict[Any, float]], present: set[Any] | frozenset[Any]) -> float:
    """One block's share of the log-odds: the sum of idf * coefficient over the present terms,
    divided by the L2 norm of their idf vector."""
    if not present:
        return 0.0
    weighted, squared = table
    return sum(map(weighted.__getitem__, present)) / math.sqrt(sum(map(squared.__getitem__, present)))


def _pieces_of(word: str, n: int) -> list[str]:
    """A word's n-character pieces, the word padded with a space (scikit-learn's char_wb)."""
    padded = f" {word} "
    if len(padded) <= n:
        return [padded]
    return [padded[k:k + n] for k in range(len(padded) - n + 1)]


def compile_text_model(raw: Any, where: str = "text_model") -> TextModel:
    """Build the model from its data (the trainer's JSON) and check it reproduces the trainer."""
    if not isinstance(raw, Mapping):
        raise ConditionError(where, "the text model's data (a mapping written by bench/train_text_model.py)")
    try:
        blocks = []
        for b in raw["blocks"]:
            terms = {str(t): (float(idf), float(coef)) for t, idf, coef in b["terms"]}
            kind = str(b["kind"])
            if kind not in ("words", "chars"):
                raise ConditionError(f"{where}.blocks", f"kind must be words or chars, got {kind!r}")
            low, high = (int(n) for n in b["ngrams"])
            blocks.append(_Block(terms, kind, (low, high)))
        model = TextModel(tuple(blocks), float(raw["intercept"]), str(raw.get("trained_on", "")))
        checks = [(str(text), float(expected)) for text, expected in raw.get("checks", ())]
    except ConditionError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ConditionError(where, f"malformed model data ({exc!r})") from None
    for text, expected in checks:
        got = model.logit(text)[0]
        if abs(got - expected) > CHECK_TOLERANCE:
            raise ConditionError(where, f"does not reproduce its trainer ({got:.6f} against {expected:.6f})")
    return model
