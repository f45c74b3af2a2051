"""The engine's shortcuts give the answers of the plain way, on every labelled ticket.

Speed comes from shortcuts (``rules/README.md``, Speed): one C-level lookup pass finds the words
that matter, signals are only woken by a concept they need, a plain signal is checked by a
function made for its keys. Each is checked here against the straightforward version: every
occurrence of every term found by trying each term at each position; every signal that would
pass its gate woken; each compiled check giving the words the general ``Scorer._shows`` gives;
the text model's sums over its known terms and pieces against the sums over every term of the
trainer's analysers, and the words it takes from the concept matcher against its own.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from middleware.cli.rules_eval import EvalItem
from rules import RuleSet
from rules.concepts import COMMON_WORDS, NUMBER, Lexicons, _is_code, _split_term, tokens
from rules.engine import ticket_texts
from rules.scoring import CUSTOMER, STAFF, TicketView, _model_words, model_text
from rules.text_model import CITE_MIN_IDF, known_words, model_words, word_pieces, word_terms

ROOT = Path(__file__).resolve().parents[2]




def _naive_hits(concepts: dict[str, list[str]], toks: list[str]) -> dict[int, list[tuple[int, str]]]:
    """Every (position, label) of every concept, trying each term at each position (a wildcard
    term labelled by the words it matched)."""
    found: dict[int, list[tuple[int, str]]] = {}
    for cid, terms in enumerate(concepts.values()):
        for term in terms:
            for start in range(len(toks)):
                if term == NUMBER:
                    token = toks[start]
                    hit = token.isdigit() and 2 <= len(token) <= 7 and token[0] != "0"
                    label = token
                elif term == "<code>":
                    hit, label = _is_code(toks[start]), toks[start]
                else:
                    words = _split_term(term, "test")
                    window = toks[start:start + len(words)]
                    hit = len(window) == len(words) and all(
                        t.startswith(w[:-1]) if w.endswith("*") else t == w for w, t in zip(words, window, strict=True))
                    # a pattern with a wildcard is cited by the ticket's own words
                    label = term if "*" not in term else " ".join(window)
                if hit:
                    found.setdefault(cid, []).append((start, label))
    return found


EDGE_CONCEPTS: dict[str, list[str]] = {
    "common": ["is not", "of the", "for me", "not"],  # phrases of common words only
    "wild": ["fail* to sync*", "label*", "can not log*", "printer* offline"],
    "long": ["the system is not working", "orders still go", "not one of us"],
    "counts": ["<number>", "<code>", "hundreds"],
    "twice": ["label", "labels", "label*", "system", "system"],  # one word in several terms
}
VOCABULARY = ["is", "not", "of", "the", "for", "me", "fail", "failed", "failing", "to", "sync", "syncing",
              "label", "labels", "labelled", "can", "log", "login", "printer", "printers", "offline", "system",
              "working", "orders", "still", "go", "one", "us", "42", "7", "0012", "3s9022114", "bw-88213",
              "hundreds", "twice", "x"]


def test_the_scan_finds_every_term_wherever_it_is() -> None:
    lexicons = Lexicons(EDGE_CONCEPTS)
    rng = random.Random(12)
    for _ in range(400):
        toks = tokens(" ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(0, 30))))
        found = lexicons.hits(toks)
        expected = _naive_hits(EDGE_CONCEPTS, toks)
        assert {c: sorted(v) for c, v in found.items()} == {c: sorted(v) for c, v in expected.items()}, toks


def _corpus_views(ruleset: RuleSet, labelled: list[EvalItem]) -> list[tuple[TicketView, str | None]]:
    """Every labelled ticket as the signals see it, with the channel it came in by."""
    scorer = ruleset.scorer
    assert scorer is not None
    return [(scorer.view(ticket_texts(item.ticket), item.ticket.custom_fields), item.ticket.via_channel)
            for item in labelled]


@pytest.mark.parametrize("staff", [False, True])
def test_woken_signals_and_compiled_checks_agree_with_the_general_check(shipped: RuleSet, labelled: list[EvalItem],
                                                                       staff: bool) -> None:
    scorer = shipped.scorer
    assert scorer is not None
    compiled = sum(check.__class__.__name__ == "function" for check in scorer._checks)
    assert compiled > len(scorer.signals) // 2  # most shipped signals take the compiled path
    for view, via in _corpus_views(shipped, labelled):
        present = view.present
        woken = scorer._always[staff].union(*(scorer._woken[staff][c] for c in view.found))
        for k, signal in enumerate(scorer.signals):
            for_them = signal.requester is None or signal.requester == (STAFF if staff else CUSTOMER)
            gated = signal.needed <= present and (not signal.any_of or not present.isdisjoint(signal.any_of))
            if not (gated and for_them):
                continue
            assert k in woken, signal.name
            assert scorer._checks[k](view, staff, via) == scorer._shows(signal, view, staff, via), signal.name



def _plain_logit(data: dict, text: str) -> tuple[float, tuple[str, ...], int]:
    """The text model the straightforward way: the trainer's terms and pieces of the text, each
    block's sum over them divided by its norm, and the cited words by sorting every known term.
    ``data``: the model's blocks as {kind: {term: (idf, coefficient)}} and its intercept."""
    value = data["intercept"]
    cite: list[tuple[float, str]] = []
    # words: each distinct term once; pieces: once for each distinct word that has them
    for kind, terms in (("words", set(word_terms(text))), ("word_pieces", word_pieces(text))):
        block = data[kind]
        known = [(term, *block[term]) for term in terms if term in block]
        if known:
            value += sum(idf * coef for _, idf, coef in known) / math.sqrt(sum(idf * idf for _, idf, _ in known))
        if kind == "words":
            cite = [(idf * coef, term) for term, idf, coef in known
                    if idf >= CITE_MIN_IDF and not COMMON_WORDS.issuperset(term.split(" "))]
    if value >= 0:
        cited = [t for w, t in sorted(cite, key=lambda c: (-c[0], c[1]))[:4] if w > 0]
    else:
        cited = [t for w, t in sorted(cite)[:4] if w < 0]
    # the words it reads: all of them where the words block knows at least a quarter of the distinct
    # ones, else in proportion (the product's rule, known_words, from the words counted here: an
    # arithmetic of the test's own rounded CB-064's exact half, 31.5 words, the other way)
    words = model_words(text)
    distinct = set(words)
    read = known_words(len(words), sum(1 for w in distinct if w in data["words"]), len(distinct))
    return value, tuple(cited), read


