"""Precision and recall of the support scorer on the labelled pairs; picks the threshold.

::

    python -m bench.support.eval [--pairs tests/data/support/pairs.jsonl]

Each line of the pairs file is a claim, a passage, whether the passage supports the
claim, the kind of pair (paraphrase, restated-number, negation, wrong-number, ...) and
its split. Pairs of the same claim share a split, so no claim is seen in both. The
threshold is chosen on the dev split (highest F1, ties to the higher threshold) and
then measured, unchanged, on the held-out test split. Each variant of the scorer is
the default with one check switched off, to show what each check is worth.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from provenance.compare import DEFAULT_SUPPORT_THRESHOLD, BM25Scorer, Passage, Scorer

PAIRS = Path(__file__).resolve().parents[2] / "tests" / "data" / "support" / "pairs.jsonl"


@dataclass(frozen=True)
class Pair:
    claim: str
    passage: str
    supports: bool
    kind: str
    split: str


@dataclass(frozen=True)
class Metrics:
    precision: float
    recall: float
    f1: float
    accuracy: float
    n: int


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [Pair(r["claim"], r["passage"], r["supports"], r["kind"], r["split"]) for r in rows]


def scores(pairs: Sequence[Pair], scorer: Scorer) -> list[float]:
    """Each pair's score: the claim against its one passage."""
    return [scorer.score(p.claim, [Passage(p.passage, 0, len(p.passage))])[0] for p in pairs]


def metrics(pairs: Sequence[Pair], values: Sequence[float], threshold: float) -> Metrics:
    tp = sum(1 for p, s in zip(pairs, values, strict=True) if s >= threshold and p.supports)
    fp = sum(1 for p, s in zip(pairs, values, strict=True) if s >= threshold and not p.supports)
    fn = sum(1 for p, s in zip(pairs, values, strict=True) if s < threshold and p.supports)
    tn = len(pairs) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Metrics(precision, recall, f1, (tp + tn) / len(pairs), len(pairs))


def choose_threshold(pairs: Sequence[Pair], values: Sequence[float]) -> float:
    """The threshold with the best F1 on ``pairs``, averaged over a +-0.05 neighbourhood.

    Thresholds go in steps of 0.01; the average keeps the choice in a stable region
    rather than on a spike of a small set. Ties go to the higher threshold.
    """
    grid = [i / 100 for i in range(1, 100)]
    f1 = {round(t, 2): metrics(pairs, values, t).f1 for t in grid}

    def smoothed(t: float) -> float:
        return sum(f1.get(round(t + d / 100, 2), 0.0) for d in range(-5, 6)) / 11

    return max(grid, key=lambda t: (round(smoothed(t), 9), t))


def split(pairs: Sequence[Pair], name: str) -> list[Pair]:
    return [p for p in pairs if p.split == name]


VARIANTS: dict[str, BM25Scorer] = {
    "default": BM25Scorer(),
    "no number check": BM25Scorer(number_penalty=1.0),
    "no negation check": BM25Scorer(negation_penalty=1.0),
    "no antonym check": BM25Scorer(antonym_penalty=1.0),
    "no prefix matching": BM25Scorer(prefix_credit=0.0),
    "plain coverage (no checks, no prefixes)": BM25Scorer(
        number_penalty=1.0, negation_penalty=1.0, antonym_penalty=1.0, prefix_credit=0.0
    ),
}


def _row(name: str, m: Metrics) -> str:
    figures = f"{m.precision:.3f} | {m.recall:.3f} | {m.f1:.3f} | {m.accuracy:.3f}"
    return f"| {name} | {figures} | {m.n} |"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    args = parser.parse_args(argv)
    pairs = load_pairs(args.pairs)
    dev, test = split(pairs, "dev"), split(pairs, "test")
    print(f"{len(pairs)} pairs: dev {len(dev)}, test {len(test)}")
    print(f"DEFAULT_SUPPORT_THRESHOLD = {DEFAULT_SUPPORT_THRESHOLD}\n")
    print("| scorer, threshold | split | precision | recall | F1 | accuracy | n |")
    print("|---|---|---|---|---|---|---|")
    for name, scorer in VARIANTS.items():
        dev_scores, test_scores = scores(dev, scorer), scores(test, scorer)
        best = choose_threshold(dev, dev_scores)
        for label, threshold in (("default", DEFAULT_SUPPORT_THRESHOLD), ("dev-best", best)):
            for split_name, part, values in (("dev", dev, dev_scores), ("test", test, test_scores)):
                m = metrics(part, values, threshold)
                print(_row(f"{name}, {label} {threshold:.2f} | {split_name}", m))
    scorer = BM25Scorer()
    dev_scores, test_scores = scores(dev, scorer), scores(test, scorer)
    print("\nThreshold sweep (default scorer):\n")
    print("| threshold | dev P | dev R | dev F1 | test P | test R | test F1 |")
    print("|---|---|---|---|---|---|---|")
    for t in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8):
        d, s = metrics(dev, dev_scores, t), metrics(test, test_scores, t)
        print(
            f"| {t:.2f} | {d.precision:.3f} | {d.recall:.3f} | {d.f1:.3f} "
            f"| {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} |"
        )
    print("\nBy kind, both splits, at the default threshold (share judged correctly):\n")
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for p, value in zip(dev + test, dev_scores + test_scores, strict=True):
        by_kind[p.kind].append((value >= DEFAULT_SUPPORT_THRESHOLD) == p.supports)
    for kind, right in sorted(by_kind.items()):
        print(f"- {kind}: {sum(right)}/{len(right)}")


if __name__ == "__main__":
    main()
