"""`provenance audit` on the command line: reports, gates and exit codes, write-back."""

from __future__ import annotations

import json

import pytest

from provenance.cli import ExitCode
from tests.support.scenario import Scenario

pytestmark = pytest.mark.integration


def test_a_clean_first_audit_exits_0_and_writes_the_audit_reports(scenario: Scenario, cli) -> None:
    result = cli("audit")
    assert result.code == ExitCode.OK, result.err
    assert "audit " in result.out and "7 sources (7 fetched now): 7 alive" in result.out
    report = json.loads((scenario.root / "reports/audit.json").read_text())
    assert report["audit"]["states"] == {"alive": 7}
    assert {s["audit"]["state"] for s in report["sources"]} == {"alive"}
    assert "## Source rot" in (scenario.root / "reports/audit.md").read_text()
    assert not (scenario.root / "reports/coverage.json").exists()


def test_fail_on_gates_on_audit_findings(scenario: Scenario, cli) -> None:
    gate = ("--fail-on", "dead-source,drifted-source,quote-removed,weak-support")
    assert cli("audit", "-q", "-o", "-", "--support-threshold", "0").code == ExitCode.OK
    scenario.page("/rewritten", "rewritten-2")
    result = cli("audit", "-q", "--format", "json", "-o", "-", "--support-threshold", "0", *gate)
    assert result.code == ExitCode.GATE_FAILED
    rules = {f["rule"] for f in json.loads(result.out)["findings"]}
    assert rules == {"drifted-source", "quote-not-found"}
    # Drift judged against a looser threshold: nothing fails the gate.
    loose = cli("audit", "-q", "-o", "-", "--drift-threshold", "0.1", "--support-threshold", "0")
    assert loose.code == ExitCode.OK


def test_dead_after_and_dead_spacing_come_from_the_command_line(scenario: Scenario, cli) -> None:
    options = ("-q", "-o", "-", "--fail-on", "dead-source", "--support-threshold", "0")
    assert cli("audit", *options).code == ExitCode.OK
    scenario.status("/dying", 410)
    # Alive last time: one failure is never enough, even with --dead-after 1.
    first = cli("audit", *options, "--dead-after", "1")
    assert first.code == ExitCode.OK and "suspect-source" in first.out
    # Two failures, no spacing required: dead.
    second = cli("audit", *options, "--dead-after", "2", "--dead-spacing", "0")
    assert second.code == ExitCode.GATE_FAILED
    assert "dead-source: [5] cites" in second.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--drift-threshold", "1.5"), "--drift-threshold"),
        (("--dead-after", "0"), "--dead-after"),
        (("--fail-on", "dead-sources"), "did you mean 'dead-source'"),
    ],
)
def test_bad_options_exit_2(scenario: Scenario, cli, args: tuple[str, ...], message: str) -> None:
    result = cli("audit", *args)
    assert result.code == ExitCode.INPUT_ERROR
    assert message in result.err


def test_a_bad_audit_setting_names_its_line(scenario: Scenario, cli) -> None:
    config = scenario.root / "provenance.toml"
    config.write_text(config.read_text() + "\n[audit]\ndead_after = 0\n")
    result = cli("audit")
    assert result.code == ExitCode.INPUT_ERROR
    assert result.err.startswith("provenance: error: provenance.toml:")
    assert "audit.dead_after" in result.err


def test_write_archive_urls_records_the_copies_and_nothing_else(
    scenario: Scenario, cli, golden
) -> None:
    before = (scenario.root / "sources.toml").read_text()
    assert cli("audit", "-q", "-o", "-", "--write-archive-urls").code == ExitCode.OK
    assert (scenario.root / "sources.toml").read_text() == before  # nothing to replace yet
    scenario.page("/rewritten", "rewritten-2")
    scenario.page("/quoted", "quoted-2")
    result = cli("audit", "-o", "-", "--format", "json", "--write-archive-urls")
    assert result.code == ExitCode.OK, result.err
    assert "wrote archived_url for articles/health.md#3" in result.err
    golden("audit/sources.toml", scenario.unfill((scenario.root / "sources.toml").read_text()))
    report = json.loads(result.out)
    [rewritten] = [s for s in report["sources"] if s["id"] == "articles/health.md#3"]
    assert rewritten["audit"]["replacement"]["written"] is True
    # A second run keeps what is there.
    again = cli("audit", "-o", "-", "--format", "json", "--write-archive-urls")
    [kept] = [s for s in json.loads(again.out)["sources"] if s["id"] == "articles/health.md#3"]
    assert kept["audit"]["replacement"]["written"] is False
    assert "already has an archived_url" in kept["audit"]["replacement"]["note"]
    # ...and the report points to the copy the record now names.
    written = rewritten["audit"]["replacement"]["archive_url"]
    assert kept["audit"]["replacement"]["archive_url"] == written


def test_offline_audit_judges_from_the_archive_alone(scenario: Scenario, cli) -> None:
    assert cli("audit", "-q", "-o", "-").code == ExitCode.OK
    hits = sum(scenario.server.hits.values())
    result = cli("audit", "--offline", "-q", "--format", "json", "-o", "-")
    assert result.code == ExitCode.OK
    assert sum(scenario.server.hits.values()) == hits
    report = json.loads(result.out)
    assert report["audit"]["checked"] == 0
    assert {s["audit"]["state"] for s in report["sources"]} == {"alive"}


def test_records_from_a_documents_own_list_cannot_be_written_back(project, cli) -> None:
    from tests.support.loopback import LoopbackServer

    with LoopbackServer() as server:
        (project / "provenance.toml").write_text(
            "[fetch]\nallow_private = true\nrecheck_delay_s = 0\nmax_retries = 0\n"
        )
        (project / "sources.toml").write_text("# shared sources go here\n")
        (project / "doc.md").write_text(
            "# Doc\n\nThe survey counted nine hundred turtles [1].\n\n"
            f"## References\n\n1. {server.url('/gone')}\n"
        )
        # Never seen alive: with --dead-after 1 one failure is enough.
        result = cli("audit", "-o", "-", "--dead-after", "1", "--write-archive-urls", "doc.md")
    assert result.code == ExitCode.GATE_FAILED  # dead-source is an error
    assert "dead-source: [1] cites" in result.out
    assert (
        "cannot write back doc.md#1: is defined in doc.md's own reference list, not in"
        " sources.toml: add it to sources.toml to record an archive URL"
    ) in result.err
    assert (project / "sources.toml").read_text() == "# shared sources go here\n"
