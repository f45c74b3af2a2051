"""The text model (rules/text_model.py) as an agent and an admin meet it: a signal that weighs a
ticket's whole wording, explains itself by the words that weighed most, leaves one-liners to the
concept signals, can be turned off, and refuses data it does not reproduce."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.train_text_model import UNTOUCHED, VALIDATION
from rules import RuleError, RuleSet
from rules.concepts import tokens
from rules.errors import ConditionError
from rules.text_model import compile_text_model, model_words, word_pieces, word_terms
from tests.rules.corpus import labelled_set, load_default_ruleset
from tests.rules.helpers import make_ticket

ROOT = Path(__file__).resolve().parents[2]
MODEL_FILE = ROOT / "rules" / "text_model.json"


def _ticket(set_name: str, ref: str):
    return next(i.ticket for i in labelled_set(set_name) if i.ref == ref)


# From the tuning sets (so a regression check of what the model is for, not a measurement): a
# routine ticket of an ordinary day that the concept signals alone flag critical, and a critical
# one they leave alone.
ROUTINE = ("day_p", "P-057")
UNDERSTATED = ("blind_r", "R-043")


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_default_ruleset()


def _wording(rules: RuleSet, set_name: str, ref: str):
    decision = rules.evaluate(_ticket(set_name, ref))
    return decision, next((h for h in decision.signals if h.name == "wording"), None)


def test_the_concept_signals_alone_get_these_two_wrong() -> None:
    off = load_default_ruleset(text_model={"weight": 0})
    assert off.evaluate(_ticket(*ROUTINE)).critical
    assert not off.evaluate(_ticket(*UNDERSTATED)).critical


def test_routine_wording_counts_against_a_flag_and_says_so(rules: RuleSet) -> None:
    decision, hit = _wording(rules, *ROUTINE)
    assert hit is not None and hit.weight < 0, decision.explain()
    assert "routine tickets" in hit.says
    assert not decision.critical, decision.explain()


def test_understated_critical_wording_counts_for_it_and_cites_the_ticket_s_words(rules: RuleSet) -> None:
    decision, hit = _wording(rules, *UNDERSTATED)
    assert hit is not None and hit.weight > 0, decision.explain()
    assert "critical tickets" in hit.says
    ticket = _ticket(*UNDERSTATED)
    text = " ".join(tokens(f"{ticket.subject} {ticket.description}"))  # cited as folded: "haven't" is "havent"
    assert decision.critical, decision.explain()
    assert hit.words and all(w in text for w in hit.words)
    # function words weigh, but an agent cannot check them: only rarer words are cited
    assert not {"the", "of", "since", "at", "have"} & set(hit.words)
    assert "wording is like that of critical tickets" in decision.explain()


def test_a_one_liner_is_judged_by_the_concept_signals_alone(rules: RuleSet) -> None:
    decision = rules.evaluate(make_ticket("PLATFORM DOWN", "Your platform is down for us since 8am.",
                                          role="end-user", email="a@customer.example"))
    assert all(h.name != "wording" for h in decision.signals)
    assert decision.critical, decision.explain()


def test_the_model_speaks_only_for_the_words_it_knows() -> None:
    """A ticket in a language the model hardly knows: its blocks are normed, so the few words it
    knew once weighed as much as a whole English ticket (a Lithuanian outage was pulled down
    by −11 for one Dutch word). Where it knows fewer than a quarter of the distinct words, its vote
    grows with the words it knows, not with the text's length."""
    model = load_default_ruleset(text_model={"weight": 0.5}).scorer.model  # a weight its caps do not reach
    english = ("Hello team, could you please tell me how we export the monthly invoice report to a CSV file? "
               "Our accountant asked for it and I cannot find the button anywhere. Thanks a lot and have a "
               "nice weekend, kind regards, Maria. ")
    unknown = " ".join(f"qzv{chr(97 + i % 26)}xk{chr(97 + i // 26)}w" for i in range(110))
    whole = model.hit({"subject": "invoice report export", "description": english * 4})
    few = "Thanks: invoice report export?"
    mostly_unknown = model.hit({"subject": "invoice report export", "description": f"{few} {unknown}"})
    assert whole is not None and -model.max_down < whole.weight < -2, whole
    assert mostly_unknown is None or abs(mostly_unknown.weight) < abs(whole.weight) / 2, mostly_unknown
    _, _, read = model.model.logit(f"{few} {unknown}")
    assert 4 <= read <= 20  # of its 115 words: four times the words it knows
    assert model.model.logit(english * 4)[2] == 4 * len(model_words(english))  # a text it knows: every word


