"""Concepts, signals and the score: what an admin who writes their own sees happen.

Words match however the customer types them (case, accents, apostrophes, any ending after
``*``, several languages); signals say which concepts, how close, make a ticket look critical;
the score's tier and category follow; a mistake in the YAML names the place and the problem.
"""

from __future__ import annotations

from typing import Any

import pytest

from rules import RuleError, compile_rules, scoring
from rules.concepts import Lexicons, fold, tokens
from rules.errors import ConditionError
from tests.rules.helpers import make_ticket

DOC: dict[str, Any] = {
    "concepts": {
        "negation": ["no", "not", "kein"],
        "impact": {"en": ["blank", "not arriving", "reject*"], "de": ["leer", "kommen nicht an"]},
        "scope": ["all", "alle", "every", "<number>"],
        "people": ["drivers", "trucks"],
        "leak": ["leaked"],
        "secret": ["api key"],
        "resolved": ["working again"],
    },
    "product": {"objects": {"labels": ["label*", "etikett*"], "orders": ["order*", "bestellung*"]}},
    "signals": [
        {"name": "stopped", "says": "a workflow stopped", "category": "outage", "weight": 3,
         "near": ["objects", "impact"], "within": 4},
        {"name": "breadth", "says": "many affected", "weight": 2, "any": ["scope"], "requires": ["impact"]},
        {"name": "counted", "says": "a count", "weight": 1, "near": ["scope", "people"], "within": 1},
        {"name": "leak", "says": "a key leaked", "category": "security", "weight": 6, "near": ["secret", "leak"],
         "skip_negated": True},
        {"name": "fixed", "says": "resolved", "weight": -5, "any": ["resolved"]},
        {"name": "intent", "says": "Zendesk says: outage", "category": "outage", "weight": 2,
         "ticket_fields": {"360001": ["outage", "Service down"]}},
    ],
    "thresholds": {"critical": 5, "possible": 3},
}


@pytest.fixture(scope="module")
def doc_rules():
    return compile_rules(DOC)


def test_folding_and_tokens() -> None:
    assert fold("Straße ÉTIQUETTES vides") == "strasse etiquettes vides"
    assert tokens("Don't — the #incident: n’arrive pas! it’s 50%") == ["dont", "the", "#incident", "narrive", "pas",
                                                                       "its", "50"]


def test_words_of_greek_cyrillic_arabic_and_devanagari_are_kept_and_folded() -> None:
    """A Ukrainian, Arabic, Greek or Hindi ticket was nothing but its Latin words (an order
    number): a lexicon could not list its words. They are kept now, without accents and
    optional marks, so either spelling matches, and Latin letters beside them fold as before."""
    assert tokens("Клієнти бачать ПОРОЖНЮ сторінку! Заказ 4411 не приходит") == [
        "клієнти", "бачать", "порожню", "сторінку", "заказ", "4411", "не", "приходит"]
    assert tokens("لا يمكن إصدار البيانات، أرجو المساعدة؟") == ["لا", "يمكن", "اصدار", "البيانات", "ارجو", "المساعدة"]
    assert tokens("Η πλατφόρμα δεν λειτουργεί; Müller") == ["η", "πλατφορμα", "δεν", "λειτουργει", "muller"]
    assert tokens("ऑर्डर नहीं आ रहे। ไทย Straße") == ["ऑर्डर", "नहीं", "आ", "रहे", *"ไทย", "strasse"]  # Thai: letters
    assert fold("Їжак й ёж") == "іжак и еж"  # the breve and diaeresis go, as accents do in Latin
    lex = Lexicons({"impact": ["не працює", "لا يعمل", "काम नहीं कर रहा", "δεν λειτουργ*"]})
    hits = lex.hits(tokens("Портал не працює з ранку. النظام لا يعمل. Το σύστημα δεν λειτουργεί. काम नहीं कर रहा"))
    assert [w for _, w in hits[lex.index["impact"]]] == ["не працює", "لا يعمل", "δεν λειτουργει", "काम नहीं कर रहा"]


