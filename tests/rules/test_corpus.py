"""The shipped rules against the labelled sets in tests/corpus/ (format: rules/README.md).

Regression checks, not estimates. The tuning sets (``tickets``, ``holdout_a``, ``holdout_b``,
``blind_c``, ``blind_d``, ``blind_e``) shaped the signals and weights, so their figures say
"nothing that used to work broke". ``blind_f`` and ``blind_g`` were written by people who never
saw the rules and were scored once, untouched, when the rules were first frozen (the README
reports that figure first); ``blind_f`` was tuned on afterwards, ``blind_g`` never. ``blind_h``
and ``day_l`` (an ordinary day's mix, about 3 % critical) were scored before any tuning and then
tuned on, as were ``day_k`` (another ordinary day) and ``blind_j`` (a realistic blend) after the
freeze they were first scored at; ``day_n`` (an ordinary day written after that freeze) is,
like ``blind_g``, never tuned on; ``blind_i`` is the validation set: tuned on nothing, only its
summary figures looked at, so its floor guards the estimate a change is judged by. For the text
model (rules/text_model.py), ``day_p`` and ``blind_r`` were tuned on (and trained on), and
``day_q``, ``blind_s``, ``day_t``, ``blind_u``, ``day_v`` and ``blind_w`` never were (the second
model was trained on them, after they were reported). For the second round, ``blind_x`` and
``day_y`` were tuned on, and ``blind_z``, ``blind_aa`` and ``day_ab`` were scored once, at the
end (the third round trained the text model on all five). For the third round ``blind_ac``,
``day_ad`` and ``blind_ae`` were tuned on; ``day_af``, ``blind_ag`` and ``blind_ah`` were scored
once, at the end (and tuned on in the fourth round, whose ``blind_ai``, ``day_aj`` and
``blind_ak`` were tuned on and ``blind_al``, ``day_am`` and ``blind_an`` scored once, at the
end). The fifth round scored ``blind_ar``, ``day_as`` and ``blind_at`` before and after its
changes (the category model and a text model trained on every set up to ``blind_aq``), tuning
nothing on them; ``day_au``, ``blind_av`` and ``blind_aw`` likewise, as a sixth check. The sixth round scored
``blind_ax``, ``day_ay``, ``blind_az``, ``day_ba``, ``blind_bb`` and ``blind_bc`` before and after
its changes (a text model trained on every set up to ``blind_aw``, weighing twice as much, and
lower bars), tuning nothing on them (the seventh model is trained on them); the seventh round's untouched
sets (``blind_bd``, ``day_be``, ``blind_bf``, and as a seventh check ``blind_bg``, ``day_bh`` and
``blind_bi``) were scored on arrival and once at its end, tuning nothing on them; the eighth text
model is trained on all six. An eighth check, ``blind_bj``, ``day_bk`` and ``blind_bl``, was scored
on arrival and on that model, and is left out of the pooled floor, an in-sample check. The floors
below only stop a figure from getting worse unnoticed: each sits a little under the figure
measured when it was set, so a change that costs a few tickets fails.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.train_text_model import TRAINING
from middleware.cli.rules_eval import evaluate, format_evaluation
from middleware.config.schema import load_yaml
from rules import RuleSet
from tests.rules.corpus import CORPUS_DIR, LabelledTicket, labelled_set, load_corpus, load_default_ruleset

CATEGORIES = {"security", "outage", "monitoring", "staff_report", "multi_customer", "data"}

# set: (precision, recall of the automatic flag, flagged-or-possible reach, most possible on negatives)
FLOORS: dict[str, tuple[float, float, float, float]] = {
    "tickets": (0.96, 0.92, 0.95, 0.03),  # recall 1.00 -> 0.93 in sample with the tenth model (76 sets)
    "holdout_a": (0.88, 0.95, 0.95, 0.03),
    "holdout_b": (0.82, 0.95, 0.95, 0.03),
    "blind_c": (0.92, 0.95, 0.98, 0.03),
    "blind_d": (0.95, 0.98, 0.98, 0.03),
    "blind_e": (0.92, 0.98, 0.98, 0.04),  # possible 0.03 -> 0.04 with the fifth text model (3 of 80)
    "blind_f": (0.87, 0.97, 0.97, 0.05),  # untouched until the first freeze, then tuned on
    "blind_g": (0.92, 0.85, 0.85, 0.11),  # never tuned on: a floor so it cannot silently get worse
    # (reach 0.92 -> 0.87 when the possible tier was narrowed for an ordinary day; recorded in rules/README.md)
    "blind_h": (0.90, 0.97, 0.97, 0.09),  # customer side (portal, chat, app, API), 27 % not English
    "blind_i": (0.88, 0.92, 0.94, 0.05),  # validation: never tuned on, only its summary figures looked at
    "day_l": (0.65, 0.88, 0.88, 0.02),  # an ordinary day: 260 tickets, 9 critical (precision is the weak point)
    # K (another ordinary day: 250 tickets, 7 critical) and J (a realistic week's blend) were untouched until the
    # freeze (K: 22 of 243 routine tickets flagged, 3.7 % possible; J 0.90 / 0.87 / 0.90 / 2.5 %), tuned on after
    "day_k": (0.75, 0.95, 0.95, 0.035),
    # an ordinary day written after the freeze, scored on the final rules, never tuned on (like blind_g):
    # 12 of 194 routine tickets flagged is the honest ordinary-day figure - keep it untouched
    "day_n": (0.25, 0.80, 0.80, 0.04),
    "blind_j": (0.90, 0.85, 0.88, 0.03),  # 2 -> 3 of 118 possible with the seventh text model
    # The text model's round (rules/README.md): P (an ordinary day) and R (a hard blend) scored before any change,
    # then tuned on; Q, S, T and U never tuned on (T and U scored only at the end): keep them untouched.
    "day_p": (0.75, 0.95, 0.95, 0.02),
    "blind_r": (0.93, 0.84, 0.84, 0.04),
    "day_q": (0.40, 0.60, 0.60, 0.025),  # possible 0.02 -> 0.025 with the fifth text model (5 of 212)
    "blind_s": (0.93, 0.90, 0.90, 0.02),
    "day_t": (0.45, 0.85, 0.85, 0.025),
    "blind_u": (0.88, 0.90, 0.90, 0.03),  # possible 0.02 -> 0.028 with the sixth model and thresholds (3 of 108)
    # written after the text model's round was finished, scored once (never tuned on). S, U and W's recall floors
    # were raised after the languages round (rules/README.md): Swedish, Danish, Norwegian, Finnish, Polish and Czech
    # terms flagged 2, 3 and 5 more of their critical tickets; each floor keeps about two tickets' margin.
    "day_v": (0.35, 0.70, 0.70, 0.02),
    "blind_w": (0.87, 0.92, 0.93, 0.03),
    # The second round (rules/README.md): five sets written for it, all scored before any change. X (a hard blend)
    # and Y (an ordinary day) were then tuned on; Z, AA (hard blends) and AB (an ordinary day) were scored once, at
    # the end, on the final rules: keep them untouched.
    "blind_x": (0.90, 0.84, 0.86, 0.03),
    "day_y": (0.55, 0.70, 0.70, 0.015),
    "blind_z": (0.95, 0.85, 0.88, 0.05),
    "blind_aa": (0.86, 0.90, 0.92, 0.075),  # possible 0.06 -> 0.075 with the fifth text model (8 of 108)
    "day_ab": (0.50, 0.85, 0.85, 0.03),
    # The third round (rules/README.md): six sets written for it, all scored before any change. AC, AE (hard blends)
    # and AD (an ordinary day) were tuned on (and trained on); AF, AG and AH were scored once, at the end.
    "blind_ac": (0.93, 0.82, 0.86, 0.04),
    "day_ad": (0.60, 0.95, 0.95, 0.015),
    "blind_ae": (0.93, 0.87, 0.90, 0.04),
    # scored once, at the end of the third round, then tuned on (and trained on) in the fourth
    "day_af": (0.70, 0.70, 0.85, 0.015),
    "blind_ag": (0.92, 0.86, 0.92, 0.03),
    "blind_ah": (0.93, 0.92, 0.92, 0.03),
    # The fourth round: six more sets, all scored before any change; AI, AK (hard blends) and AJ (an ordinary day)
    # tuned on (and trained on); AL, AM and AN scored once, at the end.
    "blind_ai": (0.93, 0.87, 0.92, 0.05),
    "day_aj": (0.75, 0.95, 0.95, 0.02),
    "blind_ak": (0.93, 0.89, 0.94, 0.03),
    # scored once, at the end of the fourth round, never tuned on: keep them untouched
    "blind_al": (0.87, 0.57, 0.68, 0.075),
    "day_am": (0.55, 0.70, 0.95, 0.025),  # recall 0.85 -> 0.70 with the sixth text model: one to possible (7 -> 6 of 8)
    "blind_an": (0.85, 0.71, 0.80, 0.06),  # possible 0.045 -> 0.05 -> 0.06 with the fifth and sixth text models
    # a fifth check: written after the fourth round closed, scored once on its final rules, nothing tuned
    "blind_ao": (0.88, 0.88, 0.93, 0.04),
    "day_ap": (0.65, 0.95, 0.95, 0.02),
    "blind_aq": (0.90, 0.88, 0.90, 0.04),
    # the fifth round: written by three new helpers, scored once before anything changed and once on the
    # round's final rules (the category model, the fifth text model), nothing tuned on them
    "blind_ar": (0.89, 0.89, 0.94, 0.02),
    "day_as": (0.40, 0.95, 0.95, 0.035),  # 10 of 232 routine tickets flagged, 3.0 % possible: the honest day figure
    "blind_at": (0.90, 0.67, 0.77, 0.03),
    # a sixth check: three more writers, scored before the fifth round and on its final rules, nothing tuned
    "day_au": (0.30, 0.85, 0.85, 0.03),  # 14 of 232 routine tickets flagged (6.0 %): the weakest day yet
    "blind_av": (0.89, 0.89, 0.91, 0.08),  # possible 0.045 -> 0.073 with the sixth text model (trained on it)
    "blind_aw": (0.90, 0.79, 0.81, 0.055),
    # the sixth round: six new writers, scored before anything changed and once on the round's final rules
    # (the sixth text model trained on AR-AW, the model weighing twice as much, bars at 3 and 1); nothing tuned
    "blind_ax": (0.92, 0.93, 0.97, 0.02),
    "day_ay": (0.60, 0.85, 0.85, 0.025),  # 3 of 232 routine tickets flagged, 1.3 % possible
    "blind_az": (0.85, 0.96, 0.97, 0.04),  # possible 0.027 -> 0.036 once trained on (precision 0.88 -> 0.97)
    "day_ba": (0.45, 0.85, 0.85, 0.03),  # 6 of 232 routine tickets flagged, 1.7 % possible
    "blind_bb": (0.90, 0.96, 0.97, 0.045),
    "blind_bc": (0.89, 0.96, 0.97, 0.03),
    # the seventh round: three new writers, scored on arrival (4e67955) and once on the round's final rules
    # (pieces counted per word, the model trained on AX-BC too); nothing tuned on them
    "blind_bd": (0.89, 0.93, 0.95, 0.03),
    "day_be": (0.55, 0.85, 0.85, 0.015),  # 5 of 232 routine tickets flagged, none possible
    "blind_bf": (0.89, 0.93, 0.93, 0.03),
    # a seventh check: three more writers, scored on arrival (431b876) and on the round's final rules (bars at
    # 2.5 and 0.5), nothing tuned on them; the hardest writers yet for recall
    "blind_bg": (0.95, 0.80, 0.83, 0.02),
    "day_bh": (0.60, 0.85, 0.85, 0.015),  # 2 of 233 routine tickets flagged, 1 possible
    "blind_bi": (0.95, 0.80, 0.80, 0.015),
    # an eighth check: three more writers, scored on arrival (c36e7a7) and on the eighth text model (trained on
    # BD-BI too), nothing tuned on them
    "blind_bj": (0.95, 0.93, 0.93, 0.02),
    "day_bk": (0.60, 0.85, 0.85, 0.015),  # 2 of 232 routine tickets flagged, 1 possible; 7 of 8 critical
    "blind_bl": (0.95, 0.95, 0.95, 0.02),
    # the eighth round's tuning sets (security told plainly; outages told only by their consequences), trained on;
    # on arrival (191cde7) 0.98 / 0.80, reach 0.88 and 0.96 / 0.75, reach 0.82
    "blind_bp": (0.95, 0.91, 0.95, 0.02),
    "blind_bq": (0.92, 0.92, 0.96, 0.02),
    # a ninth check: three more writers, scored on arrival (191cde7) and once on the round's final rules (3b2d16d:
    # fifteen more languages, the ninth model), nothing tuned on them; on arrival 1.00 / 0.75, 8 of 8 and 1.00 / 0.85
    "blind_bm": (0.95, 0.85, 0.85, 0.045),
    "day_bn": (0.55, 0.85, 0.85, 0.015),  # 2 of 232 routine tickets flagged, 1 possible
    "blind_bo": (0.95, 0.85, 0.95, 0.02),
    # a tenth check: three more writers, their sets written once the eighth round's rules were final (97f2f75) and
    # scored on them once; the rules before the round (f916411) gave 0.97 / 0.84, reach 0.87 pooled
    "blind_br": (0.95, 0.87, 0.88, 0.03),
    "day_bs": (0.45, 0.85, 0.85, 0.04),  # 3 of 232 routine flagged, 2.6 % possible (Bulgarian, Hungarian, Ukrainian)
    "blind_bt": (0.92, 0.83, 0.85, 0.03),
    # two ordinary days in the new languages, to tune on (not trained on): on arrival (97f2f75) BU 8 of 232 routine
    # flagged (Arabic 4, Russian 2), BV 2; then `text_model.unread`
    "day_bu": (0.45, 0.85, 0.85, 0.035),
    "day_bv": (0.60, 0.85, 0.85, 0.015),
    # and one kept untouched, scored on arrival (97f2f75: 3 of 232 routine flagged, 1.3 % possible) and once after
    "day_bw": (0.60, 0.85, 0.85, 0.025),  # 1 of 232 routine flagged, 1.3 % possible; 7 of 8 critical
    # the ninth round's tuning sets (security told calmly; outages told by their consequences; an ordinary day in
    # South-East Asia), trained on: on arrival (313d1aa) 0.98 / 0.80, reach 0.85; 1.00 / 0.85, reach 0.90; 7 of 8
    "blind_bx": (0.95, 0.90, 0.93, 0.02),
    "blind_by": (0.95, 0.93, 0.93, 0.03),
    "day_bz": (0.75, 0.85, 0.85, 0.01),
    # an eleventh check: written before the ninth round changed anything, scored on arrival (313d1aa: 1.00 / 0.93,
    # reach 0.95; 0.97 / 0.95, reach 0.97; 7 of 8) and once on the round's final rules; nothing tuned, not trained on
    "blind_ca": (0.95, 0.88, 0.90, 0.02),
    "blind_cb": (0.93, 0.90, 0.95, 0.02),
    "day_cc": (0.75, 0.85, 0.85, 0.01),  # 0 of 232 routine flagged, 1 possible; a Hebrew security incident missed
    # a twelfth check: written once the ninth round's rules were final (6802012) and scored on them once
    "blind_da": (0.93, 0.90, 0.93, 0.04),
    "blind_db": (0.95, 0.83, 0.87, 0.02),
    "day_dc": (0.75, 0.95, 0.95, 0.01),  # 8 of 8 flagged; 1 of 232 routine flagged, 1 possible
    # the tenth round's tuning sets (security told calmly in the Nordics and the Baltics; outages told by their
    # consequences in Southern Europe and Latin America; an ordinary day in the Americas), trained on: on arrival
    # (768bcd4) 0.98 / 0.75, reach 0.82; 1.00 / 0.85, reach 0.88; 6 of 8 flagged, 8 reached
    "blind_ea": (0.95, 0.93, 0.95, 0.02),
    "blind_eb": (0.95, 0.93, 0.93, 0.03),
    "day_ec": (0.75, 0.85, 0.85, 0.01),
    # a thirteenth check: written before the tenth round changed anything, scored on arrival (768bcd4: 0.98 / 0.88,
    # reach 0.93; 0.95 / 0.93, reach 0.93; 8 of 8, 2 of 232 routine flagged, 1.3 % possible) and once on the round's
    # final rules and the eleventh models; nothing tuned, not trained on
    "blind_fa": (0.93, 0.90, 0.93, 0.02),  # 0.97 / 0.93, reach 0.97
    "blind_fb": (0.93, 0.90, 0.90, 0.02),  # 0.95 / 0.93, reach 0.93
    "day_fc": (0.75, 0.95, 0.95, 0.01),  # 8 of 8 flagged; 2 of 232 routine flagged, 1 possible
    # the eleventh round's tuning sets (security told calmly in Central and Eastern Europe; outages told by their
    # consequences in cold-chain distribution in the Gulf, India, Turkey, Greece and Israel; an ordinary day in
    # North-Western Europe's grocery trade), not trained on (the twelfth models trained on them were no better on
    # the earlier checks' sets): on arrival (7ace28a) 0.98 / 0.72, reach 0.73; 0.98 / 0.93, reach 0.93; 8 of 8
    "blind_ga": (0.95, 0.70, 0.75, 0.02),  # 0.98 / 0.73, reach 0.77: Central European security, told calmly
    "blind_gb": (0.95, 0.90, 0.90, 0.03),
    "day_gc": (0.75, 0.95, 0.95, 0.015),  # 8 of 8 flagged; 0 of 232 routine flagged, 2 possible
    # a fourteenth check: written before the eleventh round changed anything, scored on arrival (7ace28a: 0.98 / 0.88,
    # reach 0.92; 0.95 / 0.87, reach 0.92; 8 of 8, 0 of 232 routine flagged, 1 possible) and once on the round's
    # final rules; nothing tuned, not trained on
    "blind_ha": (0.95, 0.85, 0.90, 0.02),  # 0.98 / 0.88, reach 0.92
    "blind_hb": (0.93, 0.85, 0.90, 0.02),  # 0.95 / 0.88, reach 0.93
    "day_hc": (0.75, 0.95, 0.95, 0.01),  # 8 of 8 flagged; 0 of 232 routine flagged, 1 possible
    # the twelfth round's tuning sets (warehouse management in Central and Northern Europe and Brazil; last-mile
    # couriers in Southern, Central and Eastern Europe; cross-border e-commerce in East and South-East Asia, 60 %
    # not English), not trained on: on arrival (7f764b3) 0.95 / 0.95, reach 0.97; 0.97 / 0.93, reach 0.95;
    # 0.91 / 0.52, reach 0.52 (the rules read no Chinese, Japanese or Korean)
    "blind_ia": (0.93, 0.93, 0.95, 0.01),
    "blind_ib": (0.95, 0.92, 0.93, 0.02),
    "blind_ka": (0.88, 0.80, 0.82, 0.01),  # 0.91 / 0.82, reach 0.83
    # a fifteenth check: written before the twelfth round changed anything, scored on arrival (7f764b3: 0.96 / 0.73,
    # reach 0.75; 0.93 / 0.92, reach 0.97; 8 of 8, 1 of 232 routine flagged, 1 possible; 0.98 / 0.67, reach 0.68)
    # and once on the round's final rules; nothing tuned, not trained on
    "blind_ja": (0.90, 0.83, 0.86, 0.01),  # 0.93 / 0.85, reach 0.88
    "blind_jb": (0.92, 0.90, 0.95, 0.02),  # 0.93 / 0.92, reach 0.97
    # 8 of 8 flagged; 1 of 232 routine flagged, 1 possible; 2 flagged since the thirteenth round's "not received"
    # phrases (the Nordic "får ikke", both "don't get" and "may not": left one set out, +1 flagged, 0 false flags)
    "day_jc": (0.75, 0.95, 0.95, 0.01),
    "blind_kb": (0.93, 0.85, 0.88, 0.045),  # 0.96 / 0.87, reach 0.90, 3.6 % possible
    # the thirteenth round's tuning sets (trucking and freight brokerage in North America, with Mexican Spanish and
    # Quebec French; cold-chain food and pharmaceutical distribution in the Gulf, Africa and South Asia, with Arabic,
    # Hindi, Swahili, Urdu and Afrikaans), not trained on: on arrival (fb2e710) 0.92 / 1.00, reach 1.00, 5 false
    # flags; 0.95 / 0.90, reach 0.92, 3 false flags
    "blind_la": (0.90, 0.97, 0.97, 0.02),  # 0.94 / 1.00: a reply quoting its incident no longer flagged
    "blind_lb": (0.93, 0.88, 0.90, 0.03),  # 0.96 / 0.90, reach 0.92: Swahili outages sunk by the text model
    # a sixteenth check: written before the thirteenth round changed anything, scored on arrival (fb2e710: 0.93 /
    # 0.93, reach 0.93, 3.6 % possible; 0.89 / 0.97, reach 0.97; 0.95 / 0.87, reach 0.88; 8 of 8, 3 of 232 routine
    # flagged, 1 possible) and once on the round's final rules; nothing tuned, not trained on
    "blind_ma": (0.92, 0.90, 0.90, 0.045),  # 0.95 / 0.93, reach 0.93, 3.6 % possible
    "blind_mb": (0.90, 0.93, 0.93, 0.035),  # 0.94 / 0.97, reach 0.97
    # 0.96 / 0.87, reach 0.88 (Thai is not read); since the fourteenth round (Thai read) 0.96 / 0.90, reach 0.92,
    # 2.7 % possible
    "blind_md": (0.93, 0.87, 0.90, 0.03),
    "day_mc": (0.75, 0.95, 0.95, 0.015),  # 8 of 8 flagged; 2 of 232 routine flagged, 2 possible
    # the fourteenth round's tuning sets (customs brokerage and bonded warehouses in the Nordics, the Baltics, the
    # Benelux, Germany, Thailand and East Africa, security told calmly; yard management and warehouse robots in
    # Latin America, Iberia, Italy, Turkey and Thailand, outages told by their consequences), not trained on: on
    # arrival (66e3d1a) 0.96 / 0.80, reach 0.88; 0.98 / 0.77, reach 0.80
    "blind_na": (0.93, 0.80, 0.90, 0.03),  # 0.96 / 0.83, reach 0.93
    "blind_nb": (0.95, 0.80, 0.88, 0.02),  # 0.98 / 0.83, reach 0.90
    # a seventeenth check: written before the fourteenth round changed anything, scored on arrival (66e3d1a: 0.92 /
    # 0.78, reach 0.82, 2.7 % possible; 0.98 / 0.83, reach 0.88; 0.92 / 0.75, reach 0.80; 7 of 8 flagged, 8 reached,
    # 0 of 232 routine flagged, 1 possible) and once on the round's final rules; nothing tuned, not trained on
    "blind_oa": (0.88, 0.80, 0.85, 0.035),  # 0.91 / 0.83, reach 0.88, 2.7 % possible
    "blind_ob": (0.95, 0.80, 0.85, 0.025),  # 0.98 / 0.83, reach 0.88 (unchanged)
    "blind_od": (0.90, 0.72, 0.78, 0.035),  # 0.94 / 0.75, reach 0.80, 2.7 % possible
    "day_oc": (0.75, 0.85, 0.95, 0.01),  # 7 of 8 flagged, 8 reached; 0 of 232 routine flagged, 1 possible
}


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_default_ruleset()


@pytest.fixture(scope="module")
def reports(ruleset: RuleSet) -> dict[str, dict[str, Any]]:
    """Each set's evaluation by the shipped rules, made once for the module (see ``report``)."""
    return {}


