"""The Markdown summary: worst findings first, capped in length, "and N more"."""

from __future__ import annotations

from provenance.formats import summary
from provenance.models import Finding
from provenance.rules import RuleId, Severity


def test_worst_first(mixed_report):
    text = summary.render(mixed_report)
    assert text.startswith("### provenance: 7 findings\n")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    severities = [row.split("|")[1].strip() for row in rows]
    assert severities == sorted(severities, key=["error", "warning", "note"].index)
    assert severities[-1] == "warning"


def test_a_huge_report_is_capped_with_and_n_more(mixed_report):
    many = [
        Finding(
            rule=RuleId.UNCITED_CLAIM if i % 3 else RuleId.DEAD_SOURCE,
            severity=Severity.WARNING if i % 3 else Severity.ERROR,
            path=f"docs/{i:05}.md",
            line=i + 1,
            column=1,
            message="cites nothing " + "x" * 300,
            text="A long sentence | with <html> and `ticks` " * 20,
        )
        for i in range(5000)
    ]
    text = summary.render(mixed_report.model_copy(update={"findings": many}))
    assert len(text) <= summary.MAX_CHARS
    assert f"…and {5000 - summary.MAX_ROWS} more" in text or "more (see the full report)" in text
    rows = [line for line in text.splitlines() if line.startswith("| error") or "| warning" in line]
    assert rows and all(r.startswith("| error") for r in rows)  # errors (worst) first
    assert "<html>" not in text


def test_baselined_only_is_no_new_findings(mixed_report):
    findings = [f.model_copy(update={"baselined": True}) for f in mixed_report.findings]
    text = summary.render(mixed_report.model_copy(update={"findings": findings}))
    assert text.startswith("### provenance: No new findings (7 baselined)\n")
    assert "| Severity |" not in text
