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

import copy
import re
import string
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import compress, count
from typing import Any, NamedTuple

from rules import accel
from rules.errors import ConditionError

__all__ = ["Lexicons", "fold", "tokens", "without_characters"]

# A term's word: letters and digits (of any script; Devanagari's vowel signs and virama are marks,
# not letters, yet part of its words; a Thai vowel sign is a word of its own once folded, "ุ" in
# "ก ล ุ ม"), optionally ending in "*".
_TERM_WORD = re.compile(r"^#?(?:[^\W_]|[\u0900-\u097f\u0e00-\u0e7f])+\*?$")
_MIN_STEM = 3
NUMBER = "<number>"  # a term standing for any whole number from 10 up ("42 drivers", "3800 orders")
CODE = "<code>"  # a term standing for a reference: a word of 5+ characters with 4+ digits ("558213", "3s9022114")


_SPECIAL = (("ß", "ss"), ("æ", "ae"), ("œ", "oe"), ("ø", "o"), ("ł", "l"), ("đ", "d"), ("ı", "i"), ("þ", "th"),
            ("ð", "d"), ("\u2013", " "), ("\u2014", " "), ("\u2022", " "), ("\u00b7", " "), ("\u3001", " "),
            ("\u3002", " "))


def _split_table() -> bytes:
    """Punctuation -> space ("#" kept: chat channels, "#incident"); apostrophes are deleted."""
    table = bytearray(range(256))
    for ch in string.punctuation:
        if ch not in "#'":
            table[ord(ch)] = 0x20
    return bytes(table)


_SPLIT = _split_table()
_APOSTROPHE = b"'"


# Scripts whose words are kept (Greek, Cyrillic, Hebrew, Arabic, Devanagari, Korean): they separate
# words with spaces, so a lexicon can list them (the shipped ones have Ukrainian, Russian, Greek,
# Hebrew, Arabic, Hindi and Korean words; Korean's syllables are decomposed into their letters by
# NFKD, in the text and in the terms alike). Chinese, Japanese and Thai write no spaces between
# words: each of their characters (Han, kana, each Thai letter, vowel sign and digit) is kept as a
# word of its own, so a term is the phrase of its characters ("系统" = "系 统", "ระบบ" = "ร ะ บ บ")
# and matches wherever those characters follow one another, as a phrase of words does. (Before,
# they were dropped, so such a ticket was only its numbers and Latin words.) Thai is the block
# U+0E00-U+0E7F, where it sits below Japanese: rules/_accel.c's fast paths compare with U+0E00.
# (rules/_accel.c's kept_script and unspaced_script have the same ranges.)
_UNSPACED_SCRIPTS = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KEPT_SCRIPTS = ("\u0370-\u03ff\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0900-\u097f\u1100-\u11ff\uac00-\ud7af"
                 + _UNSPACED_SCRIPTS)