def test_chinese_and_japanese_characters_are_words_and_korean_is_kept() -> None:
    """A Chinese, Japanese or Korean ticket was nothing but its Latin words and numbers: those
    scripts were dropped. Chinese and Japanese write no spaces, so each character is a word and a
    term is the phrase of its characters; Korean spaces its words and is kept as it is (in NFKD's
    letters, in the text and the terms alike). Kana's voicing marks go, as accents do."""
    assert tokens("系统无法登录。ログインできません API") == [*"系统无法登录", *"ロクインてきません", "api"]
    lex = Lexicons({"impact": ["无法登录", "ログインできない", "ログインできません", "주문이 안 들어*", "無法"]})
    hits = lex.hits(tokens("今天早上所有用户都无法登录。倉庫でログインできません。"
                           "오늘 아침부터 주문이 안 들어와요. 系統無法使用"))
    assert [w for _, w in hits[lex.index["impact"]]] == ["无法登录", "ログインできません", fold("주문이 안 들어와요"),
                                                         "無法"]
    assert not lex.hits(tokens("登录无法"))  # the characters in another order are not the term
    with pytest.raises(ConditionError, match="a \\* after one means nothing"):
        Lexicons({"impact": ["無法*"]})


def test_thai_characters_are_words_without_their_tone_marks() -> None:
    """Thai writes no spaces: each letter and vowel sign is a word, as a Chinese character is, and
    a term is the phrase of its characters. Its tone marks, MAITAIKHU and THANTHAKHAT go, as
    accents do, so a wrong or missing tone, "เปน" for "เป็น", "อีเมล" for "อีเมล์" and a tone typed
    before its upper vowel fold alike; the vowel signs stay ("ลุ่ม" in "กลุ่ม", group, is not
    "ล่ม", down), and SARA AM is NIKHAHIT and SARA AA however it was typed ("ทำ" = "ทํา")."""
    assert tokens("ระบบล่มครับ API") == [*"ระบบลมครับ", "api"]
    assert fold("ค่ะ") == fold("คะ") and fold("เป็น") == fold("เปน") and fold("อีเมล์") == fold("อีเมล")
    assert fold("ที่") == fold("ท\u0e48\u0e35") == fold("ที")  # the tone typed before its vowel
    assert fold("ทำงาน") == fold("ท\u0e4d\u0e32งาน") and tokens("ทำ") == ["ท", "\u0e4d", "า"]
    assert fold("ทำ") != fold("ทา")
    lex = Lexicons({"down": ["ระบบล่ม", "ใช้ไม่ได้"], "people": ["กลุ่ม"]})
    hits = lex.hits(tokens("ตอนนี้ระบบลม ใช้ไม่ได้เลยค่ะ ทั้งกลุ่ม"))  # tones missing, as typed in a hurry
    assert [w for _, w in hits[lex.index["down"]]] == ["ระบบล่ม", "ใช้ไม่ได้"]
    assert [w for _, w in hits[lex.index["people"]]] == ["กลุ่ม"]
    assert lex.index["down"] not in lex.hits(tokens("กลุ่มลูกค้า"))  # ลุ่ม is not ล่ม: the vowel stays
    with pytest.raises(ConditionError, match="a \\* after one means nothing"):
        Lexicons({"down": ["ล่ม*"]})


def test_terms_match_words_phrases_wildcards_and_numbers() -> None:
    lex = Lexicons({"a": ["reject*", "not arriving", "<number>"], "b": ["label*"]})
    hits = lex.hits(tokens("Labels rejected; 42 orders not arriving, 7 not counted"))
    assert [p for p, _ in hits[lex.index["a"]]] == [1, 2, 4]  # rejected, 42, "not arriving" (7 is too small)
    assert hits[lex.index["b"]] == [(0, "labels")]  # cited by the ticket's word, not the pattern


