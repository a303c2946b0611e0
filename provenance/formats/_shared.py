"""Helpers the formats share: ordering and locating findings, the quotes to show."""

from __future__ import annotations

from collections.abc import Iterable

from provenance.models import Finding, QuoteReport
from provenance.quotestatus import QuoteStatus

__all__ = ["count", "location", "percent", "quote_problem", "worst_first"]


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


def quote_problem(quote: QuoteReport) -> QuoteStatus | None:
    """How a quote is not found (latest snapshot first, then as cited), or None if it is.

    Every format shows each quote with a problem, whether or not a close passage was found
    (a quote removed from a page may leave nothing like it behind).
    """
    for state in (quote.latest, quote.as_cited):
        if state is not None and state is not QuoteStatus.FOUND:
            return state
    return None


def count(number: int, noun: str) -> str:
    """``3 findings``, ``1 finding``: a number with its noun, plural when it is not one."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def percent(value: float | None) -> str:
    """A share (0..1) as a percentage with one decimal; ``n/a`` when there is none."""
    return "n/a" if value is None else f"{value:.1%}"
