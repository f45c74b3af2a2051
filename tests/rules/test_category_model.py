"""The category model (rules/category_model.py) as an agent and an admin meet it: a flagged
ticket whose signals voted the wrong kind of incident gets the kind its wording shows, the
explanation says so, and an admin's own categories, one-liners and an unsure model leave the
votes alone. A category decides who is alerted and whether alerts carry the ticket's text."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from rules import RuleError, compile_rules
from rules.category_model import STAFF_WORD, compile_category_model
from rules.errors import ConditionError
from tests.rules.corpus import labelled_set, load_default_ruleset
from tests.rules.helpers import make_ticket

ROOT = Path(__file__).resolve().parents[2]


def _corpus_ticket(set_name: str, ref: str):
    return next(i.ticket for i in labelled_set(set_name) if i.ref == ref)


@pytest.mark.parametrize(("set_name", "ref", "category"), [
    # (blind_ac AC-110, a staff escalation of unknown API tokens, was here: since the security
    # vocabulary was deepened its votes say security, unknown-actor, without the model's help)
    ("blind_ag", "AG-127", "security"),  # a SIEM finding: impossible travel and a new token
    ("blind_ak", "AK-069", "outage"),  # a customer's own admin: "can't log in - whole site"
])
def test_the_wording_corrects_a_category_the_votes_got_wrong(set_name: str, ref: str, category: str) -> None:
    """Tuning sets (a regression check of what the model is for): the signals flag these, but
    vote staff_report, which routes no engineer and, for a security incident, puts the
    ticket's text in every alert."""
    ticket = _corpus_ticket(set_name, ref)
    votes_only = load_default_ruleset(text_model={"category_min": 0}).evaluate(ticket, complete=True)
    decision = load_default_ruleset().evaluate(ticket, complete=True)
    assert votes_only.critical and votes_only.category == "staff_report"
    assert decision.critical and decision.category == category, decision.explain()
    label = category.replace("_", " ")
    assert f"the wording is most like that of {label} incidents (category model" in decision.explain()


# -- the mechanics, on a tiny hand-written model ------------------------------------------------
# The words of LONG (below) the tiny model knows without their weighing anything (an idf of
# 0.001 adds a millionth to the norm): a model reads a ticket whole only where it knows at least
# a quarter of its distinct words (rules.text_model.known_words).
KNOWN = ("orders failing since this morning and the api page shows a none of us has ever "  # noqa: SIM905
         "created").split()


def _category(terms: dict[str, float]) -> dict[str, Any]:
    """One category's block set: each listed word scores its number (idf 1), no pieces."""
    return {"intercept": 0.0, "blocks": [
        {"kind": "words", "ngrams": [1, 2], "terms": [[word, 1.0, coef] for word, coef in terms.items()]
         + [[word, 0.001, 0.0] for word in KNOWN if word not in terms]},
        {"kind": "word_pieces", "ngrams": [4, 4], "terms": [["zzzz", 1.0, 0.0]]},
    ]}


TINY = {"models": {
    "outage": _category({"token": -4.0, STAFF_WORD: 0.0}),
    "security": _category({"token": 4.0, STAFF_WORD: -9.0}),
    "staff_report": _category({"token": 0.0, STAFF_WORD: 9.0}),
}}

SIGNALS = {
    "concepts": {"impact": ["failing"], "objects": ["orders"], "custom": ["ledger"]},
    "signals": [
        {"name": "orders failing", "weight": 5, "category": "outage", "near": ["objects", "impact"]},
        {"name": "ledger", "weight": 5, "category": "data", "any": ["custom"]},
    ],
    "thresholds": {"critical": 4, "possible": 2},
}

LONG = "orders failing since this morning and the api token page shows a token none of us has ever created"


def _rules(**category: Any):
    return compile_rules({**SIGNALS, "text_model": {"weight": 0, "categories": TINY, **category}})


def test_a_sure_model_changes_the_category_and_says_how_sure() -> None:
    decision = _rules().evaluate(make_ticket("Orders", LONG, role="end-user", email="a@customer.example"))
    assert decision.critical and decision.category == "security"
    assert "the wording is most like that of security incidents (category model, 98%) (+0)" in decision.explain()