def test_a_reference_is_a_code_and_a_count_is_not() -> None:
    """<code> stands for an order or shipment reference, so a signal can tell "order 558213 is
    stuck" (one item) from "1200 orders are stuck" (a count)."""
    lex = Lexicons({"ref": ["<code>"], "count": ["<number>"]})
    hits = lex.hits(tokens("Order BW-88213045 and parcel 3S9022114 stuck, 1200 orders in 2024"))
    assert [w for _, w in hits[lex.index["ref"]]] == ["88213045", "3s9022114"]
    assert [w for _, w in hits[lex.index["count"]]] == ["1200", "2024"]


def test_a_time_of_day_is_not_a_reference() -> None:
    """French and Portuguese write a time as "15h30": an export at 23h47 is not order 2347's problem."""
    lex = Lexicons({"ref": ["<code>"]})
    hits = lex.hits(tokens("Enlèvement à 15h30, export samedi à 23h47, commande 4500128876"))
    assert [w for _, w in hits[lex.index["ref"]]] == ["4500128876"]


def test_a_stopped_workflow_in_any_language_is_critical(doc_rules) -> None:
    english = doc_rules.evaluate(make_ticket("labels", "All labels print blank."))
    german = doc_rules.evaluate(make_ticket("Etiketten", "Alle Etiketten sind leer."))
    for decision in (english, german):
        assert decision.critical and decision.category == "outage" and decision.score == 5
        assert decision.tags == ("critical_outage",)
        assert "Flagged automatically as a critical incident (category: outage)" in decision.note
        assert "a workflow stopped (+3)" in decision.note


def test_the_middle_is_possible_and_below_is_nothing(doc_rules) -> None:
    possible = doc_rules.evaluate(make_ticket("labels", "The label is blank."))
    assert (possible.critical, possible.possible, possible.tier, possible.score) == (False, True, "possible", 3)
    assert "Possibly a critical incident" in possible.note
    nothing = doc_rules.evaluate(make_ticket("labels", "Labels are fine, orders too."))
    assert nothing.tier == "none" and nothing.score == 0 and not nothing.note


def test_near_means_near(doc_rules) -> None:
    far = doc_rules.evaluate(make_ticket("labels", "Our label printer is new and we like it a lot but yesterday a "
                                                   "different box was blank."))
    assert "stopped" not in [h.name for h in far.signals]


def test_negated_words_do_not_count(doc_rules) -> None:
    assert doc_rules.evaluate(make_ticket("key", "Our API key was leaked on a forum.")).category == "security"
    assert doc_rules.evaluate(make_ticket("key", "No API key leaked, just asking.")).tier == "none"


def test_counter_signals_and_counts(doc_rules) -> None:
    fixed = doc_rules.evaluate(make_ticket("labels", "All labels blank", "It is working again, thanks"))
    assert fixed.tier == "none" and fixed.score == 0
    counted = doc_rules.evaluate(make_ticket("labels", "Labels blank, 40 trucks waiting"))
    assert [h.name for h in counted.signals] == ["stopped", "breadth", "counted"] and counted.critical


def test_a_zendesk_ai_field_is_a_signal(doc_rules) -> None:
    with_intent = doc_rules.evaluate(make_ticket("labels", "The label is blank.", custom_fields={"360001": "outage"}))
    assert with_intent.critical and "field 360001 = outage" in with_intent.explain()


def test_staff_changes_the_category_and_an_unknown_requester_is_asked_for() -> None:
    doc = {**DOC, "signals": [*DOC["signals"], {"name": "staff", "says": "staff says so", "weight": 1,
                                                "any": ["impact"], "requester": "staff"}],
           "staff_domains": ["acme.test"]}
    rules = compile_rules(doc)
    customer = rules.evaluate(make_ticket("labels", "All labels blank", role="end-user", email="a@b.test"))
    staff = rules.evaluate(make_ticket("labels", "All labels blank", role="end-user", email="sam@acme.test"))
    assert (customer.category, staff.category) == ("outage", "staff_report")
    unknown = rules.evaluate(make_ticket("labels", "All labels blank", requester_id=7))
    assert unknown.undecided == ("signals",) and unknown.needs_requester
    assert not rules.critical_whatever_undecided(unknown)


