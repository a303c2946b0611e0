"""The command line: exit codes per scenario, stdout and stderr kept apart, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from provenance.cli import ExitCode


def _json(result):
    return json.loads(result.out)


def test_clean_project_passes_and_writes_both_reports(copy_project, cli):
    root = copy_project("clean")
    result = cli("check", "--no-fetch", "docs")
    assert result.code == ExitCode.OK
    assert "2 claims, 2 cited (100.0%)" in result.out
    report = json.loads((root / "reports/coverage.json").read_text("utf-8"))
    assert report["summary"]["coverage"] == 1.0
    assert report["documents"][0]["date"] == "2024-05-01"
    assert (root / "reports/coverage.md").read_text("utf-8").startswith("# Citation coverage")


def test_json_to_stdout_is_valid_json_with_messages_on_stderr(copy_project, cli):
    copy_project("mixed")
    result = cli("check", "--no-fetch", "--format", "json", "-o", "-", "docs")
    report = _json(result)  # would raise if anything else were mixed in
    assert report["schema_version"] == 1
    assert "fail the gate" in result.err
    assert result.code == ExitCode.GATE_FAILED


def test_every_rule_in_the_mixed_project(copy_project, cli):
    copy_project("mixed")
    report = _json(cli("check", "--no-fetch", "--format", "json", "-o", "-", "docs"))
    where = {(f["rule"], f["path"], f["line"], f["column"]) for f in report["findings"]}
    assert ("empty-citation", "docs/article.md", 4, 29) in where
    assert ("citation-needed", "docs/article.md", 4, 60) in where
    assert ("unknown-citation", "docs/article.md", 5, 55) in where
    assert ("stripped-marker", "docs/notes.txt", 4, 49) in where
    assert ("uncited-claim", "docs/page.html", 7, 4) in where
    # A sentence with [] or [citation needed] is not also reported as uncited.
    assert not any(r == "uncited-claim" and p == "docs/article.md" for r, p, _, _ in where)
    sources = {s["id"]: s for s in report["sources"]}
    assert sources["docs/notes.txt#1"]["url"].startswith("https://www.who.int/publications")
    assert sources["docs/page.html#1"]["url"] == "https://www.cdc.gov/measles/vaccines/"
    assert sources["docs/page.html#2"]["url"] == "https://www.unicef.org/immunization"
    assert sources["docs/article.md#^who"]["url"].endswith("dengue-and-severe-dengue")
    assert sources["doi:10.1371/journal.pntd.0012345"]["url"] == (
        "https://doi.org/10.1371/journal.pntd.0012345"
    )
    assert sources["who-2023"]["origin"] == "sources.toml:1"


def test_a_bad_document_is_reported_and_the_rest_checked(copy_project, cli):
    copy_project("bad-document")
    result = cli("check", "--no-fetch", "--format", "json", "-o", "-", "docs")
    assert result.code == ExitCode.INPUT_ERROR
    report = _json(result)
    assert [d["path"] for d in report["documents"]] == ["docs/good.txt"]
    assert report["summary"]["errors"] == 1
    errors = [line for line in result.err.splitlines() if line.startswith("provenance: error:")]
    assert errors == [
        "provenance: error: docs/blob.txt: looks binary (NUL bytes); give a .txt, .md or"
        " .html text file"
    ]
    assert "Traceback" not in result.err


def test_missing_path_is_one_line_and_exit_2(project, cli):
    result = cli("check", "--no-fetch", "nowhere.md")
    assert result.code == ExitCode.INPUT_ERROR
    assert "provenance: error: nowhere.md: no such file or directory; check the path" in result.err


def test_malformed_sources_toml_is_one_line_and_exit_2(project, cli, data):
    (project / "a.md").write_text("A claim about the world [1].\n")
    (project / "sources.toml").write_bytes(data("sources/bad-syntax.toml").read_bytes())
    result = cli("check", "--no-fetch", "a.md")
    assert result.code == ExitCode.INPUT_ERROR
    assert result.err.startswith("provenance: error: sources.toml:3: TOML syntax error")
    assert len(result.err.strip().splitlines()) == 1


def test_invalid_record_is_a_finding_and_exit_2(project, cli, data):
    (project / "a.md").write_text("A claim about the world [@a].\n")
    (project / "sources.toml").write_bytes(data("sources/not-http.toml").read_bytes())
    result = cli("check", "--no-fetch", "--format", "json", "-o", "-", "a.md")
    assert result.code == ExitCode.INPUT_ERROR
    findings = _json(result)["findings"]
    assert [(f["rule"], f["path"], f["line"]) for f in findings] == [
        ("invalid-source", "sources.toml", 3)
    ]
    assert (
        "provenance: error: sources.toml:3: source 'a': url 'ftp://example.org/file'" in result.err
    )


def test_empty_file_gives_an_empty_report(project, cli):
    (project / "empty.md").write_text("")
    result = cli("check", "--no-fetch", "--format", "json", "-o", "-", "empty.md")
    assert result.code == ExitCode.OK
    summary = _json(result)["summary"]
    assert (summary["documents"], summary["claims"], summary["coverage"]) == (1, 0, None)


def test_non_utf8_file_is_decoded(project, cli):
    text = "Le café a coûté 3 € en 2023, selon l'INSEE [1].\n\n[1]: https://www.insee.fr/\n"
    (project / "latin.md").write_bytes(text.encode("cp1252"))
    report = _json(cli("check", "--no-fetch", "--format", "json", "-o", "-", "latin.md"))
    (claim,) = report["documents"][0]["claims"]
    assert claim["text"].startswith("Le café a coûté 3 €")
    assert claim["cited"]


def test_fail_under_gates_on_coverage(copy_project, cli):
    copy_project("mixed")
    assert cli("check", "--no-fetch", "--fail-on", "never", "--fail-under", "60", "docs").code == 0
    result = cli("check", "--no-fetch", "--fail-on", "never", "--fail-under", "70", "docs")
    assert result.code == ExitCode.GATE_FAILED
    assert "coverage 63.6% is under --fail-under 70%" in result.err


def test_fail_on_takes_rules_severities_and_never(copy_project, cli):
    copy_project("mixed")
    assert cli("check", "--no-fetch", "--fail-on", "never", "docs").code == ExitCode.OK
    assert cli("check", "--no-fetch", "--fail-on", "unused-source", "docs").code == ExitCode.OK
    assert cli("check", "--no-fetch", "--fail-on", "warning", "docs").code == ExitCode.GATE_FAILED
    result = cli("check", "--no-fetch", "--fail-on", "stripped-marker,empty-citation", "docs")
    assert result.code == ExitCode.GATE_FAILED
    bad = cli("check", "--no-fetch", "--fail-on", "uncited-claims", "docs")
    assert bad.code == ExitCode.INPUT_ERROR
    assert "did you mean 'uncited-claim'?" in bad.err


def test_fail_under_from_the_environment(copy_project, cli, monkeypatch):
    copy_project("mixed")
    monkeypatch.setenv("PROVENANCE_CHECK_FAIL_UNDER", "70")
    assert cli("check", "--no-fetch", "--fail-on", "never", "docs").code == ExitCode.GATE_FAILED


def test_ignore_comments_and_config(copy_project, cli):
    copy_project("ignores")
    result = cli("check", "--no-fetch", "--format", "json", "-o", "-", "docs")
    findings = _json(result)["findings"]
    assert [(f["rule"], f["path"], f["line"]) for f in findings] == [
        ("uncited-claim", "docs/article.md", 8)
    ]
    assert result.code == ExitCode.GATE_FAILED  # fail_on = ["uncited-claim"] from provenance.toml


def test_unknown_config_key_is_one_line_with_a_hint(project, cli):
    (project / "provenance.toml").write_text('fail_under = 50\nfial_on = "never"\n')
    (project / "a.md").write_text("A claim about the world.\n")
    result = cli("check", "--no-fetch", "a.md")
    assert result.code == ExitCode.INPUT_ERROR
    assert result.err.strip() == (
        "provenance: error: provenance.toml:2: unknown setting 'fial_on'; did you mean 'fail_on'?"
    )


def test_config_in_pyproject(project, cli):
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.provenance]\nfail_on = "never"\n'
    )
    (project / "a.md").write_text("A claim about the world without a source.\n")
    assert cli("check", "--no-fetch", "a.md").code == ExitCode.OK


def test_whole_project_run_reports_unused_shared_sources(copy_project, cli):
    copy_project("unused")
    report = _json(cli("check", "--no-fetch", "--format", "json", "-o", "-"))
    unused = sorted((f["path"], f["line"], f["source"]) for f in report["findings"])
    assert unused == [
        ("sources.toml", 1, "never-cited"),
        ("sources.toml", 7, "docs/a.md#2"),
    ]
    # Naming documents explicitly: shared records may be cited elsewhere, so not judged.
    report = _json(cli("check", "--no-fetch", "--format", "json", "-o", "-", "docs/a.md"))
    assert [f["source"] for f in report["findings"]] == ["docs/a.md#2"]


def test_no_paths_and_nothing_configured_is_a_usage_error(project, cli):
    result = cli("check", "--no-fetch")
    assert result.code == ExitCode.INPUT_ERROR
    assert "no documents to check" in result.err


def test_internal_error_asks_for_a_bug_report(example_project, cli, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("provenance.cli.run_check", explode)
    result = cli("check", "--no-fetch", "examples")
    assert result.code == ExitCode.INTERNAL_ERROR
    assert "internal error: RuntimeError: boom" in result.err
    assert "report it" in result.err
    assert "Traceback" not in result.err
    debug = cli("check", "--no-fetch", "--debug", "examples")
    assert debug.code == ExitCode.INTERNAL_ERROR
    assert "Traceback" in debug.err


def test_output_to_a_file_in_several_formats(copy_project, cli):
    root = copy_project("clean")
    result = cli("check", "--no-fetch", "-f", "markdown", "-f", "text", "-o", "out/r.md", "docs")
    assert result.code == ExitCode.OK
    text = (root / "out/r.md").read_text("utf-8")
    assert text.startswith("# Citation coverage")
    assert "2 claims, 2 cited (100.0%)" in text
    assert not (root / "reports").exists()


def test_rules_and_schema_commands(cli):
    rules = cli("rules")
    assert rules.code == ExitCode.OK
    assert rules.out.splitlines()[0].startswith("stripped-marker")
    schema = cli("schema")
    assert json.loads(schema.out)["title"] == "Report"


@pytest.mark.parametrize(
    "entry", [["-m", "provenance"], ["-c", "from provenance.cli import main; main()"]]
)
def test_module_and_script_entry_points(entry, tmp_path):
    done = subprocess.run(
        [sys.executable, *entry, "--version"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0
    assert "provenance, version" in done.stdout


def test_the_gate_message_counts_one_finding_in_the_singular(copy_project, cli):
    copy_project("mixed")
    result = cli("check", "--no-fetch", "--fail-on", "citation-needed", "docs")
    assert result.code == ExitCode.GATE_FAILED
    assert "provenance: 1 finding fails the gate (--fail-on)" in result.err


def test_a_bracketed_year_is_not_a_citation(project, cli):
    (project / "law.md").write_text(
        "In [2020] the law changed for every tenant [1].\n\n"
        "Rents rose sharply across the region in [1998].\n\n"
        "Rents fell in the years [1990-1995] after the crash [1].\n\n"
        "[1]: https://example.org/law\n"
    )
    result = cli("check", "--no-fetch", "--format", "json", "-o", "-", "law.md")
    report = _json(result)
    found = [(f["rule"], f["line"]) for f in report["findings"]]
    assert found == [("uncited-claim", 3)]
    claims = report["documents"][0]["claims"]
    assert [(c["citations"], c["cited"]) for c in claims] == [
        (["1"], True),
        ([], False),
        (["1"], True),
    ]
    assert [c["id"] for c in report["documents"][0]["citations"]] == ["1", "1"]
    assert report["summary"]["citations"] == 2


def test_a_bracketed_year_with_a_record_of_that_id_stays_a_citation(project, cli):
    (project / "survey.md").write_text(
        "Rents rose sharply across the region [2020].\n\n"
        "Rents fell in the next year as well [2021].\n\n"
        "Rents were flat before, at least since [999].\n\n"
        "[2020]: https://example.org/survey\n"
    )
    result = cli("check", "--no-fetch", "--format", "json", "-o", "-", "survey.md")
    report = _json(result)
    [first, second, third] = report["documents"][0]["claims"]
    assert first["sources"] == ["survey.md#2020"]
    assert (second["cited"], third["cited"]) == (False, True)
    found = [(f["rule"], f["line"], f["message"]) for f in report["findings"]]
    assert found == [
        ("uncited-claim", 3, "claim cites no source"),
        (
            "unknown-citation",
            5,
            "[999] cites '999', which has no record in sources.toml or"
            " the document's reference list",
        ),
    ]
    assert result.code == ExitCode.GATE_FAILED


def test_a_claims_text_in_the_report_keeps_its_inline_code(project, cli):
    (project / "api.md").write_text(
        "The function returns `None` when the key is missing [1].\n\n[1]: https://example.org/api\n"
    )
    (project / "api.html").write_text(
        "<p>The function returns <code>None</code> when the key is missing.</p>\n"
    )
    report = _json(cli("check", "--no-fetch", "--format", "json", "-o", "-", "api.md", "api.html"))
    texts = {d["path"]: [c["text"] for c in d["claims"]] for d in report["documents"]}
    assert texts == {
        "api.md": ["The function returns None when the key is missing [1]."],
        "api.html": ["The function returns None when the key is missing."],
    }
    [finding] = report["findings"]
    assert finding["text"] == "The function returns None when the key is missing."
    markdown = cli("check", "--no-fetch", "--format", "markdown", "-o", "-", "api.html").out
    assert "| The function returns None when the key is missing. |" in markdown


def test_a_bracketed_year_cites_a_record_of_that_id_in_sources_toml(project, cli):
    (project / "sources.toml").write_text(
        '[documents."report.md".sources.1999]\nurl = "https://example.org/report-1999"\n'
    )
    (project / "report.md").write_text("The river flooded the whole town twice [1999].\n")
    result = cli("check", "--no-fetch", "--format", "json", "-o", "-", "report.md")
    report = _json(result)
    [claim] = report["documents"][0]["claims"]
    assert (claim["citations"], claim["cited"]) == (["1999"], True)
    assert report["findings"] == []
    assert result.code == ExitCode.OK
