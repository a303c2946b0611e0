"""Text and Markdown reports list every quote that is not found, close passage or not."""

from __future__ import annotations

from provenance.formats import markdown, text
from provenance.models import Report


def _only_the_quote_wrong(report: Report) -> Report:
    """The audit scenario with 'vaccine-trial' not drifted: its removed quote is all it has."""
    sources = [
        s.model_copy(update={"audit": s.audit.model_copy(update={"drift": None})})
        if s.id == "vaccine-trial" and s.audit is not None
        else s
        for s in report.sources
    ]
    return report.model_copy(update={"sources": sources})


def test_a_removed_quote_without_a_close_passage_is_in_the_markdown_report(audit_report):
    out = "".join(markdown.render(audit_report))
    assert (
        "- quote “reduced hospital admissions by sixty percent”: as cited found, latest missing;"
        " no close passage"
    ) in out
    assert "- quote “the mayor resigned over the plan”: closest passage “Construction" in out
    assert "quote “249 million malaria cases”" not in out  # found as cited and now: all well


def test_a_removed_quote_without_a_close_passage_is_in_the_text_report(audit_report):
    lines = "".join(text.render(audit_report)).splitlines()
    [vaccine] = [line for line in lines if line.startswith("  vaccine-trial: ")]
    assert vaccine.endswith("drifted (76% similar); quote missing")
    [malaria] = [line for line in lines if line.startswith("  articles/health.md#1: ")]
    assert "quote" not in malaria


def test_a_source_whose_only_problem_is_its_quote_is_listed(audit_report):
    report = _only_the_quote_wrong(audit_report)
    lines = "".join(text.render(report)).splitlines()
    assert "  vaccine-trial: http://a.example.org/quoted: quote missing" in lines
    out = "".join(markdown.render(report))
    section = out.split("### `vaccine-trial`\n\n", 1)[1].split("\n\n", 1)[0]
    assert section == (
        "- quote “reduced hospital admissions by sixty percent”: as cited found, latest missing;"
        " no close passage"
    )