def test_a_ticket_in_a_language_it_cannot_read_needs_more_than_one_workflow_signal() -> None:
    """Without the model to take routine wording down, the concept signals alone flagged routine
    tickets of an ordinary day in Arabic, Russian and Greek (a wrong product name on one label, one
    shipment held at customs). Such a ticket gets `unread` (2.5) against, and says why; one with
    more evidence (many affected, people waiting) is still flagged. The tenth model has read Arabic,
    Russian and Greek tickets; Hebrew it has not (its lexicon came after it)."""
    rules = load_default_ruleset()
    one_label = make_ticket("התווית עם שם מוצר שגוי", "בתווית של המשלוח מופיע שם מוצר שגוי. במקום חולצת כותנה "
                            "כחולה במידה גדולה כתוב חולצה לבנה. מספר המשלוח 4523 והלקוח מחיפה. נא לתקן את הנתונים "
                            "במערכת ולשלוח לנו קובץ חדש עם הפרטים הנכונים. תודה רבה", role="end-user",
                            email="a@customer.example")
    assert load_default_ruleset(text_model={"unread": 0}).evaluate(one_label).critical  # the signals alone
    decision = rules.evaluate(one_label)
    unread = [h for h in decision.signals if h.name == "wording"]
    assert unread and unread[0].weight == -2.5 and "language the text model hardly knows" in unread[0].says
    assert not decision.critical and decision.possible, decision.explain()  # put to a person, not flagged
    all_labels = make_ticket("תוויות ריקות", "מהבוקר כל התוויות יוצאות ריקות לכל המשלוחים, והנהגים מחכים במחסן "
                             "ואף משלוח לא יצא. המערכת כולה תקועה אצלנו ואף אחד לא יכול לעבוד, נא לענות מהר כי יש "
                             "לנו יותר ממאה הזמנות שחייבות לצאת היום", role="end-user", email="a@customer.example")
    assert rules.evaluate(all_labels).critical, rules.evaluate(all_labels).explain()


def test_the_model_is_not_read_where_it_cannot_change_the_tier(rules: RuleSet) -> None:
    ticket = make_ticket("How do I add a user?", "Hi, how do I add a new user to our account? We hired a new "
                         "dispatcher and she starts on Monday. Thanks a lot, Maria from the office team",
                         role="end-user", email="a@customer.example")
    decision = rules.evaluate(ticket)
    assert decision.score < rules.scorer.possible - rules.scorer.model.max_up
    assert all(h.name != "wording" for h in decision.signals)


def test_weight_zero_turns_the_model_off() -> None:
    decision, hit = _wording(load_default_ruleset(text_model={"weight": 0}), *ROUTINE)
    assert hit is None
    assert all(h.name != "wording" for h in decision.signals)


def test_the_weight_scales_the_vote() -> None:
    uncapped = {"max_up": 99, "max_down": 99}
    _, base = _wording(load_default_ruleset(text_model={"weight": 2, **uncapped}), *ROUTINE)
    _, half = _wording(load_default_ruleset(text_model={"weight": 1, **uncapped}), *ROUTINE)
    assert base is not None and half is not None
    assert half.weight == pytest.approx(base.weight / 2, abs=0.1)


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"weight": -1}, "text_model.weight"),
        ({"max_down": "six"}, "text_model.max_down"),
        ({"wieght": 2}, "text_model"),
        ({"unread": -2.5}, "text_model.unread"),
    ],
)
def test_a_config_mistake_names_the_key(override: dict, key: str) -> None:
    with pytest.raises(RuleError) as raised:
        load_default_ruleset(text_model=override)
    assert key in str(raised.value)


def _shipped_data() -> dict:
    return json.loads(MODEL_FILE.read_text(encoding="utf-8"))["text_model"]["data"]


def test_the_shipped_model_reproduces_its_trainer() -> None:
    data = _shipped_data()
    assert len(data["checks"]) >= 10
    model = compile_text_model(data)
    for text, expected in data["checks"]:
        assert model.logit(text)[0] == pytest.approx(expected, abs=1e-6)


