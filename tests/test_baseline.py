"""Baselines: `provenance baseline` records findings; `check --baseline` fails only on new ones."""

from __future__ import annotations

import json

import pytest

from provenance.baseline import fingerprints, load_baseline
from provenance.errors import InputError
from provenance.models import Finding
from provenance.rules import RuleId, Severity

DOC = """# Malaria

Malaria caused an estimated 608,000 deaths in 2022 .
Bed nets halve the rate of infection in children .
Vaccines are being rolled out in several countries [1].

[1]: https://www.who.int/news-room/fact-sheets/detail/malaria
"""


def _write(project, text):
    (project / "notes.md").write_text(text, encoding="utf-8")


def test_baseline_then_check_passes_and_reports_baselined(project, cli):
    _write(project, DOC)
    made = cli("baseline", "--no-fetch", "notes.md")
    assert made.code == 0
    assert "recorded 2 findings in provenance-baseline.json" in made.err
    recorded = json.loads((project / "provenance-baseline.json").read_text())
    assert [e["rule"] for e in recorded["findings"]] == ["stripped-marker"] * 2
    assert cli("check", "--no-fetch", "-q", "notes.md").code == 1
    result = cli(
        "check",
        "--no-fetch",
        "-q",
        "--baseline",
        "provenance-baseline.json",
        "-f",
        "json",
        "-o",
        "-",
        "notes.md",
    )
    assert result.code == 0
    findings = json.loads(result.out)["findings"]
    assert [f["baselined"] for f in findings] == [True, True]


def test_unrelated_edits_and_moves_keep_findings_baselined(project, cli):
    _write(project, DOC)
    assert cli("baseline", "--no-fetch", "-q", "notes.md").code == 0
    lines = DOC.splitlines()
    # A new first paragraph, and the two flagged sentences swap places further down.
    edited = [lines[0], "", "An introduction that was added later, with its own source [1].", ""]
    edited += [lines[3], "", "Some unrelated filler text was put here [1].", "", lines[2]]
    edited += lines[4:]
    _write(project, "\n".join(edited) + "\n")
    result = cli("check", "--no-fetch", "-q", "--baseline", "provenance-baseline.json", "notes.md")
    assert result.code == 0, result.out
    assert result.out.count("(baselined)") == 2


def test_changing_the_sentence_is_a_new_finding(project, cli):
    _write(project, DOC)
    assert cli("baseline", "--no-fetch", "-q", "notes.md").code == 0
    _write(project, DOC.replace("608,000 deaths", "610,000 deaths"))
    result = cli(
        "check",
        "--no-fetch",
        "-q",
        "--baseline",
        "provenance-baseline.json",
        "-f",
        "sarif",
        "-o",
        "-",
        "notes.md",
    )
    assert result.code == 1
    states = {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]: r["baselineState"]
        for r in json.loads(result.out)["runs"][0]["results"]
    }
    assert states == {3: "new", 4: "unchanged"}


def test_the_baseline_setting_is_used_by_default(project, cli):
    _write(project, DOC)
    (project / "provenance.toml").write_text('baseline = "ci/accepted.json"\n')
    assert cli("baseline", "--no-fetch", "-q", "notes.md").code == 0
    assert (project / "ci" / "accepted.json").is_file()
    assert cli("check", "--no-fetch", "-q", "notes.md").code == 0


def test_repeated_findings_get_occurrence_indexes():
    same = Finding(
        rule=RuleId.UNCITED_CLAIM,
        severity=Severity.WARNING,
        path="a.md",
        line=1,
        column=1,
        message="m",
        text="The  same\nsentence [3].",
    )
    moved = same.model_copy(update={"line": 40, "text": "the same sentence."})
    prints = fingerprints([same, moved, same.model_copy(update={"path": "b.md"})])
    assert prints[0].endswith(":0") and prints[1].endswith(":1")
    assert prints[0].split(":")[0] == prints[1].split(":")[0] != prints[2].split(":")[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"version": 1,\n "findings": [}', "bad.json:2: not JSON"),
        ('{"version": 7, "findings": []}', "bad.json: not a baseline: version"),
    ],
)
def test_a_bad_baseline_is_an_input_error(project, content, message):
    (project / "bad.json").write_text(content)
    with pytest.raises(InputError) as caught:
        load_baseline(project / "bad.json", "bad.json")
    assert caught.value.one_line().startswith(message)


def test_check_with_a_missing_baseline_exits_2(project, cli):
    _write(project, DOC)
    result = cli("check", "--no-fetch", "-q", "--baseline", "nope.json", "notes.md")
    assert result.code == 2
    assert result.err.startswith("provenance: error: nope.json: cannot read the baseline")
