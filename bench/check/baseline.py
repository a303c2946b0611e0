"""The same-run baseline: Python merely reading the corpus and running one regex over it.

::

    python -m bench.check.baseline CORPUS_ROOT

Walks ``CORPUS_ROOT/articles`` in sorted order (as ``provenance check`` does),
reads and decodes every ``.md`` file, and counts the bracketed spans
``[...]`` with one compiled regex. Prints one JSON object: bytes, files,
matches and the seconds (wall and CPU) spent inside the process, start-up
excluded (the caller also times the whole process). Any machine runs this at a speed set by its
memory bandwidth and the regex engine, so ``provenance``'s time divided by this
one is comparable across machines where raw MB/s are not.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

__all__ = ["BRACKETS", "main", "scan"]

BRACKETS = re.compile(r"\[[^\]\n]*\]")


def scan(articles: Path) -> dict[str, float | int]:
    """Read every ``.md`` under ``articles`` and count regex matches; return the totals."""
    started, cpu_started = time.perf_counter(), time.process_time()
    total_bytes = files = matches = 0
    for path in sorted(articles.rglob("*.md")):
        data = path.read_bytes()
        text = data.decode("utf-8")
        matches += sum(1 for _ in BRACKETS.finditer(text))
        total_bytes += len(data)
        files += 1
    return {
        "bytes": total_bytes,
        "files": files,
        "matches": matches,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
    }


def main(argv: list[str] | None = None) -> None:
    """Scan ``CORPUS_ROOT/articles`` and print the totals as JSON."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m bench.check.baseline CORPUS_ROOT")
    print(json.dumps(scan(Path(args[0]) / "articles")))


if __name__ == "__main__":
    main()
