"""Output formats: each a pure function from a ``Report`` to text, registered here.

A new format is ``formats/<name>.py`` with ``render(report) -> str`` and one entry
in ``FORMATS``; ``--format`` takes its choices from this mapping.
"""

from __future__ import annotations

from collections.abc import Callable

from provenance.formats import json as _json
from provenance.formats import markdown as _markdown
from provenance.formats import text as _text
from provenance.models import Report

__all__ = ["AUDIT_FILES", "FORMATS", "REPORT_FILES", "Formatter"]

Formatter = Callable[[Report], str]

FORMATS: dict[str, Formatter] = {
    "json": _json.render,
    "markdown": _markdown.render,
    "text": _text.render,
}

# What `provenance check` writes to the reports directory by default.
REPORT_FILES: dict[str, str] = {"markdown": "coverage.md", "json": "coverage.json"}

# What `provenance audit` writes to the reports directory by default.
AUDIT_FILES: dict[str, str] = {"markdown": "audit.md", "json": "audit.json"}
