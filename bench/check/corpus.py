"""Deterministic corpus of Markdown articles with citations, for the ``check`` benchmark.

::

    python -m bench.check.corpus OUT_DIR --mb 5 [--seed 1]

Writes ``OUT_DIR/articles/article-00000.md ...`` until the total reaches the
target size, plus ``OUT_DIR/sources.toml`` with the shared records that the
``[@key]`` citations name (so they resolve instead of all being unknown).

Article *i* is generated from ``Random(f"{seed}:{i}")`` alone, so a 40 MB corpus
starts with exactly the articles of the 5 MB one: sizes differ only in how many
articles there are, never in what an article looks like. Each article has the
shape of a real one: YAML front matter, a title, a byline and dateline, sections
of paragraphs whose sentences cite ``[n]``, ``[n, m]``, ``[n-m]``, ``[@key]``
and ``[^n]`` (some cite nothing, a few have a stripped marker ``claim .``), an
occasional ``[citation needed]``, abbreviations and decimals that must not end
a sentence, a bulleted list, a block quote, a fenced code block, inline code,
inline links, footnote definitions and a ``## References`` section of
``[n]: https://example.org/...`` definitions.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SHARED_KEYS", "CorpusInfo", "generate_article", "write_corpus", "write_sources"]

# Upper bound on articles in one corpus, whatever the target size (keeps loops bounded).
MAX_ARTICLES = 200_000

SHARED_KEYS: tuple[str, ...] = tuple(
    f"{name}{year}"
    for name, year in (
        ("mueller", 2019),
        ("smith", 2020),
        ("garcia", 2018),
        ("chen", 2021),
        ("okafor", 2017),
        ("novak", 2022),
        ("ibrahim", 2016),
        ("larsen", 2023),
        ("tanaka", 2015),
        ("dubois", 2019),
        ("silva", 2020),
        ("kowalski", 2021),
        ("haddad", 2018),
        ("nguyen", 2022),
        ("ferrari", 2017),
        ("schmidt", 2014),
        ("andersen", 2023),
        ("patel", 2020),
        ("rossi", 2016),
        ("kim", 2024),
    )
)

_SUBJECTS = (
    "The committee",
    "The ministry",
    "A spokesperson",
    "The central bank",
    "Regulators",
    "The report",
    "Researchers at the institute",
    "The company",
    "Local officials",
    "The survey",
    "Independent auditors",
    "The agency",
    "Analysts",
    "The court",
    "Hospital administrators",
    "The union",
    "Investigators",
    "The city council",
    "A review panel",
    "Dr. Alvarez",
    "Prof. Lindqvist",
    "The U.S. Treasury",
)
_VERBS = (
    "reported",
    "announced",
    "estimated",
    "found",
    "confirmed",
    "disclosed",
    "projected",
    "acknowledged",
    "concluded",
    "warned",
    "noted",
    "recorded",
    "measured",
    "documented",
)
_OBJECTS = (
    "a sharp rise in regional unemployment",
    "that emissions fell for the third year",
    "a shortfall in the pension fund",
    "higher than expected inflation",
    "that the programme reached fewer households than planned",
    "a decline in hospital admissions",
    "that wholesale prices had doubled since the spring",
    "a backlog of unprocessed applications",
    "that the bridge needed urgent repairs",
    "record attendance at public libraries",
    "a surplus in the quarterly budget",
    "that the vaccine uptake varied widely by district",
    "an increase in cross-border freight",
    "that most of the contracts were never tendered",
    "a steady fall in reading scores",
    "that the reservoir stood at its lowest level",
)
_TAILS = (
    "according to figures released on Tuesday",
    "in a statement published late last year",
    "after a two-year review",
    "despite earlier assurances",
    "in its annual assessment",
    "citing internal documents",
    "in testimony before lawmakers",
    "compared with 2019",
    "by roughly 15.2 percent",
    "in the period from Jan. 5 to Mar. 30",
    "with a margin of error of 3.5 points",
    "across all twelve regions",
    "which critics called misleading",
    "for the first time since records began",
)
_CONNECTORS = (
    "However,",
    "Meanwhile,",
    "In contrast,",
    "At the same time,",
    "By comparison,",
    "Separately,",
    "Earlier,",
    "Later,",
    "As a result,",
    "In practice,",
)
# The same connectors with no sentence opening with "By" (same count, so the same draws).
_CONNECTORS_NO_BY = tuple("In comparison," if c.startswith("By ") else c for c in _CONNECTORS)
_FILLER = (
    "The figures were not independently verified",
    "Observers expect the debate to continue",
    "The details remain contested",
    "Several questions are still open",
    "Critics and supporters read the numbers differently",
)
_HEADINGS = (
    "Background",
    "What the data show",
    "How we checked",
    "Reactions",
    "The wider picture",
    "Methods",
    "Timeline",
    "What remains unclear",
    "Costs",
    "Who is affected",
    "Context",
)
_TOPICS = (
    "housing",
    "energy prices",
    "public transport",
    "water quality",
    "school funding",
    "hospital waiting lists",
    "migration",
    "farm subsidies",
    "broadband rollout",
    "air pollution",
)
_NAMES = (
    "Maria Lopez",
    "James O'Neill",
    "Aiko Sato",
    "Kwame Mensah",
    "Lena Fischer",
    "Omar Farouk",
)
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_CODE = (
    'import pandas as pd\n\nframe = pd.read_csv("data.csv")\n'
    "print(frame[frame.year > 2019].mean())",
    "SELECT region, SUM(amount) AS total\nFROM payments\nWHERE year = 2023\nGROUP BY region;",
    "curl -s https://example.org/api/v1/series?id=42 | jq '.values[0]'",
)


@dataclass(frozen=True, slots=True)
class CorpusInfo:
    """What ``write_corpus`` wrote: where, how many articles and bytes."""

    root: Path
    articles_dir: Path
    files: int
    total_bytes: int


class _Article:
    """Builds one article's text; all randomness comes from ``rng``."""

    def __init__(self, rng: random.Random, index: int, *, by_openers: bool = True) -> None:
        self.rng = rng
        self.index = index
        self.connectors = _CONNECTORS if by_openers else _CONNECTORS_NO_BY
        self.refs = rng.randint(8, 30)
        self.footnotes = rng.randint(0, 3)
        self.parts: list[str] = []

    # -- citation markers --------------------------------------------------------------

    def _marker(self) -> str:
        rng, refs = self.rng, self.refs
        roll = rng.random()
        if roll < 0.55:
            return f"[{rng.randint(1, refs)}]"
        if roll < 0.70:
            first, second = rng.sample(range(1, refs + 1), 2)
            return f"[{first}, {second}]"
        if roll < 0.78:
            low = rng.randint(1, refs - 2)
            return f"[{low}-{min(refs, low + rng.randint(1, 3))}]"
        if roll < 0.93:
            key = rng.choice(SHARED_KEYS)
            return f"[@{key}, p. {rng.randint(1, 300)}]" if rng.random() < 0.3 else f"[@{key}]"
        if roll < 0.96:
            return f"[@doi:10.{rng.randint(1000, 9999)}/bench.{rng.randint(1, 99999)}]"
        if self.footnotes:
            return f"[^{rng.randint(1, self.footnotes)}]"
        return f"[{rng.randint(1, refs)}]"

    # -- prose -------------------------------------------------------------------------

    def _clause(self) -> str:
        rng = self.rng
        text = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
        if rng.random() < 0.7:
            text += f", {rng.choice(_TAILS)}"
        return text

    def _sentence(self) -> str:
        """One sentence: mostly cited claims, some uncited, a few with a lost marker."""
        rng = self.rng
        body = self._clause()
        if rng.random() < 0.25:
            if not body.startswith(("Dr.", "Prof.")):  # names keep their capital
                body = body[0].lower() + body[1:]
            body = f"{rng.choice(self.connectors)} {body}"
        if rng.random() < 0.08:
            body += f" (see the `{rng.choice(('table_3', 'df.groupby', '--strict'))}` output)"
        if rng.random() < 0.10:
            link = f"https://example.org/dossier/{rng.randint(1, 999)}"
            body += f", as [the {rng.choice(_TOPICS)} dossier]({link}) shows"
        roll = rng.random()
        if roll < 0.70:
            return (
                f"{body} {self._marker()}." if rng.random() < 0.8 else f"{body}. {self._marker()}"
            )
        if roll < 0.73:
            return f"{body} ."  # a stripped marker: where a citation was removed
        if roll < 0.74:
            return f"{body} [citation needed]."
        if roll < 0.80:
            return f"Is that the whole story about {rng.choice(_TOPICS)}?"
        if roll < 0.86:
            return f"{rng.choice(_FILLER)}."
        return f"{body}."  # an uncited claim

    def _paragraph(self) -> str:
        count = self.rng.randint(3, 7)
        return " ".join(self._sentence() for _ in range(count))

    # -- blocks ------------------------------------------------------------------------

    def _list(self) -> str:
        rng = self.rng
        items = []
        for _ in range(rng.randint(3, 6)):
            cite = f" {self._marker()}" if rng.random() < 0.7 else ""
            items.append(f"- {self._clause()}{cite}.")
        return "\n".join(items)

    def _quote(self) -> str:
        return f"> {self._clause()}. {self._clause()} {self._marker()}."

    def _code(self) -> str:
        return f"```{self.rng.choice(('python', 'sql', 'sh'))}\n{self.rng.choice(_CODE)}\n```"

    def build(self) -> str:
        """The article's Markdown text."""
        rng = self.rng
        topic = rng.choice(_TOPICS)
        year = rng.randint(2015, 2025)
        month = rng.randint(1, 12)
        day = rng.randint(1, 28)
        author = rng.choice(_NAMES)
        title = f"Fact check: the {topic} numbers, {year}"
        parts = self.parts
        parts.append(
            "---\n"
            f'title: "{title}"\n'
            f"date: {year}-{month:02d}-{day:02d}\n"
            f"author: {author}\n"
            f"tags: [{topic}, fact-check, bench-{self.index % 7}]\n"
            "---"
        )
        parts.append(f"# {title}")
        parts.append(f"By {author}")
        parts.append(f"Published {_MONTHS[month - 1]} {day}, {year}")
        parts.append(self._paragraph())
        sections = rng.randint(3, 7)
        code_at = rng.randrange(sections)
        for number in range(sections):
            parts.append(f"## {rng.choice(_HEADINGS)}")
            for _ in range(rng.randint(2, 5)):
                parts.append(self._paragraph())
            if rng.random() < 0.5:
                parts.append(self._list())
            if rng.random() < 0.25:
                parts.append(self._quote())
            if number == code_at:
                parts.append(f"The analysis below uses the `{topic}` series {self._marker()}.")
                parts.append(self._code())
        for note in range(1, self.footnotes + 1):
            parts.append(
                f"[^{note}]: {rng.choice(_FILLER)}, see https://example.org/notes/{self.index}/{note}."
            )
        parts.append("## References")
        parts.append(
            "\n".join(
                f"[{n}]: https://example.org/{topic.replace(' ', '-')}/{self.index}/{n}"
                f' "Source {n}: {rng.choice(_SUBJECTS)} on {topic}"'
                for n in range(1, self.refs + 1)
            )
        )
        return "\n\n".join(parts) + "\n"


