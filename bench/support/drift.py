"""Drift similarity of labelled page changes, to place ``DEFAULT_DRIFT_THRESHOLD``.

::

    python -m bench.support.drift

Each scenario is a change to the as-cited article ``tests/data/support/drift/
summit-article.txt`` that a reader would call either *the same source* (cosmetic
changes, a corrected word, an appended update, one sentence removed) or *drifted* (a
rewrite of the story, half the paragraphs replaced, an unrelated page at the URL).
The table shows each scenario's similarity and whether the default threshold puts it
on the right side. ``tests/compare/test_drift.py`` asserts the same split.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from provenance.compare import DEFAULT_DRIFT_THRESHOLD, compare_text

DRIFT = Path(__file__).resolve().parents[2] / "tests" / "data" / "support" / "drift"


def _read(name: str) -> str:
    return (DRIFT / name).read_text(encoding="utf-8")


def _lines(text: str) -> list[str]:
    return text.splitlines()


def _drop_prose_lines(text: str, every: int, offset: int = 0) -> str:
    """Remove every ``every``-th line of the article body (lines of 12+ words)."""
    body = [i for i, line in enumerate(_lines(text)) if len(line.split()) >= 12]
    dropped = set(body[offset::every])
    return "\n".join(line for i, line in enumerate(_lines(text)) if i not in dropped)


def _replace_prose_lines(text: str, replacement: str, every: int) -> str:
    body = [i for i, line in enumerate(_lines(text)) if len(line.split()) >= 12]
    fresh = [line for line in _lines(replacement) if len(line.split()) >= 12]
    lines = _lines(text)
    for n, i in enumerate(body[::every]):
        lines[i] = fresh[n % len(fresh)]
    return "\n".join(lines)


def scenarios() -> list[tuple[str, bool, Callable[[str], str]]]:
    """(name, drifted?, change) for each labelled change of the article."""
    rewrite = _read("summit-rewritten.txt")
    unrelated = _read("unrelated-page.txt")
    return [
        ("unchanged", False, lambda t: t),
        (
            "dates, counters, navigation changed",
            False,
            lambda t: (
                t.replace("6:12 PM ET, Mon July 16, 2018", "8:01 AM ET, Wed July 18, 2018")
                .replace("2,481 comments", "7,930 comments")
                .replace("Opinion\n", "Opinion\nSport\nVideo\n")
                .replace("© 2018", "© 2025")
            ),
        ),
        ("capitalisation changed", False, lambda t: t.replace("Finnish", "finnish")),
        ("spelling changed", False, lambda t: t.replace("interpreters", "interpretters")),
        ("one word changed", False, lambda t: t.replace("about two hours", "more than two hours")),
        (
            "correction appended",
            False,
            lambda t: t.replace(
                "Share this article\nShare this article",
                "Correction: An earlier version of this article misstated the length of the"
                " private meeting between the two leaders; it lasted about two hours.\n"
                "Share this article\nShare this article",
            ),
        ),
        ("an article changed in every sentence", False, lambda t: t.replace(" the ", " a ")),
        ("quoted sentence removed", False, lambda t: _drop_prose_lines(t, 99, 3)),
        ("two paragraphs removed", False, lambda t: _drop_prose_lines(t, 5, 2)),
        ("half the paragraphs removed", True, lambda t: _drop_prose_lines(t, 2)),
        ("half the paragraphs replaced", True, lambda t: _replace_prose_lines(t, rewrite, 2)),
        ("story rewritten", True, lambda t: rewrite),
        ("unrelated page (soft 404)", True, lambda t: unrelated),
    ]


def main() -> None:
    article = _read("summit-article.txt")
    print(f"DEFAULT_DRIFT_THRESHOLD = {DEFAULT_DRIFT_THRESHOLD}\n")
    print("| change | labelled | similarity | drifted at default | right? |")
    print("|---|---|---|---|---|")
    for name, drifted, change in scenarios():
        drift = compare_text(article, change(article))
        judged = drift.drifted()
        label = "drifted" if drifted else "same source"
        print(f"| {name} | {label} | {drift.similarity:.3f} | {judged} | {judged == drifted} |")


if __name__ == "__main__":
    main()
