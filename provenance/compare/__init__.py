"""Pure text comparison for auditing sources: passages, support, quotes and drift.

No I/O here: every function takes strings and returns frozen results, so the audit
can score claims against archived snapshot text however it obtained it.
"""

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