def report(reports: dict[str, dict[str, Any]], ruleset: RuleSet, name: str) -> dict[str, Any]:
    """``rules eval`` of one set: evaluated once, then read by its floor and by the category check."""
    if name not in reports:
        reports[name] = evaluate(ruleset, labelled_set(name))
    return reports[name]


def test_corpus_shape() -> None:
    corpus: list[LabelledTicket] = load_corpus()
    assert len(corpus) >= 100
    share = sum(t.critical for t in corpus) / len(corpus)
    assert 0.3 <= share <= 0.5, f"critical share {share:.2f}"
    for item in corpus:
        assert (item.category in CATEGORIES) if item.critical else item.category is None, item.ticket.id
    for category in ("security", "outage", "monitoring", "staff_report"):
        assert sum(t.category == category for t in corpus) >= 5, category


def test_blind_sets_are_large_and_mixed() -> None:
    """Five blind sets of 160 tickets, each with critical and non-critical tickets of every kind
    its brief asked for; together at least German, French, Spanish and Dutch."""
    languages: set[str] = set()
    for name in ("blind_c", "blind_d", "blind_e", "blind_f", "blind_g"):
        items = labelled_set(name)
        assert len(items) >= 150, name
        share = sum(i.critical for i in items) / len(items)
        assert 0.3 <= share <= 0.6, (name, share)
        raw: list[dict[str, Any]] = load_yaml((CORPUS_DIR / f"{name}.yaml").read_text("utf-8"))
        languages |= {str(t.get("language")) for t in raw}
    assert {"de", "fr", "es", "nl"} <= languages


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_shipped_rules_on_tuning_sets(ruleset: RuleSet, reports: dict[str, dict[str, Any]], name: str) -> None:
    figures = report(reports, ruleset, name)
    precision, recall, reach, possible = FLOORS[name]
    details = format_evaluation(figures, name)
    assert figures["precision"] >= precision, details
    assert figures["recall"] >= recall, details
    assert figures["reach"] >= reach, details
    assert figures["possible_of_negatives"] <= possible, details


