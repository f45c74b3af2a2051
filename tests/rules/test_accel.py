"""The C speedups (rules/_accel.c) decide exactly as the Python code they stand in for.

The Python code is the reference, and what runs where the module is not built; these tests
switch the C code off (``rules.accel.native = None``) and compare, on every labelled ticket:
whole decisions (score, tier, category, signals and cited words), the models' sums and citing
ranks, and the concept hits. They also check the module is built where a C compiler is (``make``
builds it; a silently failed build would halve the speed and nothing else would show it), and
that a table of the wrong shape raises instead of crashing the worker.
"""

from __future__ import annotations

import functools
import random
import shutil
from collections.abc import Callable
from dataclasses import replace

import pytest

from middleware.cli.rules_eval import EvalItem
from rules import RuleSet, accel, scoring, text_model
from rules.concepts import _FOLDED, _OTHER_SCRIPT, Lexicons, _Vocabulary, tokens
from rules.engine import ticket_texts
from rules.scoring import model_text
from rules.text_model import model_words

native = accel.native
needs_native = pytest.mark.skipif(native is None, reason="rules/_accel.c is not built (no C compiler)")




def test_the_speedups_are_built_where_there_is_a_c_compiler() -> None:
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler: the rules run on their Python code")
    assert native is not None, "rules/_accel.c is not built: run `make accel` (python setup.py build_ext --inplace)"
    assert accel.status().startswith("C speedups on")