def test_a_model_that_knows_few_of_the_words_leaves_the_category_alone() -> None:
    """An Arabic security incident was read as an outage: the model knew none of its words, so
    its guess was its priors. Where it knows fewer than a quarter of them, it reads as many fewer
    words, and a ticket it reads fewer than min_words of keeps the votes' category."""
    foreign = "orders failing " + " ".join(f"qzv{chr(97 + i % 26)}x{chr(97 + i // 26)}k" for i in range(40)) \
        + " token token"
    long_enough = _rules(min_words=16)  # the foreign ticket's 45 words are well beyond it
    decision = long_enough.evaluate(make_ticket("Orders", foreign, role="end-user", email="a@customer.example"))
    assert decision.critical and decision.category == "outage", decision.explain()
    known = long_enough.evaluate(make_ticket("Orders", LONG, role="end-user", email="a@customer.example"))
    assert known.category == "security", known.explain()  # the same bar, a ticket whose words it knows
    assert "category model" not in decision.explain()
    assert compile_category_model(TINY).guess(foreign.split(), staff=False)[:1] == ("security",)  # what it would say


def test_the_requester_being_staff_is_part_of_the_wording() -> None:
    decision = _rules().evaluate(make_ticket("Orders", LONG, role="agent", email="ops@vendor.example"))
    assert decision.category == "staff_report", decision.explain()


def test_an_unsure_model_a_one_liner_and_an_admin_s_own_category_keep_the_votes() -> None:
    customer = {"role": "end-user", "email": "a@customer.example"}
    assert _rules(category_min=1).evaluate(make_ticket("Orders", LONG, **customer)).category == "outage"
    assert _rules().evaluate(make_ticket("Orders", "orders failing, token unknown", **customer)).category == "outage"
    own = _rules().evaluate(make_ticket("Ledger", LONG.replace("orders failing", "the ledger"), **customer))
    assert own.critical and own.category == "data", own.explain()


def test_category_min_0_turns_it_off_and_the_web_app_drops_it() -> None:
    assert _rules(category_min=0).scorer.categories is None
    assert _rules().without_text_model().scorer.categories is None


@pytest.mark.parametrize(("change", "key"), [
    ({"category_min": 2}, "text_model.category_min"),
    ({"category_min": "high"}, "text_model.category_min"),
    ({"categories": {"models": {"outage": TINY["models"]["outage"]}}}, "text_model.categories"),
    ({"categories": {**TINY, "checks": [["orders token", False, [0.0, 0.0, 0.0]]]}}, "text_model.categories"),
])
def test_a_bad_setting_or_data_fails_naming_the_key(change: dict[str, Any], key: str) -> None:
    with pytest.raises(RuleError) as err:
        _rules(**change)
    assert key in str(err.value)


def test_the_shipped_model_reproduces_its_trainer() -> None:
    shipped = load_default_ruleset().scorer.categories
    assert shipped is not None and set(shipped.model.categories) == {"monitoring", "outage", "security", "staff_report"}
    assert compile_category_model(TINY).guess(["token"], staff=False)[0] == "security"


def test_the_four_categories_read_a_ticket_s_words_once_and_weigh_them_as_four_models_would() -> None:
    """The shipped categories share their terms, so a ticket's words are looked up once for all
    four: the same log-odds as reading each category's model on its own (as a text model), for
    every labelled ticket of two sets."""
    import json

    from rules.category_model import MAX_WORDS
    from rules.engine import ticket_texts
    from rules.scoring import model_text
    from rules.text_model import compile_text_model, model_words

    shipped = load_default_ruleset().scorer.categories
    assert shipped is not None
    model = shipped.model
    raw = json.loads((ROOT / "rules" / "text_model.json").read_text(encoding="utf-8"))["text_model"]["categories"]
    alone_models = [compile_text_model(raw["models"][c]) for c in model.categories]
    for name in ("blind_ac", "day_ad"):
        for item in labelled_set(name):
            words = model_words(model_text(ticket_texts(item.ticket)))
            for staff in (False, True):
                alone = [m.logit_words(([STAFF_WORD] if staff else []) + words[:MAX_WORDS])[0] for m in alone_models]
                assert model.logits(words, staff) == pytest.approx(alone, abs=1e-9)


def test_categories_trained_on_different_terms_are_refused() -> None:
    odd = copy.deepcopy(TINY)
    odd["models"]["outage"]["blocks"][0]["terms"].append(["extra", 1.0, 1.0])
    with pytest.raises(ConditionError, match="same terms"):
        compile_category_model(odd)
