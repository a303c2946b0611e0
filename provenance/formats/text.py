"""For a terminal: one line per finding (``path:line:col: rule: message``), then the figures."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from provenance.formats._shared import count, percent, quote_problem
from provenance.models import AuditSummary, Report, SourceReport, Summary

__all__ = ["audit_lines", "render", "summary_line"]

_CHUNK_LINES = 2000


def summary_line(summary: Summary) -> str:
    """One line with the figures: documents, claims, coverage, citations, findings."""
    coverage = "n/a" if summary.coverage is None else f"{summary.coverage:.1%}"
    findings = sum(summary.findings.values())
    return (
        f"{count(summary.documents, 'document')}, {count(summary.claims, 'claim')}, "
        f"{summary.cited_claims} cited ({coverage}), {summary.uncited_claims} uncited; "
        f"{count(summary.citations, 'citation')} to {count(summary.sources, 'source')}; "
        f"{count(findings, 'finding')}"
    )


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
        mark = " (baselined)" if finding.baselined else ""
        lines.append(f"{where}: {label}: {rule}: {finding.message}{mark}\n")
        if len(lines) >= _CHUNK_LINES:
            yield "".join(lines)
            lines = []
    if report.audit is not None:
        lines += [f"{line}\n" for line in audit_lines(report.audit, report.sources)]
    lines.append(summary_line(report.summary) + "\n")
    yield "".join(lines)


def audit_lines(audit: AuditSummary, sources: Sequence[SourceReport]) -> list[str]:
    """The audit's verdicts: one line per source that needs a look, then the shares."""
    states = ", ".join(f"{n} {state}" for state, n in audit.states.items()) or "none"
    lines = [
        f"audit {audit.audited_at:%Y-%m-%d %H:%M} UTC: {count(audit.sources, 'source')}"
        f" ({audit.checked} fetched now): {states}"
        + (" (network down: no failure counted)" if audit.offline else "")
    ]
    for source in sources:
        judged = source.audit
        if judged is None:
            continue
        notes = []
        if judged.state.is_failing:
            since = f"{judged.failing_since:%Y-%m-%d}" if judged.failing_since else "?"
            notes.append(
                f"{judged.state.value} since {since}"
                f" ({judged.failures}/{judged.failures_needed} failures)"
            )
        if judged.drift is not None and judged.drift.drifted:
            notes.append(f"drifted ({judged.drift.similarity:.0%} similar)")
        notes += [f"quote {state}" for q in judged.quotes if (state := quote_problem(q))]
        if judged.weak_claims:
            notes.append(f"{count(judged.weak_claims, 'weakly supported claim')}")
        if not notes:
            continue
        lines.append(f"  {source.id}: {source.url}: {'; '.join(notes)}")
        if judged.replacement is not None:
            replacement = judged.replacement
            lines.append(f"    archived copy: {replacement.archive_url}")
            if replacement.show:
                lines.append(f"    local snapshot: {replacement.show}")
    lines.append(
        f"audit: dead {percent(audit.dead_share)} and drifted {percent(audit.drifted_share)}"
        f" of {count(audit.citations, 'citation')}; weak support {percent(audit.weak_share)}"
        " of cited claim-source pairs"
    )
    return lines