def generate_article(seed: int, index: int, *, by_openers: bool = True) -> str:
    """Article ``index`` of the corpus with ``seed``; the same inputs give the same text.

    ``by_openers=False`` writes "In comparison," where the default writes "By
    comparison," (and changes nothing else): sentences opening with "By" are what
    the dateline/byline pattern of ``provenance.extract.claims`` backtracks on.
    """
    rng = random.Random(f"{seed}:{index}")
    return _Article(rng, index, by_openers=by_openers).build()


def write_sources(path: Path) -> None:
    """Write a sources.toml with a shared record for every key in ``SHARED_KEYS``."""
    lines = ["# Shared records the benchmark corpus cites as [@key].", ""]
    for key in SHARED_KEYS:
        lines += [
            f"[sources.{key}]",
            f'url = "https://example.org/shared/{key}"',
            f'title = "{key}"',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_corpus(
    root: Path, megabytes: float, *, seed: int = 1, by_openers: bool = True
) -> CorpusInfo:
    """Write articles under ``root/articles`` until they add up to ``megabytes`` MB (10**6 B)."""
    target = int(megabytes * 1_000_000)
    articles = root / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    write_sources(root / "sources.toml")
    total = 0
    files = 0
    for index in range(MAX_ARTICLES):
        if total >= target:
            break
        data = generate_article(seed, index, by_openers=by_openers).encode("utf-8")
        (articles / f"article-{index:05d}.md").write_bytes(data)
        total += len(data)
        files += 1
    return CorpusInfo(root=root, articles_dir=articles, files=files, total_bytes=total)


def main() -> None:
    """Command line: write a corpus of the given size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write into")
    parser.add_argument("--mb", type=float, default=5.0, help="target size in MB (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="seed (default 1)")
    parser.add_argument(
        "--no-by-openers", action="store_true", help='write "In comparison," for "By comparison,"'
    )
    args = parser.parse_args()
    info = write_corpus(args.out, args.mb, seed=args.seed, by_openers=not args.no_by_openers)
    print(f"{info.files} articles, {info.total_bytes / 1e6:.2f} MB in {info.articles_dir}")


if __name__ == "__main__":
    main()