_OTHER_SCRIPT = re.compile(f"[{_KEPT_SCRIPTS}]")
_UNSPACED = re.compile(f"([{_UNSPACED_SCRIPTS}])")
# A Chinese, Japanese or Thai character in a text as written (half-width katakana too, which NFKD makes
# full-width): ``without_characters`` looks for one before it looks at each word.
_UNSPACED_RAW = re.compile(f"[{_UNSPACED_SCRIPTS}\uff66-\uff9f]")
# Dropped from the kept scripts' words, so either spelling matches: accents (Greek tonos, the
# Cyrillic breve and diaeresis: "й" = "и", "ї" = "і") and Arabic's optional vowel and hamza marks
# ("أ" = "ا"), once NFKD has split them off; Arabic's tatweel (a stretching stroke); the kana's
# voicing marks ("ガ" = "カ", as "é" = "e": a word list need not spell both).
# Thai: its four tone marks (U+0E48-U+0E4B), MAITAIKHU (U+0E47, the short-vowel mark of "เป็น"),
# THANTHAKHAT (U+0E4C, the silencer of "อีเมล์") and YAMAKKAN (U+0E4E) are dropped, as Vietnamese
# tones are: they are what Thai customers most often get wrong or leave out ("คะ" for "ค่ะ", "เปน"
# for "เป็น", "อีเมล" beside "อีเมล์", "แอปพลิเคชั่น" beside "แอปพลิเคชัน"), and a tone mark typed
# before an upper vowel ("ท่ี" for "ที่", which looks the same) is not reordered by NFKD (those
# vowels are of combining class 0), so keeping tones would make one word two. The cost is a few
# words that differ only by tone ("ไม่" not, "ไม้" wood; "ล่ม" crash, "ลม" wind): the Thai terms
# are written long enough not to need them ("ระบบล่ม", not "ล่ม"). The vowel signs (ั ิ ี ึ ื ุ ู)
# are kept: they tell "ล่ม" from the "ลุ่ม" of "กลุ่ม" (group) once the tones are gone. SARA AM
# ("ำ") is what NFKD makes it, NIKHAHIT and SARA AA ("ํา"): kept, both, as separate characters, so
# a text typed with the two ("ทํา") matches a term written with SARA AM ("ทำ"), and "ทำ" (do) stays
# apart from "ทา" (paint) and the "ทา" of "ทาง" (way).
_DROPPED_MARKS = re.compile("[\u0300-\u036f\u064b-\u065f\u0670\u0640\u0e47-\u0e4c\u0e4e\u3099\u309a]")
_NOT_KEPT = re.compile(f"[^\x00-\x7f{_KEPT_SCRIPTS}]")
# The kept scripts' own punctuation separates words: Greek ano teleia and question mark, Arabic
# comma, semicolon, question mark and full stop, Devanagari danda.
_SCRIPT_PUNCTUATION = str.maketrans(dict.fromkeys("\u0387\u037e\u060c\u061b\u061f\u06d4\u066a\u066b\u066c\u0964\u0965",
                                                  " "))


def fold(text: str) -> str:
    """Lower-case and strip accents; ASCII text (most tickets) is just lowered.

    Other text is decomposed (NFKD) and what is not ASCII then dropped: accents go, typographic
    apostrophes and quotes go ("it’s" = "its"). All C-level: a per-character
    table cost ten times as much on a German or French ticket. The result is ASCII, unless the
    text has Greek, Cyrillic, Hebrew, Arabic, Devanagari or Korean letters, or Chinese, Japanese or
    Thai characters: those are kept (``_KEPT_SCRIPTS``), without their accents and optional marks
    (Thai's tone marks among them), each Chinese, Japanese or Thai character as a word of its own,
    and the Latin letters beside them fold exactly as in an all-Latin text.
    """
    low = text.lower()
    if low.isascii():
        return low
    decomposed = _decomposed(low)
    native = accel.native
    if not (native.other_script(decomposed) if native is not None else _OTHER_SCRIPT.search(decomposed)):
        return decomposed.encode("ascii", "ignore").decode("ascii")
    kept = _NOT_KEPT.sub("", _DROPPED_MARKS.sub("", decomposed.translate(_SCRIPT_PUNCTUATION)))
    return _UNSPACED.sub(r" \1 ", kept)


def _decomposed(low: str) -> str:
    """What ``fold`` reads a lower-cased text that is not ASCII as: ``_SPECIAL`` replaced, NFKD.
    Its own function so the C speedups' ``kept_words`` (which does the rest of ``fold`` and the
    split) starts from the very same text."""
    for special, plain in _SPECIAL:
        if special in low:
            low = low.replace(special, plain)
    return unicodedata.normalize("NFKD", low)


def without_characters(words: list[str], texts: Sequence[str]) -> list[str]:
    """``words`` (the tokens of ``texts``) without the Chinese, Japanese and Thai characters, each
    of which is a word of its own (``fold``): for the text and category models, which were trained on
    no such text. Why: counted as words the model knows nothing of, a Chinese ticket's 300
    characters made the model read it as a long text of which it knew a few Latin words, and its
    intercept took −9 to −10 off (before they were words, the ticket was its few Latin words, which
    the model reads as a one-liner or a language it hardly knows). The words unchanged (the same
    list) when no text has such a character; most tickets are ASCII and are not searched."""
    if all(text.isascii() or _UNSPACED_RAW.search(text) is None for text in texts):
        return words
    return [w for w in words if len(w) != 1 or _UNSPACED.match(w) is None]


