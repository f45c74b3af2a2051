"""The engine's shortcuts give the answers of the plain way, on every labelled ticket.

Speed comes from shortcuts (``rules/README.md``, Speed): one C-level lookup pass finds the words
that matter, signals are only woken by a concept they need, a plain signal is checked by a
function made for its keys. Each is checked here against the straightforward version: every
occurrence of every term found by trying each term at each position; every signal that would
pass its gate woken; each compiled check giving the words the general ``Scorer._shows`` gives.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from middleware.cli.rules_eval import load_labelled
from rules import RuleSet
from rules.concepts import NUMBER, Lexicons, _is_code, _split_term, tokens
from rules.engine import ticket_texts
from rules.scoring import CUSTOMER, STAFF, TicketView
from tests.rules.corpus import load_default_ruleset

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_default_ruleset()


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


def _corpus_views(ruleset: RuleSet) -> list[tuple[TicketView, str | None]]:
    """Every labelled ticket as the signals see it, with the channel it came in by."""
    scorer = ruleset.scorer
    assert scorer is not None
    views = []
    for path in sorted(CORPUS.glob("*.yaml")):
        for item in load_labelled(path):
            ticket = item.ticket
            views.append((scorer.view(ticket_texts(ticket), ticket.custom_fields), ticket.via_channel))
    return views


@pytest.mark.parametrize("staff", [False, True])
def test_woken_signals_and_compiled_checks_agree_with_the_general_check(shipped: RuleSet, staff: bool) -> None:
    scorer = shipped.scorer
    assert scorer is not None
    compiled = sum(check.__class__.__name__ == "function" for check in scorer._checks)
    assert compiled > len(scorer.signals) // 2  # most shipped signals take the compiled path
    for view, via in _corpus_views(shipped):
        present = view.present
        woken = scorer._always[staff].union(*(scorer._woken[staff][c] for c in view.found))
        for k, signal in enumerate(scorer.signals):
            for_them = signal.requester is None or signal.requester == (STAFF if staff else CUSTOMER)
            gated = signal.needed <= present and (not signal.any_of or not present.isdisjoint(signal.any_of))
            if not (gated and for_them):
                continue
            assert k in woken, signal.name
            assert scorer._checks[k](view, staff, via) == scorer._shows(signal, view, staff, via), signal.name

