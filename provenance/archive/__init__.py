"""The evidence archive: what every cited URL returned, as WARC records, text and an index.

``SnapshotStore`` is the entry point: ``record`` archives a fetch (it fits the
fetcher's ``on_fetched`` hook), ``history``/``latest``/``find`` look snapshots
up, ``text``/``read_payload`` read them back, ``verify`` checks the whole archive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provenance._lazy import exports

if TYPE_CHECKING:
    from provenance.archive.models import (
        AuditCheck,
        Snapshot,
        TextStatus,
        VerifyProblem,
        VerifyReport,
    )
    from provenance.archive.store import DEFAULT_LOCK_TIMEOUT, DEFAULT_MAX_WARC_BYTES, SnapshotStore

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_MAX_WARC_BYTES",
    "AuditCheck",
    "Snapshot",
    "SnapshotStore",
    "TextStatus",
    "VerifyProblem",
    "VerifyReport",
]

# Imported on first use: the CLI's start-up should not pay for httpx, warcio or lxml
# when a run does not fetch.
_EXPORTS: dict[str, str] = {
    "DEFAULT_LOCK_TIMEOUT": "provenance.archive.store",
    "DEFAULT_MAX_WARC_BYTES": "provenance.archive.store",
    "AuditCheck": "provenance.archive.models",
    "Snapshot": "provenance.archive.models",
    "SnapshotStore": "provenance.archive.store",
    "TextStatus": "provenance.archive.models",
    "VerifyProblem": "provenance.archive.models",
    "VerifyReport": "provenance.archive.models",
}

__getattr__, __dir__ = exports(globals(), _EXPORTS)
