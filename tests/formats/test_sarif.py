"""SARIF 2.1.0: valid against the official schema, with rules, levels, locations, fingerprints."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from provenance.baseline import fingerprints
from provenance.formats import sarif
from provenance.rules import RULES

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.mark.parametrize("which", ["mixed_report", "clean_report"])
def test_output_is_valid_sarif_2_1_0(which, validator, request):
    log = json.loads("".join(sarif.render(request.getfixturevalue(which))))
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, errors[0].message


def test_schema_validation_catches_a_broken_log(mixed_report, validator):
    log = json.loads("".join(sarif.render(mixed_report)))
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert list(validator.iter_errors(log)), "the schema check must be able to fail"


def test_rules_and_results(mixed_report):
    log = json.loads("".join(sarif.render(mixed_report)))
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("provenance", mixed_report.tool_version)
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [r.value for r in RULES]
    by_id = {r["id"]: r for r in rules}
    assert by_id["uncited-claim"]["defaultConfiguration"]["level"] == "warning"
    assert by_id["unverifiable-source"]["defaultConfiguration"]["level"] == "note"
    assert by_id["dead-source"]["help"]["text"] == RULES["dead-source"].help
    results = run["results"]
    assert len(results) == len(mixed_report.findings)
    dead = next(r for r in results if r["ruleId"] == "dead-source")
    assert dead["level"] == "error"
    location = dead["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "docs/notes.txt"
    assert location["region"] == {"startLine": 3, "startColumn": 95}
    assert rules[dead["ruleIndex"]]["id"] == "dead-source"
    assert [r["partialFingerprints"]["provenance/v1"] for r in results] == fingerprints(
        mixed_report.findings
    )


def test_baselined_findings_are_marked_unchanged(mixed_report):
    findings = [
        f.model_copy(update={"baselined": i % 2 == 0}) for i, f in enumerate(mixed_report.findings)
    ]
    log = json.loads("".join(sarif.render(mixed_report.model_copy(update={"findings": findings}))))
    states = [r["baselineState"] for r in log["runs"][0]["results"]]
    assert states == ["unchanged" if i % 2 == 0 else "new" for i in range(len(findings))]


def test_configured_severity_sets_the_result_level(copy_project, cli):
    project = copy_project("mixed")
    (project / "provenance.toml").write_text('[severity]\nuncited-claim = "error"\n')
    result = cli("check", "--no-fetch", "-q", "-f", "sarif", "-o", "-", "docs")
    assert result.code == 1
    run = json.loads(result.out)["runs"][0]
    [uncited] = [r for r in run["results"] if r["ruleId"] == "uncited-claim"]
    assert uncited["level"] == "error"
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "uncited-claim")
    assert rule["defaultConfiguration"]["level"] == "warning"


def test_an_audit_report_is_valid_sarif_with_the_audit_rules(audit_report, validator):
    log = json.loads("".join(sarif.render(audit_report)))
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, errors[0].message
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    audit_rules = ("dead-source", "suspect-source", "drifted-source", "quote-not-found",
                   "quote-removed", "weak-support")  # fmt: skip
    for rule in audit_rules:
        assert rules[rule]["help"]["text"] == RULES[rule].help and RULES[rule].help, rule
        assert rules[rule]["shortDescription"]["text"] == RULES[rule].summary
    found = {r["ruleId"] for r in log["runs"][0]["results"]}
    assert set(audit_rules) <= found


def test_audit_results_carry_the_audit_figures(audit_report):
    results = json.loads("".join(sarif.render(audit_report)))["runs"][0]["results"]
    by_rule: dict[str, list[dict]] = {}
    for result in results:
        by_rule.setdefault(result["ruleId"], []).append(result)
    [dead] = by_rule["dead-source"]
    assert dead["properties"] == {
        "source": "articles/health.md#5",
        "rotState": "dead",
        "failures": 3,
        "failuresNeeded": 3,
        "failingSince": "2026-01-05T09:00:00Z",
    }
    drifted = {
        r["properties"]["source"]: r["properties"]["similarity"] for r in by_rule["drifted-source"]
    }
    assert drifted == {"articles/health.md#3": pytest.approx(0.17, abs=0.005),
                       "vaccine-trial": pytest.approx(0.76, abs=0.005)}  # fmt: skip
    [weak] = by_rule["weak-support"]
    assert weak["properties"] == {
        "source": "articles/health.md#1",
        "supportScore": 0.0,
        "scorer": "overlap",
    }
    [removed] = by_rule["quote-removed"]
    assert removed["properties"]["quoteAsCited"] == "found"
    assert removed["properties"]["quoteLatest"] == "missing"
    [not_found] = by_rule["quote-not-found"]
    assert not_found["properties"]["quoteAsCited"] == "missing"
    assert not_found["properties"]["similarity"] == pytest.approx(0.51, abs=0.005)
    # Without the audit, a source finding names its source and nothing more.
    sources = [s.model_copy(update={"audit": None}) for s in audit_report.sources]
    plain = json.loads("".join(sarif.render(audit_report.model_copy(update={"sources": sources}))))
    assert {json.dumps(r["properties"]) for r in plain["runs"][0]["results"]} == {
        json.dumps({"source": s}) for s in {f.source for f in audit_report.findings}
    }
