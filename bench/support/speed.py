"""Speed of the comparison functions on large inputs, beside a baseline in the same run.

::

    python -m bench.support.speed [--repeats 5] [--seed 1]

Inputs are seeded and built in memory: a ~1 MB page of news-like paragraphs for
``find_quote`` (a quote found verbatim, one with a typo, one missing), two ~200 KB
versions of a page for ``compare_text`` (a small edit, half the paragraphs rewritten,
and a different text altogether), and a page of about 100 passages for ``best_support``
and one of 1.3 MB (cold, and warm: another claim citing the same page reuses its
passages' terms). Every figure is CPU time per call (``time.process_time``, median of
the repeats), and each is also given as a ratio to the baseline: one
``re.findall(r"\\w+")`` pass over the same input, the cheapest thing that reads every
word of it. ``find_quote`` is timed cold (its per-text index rebuilt) and warm (the
index cached, as when several quotes are looked up in one snapshot).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from collections.abc import Callable

from provenance.compare import _text as text_module
from provenance.compare import best_support, compare_text, find_quote, split_passages
from provenance.compare import passages as passages_module
from provenance.compare import quotes as quotes_module
from provenance.compare import support as support_module

_WORDS = tuple(
    re.findall(
        r"\S+",
        "the president said officials report that investigators found evidence of contacts "
        "between campaign advisers and foreign agents while lawmakers asked for documents "
        "records show meetings in moscow and washington during the election year markets fell "
        "prices rose analysts expect growth inflation interest rates central bank announced new "
        "measures health ministry vaccine cases hospital patients researchers study trial "
        "results data ",
    )
)


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(12, 28))]
    words[0] = words[0].capitalize()
    if rng.random() < 0.3:
        words.insert(rng.randint(1, len(words) - 1), str(rng.randint(2, 2025)))
    return " ".join(words) + "."


def _page(rng: random.Random, size: int) -> list[str]:
    paragraphs: list[str] = []
    total = 0
    while total < size:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(2, 6)))
        paragraphs.append(paragraph)
        total += len(paragraph) + 1
    return paragraphs


def _cpu(
    func: Callable[[], object], repeats: int, before: Callable[[], object] | None = None
) -> float:
    """Median CPU seconds of ``func()`` over ``repeats`` runs (``before()`` untimed)."""
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        start = time.process_time()
        func()
        times.append(time.process_time() - start)
    return statistics.median(times)


def _baseline(text: str, repeats: int) -> float:
    return _cpu(lambda: re.findall(r"\w+", text), repeats)


def _report(name: str, seconds: float, baseline: float) -> None:
    print(f"| {name} | {seconds * 1000:.1f} | {baseline * 1000:.1f} | {seconds / baseline:.1f}x |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    repeats = args.repeats

    print("| call | ms CPU per call | baseline ms (one \\w+ pass) | ratio |")
    print("|---|---|---|---|")

    paragraphs = _page(rng, 1_000_000)
    quote = "Kompromat was never shown to exist, the committee concluded in its final report."
    paragraphs.insert(len(paragraphs) * 2 // 3, f"In the end, {quote} Nobody disputed it.")
    big = "\n".join(paragraphs)
    base = _baseline(big, repeats)
    typo = quote.replace("committee", "comittee").replace("final", "finel")
    missing = "The summit in Reykjavik ended without any agreement on nuclear weapons."
    for label, q in (("verbatim", quote), ("typo", typo), ("missing", missing)):
        cold = _cpu(lambda q=q: find_quote(q, big), repeats, quotes_module._index.cache_clear)
        warm = _cpu(lambda q=q: find_quote(q, big), repeats)
        _report(f"find_quote, {len(big) / 1e6:.1f} MB, {label}, cold", cold, base)
        _report(f"find_quote, {len(big) / 1e6:.1f} MB, {label}, warm", warm, base)

    before_paragraphs = _page(rng, 200_000)
    before = "\n".join(before_paragraphs)
    edited = list(before_paragraphs)
    edited[len(edited) // 2] = edited[len(edited) // 2].replace(" the ", " a ", 1)
    rewritten = [
        p if i % 2 else " ".join(_sentence(rng) for _ in range(3))
        for i, p in enumerate(before_paragraphs)
    ]
    base = _baseline(before + before, repeats)
    other = "\n".join(_page(rng, 200_000))
    for label, after in (
        ("small edit", "\n".join(edited)),
        ("half rewritten", "\n".join(rewritten)),
        ("another text", other),
    ):
        seconds = _cpu(lambda after=after: compare_text(before, after), repeats)
        _report(f"compare_text, 2 x {len(before) / 1e3:.0f} KB, {label}", seconds, base)

    # 17 paragraphs of 3 sentences: about 100 passages.
    page = "\n\n".join(" ".join(_sentence(rng) for _ in range(3)) for _ in range(17))
    claim = "Investigators found evidence of meetings between campaign advisers and foreign agents."
    n = len(split_passages(page))
    base = _baseline(page, repeats * 4)

    def clear() -> None:
        support_module._page.cache_clear()
        support_module._piece.cache_clear()
        passages_module._split.cache_clear()
        text_module.stem.cache_clear()

    cold = _cpu(lambda: best_support(claim, page), repeats * 4, clear)
    warm = _cpu(lambda: best_support(claim, page), repeats * 4)
    label = f"best_support, {n} passages ({len(page) / 1e3:.0f} KB)"
    _report(f"{label}, cold", cold, base)
    _report(f"{label}, warm (passages of an earlier claim cached)", warm, base)

    # A long report: 3,000 paragraphs, about 1.3 MB and 21,000 passages.
    long_page = "\n\n".join(" ".join(_sentence(rng) for _ in range(3)) for _ in range(3000))
    n = len(split_passages(long_page))
    base = _baseline(long_page, repeats)
    cold = _cpu(lambda: best_support(claim, long_page), repeats, clear)
    warm = _cpu(lambda: best_support(claim, long_page), repeats)
    label = f"best_support, {n} passages ({len(long_page) / 1e6:.1f} MB)"
    _report(f"{label}, cold", cold, base)
    _report(f"{label}, warm", warm, base)


if __name__ == "__main__":
    main()
