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
    tail: tuple[str, ...]  # words after the first; "x*" entries are prefixes
    length: int
    exact_tail: bool  # no wildcard after the first word: the tail is compared as a tuple


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
        self._exact: dict[str, list[_Term]] = {}
        self._prefix: dict[str, list[_Term]] = {}
        self.sizes: dict[str, int] = {}
        self._numbers: list[tuple[int, str]] = []  # concepts holding "<number>": any count from 10 up
        for cid, name in enumerate(self.names):
            seen = 0
            for term in concepts[name]:
                if str(term).strip() == NUMBER:
                    self._numbers.append((cid, NUMBER))
                    seen += 1
                    continue
                words = _split_term(str(term), f"concepts.{name}")
                first, tail = words[0], tuple(words[1:])
                entry = _Term(cid, str(term), tail, len(words), not any(w.endswith("*") for w in tail))
                if first.endswith("*"):
                    self._prefix.setdefault(first[:-1], []).append(entry)
                else:
                    self._exact.setdefault(first, []).append(entry)
                seen += 1
            self.sizes[name] = seen
        self._stem_lengths = sorted({len(stem) for stem in self._prefix})
        self._cache: dict[str, _Starts] = {}
        self._useful: set[str] = set()  # cached tokens that start at least one term

    def _terms_for(self, token: str) -> _Starts:
        """What may start at ``token``: one-word terms, phrases by their exact second word, and
        phrases whose second word is a prefix. Computed once per distinct word and cached."""
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
        singles = tuple((t.concept, t.label) for t in found if not t.tail)
        if self._numbers and token.isdigit() and 2 <= len(token) <= 7 and token[0] != "0":
            singles = (*singles, *((cid, token) for cid, _ in self._numbers))  # the count itself explains
        by_second: dict[str, list[_Term]] = {}
        loose: list[_Term] = []
        for t in found:
            if t.tail and t.tail[0].endswith("*"):
                loose.append(t)
            elif t.tail:
                by_second.setdefault(t.tail[0], []).append(t)
        result = _Starts(singles, {k: tuple(v) for k, v in by_second.items()}, tuple(loose), bool(by_second or loose))
        if len(self._cache) > 200_000:  # a bounded cache: a flood of random words cannot grow it forever
            self._cache.clear()
            self._useful.clear()
        self._cache[token] = result
        if found or singles:
            self._useful.add(token)
        return result

    def hits(self, toks: list[str], offset: int = 0, found: dict[int, list[tuple[int, str]]] | None = None,
             ) -> dict[int, list[tuple[int, str]]]:
        """Where each concept occurs in ``toks``: concept id -> [(offset + position, term label)],
        added to ``found`` when given (several fields, each at its own offset).

        Only words that start some term are visited (a set intersection finds them); a phrase is
        looked up by its first two words, so "not" with its 35 phrases costs one dict probe."""
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
            starts = relevant[token]
            for concept, label in starts.singles:
                at = found.get(concept)
                if at is None:
                    found[concept] = [(offset + i, label)]
                else:
                    at.append((offset + i, label))
            if not starts.phrases or i + 1 >= n:
                continue
            candidates = starts.by_second.get(toks[i + 1], ())
            if starts.loose:
                candidates = (*candidates, *starts.loose)
            for term in candidates:
                end = i + term.length
                if end > n:
                    continue
                if term.exact_tail:
                    if term.length > 2 and tuple(toks[i + 2 : end]) != term.tail[1:]:
                        continue
                elif not all(_word_matches(p, toks[i + 1 + k]) for k, p in enumerate(term.tail)):
                    continue
                found.setdefault(term.concept, []).append((offset + i, term.label))
        return found


@dataclass(frozen=True, slots=True)
class _Starts:
    singles: tuple[tuple[int, str], ...]
    by_second: dict[str, tuple[_Term, ...]]
    loose: tuple[_Term, ...]
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
