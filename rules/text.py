"""Text normalisation and keyword matching, shaped by the 20,000 decisions/second target.

Why token sets instead of one big regex: CPython's ``re`` tries every branch of an alternation
at every position, so a 100-keyword alternation over a 1 kB ticket costs about a millisecond,
while string and set methods run in C. So a ticket's text is normalised once per evaluation
into tokens: lower-case, apostrophes dropped (``can't`` == ``cant``), every other punctuation
mark turned into a space, split on whitespace. ``bytes.translate`` does that in one pass
whatever the script, so tokens are UTF-8 ``bytes``. Then:

* a one-word keyword matches when its word is a token (whole word by construction: ``down``
  never matches ``download``);
* a phrase matches when its space-padded form (``" platform is down "``) is a substring of the
  tokens joined by single spaces, which makes phrases tolerant of extra whitespace, line breaks
  and punctuation between their words. The joined text is a ``str``: CPython finds a
  substring in ``str`` about three times faster than in ``bytes``;
* a word ending in ``*`` (``compromis*``) matches any word starting with it; such keywords are
  gated by a substring test and confirmed by a small regex over the joined tokens.

Two levels keep the common case cheap. ``TicketText`` (all fields at once) keeps only the
words that appear in some keyword (``Lexicon.words``), so a condition whose words are absent
answers with one ``isdisjoint``; a phrase whose words are all present is then searched for,
once per ticket however many rules list it. ``FieldText`` (one per field) is only built when
a condition holds and the explanation must say which field matched.

Regular expressions are the escape hatch for what words cannot say; they run on the original
field text, case-insensitively, and cost a scan each.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "FIELD_LABELS",
    "FIELD_NAMES",
    "FieldText",
    "Keyword",
    "KeywordSet",
    "Lexicon",
    "Near",
    "Scope",
    "TicketText",
    "normalise",
    "parse_keyword",
    "phrase_anchor",
    "phrase_needle",
]

FIELD_NAMES: tuple[str, ...] = ("subject", "description", "comment", "latest")
FIELD_LABELS: tuple[str, ...] = ("subject", "description", "latest comment", "latest message")

# Apostrophes vanish ("can't" == "cant"); every other ASCII punctuation mark separates words.
_DELETE = b"'`"
_TABLE = bytearray(range(256))
for _ch in string.punctuation:
    if _ch not in "'`":
        _TABLE[ord(_ch)] = 0x20
_TEXT_TABLE = bytes(_TABLE)
_TABLE[ord("*")] = ord("*")  # keywords keep "*" (the word-prefix wildcard)
_KEYWORD_TABLE = bytes(_TABLE)
del _TABLE, _ch

# Non-ASCII marks that customers' mail clients produce; replaced only when the text is not ASCII.
_UNICODE_MARKS: tuple[tuple[str, str], ...] = (
    ("\u2019", ""),  # ’ typographic apostrophe
    ("\u2018", ""),  # ‘
    ("\u02bc", ""),  # ʼ
    ("\u00b4", ""),  # ´
    ("\u201c", " "),  # “
    ("\u201d", " "),  # ”
    ("\u201e", " "),  # „
    ("\u00ab", " "),  # «
    ("\u00bb", " "),  # »
    ("\u2013", " "),  # –
    ("\u2014", " "),  # —
    ("\u2026", " "),  # …
    ("\u2022", " "),  # •
    ("\u00b7", " "),  # ·
    ("\u00a1", " "),  # ¡
    ("\u00bf", " "),  # ¿
    ("\u00a0", " "),  # no-break space
    ("\u2009", " "),  # thin space
    ("\u202f", " "),  # narrow no-break space
    ("\u200b", ""),  # zero-width space
    ("\u3001", " "),  # 、
    ("\u3002", " "),  # 。
)


# Words too common to gate a phrase on (they are still matched as part of it).
_COMMON_WORDS = frozenset(
    b"a all an and any are as at be been but by can cant cannot could did do does dont for from get gets got "
    b"had has have i in is it its me my no not of on one or our out so that the their them there they this "
    b"to up us was we were will with you your".split()
)


# Words that appear in a large share of support tickets: a phrase is gated on one of its other
# words when it has one ("exposed customer data" gates on "exposed").
_FREQUENT_WORDS = frozenset(
    b"access account accounts again agent agents all broken customer customers data down email emails "
    b"error errors everyone everything help issue login morning nothing order orders password platform "
    b"please problem records service since site someone still system team ticket tickets time today "
    b"user users work working".split()
)


def _anchor_rank(word: bytes) -> tuple[int, int]:
    """Sort key for choosing a phrase's gating word: uncommon first, then the longest."""
    tier = 2 if word in _COMMON_WORDS else (1 if word in _FREQUENT_WORDS else 0)
    return (tier, -len(word))


