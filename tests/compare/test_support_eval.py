"""The support scorer on the labelled pairs and pages: a regression guard on its quality.

The floors sit a little under the figures measured when the threshold was chosen
(held-out test split at 0.50: precision 0.938, recall 0.682; ``python -m
bench.support.eval`` prints them all), so a change that makes the scorer worse fails here.
"""

from __future__ import annotations

import json

import pytest

from bench.support.eval import choose_threshold, load_pairs, metrics, scores, split
from provenance.compare import DEFAULT_SUPPORT_THRESHOLD, BM25Scorer, best_support
from tests.conftest import DATA

PAIRS = load_pairs()
PAGES = [
    json.loads(line)
    for line in (DATA / "support" / "pages.jsonl").read_text(encoding="utf-8").splitlines()
]


def test_the_labelled_set_is_large_and_balanced_enough_to_measure():
    assert len(PAIRS) >= 150
    for name in ("dev", "test"):
        part = split(PAIRS, name)
        positives = sum(p.supports for p in part)
        assert 0.35 <= positives / len(part) <= 0.65
    # Every claim's pairs are in one split: the test split holds claims never tuned on.
    splits_by_claim: dict[str, set[str]] = {}
    for p in PAIRS:
        splits_by_claim.setdefault(p.claim, set()).add(p.split)
    assert all(len(s) == 1 for s in splits_by_claim.values())


def test_the_default_threshold_is_the_one_chosen_on_the_dev_split():
    dev = split(PAIRS, "dev")
    assert choose_threshold(dev, scores(dev, BM25Scorer())) == DEFAULT_SUPPORT_THRESHOLD


def test_held_out_precision_and_recall_stay_above_their_floors():
    test = split(PAIRS, "test")
    result = metrics(test, scores(test, BM25Scorer()), DEFAULT_SUPPORT_THRESHOLD)
    assert result.precision >= 0.88
    assert result.recall >= 0.62


def test_the_number_negation_and_antonym_checks_each_earn_their_place_on_dev():
    dev = split(PAIRS, "dev")
    full = metrics(dev, scores(dev, BM25Scorer()), DEFAULT_SUPPORT_THRESHOLD).f1
    for weaker in (
        BM25Scorer(number_penalty=1.0),
        BM25Scorer(negation_penalty=1.0),
        BM25Scorer(antonym_penalty=1.0),
    ):
        assert metrics(dev, scores(dev, weaker), DEFAULT_SUPPORT_THRESHOLD).f1 < full


@pytest.mark.parametrize("case", PAGES, ids=lambda c: f"{c['page']}: {c['claim'][:40]}")
def test_best_support_picks_the_supporting_passage_of_a_page(case):
    text = (DATA / "support" / "pages" / case["page"]).read_text(encoding="utf-8")
    match = best_support(case["claim"], text)
    assert match is not None
    assert case["expect"] in match.passage.text
    assert text[match.passage.start : match.passage.end] == match.passage.text
