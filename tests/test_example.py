"""The bundled example, the document provenance was created from, handled exactly."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from provenance.cli import ExitCode

EXAMPLE = "examples/factually-trump-putin.txt"


def test_repository_ships_the_shared_example_unchanged():
    repo = Path(__file__).resolve().parent.parent
    shared = repo.parent / "shared" / "examples" / "factually-trump-putin.txt"
    bundled = repo / EXAMPLE
    assert bundled.exists()
    if shared.exists():
        assert bundled.read_bytes() == shared.read_bytes()


def test_example_report_has_the_exact_figures(example_project, cli):
    result = cli("check", "--no-fetch", "--format", "json", "-o", "-", EXAMPLE)
    report = json.loads(result.out)
    summary = report["summary"]
    assert summary["claims"] == 14
    assert summary["cited_claims"] == 4
    assert summary["uncited_claims"] == 10
    assert summary["citations"] == 6
    assert summary["sources"] == 2
    (document,) = report["documents"]
    assert Counter(c["id"] for c in document["citations"]) == {"1": 4, "2": 2}
    assert all(c["source"] is not None for c in document["citations"])
    stripped = [f for f in report["findings"] if f["rule"] == "stripped-marker"]
    assert [f["line"] for f in stripped] == [8, 8, 16, 16, 20, 20, 24, 24, 28, 28, 32]
    assert summary["findings"] == {"stripped-marker": 11}
    assert document["date"] == "2026-01-13"
    assert result.code == ExitCode.GATE_FAILED


def test_example_non_claims_are_not_claims(example_project, cli):
    result = cli("check", "--no-fetch", "--format", "json", "-o", "-", EXAMPLE)
    claims = [c["text"] for c in json.loads(result.out)["documents"][0]["claims"]]
    for not_a_claim in (
        "Trump Putin connection",
        "Checked on January 13, 2026",
        "Disclaimer:",
        "Executive summary",
        "1. The documented contacts",
        "Want to dive deeper?",
        "What did the Mueller report",
        "What are the known financial ties",
        "How have U.S. congressional probes",
    ):
        assert not any(text.startswith(not_a_claim) for text in claims), not_a_claim


def test_stripped_marker_points_at_the_gap(example_project, cli):
    result = cli("check", "--no-fetch", "--format", "json", "-o", "-", EXAMPLE)
    findings = json.loads(result.out)["findings"]
    lines = (example_project / EXAMPLE).read_text(encoding="utf-8").split("\n")
    for finding in findings:
        line = lines[finding["line"] - 1]
        gap = line[finding["column"] - 1 :]
        assert gap[0] == " " and gap[1] in ".,", gap[:10]
    comma = next(f for f in findings if f["line"] == 28)
    assert '"bet ,"' in comma["message"]


def test_example_golden_reports(example_project, cli, golden):
    result = cli("check", "--no-fetch", EXAMPLE)
    assert result.code == ExitCode.GATE_FAILED
    golden("example/stdout.txt", result.out)
    golden("example/coverage.md", (example_project / "reports/coverage.md").read_text("utf-8"))
    golden("example/coverage.json", (example_project / "reports/coverage.json").read_text("utf-8"))
