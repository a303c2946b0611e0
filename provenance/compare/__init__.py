"""Pure text comparison for auditing sources: passages, support, quotes and drift.

No I/O here: every function takes strings and returns frozen results, so the audit
can score claims against archived snapshot text however it obtained it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provenance._lazy import exports

if TYPE_CHECKING:
    from provenance.compare.drift import (
        DEFAULT_DRIFT_THRESHOLD,
        Drift,
        compare_text,
        main_text_for_drift,
    )
    from provenance.compare.passages import Passage, split_passages
    from provenance.compare.quotes import QuoteMatch, QuoteStatus, find_quote, normalize_for_match
    from provenance.compare.support import (
        DEFAULT_SUPPORT_THRESHOLD,
        BM25Scorer,
        Scorer,
        SupportMatch,
        best_support,
        cited_parts,
    )

__all__ = [
    "DEFAULT_DRIFT_THRESHOLD",
    "DEFAULT_SUPPORT_THRESHOLD",
    "BM25Scorer",
    "Drift",
    "Passage",
    "QuoteMatch",
    "QuoteStatus",
    "Scorer",
    "SupportMatch",
    "best_support",
    "cited_parts",
    "compare_text",
    "find_quote",
    "main_text_for_drift",
    "normalize_for_match",
    "split_passages",
]

# Imported on first use: the command line needs none of this unless it audits.
_EXPORTS: dict[str, str] = {
    "BM25Scorer": "provenance.compare.support",
    "DEFAULT_DRIFT_THRESHOLD": "provenance.compare.thresholds",
    "DEFAULT_SUPPORT_THRESHOLD": "provenance.compare.thresholds",
    "Drift": "provenance.compare.drift",
    "Passage": "provenance.compare.passages",
    "QuoteMatch": "provenance.compare.quotes",
    "QuoteStatus": "provenance.compare.quotes",
    "Scorer": "provenance.compare.support",
    "SupportMatch": "provenance.compare.support",
    "best_support": "provenance.compare.support",
    "cited_parts": "provenance.compare.support",
    "compare_text": "provenance.compare.drift",
    "find_quote": "provenance.compare.quotes",
    "main_text_for_drift": "provenance.compare.drift",
    "normalize_for_match": "provenance.compare.quotes",
    "split_passages": "provenance.compare.passages",
}

__getattr__, __dir__ = exports(globals(), _EXPORTS)