def normalise(text: str, *, keyword: bool = False) -> bytes:
    """Lower-case, drop apostrophes, turn punctuation into spaces; UTF-8 bytes out."""
    low = text.lower()
    if not low.isascii():
        for mark, replacement in _UNICODE_MARKS:
            if mark in low:
                low = low.replace(mark, replacement)
    return low.encode("utf-8").translate(_KEYWORD_TABLE if keyword else _TEXT_TABLE, _DELETE)


# Where a sentence ends in the original text: ".", "!" or "?" (possibly repeated, possibly
# followed by a closing quote or bracket) before a space or the end; a blank line; a line that
# starts a list item or a quoted line ("- ", "* ", "> ", "1. "). A single line break is not a
# boundary: mail clients wrap long sentences.
_SENTENCE_END = re.compile(r"([.!?]+)[\"')\]\u201d\u2019]*(?=\s|$)|\n[ \t]*\n|\n(?=[ \t]*(?:[-*>\u2022]|\d+[.)])\s)")

# A sentence ending in "?" asks rather than reports, unless it starts with a question word that
# takes the problem for granted: "Is the site down?" asks; "Why is the site down?" reports.
_REPORTING_QUESTION_WORDS = frozenset(b"why when where how what whats who which whose".split())

# Words that negate what follows them in the same sentence ("no sign of a breach", "we have
# not been hacked", "nobody clicked"), for ``skip_negated``.
NEGATORS = frozenset(
    b"no not never nothing nobody none noone neither nor without didnt dont doesnt havent hasnt hadnt "
    b"wasnt werent isnt arent wont wouldnt".split()
)
NEGATION_REACH = 3  # a negator this many words or fewer before a match negates it


class FieldText:
    """One ticket text field, built (from the ticket-wide normalised text) only when a condition
    holds and the explanation must name the field; shared by every condition after that.
    Sentence boundaries are worked out from the original text only when a condition asks for
    them (``sentence``, ``skip_questions``, ``skip_negated``)."""

    __slots__ = ("_joined", "_positions", "_sentences", "present", "raw", "squashed", "tokens")

    def __init__(self, raw: str, words: frozenset[bytes], squashed: bytes | None = None) -> None:
        self.raw = raw
        self.squashed = normalise(raw) if squashed is None else squashed
        self.tokens = self.squashed.split()
        # The keyword words (``Lexicon.words``) in this field; usually a handful or none.
        self.present: frozenset[bytes] = words.intersection(self.tokens)
        self._joined: str | None = None
        self._positions: dict[bytes, list[int]] | None = None
        self._sentences: tuple[list[int], list[int], frozenset[int]] | None = None

    def sentences(self) -> tuple[list[int], list[int], frozenset[int]]:
        """(sentence number of each token, first token of each sentence, numbers of the
        sentences that are yes/no questions). One sentence if the text cannot be split."""
        done = self._sentences
        if done is not None:
            return done
        ids: list[int] = []
        starts: list[int] = []
        questions: set[int] = set()
        raw, pos = self.raw, 0
        pieces: list[tuple[str, bool]] = []
        for match in _SENTENCE_END.finditer(raw):
            end = match.end()
            if end > pos:
                pieces.append((raw[pos:end], "?" in (match.group(1) or "")))
                pos = end
        if pos < len(raw):
            pieces.append((raw[pos:], False))
        for piece, asks in pieces:
            words = normalise(piece).split()
            if not words:
                continue
            number = len(starts)
            starts.append(len(ids))
            ids.extend([number] * len(words))
            if asks and words[0] not in _REPORTING_QUESTION_WORDS:
                questions.add(number)
        if len(ids) != len(self.tokens):  # normalising pieces disagreed with the whole: no sentences
            ids, starts, questions = [0] * len(self.tokens), [0], set()
        done = self._sentences = (ids, starts, frozenset(questions))
        return done

    def same_sentence(self, first: int, last: int) -> bool:
        ids = self.sentences()[0]
        return ids[first] == ids[last]

    def in_question(self, index: int) -> bool:
        ids, _, questions = self.sentences()
        return bool(questions) and ids[index] in questions

    def negated(self, index: int) -> bool:
        """Is there a negator at most ``NEGATION_REACH`` words before ``index``, in its sentence?"""
        ids, starts, _ = self.sentences()
        begin = max(starts[ids[index]], index - NEGATION_REACH)
        return not NEGATORS.isdisjoint(self.tokens[begin:index])

    def starts(self, words: tuple[bytes, ...]) -> list[int]:
        """Token indexes where the phrase ``words`` starts (its words must be in the lexicon)."""
        positions = self._positions
        if positions is None:
            positions = {}
            present, tokens = self.present, self.tokens
            for i, token in enumerate(tokens):
                if token in present:
                    positions.setdefault(token, []).append(i)
            self._positions = positions
        first = positions.get(words[0])
        if not first or len(words) == 1:
            return first or []
        n, tokens = len(words), self.tokens
        return [i for i in first if tuple(tokens[i : i + n]) == words]

    @property
    def joined(self) -> str:
        """Tokens joined by single spaces with a space at each end, for phrase tests (a str:
        CPython searches str for a substring about three times faster than bytes)."""
        joined = self._joined
        if joined is None:
            joined = self._joined = join_tokens(self.tokens)
        return joined


