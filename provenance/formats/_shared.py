"""Helpers the formats share: ordering and locating findings."""

from __future__ import annotations

from collections.abc import Iterable

from provenance.models import Finding

__all__ = ["location", "worst_first"]


def worst_first(findings: Iterable[Finding]) -> list[Finding]:
    """New findings before baselined ones, then by severity (worst first), then reading order."""
    return sorted(findings, key=lambda f: (f.baselined, -f.severity, *f.sort_key()))


def location(finding: Finding) -> str:
    """``path:line:column``, leaving out what is unknown."""
    where = finding.path
    if finding.line is not None:
        where += f":{finding.line}"
        if finding.column is not None:
            where += f":{finding.column}"
    return where