# The characters the C speedups fold one by one (``_folded_table``): Latin-1, the Latin
# extensions (Polish, Czech, Romanian, Turkish...) and general punctuation (typographic quotes,
# dashes, the ellipsis), which mails in every language use.
_FOLDED_BLOCKS = (range(0x80, 0x250), range(0x2000, 0x2070))


def _folded_table() -> tuple[str | None, ...]:
    """By code point from U+0080: what ``fold`` makes of the character alone (lower case, NFKD,
    ``_SPECIAL``, what is left of it in ASCII), or None where that is not ASCII (µ: a Greek
    letter, which ``fold`` keeps), where it decomposes into an accent first, or outside
    ``_FOLDED_BLOCKS``. ``fold`` of a text of such characters is their pieces one after the
    other: lowering and decomposing are done character by character, and NFKD reorders only
    accents that meet, which none of these pieces' can (none starts with one)."""
    table: list[str | None] = [None] * (_FOLDED_BLOCKS[-1].stop - 0x80)
    for block in _FOLDED_BLOCKS:
        for code in block:
            char = chr(code)
            first = unicodedata.normalize("NFKD", char.lower())[:1]
            piece = fold(char)
            if piece.isascii() and not unicodedata.combining(first) and not unicodedata.combining(char):
                table[code - 0x80] = piece
    return tuple(table)


def tokens(text: str) -> list[str]:
    """Folded word tokens: punctuation separates words, apostrophes vanish ("can't" -> "cant").
    ``bytes.translate`` with a 256-byte table and a ``split``, all in C: a regex tokenizer cost
    four times as much, ``str.translate`` with a mapping twice. The table changes only ASCII
    bytes, so the UTF-8 of a kept script (``fold``) passes through it whole. The C speedups
    (rules/_accel.c) split an ASCII text (most tickets, and most folded ones) in one pass:
    lowering, translating, encoding and decoding it cost more than splitting it; and a text of
    Latin letters with accents (French, German, Polish...) and typographic quotes the same way,
    each such character replaced by what ``fold`` makes of it alone (``_FOLDED``), without
    decomposing the text."""
    native = accel.native
    if native is not None:
        if text.isascii():
            return native.ascii_words(text)
        words = native.folded_words(text, _FOLDED)  # accented Latin, typographic quotes: no NFKD
        if words is not None:
            return words
        # Greek, Cyrillic, Arabic, Chinese, Japanese, Korean...: the rest of fold and the split in
        # one C pass (three regular expressions, one calling Python per Chinese character, cost more)
        return native.kept_words(_decomposed(text.lower()))
    folded = fold(text)
    if native is not None and folded.isascii():
        return native.ascii_words(folded)
    # An ASCII text is its own UTF-8, and the table changes only ASCII bytes: one line for both.
    return folded.encode("utf-8").translate(_SPLIT, _APOSTROPHE).decode("utf-8").split()


_FOLDED = _folded_table()


class _Term(NamedTuple):
    """One term of a concept. A named tuple, so the C speedups (rules/_accel.c) read its fields
    by position, as they read the vocabulary's other tuples."""

    concept: int
    label: str  # as written, for explanations
    words: tuple[str, ...]  # every word; "x*" entries are prefixes
    anchor: int  # the index of the word it is looked up by (its rarest plain word)
    exact: bool  # no wildcard: compared as a tuple


