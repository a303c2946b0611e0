"""Output formats: each a pure function from a ``Report`` to text, registered here.

A new format is ``formats/<name>.py`` with ``render(report) -> Iterable[str]`` and
one entry in ``FORMATS``; ``--format`` takes its choices from this mapping. A
format gives its text as chunks, which the caller writes one after the other
(``"".join(render(report))`` is the whole text): a large report is never one
string in memory, and the report's documents, sources and findings are read from
its spool one at a time, so a format should iterate them once (or a few times)
rather than copy them into a list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from provenance.formats import json as _json
from provenance.formats import markdown as _markdown
from provenance.formats import text as _text
from provenance.models import Report

__all__ = ["FORMATS", "REPORT_FILES", "Formatter"]

Formatter = Callable[[Report], Iterable[str]]

FORMATS: dict[str, Formatter] = {
    "json": _json.render,
    "markdown": _markdown.render,
    "text": _text.render,
}

# What `provenance check` writes to the reports directory by default.
REPORT_FILES: dict[str, str] = {"markdown": "coverage.md", "json": "coverage.json"}
