"""Concept lexicons: many words, in several languages, standing for one idea ("impact", "orders").

Why concepts rather than phrases: customers never use the words a rule was tuned on, but they
do name a thing of theirs (labels, orders, the carrier booking) and say something happened to
it (blank, not arriving, rejected). A concept is a list of words and short phrases in every
language the desk sees; a signal (``rules/scoring.py``) then says which concepts, how close
together, make a ticket look critical. An admin extends a concept with their own words without
touching how signals combine.

Matching works on *folded tokens*: lower case, accents removed (``arrivé`` = ``arrive``,
``Straße`` = ``strasse``), apostrophes dropped (``can't`` = ``cant``), every other mark a
separator. A term is one word or a phrase of words; a word ending in ``*`` matches any word
starting with it (``bestell*``: ``bestellung``, ``bestellungen``). Phrases match consecutive
tokens. All of this is pure and built once per rule set; per ticket there is one regex split and
one dictionary probe per distinct token (cached across tickets, since a desk's vocabulary is
finite).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rules.errors import ConditionError

__all__ = ["ConceptHits", "Lexicons", "fold", "tokens"]

_TERM_WORD = re.compile(r"^#?[^\W_]+\*?$")
_MIN_STEM = 3
NUMBER = "<number>"  # a term standing for any whole number from 10 up ("42 drivers", "3800 orders")
CODE = "<code>"  # a term standing for a reference: a word of 5+ characters with 4+ digits ("558213", "3s9022114")


_SPECIAL = (("ß", "ss"), ("æ", "ae"), ("œ", "oe"), ("ø", "o"), ("ł", "l"), ("đ", "d"), ("ı", "i"), ("þ", "th"),
            ("ð", "d"), ("\u2013", " "), ("\u2014", " "), ("\u2022", " "), ("\u00b7", " "), ("\u3001", " "),
            ("\u3002", " "))


def _split_table() -> dict[int, str | None]:
    """Punctuation -> space, apostrophes -> nothing, "#" kept (chat channels: "#incident")."""
    table: dict[int, str | None] = {ord(ch): " " for ch in string.punctuation if ch not in "#'"}
    table[ord("'")] = None
    return table


_SPLIT = _split_table()


def fold(text: str) -> str:
    """Lower-case and strip accents from Latin letters; ASCII text (most tickets) is just lowered.

    Other text is decomposed (NFKD) and what is not ASCII then dropped: accents go, typographic
    apostrophes and quotes go ("it’s" = "its"), and so do other scripts, which the shipped
    lexicons (Latin script) cannot match anyway. All C-level: a per-character table cost ten
    times as much on a German or French ticket.
    """
    low = text.lower()
    if low.isascii():
        return low
    for special, plain in _SPECIAL:
        if special in low:
            low = low.replace(special, plain)
    return unicodedata.normalize("NFKD", low).encode("ascii", "ignore").decode("ascii")


def tokens(text: str) -> list[str]:
    """Folded word tokens: punctuation separates words, apostrophes vanish ("can't" -> "cant").
    Two ``translate`` calls and a ``split``, all in C: a regex tokenizer cost four times as much."""
    return fold(text).translate(_SPLIT).split()


@dataclass(frozen=True, slots=True)
class _Term:
    concept: int
    label: str  # as written, for explanations
    words: tuple[str, ...]  # every word; "x*" entries are prefixes
    anchor: int  # the index of the word it is looked up by (its rarest plain word)
    exact: bool  # no wildcard: compared as a tuple


# Words too common to look a phrase up by: a phrase is indexed by one of its other words, so a
# ticket's "the", "our", "is" or "de" costs nothing ("is down" is found at "down").
_COMMON = frozenset({
    "a", "an", "the", "our", "we", "us", "you", "your", "i", "me", "my", "it", "its", "is", "are", "was", "were",
    "be", "been", "am", "to", "of", "in", "on", "at", "for", "by", "with", "from", "and", "or", "as", "so", "this",
    "that", "these", "those", "there", "here", "have", "has", "had", "do", "does", "did", "can", "cant", "could",
    "not", "no", "all", "any", "every", "one", "some", "since", "after", "before", "up", "out", "get", "got",
    "just", "very", "please", "also", "only", "still", "again", "now", "today", "de", "la", "le", "les", "des",
    "du", "un", "une", "et", "en", "est", "pas", "ne", "ce", "cette", "il", "ils", "nous", "vous", "que", "qui",
    "sur", "pour", "par", "el", "los", "las", "del", "y", "se", "con", "por", "para", "una", "es", "lo", "al",
    "der", "die", "das", "den", "dem", "ein", "eine", "und", "ist", "nicht", "mit", "von", "zu", "im", "bei", "auf",
    "het", "een", "van", "niet", "op", "te", "voor", "met", "ik", "wij", "gli", "di", "da", "che", "non", "per",
    "o", "os", "um", "uma", "nao", "e"
})


def _anchor(words: list[str]) -> int:
    """The word to look a phrase up by: plain (no wildcard), uncommon, then the longest."""
    plain = [i for i, w in enumerate(words) if not w.endswith("*")]
    if not plain:
        return 0
    return min(plain, key=lambda i: (words[i] in _COMMON, -len(words[i])))


def _is_code(token: str) -> bool:
    """A reference rather than a count: 5+ characters, 4+ of them digits ("558213", "bw558213")."""
    return len(token) >= 5 and sum(ch.isdigit() for ch in token) >= 4 and token.isalnum()


def _word_matches(pattern: str, token: str) -> bool:
    if pattern.endswith("*"):
        return token.startswith(pattern[:-1])
    return token == pattern


def _split_term(term: str, where: str) -> list[str]:
    words = [w.replace("'", "") for w in fold(term).replace("-", " ").split()]
    if not words:
        raise ConditionError(where, "empty term")
    for word in words:
        if not _TERM_WORD.match(word):
            raise ConditionError(where, f"term {term!r}: words are letters/digits, optionally ending in *")
        if word.endswith("*") and len(word) - 1 < _MIN_STEM:
            raise ConditionError(where, f"term {term!r}: give at least {_MIN_STEM} letters before *")
    return words


class Lexicons:
    """Compiled concepts: ``hits(tokens)`` says where each concept's terms occur."""

    def __init__(self, concepts: Mapping[str, Iterable[str]]) -> None:
        self.names: tuple[str, ...] = tuple(concepts)
        self.index: dict[str, int] = {name: i for i, name in enumerate(self.names)}
        self._exact: dict[str, list[_Term]] = {}  # by anchor word
        self._prefix: dict[str, list[_Term]] = {}  # one-word wildcard terms and all-wildcard phrases, by stem
        self.sizes: dict[str, int] = {}
        self._numbers: list[int] = []  # concepts holding "<number>": any count from 10 up
        self._codes: list[int] = []  # concepts holding "<code>": an order, shipment or ticket reference
        for cid, name in enumerate(self.names):
            seen = 0
            for term in concepts[name]:
                seen += 1
                if str(term).strip() == NUMBER:
                    self._numbers.append(cid)
                    continue
                if str(term).strip() == CODE:
                    self._codes.append(cid)
                    continue
                words = _split_term(str(term), f"concepts.{name}")
                anchor = _anchor(words)
                entry = _Term(cid, str(term), tuple(words), anchor, not any(w.endswith("*") for w in words))
                key = words[anchor]
                if key.endswith("*"):
                    self._prefix.setdefault(key[:-1], []).append(entry)
                else:
                    self._exact.setdefault(key, []).append(entry)
            self.sizes[name] = seen
        self._stem_lengths = sorted({len(stem) for stem in self._prefix})
        self._cache: dict[str, _Found] = {}
        self._useful: set[str] = set()  # cached words that are a term or anchor a phrase

    def _terms_for(self, token: str) -> _Found:
        """What ``token`` can be: one-word terms (concept, label) and the phrases it anchors.
        Computed once per distinct word and cached (a desk's vocabulary is finite)."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        found: list[_Term] = list(self._exact.get(token, ()))
        prefix = self._prefix
        for n in self._stem_lengths:
            if n > len(token):
                break
            more = prefix.get(token[:n])
            if more:
                found.extend(more)
        singles = tuple((t.concept, t.label) for t in found if len(t.words) == 1)
        if self._numbers and token.isdigit() and 2 <= len(token) <= 7 and token[0] != "0":
            singles = (*singles, *((cid, token) for cid in self._numbers))  # the count itself explains
        if self._codes and _is_code(token):
            singles = (*singles, *((cid, token) for cid in self._codes))  # the reference itself explains
        right: dict[str, list[_Term]] = {}
        left: dict[str, list[_Term]] = {}
        loose: list[_Term] = []
        for t in found:
            if len(t.words) == 1:
                continue
            if not t.exact:
                loose.append(t)
            elif t.anchor + 1 < len(t.words):
                right.setdefault(t.words[t.anchor + 1], []).append(t)
            else:
                left.setdefault(t.words[t.anchor - 1], []).append(t)
        result = _Found(singles, {k: tuple(v) for k, v in right.items()}, {k: tuple(v) for k, v in left.items()},
                        tuple(loose), bool(right or left or loose))
        if len(self._cache) > 200_000:  # a bounded cache: a flood of random words cannot grow it forever
            self._cache.clear()
            self._useful.clear()
        self._cache[token] = result
        if singles or result.phrases:
            self._useful.add(token)
        return result

    def hits(self, toks: list[str], offset: int = 0, found: dict[int, list[tuple[int, str]]] | None = None,
             ) -> dict[int, list[tuple[int, str]]]:
        """Where each concept occurs in ``toks``: concept id -> [(offset + position, term label)],
        added to ``found`` when given (several fields, each at its own offset).

        Only words that are a term or anchor a phrase are visited (a set intersection finds
        them); a phrase is looked up by its rarest word and confirmed around it, so common
        words ("the", "is", "not") cost nothing by themselves."""
        if found is None:
            found = {}
        distinct = set(toks)
        for token in distinct.difference(self._cache):
            self._terms_for(token)
        cache = self._cache
        relevant = {token: cache[token] for token in distinct.intersection(self._useful)}
        if not relevant:
            return found
        n = len(toks)
        for i, token in [(i, t) for i, t in enumerate(toks) if t in relevant]:
            terms = relevant[token]
            for concept, label in terms.singles:
                at = found.get(concept)
                if at is None:
                    found[concept] = [(offset + i, label)]
                else:
                    at.append((offset + i, label))
            if not terms.phrases:
                continue
            # Only phrases whose word beside the anchor is the ticket's word there can match.
            candidates: tuple[_Term, ...] = terms.right.get(toks[i + 1], ()) if i + 1 < n else ()
            if i and terms.left:
                candidates = (*candidates, *terms.left.get(toks[i - 1], ()))
            if terms.loose:
                candidates = (*candidates, *terms.loose)
            for term in candidates:
                start = i - term.anchor
                end = start + len(term.words)
                if start < 0 or end > n:
                    continue
                if term.exact:
                    if len(term.words) > 2 and tuple(toks[start:end]) != term.words:
                        continue
                elif not all(_word_matches(w, toks[start + k]) for k, w in enumerate(term.words)):
                    continue
                found.setdefault(term.concept, []).append((offset + start, term.label))
        return found


@dataclass(frozen=True, slots=True)
class _Found:
    singles: tuple[tuple[int, str], ...]
    right: dict[str, tuple[_Term, ...]]  # exact phrases by the word after the anchor
    left: dict[str, tuple[_Term, ...]]  # exact phrases ending at the anchor, by the word before it
    loose: tuple[_Term, ...]  # phrases with a wildcard: checked word by word
    phrases: bool


class ConceptHits:
    """The concepts found in one ticket's tokens, with positions (for ``near``) and words."""

    __slots__ = ("found",)

    def __init__(self, found: dict[int, list[tuple[int, str]]]) -> None:
        self.found = found

    def has(self, cid: int) -> bool:
        return cid in self.found

    def positions(self, cid: int) -> list[tuple[int, str]]:
        return self.found.get(cid, [])
