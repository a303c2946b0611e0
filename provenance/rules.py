"""The catalogue of findings: every rule id, its default severity and what it means.

Rule ids are stable: reports, baselines, ``--fail-on`` and ignore comments name
them. The README's rule table is generated from ``RULES`` and checked by a test.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["RULES", "Rule", "RuleId", "Severity"]


class Severity(enum.IntEnum):
    """How much a finding matters; ordered so ``>=`` compares them."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        """The lowercase name used in reports and options."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``"error"`` -> ``Severity.ERROR``; raises ``ValueError`` for anything else."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}") from None


class RuleId(enum.StrEnum):
    """Stable identifiers of every finding provenance reports."""

    STRIPPED_MARKER = "stripped-marker"
    EMPTY_CITATION = "empty-citation"
    CITATION_NEEDED = "citation-needed"
    UNCITED_CLAIM = "uncited-claim"
    UNKNOWN_CITATION = "unknown-citation"
    UNUSED_SOURCE = "unused-source"
    INVALID_SOURCE = "invalid-source"
    UNREADABLE_DOCUMENT = "unreadable-document"
    DEAD_SOURCE = "dead-source"
    SOFT_404 = "soft-404"
    MOVED_SOURCE = "moved-source"
    UNVERIFIABLE_SOURCE = "unverifiable-source"
    SUSPECT_SOURCE = "suspect-source"
    DRIFTED_SOURCE = "drifted-source"
    QUOTE_NOT_FOUND = "quote-not-found"
    QUOTE_REMOVED = "quote-removed"
    WEAK_SUPPORT = "weak-support"


@dataclass(frozen=True, slots=True)
class Rule:
    """One entry of the catalogue."""

    id: RuleId
    severity: Severity
    summary: str
    help: str


RULES: dict[RuleId, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            RuleId.STRIPPED_MARKER,
            Severity.ERROR,
            "A claim's punctuation has a space before it, where a citation marker was lost.",
            "Put the lost marker back in the space (`kompromat [3].`) or remove the space"
            " if the claim needs no source.",
        ),
        Rule(
            RuleId.EMPTY_CITATION,
            Severity.ERROR,
            "Empty brackets `[]` stand where a citation belongs.",
            "Fill in the source's id, or remove the brackets.",
        ),
        Rule(
            RuleId.CITATION_NEEDED,
            Severity.ERROR,
            "The text itself says a citation is needed (`[citation needed]`, `[cn]`).",
            "Find a source for the claim and cite it, or cut the claim.",
        ),
        Rule(
            RuleId.UNCITED_CLAIM,
            Severity.WARNING,
            "A sentence makes a claim and cites nothing.",
            "Cite a source, or mark the sentence `<!-- provenance: ignore -->` if it needs none.",
        ),
        Rule(
            RuleId.UNKNOWN_CITATION,
            Severity.ERROR,
            "A citation marker names a source that has no record.",
            "Add the record to sources.toml (or the document's reference list), or fix the marker.",
        ),
        Rule(
            RuleId.UNUSED_SOURCE,
            Severity.WARNING,
            "A source record that nothing cites.",
            "Cite it, or delete the record.",
        ),
        Rule(
            RuleId.INVALID_SOURCE,
            Severity.ERROR,
            "A source record fails validation (no URL, not http/https, a bad date...).",
            "Fix the record as the message says.",
        ),
        Rule(
            RuleId.UNREADABLE_DOCUMENT,
            Severity.ERROR,
            "A document could not be read (missing, binary, undecodable).",
            "Fix the path or the file; the other documents were still checked.",
        ),
        Rule(
            RuleId.DEAD_SOURCE,
            Severity.ERROR,
            "A cited source is gone: 404, 410, a dead host, a redirect loop, a server error"
            " that persisted through retries.",
            "Cite the archived copy (archived_url) or a live replacement.",
        ),
        Rule(
            RuleId.SOFT_404,
            Severity.ERROR,
            "A cited source answers 200 but is a 'not found' page or a redirect to the home page.",
            "The page is gone although the server says otherwise: replace or archive the citation.",
        ),
        Rule(
            RuleId.MOVED_SOURCE,
            Severity.WARNING,
            "A cited source permanently redirects (301/308) to a different URL.",
            "Update the record's url to the new address the finding names.",
        ),
        Rule(
            RuleId.UNVERIFIABLE_SOURCE,
            Severity.NOTE,
            "A cited source could not be checked: paywall, login, bot wall, rate limit, timeout,"
            " or refused by policy.",
            "Check it by hand; add archived_url so readers can see what was cited.",
        ),
        Rule(
            RuleId.SUSPECT_SOURCE,
            Severity.WARNING,
            "`provenance audit`: a cited source failed, but not yet often or long enough to call"
            " it dead (by default 3 failures at least 3 days apart).",
            "Nothing to do yet: later audits confirm it dead or see it come back.",
        ),
        Rule(
            RuleId.DRIFTED_SOURCE,
            Severity.WARNING,
            "`provenance audit`: a cited page's main text has changed since it was cited, beyond"
            " the drift threshold.",
            "Read what was removed and added; cite the archived copy if the claim relied on it.",
        ),
        Rule(
            RuleId.QUOTE_NOT_FOUND,
            Severity.WARNING,
            "`provenance audit`: a record's `quote` is not in the source as it was cited.",
            "Fix the quote in sources.toml (the closest passage is shown) or the record's url.",
        ),
        Rule(
            RuleId.QUOTE_REMOVED,
            Severity.WARNING,
            "`provenance audit`: a record's `quote` was in the source as cited and is gone from"
            " it now.",
            "Cite the archived copy (archived_url), which still says it.",
        ),
        Rule(
            RuleId.WEAK_SUPPORT,
            Severity.WARNING,
            "`provenance audit`: no passage of a cited source scores above the support threshold"
            " for the claim citing it.",
            "Read the best passage quoted with the finding: fix the citation, or the claim.",
        ),
    )
}
