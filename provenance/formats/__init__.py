"""Output formats: each a pure function from a ``Report`` to text, registered here.

A new format is ``formats/<name>.py`` with ``render(report) -> Iterable[str]`` and
one entry in ``FORMATS`` (and, if `provenance check` writes it to the reports
directory, one in ``REPORT_FILES``); ``--format`` takes its choices from this
mapping. A format gives its text as chunks, which the caller writes one after the
other (``"".join(render(report))`` is the whole text): a large report is never one
string in memory, and the report's documents, sources and findings are read from
its spool one at a time, so a format should iterate them once (or a few times)
rather than copy them into a list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping

from provenance.models import Report

__all__ = ["AUDIT_FILES", "DEFAULT_REPORTS", "FORMATS", "REPORT_FILES", "Formatter"]

Formatter = Callable[[Report], Iterable[str]]


class _Formats(Mapping[str, Formatter]):
    """Each format's ``render``, its module imported the first time it is asked for.

    A run writes one or two formats; importing all eight (html, XML for junit, ...)
    was start-up time for every command.
    """

    def __init__(self, names: tuple[str, ...]) -> None:
        self._names = names
        self._loaded: dict[str, Formatter] = {}

    def __getitem__(self, name: str) -> Formatter:
        render = self._loaded.get(name)
        if render is None:
            if name not in self._names:
                raise KeyError(name)
            module = importlib.import_module(f"provenance.formats.{name}")
            render = self._loaded[name] = module.render
        return render

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


FORMATS: Mapping[str, Formatter] = _Formats(
    ("github", "html", "json", "junit", "markdown", "sarif", "summary", "text")
)

# What `provenance check` writes to the reports directory when no --format is given.
DEFAULT_REPORTS: tuple[str, ...] = ("markdown", "json")

# The file each format is written to in the reports directory.
REPORT_FILES: dict[str, str] = {
    "markdown": "coverage.md",
    "json": "coverage.json",
    "html": "coverage.html",
    "sarif": "coverage.sarif",
    "junit": "coverage.junit.xml",
    "summary": "summary.md",
    "github": "annotations.txt",
    "text": "coverage.txt",
}

# The file each format is written to by `provenance audit`.
AUDIT_FILES: dict[str, str] = {
    name: filename.replace("coverage", "audit") if "coverage" in filename else f"audit-{filename}"
    for name, filename in REPORT_FILES.items()
}