@needs_native
def test_c_and_python_decide_alike_on_every_labelled_ticket(shipped: RuleSet, labelled: list[EvalItem],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    tickets = [item.ticket for item in labelled]
    fast = [shipped.evaluate(t) for t in tickets]
    monkeypatch.setattr(accel, "native", None)
    assert accel.status().startswith("C speedups off")
    plain = [shipped.evaluate(t) for t in tickets]
    differ = [t.id for t, a, b in zip(tickets, fast, plain, strict=True) if a != b]
    assert not differ, f"{len(differ)} of {len(tickets)} decisions differ, e.g. ticket {differ[0]}"
    assert sum(d.critical for d in fast) > 1000 and sum(d.possible for d in fast) > 10  # a real mix was compared


@needs_native
def test_models_log_odds_alike_to_the_last_bit(shipped: RuleSet, labelled: list[EvalItem],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """linear_logits (rules/_accel.c) reads a ticket's words as LinearTextModel.read does and makes
    the sums into log-odds as LinearTextModel.values does, bit for bit (a threshold or a category
    can turn on the last bit), for both models, with the same cited ranks and counts."""
    assert shipped.scorer is not None and shipped.scorer.model is not None and shipped.scorer.categories is not None
    models = (shipped.scorer.model.model.linear, shipped.scorer.categories.model.linear)
    texts = [model_words(model_text(ticket_texts(item.ticket))) for item in labelled[::3]]
    texts += [[], ["zz-never-seen"], ["the", "the", "the"]]  # nothing known, one unknown word, repeats
    fast = [[m.logits(words) for m in models] for words in texts]
    monkeypatch.setattr(accel, "native", None)
    plain = [[m.logits(words) for m in models] for words in texts]
    assert fast == plain
    assert len({round(both[0][0][0], 6) for both in fast}) > 1000  # many distinct values compared
    assert sum(bool(both[0][1]) for both in fast) > 100  # the text model cited words on many tickets
    assert fast[-3][0][0] == [models[0].intercepts[0]]  # no words: the intercept


@needs_native
def test_model_signals_alike(shipped: RuleSet, labelled: list[EvalItem], monkeypatch: pytest.MonkeyPatch) -> None:
    """model_signal (rules/_accel.c) weighs a reading as ModelSignal.hit_words does (its wording,
    weight and cited words), with the shipped signal and with signals whose caps, shortness and
    bars move the edges (a capped weight, a one-liner, a language it hardly knows with and
    without ``unread``); and a signal with an int among its numbers keeps to the Python code."""
    assert native is not None and shipped.scorer is not None and shipped.scorer.model is not None
    scorer, shipped_signal = shipped.scorer, shipped.scorer.model
    signals = [shipped_signal, replace(shipped_signal, max_up=0.5, max_down=1.5),
               replace(shipped_signal, min_words=60, unread=0.0), replace(shipped_signal, min_words=40, short=1.0),
               replace(shipped_signal, weight=0.01)]
    assert all(s.plan is not None for s in signals) and replace(shipped_signal, max_up=8).plan is None
    views = [scorer.view(ticket_texts(item.ticket), item.ticket.custom_fields) for item in labelled[::5]]
    counted = [scoring._model_words(v.texts, v.words) for v in views]
    counted += [([], 0), (["zz-never-seen"] * 20, 20), (["the"] * 30, 30), (["orders"], 40)]
    fast = [s.hit_words(*c) for s in signals for c in counted] + [s.hit_words(c[0]) for s in signals[:1]
                                                                   for c in counted]
    monkeypatch.setattr(accel, "native", None)
    plain = [s.hit_words(*c) for s in signals for c in counted] + [s.hit_words(c[0]) for s in signals[:1]
                                                                    for c in counted]
    assert fast == plain
    weights = {h.weight for h in fast if h is not None}
    assert len(weights) > 100 and {0.5, -1.5, -shipped_signal.unread} <= weights  # capped, and unread
    assert sum(h is None for h in fast) > 100 and sum(bool(h.words) for h in fast if h is not None) > 500


@needs_native
def test_model_log_odds_alike_even_when_the_lexicon_is_emptied_mid_ticket(shipped: RuleSet,
                                                                          labelled: list[EvalItem],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Each distinct word is looked up once, so a vocabulary that empties itself while the C code
    reads a ticket (and learns a word again) changes nothing."""
    assert native is not None and shipped.scorer is not None and shipped.scorer.model is not None
    linear = shipped.scorer.model.model.linear
    monkeypatch.setattr(text_model, "_LEXICON_BOUND", 7)  # emptied every few new words, mid-ticket
    linear._lexicon.clear()  # (they refill as ever once the test is over)
    words = native.Vocabulary((linear.packer(native),), 7)
    monkeypatch.setattr(linear, "_words", (words, 0))  # (the shared one comes back after the test)
    texts = [model_words(model_text(ticket_texts(item.ticket))) for item in labelled[1::40]]
    fast = [linear.logits(words) for words in texts]
    assert 0 < len(words) <= 7
    monkeypatch.setattr(accel, "native", None)
    plain = [linear.logits(words) for words in texts]
    assert fast == plain


@needs_native
@pytest.mark.parametrize("packed", [True, False], ids=["packed entries", "entry tuples"])
def test_concept_hits_alike_even_when_the_cache_is_emptied_mid_scan(shipped: RuleSet, labelled: list[EvalItem],
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    packed: bool) -> None:
    """The scan reads a word's entry packed (``Lexicons.packer``, rules/_accel.c's Entry) or as
    ``_terms_for``'s tuple, and finds the same either way."""
    assert native is not None and shipped.scorer is not None
    lexicons = shipped.scorer.lexicons
    monkeypatch.setattr(_Vocabulary, "LIMIT", 7)  # emptied every few new words, mid-ticket
    lexicons._cache.clear()  # (it refills as ever once the test is over)
    words = native.Vocabulary((lexicons.packer(native) if packed else lexicons._terms_for,), 7)
    monkeypatch.setattr(lexicons, "_words", (words, 0))  # (the shared one comes back after the test)
    fields = [f for item in labelled[::5] for f in ticket_texts(item.ticket).values() if f]
    fast = [lexicons.hits(tokens(f)) for f in fields]
    assert 0 < len(words) <= 7
    monkeypatch.setattr(accel, "native", None)
    plain = [lexicons.hits(tokens(f)) for f in fields]
    assert fast == plain
    assert sum(map(len, fast)) > 1000


@needs_native
def test_decisions_alike_with_a_shared_vocabulary_emptied_mid_ticket(shipped: RuleSet, labelled: list[EvalItem],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The concept scan and both models read one vocabulary (Scorer._share_words); emptied
    every few new words, while one reader's word is worked out and another's is kept, it
    decides as the Python code with its own three tables."""
    scorer = shipped.scorer
    assert scorer is not None and scorer.model is not None and scorer.categories is not None
    shared = scorer.lexicons._words
    assert shared is not None and shared[0] is scorer.model.model.linear._words[0]  # one table for the three
    assert [shared[1], scorer.model.model.linear._words[1], scorer.categories.model.linear._words[1]] == [0, 1, 2]
    tickets = [item.ticket for item in labelled[::7]]
    monkeypatch.setattr(scoring, "_SHARED_WORDS", 7)
    try:
        scorer._share_words()
        small = scorer.lexicons._words
        assert small is not None and small[0] is not shared[0]
        fast = [shipped.evaluate(t) for t in tickets]
        assert 0 < len(small[0]) <= 7
    finally:
        monkeypatch.undo()
        scorer._share_words()
    monkeypatch.setattr(accel, "native", None)
    plain = [shipped.evaluate(t) for t in tickets]
    assert fast == plain
    assert sum(d.critical for d in fast) > 100


@needs_native
def test_the_vocabulary_works_out_a_word_once_per_column() -> None:
    assert native is not None
    made: list[tuple[str, str]] = []

    def maker(column: str) -> Callable[[str], str]:
        def make(word: str) -> str:
            made.append((column, word))
            return column + word
        return make

    words = native.Vocabulary((maker("a"), maker("b")), 3)
    assert [words.get("x", 0), words.get("x", 0), words.get("x", 1), words.get("x" * 40, 1)] == ["ax", "ax", "bx",
                                                                                                  "b" + "x" * 40]
    assert words.get("é", 0) == "aé" and words.get("é", 0) == "aé"  # keys compared through their objects
    assert made == [("a", "x"), ("b", "x"), ("b", "x" * 40), ("a", "é")] and len(words) == 3
    words.get("y", 0)  # the fourth word: emptied first
    assert len(words) == 1
    words.clear()
    assert len(words) == 0
    with pytest.raises(ValueError):
        words.get("x", 2)  # no such column
    with pytest.raises(TypeError):
        words.get(1, 0)  # words: str
    with pytest.raises(TypeError):
        native.Vocabulary((1,), 3)  # makers: callables
    with pytest.raises(ValueError):
        native.Vocabulary((), 3)
    with pytest.raises(TypeError):
        native.concept_scan({}, ["a", ""], 0, {}, 1)  # a dict has no columns
    with pytest.raises(ValueError):
        native.linear_logits(["a"], words, 1, (), 2)
    with pytest.raises(ValueError):
        native.concept_scan(words, ["a", 1], 0, {}, 2)


@needs_native
def test_words_split_alike(labelled: list[EvalItem], monkeypatch: pytest.MonkeyPatch) -> None:
    """The C split of a text (every character it folds one by one, alone and among others and
    accents, scripts and emoji it leaves to fold; every labelled ticket's fields) gives the very
    tokens the Python code gives, and the C test for a kept script answers as the regex does,
    for every character."""
    assert native is not None
    every = "".join(map(chr, [*range(0x250), *range(0x2000, 0x2070)])) + "\u0301\u0308αβγжй\u05d0\u0627😀\u3002"
    texts = [every, every[::-1], every[:128], "Can't-log in!!  #incident O'Brien's", "", "Straße µ-Wert ½ Æble",
             *every, *(every[i:i + 7] for i in range(0, 256, 3)), *(c + "a\u0301b" + c for c in every)]
    rand = random.Random(12)
    texts += ["".join(rand.choice(every + "  ") for _ in range(rand.randint(1, 40))) for _ in range(3000)]
    texts += ["".join(rand.choice(every[:0x250] + "  ") for _ in range(rand.randint(1, 40))) for _ in range(3000)]
    texts += [f for item in labelled for f in ticket_texts(item.ticket).values() if f]
    fast = [tokens(t) for t in texts]
    monkeypatch.setattr(accel, "native", None)
    plain = [tokens(t) for t in texts]
    assert fast == plain
    one_by_one = [t for t in texts if not t.isascii() and native.folded_words(t, _FOLDED) is not None]
    assert sum(t.isascii() for t in texts) > 1000 and len(one_by_one) > 3000 and len(texts) - len(one_by_one) > 4000
    with pytest.raises(ValueError):
        native.ascii_words("é")
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    assert [native.other_script("a" + c) for c in chars] == [_OTHER_SCRIPT.search("a" + c) is not None for c in chars]
    assert native.other_script("\u00e9t\u00e9") is False


@needs_native
def test_kept_scripts_split_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """kept_words (rules/_accel.c), the rest of fold and the split in one pass for a text in a
    script fold keeps, gives the tokens the Python fold and split give: Greek, Cyrillic, Hebrew,
    Arabic with its optional marks and tatweel, Devanagari, Korean, Chinese, Japanese and Thai (each
    character a word, kana voicing marks and Thai tone marks dropped, half-width katakana), the
    scripts' punctuation,
    Latin letters, accents and apostrophes beside them, and random mixes of all of these."""
    assert native is not None
    scripts = ("".join(map(chr, [*range(0x370, 0x500), *range(0x590, 0x700), *range(0x900, 0x980),
                                 *range(0xe00, 0xe80), *range(0x1100, 0x1200), *range(0x3040, 0x3100),
                                 *range(0x4e00, 0x4e40),
                                 *range(0xac00, 0xac40), *range(0xf900, 0xf908), *range(0xff61, 0xffa0)]))
               + "\u0301\u0308\u3099\u309a\u0640\u064b\u0670\u3001\u3002\u00b7\u2013")
    latin = "abcXYZ éèüßæø'’-.,!?#0123  \t\n"
    texts = ["Η πλατφόρμα δεν λειτουργεί; όλες οι παραγγελίες", "Заказы не отображаются, всё «пусто»",
             "الطلبات لا تظهر؟ أُرسِلت", "系统无法登录，所有订单都不见了", "ログインできません。ガイドを見ました",
             "ｶﾞｲﾄﾞ ﾛｸﾞｲﾝ", "주문이 보이지 않습니다", "आदेश नहीं दिख रहे।", "O'Brien's Σύστημα's 系统's",
             "Straße ΣΥΣΤΗΜΑ Ünïcödé 株式会社 ㈱", "ระบบล่มครับ ทํางานไม่ได้ ท่ีอยู่ อีเมล์ เปน label ๑๒", *scripts]
    rand = random.Random(7)
    texts += ["".join(rand.choice(scripts + latin) for _ in range(rand.randint(1, 50))) for _ in range(5000)]
    fast = [tokens(t) for t in texts]
    assert sum(native.folded_words(t, _FOLDED) is None for t in texts) > 4000  # the kept_words path ran
    monkeypatch.setattr(accel, "native", None)
    plain = [tokens(t) for t in texts]
    assert fast == plain
    assert fast[3][:3] == ["系", "统", "无"] and fast[5][:3] == ["カ", "イ", "ト"]  # each a word, voicing dropped
    assert fast[10][:7] == [*"ระบบลมค"]  # Thai: each a word, tone marks dropped


@needs_native
def test_model_words_alike(shipped: RuleSet, labelled: list[EvalItem], monkeypatch: pytest.MonkeyPatch) -> None:
    """model_words (rules/_accel.c) makes the words the models read and the text's length as
    scoring._model_words does from a view's words: every labelled ticket, Chinese and Japanese
    characters (as written, in half-width katakana, or only made by NFKD, which are kept), a
    missing and a None field; and leaves a text longer than the models read to the Python code."""
    scorer = shipped.scorer
    assert native is not None and scorer is not None
    texts = [ticket_texts(item.ticket) for item in labelled]
    # four bytes a character, and two
    texts += [{"subject": "😀 orders 系统"}, {"subject": "😀 orders", "comment": "“blank” ㈲"}, {"subject": "😀 ล่ม"}]
    texts += [{"subject": "ระบบล่ม", "description": "orders ใช้ไม่ได้"}, {"comment": "label ไม่ออก ๑๒"}]
    texts += [{"subject": "系统 down", "description": "所有订单 all orders", "comment": ""},
              {"subject": "ｶﾞｲﾄﾞ login", "description": None}, {"description": "㈱ orders ㍿ blank 株"},
              {"subject": "Ελλάδα é", "comment": "x"}, {}, {"subject": "a " * (scoring.MAX_CHARS // 2)}]
    views = [scorer.view(t) for t in texts]
    fast = [scoring._model_words(v.texts, v.words) for v in views]
    limit = scoring.MAX_CHARS
    assert native.model_words([["a", "b", ""]], {"subject": "a b"}, scoring.FIELDS, limit) == (["a", "b"], 2)
    assert native.model_words([["a", ""]], {"subject": "a" * 10}, scoring.FIELDS, 11) is None  # 10 + 2 line breaks
    monkeypatch.setattr(accel, "native", None)
    plain = [scoring._model_words(v.texts, v.words) for v in views]
    assert fast == plain
    assert fast[-6][0] == ["down", "all", "orders"] and fast[-6][1] > 3
    filtered = [r[0] != [w for f in v.words or () for w in f[:-1]] for r, v in zip(fast, views, strict=True)]
    assert sum(filtered) >= 3  # characters left out for the models
    thai = [scoring._model_words(v.texts, v.words) for v in views[len(texts) - 8:len(texts) - 6]]
    assert thai == fast[len(texts) - 8:len(texts) - 6] == [(["orders"], 13), (["label"], 8)]  # Thai unread


@needs_native
def test_votes_alike(shipped: RuleSet, labelled: list[EvalItem]) -> None:
    """vote (rules/_accel.c) chooses the category scoring._vote does, with security's votes:
    every labelled ticket's hits, and made-up ones: ties in and out of the order, an admin's own
    categories (the least by name), security at exactly half the best and just under, no votes,
    weights of 0 and below, a None and an empty category; and leaves to the Python code the
    hits it does not read (an int weight, a category that is no str, seventeen categories)."""
    assert native is not None and shipped.scorer is not None
    scorer = shipped.scorer
    lists = [list(scorer.score(ticket_texts(item.ticket), staff=False, via=None).hits) for item in labelled]

    def hit(weight: float, category: str | None) -> scoring.SignalHit:
        return scoring.SignalHit("s", "s", weight, category, ())

    lists += [[hit(3.0, "outage"), hit(3.0, "monitoring")], [hit(2.0, "zeta"), hit(2.0, "alpha"), hit(1.0, "outage")],
              [hit(4.0, "outage"), hit(2.0, "security")], [hit(4.0, "outage"), hit(1.999, "security")],
              [], [hit(0.0, "outage"), hit(-3.0, "security")], [hit(5.0, None), hit(2.0, ""), hit(1.0, "beta")],
              [hit(1.5, "outage"), hit(1.5, "outage"), hit(2.9, "staff_report"), hit(0.1, "x")]]
    rand = random.Random(3)
    names = ["security", "monitoring", "staff_report", "outage", "billing", "alpha", None, ""]
    lists += [[hit(rand.choice([-2.0, 0.0, 0.5, 1.0, 2.5, 4.0]), rand.choice(names)) for _ in range(rand.randint(0, 9))]
              for _ in range(3000)]
    fast = [native.vote(hits, scoring.CATEGORY_ORDER, scoring.SECURITY) for hits in lists]
    assert fast == [scoring._vote(hits) for hits in lists]
    assert sum(f[0] is not None for f in fast) > 1000 and {f[0] for f in fast} > {"alpha", "security", "outage"}
    for odd in ([hit(2, "outage")], [hit(2.0, 7)], [hit(1.0, f"c{i}") for i in range(17)]):  # type: ignore[arg-type]
        assert native.vote(odd, scoring.CATEGORY_ORDER, scoring.SECURITY) is None


@needs_native
def test_phrases_confirmed_alike_in_any_script(monkeypatch: pytest.MonkeyPatch) -> None:
    """The C confirm of phrases (three words, wildcards, a wildcard stem of one string kind
    against a word of another, a phrase cut short by the end of a field) finds what _confirm does."""
    lexicons = Lexicons({"c": ["sehr lange phrase hier", "abc* def", "abe* wort*", "xxa* yyb* zzc*", "fail* ho",
                               "kyiv* nom*"],
                         "d": ["bad thing happened", "ελλην* κειμ*", "straße* gesperrt"]})
    fields = ["sehr lange phrase hier und sehr lange phrase", "abcй def abcd def abc", "abé worter abex wort",
              "xxa1 yyb2 zzc3 xxa yyb", "failing ho fail", "kyivstar nomer kyiv", "ελληνικά κειμενο ελλην",
              "strassen gesperrt strasse", "bad thing happened bad thing", "lange phrase hier"]
    fast = [lexicons.hits(tokens(f)) for f in fields]
    monkeypatch.setattr(accel, "native", None)
    plain = [lexicons.hits(tokens(f)) for f in fields]
    assert fast == plain
    assert sum(map(len, fast)) >= 9


@needs_native
def test_views_alike_on_every_labelled_ticket(shipped: RuleSet, labelled: list[EvalItem],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """scan_fields (rules/_accel.c) makes the view the Python loop of Scorer.view does: the
    concept hits in the same order, each field's span and words, for every labelled ticket
    and a few made-up ones (a missing, an empty and a None field; Greek, which tokens folds)."""
    scorer = shipped.scorer
    assert scorer is not None
    texts = [ticket_texts(item.ticket) for item in labelled]
    texts += [{"subject": "Alle Lieferscheine leer", "comment": None}, {"description": ""},
              {"subject": "", "description": "Η πλατφόρμα δεν λειτουργεί, όλες οι παραγγελίες", "comment": "down"}]

    def seen(view: scoring.TicketView) -> tuple[object, ...]:
        return ({c: list(at) for c, at in view.found.items()}, list(view.found), view.spans, view.words)

    fast = [seen(scorer.view(t)) for t in texts]
    # a word is the vocabulary's key where it holds it, else a new str with its hash set in C:
    # the hash a str of that text has, or every dict would miss it
    assert all(hash(w) == hash(w.encode().decode()) for view in fast for field in view[3] for w in field)
    monkeypatch.setattr(accel, "native", None)
    plain = [seen(scorer.view(t)) for t in texts]
    assert fast == plain
    assert sum(bool(f[0]) for f in fast) > len(texts) // 2
    assert fast[-1][2] == {"description": (0, 7), "comment": (71, 72)}  # a field's words, then FIELD_GAP


@needs_native
def test_views_alike_with_more_concepts_than_the_scan_keeps_lists_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """scan_fields keeps the lists of the first 256 concepts at hand (rules/_accel.c, HitLists)
    and looks any other up in the dict: with 300 concepts (one-word terms and phrases of each),
    the hits of both kinds come in the same order as the Python loop's."""
    lexicons = Lexicons({f"c{i}": [f"w{i}", f"v{i} x{i % 7}"] for i in range(300)})
    scorer = scoring.Scorer(lexicons, [], 5.0, 3.0)
    rand = random.Random(9)

    def text() -> str:
        return " ".join(rand.choice([f"w{rand.randrange(300)}", f"v{rand.randrange(300)}", f"x{rand.randrange(7)}",
                                     "é", "zz"]) for _ in range(rand.randint(0, 60)))

    texts = [{"subject": text(), "description": text(), "comment": text()} for _ in range(300)]

    def seen(view: scoring.TicketView) -> tuple[object, ...]:
        return ({c: list(at) for c, at in view.found.items()}, list(view.found), view.spans, view.words)

    fast = [seen(scorer.view(t)) for t in texts]
    monkeypatch.setattr(accel, "native", None)
    plain = [seen(scorer.view(t)) for t in texts]
    assert fast == plain
    concepts = {c for view in fast for c in view[1]}
    assert min(concepts) < 256 <= max(concepts) and sum(len(v[1]) for v in fast) > 5000


def test_a_view_of_malformed_fields_raises() -> None:
    if native is None:
        pytest.skip("rules/_accel.c is not built")
    vocabulary = {"a": None, "": None}
    with pytest.raises(TypeError):
        native.scan_fields({"subject": 3}, ("subject",), 64, vocabulary, 0, tokens, _FOLDED)  # a text: a str
    with pytest.raises(TypeError):  # Greek: for tokens, which must give a list
        native.scan_fields({"subject": "\u03b1"}, ("subject",), 64, vocabulary, 0, lambda text: ("a",), _FOLDED)
    with pytest.raises(TypeError):
        native.scan_fields({"subject": "A a"}, ("subject",), 64, vocabulary, 0, tokens, ["not a tuple"])
    assert native.scan_fields({"subject": "A a"}, ("subject", "comment"), 64, vocabulary, 0, tokens, _FOLDED) == (
        {}, {"subject": (0, 2)}, [["a", "a", ""]])
    # accented Latin split in C, not by tokens
    latin = {"cafe": None, "ete": None, "": None}
    assert native.scan_fields({"subject": "Caf\u00e9 \u00e9t\u00e9"}, ("subject",), 64, latin, 0, lambda text: 1 / 0,
                              _FOLDED) == ({}, {"subject": (0, 2)}, [["cafe", "ete", ""]])


@needs_native
def test_signals_gated_alike(shipped: RuleSet, labelled: list[EvalItem], monkeypatch: pytest.MonkeyPatch) -> None:
    """The C gate (rules/_accel.c, gate) picks the very signals the Python one does, for both
    readings of the requester, on every labelled ticket."""
    scorer = shipped.scorer
    assert scorer is not None
    views = [scorer.view(ticket_texts(item.ticket), item.ticket.custom_fields) for item in labelled]
    fast = [scorer.gate(view, staff) for view in views for staff in (False, True)]
    monkeypatch.setattr(accel, "native", None)
    plain = [scorer.gate(view, staff) for view in views for staff in (False, True)]
    assert fast == plain
    assert sum(map(len, fast)) > 2 * len(fast) and fast.count([]) > 10  # signals gated in and out


def _checked_in_python(scorer: scoring.Scorer, view: scoring.TicketView, staff: bool,
                       via: str | None) -> list[object]:
    """What gate_check lists, worked out by the Python gate and compiled checks: each gated
    signal's number where it has no plan, (number, words) where its check shows it."""
    out: list[object] = []
    for k in scorer.gate(view, staff):
        if scorer._plans[k] is None:
            out.append(k)
        else:
            words = scorer._checks[k](view, staff, via)
            if words is not None:
                out.append((k, words))
    return out


@needs_native
def test_plain_checks_alike_on_every_labelled_ticket(shipped: RuleSet, labelled: list[EvalItem],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The C gate's plain checks (rules/_accel.c, gate_check) give the words the Python
    closures do (scoring._compile_check), for both requesters and several channels."""
    assert native is not None
    scorer = shipped.scorer
    assert scorer is not None
    assert sum(plan is not None for plan in scorer._plans) > len(scorer.signals) // 2
    views = [scorer.view(ticket_texts(item.ticket), item.ticket.custom_fields) for item in labelled]
    cases = [(view, staff, via) for view in views for staff in (False, True) for via in (None, "", "email", "web")]
    fast = [native.gate_check(view.found, *scorer._gate_tables[staff], scorer._plans, staff, via, view.spans)
            for view, staff, via in cases]
    monkeypatch.setattr(accel, "native", None)
    plain = [_checked_in_python(scorer, view, staff, via) for view, staff, via in cases]
    assert fast == plain
    assert sum(isinstance(item, tuple) for items in fast for item in items) > len(cases)  # plain signals shown


@needs_native
def test_signal_hits_alike_on_every_labelled_ticket(shipped: RuleSet, labelled: list[EvalItem],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """signal_hits (rules/_accel.c) gives the hits Scorer._signal_hits does, after a rule's hit
    (``extra``), for both requesters and several channels, and their weights' sum as sum() adds
    them (an int 0 without hits); a weight that is no float is left to the Python code."""
    assert native is not None
    scorer = shipped.scorer
    assert scorer is not None and scorer._hit_tables is not None
    rule = scoring.SignalHit("rule:x", 'rule "x"', 2.0, "outage", ("x",))
    views = [scorer.view(ticket_texts(item.ticket), item.ticket.custom_fields) for item in labelled]
    cases = [(view, staff, via, extra) for view in views for staff in (False, True) for via in (None, "email", "web")
             for extra in ((), (rule,))]

    def fast(view: scoring.TicketView, staff: bool, via: str | None,
             extra: tuple[scoring.SignalHit, ...]) -> tuple[object, ...]:
        return native.signal_hits(view.found, scorer._hit_tables[staff], via, view.spans, scorer._hits,
                                  scorer._make_hit, scorer._checks, view, extra)

    got = [fast(*case) for case in cases]
    monkeypatch.setattr(accel, "native", None)
    plain = [scorer._signal_hits(view, staff, via, extra) for view, staff, via, extra in cases]
    assert [hits for hits, _ in got] == plain
    sums = [sum(h.weight for h in hits) for hits in plain]
    assert [total for _, total in got] == sums and [type(t) for _, t in got] == [type(t) for t in sums]
    assert sum(map(len, plain)) > 2 * len(plain) and [] in plain  # signals shown, and tickets with none
    odd = scoring.SignalHit("rule:y", 'rule "y"', 2, None, ())  # type: ignore[arg-type]
    view, staff, via, _ = cases[0]
    assert fast(view, staff, via, (odd,))[1] is None


@needs_native
def test_plain_checks_alike_on_made_up_signals_and_tickets() -> None:
    """Every part of a C check (any, all, near with within, absent, requires_any, via,
    requester, negated words skipped, chosen fields, concepts the subject has or lacks,
    repeated words dropped) against the Python closure (or ``Scorer._shows`` for the others,
    concept 5 the negation), on random signals, concept hits and fields' spans (a field
    missing, or empty) where a hand-written rule set would leave corners untried."""
    assert native is not None
    rng = random.Random(5)
    words = ["a", "b", "c", "d", "e"]

    def ids(most: int) -> tuple[int, ...]:
        return tuple(rng.sample(range(6), rng.randint(0, most)))

    signals = []
    for n in range(400):
        near = tuple(rng.sample(range(6), 2)) if rng.random() < 0.5 else None
        any_of, all_of = ids(3), ids(2)
        if not (any_of or all_of or near):
            any_of = (0,)
        signals.append(scoring.Signal(
            name=f"s{n}", says="x", weight=1.0, category=None, any_of=any_of, all_of=all_of, near=near,  # type: ignore[arg-type]
            within=rng.randint(1, 8), absent=ids(2) if rng.random() < 0.3 else (),
            requires_any=ids(3) if rng.random() < 0.3 else (), via=("email", "web") if rng.random() < 0.2 else (),
            requester=rng.choice([None, None, scoring.STAFF, scoring.CUSTOMER]), skip_negated=rng.random() < 0.4,
            fields=_some_fields(rng), subject_has=ids(2) if rng.random() < 0.2 else (),
            subject_lacks=ids(2) if rng.random() < 0.2 else ()))
    plans = tuple(scoring._plain_plan(s, 5) for s in signals)
    shows = scoring.Scorer.__new__(scoring.Scorer)  # only what _shows reads: the negation concept
    shows._negation = 5
    checks = [scoring._compile_check(s) or functools.partial(shows._shows, s) for s in signals]
    assert sum(s.skip_negated for s in signals) > 100
    assert sum(s.fields is not scoring.FIELDS for s in signals) > 100
    assert sum(bool(s.subject_has) for s in signals) > 40 and sum(bool(s.subject_lacks) for s in signals) > 40
    assert all(plan is not None for plan in plans)
    every = tuple(range(len(signals)))
    for _ in range(300):
        found = {c: [(rng.randint(0, 30), rng.choice(words)) for _ in range(rng.randint(1, 4))]
                 for c in rng.sample(range(6), rng.randint(0, 6))}
        found = {c: sorted(at) for c, at in found.items()}
        if rng.random() < 0.1 and found:
            found[next(iter(found))] = []  # a concept present with no positions: absent sees it, words do not
        spans = _some_spans(rng)
        view = scoring.TicketView(found, spans, {})  # a fresh one each: _shows keeps the negations on it
        for staff in (False, True):
            for via in (None, "", "email", "api"):
                fast = native.gate_check(found, ((),) * 6, every, ((),) * len(signals), ((),) * len(signals),
                                         plans, staff, via, spans)
                expected = []
                for k, check in enumerate(checks):
                    assert check is not None
                    shown = check(view, staff, via)
                    if shown is not None:
                        expected.append((k, shown))
                assert fast == expected


def _some_fields(rng: random.Random) -> tuple[str, ...]:
    """A signal's fields: every one (``FIELDS`` itself, as compiled) half the time, else one or two."""
    if rng.random() < 0.5:
        return scoring.FIELDS
    chosen = set(rng.sample(scoring.FIELDS, rng.randint(1, 2)))
    return tuple(f for f in scoring.FIELDS if f in chosen)


def _some_spans(rng: random.Random) -> dict[str, tuple[int, int]]:
    """A ticket's fields over positions 0 to 30, each there or not (an absent field has no span)."""
    cuts = sorted(rng.sample(range(1, 31), 2))
    spans = dict(zip(scoring.FIELDS, ((0, cuts[0]), (cuts[0], cuts[1]), (cuts[1], 31)), strict=True))
    return {name: span for name, span in spans.items() if rng.random() < 0.8}


@needs_native
def test_a_malformed_plan_raises() -> None:
    assert native is not None
    found = {0: [(1, "a")]}
    tables = (((0,),), (), ((),), ((),))
    with pytest.raises(TypeError):
        native.gate_check(found, *tables, (("not", "a", "plan"),), False, None)
    with pytest.raises(ValueError):
        native.gate_check(found, *tables, (None, None), False, None)
    plan = ((0,), (), (), 6, (), (), (), -1, None, (), (), ())
    with pytest.raises(TypeError):
        native.gate_check({0: "not a list"}, *tables, (plan,), False, None)
    with pytest.raises(TypeError):
        native.gate_check(found, *tables, (plan[:9],), False, None)  # the plans before fields and the subject
    on_subject = (*plan[:9], ("subject",), (), ())
    with pytest.raises(TypeError):
        native.gate_check(found, *tables, (on_subject,), False, None, {"subject": (0,)})  # a span: (start, end)
    assert native.gate_check(found, *tables, (None,), False, None) == [0]
    assert native.gate_check(found, *tables, (plan,), False, None) == [(0, ("a",))]
    assert native.gate_check(found, *tables, (on_subject,), False, None) == []  # no spans: no subject
    assert native.gate_check(found, *tables, (on_subject,), False, None, {"subject": (0, 2)}) == [(0, ("a",))]


@needs_native
def test_tables_of_the_wrong_shape_raise_instead_of_crashing() -> None:
    assert native is not None
    pack = native.pack
    with pytest.raises(TypeError):
        native.linear_logits(["a"], {"a": (1j, 0, 0)}, 1, ())  # not packed
    with pytest.raises(TypeError):
        native.linear_logits(["a"], {"a": pack((1j, 2j), 0, 0, None)}, 1, ())  # packed for another width
    with pytest.raises(TypeError):
        pack(("x",), 0, 0, None)  # not a number
    with pytest.raises(TypeError):
        pack((1j,), 0, 0, ("b",))  # pairs: a dict or None
    with pytest.raises(ValueError):
        native.linear_logits(["a"], {}, 33, (0.0,) * 32)  # at most 32 complex figures
    with pytest.raises(ValueError):
        native.linear_logits(["a"], {"a": pack((1j, 2j), 0, 0, None)}, 2, (0.5, 1.0))  # an intercept per output
    with pytest.raises(TypeError):
        native.linear_logits(["a"], {"a": pack((1j, 2j), 0, 0, None)}, 2, ("x",))  # intercepts: numbers
    # one output: the words share 0 over a words norm of 1/sqrt(1), the pieces share 2 over 1/sqrt(1)
    assert native.linear_logits(["a"], {"a": pack((1j, 2 + 1j), 0, 0, None)}, 2, (0.5,)) == ([2.5], (), (), 1, 1)
    with pytest.raises(KeyError):
        native.linear_logits(["a"], {}, 1, ())  # a plain dict does not learn words
    with pytest.raises(TypeError):
        native.linear_logits(["a", 1], {"a": pack((1j,), 0, 0, None)}, 1, ())  # words: str
    assert native.unpack(pack((1 + 2j, 3j), 4, 5, None)) == ((1 + 2j, 3j), 4, 5, None)
    # "a" is a known word (words block: share 1, squared idf 4), "b" only pieces; each distinct word
    # and known pair added once: words share 1 + 1 (the pair "a b") over sqrt(4), pieces share
    # 0.5 + 0.5 over sqrt(1 + 3), after an intercept of 0.25
    lexicon = {"a": pack((1 + 4j, 0.5 + 1j), 3, 0, {"b": pack((1 + 0j, 0j), 0, 9, None)}),
               "b": pack((0j, 0.5 + 3j), 1, 2, {"a": pack((0j, 0j), 0, 0, None)})}
    expected = ([1.75], (1, 3), (2, 9), 1, 2)
    assert native.linear_logits(["a", "b", "a", "b"], lexicon, 2, (0.25,)) == expected
    # a pair's second word found by its text too, not only as the very object its table holds
    second = "".join(["bee", "ch"])
    lexicon = {"aa": pack((1 + 4j, 0.5 + 1j), 3, 0, {"beech": pack((1 + 0j, 0j), 0, 9, None)}),
               second: pack((0j, 0.5 + 3j), 1, 2, None)}
    assert native.linear_logits(["aa", "".join(["be", "ech"])], lexicon, 2, (0.25,)) == expected
    with pytest.raises(TypeError):
        pack((1j,), 0, 0, {1: pack((1j,), 0, 0, None)})  # pairs: by second word, a str
    with pytest.raises(TypeError):
        native.folded_words("\x80", (1,))  # a piece: ASCII str or None
    with pytest.raises(TypeError):
        native.concept_scan({"a": (1, 2)}, ["a", ""], 0, {})
    with pytest.raises(TypeError):  # a phrase that is no term
        native.concept_scan({"a": ((), None, None, ("term",)), "": None}, ["a", ""], 0, {})
    with pytest.raises(TypeError):  # a phrase that is no term, packed
        native.concept_scan({"a": native.entry(((), None, None, ("term",))), "": None}, ["a", ""], 0, {})
    assert native.entry(None) is None
    for bad in ((1, 2), ((1,), None, None, None), ((), {"b": 1}, None, None), ((), None, {1: ()}, None),
                ((), None, None, [])):
        with pytest.raises(TypeError):
            native.entry(bad)  # not an entry of _terms_for's shape
    # an entry's phrases found by the word beside it, the same object or not
    term = ("x", "y")
    phrase = (3, "x y", term, 0, True)
    found: dict[int, list[tuple[int, str]]] = {}
    native.concept_scan({"x": native.entry(((), {"y": (phrase,)}, None, None)), "y": None, "": None},
                        ["x", "".join(["", "y"]), "x", ""], 10, found)
    assert found == {3: [(10, "x y")]}
    gate = native.gate
    # signal 1 lacks concept 1, signal 2 its any_of's
    assert gate({0: [], 2: []}, ((1,), (), (0,)), (2,), ((0,), (0, 1), (2,)), ((), (), (1,))) == [0]
    with pytest.raises(ValueError):
        gate({5: []}, ((0,),), (), ((),), ((),))  # a concept out of range
    with pytest.raises(ValueError):
        gate({0: []}, ((3,),), (), ((),), ((),))  # a signal out of range
    with pytest.raises(TypeError):
        gate({0: []}, ([0],), (), ((),), ((),))  # ids: tuples
    with pytest.raises(TypeError):
        gate({0: []}, ((0, 0),), (), ((),), ((),))  # more ids than signals
