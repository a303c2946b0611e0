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

from collections.abc import Callable, Iterable

from provenance.formats import github as _github
from provenance.formats import html as _html
from provenance.formats import json as _json
from provenance.formats import junit as _junit
from provenance.formats import markdown as _markdown
from provenance.formats import sarif as _sarif
from provenance.formats import summary as _summary
from provenance.formats import text as _text
from provenance.models import Report

__all__ = ["AUDIT_FILES", "DEFAULT_REPORTS", "FORMATS", "REPORT_FILES", "Formatter"]

Formatter = Callable[[Report], Iterable[str]]

FORMATS: dict[str, Formatter] = {
    "github": _github.render,
    "html": _html.render,
    "json": _json.render,
    "junit": _junit.render,
    "markdown": _markdown.render,
    "sarif": _sarif.render,
    "summary": _summary.render,
    "text": _text.render,
}

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
