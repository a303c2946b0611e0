"""The persistent fetch cache: the last ``FetchResult`` of each normalised URL, on diskcache.

Entries carry their own ``stored_at`` timestamp from the fetcher's injected clock;
freshness is decided by the fetcher against that clock, never by diskcache's wall-clock
expiry, so tests can move time. The cache is a speed-up only: a missing, unreadable or
outdated entry just means the URL is fetched.

Writes come in batches (``put_many``), each one transaction, and the cache is culled
once per batch rather than after every row: diskcache's own per-``set`` cull (a query
for expired rows and one for the volume) was most of the cost of a row. A big run's
rows can be handed to another writer (``hand_writes_to``: the archive process writes
them, with this same code, while the command goes on fetching).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self

import diskcache
from pydantic import ValidationError

from provenance.errors import FetchError
from provenance.fetch.models import FetchResult

__all__ = ["DEFAULT_CACHE_DIR", "CacheEntry", "FetchCache"]

DEFAULT_CACHE_DIR = Path(".provenance/cache")

# Bumped when the stored shape changes; entries of another version are ignored.
_FORMAT = 1


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One cached result and when (by the fetcher's clock) it was stored."""

    result: FetchResult
    stored_at: datetime


class FetchCache:
    """Last fetch result per normalised URL, kept on disk between runs.

    ``directory`` is created if missing (default ``.provenance/cache`` relative to the
    working directory). Use as a context manager or call ``close()``.
    """

    def __init__(self, directory: str | os.PathLike[str] = DEFAULT_CACHE_DIR) -> None:
        self.directory = Path(directory)
        self._writes_to: Callable[[Sequence[tuple[str, CacheEntry]]], None] | None = None
        try:
            # No memory map and a small page cache: a run touches each entry once or
            # twice, and diskcache's defaults (64 MiB mapped, 32 MiB cached) sit in RSS.
            # No cull on each set (cull_limit 0): put_many culls once per batch.
            self._store = diskcache.Cache(
                str(self.directory), sqlite_mmap_size=0, sqlite_cache_size=256, cull_limit=0
            )
        except (OSError, sqlite3.Error) as exc:
            raise FetchError(f"cannot open the fetch cache in {self.directory}: {exc}") from exc

    def get(self, normalized_url: str) -> CacheEntry | None:
        """The entry stored for ``normalized_url``, or None (absent or unreadable)."""
        try:
            raw = self._store.get(normalized_url)
        except (OSError, sqlite3.Error) as exc:
            raise FetchError(f"cannot read the fetch cache in {self.directory}: {exc}") from exc
        if not isinstance(raw, str):
            return None
        try:
            record = json.loads(raw)
            if record.get("format") != _FORMAT:
                return None
            return CacheEntry(
                result=FetchResult.model_validate(record["result"]),
                stored_at=datetime.fromisoformat(record["stored_at"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
            # Written by another version or damaged: as good as absent.
            return None

    def put_many(self, entries: Iterable[tuple[str, CacheEntry]]) -> None:
        """Store entries keyed by normalised URL, all in one transaction, then cull once.

        With writes handed elsewhere (``hand_writes_to``), the entries go there instead.
        """
        if self._writes_to is not None:
            self._writes_to(list(entries))
            return
        store = self._store
        try:
            with store.transact():
                for key, entry in entries:
                    # The JSON of {"format", "stored_at", "result"}, the result written by
                    # pydantic's serializer directly (not through a dict and json.dumps).
                    record = (
                        f'{{"format":{_FORMAT},"stored_at":"{entry.stored_at.isoformat()}",'
                        f'"result":{entry.result.model_dump_json()}}}'
                    )
                    store.set(key, record)
            # What diskcache's per-set cull would have done, once: nothing expires by
            # diskcache's clock here, so this only keeps the cache under its size limit.
            store.cull()
        except (OSError, sqlite3.Error, diskcache.Timeout) as exc:
            raise FetchError(f"cannot write the fetch cache in {self.directory}: {exc}") from exc

    def hand_writes_to(
        self, writer: Callable[[Sequence[tuple[str, CacheEntry]]], None] | None
    ) -> None:
        """Have ``put_many`` pass its entries to ``writer`` (None: write them here again).

        ``writer`` takes the entries as ``put_many`` does and writes them with
        ``put_many`` on this cache's directory somewhere else (the archive process);
        it may return before they are written, as long as whoever set it waits for
        them before the run ends. Lookups still read this cache.
        """
        self._writes_to = writer

    def is_empty(self) -> bool:
        """Whether nothing is stored (a fresh cache: no lookup can answer)."""
        return len(self) == 0

    def __len__(self) -> int:
        return len(self._store)

    def clear(self) -> None:
        """Forget every entry."""
        self._store.clear()

    def close(self) -> None:
        """Release the underlying SQLite connection."""
        self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
