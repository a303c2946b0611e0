"""For a terminal: one line per finding (``path:line:col: rule: message``), then the figures."""

from __future__ import annotations

from provenance.models import Report, Summary

__all__ = ["render", "summary_line"]


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


def render(report: Report) -> str:
    """Findings in reading order, then the summary line."""
    lines = []
    for finding in report.findings:
        where = finding.path
        if finding.line is not None:
            where += f":{finding.line}"
            if finding.column is not None:
                where += f":{finding.column}"
        mark = " (baselined)" if finding.baselined else ""
        lines.append(
            f"{where}: {finding.severity.label}: {finding.rule.value}: {finding.message}{mark}"
        )
    lines.append(summary_line(report.summary))
    return "\n".join(lines) + "\n"
