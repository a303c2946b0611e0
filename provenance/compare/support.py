"""How well a source passage supports a claim: a pluggable scorer and the best passage.

The default scorer is lexical and explainable. For each passage it computes a BM25
style weighted coverage of the claim's content terms: every claim term contributes its
weight times a BM25 term-frequency factor (saturating, length-normalised, capped at 1),
and the sum is divided by the total weight, so a passage that contains every claim term
scores 1 and one that contains none scores 0. In place of BM25's inverse document
frequency, which depends on the page, each term has a fixed prior weight (numbers and
names count more than common words, reporting verbs less, stop words nothing): a
claim's score against a passage is then the same whatever else the page says, which
keeps scores comparable across documents and lets one threshold serve all of them.
Terms match after light stemming and synonym folding, by prefix at partial credit
("Russia" in "Russian"), and numbers match when they state the same figure.

Three cheap checks catch what bag-of-words scoring misses, each multiplying the score
down: a passage that states other numbers than the claim's, a passage whose negation
disagrees with the claim's ("did not" against a plain statement), and a passage that
uses the opposite of a claim word ("vetoed" for "signed"). ``bench/support/eval.py``
measures each of them on the labelled pairs.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from provenance.compare import _text
from provenance.compare.passages import Passage, split_passages
from provenance.compare.thresholds import DEFAULT_SUPPORT_THRESHOLD

__all__ = [
    "DEFAULT_SUPPORT_THRESHOLD",
    "BM25Scorer",
    "Scorer",
    "SupportMatch",
    "best_support",
    "cited_parts",
]


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
    # The stemmed tokens, stop words included, that have an antonym (for the antonym check;
    # only those, to keep a large page's terms small).
    polar: frozenset[str]


class BM25Scorer:
    """BM25 over passages, normalised by claim-term coverage, with three contradiction checks.

    Args:
        k1: BM25 term-frequency saturation.
        b: BM25 length normalisation, against ``avg_len`` content terms.
        avg_len: the passage length (in content terms) that gets no length penalty; fixed
            rather than taken from the page so that scores compare across documents.
        prefix_credit: credit for a claim term that only matches by prefix ("russia" in
            "russian", "europ" in "european").
        number_penalty: factor per claim number that a passage with other numbers lacks.
        negation_penalty: factor when exactly one of claim and passage is negated.
        antonym_penalty: factor per claim term whose opposite the passage uses instead
            ("rose" against "fell", "signed" against "vetoed").
    """

    name = "bm25"

    def __init__(
        self,
        *,
        k1: float = 1.2,
        b: float = 0.3,
        avg_len: float = 20.0,
        prefix_credit: float = 0.8,
        number_penalty: float = 0.6,
        negation_penalty: float = 0.6,
        antonym_penalty: float = 0.4,
    ) -> None:
        """Set the parameters (the defaults were tuned on the labelled dev split)."""
        self.k1 = k1
        self.b = b
        self.avg_len = avg_len
        self.prefix_credit = prefix_credit
        self.number_penalty = number_penalty
        self.negation_penalty = negation_penalty
        self.antonym_penalty = antonym_penalty

    def score(self, claim: str, passages: Sequence[Passage]) -> list[float]:
        """One score in 0..1 per passage (see the module docstring for the formula)."""
        claim_tokens = _text.raw_tokens(claim)
        claim_terms = _claim_weights(claim, claim_tokens)
        if not claim_terms or not passages:
            return [0.0] * len(passages)
        page = _page(tuple(passages))
        # For each claim term, the page's terms that stand for it: itself, the same
        # figure written differently, or a word it is a prefix of (or that is one of it).
        variants = {
            term: _variants(term, page.postings.keys(), self.prefix_credit) for term in claim_terms
        }
        weights = claim_terms
        total = sum(weights.values())
        claim_numbers = [t for t in claim_terms if _text.is_number(t)]
        claim_negated = _negated(claim_tokens)
        opposites = {
            term: _text.ANTONYMS[term]
            for term in map(_text.stem, claim_tokens)
            if term in _text.ANTONYMS
        }
        # Only passages with at least one claim term can score above 0.
        candidates: set[int] = set()
        for forms in variants.values():
            for form, _ in forms:
                candidates.update(page.postings.get(form, ()))
        scores = [0.0] * len(passages)
        for i in candidates:
            scores[i] = self._score(
                page.prepared[i], variants, weights, total, claim_numbers, claim_negated, opposites
            )
        return scores

    def _score(
        self,
        p: _Prepared,
        variants: dict[str, tuple[tuple[str, float], ...]],
        weights: dict[str, float],
        total: float,
        claim_numbers: list[str],
        claim_negated: bool,
        opposites: dict[str, str],
    ) -> float:
        norm = self.k1 * (1.0 - self.b + self.b * p.length / self.avg_len)
        covered = 0.0
        for term, weight in weights.items():
            best = 0.0
            for variant, credit in variants[term]:
                tf = p.terms.get(variant, 0)
                if tf:
                    best = max(best, credit * min(1.0, tf * (self.k1 + 1.0) / (tf + norm)))
            covered += weight * best
        value = covered / total
        if claim_numbers and p.numbers:
            missing = sum(
                1
                for n in claim_numbers
                if not any(_text.same_number(n, other) for other in p.numbers)
            )
            value *= self.number_penalty**missing
        if claim_negated != p.negated:
            value *= self.negation_penalty
        for term, opposite in opposites.items():
            if opposite in p.polar and term not in p.polar:
                value *= self.antonym_penalty
        return value


def _variants(
    term: str, vocabulary: Iterable[str], prefix_credit: float
) -> tuple[tuple[str, float], ...]:
    found: list[tuple[str, float]] = [(term, 1.0)]
    if _text.is_number(term):
        found += [
            (v, 1.0)
            for v in vocabulary
            if v != term and _text.is_number(v) and _text.same_number(term, v)
        ]
    elif len(term) >= 4:
        found += [
            (v, prefix_credit)
            for v in vocabulary
            if v != term and len(v) >= 4 and (v.startswith(term) or term.startswith(v))
        ]
    return tuple(found)


def _claim_weights(claim: str, tokens: list[str]) -> dict[str, float]:
    """Content terms of the claim with their prior weights.

    Numbers 2, names 1.5, reporting verbs ("said", "found") 0.3, other words 1.
    """
    names = {
        _text.stem(t.casefold())
        for i, t in enumerate(_text.raw_tokens_cased(claim))
        if i > 0 and t[:1].isupper()
    }
    weights: dict[str, float] = {}
    for term in _text.content_terms(tokens):
        if _text.is_number(term):
            weight = 2.0
        elif term in _text.REPORTING:
            weight = 0.3
        elif term in names:
            weight = 1.5
        else:
            weight = 1.0
        weights[term] = max(weights.get(term, 0.0), weight)
    return weights


@dataclass(frozen=True, slots=True)
class _Page:
    prepared: tuple[_Prepared, ...]
    postings: dict[str, list[int]]  # term -> the passages that contain it


@functools.lru_cache(maxsize=4)
def _page(passages: tuple[Passage, ...]) -> _Page:
    """The passages' terms and an inverted index; cached, as every claim citing a source
    is scored against the same passages."""
    prepared = tuple(_prepare(p.text) for p in passages)
    postings: dict[str, list[int]] = {}
    for i, p in enumerate(prepared):
        for term in p.terms:
            postings.setdefault(term, []).append(i)
    return _Page(prepared, postings)


def _prepare(text: str) -> _Prepared:
    """A passage's terms, put together from its sentences' (windows share sentences)."""
    pieces = [_piece(piece) for piece in _SENTENCE_BREAK.split(text)]
    if len(pieces) == 1:
        return pieces[0]
    terms: Counter[str] = Counter()
    for piece in pieces:
        terms.update(piece.terms)
    return _Prepared(
        terms,
        sum(piece.length for piece in pieces),
        frozenset().union(*(piece.numbers for piece in pieces)),
        any(piece.negated for piece in pieces),
        frozenset().union(*(piece.polar for piece in pieces)),
    )


# Where a passage can be cut into pieces that other windows share: after sentence
# punctuation and white space (a cut after "Dr." is harmless, only less sharing).
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…\"”’)])\s+")


@functools.lru_cache(maxsize=1 << 13)
def _piece(text: str) -> _Prepared:
    tokens = _text.raw_tokens(text)
    terms = Counter(_text.content_terms(tokens))
    numbers = frozenset(t for t in terms if _text.is_number(t))
    polar = frozenset(w for w in map(_text.stem, tokens) if w in _text.ANTONYMS)
    return _Prepared(terms, sum(terms.values()), numbers, _negated(tokens), polar)


def _negated(tokens: list[str]) -> bool:
    return any(t in _text.NEGATIONS for t in tokens)


_CITATION = re.compile(r"\[\s*(?:\d+[a-z]?(?:\s*[-–,;]\s*\d+[a-z]?)*|[@^][^\]]{1,80})\s*\]")
_MIN_PART_WORDS = 5  # shorter parts ("and Z [3]") lean on the rest of the sentence


def cited_parts(claim: str) -> list[str]:
    """The parts of a sentence that end at its citation markers, when it has two or more.

    "A did x [1], and B did y [2]." gives ["A did x", "and B did y"]; a sentence with
    fewer than two markers gives nothing (the whole sentence is the claim). Parts of
    fewer than five words are left out.
    """
    markers = list(_CITATION.finditer(claim))
    if len(markers) < 2:
        return []
    parts: list[str] = []
    previous = 0
    for marker in markers:
        part = claim[previous : marker.start()].strip(" ,;:.")
        previous = marker.end()
        if len(part.split()) >= _MIN_PART_WORDS:
            parts.append(part)
    return parts


def best_support(claim: str, text: str, scorer: Scorer | None = None) -> SupportMatch | None:
    """The passage of ``text`` that best supports ``claim``, or None when ``text`` has none.

    Ties go to the shorter passage, then to the earlier one, so the quote shown to a
    reader is as focused as the evidence allows.

    A sentence with several citation markers often cites each source for one part
    ("X offered meetings [1], Y had ties to oligarchs [2]"); the caller does not say
    which part is this source's, so each part ending at a marker is scored as well as
    the whole sentence, and a passage's score is the best of them.
    """
    passages = split_passages(text)
    if not passages:
        return None
    chosen = scorer if scorer is not None else BM25Scorer()
    scores = chosen.score(claim, passages)
    for part in cited_parts(claim):
        scores = [max(a, b) for a, b in zip(scores, chosen.score(part, passages), strict=True)]
    best = max(
        range(len(passages)),
        key=lambda i: (round(scores[i], 9), -(passages[i].end - passages[i].start), -i),
    )
    return SupportMatch(max(0.0, min(1.0, scores[best])), passages[best], chosen.name)
