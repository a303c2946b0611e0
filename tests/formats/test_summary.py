"""The Markdown summary: worst findings first, capped in length, "and N more"."""

from __future__ import annotations

from provenance.formats import summary
from provenance.models import Finding
from provenance.rules import RuleId, Severity


def test_worst_first(mixed_report):
    text = "".join(summary.render(mixed_report))
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
    text = "".join(summary.render(mixed_report.model_copy(update={"findings": many})))
    assert len(text) <= summary.MAX_CHARS
    assert f"…and {5000 - summary.MAX_ROWS} more" in text or "more (see the full report)" in text
    rows = [line for line in text.splitlines() if line.startswith("| error") or "| warning" in line]
    assert rows and all(r.startswith("| error") for r in rows)  # errors (worst) first
    assert "<html>" not in text


def test_baselined_only_is_no_new_findings(mixed_report):
    findings = [f.model_copy(update={"baselined": True}) for f in mixed_report.findings]
    text = "".join(summary.render(mixed_report.model_copy(update={"findings": findings})))
    assert text.startswith("### provenance: No new findings (7 baselined)\n")
    assert "| Severity |" not in text


def _rot_rows(text: str) -> list[str]:
    start = text.index("| Source | Problems |")
    return [line for line in text[start:].splitlines()[2:] if line.startswith("| `")]


def test_the_audit_adds_a_rot_section_worst_sources_first(audit_report):
    text = "".join(summary.render(audit_report))
    assert "**Source rot** (audit of 2026-01-11): 7 sources — 5 alive, 1 dead, 1 suspect;" in text
    assert "Dead **12.5%** and drifted **25.0%** of 8 citations" in text
    rows = _rot_rows(text)
    assert [row.split("`")[1] for row in rows] == [
        "articles/health.md#5",  # dead
        "articles/health.md#2",  # suspect, and its quote is missing
        "vaccine-trial",  # drifted, and its quote was removed
        "articles/health.md#3",  # drifted
        "articles/health.md#1",  # a weakly supported claim
    ]
    assert "**dead** since 2026-01-05 (3/3)" in rows[0]
    # The rot section comes before the findings table.
    assert text.index("**Source rot**") < text.index("| Severity |")
    assert "**Source rot**" not in "".join(
        summary.render(audit_report.model_copy(update={"audit": None}))
    )


def test_the_rot_section_is_capped_and_shown_with_no_new_findings(audit_report):
    dead = next(s for s in audit_report.sources if s.id == "articles/health.md#5")
    many = [
        dead.model_copy(update={"id": f"dead-{i:04}", "url": f"https://x.example/{'|<b>' * 50}"})
        for i in range(500)
    ]
    findings = [f.model_copy(update={"baselined": True}) for f in audit_report.findings]
    text = "".join(
        summary.render(audit_report.model_copy(update={"sources": many, "findings": findings}))
    )
    assert text.startswith("### provenance: No new findings (8 baselined)\n")
    assert len(_rot_rows(text)) == summary.MAX_SOURCES
    assert f"…and {500 - summary.MAX_SOURCES} more sources" in text
    assert "<b>" not in text and len(text) <= summary.MAX_CHARS
