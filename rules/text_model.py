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
from itertools import chain, islice, pairwise
from operator import itemgetter
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


_PIECES_CACHE = 20_000  # distinct words whose figures are kept (_Lexicon): a desk's vocabulary, ~3 MiB
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
    its last bit, far below the 0.1 the signal is rounded to). Each term's two numbers (idf *
    coefficient, idf squared) are one complex number, so one C-level ``sum`` adds both. What
    the model makes of each distinct word (its value, its known pieces as small numbers, its
    ranks for citing) is worked out once per process (bounded) and found with one lookup; word
    pairs are looked up as tuples straight from ``zip`` (no string made per pair). The words
    are the concept matcher's when the engine reads the model (``TicketView.words``), so a
    ticket is folded and split once."""

    __slots__ = ("_cite", "_cite_terms", "_lexicon", "_pairs", "_values", "_words", "intercept", "trained_on")

    def __init__(self, blocks: tuple[_Block, ...], intercept: float, trained_on: str) -> None:
        # Only the derived tables are kept: the blocks' (idf, coefficient) pairs would double
        # the model's memory in every process for nothing read after this.
        self.intercept = intercept
        self.trained_on = trained_on
        words = [b for b in blocks if b.kind == "words"]
        chars = [b for b in blocks if b.kind == "chars"]
        if len(words) != 1 or len(chars) != 1 or words[0].ngrams != (1, 2) or chars[0].ngrams[0] != chars[0].ngrams[1]:
            raise ConditionError("text_model.blocks", "one words block of (1, 2)-grams and one chars block of n-grams")
        # A word -> idf * coefficient + idf squared j; a pair of words ("a b") by its two words.
        # Strings, tuples of strings and complex numbers only, so the garbage collector stops
        # walking these tables after its first pass (a pause in the p99). A term of the words
        # block that is neither (three words, an empty word) is one no ticket's text can give.
        self._words: dict[str, complex] = {}
        self._pairs: dict[tuple[str, str], Any] = {}  # complex, then _Figures (below)
        citable: list[tuple[float, str, str | tuple[str, str]]] = []  # idf * coefficient, the term, its key
        for term, (idf, coef) in words[0].terms.items():
            parts = term.split(" ")
            key: str | tuple[str, str]
            if len(parts) == 1 and term:
                key = term
                self._words[term] = complex(idf * coef, idf * idf)
            elif len(parts) == 2 and all(parts):
                key = (parts[0], parts[1])
                self._pairs[key] = complex(idf * coef, idf * idf)
            else:
                continue
            if idf >= CITE_MIN_IDF and not COMMON_WORDS.issuperset(parts):
                citable.append((idf * coef, term, key))
        # The terms a note may cite, ranked: for a ticket like the critical ones the heaviest
        # first, for one like the routine ones the lightest first; terms of equal weight (words
        # that always came together in training, such as "favor" and "por favor") in
        # alphabetical order, so every process cites the same words (a set's order is the hash
        # seed's, which differs from one process to the next).
        up = sorted((c for c in citable if c[0] > 0), key=lambda c: (-c[0], c[1]))
        down = sorted((c for c in citable if c[0] < 0), key=lambda c: (c[0], c[1]))
        # Ranks count from 1 (0 is no rank); a word's ranks are kept with its other figures.
        self._cite = ({key: rank for rank, (_, _, key) in enumerate(up, 1)},
                      {key: rank for rank, (_, _, key) in enumerate(down, 1)})
        self._cite_terms = (["", *(term for _, term, _ in up)], ["", *(term for _, term, _ in down)])
        ids: dict[str, int] = {}
        self._values: list[complex] = []  # by a piece's number
        for piece, (idf, coef) in chars[0].terms.items():
            ids[piece] = len(self._values)
            self._values.append(complex(idf * coef, idf * idf))
        self._lexicon = _Lexicon(self._words, ids, chars[0].ngrams[0], self._cite)
        # A pair's figures in a word's shape (no pieces), its ranks with its value: a ticket's
        # known pairs then give their sum and their citations from one lookup each, instead of a
        # second pass over the ranks (about a tenth of a reading of the model).
        self._pairs = {key: (value, (), self._cite[0].get(key), self._cite[1].get(key))  # type: ignore[misc]
                       for key, value in self._pairs.items()}

    def logit(self, text: str) -> tuple[float, tuple[str, ...], int]:
        """The log-odds, the (at most four) cited words, and how many words the text has."""
        return self.logit_words(model_words(text))

    def logit_words(self, words: list[str]) -> tuple[float, tuple[str, ...], int]:
        """``logit`` of a text whose words (``model_words``) are already known."""
        distinct = set(words)
        known = list(map(self._lexicon.__getitem__, distinct))  # each word's figures (_Lexicon)
        pairs = self._pairs.keys() & zip(words, islice(words, 1, None), strict=False)
        paired = list(map(self._pairs.__getitem__, pairs))  # each pair's figures, as a word's
        both = sum(map(_VALUE, known)) + sum(map(_VALUE, paired))
        value = self.intercept
        if both:
            value += both.real / math.sqrt(both.imag)
        pieces = set().union(*map(_PIECES, known))
        if pieces:
            both = sum(map(self._values.__getitem__, pieces))
            value += both.real / math.sqrt(both.imag)
        # The (at most four) terms that weighed most towards the value's sign.
        side = 0 if value >= 0 else 1
        best = sorted(filter(None, map(_RANKS[side], chain(known, paired))))
        return value, tuple(map(self._cite_terms[side].__getitem__, best[:4])), len(words)


    # -- for models trained on the same terms (rules/category_model.py) -----------------------
    def same_terms(self, other: TextModel) -> bool:
        """Whether ``other`` knows exactly the terms this model knows, numbered alike: then the
        terms of a ticket can be found once (``terms``) and weighed by each (``logit_of``)."""
        return (self._words.keys() == other._words.keys() and self._pairs.keys() == other._pairs.keys()
                and self._lexicon.ids == other._lexicon.ids)

    def terms(self, words: list[str]) -> tuple[list[str], set[tuple[str, str]], set[int]]:
        """The terms of these words the model knows: words, pairs of words, piece numbers."""
        distinct = set(words)
        known = list(map(self._lexicon.__getitem__, distinct))
        found = [w for w in distinct if w in self._words]
        pairs = self._pairs.keys() & zip(words, islice(words, 1, None), strict=False)
        return found, pairs, set().union(*map(_PIECES, known))

    def logit_of(self, terms: tuple[list[str], set[tuple[str, str]], set[int]]) -> float:
        """The log-odds of a ticket whose known terms (``terms``, of a model with the same
        terms) are these: ``logit_words``'s value, without finding them again."""
        found, pairs, pieces = terms
        value = self.intercept
        both = sum(map(self._words.__getitem__, found)) + sum(map(_VALUE, map(self._pairs.__getitem__, pairs)))
        if both:
            value += both.real / math.sqrt(both.imag)
        if pieces:
            both = sum(map(self._values.__getitem__, pieces))
            value += both.real / math.sqrt(both.imag)
        return value


