"""GitHub Actions workflow annotations: one ``::error file=..,line=..,col=..::`` per finding.

Properties and messages are escaped as the runner expects (``%``, ``\\r``,
``\\n``, and in properties also ``:`` and ``,``). Baselined findings are left
out: annotations are for what a pull request should fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from provenance.models import Finding, Report
from provenance.rules import Severity

__all__ = ["escape_data", "escape_property", "render"]

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property's value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(finding: Finding) -> str:
    props = [f"file={escape_property(finding.path)}"]
    if finding.line is not None:
        props.append(f"line={finding.line}")
        if finding.column is not None:
            props.append(f"col={finding.column}")
    props.append(f"title={escape_property(f'provenance {finding.rule.value}')}")
    return f"::{_COMMANDS[finding.severity]} {','.join(props)}::{escape_data(finding.message)}"


def render(report: Report) -> Iterator[str]:
    """One annotation line per new finding (nothing when there are none)."""
    for finding in report.findings:
        if not finding.baselined:
            yield _annotation(finding) + "\n"