def test_data_it_does_not_reproduce_is_refused() -> None:
    data = copy.deepcopy(_shipped_data())
    data["intercept"] += 0.5
    with pytest.raises(ConditionError, match="does not reproduce"):
        compile_text_model(data)


def test_a_model_file_from_before_pieces_were_counted_per_word_is_refused_at_start_up() -> None:
    # An admin's own retrained file from an older release: the start-up error says what to run.
    data = copy.deepcopy(_shipped_data())
    data["blocks"][1]["kind"] = "chars"
    with pytest.raises(ConditionError, match="retrain it") as refused:
        compile_text_model(data)
    assert refused.value.key == "text_model.blocks"
    with pytest.raises(RuleError, match=r"text_model\.data\.blocks"):
        load_default_ruleset(text_model={"weight": 4, "data": data})


def test_the_model_file_is_read_as_json_and_trained_without_the_untouched_sets() -> None:
    trained_on = _shipped_data()["trained_on"].split(", ")
    # the first model's untouched sets, scored and reported, are trained on since the second
    assert {"day_p", "blind_r", "blind_u", "day_v", "blind_w"} <= set(trained_on)
    # each round's untouched sets, scored and reported, are trained on from the next
    assert {"blind_z", "blind_aa", "day_ab", "day_af", "blind_ag", "blind_ah"} <= set(trained_on)
    assert not (set(UNTOUCHED) | set(VALIDATION)) & set(trained_on)
    assert {"blind_al", "day_am", "blind_an", "blind_ao", "day_ap", "blind_aq"} <= set(trained_on)  # once reported
    assert {"blind_ar", "day_as", "blind_at", "day_au", "blind_av", "blind_aw"} <= set(trained_on)  # once reported
    assert {"blind_ax", "day_ay", "blind_az", "day_ba", "blind_bb", "blind_bc"} <= set(trained_on)  # once reported
    assert {"blind_bd", "day_be", "blind_bf", "blind_bg", "day_bh", "blind_bi"} <= set(trained_on)  # once reported
    assert {"blind_bj", "day_bk", "blind_bl", "blind_bp", "blind_bq"} <= set(trained_on)  # once reported; tuning
    assert {"blind_bm", "day_bn", "blind_bo", "blind_br", "day_bs", "blind_bt", "day_bu", "day_bv", "day_bw",
            "blind_bx", "blind_by", "day_bz"} <= set(trained_on)  # once reported; the ninth round's tuning sets
    assert set(UNTOUCHED) >= {"blind_ca", "blind_cb", "day_cc"}


def test_words_are_folded_and_pieces_taken_inside_words_as_the_trainer_takes_them() -> None:
    assert word_terms("Keine Aufträge, nichts!") == ["keine", "auftrage", "nichts", "keine auftrage", "auftrage nichts"]
    assert sorted(word_pieces("ab  abcd ab", 4)) == [" ab ", " abc", "abcd", "bcd "]
    # a piece counts once for each distinct word that has it: what a word adds is its own
    assert sorted(word_pieces("abcd abce abcd", 4)) == [" abc", " abc", "abcd", "abce", "bcd ", "bce "]


_TIED = """
from rules.text_model import compile_text_model
terms = [[w, 4.0, 0.5] for w in ("zulu", "alpha", "mike", "bravo", "yankee", "kilo")]
model = compile_text_model({"intercept": 0.0, "blocks": [
    {"kind": "words", "ngrams": [1, 2], "terms": [*terms, ["alpha bravo", 4.0, 0.5]]},
    {"kind": "word_pieces", "ngrams": [4, 4], "terms": [[" zul", 1.0, 0.0]]}]})
print("|".join(model.logit("zulu yankee mike alpha bravo kilo")[1]))
"""


def test_words_of_equal_weight_are_cited_alike_by_every_process() -> None:
    # Terms that always came together in training weigh the same ("favor", "por favor"); which
    # of them the note cites must not depend on the process's hash seed.
    cited = {subprocess.run([sys.executable, "-c", _TIED], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONHASHSEED": str(seed)}, cwd=ROOT).stdout.strip()
             for seed in range(4)}
    assert cited == {"alpha|alpha bravo|bravo|kilo"}