@dataclass(frozen=True, slots=True)
class Keyword:
    """One configured keyword or phrase, in the form the matcher needs."""

    label: str  # as the admin wrote it (trimmed), for explanations
    words: tuple[bytes, ...]  # normalised words; a word may end with b"*"

    @property
    def wildcard(self) -> bool:
        return any(w.endswith(b"*") for w in self.words)


def parse_keyword(value: str) -> Keyword:
    """Normalise one keyword; raise ValueError with an admin-readable reason when unusable."""
    label = " ".join(value.split())
    words = tuple(normalise(value, keyword=True).split())
    if not words:
        raise ValueError(f"keyword {value!r} has no letters or digits")
    for word in words:
        star = word.find(b"*")
        if star == -1:
            continue
        if star != len(word) - 1:
            raise ValueError(f"keyword {value!r}: '*' may only end a word (e.g. compromis*)")
        if len(word) < 4:
            raise ValueError(f"keyword {value!r}: put at least 3 letters before '*' (it would match too much)")
    return Keyword(label=label, words=words)


class KeywordSet:
    """The keywords of one condition, compiled for both stages of matching.

    ``occurs`` answers "anywhere in the ticket?" from ``TicketText`` (one-word keywords by set
    intersection, phrases by their anchor word, then a memoised substring search). ``find``
    answers "which of them, in this field?" for the explanation. ``keys`` are the gating words:
    every one-word keyword and each phrase's anchor (its least common word).
    """

    __slots__ = ("anchors", "by_key", "gate_words", "keys", "keywords", "phrases", "singles", "wild")

    def __init__(self, keywords: Iterable[Keyword]) -> None:
        unique: dict[tuple[bytes, ...], Keyword] = {}
        for kw in keywords:
            unique.setdefault(kw.words, kw)
        self.keywords: tuple[Keyword, ...] = tuple(unique.values())
        by_key: dict[bytes, list[tuple[str | None, int]]] = {}
        wild: list[tuple[bytes, re.Pattern[str], int]] = []
        phrases: dict[bytes, list[tuple[str, frozenset[bytes]]]] = {}
        for index, kw in enumerate(self.keywords):
            if kw.wildcard:
                gate = max((w.rstrip(b"*") for w in kw.words), key=len)
                body = " ".join(
                    re.escape(w[:-1].decode()) + r"\S*" if w.endswith(b"*") else re.escape(w.decode()) for w in kw.words
                )
                wild.append((gate, re.compile(" " + body + "(?= )"), index))
            elif len(kw.words) == 1:
                by_key.setdefault(kw.words[0], []).append((None, index))
            else:
                needle, anchor = phrase_needle(kw.words), phrase_anchor(kw.words)
                by_key.setdefault(anchor, []).append((needle, index))
                phrases.setdefault(anchor, []).append((needle, frozenset(kw.words)))
        self.by_key: dict[bytes, tuple[tuple[str | None, int], ...]] = {k: tuple(v) for k, v in by_key.items()}
        self.keys: frozenset[bytes] = frozenset(by_key)  # gating words: the single words and phrase anchors
        self.singles: frozenset[bytes] = frozenset(k for k, v in by_key.items() if any(n is None for n, _ in v))
        # anchor -> ((needle, all its words), ...): a phrase is searched for only when every one
        # of its words is in the ticket, because a substring search costs more than a subset test.
        self.phrases: dict[bytes, tuple[tuple[str, frozenset[bytes]], ...]] = {k: tuple(v) for k, v in phrases.items()}
        self.anchors: frozenset[bytes] = frozenset(phrases)
        self.gate_words: frozenset[bytes] = self.keys if not wild else frozenset()
        self.wild: tuple[tuple[bytes, re.Pattern[str], int], ...] = tuple(wild)

    def occurs(self, text: TicketText) -> bool:
        """Does any non-wildcard keyword occur anywhere in the ticket? Phrase searches are
        remembered on ``text``, so a phrase several rules share is searched for once."""
        present = text.present
        if not self.singles.isdisjoint(present):
            return True
        phrases = self.phrases
        for anchor in self.anchors.intersection(present):
            for needle, words in phrases[anchor]:
                if words <= present and text.has_phrase(needle):
                    return True
        return False

    def candidates(self, text: FieldText) -> list[Keyword]:
        """Non-wildcard keywords that occur in ``text`` (for proximity checks)."""
        out = []
        present = text.present
        for key in self.keys.intersection(present):
            for needle, index in self.by_key[key]:
                if needle is None or needle in text.joined:
                    out.append(self.keywords[index])
        return out

    def maybe_wild(self, squashed: bytes) -> bool:
        """Could a wildcard keyword match in this normalised text? (a cheap substring gate)"""
        for gate, _, _ in self.wild:  # noqa: SIM110 - a plain loop: no generator on the hot path
            if gate in squashed:
                return True
        return False

    def spans(self, text: FieldText) -> list[tuple[int, int, int, str]]:
        """Every occurrence in ``text`` as (start token, end token, keyword index, label)."""
        out: list[tuple[int, int, int, str]] = []
        present = text.present
        for key in self.keys.intersection(present):
            for needle, index in self.by_key[key]:
                if needle is None or needle in text.joined:
                    kw = self.keywords[index]
                    n = len(kw.words)
                    out.extend((i, i + n - 1, index, kw.label) for i in text.starts(kw.words))
        for gate, pattern, index in self.wild:
            if gate in text.squashed:
                joined = text.joined
                n = len(self.keywords[index].words)
                for match in pattern.finditer(joined):
                    start = joined.count(" ", 0, match.start() + 1) - 1
                    out.append((start, start + n - 1, index, match.group().strip()))
        return out

    def find(self, text: FieldText, limit: int = 3, scope: Scope | None = None) -> list[str]:
        """Labels of the keywords present in ``text`` (config order, at most ``limit``); [] if none.
        With a ``scope``, only occurrences it accepts count (not in a question, not negated)."""
        if scope is not None:
            labels: dict[int, str] = {}
            for start, end, index, label in self.spans(text):
                if index not in labels and scope.accepts(text, start, end):
                    labels[index] = label
            return [labels[i] for i in sorted(labels)][:limit]
        found: list[tuple[int, str]] = []
        present = text.present
        if present and not self.keys.isdisjoint(present):
            joined = None
            for key in self.keys.intersection(present):
                for needle, index in self.by_key[key]:
                    if needle is not None:
                        if joined is None:
                            joined = text.joined
                        if needle not in joined:
                            continue
                    found.append((index, self.keywords[index].label))
        for gate, pattern, index in self.wild:
            if gate in text.squashed:
                match = pattern.search(text.joined)
                if match is not None:
                    found.append((index, match.group().strip()))
        if not found:
            return []
        found.sort()
        return [label for _, label in found[:limit]]


