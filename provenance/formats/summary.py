"""A short Markdown summary for a pull-request comment or ``$GITHUB_STEP_SUMMARY``.

The figures, then the worst findings first, then "and N more". It never
exceeds ``MAX_CHARS`` characters however large the report (a PR comment takes
65,536), so it can be posted as it is.
"""

from __future__ import annotations

from provenance.formats._shared import location, worst_first
from provenance.models import Finding, Report

__all__ = ["MAX_CHARS", "MAX_ROWS", "render"]

MAX_CHARS = 8000
MAX_ROWS = 20
_EXCERPT = 100


def _cell(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("`", "'")
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1].rstrip() + "…"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _row(finding: Finding) -> str:
    detail = finding.message
    if finding.text and finding.text not in detail:
        detail = f"{finding.message}: “{finding.text}”"
    return (
        f"| {finding.severity.label} | `{finding.rule.value}` | `{_cell(location(finding))}` "
        f"| {_cell(detail)} |"
    )


def render(report: Report) -> str:
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
        f"{_count(s.documents, 'document')}, {_count(s.claims, 'claim')}, {s.cited_claims} cited"
        f" (**{_percent(s.coverage)}** coverage), {_count(s.citations, 'citation')} to"
        f" {_count(s.sources, 'source')}.",
        "",
    ]
    if not new:
        return "\n".join(head).rstrip("\n") + "\n"
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
    return "\n".join(lines) + "\n"
