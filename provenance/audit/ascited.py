"""The as-cited snapshot: which archived copy of a source a citation is judged against.

A citation's date is the source record's ``accessed``, else the citing
document's own date (front matter ``date:``, a "Checked on January 13, 2026"
line, an HTML ``<time>`` or date ``<meta>``). The as-cited snapshot is the last
readable snapshot taken on or before that day; with no date, or none taken by
then, it is the first snapshot provenance took.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the report's models import this module; the archive is not needed
    from provenance.archive.models import Snapshot

__all__ = ["AsCited", "DateBasis", "citation_date", "select_as_cited"]


class DateBasis(enum.StrEnum):
    """Where a citation's date came from."""

    ACCESSED = "accessed"  # the source record's ``accessed``
    DOCUMENT = "document"  # the citing document's own date
    FIRST_SNAPSHOT = "first-snapshot"  # no date known: the first snapshot taken


@dataclass(frozen=True, slots=True)
class AsCited:
    """The snapshot a citation is judged against, and why that one.

    ``after_date`` says no snapshot was taken by the citation's date, so the first
    one after it stands in.
    """

    snapshot: Snapshot
    basis: DateBasis
    date: dt.date | None
    after_date: bool = False


def citation_date(
    accessed: dt.date | None, document_date: dt.date | None
) -> tuple[dt.date | None, DateBasis]:
    """The date a citation was made, and where it came from."""
    if accessed is not None:
        return accessed, DateBasis.ACCESSED
    if document_date is not None:
        return document_date, DateBasis.DOCUMENT
    return None, DateBasis.FIRST_SNAPSHOT


def _readable(snapshot: Snapshot) -> bool:
    return snapshot.verdict.is_alive and snapshot.text_path is not None


def select_as_cited(
    history: Sequence[Snapshot], date: dt.date | None, basis: DateBasis
) -> AsCited | None:
    """The as-cited snapshot in ``history`` (oldest first) for a citation made on ``date``.

    Only alive snapshots with text qualify. None when there is no such snapshot.
    """
    readable = [s for s in history if _readable(s)]
    if not readable:
        return None
    if date is None:
        return AsCited(readable[0], DateBasis.FIRST_SNAPSHOT, None)
    by_then = [s for s in readable if _utc_date(s.captured_at) <= date]
    if by_then:
        return AsCited(by_then[-1], basis, date)
    return AsCited(readable[0], basis, date, after_date=True)


def _utc_date(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(dt.UTC).date()