def test_the_text_model_reads_every_labelled_ticket_as_the_straightforward_sums_do(
        shipped: RuleSet, labelled: list[EvalItem]) -> None:
    scorer = shipped.scorer
    assert scorer is not None and scorer.model is not None
    raw = json.loads((ROOT / "rules" / "text_model.json").read_text(encoding="utf-8"))["text_model"]["data"]
    data = {b["kind"]: {term: (idf, coef) for term, idf, coef in b["terms"]} for b in raw["blocks"]}
    data["intercept"] = raw["intercept"]
    for item in labelled:
        text = model_text(ticket_texts(item.ticket))
        value, cited, count = scorer.model.model.logit(text)
        expected = _plain_logit(data, text)
        assert (value, cited, count) == (pytest.approx(expected[0], abs=1e-9), *expected[1:]), item.ref


def test_the_text_model_reads_the_words_the_concept_matcher_made(shipped: RuleSet, labelled: list[EvalItem]) -> None:
    # The fields joined by line breaks (what the model reads) fold and split into the fields'
    # words one after the other, so the model takes the concept matcher's words.
    scorer = shipped.scorer
    assert scorer is not None
    for item in labelled:
        texts = ticket_texts(item.ticket)
        view = scorer.view(texts, item.ticket.custom_fields)
        assert _model_words(texts, view.words) == _model_words(texts, None), item.ref
        assert _model_words(texts, None)[0] == model_words(model_text(texts)), item.ref
    # Beyond the characters the model reads (MAX_CHARS), it folds and splits what it reads itself.
    texts = {"subject": "Labels blank", "description": "Every label prints blank since 9:00. " * 700, "comment": ""}
    words, length = _model_words(texts, scorer.view(texts).words)
    assert words == model_words(model_text(texts)) and length == len(words) < len(tokens(texts["description"]))
    # Chinese and Japanese characters are counted, not read: the models were trained on none.
    texts = {"subject": "订单没有同步 ERP", "description": "从今天早上开始所有订单都没有同步到仓库，司机都在等。",
             "comment": ""}
    for fields in (scorer.view(texts).words, None):
        words, length = _model_words(texts, fields)
        assert words == ["erp"] and length == len(tokens(model_text(texts))) > 20
