"""Whether a quote is in a text: one enum for the comparison engine and the report.

A leaf module (it imports nothing of provenance) so that ``provenance.models`` can
name the state in the report without importing the comparison engine at start-up.
"""

from __future__ import annotations

import enum

__all__ = ["QuoteStatus"]


class QuoteStatus(enum.StrEnum):
    """Whether a quote is in a text."""

    FOUND = "found"
    APPROXIMATE = "approximate"
    MISSING = "missing"

    @property
    def present(self) -> bool:
        """Found verbatim (after normalisation) or approximately."""
        return self is not QuoteStatus.MISSING
