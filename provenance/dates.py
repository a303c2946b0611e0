"""Reading the dates documents state about themselves ("Checked on January 13, 2026")."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

__all__ = ["parse_date"]

_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_ISO_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# 2019/03/22, as in <meta name="citation_publication_date"> (Google Scholar's tags).
_SLASHED_RE = re.compile(r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b")
_MDY_RE = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_DMY_RE = re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")


def parse_date(text: str | None) -> dt.date | None:
    """The first date in ``text`` (ISO, 2026/01/13, "January 13, 2026", "13 January 2026")."""
    if not text:
        return None
    candidates: list[tuple[int, dt.date]] = []
    for match in _ISO_RE.finditer(text):
        _add(candidates, match.start(), int(match[1]), int(match[2]), int(match[3]))
    for match in _SLASHED_RE.finditer(text):
        _add(candidates, match.start(), int(match[1]), int(match[2]), int(match[3]))
    for match in _MDY_RE.finditer(text):
        month = _MONTHS.get(match[1].lower())
        if month is not None:
            _add(candidates, match.start(), int(match[3]), month, int(match[2]))
    for match in _DMY_RE.finditer(text):
        month = _MONTHS.get(match[2].lower())
        if month is not None:
            _add(candidates, match.start(), int(match[3]), month, int(match[1]))
    return min(candidates)[1] if candidates else None


def _add(
    candidates: list[tuple[int, dt.date]], where: int, year: int, month: int, day: int
) -> None:
    with contextlib.suppress(ValueError):  # "February 30" is not a date
        candidates.append((where, dt.date(year, month, day)))