def test_flagged_critical_tickets_get_the_category_their_labels_say(
        ruleset: RuleSet, reports: dict[str, dict[str, Any]]) -> None:
    """The category picks who is alerted (an outage adds engineering) and whether alerts carry
    the ticket's text (not for security). The signals' votes alone got 0.90 of these right; with
    the category model 0.99 (in sample: a regression check; left one set out it is 0.84 against
    0.96, rules/README.md)."""
    right = flagged = 0
    for name in FLOORS:
        figures = report(reports, ruleset, name)
        flagged += figures["tp"]
        right += round(figures["category_accuracy"] * figures["tp"])
    assert right / flagged >= 0.95, f"{right} of {flagged}"


def test_pooled_over_every_set_the_flag_is_right_and_an_ordinary_day_is_quiet(
        ruleset: RuleSet, reports: dict[str, dict[str, Any]]) -> None:
    """All sets together, in sample (the text model is trained on all but the validation set):
    a regression check of the sixth model's gain, where each set's floor keeps a margin of a
    ticket or two. Measured when set: precision 0.978, recall 0.973 over 2,073 critical tickets;
    9 false flags and 12 possibles among the ordinary days' routine tickets (before the sixth
    model and its weights: 0.946 / 0.938, 42 false flags on the days). Since the ninth model,
    trained on BK too (an ordinary day with its own false flag): 16 false flags and 17 possibles
    among 4,818 routine tickets of the days. The tenth model, trained on 76 sets (14,472 tickets), holds
    fewer of them by heart: precision 0.973, recall 0.963 in sample (the ninth: 0.975 / 0.978 on its 64
    sets, 0.973 / 0.966 when the tenth reads those same sets); left one set out it is no worse (the 25
    newest sets: precision 0.969 -> 0.976, recall 0.919 -> 0.915, reach 0.947 -> 0.946)."""
    tp = fp = fn = day_fp = day_possible = day_routine = 0
    for name in (n for n in FLOORS if n in TRAINING):  # in sample: the sets the model is trained on
        figures = report(reports, ruleset, name)
        tp, fp, fn = tp + figures["tp"], fp + figures["fp"], fn + figures["fn"]
        if name.startswith("day_"):
            day_fp += figures["fp"]
            day_possible += figures["possible_negatives"]
            day_routine += figures["fp"] + figures["tn"]
    assert tp / (tp + fp) >= 0.97 and tp / (tp + fn) >= 0.96, (tp, fp, fn)
    # 16 of 4,818 with the ninth model; 23 of 6,210 with the tenth (six more days, BN-BZ)
    assert day_fp <= 24 and day_possible / day_routine < 0.01, (day_fp, day_possible, day_routine)


def test_default_rules_shape(ruleset: RuleSet) -> None:
    """The shipped set is one a support team can switch on: signals that vote for each of the
    four categories, counter-signals, two thresholds, and hard rules with their category tags."""
    scorer = ruleset.scorer
    assert scorer is not None and scorer.possible < scorer.critical
    voted = {s.category for s in scorer.signals if s.weight > 0}
    assert {"security", "outage", "monitoring", "staff_report"} <= voted
    assert sum(s.weight < 0 for s in scorer.signals) >= 10
    for rule in ruleset.rules:
        assert f"critical_{rule.category}" in rule.actions.add_tags, rule.name
        assert rule.actions.note, rule.name
    assert ruleset.needs_requester  # staff or customer: the staff roster answers it
