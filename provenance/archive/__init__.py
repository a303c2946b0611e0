"""The evidence archive: what every cited URL returned, as WARC records, text and an index.

``SnapshotStore`` is the entry point: ``record`` archives a fetch (it fits the
fetcher's ``on_fetched`` hook), ``history``/``latest``/``find`` look snapshots
up, ``text``/``read_payload`` read them back, ``verify`` checks the whole archive.
"""

from provenance.archive.models import Snapshot, TextStatus, VerifyProblem, VerifyReport
from provenance.archive.store import DEFAULT_LOCK_TIMEOUT, DEFAULT_MAX_WARC_BYTES, SnapshotStore

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_MAX_WARC_BYTES",
    "Snapshot",
    "SnapshotStore",
    "TextStatus",
    "VerifyProblem",
    "VerifyReport",
]
