"""For a terminal: one line per finding (``path:line:col: rule: message``), then the figures."""

from __future__ import annotations

from collections.abc import Iterator

from provenance.models import Report, Summary

__all__ = ["render", "summary_line"]

_CHUNK_LINES = 2000


def summary_line(summary: Summary) -> str:
    """One line with the figures: documents, claims, coverage, citations, findings."""
    coverage = "n/a" if summary.coverage is None else f"{summary.coverage:.1%}"
    findings = sum(summary.findings.values())
    return (
        f"{_count(summary.documents, 'document')}, {_count(summary.claims, 'claim')}, "
        f"{summary.cited_claims} cited ({coverage}), {summary.uncited_claims} uncited; "
        f"{_count(summary.citations, 'citation')} to {_count(summary.sources, 'source')}; "
        f"{_count(findings, 'finding')}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def render(report: Report) -> Iterator[str]:
    """Findings in reading order, then the summary line, in chunks."""
    lines = []
    for finding in report.findings:
        where = finding.path
        if finding.line is not None:
            where += f":{finding.line}"
            if finding.column is not None:
                where += f":{finding.column}"
        label, rule = finding.severity.label, finding.rule.value
        lines.append(f"{where}: {label}: {rule}: {finding.message}\n")
        if len(lines) >= _CHUNK_LINES:
            yield "".join(lines)
            lines = []
    lines.append(summary_line(report.summary) + "\n")
    yield "".join(lines)