def phrase_needle(words: tuple[bytes, ...]) -> str:
    """A phrase as it appears in ``FieldText.joined``: single spaces, padded at both ends."""
    return join_tokens(words)


def join_tokens(tokens: Iterable[bytes]) -> str:
    """Normalised tokens as one str with single spaces and a space at each end. Decoding is
    safe: ``normalise`` only rewrites ASCII bytes, so the UTF-8 stays valid."""
    return " " + b" ".join(tokens).decode("utf-8") + " "


def phrase_anchor(words: tuple[bytes, ...]) -> bytes:
    """The word a phrase is gated on: the least common, then the longest."""
    return min(words, key=_anchor_rank)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which occurrences of a keyword count: ``skip_questions`` ignores those inside a yes/no
    question ("Is the site down?"), ``skip_negated`` those with a negator just before them in
    the same sentence ("no sign of a breach")."""

    skip_questions: bool = False
    skip_negated: bool = False

    def accepts(self, text: FieldText, start: int, end: int) -> bool:
        if self.skip_questions and text.in_question(start):
            return False
        return not (self.skip_negated and text.negated(start))


class Near:
    """Proximity: a word or phrase from ``first`` followed, at most ``within`` words later, by
    one from ``then`` ("website ... has been down"). Cheaper and clearer than the regex an admin
    would otherwise write, and it only runs on tickets where both lists occur somewhere.
    ``ordered=False`` accepts either order ("all our users ... locked out", "locked out ... all
    our users"); ``sentence=True`` requires both in one sentence."""

    __slots__ = ("first", "ordered", "sentence", "then", "within")

    def __init__(self, first: KeywordSet, then: KeywordSet, within: int, *, ordered: bool = True,
                 sentence: bool = False) -> None:  # fmt: skip
        self.first, self.then, self.within = first, then, within
        self.ordered, self.sentence = ordered, sentence

    def find(self, text: FieldText, scope: Scope | None = None) -> str | None:
        """The matching stretch of normalised text ("website has been down"), or None."""
        present = text.present
        if self.first.keys.isdisjoint(present) or self.then.keys.isdisjoint(present):
            return None
        ends: list[tuple[int, int]] = []  # (start, end) of each `first` occurrence
        for kw in self.first.candidates(text):
            n = len(kw.words)
            ends.extend((i, i + n - 1) for i in text.starts(kw.words))
        if not ends:
            return None
        ends.sort()  # earliest start first, so "web site ... is down" beats "site ... is down"
        within, ordered, sentence = self.within, self.ordered, self.sentence
        for kw in self.then.candidates(text):
            n = len(kw.words)
            for s in text.starts(kw.words):
                e = s + n - 1
                for start, end in ends:
                    if 0 <= s - end - 1 <= within:
                        lo, hi = start, e
                    elif not ordered and 0 <= start - e - 1 <= within:
                        lo, hi = s, end
                    else:
                        continue
                    if sentence and not text.same_sentence(lo, hi):
                        continue
                    if scope is not None and not scope.accepts(text, lo, hi):
                        continue
                    return b" ".join(text.tokens[lo : hi + 1]).decode("utf-8", "replace")
        return None


class Lexicon:
    """The words of every keyword of a rule set: what ``TicketText.present`` keeps of a ticket.

    Checking a condition's words against this small per-ticket set is what lets most conditions
    answer "no" with one C-level ``isdisjoint``, however many keywords they list.
    """

    __slots__ = ("words",)

    def __init__(self, keyword_sets: Iterable[KeywordSet], nears: Iterable[Near] = ()) -> None:
        words: set[bytes] = set()
        nears = list(nears)
        for ks in [*keyword_sets, *(n.first for n in nears), *(n.then for n in nears)]:
            for kw in ks.keywords:
                if not kw.wildcard:
                    words.update(kw.words)
        self.words: frozenset[bytes] = frozenset(words)


class TicketText:
    """All text fields of one ticket, normalised in one pass; the ticket-wide view.

    ``present`` is the set of keyword words found anywhere; ``has_phrase`` searches the joined
    tokens for a phrase, once per phrase per ticket. Fields are separated by a token that is
    not a word, so a phrase never spans the end of the subject and the start of the description.
    """

    __slots__ = ("_joined", "_phrases", "present", "squashed", "tokens")

    def __init__(self, squashed: bytes, lexicon: Lexicon) -> None:
        self.squashed = squashed
        self.tokens = squashed.split()
        self.present: frozenset[bytes] = lexicon.words.intersection(self.tokens)
        self._joined: str | None = None
        self._phrases: dict[str, bool] = {}

    def has_phrase(self, needle: str) -> bool:
        known = self._phrases.get(needle)
        if known is None:
            joined = self._joined
            if joined is None:
                joined = self._joined = join_tokens(self.tokens)
            known = self._phrases[needle] = needle in joined
        return known
