"""best_support and BM25Scorer: the supporting passage of a page, scored 0..1."""

from __future__ import annotations

from provenance.compare import (
    DEFAULT_SUPPORT_THRESHOLD,
    BM25Scorer,
    Passage,
    Scorer,
    best_support,
    cited_parts,
    split_passages,
)
from tests.conftest import DATA

PAGE = (DATA / "support" / "pages" / "helsinki-summit.txt").read_text(encoding="utf-8")


def test_the_supporting_passage_is_chosen_from_a_page():
    claim = "The two leaders met privately for about two hours, with only interpreters present."
    match = best_support(claim, PAGE)
    assert match is not None
    assert match.scorer == "bm25"
    assert "about two hours with only their interpreters" in match.passage.text
    assert match.score >= DEFAULT_SUPPORT_THRESHOLD
    assert PAGE[match.passage.start : match.passage.end] == match.passage.text


def test_a_claim_the_page_does_not_make_scores_below_the_threshold():
    match = best_support("Putin handed Trump a dossier of compromising material in Moscow.", PAGE)
    assert match is not None
    assert match.score < DEFAULT_SUPPORT_THRESHOLD


def test_a_wrong_number_scores_lower_than_the_right_one():
    scorer = BM25Scorer()
    passage = [Passage("The summit was held in Helsinki on July 16, 2018.", 0, 49)]
    right = scorer.score("The Helsinki summit took place on July 16, 2018.", passage)[0]
    wrong = scorer.score("The Helsinki summit took place on July 16, 2017.", passage)[0]
    assert wrong < right


def test_a_negated_claim_scores_lower_than_the_plain_one():
    scorer = BM25Scorer()
    passage = [Passage("Mueller found that the campaign coordinated with Russia.", 0, 56)]
    plain = scorer.score("Mueller found the campaign coordinated with Russia.", passage)[0]
    negated = scorer.score("Mueller found the campaign did not coordinate with Russia.", passage)[0]
    assert negated < plain


def test_scores_are_between_zero_and_one():
    scorer = BM25Scorer()
    passages = split_passages(PAGE)
    scores = scorer.score("Trump and Putin held a summit in Helsinki on July 16, 2018.", passages)
    assert len(scores) == len(passages)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert max(scores) > 0.5


def test_no_passages_gives_none_and_a_stopword_claim_scores_zero():
    assert best_support("Trump met Putin.", "") is None
    match = best_support("It was what it was.", PAGE)
    assert match is not None
    assert match.score == 0.0


class _ExactScorer:
    """A stand-in for a model-based scorer: 1.0 where the passage contains the claim."""

    name = "exact"

    def score(self, claim, passages):
        return [1.0 if claim in p.text else 0.0 for p in passages]


def test_the_scorer_is_pluggable():
    scorer: Scorer = _ExactScorer()
    match = best_support("sharp criticism", PAGE, scorer)
    assert match is not None
    assert match.scorer == "exact"
    assert match.score == 1.0
    assert (
        match.passage.text
        == "The remarks drew sharp criticism from members of both parties in Congress."
    )


def test_citation_markers_are_not_numbers_of_the_claim_or_the_passage():
    scorer = BM25Scorer()
    passage = [
        Passage("Trump and Putin met in Helsinki on July 16, 2018.[12][citation needed]", 0, 70)
    ]
    plain = scorer.score("Trump and Putin met in Helsinki on July 16, 2018.", passage)[0]
    for marked in (
        "Trump and Putin met in Helsinki on July 16, 2018 [1].",
        "Trump and Putin met in Helsinki on July 16, 2018 [2, 3].",
        "Trump and Putin met in Helsinki on July 16, 2018 [@helsinki-summit].",
    ):
        assert scorer.score(marked, passage)[0] == plain
    assert plain > 0.9


def test_a_sentence_citing_several_sources_is_scored_by_its_parts_too():
    claim = (
        "Papadopoulos offered to arrange meetings with Russian leadership in 2016 [1],"
        " Paul Manafort had business ties to oligarchs close to Putin [2], and several"
        " advisers had financial links to Russia [2]."
    )
    assert cited_parts(claim) == [
        "Papadopoulos offered to arrange meetings with Russian leadership in 2016",
        "Paul Manafort had business ties to oligarchs close to Putin",
        "and several advisers had financial links to Russia",
    ]
    page = (DATA / "support" / "pages" / "manafort-ties.txt").read_text(encoding="utf-8")
    whole = max(BM25Scorer().score(claim, split_passages(page)))
    match = best_support(claim, page)
    assert match is not None
    assert "oligarchs close to the Russian president" in match.passage.text
    assert whole < DEFAULT_SUPPORT_THRESHOLD <= match.score


def test_a_sentence_with_one_marker_is_one_claim():
    assert cited_parts("Trump met Putin in Helsinki on July 16, 2018 [1].") == []
    assert cited_parts("Trump met Putin [1] in Helsinki [2].") == []  # parts too short