def test_a_monitoring_tool_mailing_the_helpdesk_speaks_for_staff() -> None:
    """Datadog or CloudWatch mailing the helpdesk arrive as end-user requesters; their alerts
    must still count as the company's own, while a customer with a lookalike address does not."""
    doc = {**DOC, "signals": [*DOC["signals"], {"name": "staff", "says": "staff says so", "weight": 1,
                                                "any": ["impact"], "requester": "staff"}],
           "tool_senders": ["datadog", "alerts"]}
    rules = compile_rules(doc)

    def category(email: str) -> str | None:
        return rules.evaluate(make_ticket("labels", "All labels blank", role="end-user", email=email)).category

    assert category("alerts@datadog.ops.example") == "staff_report"
    assert category("no-reply@sns.alerts.example") == "staff_report"
    assert category("datadog@example.com") == "staff_report"
    assert category("dog@datadogfans.example") == "outage"  # a name inside a word is not the tool's
    assert category("ops@customer.example") == "outage"


def test_an_address_answer_is_kept_and_the_kept_ones_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """is_staff keeps each address's answer; a role still decides first, and the kept answers
    are emptied when full, giving the same answers after."""
    scorer = compile_rules({**DOC, "staff_domains": ["acme.test"], "tool_senders": ["datadog"]}).scorer
    assert scorer is not None
    monkeypatch.setattr(scoring, "_STAFF_CACHE", 2)
    addresses = ["Sam@ACME.test", "a@b.test", "alerts@datadog.example", "x@sub.acme.test", "a@b.test"]
    for _ in range(2):
        assert [scorer.is_staff("end-user", e) for e in addresses] == [True, False, True, True, False]
        assert len(scorer._staff_by_email) <= 2
    assert scorer.is_staff("agent", "a@b.test") and not scorer.is_staff("end-user", None)


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        ({"tool_senders": ["alerts@datadog.example"]}, "tool_senders", "a name, not an address"),
        ({"tool_senders": "datadog"}, "tool_senders", "a list of names"),
        ({"signals": [{"name": "x", "weight": 1, "any": ["nosuch"]}]}, "signals[0].any", "unknown concept 'nosuch'"),
        ({"signals": [{"name": "x", "weight": "high", "any": ["impact"]}]}, "signals[0].weight", "a number"),
        ({"signals": [{"name": "x", "weight": 1}]}, "signals[0]", "needs at least one of"),
        ({"signals": [{"name": "x", "weight": 1, "near": ["impact"]}]}, "signals[0].near", "exactly two"),
        ({"signals": [{"name": "x", "weight": 1, "any": ["impact"], "colour": 1}]}, "signals[0]", "unknown key"),
        ({"concepts": {"impact": ["ok", False]}}, "concepts.impact", "quote yes/no/on/off"),
        ({"concepts": {"impact": ["a*"]}}, "concepts.impact", "at least 3 letters"),
        ({"thresholds": {"critical": 2, "possible": 3}}, "thresholds.possible", "must not be above"),
    ],
)
def test_mistakes_name_the_key(change: dict[str, Any], key: str, problem: str) -> None:
    with pytest.raises(RuleError) as info:
        compile_rules({**DOC, **change})
    assert info.value.key == key and problem in info.value.problem, str(info.value)


def test_a_rule_with_a_weight_adds_to_the_score() -> None:
    doc = {**DOC, "rules": [{"name": "vip", "category": "outage", "weight": 2.5,
                             "when": {"tags": {"any": ["vip"]}}}]}
    rules = compile_rules(doc)
    decision = rules.evaluate(make_ticket("labels", "The label is blank.", tags=["vip"]))
    assert decision.critical and decision.score == 5.5
    assert 'rule "vip" (+2.5)' in decision.note


def test_decisions_round_trip_through_json(doc_rules) -> None:
    from rules import Decision

    decision = doc_rules.evaluate(make_ticket("labels", "The label is blank."))
    assert Decision.from_dict(decision.to_dict()) == decision
    assert decision.to_dict()["tier"] == "possible"
