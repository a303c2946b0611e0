"""How well a source passage supports a claim: a pluggable scorer and the best passage.

The default scorer is lexical and explainable. For each passage it computes a BM25
style weighted coverage of the claim's content terms: every claim term contributes its
weight times a BM25 term-frequency factor (saturating, length-normalised, capped at 1),
and the sum is divided by the total weight, so a passage that contains every claim term
scores 1 and one that contains none scores 0, whatever the document. Term weights
combine a document-independent prior (numbers and names count more than common words,
stop words nothing) with the term's inverse document frequency over the page's passages,
so words found everywhere on the page count for less than the ones that single out a
passage. Two cheap checks then catch what bag-of-words scoring misses: a passage that
states different numbers than the claim, and a passage whose negation disagrees with
the claim's, have their score multiplied down.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from provenance.compare import _text
from provenance.compare.passages import Passage, split_passages

__all__ = [
    "DEFAULT_SUPPORT_THRESHOLD",
    "BM25Scorer",
    "Scorer",
    "SupportMatch",
    "best_support",
]

DEFAULT_SUPPORT_THRESHOLD = 0.6
"""Best-passage score below which a claim counts as weakly supported (chosen on the dev split
of ``tests/data/support/pairs.jsonl``; see ``bench/support/eval.py``)."""


@dataclass(frozen=True, slots=True)
class SupportMatch:
    """The passage of a source that best supports a claim, and how well (0..1)."""

    score: float
    passage: Passage
    scorer: str


class Scorer(Protocol):
    """Scores how well each passage supports a claim, 0..1, comparable across documents."""

    name: str

    def score(self, claim: str, passages: Sequence[Passage]) -> list[float]:
        """One score in 0..1 per passage, in order."""
        ...


@dataclass(frozen=True, slots=True)
class _Prepared:
    terms: Counter[str]
    length: int
    numbers: frozenset[str]
    negated: bool


class BM25Scorer:
    """BM25 over passages, normalised by claim-term coverage, with number and negation checks.

    Args:
        k1: BM25 term-frequency saturation.
        b: BM25 length normalisation, against ``avg_len`` content terms.
        avg_len: the passage length (in content terms) that gets no length penalty; fixed
            rather than taken from the page so that scores compare across documents.
        idf_weight: how much the in-page inverse document frequency adds to a term's weight.
        number_penalty: factor per claim number that a passage with other numbers lacks.
        negation_penalty: factor when exactly one of claim and passage is negated.
    """

    name = "bm25"

    def __init__(
        self,
        *,
        k1: float = 1.2,
        b: float = 0.3,
        avg_len: float = 20.0,
        idf_weight: float = 0.5,
        number_penalty: float = 0.6,
        negation_penalty: float = 0.75,
    ) -> None:
        """Set the parameters (the defaults were tuned on the labelled dev split)."""
        self.k1 = k1
        self.b = b
        self.avg_len = avg_len
        self.idf_weight = idf_weight
        self.number_penalty = number_penalty
        self.negation_penalty = negation_penalty

    def score(self, claim: str, passages: Sequence[Passage]) -> list[float]:
        """One score in 0..1 per passage (see the module docstring for the formula)."""
        claim_tokens = _text.raw_tokens(claim)
        claim_terms = _claim_weights(claim, claim_tokens)
        if not claim_terms or not passages:
            return [0.0] * len(passages)
        prepared = [_prepare(p.text) for p in passages]
        weights = self._weights(claim_terms, prepared)
        total = sum(weights.values())
        claim_numbers = frozenset(t for t in claim_terms if _text.is_number(t))
        claim_negated = _negated(claim_tokens)
        scores: list[float] = []
        for p in prepared:
            norm = self.k1 * (1.0 - self.b + self.b * p.length / self.avg_len)
            covered = 0.0
            for term, weight in weights.items():
                tf = p.terms.get(term, 0)
                if tf:
                    covered += weight * min(1.0, tf * (self.k1 + 1.0) / (tf + norm))
            value = covered / total
            if claim_numbers and p.numbers:
                missing = len(claim_numbers - p.numbers)
                value *= self.number_penalty**missing
            if claim_negated != p.negated:
                value *= self.negation_penalty
            scores.append(value)
        return scores

    def _weights(
        self, claim_terms: dict[str, float], prepared: list[_Prepared]
    ) -> dict[str, float]:
        """Prior weight times (1 + idf_weight * normalised in-page IDF)."""
        n = len(prepared)
        top = math.log((n + 1) / 0.5)
        weights: dict[str, float] = {}
        for term, prior in claim_terms.items():
            df = sum(1 for p in prepared if term in p.terms)
            idf = math.log((n + 1) / (df + 0.5)) / top
            weights[term] = prior * (1.0 + self.idf_weight * idf)
        return weights


def _claim_weights(claim: str, tokens: list[str]) -> dict[str, float]:
    """Content terms of the claim with their prior weights: numbers 2, names 1.5, others 1."""
    names = {
        _text.stem(t.casefold())
        for i, t in enumerate(_text.raw_tokens_cased(claim))
        if i > 0 and t[:1].isupper()
    }
    weights: dict[str, float] = {}
    for term in _text.content_terms(tokens):
        if _text.is_number(term):
            weight = 2.0
        elif term in names:
            weight = 1.5
        else:
            weight = 1.0
        weights[term] = max(weights.get(term, 0.0), weight)
    return weights


def _prepare(text: str) -> _Prepared:
    tokens = _text.raw_tokens(text)
    terms = Counter(_text.content_terms(tokens))
    numbers = frozenset(t for t in terms if _text.is_number(t))
    return _Prepared(terms, sum(terms.values()), numbers, _negated(tokens))


def _negated(tokens: list[str]) -> bool:
    return any(t in _text.NEGATIONS for t in tokens)


def best_support(claim: str, text: str, scorer: Scorer | None = None) -> SupportMatch | None:
    """The passage of ``text`` that best supports ``claim``, or None when ``text`` has none.

    Ties go to the shorter passage, then to the earlier one, so the quote shown to a
    reader is as focused as the evidence allows.
    """
    passages = split_passages(text)
    if not passages:
        return None
    chosen = scorer if scorer is not None else BM25Scorer()
    scores = chosen.score(claim, passages)
    best = max(
        range(len(passages)),
        key=lambda i: (round(scores[i], 9), -(passages[i].end - passages[i].start), -i),
    )
    return SupportMatch(max(0.0, min(1.0, scores[best])), passages[best], chosen.name)