_Figures = tuple[complex, tuple[int, ...], int | None, int | None]
_VALUE, _PIECES = itemgetter(0), itemgetter(1)
_RANKS = (itemgetter(2), itemgetter(3))


class _Lexicon(dict[str, _Figures]):
    """A word -> its figures: its value in the words block (0 when the model does not know it),
    the numbers of its pieces that the model knows, and its ranks for citing (``None`` where it
    is not cited). Worked out on first lookup (``__missing__``), so one C-level ``map`` over a
    ticket's distinct words both looks them up and learns the new ones. Bounded: a desk's
    vocabulary: about 3 MiB for the corpus's 17,700 words, theirs included (frozensets of the
    pieces would make their union a fifth cheaper, and the cache five times as large)."""

    __slots__ = ("cite", "ids", "n", "words")

    def __init__(self, words: dict[str, complex], ids: dict[str, int], n: int,
                 cite: tuple[dict[Any, int], dict[Any, int]]) -> None:
        super().__init__()
        self.words = words
        self.ids = ids
        self.n = n
        self.cite = cite

    def __missing__(self, word: str) -> _Figures:
        if len(self) >= _PIECES_CACHE:
            self.clear()
        ids = self.ids
        pieces = tuple({ids[p] for p in _pieces_of(word, self.n) if p in ids})
        found = self[word] = (self.words.get(word, 0j), pieces, self.cite[0].get(word), self.cite[1].get(word))
        return found


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
