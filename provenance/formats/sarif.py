"""SARIF 2.1.0 for code-scanning tools (GitHub code scanning, GitLab, IDE viewers).

Every rule of the catalogue is listed with its descriptions, help and default
level; each finding is a result with a relative file location and the baseline
fingerprint as ``partialFingerprints`` so code-scanning tools track it across
edits. Baselined findings carry ``baselineState: "unchanged"``.

A finding about a source carries its id in ``properties.source``; after
``provenance audit`` the properties also carry the audit's figures behind the
finding: rot state and failures, drift similarity, the quote's state, or the
claim's support score.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from provenance.baseline import iter_fingerprints
from provenance.models import Finding, Report, SourceReport, Support
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


_ROT_RULES = frozenset({RuleId.DEAD_SOURCE, RuleId.SUSPECT_SOURCE})
_QUOTE_RULES = frozenset({RuleId.QUOTE_NOT_FOUND, RuleId.QUOTE_REMOVED})


class _Audited:
    """The audit's figures by source id, and claims' support by (path, line, source id)."""

    def __init__(self, report: Report) -> None:
        self.sources: dict[str, SourceReport] = {
            s.id: s for s in report.sources if s.audit is not None
        }
        self.support: dict[tuple[str, int, str], Support] = {
            (doc.path, claim.line, support.source): support
            for doc in report.documents
            for claim in doc.claims
            for support in claim.support or []
        }

    def properties(self, finding: Finding) -> dict[str, Any]:
        """The source a finding is about, and the audit's figures behind it (if audited)."""
        if finding.source is None:
            return {}
        bag: dict[str, Any] = {"source": finding.source}
        source = self.sources.get(finding.source)
        if source is None or source.audit is None:
            return bag
        audit = source.audit
        if finding.rule in _ROT_RULES:
            bag["rotState"] = audit.state.value
            bag["failures"] = audit.failures
            bag["failuresNeeded"] = audit.failures_needed
            if audit.failing_since is not None:
                bag["failingSince"] = audit.failing_since.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif finding.rule is RuleId.DRIFTED_SOURCE and audit.drift is not None:
            bag["similarity"] = round(audit.drift.similarity, 4)
        elif finding.rule in _QUOTE_RULES and audit.quotes:
            # The quote the finding is about: not found as cited, or found then and gone now.
            removed = finding.rule is RuleId.QUOTE_REMOVED
            quote = next(
                (
                    q
                    for q in audit.quotes
                    if (q.as_cited is not None and q.as_cited.present) == removed
                ),
                audit.quotes[0],
            )
            bag["quoteAsCited"] = quote.as_cited.value if quote.as_cited else None
            bag["quoteLatest"] = quote.latest.value if quote.latest else None
            if quote.similarity is not None:
                bag["similarity"] = round(quote.similarity, 4)
        elif finding.rule is RuleId.WEAK_SUPPORT and finding.line is not None:
            support = self.support.get((finding.path, finding.line, source.id))
            if support is not None:
                bag["supportScore"] = round(support.score, 4)
                bag["scorer"] = support.scorer
        return bag


def _result(
    finding: Finding,
    fingerprint: str,
    index: dict[RuleId, int],
    baseline: bool,
    properties: dict[str, Any],
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
    if properties:
        result["properties"] = properties
    return result


def render(report: Report) -> Iterator[str]:
    """The report as a SARIF 2.1.0 log with one run."""
    index = {rule: i for i, rule in enumerate(RULES)}
    baseline = any(f.baselined for f in report.findings)
    audited = _Audited(report)
    results = [
        _result(finding, fp, index, baseline, audited.properties(finding))
        for finding, fp in zip(report.findings, iter_fingerprints(report.findings), strict=True)
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
    yield json.dumps(log, indent=2, ensure_ascii=False) + "\n"
