"""A short Markdown summary for a pull-request comment or ``$GITHUB_STEP_SUMMARY``.

The figures, then (after ``provenance audit``) a short source-rot section with
the worst sources first, then the worst findings first, then "and N more". It never
exceeds ``MAX_CHARS`` characters however large the report (a PR comment takes
65,536), so it can be posted as it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from provenance.formats._shared import count, location, percent, worst_first
from provenance.models import AuditSummary, Finding, Report, SourceAudit, SourceReport

__all__ = ["MAX_CHARS", "MAX_ROWS", "MAX_SOURCES", "render"]

MAX_CHARS = 8000
MAX_ROWS = 20
MAX_SOURCES = 5
_EXCERPT = 100


def _cell(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("`", "'")
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1].rstrip() + "…"


def _row(finding: Finding) -> str:
    detail = finding.message
    if finding.text and finding.text not in detail:
        detail = f"{finding.message}: “{finding.text}”"
    return (
        f"| {finding.severity.label} | `{finding.rule.value}` | `{_cell(location(finding))}` "
        f"| {_cell(detail)} |"
    )


def _problems(audit: SourceAudit) -> list[tuple[int, str]]:
    """What is wrong with an audited source, as (rank, text); rank 0 is the worst."""
    out: list[tuple[int, str]] = []
    if audit.state.is_failing:
        since = f"{audit.failing_since:%Y-%m-%d}" if audit.failing_since else "?"
        rank = 0 if audit.state.is_dead else 1
        out.append(
            (
                rank,
                f"**{audit.state.value}** since {since} ({audit.failures}/{audit.failures_needed})",
            )
        )
    if audit.drift is not None and audit.drift.drifted:
        out.append((2, f"drifted ({audit.drift.similarity:.0%} similar)"))
    missing = [q for q in audit.quotes if q.latest is not None and not q.latest.present]
    missing += [q for q in audit.quotes if q.as_cited is not None and not q.as_cited.present]
    if missing:
        out.append((3, count(len({q.quote for q in missing}), "quote") + " missing"))
    if audit.weak_claims:
        out.append((4, count(audit.weak_claims, "weakly supported claim")))
    return out


def _rot(audit: AuditSummary, sources: Sequence[SourceReport]) -> list[str]:
    """The audit in a few lines: counts and shares, then the worst sources first (capped)."""
    states = ", ".join(f"{n} {state}" for state, n in audit.states.items()) or "none"
    out = [
        f"**Source rot** (audit of {audit.audited_at:%Y-%m-%d}): {count(audit.sources, 'source')}"
        f" — {states}; {audit.drifted} drifted, {audit.quotes_missing} quotes missing."
        f" Dead **{percent(audit.dead_share)}** and drifted **{percent(audit.drifted_share)}**"
        f" of {count(audit.citations, 'citation')}; weak support"
        f" **{percent(audit.weak_share)}** of cited claim-source pairs."
        + (" The network was down: no failure was counted." if audit.offline else ""),
        "",
    ]
    judged = [
        (min(rank for rank, _ in problems), -len(problems), source.id, source, problems)
        for source in sources
        if source.audit is not None and (problems := _problems(source.audit))
    ]
    if not judged:
        return out
    judged.sort(key=lambda item: item[:3])
    out += ["| Source | Problems |", "|---|---|"]
    for _rank, _n, _id, source, problems in judged[:MAX_SOURCES]:
        name = f"`{_cell(source.id)}`" + (f" {_cell(source.url)}" if source.url else "")
        out.append(f"| {name} | {'; '.join(text for _, text in problems)} |")
    if len(judged) > MAX_SOURCES:
        out += ["", f"…and {len(judged) - MAX_SOURCES} more sources (see the full report)."]
    return [*out, ""]


def render(report: Report) -> Iterator[str]:
    """The summary: status line, figures, worst findings (capped), and how many were left out."""
    s = report.summary
    new = [f for f in report.findings if not f.baselined]
    baselined = len(report.findings) - len(new)
    status = "No new findings" if not new else f"{len(new)} findings"
    if baselined:
        status += f" ({baselined} baselined)"
    head = [
        f"### provenance: {status}",
        "",
        f"{count(s.documents, 'document')}, {count(s.claims, 'claim')}, {s.cited_claims} cited"
        f" (**{percent(s.coverage)}** coverage), {count(s.citations, 'citation')} to"
        f" {count(s.sources, 'source')}.",
        "",
    ]
    if report.audit is not None:
        head += _rot(report.audit, report.sources)
    if not new:
        yield "\n".join(head).rstrip("\n") + "\n"
        return
    head += ["| Severity | Rule | Where | Finding |", "|---|---|---|---|"]
    rows = [_row(f) for f in worst_first(new)]
    budget = MAX_CHARS - len("\n".join(head)) - 200  # room for the "more" line
    shown: list[str] = []
    for row in rows[:MAX_ROWS]:
        if len(row) + 1 > budget:
            break
        shown.append(row)
        budget -= len(row) + 1
    lines = head + shown
    if len(rows) > len(shown):
        lines += ["", f"…and {len(rows) - len(shown)} more (see the full report)."]
    yield "\n".join(lines) + "\n"
