"""A small text model: how much a ticket's wording resembles the critical tickets of the labelled sets.

Why, beside the concept signals: concepts catch an idea in words someone listed; the next
customer writes it in other words, and routine tickets use the alarming ones harmlessly. A
linear model over the words (and four-letter pieces of words, for inflections and other
languages) of ~8,800 labelled tickets, written by many people who never saw the rules, weighs
all of a ticket's wording at once. On sets it was not trained on it removed most of the routine
tickets the concepts flagged on an ordinary day (rules/README.md has the figures). It is one
signal among the others, with a weight in rules/default.yaml, and it explains itself by the
words that weighed most; an admin can turn it off (weight 0) or retrain it on their own
labelled tickets (``python -m bench.train_text_model``).

The model is data (rules/text_model.json, written by the trainer): TF-IDF vocabularies in two
blocks, each with its own L2-like norm, and the coefficients of a logistic regression.

- ``words``: the ticket's distinct words and pairs of words, each there or not (binary).
- ``word_pieces``: the four-character pieces of each distinct word, counted once per word that
  has them (a piece in two words counts twice), normed by the square root of the sum, over the
  distinct words, of their pieces' squared idf.

Why pieces are counted per word and not once per ticket: then everything a word adds to both
sums is a property of the word alone, worked out once per process (``_Lexicon``), and a ticket
costs one lookup per distinct word instead of a set union and a sum over every distinct piece
(about 300 for a 100-word ticket, each a memory load). Left one set out over the 21 newest
sets, the two features decide alike (rules/README.md, docs/benchmarks.md).

This module reproduces the trainer's transform in plain Python, so nothing beyond the standard
library is needed at run time; the file carries ticket texts with the value the trainer
computed, and ``compile_text_model`` refuses a file it does not reproduce. The same reading,
with one output per category, is the category model's (rules/category_model.py).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from itertools import islice
from operator import itemgetter
from typing import Any

from rules import accel
from rules.concepts import COMMON_WORDS, tokens, without_characters
from rules.errors import ConditionError

__all__ = ["KNOWN_ENOUGH", "LinearTextModel", "TextModel", "compile_text_model", "counted_model_words",
           "known_words"]

MAX_CHARS = 20_000  # a pasted log beyond this adds cost, not meaning
CHECK_TOLERANCE = 1e-6
# Only words at least this rare (idf), and not made only of the matcher's common words, are
# cited: "since", "all" and "and the" weigh, but name nothing an agent can check; "manifests",
# "blank" and "trucks" do.
CITE_MIN_IDF = 3.5
PIECE = 4  # characters in a piece of a word
PIECES_KIND = "word_pieces"
# Distinct words whose figures are kept (_Lexicon): the 5,530 blind-set tickets hold 34,000
# distinct words; each entry is a few hundred bytes (about 12 MiB per model at the bound).
_LEXICON_BOUND = 50_000
# The share of a ticket's distinct words the words block must know for a model to read all of
# its words; below it, a language the model hardly knows, it reads as many fewer (known_words).
KNOWN_ENOUGH = 0.25

_Table = dict[str, tuple[float, tuple[float, ...]]]  # term -> (idf, a coefficient per output)


def model_words(text: str) -> list[str]:
    """The words the model reads: the concept matcher's folded tokens (lower case, accents and
    apostrophes gone, punctuation splits), one C-level pass; the first MAX_CHARS characters;
    without Chinese, Japanese and Thai characters (``without_characters``)."""
    return counted_model_words(text)[0]


def counted_model_words(text: str) -> tuple[list[str], int]:
    """``model_words``, and how many words those characters are, Chinese, Japanese and Thai characters
    included (the length the text signal judges a one-liner by, ``ModelSignal.hit_words``)."""
    text = text[:MAX_CHARS]
    words = tokens(text)
    return without_characters(words, (text,)), len(words)


def word_terms(text: str) -> list[str]:
    """Words and pairs of words (the trainer's analyser for the words block)."""
    return terms_of_words(model_words(text))


def terms_of_words(words: Sequence[str]) -> list[str]:
    """``word_terms`` of words already split."""
    return [*words, *(f"{a} {b}" for a, b in zip(words, islice(words, 1, None), strict=False))]


def word_pieces(text: str, n: int = PIECE) -> list[str]:
    """The trainer's analyser for the pieces block: each distinct word's distinct n-character
    pieces (the word padded with a space), a piece once for every word that has it."""
    return pieces_of_words(model_words(text), n)


def pieces_of_words(words: Sequence[str], n: int = PIECE) -> list[str]:
    """``word_pieces`` of words already split."""
    return [g for word in set(words) for g in set(_pieces_of(word, n))]


def _pieces_of(word: str, n: int) -> list[str]:
    """A word's n-character pieces, the word padded with a space (scikit-learn's char_wb)."""
    padded = f" {word} "
    if len(padded) <= n:
        return [padded]
    return [padded[k:k + n] for k in range(len(padded) - n + 1)]


class LinearTextModel(accel.VocabularyReader):
    """``values(read(words)[0])``: one log-odds per output (a category, or "critical") for a
    ticket's words, the two blocks' sums over what each distinct word and each known pair of
    words adds.

    A word's figures (``_Lexicon``) are one tuple: the 2k + 2 numbers it adds to the sums (per
    output its share of the words block, the words block's squared idf, per output its pieces'
    share, the pieces' squared idf) packed two by two into k + 1 complex numbers, so that one
    C-level ``sum`` adds two of them at once, then its two citing ranks (``TextModel``). A pair
    of words is looked up as a tuple straight from ``zip`` (no string made per pair). Words and
    pairs are added in the order they first occur, so a ticket's sums are the same in every
    process (a set's order, the hash seed's, moved them in their last bit). The C speedups
    (rules/_accel.c) read the same numbers packed (``_Packed``) and add them in the same order,
    through the vocabulary the Scorer shares with the concept scan (``share``), else their own
    (``table``)."""

    __slots__ = ("_getters", "_lexicon", "_pairs", "intercepts", "outputs")

    WORDS_LIMIT = _LEXICON_BOUND

    def __init__(self, words: _Table, pieces: _Table, intercepts: tuple[float, ...], n: int,
                 cite: tuple[dict[Any, int], dict[Any, int]] = ({}, {})) -> None:
        super().__init__()
        k = self.outputs = len(intercepts)
        self.intercepts = intercepts
        self._getters = tuple(map(itemgetter, range(k + 1)))
        no_pieces = (0.0,) * (k + 1)
        single: dict[str, tuple[float, ...]] = {}
        # Tuples of strings and of numbers only, so the garbage collector stops walking these
        # tables after its first pass (a pause in the p99). A term of the words block that is
        # neither one word nor two (three words, an empty word) is one no ticket's text can give.
        self._pairs: dict[tuple[str, str], tuple[Any, ...]] = {}
        for term, (idf, coefs) in words.items():
            figures = (*(idf * c for c in coefs), idf * idf)
            parts = term.split(" ")
            if len(parts) == 1 and term:
                single[term] = figures
            elif len(parts) == 2 and all(parts):
                key = (parts[0], parts[1])
                self._pairs[key] = (*_packed((*figures, *no_pieces)), cite[0].get(key, 0), cite[1].get(key, 0))
        self._lexicon = _Lexicon(single, pieces, n, k, cite)

    def packer(self, native: Any) -> _Packed:
        """What makes a word's packed figures for the C speedups' vocabulary (``share``)."""
        return _Packed(self._lexicon, self._pairs, native.pack)

    def read(self, words: Sequence[str]) -> tuple[list[float], tuple[int, ...], tuple[int, ...], int, int]:
        """A ticket's sums (``values`` turns them into log-odds), the citing ranks of the (at
        most four) terms that weighed most each way, ascending, and how many of its distinct
        words the words block knows, of how many: one pass over its distinct words and known
        pairs. Python only: the reference the C reading (``logits``, rules/_accel.c's
        linear_logits) is tested against, and what ``logits`` runs where the speedups are not
        built; the product reads through ``logits``."""
        known = list(map(self._lexicon.__getitem__, dict.fromkeys(words)))
        k = self.outputs
        norm = itemgetter(k // 2)
        words_known = sum(1 for f in known if (norm(f).real if k % 2 == 0 else norm(f).imag) > 0)
        distinct = len(known)
        # Each known pair once, in the order it first occurs (the order the C code adds them in).
        pairs = dict.fromkeys(filter(self._pairs.__contains__, zip(words, islice(words, 1, None), strict=False)))
        if pairs:
            known.extend(map(self._pairs.__getitem__, pairs))
        sums: list[float] = []
        for get in self._getters:
            both = sum(map(get, known))
            sums += (both.real, both.imag)
        up = tuple(sorted(filter(None, map(itemgetter(k + 1), known)))[:4])
        down = tuple(sorted(filter(None, map(itemgetter(k + 2), known)))[:4])
        return sums, up, down, words_known, distinct

    def logits(self, words: Sequence[str]) -> tuple[list[float], tuple[int, ...], tuple[int, ...], int, int]:
        """``read`` with its sums made into each output's log-odds (``values``): one C call where
        the speedups are built (rules/_accel.c, linear_logits, the same operations in the same
        order), where ``values`` was a Python call, a list and a float per sum on every reading."""
        native = accel.native
        if native is not None:
            table = self.table(native)
            return native.linear_logits(words if type(words) is list else list(words), table[0], self.outputs + 1,
                                        self.intercepts, table[1])
        sums, up, down, known, distinct = self.read(words)
        return self.values(sums), up, down, known, distinct

    def values(self, sums: Sequence[float]) -> list[float]:
        """Each output's log-odds from a ticket's sums (``read``): per output, its words share
        over the words block's norm plus its pieces share over theirs (no words: the intercepts)."""
        k = self.outputs
        words_norm, pieces_norm = sums[k], sums[2 * k + 1]
        words_norm = 1 / math.sqrt(words_norm) if words_norm else 0.0
        pieces_norm = 1 / math.sqrt(pieces_norm) if pieces_norm else 0.0
        return [b + sums[c] * words_norm + sums[k + 1 + c] * pieces_norm for c, b in enumerate(self.intercepts)]


def known_words(words: int, known: int, distinct: int) -> int:
    """How many of a text's ``words`` a model reads, its words block knowing ``known`` of its
    ``distinct`` words: all of them where it knows at least ``KNOWN_ENOUGH`` of the distinct
    ones, else in proportion (``TextModel.logit_words``)."""
    if not distinct:
        return 0
    if known >= KNOWN_ENOUGH * distinct:
        return words
    return round(words * known / (KNOWN_ENOUGH * distinct))


def _packed(numbers: Sequence[float]) -> tuple[complex, ...]:
    """Numbers two by two as complex numbers (an even count)."""
    return tuple(complex(numbers[i], numbers[i + 1]) for i in range(0, len(numbers), 2))


class _Lexicon(dict[str, tuple[Any, ...]]):
    """A word -> its figures (``LinearTextModel``), worked out on first lookup (``__missing__``),
    so one C-level ``map`` over a ticket's distinct words both looks them up and learns the new
    ones. Bounded (``_LEXICON_BOUND``): emptied when full, a desk's common words come back at once."""

    __slots__ = ("cite", "k", "n", "pieces", "single")

    def __init__(self, single: dict[str, tuple[float, ...]], pieces: _Table, n: int, k: int,
                 cite: tuple[dict[Any, int], dict[Any, int]]) -> None:
        super().__init__()
        self.single = single
        self.pieces = pieces
        self.n = n
        self.k = k
        self.cite = cite

    def __missing__(self, word: str) -> tuple[Any, ...]:
        if len(self) >= _LEXICON_BOUND:
            self.clear()
        figures = self[word] = self.figures(word)
        return figures

    def figures(self, word: str) -> tuple[Any, ...]:
        """A word's figures, worked out (not kept)."""
        k = self.k
        shares = [0.0] * (k + 1)
        table = self.pieces
        for piece in set(_pieces_of(word, self.n)):
            found = table.get(piece)
            if found is not None:
                idf, coefs = found
                for c in range(k):
                    shares[c] += idf * coefs[c]
                shares[k] += idf * idf
        own = self.single.get(word) or (0.0,) * (k + 1)
        return (*_packed((*own, *shares)), self.cite[0].get(word, 0), self.cite[1].get(word, 0))


class _Packed:
    """The C speedups' word -> figures, for their vocabulary (rules/_accel.c's Vocabulary, which
    calls it on a word's first reading and keeps what it makes): a ``_Lexicon`` figures tuple
    packed into one block (rules/_accel.c's ``pack``: the numbers, the two citing ranks, and the
    pairs of words the word starts, second word -> the pair's packed figures, or None), so a
    ticket's reading chases no pointer per number and finds its pairs without a lookup of their
    first word or a tuple per pair. The pairs' second words are interned, as the vocabulary's
    words are: the C code probes a pair's table with the very object it holds (no text compared,
    no key's memory read). The Python code's tables stay as they were, and empty while the C
    code decides."""

    __slots__ = ("follow", "lexicon", "pack")

    def __init__(self, lexicon: _Lexicon, pairs: dict[tuple[str, str], tuple[Any, ...]],
                 pack: Callable[[tuple[complex, ...], int, int, dict[str, Any] | None], Any]) -> None:
        self.lexicon = lexicon
        self.pack = pack
        k = lexicon.k
        self.follow: dict[str, dict[str, Any]] = {}
        for (first, second), figures in pairs.items():
            self.follow.setdefault(first, {})[sys.intern(second)] = pack(figures[:k + 1], figures[k + 1],
                                                                         figures[k + 2], None)

    def __call__(self, word: str) -> Any:
        k = self.lexicon.k
        figures = self.lexicon.figures(word)
        return self.pack(figures[:k + 1], figures[k + 1], figures[k + 2], self.follow.get(word))


class TextModel:
    """``logit(text)``: the model's log-odds that a ticket with this text is critical, and the
    words that weighed most towards its sign. The words are the concept matcher's when the
    engine reads the model (``TicketView.words``), so a ticket is folded and split once."""

    __slots__ = ("_cite_terms", "linear", "trained_on")

    def __init__(self, words: Mapping[str, tuple[float, float]], pieces: Mapping[str, tuple[float, float]],
                 intercept: float, n: int, trained_on: str) -> None:
        self.trained_on = trained_on
        citable: list[tuple[float, str, str | tuple[str, str]]] = []  # idf * coefficient, the term, its key
        for term, (idf, coef) in words.items():
            parts = term.split(" ")
            if idf >= CITE_MIN_IDF and all(parts) and len(parts) <= 2 and not COMMON_WORDS.issuperset(parts):
                citable.append((idf * coef, term, term if len(parts) == 1 else (parts[0], parts[1])))
        # The terms a note may cite, ranked: for a ticket like the critical ones the heaviest
        # first, for one like the routine ones the lightest first; terms of equal weight (words
        # that always came together in training, such as "favor" and "por favor") in
        # alphabetical order, so every process cites the same words (a set's order is the hash
        # seed's, which differs from one process to the next). Ranks count from 1 (0: none).
        up = sorted((c for c in citable if c[0] > 0), key=lambda c: (-c[0], c[1]))
        down = sorted((c for c in citable if c[0] < 0), key=lambda c: (c[0], c[1]))
        cite = ({key: rank for rank, (_, _, key) in enumerate(up, 1)},
                {key: rank for rank, (_, _, key) in enumerate(down, 1)})
        self._cite_terms = (["", *(term for _, term, _ in up)], ["", *(term for _, term, _ in down)])
        self.linear = LinearTextModel({t: (idf, (coef,)) for t, (idf, coef) in words.items()},
                                      {t: (idf, (coef,)) for t, (idf, coef) in pieces.items()},
                                      (intercept,), n, cite)

    @property
    def cite_terms(self) -> tuple[list[str], list[str]]:
        """The terms a note may cite, by rank (from 1; "" at 0), for the critical and the
        routine side: what the C speedups cite from (rules/_accel.c, model_signal)."""
        return self._cite_terms

    def logit(self, text: str) -> tuple[float, tuple[str, ...], int]:
        """The log-odds, the (at most four) cited words, and how many of the text's words the
        model knows (``logit_words``)."""
        return self.logit_words(model_words(text))

    def logit_words(self, words: list[str]) -> tuple[float, tuple[str, ...], int]:
        """``logit`` of a text whose words (``model_words``) are already known.

        How many words it reads: the text's words, where the words block knows at least a
        quarter (``KNOWN_ENOUGH``) of its distinct words, else as many fewer as it knows fewer.
        Why: the blocks are normed, so a Lithuanian ticket whose one known word was a Dutch
        "deze" weighed as much as an English ticket the model reads whole (−11 where the
        concepts said critical), and a ticket it knows no word of is its intercept (−7.9: an
        Arabic or Ukrainian ticket would be −14). The signal grows with this count
        (``ModelSignal``). Why a quarter: left one set out over 55 sets, a quarter flagged 3 more
        critical tickets for 1 more false flag and none on the ordinary days; half, 5 more for
        3 and 2; every ticket scaled by its share (English knows 0.95, German 0.84, Finnish 0.28),
        18 more for 15 and 14 (rules/README.md).
        """
        values, up, down, known, distinct = self.linear.logits(words)
        value = values[0]
        read = known_words(len(words), known, distinct)
        # The (at most four) terms that weighed most towards the value's sign.
        if value >= 0:
            return value, tuple(map(self._cite_terms[0].__getitem__, up)), read
        return value, tuple(map(self._cite_terms[1].__getitem__, down)), read


def read_blocks(raw: Any, where: str) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]], int]:
    """A model's two blocks (the trainer's JSON): words and pairs, and pieces of words, each term
    -> (idf, coefficient), and the pieces' length."""
    try:
        blocks = {}
        for b in raw["blocks"]:
            kind = str(b["kind"])
            if kind == "chars":
                raise ConditionError(f"{where}.blocks", "a model from before pieces were counted per word: retrain it "
                                                        "(python -m bench.train_text_model --write)")
            if kind not in ("words", PIECES_KIND) or kind in blocks:
                raise ConditionError(f"{where}.blocks",
                                     f"one block of each kind, words and {PIECES_KIND}; got {kind!r}")
            low, high = (int(n) for n in b["ngrams"])
            if (kind == "words" and (low, high) != (1, 2)) or (kind == PIECES_KIND and (low != high or low < 1)):
                raise ConditionError(f"{where}.blocks", "words of (1, 2)-grams and pieces of one length")
            blocks[kind] = ({str(t): (float(idf), float(coef)) for t, idf, coef in b["terms"]}, low)
        if len(blocks) != 2:
            raise ConditionError(f"{where}.blocks", f"one words block and one {PIECES_KIND} block")
    except ConditionError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ConditionError(where, f"malformed model data ({exc!r})") from None
    return blocks["words"][0], blocks[PIECES_KIND][0], blocks[PIECES_KIND][1]


def compile_text_model(raw: Any, where: str = "text_model") -> TextModel:
    """Build the model from its data (the trainer's JSON) and check it reproduces the trainer."""
    if not isinstance(raw, Mapping):
        raise ConditionError(where, "the text model's data (a mapping written by bench/train_text_model.py)")
    words, pieces, n = read_blocks(raw, where)
    try:
        model = TextModel(words, pieces, float(raw["intercept"]), n, str(raw.get("trained_on", "")))
        checks = [(str(text), float(expected)) for text, expected in raw.get("checks", ())]
    except (KeyError, TypeError, ValueError) as exc:
        raise ConditionError(where, f"malformed model data ({exc!r})") from None
    for text, expected in checks:
        got = model.logit(text)[0]
        if abs(got - expected) > CHECK_TOLERANCE:
            raise ConditionError(where, f"does not reproduce its trainer ({got:.6f} against {expected:.6f})")
    return model