# Words too common to look a phrase up by: a phrase is indexed by one of its other words, so a
# ticket's "the", "our", "is" or "de" costs nothing ("is down" is found at "down").
COMMON_WORDS = frozenset({
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
    return min(plain, key=lambda i: (words[i] in COMMON_WORDS, -len(words[i])))


_CLOCK = re.compile(r"^\d{1,2}h\d{2}$")  # a time of day as French and Portuguese write it: "15h30", "23h47"


def _is_code(token: str) -> bool:
    """A reference rather than a count: 5+ characters, 4+ of them digits ("558213", "bw558213"),
    and not a time of day ("15h30")."""
    return len(token) >= 5 and sum(ch.isdigit() for ch in token) >= 4 and token.isalnum() and not _CLOCK.match(token)


def _word_matches(pattern: str, token: str) -> bool:
    if pattern.endswith("*"):
        return token.startswith(pattern[:-1])
    return token == pattern


def _split_term(term: str, where: str) -> list[str]:
    words = [w.replace("'", "") for w in fold(term).replace("-", " ").split()]
    if not words:
        raise ConditionError(where, "empty term")
    for word in words:
        if word == "*":
            raise ConditionError(where, f"term {term!r}: each Chinese, Japanese or Thai character is a word of "
                                        "its own, so a * after one means nothing")
        if not _TERM_WORD.match(word):
            raise ConditionError(where, f"term {term!r}: words are letters/digits, optionally ending in *")
        if word.endswith("*") and len(word) - 1 < _MIN_STEM:
            raise ConditionError(where, f"term {term!r}: give at least {_MIN_STEM} letters before *")
    return words


# What one word can be, worked out once per distinct word: the one-word terms it is (concept,
# label), and the phrases it anchors: exact ones by the word after the anchor, exact ones ending
# at the anchor by the word before it, and phrases with a wildcard (checked word by word); None
# where it anchors none. A plain tuple: the scan unpacks it in one step. A word that is none of
# these is cached as None.
_Found = tuple[tuple[tuple[int, str], ...], "dict[str, tuple[_Term, ...]] | None",
               "dict[str, tuple[_Term, ...]] | None", "tuple[_Term, ...] | None"]


class _Vocabulary(dict[str, "_Found | None"]):
    """The cache of what each word is: ``None`` for a word that is no term and anchors no
    phrase (most of them). A word not seen before is worked out on first lookup
    (``__missing__``), so one C-level ``map`` over a ticket's words both looks them up and
    learns the new ones. Bounded: a flood of random words cannot grow it forever."""

    __slots__ = ("lexicons",)

    LIMIT = 200_000

    def __init__(self, lexicons: Lexicons) -> None:
        super().__init__()
        self.lexicons = lexicons

    def __missing__(self, word: str) -> _Found | None:
        if len(self) >= self.LIMIT:
            self.clear()
        found = self[word] = self.lexicons._terms_for(word)
        return found


class Lexicons(accel.VocabularyReader):
    """Compiled concepts: ``scan(tokens)`` says where each concept's terms occur. The C scan
    reads a word's entry (``packer``) through the vocabulary it shares with the text and
    category models (``share``, by the Scorer), else through its own (``table``)."""

    WORDS_LIMIT = _Vocabulary.LIMIT

    def __init__(self, concepts: Mapping[str, Iterable[str]]) -> None:
        super().__init__()
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
        self._cache = _Vocabulary(self)
        self._lookup = self._cache.__getitem__

    def unshared(self) -> Lexicons:
        """The same lexicons with a vocabulary of their own (made on the first C scan): a
        scorer without the models keeps no table that holds on to them."""
        other = copy.copy(self)
        other._words = None
        return other

    def packer(self, native: Any) -> Callable[[str], Any]:
        """What makes a word's entry for the C speedups' vocabulary: ``_terms_for``'s, packed
        in one block (``rules._accel.entry``). Why: the scan followed the tuple to its singles
        to each (concept, label) and into a dict per side, a likely cache miss each, for about
        four in ten of a ticket's words (rules/_accel.c, Entry)."""
        terms_for, pack = self._terms_for, native.entry

        def packed(token: str) -> Any:
            return pack(terms_for(token))
        return packed

    def _terms_for(self, token: str) -> _Found | None:
        """What ``token`` can be: one-word terms (concept, label) and the phrases it anchors;
        ``None`` when it is none of them."""
        if not token:
            return None  # the padding after a field's last word
        found: list[_Term] = list(self._exact.get(token, ()))
        prefix = self._prefix
        for n in self._stem_lengths:
            if n > len(token):
                break
            more = prefix.get(token[:n])
            if more:
                found.extend(more)
        # A wildcard term is explained by the ticket's own word ("failing", not "fail*").
        singles = tuple((t.concept, t.label if t.exact else token) for t in found if len(t.words) == 1)
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
        if not (singles or right or left or loose):
            return None
        return (singles, {k: tuple(v) for k, v in right.items()} or None,
                {k: tuple(v) for k, v in left.items()} or None, tuple(loose) or None)

    def scan(self, toks: list[str], offset: int, found: dict[int, list[tuple[int, str]]]) -> None:
        """Add where each concept occurs in ``toks`` to ``found``: concept id -> [(offset +
        position, term label)], in the order of the words (a phrase at its anchor word).

        ``toks`` ends with one empty string (padding, so the word after the last one and,
        through index -1, the word before the first one are never a term's). One C-level
        ``map`` looks every word up in the vocabulary cache and ``compress`` picks the ones
        that are a term or anchor a phrase; only those are visited in Python. A phrase is
        looked up by its rarest word and confirmed around it, so common words ("the", "is",
        "not") cost nothing by themselves. The C speedups (rules/_accel.c) run this very loop
        where they are built."""
        native = accel.native
        if native is not None:
            vocabulary, column = self.table(native)
            native.concept_scan(vocabulary, toks, offset, found, column)
            return
        infos = list(map(self._lookup, toks))
        get = found.get
        for i in compress(count(), infos):
            singles, right, left, loose = infos[i]
            for concept, label in singles:
                at = get(concept)
                if at is None:
                    found[concept] = [(offset + i, label)]
                else:
                    at.append((offset + i, label))
            # Only phrases whose word beside the anchor is the ticket's word there can match.
            if right is not None:
                terms = right.get(toks[i + 1])
                if terms is not None:
                    _confirm(terms, toks, i, offset, found)
            if left is not None:
                terms = left.get(toks[i - 1])
                if terms is not None:
                    _confirm(terms, toks, i, offset, found)
            if loose is not None:
                _confirm(loose, toks, i, offset, found)

    def hits(self, toks: list[str]) -> dict[int, list[tuple[int, str]]]:
        """Where each concept occurs in ``toks`` (positions from 0): concept id -> [(position,
        term label)]."""
        found: dict[int, list[tuple[int, str]]] = {}
        self.scan([*toks, ""], 0, found)
        return found


def _confirm(terms: tuple[_Term, ...], toks: list[str], i: int, offset: int,
             found: dict[int, list[tuple[int, str]]]) -> None:
    """Add the phrases among ``terms`` (anchored at ``toks[i]``) that ``toks`` holds there."""
    for term in terms:
        words = term.words
        start = i - term.anchor
        if start < 0:
            continue
        if term.exact:
            if len(words) > 2 and tuple(toks[start:start + len(words)]) != words:
                continue
            label = term.label
        elif _all_match(words, toks, start):
            label = " ".join(toks[start:start + len(words)])  # the ticket's words, not the pattern
        else:
            continue
        at = found.get(term.concept)
        if at is None:
            found[term.concept] = [(offset + start, label)]
        else:
            at.append((offset + start, label))


def _all_match(words: tuple[str, ...], toks: list[str], start: int) -> bool:
    """Whether a phrase with a wildcard matches ``toks`` from ``start`` (the padding ends it)."""
    end = len(toks) - 1
    for k, pattern in enumerate(words):
        at = start + k
        if at >= end:
            return False
        token = toks[at]
        if pattern[-1] == "*":
            if not token.startswith(pattern[:-1]):
                return False
        elif token != pattern:
            return False
    return True
