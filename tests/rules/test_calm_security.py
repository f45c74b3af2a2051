"""Calm security reports in the twelve languages besides English, and in fourteen more, are critical
security incidents, and routine tickets with the same alarming words are left alone (the sentences,
and why: tests/rules/calm_security_sentences.py and tests/rules/calm_security_more_sentences.py).

A customer who is not technical reports what they saw, in their own words and language: "a new
admin appeared, nobody here created it", "a login from Brazil while I slept, I have never been
there", "his contract ended but he still logs in", "a colleague posted the password in a public
group", "the account for our payouts now points to another bank". The lexicons' security concepts
(rules/lexicons.yaml: unknown_actor, abroad, departed, still_active, leaked, credentials,
payment_details, changed...) speak these languages as deeply as English for that; a leaver to
remove, our own new IBAN, a security questionnaire and one's own password reset stay routine.

The fourth pass (tests/rules/calm_security_fourth_sentences.py) adds four kinds of report: a reset,
code or change nobody here asked for, a security setting changed by nobody here, someone posing as
support or the bank who asks for the code, and a user who can suddenly see or do what they should not.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from rules import RuleSet
from tests.rules import calm_security_fourth_sentences as fourth
from tests.rules import calm_security_more_sentences as more
from tests.rules import calm_security_sentences as first
from tests.rules import calm_security_third_sentences as third
from tests.rules import calm_security_variants_sentences as variants
from tests.rules.corpus import load_default_ruleset
from tests.rules.helpers import assert_left_alone, assert_security_incident, decide_customer_text

CALM_LANGUAGES = tuple(dict.fromkeys(first.CALM_LANGUAGES + more.MORE_LANGUAGES + third.THIRD_LANGUAGES
                                     + fourth.FOURTH_LANGUAGES + variants.VARIANT_LANGUAGES))
SECURITY = first.SECURITY + more.SECURITY + third.SECURITY + fourth.SECURITY + variants.SECURITY
ROUTINE = first.ROUTINE + more.ROUTINE + third.ROUTINE + fourth.ROUTINE + variants.ROUTINE
SECURITY_SIGNALS = {"unknown-actor", "sign-in-from-abroad", "departed-still-active", "credentials-exposed",
                    "payment-details-changed", "cross-tenant-data", "cross-tenant-objects", "not-ours", "open-access",
                    "nobody-made-it",
                    # the fourth pass (tests/rules/calm_security_fourth_sentences.py)
                    "unrequested", "unrequested-credential", "unrequested-account", "settings-changed-unknown",
                    "impersonation", "impersonation-payment", "impersonation-code", "impersonation-account",
                    "privilege-gained", "privilege-gained-settings"}


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_default_ruleset()


def _security_signals(decision) -> list[str]:
    return [hit.name for hit in decision.signals if hit.category == "security" and hit.weight > 0]


def _ids(cases: list[tuple[str, ...]]) -> list[str]:
    return [f"{case[0]}-{i}" for i, case in enumerate(cases)]


def test_every_language_has_four_situations_and_three_routine_tickets() -> None:
    """Each language reports at least four different situations (by the signal each must show)
    and has at least three routine tickets."""
    situations: dict[str, set[str]] = defaultdict(set)
    for lang, _, signal in SECURITY:
        assert signal in SECURITY_SIGNALS, signal
        situations[lang].add(signal)
    routine = defaultdict(int)
    for lang, _ in ROUTINE:
        routine[lang] += 1
    assert set(situations) == set(routine) == set(CALM_LANGUAGES)
    assert all(len(situations[lang]) >= 4 for lang in CALM_LANGUAGES), dict(situations)
    assert all(routine[lang] >= 3 for lang in CALM_LANGUAGES), dict(routine)


@pytest.mark.parametrize(("language", "text", "signal"), SECURITY, ids=_ids(SECURITY))
def test_a_calm_report_of_what_they_saw_is_a_security_incident(ruleset, language, text, signal) -> None:
    assert_security_incident(decide_customer_text(ruleset, text), signal)


@pytest.mark.parametrize(("language", "text"), ROUTINE, ids=_ids(ROUTINE))
def test_a_leaver_an_iban_a_questionnaire_or_a_password_reset_is_left_alone(ruleset, language, text) -> None:
    assert_left_alone(decide_customer_text(ruleset, text))


@pytest.mark.parametrize(("language", "text", "signal", "tier", "category"), fourth.SHOWN_NOT_FLAGGED,
                         ids=_ids(fourth.SHOWN_NOT_FLAGGED))
def test_a_report_the_wording_or_category_model_takes_elsewhere_still_shows_its_signal(
        ruleset, language, text, signal, tier, category) -> None:
    """A calm report of a code given to an impostor, or of a read-only user approving payments, shows its
    signal even where the wording model takes it under the bar or the category model calls it an outage;
    the tier and category it gets are pinned, so that a change to either model is seen."""
    decision = decide_customer_text(ruleset, text)
    assert signal in [hit.name for hit in decision.signals], decision.explain()
    assert (decision.tier, decision.category) == (tier, category), decision.explain()


@pytest.mark.parametrize(("language", "text"), fourth.CODE_GIVEN, ids=_ids(fourth.CODE_GIVEN))
@pytest.mark.xfail(strict=True, reason="an impostor who got the login code: no signal pairs them since "
                   "impersonation-code was dropped (tests/rules/calm_security_fourth_sentences.py)")
def test_known_gap_an_impostor_given_the_login_code(ruleset, language, text) -> None:
    assert_security_incident(decide_customer_text(ruleset, text), "impersonation")


@pytest.mark.parametrize(("text", "signal"), [
    # Bulgarian "ни" is "our" after a noun ("в профила ни", in our profile); Russian "ни" ("not a")
    # counts as a negation only in "ни один", "ни одна", "ни одно", "ни разу"
    ("Банковата сметка в профила ни е сменена с друга.", "payment-details-changed"),
    # Slovene, Croatian and Serbian "bila" is "was"; Swahili "bila" ("without") negates only in
    # "bila ya", "bila tatizo", "bila shida"...
    ("Ponoči je bila prijava v moj račun iz tujine.", "sign-in-from-abroad"),
    ("Jučer je bila prijava na naš račun iz inozemstva.", "sign-in-from-abroad"),
])
def test_our_and_was_are_not_negations(ruleset, text, signal) -> None:
    """A word that is a negation in one language and "our" or "was" in another no longer takes the
    next three words out of a security signal."""
    assert signal in [hit.name for hit in decide_customer_text(ruleset, text).signals]


@pytest.mark.parametrize("text", [
    # Ukrainian puts "nobody" and the verb anywhere: "nobody from our team created it"
    "Бачу API-токен з повним доступом, створений о 02:17. Ніхто з нашої команди його не створював.",
    "There is an API token called sync-backup with full access. Nobody on our side made it.",
])
def test_a_token_nobody_here_made_is_a_security_incident(ruleset, text) -> None:
    assert_security_incident(decide_customer_text(ruleset, text), "nobody-made-it")


def test_a_leaver_whose_account_is_still_active_a_sentence_later_is_seen(ruleset) -> None:
    """He left, and only a sentence later: the account is still active (a window of 12 words missed it)."""
    decision = decide_customer_text(ruleset, "Marc-André a quitté l'entreprise à la fin mars. On pensait que son accès "
                                             "avait été retiré à son départ, mais je vois que le compte est toujours "
                                             "actif.")
    assert "departed-still-active" in [hit.name for hit in decision.signals], decision.explain()


def test_nobody_knowing_a_shared_password_is_a_chore_not_an_incident(ruleset) -> None:
    """A shared tablet logged out and nobody knows its password: a reset to do, not a credential
    nobody made (the signal does not count where the ticket asks for a chore)."""
    decision = decide_customer_text(ruleset, "The packing tablet logged out overnight and nobody knows the password "
                                             "(the person who set it up has left). Can you reset it and send me the "
                                             "link?")
    assert "nobody-made-it" not in [hit.name for hit in decision.signals]


@pytest.mark.parametrize(("language", "text"), variants.ROUTINE, ids=_ids(variants.ROUTINE))
def test_a_new_carrier_our_own_iban_or_a_consultant_to_remove_shows_no_security_signal(ruleset, language,
                                                                                         text) -> None:
    """The routine tickets written beside the new grammatical forms (a company, a consultant, an
    IBAN) show no security signal at all, not only a score under the bar."""
    decision = decide_customer_text(ruleset, text)
    assert not _security_signals(decision), decision.explain()


@pytest.mark.xfail(strict=True, reason="known: 'other customers' is cross_tenant and 'customers' an object; "
                                       "chore_request misses these own-bank-change requests")
@pytest.mark.parametrize(("language", "text"), variants.KNOWN_GAPS, ids=_ids(variants.KNOWN_GAPS))
def test_known_gaps_a_question_about_other_customers_or_our_own_bank_change(ruleset, language, text) -> None:
    decision = decide_customer_text(ruleset, text)
    assert not _security_signals(decision), decision.explain()
