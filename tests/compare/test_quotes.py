"""find_quote: found, found after normalisation, approximate, missing with the best passage."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.compare import QuoteStatus, find_quote, normalize_for_match

ARTICLE = (
    "Helsinki, July 16, 2018\n"
    "Asked whether he believed his own intelligence agencies, the president said: "
    "\u201cPresident Putin says it\u2019s not Russia. "
    "I don\u2019t see any reason why it would be.\u201d\n"
    "The remark drew bipartisan criticism in Washington \u2014 even from Republican allies.\n"
    "Later, the White House said he had misspoken and meant \u201cwouldn\u2019t\u201d.\n"
)


def test_a_verbatim_quote_is_found_with_its_sentence():
    match = find_quote("I don\u2019t see any reason why it would be.", ARTICLE)
    assert match.status is QuoteStatus.FOUND
    assert match.similarity == 1.0
    assert match.passage is not None
    assert ARTICLE[match.passage.start : match.passage.end] == match.passage.text
    assert "I don\u2019t see any reason why it would be" in match.passage.text


@pytest.mark.parametrize(
    "quote",
    [
        "president putin says it's not russia.",  # straight apostrophe, lower case
        "\"President Putin says it's not   Russia.",  # straight quote, extra spaces
        "criticism in Washington - even from Republican allies",  # hyphen for an em dash
        "criticism in Wash\u00adington \u2013 even from Repub\u200blican allies",  # soft hyphen
    ],
)
def test_quotes_differing_only_in_typography_are_found(quote):
    assert find_quote(quote, ARTICLE).status is QuoteStatus.FOUND


def test_an_elided_quote_is_found_when_its_fragments_appear_in_order():
    quote = "President Putin says it\u2019s not Russia \u2026 why it would be"
    assert find_quote(quote, ARTICLE).status is QuoteStatus.FOUND


def test_a_quote_with_a_typo_is_approximate_and_points_at_the_passage():
    match = find_quote("I don't see any reasn why it would be", ARTICLE)
    assert match.status is QuoteStatus.APPROXIMATE
    assert match.status.present
    assert 0.85 <= match.similarity < 1.0
    assert match.passage is not None
    assert "any reason why it would be" in match.passage.text


def test_changed_punctuation_is_approximate():
    match = find_quote("the remark drew bipartisan criticism in Washington, even", ARTICLE)
    assert match.status is QuoteStatus.APPROXIMATE
    assert match.similarity > 0.9


def test_a_missing_quote_shows_the_closest_passage():
    match = find_quote("The remark drew praise from Democratic leaders in Moscow", ARTICLE)
    assert match.status is QuoteStatus.MISSING
    assert not match.status.present
    assert match.similarity < 0.85
    assert match.passage is not None
    assert match.passage.text.startswith("The remark drew bipartisan criticism")


def test_a_quote_with_nothing_in_common_has_no_passage():
    match = find_quote("zebras graze quietly", ARTICLE)
    assert match == dataclasses.replace(match, status=QuoteStatus.MISSING, passage=None)


def test_an_empty_quote_is_missing():
    assert find_quote(" \u2026 ", ARTICLE).status is QuoteStatus.MISSING


def test_a_quote_in_a_large_text_is_placed_exactly():
    filler = "Unrelated paragraph about the weather and local sport results.\n" * 5000
    text = filler + ARTICLE + filler
    match = find_quote("I dont see any reason why it would be", text)
    assert match.status is QuoteStatus.APPROXIMATE
    assert match.passage is not None
    assert text[match.passage.start : match.passage.end] == match.passage.text
    assert "I don\u2019t see any reason" in match.passage.text


def test_normalize_for_match():
    assert normalize_for_match("  \u201cIt\u2019s\u00a0\u2014 OK\u201d\u200b\n") == '"it\'s - ok"'
    assert normalize_for_match("\ufb01nal STRASSE") == "final strasse"


_WORDS = st.sampled_from(
    [
        *[
            "the",
            "president",
            "said",
            "russia",
            "putin",
            "helsinki",
            "summit",
            "report",
            "campaign",
            "2016",
        ],
        *["kompromat", "“no”", "evidence", "–", "dossier", "Trump’s", "meeting"],
    ]
)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(
    words=st.lists(_WORDS, min_size=30, max_size=80),
    span=st.tuples(st.integers(0, 20), st.integers(4, 9)),
)
def test_any_run_of_words_of_a_text_is_found_where_it_is(words, span):
    text = " ".join(words)
    start, length = span
    quote = " ".join(words[start : start + length])
    match = find_quote(quote.upper(), text)
    assert match.status is QuoteStatus.FOUND
    assert match.passage is not None
    assert text[match.passage.start : match.passage.end] == match.passage.text
    assert normalize_for_match(quote) in normalize_for_match(match.passage.text)


def test_a_quote_with_a_changed_negation_or_number_is_missing_not_approximate():
    text = (
        "The trial showed that the vaccine reduced hospital admissions by sixty percent. "
        "Officials said the results wouldn't change the rollout schedule."
    )
    negated = find_quote("Officials said the results would change the rollout schedule", text)
    assert negated.status is QuoteStatus.MISSING
    assert negated.similarity >= 0.85  # close in characters...
    assert negated.passage is not None  # ...and shown, so a reader sees the difference
    assert "wouldn\u2019t" in negated.passage.text or "wouldn't" in negated.passage.text
    number = find_quote("the vaccine reduced hospital admissions by fifty percent", text)
    assert number.status is QuoteStatus.MISSING
    digits = find_quote("reduced admissions by 60 percent", "It reduced admissions by 50 percent.")
    assert digits.status is QuoteStatus.MISSING


def test_a_quote_in_an_empty_text_is_missing_without_a_passage():
    assert find_quote("any reason why", "") == find_quote("any reason why", "  \n ")
    assert find_quote("any reason why", "").status is QuoteStatus.MISSING
    assert find_quote("any reason why", "").passage is None


def test_without_sentence_ends_nearby_the_passage_is_cut_at_word_boundaries():
    words = " ".join(f"word{i}" for i in range(400))
    match = find_quote("word200 word201 word202", words)
    assert match.status is QuoteStatus.FOUND
    assert match.passage is not None
    assert match.passage.text.startswith("word") and match.passage.text.split()[0] in words.split()
    assert match.passage.text.split()[-1] in words.split()
    assert "word200 word201 word202" in match.passage.text
