"""GitHub workflow annotations: escaping per the runner's rules, automatic in Actions."""

from __future__ import annotations

from provenance.formats import github
from provenance.models import Finding
from provenance.rules import RuleId, Severity


def _finding(**changes) -> Finding:
    base = {
        "rule": RuleId.UNCITED_CLAIM,
        "severity": Severity.WARNING,
        "path": "docs/a.md",
        "line": 3,
        "column": 7,
        "message": "cites nothing",
    }
    return Finding(**(base | changes))


def test_annotation_line(mixed_report):
    lines = "".join(github.render(mixed_report)).splitlines()
    assert len(lines) == len(mixed_report.findings)
    assert lines[0] == (
        "::error file=docs/article.md,line=4,col=29,title=provenance empty-citation::"
        + mixed_report.findings[0].message
    )
    assert any(line.startswith("::warning file=docs/page.html,line=6,col=55,") for line in lines)


def test_properties_and_messages_are_escaped(mixed_report):
    finding = _finding(path="we,ird:dir/100%\nname.md", message="50% done\r\nnext: a, b")
    text = "".join(github.render(mixed_report.model_copy(update={"findings": [finding]})))
    assert text == (
        "::warning file=we%2Cird%3Adir/100%25%0Aname.md,line=3,col=7,"
        "title=provenance uncited-claim::50%25 done%0D%0Anext: a, b\n"
    )


def test_notes_are_notices_and_baselined_findings_are_left_out(mixed_report):
    findings = [
        _finding(severity=Severity.NOTE, line=None, column=None),
        _finding(baselined=True),
    ]
    text = "".join(github.render(mixed_report.model_copy(update={"findings": findings})))
    assert text == "::notice file=docs/a.md,title=provenance uncited-claim::cites nothing\n"


def test_check_annotates_on_stderr_in_github_actions(copy_project, cli, monkeypatch):
    copy_project("mixed")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = cli("check", "--no-fetch", "-q", "--format", "json", "-o", "-", "docs")
    assert result.code == 1
    assert "::error file=docs/article.md,line=4,col=29," in result.err
    assert "::" not in result.out.splitlines()[0]  # stdout stays the JSON report
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    assert "::error" not in cli("check", "--no-fetch", "-q", "-o", "-", "docs").err
