"""Text conditions: whole words, phrases tolerant of punctuation, apostrophes, wildcards,
fields, proximity and regexes. These are the behaviours the default rules lean on."""

from __future__ import annotations

import pytest

from rules.text import normalise, parse_keyword
from tests.rules.helpers import make_ticket, matches, reasons


def kw(*words: str, **extra: object) -> dict[str, object]:
    return {"text": {"keywords": list(words), **extra}}


class TestNormalise:
    def test_lower_cases_drops_apostrophes_and_splits_on_punctuation(self) -> None:
        assert normalise("We CAN'T log-in!!").split() == [b"we", b"cant", b"log", b"in"]

    def test_typographic_marks_and_non_ascii_letters(self) -> None:
        text = "Can\u2019t \u201cwork\u201d \u2013 Gr\u00fc\u00dfe\u00a0caf\u00e9"
        assert normalise(text).split() == [b"cant", b"work", "grüße".encode(), "café".encode()]

    def test_keyword_keeps_the_wildcard(self) -> None:
        assert parse_keyword("Compromis*").words == (b"compromis*",)

    @pytest.mark.parametrize(
        ("value", "problem"),
        [("!!!", "no letters or digits"), ("a*b", "may only end a word"), ("ab*", "at least 3 letters")],
    )
    def test_unusable_keywords(self, value: str, problem: str) -> None:
        with pytest.raises(ValueError, match=problem):
            parse_keyword(value)


class TestKeywords:
    def test_whole_words_only(self) -> None:
        rule = kw("down", "hack")
        assert not matches(rule, make_ticket("How do I download the report?"))
        assert not matches(rule, make_ticket("Hackathon sponsorship"))
        assert matches(rule, make_ticket("site DOWN"))

    def test_case_insensitive(self) -> None:
        assert matches(kw("Data Breach"), make_ticket("", "we had a DATA BREACH"))

    def test_phrase_tolerates_punctuation_and_line_breaks(self) -> None:
        rule = kw("platform is down")
        assert matches(rule, make_ticket("", "the platform... is\n\n   DOWN!!!"))
        assert matches(rule, make_ticket("", "platform_is_down"))
        assert not matches(rule, make_ticket("", "the platform is not down"))

    def test_apostrophes_are_optional_both_ways(self) -> None:
        assert matches(kw("can't log in"), make_ticket("", "we cant log in"))
        assert matches(kw("cant log in"), make_ticket("", "we can\u2019t log in"))
        assert matches(kw("cant log in"), make_ticket("", "We can't log-in"))

    def test_wildcard_matches_word_starts_only(self) -> None:
        rule = kw("compromis*")
        assert reasons(rule, make_ticket("Account compromised")) == ('subject contains "compromised"',)
        assert not matches(rule, make_ticket("uncompromising quality"))

    def test_wildcard_inside_a_phrase(self) -> None:
        rule = kw("account* hacked")
        assert matches(rule, make_ticket("", "our accounts, hacked overnight"))
        assert not matches(rule, make_ticket("", "account was hacked"))

    def test_numbers_as_keywords(self) -> None:
        assert matches({"text": {"keywords": [502, "http 500"]}}, make_ticket("Getting 502 bad gateway"))
        assert matches(kw("http 500"), make_ticket("", "HTTP/500 everywhere"))

    def test_reason_names_field_and_words_in_config_order(self) -> None:
        rule = kw("ransomware", "data breach", "malware")
        ticket = make_ticket("hello", "malware then a data breach and ransomware")
        assert reasons(rule, ticket) == ('description contains "ransomware", "data breach" and "malware"',)

    def test_first_matching_field_is_reported(self) -> None:
        rule = kw("outage")
        ticket = make_ticket("Outage", "outage again", "still an outage")
        assert reasons(rule, ticket) == ('subject contains "outage"',)
        assert reasons(rule, make_ticket("hi", "hi", "outage")) == ('latest comment contains "outage"',)

    def test_fields_restrict_where_to_look(self) -> None:
        rule = kw("critical", fields=["subject"])
        assert matches(rule, make_ticket("CRITICAL: help"))
        assert not matches(rule, make_ticket("help", "this is critical", "critical"))
        rule = kw("critical", fields=["comment"])
        assert matches(rule, make_ticket("help", "", "critical now"))
        assert not matches(rule, make_ticket("critical", "critical"))

    def test_comment_equal_to_description_is_still_a_comment(self) -> None:
        # On a new ticket the first comment is the description; a comment-only rule still sees it.
        rule = kw("outage", fields=["comment"])
        assert matches(rule, make_ticket("x", "big outage", "big outage"))

    def test_phrase_never_spans_two_fields(self) -> None:
        rule = kw("site is down")
        assert not matches(rule, make_ticket("Our site", "is down"))
        assert not matches(rule, make_ticket("x", "our site", "is down"))
        assert matches(rule, make_ticket("x", "our site\nis down"))

    def test_same_phrase_in_several_rules(self) -> None:
        from rules import compile_rules

        ruleset = compile_rules(
            [
                {"name": "a", "when": {"text": {"keywords": ["site is down"]}}},
                {"name": "b", "when": {"text": {"keywords": ["site is down"], "fields": ["description"]}}},
                {"name": "c", "when": {"text": {"keywords": ["site is down"], "fields": ["subject"]}}},
            ]
        )
        assert ruleset.evaluate(make_ticket("hi", "the site is down")).rule_names == ("a", "b")

    def test_empty_ticket_matches_nothing(self) -> None:
        assert not matches(kw("outage"), make_ticket())


class TestNear:
    def rule(self, within: int = 2) -> dict[str, object]:
        return {"text": {"near": {"first": ["site", "web site"], "then": ["is down", "went down"], "within": within}}}

    def test_first_then_within_words(self) -> None:
        assert reasons(self.rule(), make_ticket("", "Our web site has been... is down")) == (
            'description contains "web site has been is down"',
        )
        assert matches(self.rule(), make_ticket("", "the site went down"))

    def test_too_far_apart_or_wrong_order(self) -> None:
        assert not matches(self.rule(1), make_ticket("", "the site we run for bookings is down"))
        assert not matches(self.rule(), make_ticket("", "it is down, the site"))

    def test_zero_means_adjacent(self) -> None:
        assert matches(self.rule(0), make_ticket("", "site is down"))
        assert not matches(self.rule(0), make_ticket("", "site really is down"))

    def test_default_within_is_three(self) -> None:
        rule = {"text": {"near": {"first": ["nobody"], "then": ["can"]}}}
        assert matches(rule, make_ticket("", "nobody at the office can work"))
        assert not matches(rule, make_ticket("", "nobody at the head office today can work"))


class TestRegex:
    def test_case_insensitive_on_original_text(self) -> None:
        rule = {"text": {"regex": [r"\bcve-\d{4}-\d{4,}\b"]}}
        assert reasons(rule, make_ticket("", "Exploit for CVE-2024-3094 seen")) == (
            r'description contains "CVE-2024-3094" (pattern /\bcve-\d{4}-\d{4,}\b/)',
        )
        assert not matches(rule, make_ticket("", "CVE 2024"))

    def test_single_string_is_accepted(self) -> None:
        assert matches({"text": {"regex": "sev ?1"}}, make_ticket("SEV1 now"))

    def test_keywords_or_regex(self) -> None:
        rule = {"text": {"keywords": ["outage"], "regex": [r"\b5\d\d errors?\b"]}}
        assert matches(rule, make_ticket("", "lots of 503 errors"))
        assert matches(rule, make_ticket("", "outage"))
        assert not matches(rule, make_ticket("", "fine"))
