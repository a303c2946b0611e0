"""compare_text and main_text_for_drift: what counts as a source's text changing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.support.drift import scenarios
from provenance.compare import DEFAULT_DRIFT_THRESHOLD, compare_text, main_text_for_drift
from tests.conftest import DATA

ARTICLE = (DATA / "support" / "drift" / "news-article.txt").read_text(encoding="utf-8")


def test_identical_text_has_similarity_one_and_no_change():
    drift = compare_text(ARTICLE, ARTICLE)
    assert drift.similarity == 1.0
    assert not drift.changed
    assert drift.removed == drift.added == ()


def test_dates_counters_and_navigation_do_not_count():
    after = (
        ARTICLE.replace("3:45 PM EST, Mon July 16, 2018", "9:02 AM EDT, Tue July 17, 2018")
        .replace("12,345 views", "98,765 views")
        .replace("Home\nNews\n", "Home\nWorld\nSport\n")
        .replace("© 2018", "© 2024")
    )
    drift = compare_text(ARTICLE, after)
    assert drift.similarity == 1.0
    assert not drift.changed


def test_main_text_drops_boilerplate_and_keeps_the_article():
    main = main_text_for_drift(ARTICLE)
    assert "Share this article" not in main
    assert "All rights reserved" not in main
    assert "Politics" not in main
    assert "12,345" not in main
    assert "2018" not in main.splitlines()[0]
    assert "President Donald Trump met Russian President Vladimir Putin in Helsinki" in main


def test_a_small_edit_keeps_similarity_high_and_shows_the_edit():
    after = ARTICLE.replace("about two hours", "more than two hours")
    drift = compare_text(ARTICLE, after)
    assert drift.changed
    assert drift.similarity > 0.95
    assert not drift.drifted()
    assert any("about two hours" in s for s in drift.removed)
    assert any("more than two hours" in s for s in drift.added)


def test_a_removed_quoted_sentence_appears_in_removed():
    after = ARTICLE.replace(
        '"I don\'t see any reason why it would be," Trump said of Russian involvement.\n', ""
    )
    drift = compare_text(ARTICLE, after)
    assert drift.removed == (
        '"I don\'t see any reason why it would be," Trump said of Russian involvement.',
    )
    assert drift.added == ()
    assert drift.similarity > DEFAULT_DRIFT_THRESHOLD


def test_a_rewrite_has_low_similarity():
    rewrite = """Trump and Putin meet in Helsinki
Markets were calm on Monday as investors looked past the summit in Finland.
Analysts said oil prices reacted more to supply data than to diplomacy.
European shares closed slightly higher, led by banks and carmakers.
The euro was little changed against the dollar by the end of the session.
"""
    drift = compare_text(ARTICLE, rewrite)
    assert drift.similarity < 0.4
    assert drift.drifted()
    assert 0 < len(drift.removed) <= 5
    assert all(len(s) <= 161 for s in drift.removed + drift.added)


def test_long_changed_sentences_are_trimmed():
    long_sentence = "The committee reviewed " + "many documents and " * 30 + "reported."
    drift = compare_text(ARTICLE, ARTICLE + long_sentence + "\n")
    assert len(drift.added) == 1
    assert drift.added[0].endswith("…")
    assert len(drift.added[0]) <= 161


@pytest.mark.parametrize(
    ("name", "drifted", "change"), scenarios(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_the_default_threshold_separates_edits_from_drift(name, drifted, change):
    article = (DATA / "support" / "drift" / "summit-article.txt").read_text(encoding="utf-8")
    drift = compare_text(article, change(article))
    assert drift.drifted() is drifted, f"{name}: similarity {drift.similarity}"
    assert drift.drifted(DEFAULT_DRIFT_THRESHOLD) is (drift.similarity < DEFAULT_DRIFT_THRESHOLD)


def test_an_edit_deep_in_a_long_sentence_is_shown_around_the_edit():
    sentence = (
        "Multiple strands of reporting and congressional work catalog contact between campaign"
        " figures and Russian-linked actors, and Paul Manafort had business ties to oligarchs"
        " close to Putin, while several advisers had professional or financial links to Russia."
    )
    before = ARTICLE + sentence + "\n"
    after = ARTICLE + sentence.replace("close to Putin", "in Ukraine") + "\n"
    drift = compare_text(before, after)
    assert len(drift.removed) == len(drift.added) == 1
    assert "oligarchs close to Putin" in drift.removed[0]
    assert "oligarchs in Ukraine" in drift.added[0]
    assert drift.removed[0].startswith("…")
    assert all(len(s) <= 161 for s in drift.removed + drift.added)


def test_empty_texts():
    assert compare_text("", "").similarity == 1.0
    assert compare_text("Home\nNews\n", "Home\nSport\n").similarity == 1.0  # navigation only
    appeared = compare_text("", ARTICLE)
    assert appeared.similarity == 0.0
    assert appeared.drifted()
    assert appeared.removed == ()
    assert len(appeared.added) == 5


_LINES = st.lists(
    st.sampled_from(
        [
            "Trump met Putin in Helsinki on Monday.",
            "The two leaders spoke for about two hours.",
            "Lawmakers from both parties criticised the remarks.",
            "Updated 3:45 PM, July 16, 2018",
            "Share this article",
            "Home",
            "The White House later said the president had misspoken.",
            "Markets were calm as investors looked past the summit.",
        ]
    ),
    max_size=12,
)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(before=_LINES, after=_LINES)
def test_similarity_is_a_share_and_a_text_is_identical_to_itself(before, after):
    a, b = "\n".join(before), "\n".join(after)
    drift = compare_text(a, b)
    assert 0.0 <= drift.similarity <= 1.0
    assert compare_text(a, a).similarity == 1.0
    assert (drift.similarity == 1.0) is (not drift.changed)
    assert len(drift.removed) <= 5 and len(drift.added) <= 5
