"""`provenance render`: a saved JSON report re-rendered in any format, without fetching."""

from __future__ import annotations

import json
import shutil

import pytest

from provenance.formats import FORMATS
from provenance.models import load_report
from tests.conftest import DATA

MIXED = DATA / "reports" / "mixed.json"


@pytest.mark.parametrize("name", ["sarif", "junit", "html", "summary", "github", "json"])
def test_render_equals_the_format_of_the_saved_report(project, cli, name):
    shutil.copy(MIXED, project / "coverage.json")
    result = cli("render", "coverage.json", "--format", name)
    assert result.code == 0
    assert result.out == "".join(FORMATS[name](load_report(MIXED)))


def test_json_round_trips_through_check_and_render(copy_project, cli):
    copy_project("mixed")
    checked = cli("check", "--no-fetch", "-q", "-f", "json", "-o", "report.json", "docs")
    assert checked.code == 1
    direct = cli("check", "--no-fetch", "-q", "-f", "sarif", "-o", "-", "docs").out
    rendered = cli("render", "report.json", "-f", "sarif").out
    strip = lambda text: [r["partialFingerprints"] for r in json.loads(text)["runs"][0]["results"]]  # noqa: E731
    assert strip(rendered) == strip(direct)


def test_render_to_the_reports_directory(project, cli):
    shutil.copy(MIXED, project / "coverage.json")
    result = cli("render", "coverage.json", "-f", "html", "-f", "junit", "--reports-dir", "out")
    assert result.code == 0
    assert (project / "out" / "coverage.html").read_text().startswith("<!DOCTYPE html>")
    assert (project / "out" / "coverage.junit.xml").is_file()
    assert result.err == "Reports: out/coverage.html, out/coverage.junit.xml\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{\n  "schema_version": 1,\n  oops\n}', "bad.json:3: not JSON"),
        ('{"schema_version": 2}', "bad.json: not a provenance JSON report: schema_version"),
        ("[]", "bad.json: not a provenance JSON report: (top level)"),
    ],
)
def test_a_bad_report_is_one_line_and_exit_2(project, cli, content, message):
    (project / "bad.json").write_text(content)
    result = cli("render", "bad.json", "-f", "sarif")
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith(f"provenance: error: {message}")
    assert len(result.err.splitlines()) == 1


def test_render_applies_a_baseline(project, cli):
    shutil.copy(MIXED, project / "coverage.json")
    (project / "provenance.toml").write_text("")
    report = load_report(MIXED)
    from provenance.baseline import make_baseline, render_baseline

    (project / "base.json").write_text(render_baseline(make_baseline(report)))
    result = cli("render", "coverage.json", "-f", "summary", "--baseline", "base.json")
    assert result.out.startswith("### provenance: No new findings (7 baselined)")
