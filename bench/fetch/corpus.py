"""Generate a corpus of Markdown articles that cite every URL of a manifest.

Each article has a title, a few paragraphs of sentences ending in ``[n]`` markers
and a ``## References`` section of ``[n]: URL`` definitions (CommonMark link
reference definitions, so the markers are shortcut reference links that link
checkers such as lychee resolve). Every manifest URL is cited at least once;
a fraction is cited again in a later article, and some markers repeat inside an
article, so an end-to-end run also exercises de-duplication.

Run alone::

    python -m bench.fetch.corpus --manifest /tmp/manifest.json --out /tmp/corpus
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

__all__ = ["generate_corpus"]

_SUBJECTS = (
    "The council",
    "A later survey",
    "The ministry",
    "Independent auditors",
    "The court",
    "Local historians",
    "The harbour authority",
    "A university study",
    "The census office",
    "Several newspapers",
)
_VERBS = (
    "reported",
    "found",
    "estimated",
    "confirmed",
    "disputed",
    "noted",
    "argued",
    "recorded",
)
_OBJECTS = (
    "that the budget had doubled since 2009",
    "a sharp fall in river levels during the drought",
    "that the railway would close within a decade",
    "an increase in museum visitors after the festival",
    "that the treaty was never ratified",
    "a shortfall in pension contributions",
    "that the glacier retreated by forty metres",
    "record turnout in the regional election",
    "that tariffs raised consumer prices",
    "a decline in library lending",
)


def _sentence(rng: random.Random, marker: int) -> str:
    return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} [{marker}]."


def generate_corpus(
    urls: list[str],
    out_dir: Path,
    *,
    refs_per_article: int = 25,
    repeat_fraction: float = 0.1,
    seed: int = 0,
) -> list[Path]:
    """Write ``article-NNNN.md`` files into ``out_dir`` citing every URL in ``urls``.

    ``repeat_fraction`` of the URLs (chosen deterministically) are cited in a
    second article as well. Returns the written paths.
    """
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    order = list(urls)
    repeats = rng.sample(order, k=int(len(order) * repeat_fraction)) if order else []
    citations = order + repeats
    paths: list[Path] = []
    for index, start in enumerate(range(0, len(citations), refs_per_article)):
        chunk = list(dict.fromkeys(citations[start : start + refs_per_article]))
        lines = [f"# Article {index + 1}: notes on public records", ""]
        markers = list(range(1, len(chunk) + 1))
        # Every reference is cited once in order; a few are cited a second time.
        cited = markers + rng.sample(markers, k=max(0, len(markers) // 5))
        for para_start in range(0, len(cited), 5):
            lines.append(" ".join(_sentence(rng, m) for m in cited[para_start : para_start + 5]))
            lines.append("")
        lines.append("## References")
        lines.append("")
        lines.extend(f"[{n}]: {url}" for n, url in zip(markers, chunk, strict=True))
        lines.append("")
        path = out_dir / f"article-{index + 1:04d}.md"
        path.write_text("\n".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--refs-per-article", type=int, default=25)
    parser.add_argument("--repeat-fraction", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    manifest = json.loads(args.manifest.read_text())
    paths = generate_corpus(
        [entry["url"] for entry in manifest["urls"]],
        args.out,
        refs_per_article=args.refs_per_article,
        repeat_fraction=args.repeat_fraction,
        seed=args.seed,
    )
    print(f"wrote {len(paths)} articles to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
