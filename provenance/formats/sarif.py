"""SARIF 2.1.0 for code-scanning tools (GitHub code scanning, GitLab, IDE viewers).

Every rule of the catalogue is listed with its descriptions, help and default
level; each finding is a result with a relative file location and the baseline
fingerprint as ``partialFingerprints`` so code-scanning tools track it across
edits. Baselined findings carry ``baselineState: "unchanged"``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from provenance.baseline import fingerprints
from provenance.models import Finding, Report
from provenance.rules import RULES, RuleId, Severity

__all__ = ["FINGERPRINT_KEY", "render"]

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/provenance-dev/provenance"
FINGERPRINT_KEY = "provenance/v1"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def _rules() -> list[dict[str, Any]]:
    return [
        {
            "id": rule.id.value,
            "name": "".join(part.capitalize() for part in rule.id.value.split("-")),
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": f"{rule.summary} {rule.help}"},
            "help": {"text": rule.help, "markdown": rule.help},
            "helpUri": f"{INFORMATION_URI}#rules",
            "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        }
        for rule in RULES.values()
    ]


def _result(
    finding: Finding, fingerprint: str, index: dict[RuleId, int], baseline: bool
) -> dict[str, Any]:
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": quote(finding.path or "."), "uriBaseId": "SRCROOT"}
    }
    if finding.line is not None:
        region: dict[str, Any] = {"startLine": finding.line}
        if finding.column is not None:
            region["startColumn"] = finding.column
        physical["region"] = region
    result: dict[str, Any] = {
        "ruleId": finding.rule.value,
        "ruleIndex": index[finding.rule],
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if baseline:
        result["baselineState"] = "unchanged" if finding.baselined else "new"
    return result


def render(report: Report) -> str:
    """The report as a SARIF 2.1.0 log with one run."""
    index = {rule: i for i, rule in enumerate(RULES)}
    baseline = any(f.baselined for f in report.findings)
    results = [
        _result(finding, fp, index, baseline)
        for finding, fp in zip(report.findings, fingerprints(report.findings), strict=True)
    ]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": report.tool,
                        "version": report.tool_version,
                        "semanticVersion": report.tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": _rules(),
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": report.summary.errors == 0,
                        "endTimeUtc": report.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                ],
                "originalUriBaseIds": {"SRCROOT": {"description": {"text": "The project root."}}},
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
