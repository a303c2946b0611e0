"""The persistent fetch cache: the last ``FetchResult`` of each normalised URL, on diskcache.

Entries carry their own ``stored_at`` timestamp from the fetcher's injected clock;
freshness is decided by the fetcher against that clock, never by diskcache's wall-clock
expiry, so tests can move time. The cache is a speed-up only: a missing, unreadable or
outdated entry just means the URL is fetched.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
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
        try:
            # No memory map and a small page cache: a run touches each entry once or
            # twice, and diskcache's defaults (64 MiB mapped, 32 MiB cached) sit in RSS.
            self._store = diskcache.Cache(
                str(self.directory), sqlite_mmap_size=0, sqlite_cache_size=256
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
        """Store entries keyed by normalised URL, all in one transaction."""
        try:
            with self._store.transact():
                for key, entry in entries:
                    # The JSON of {"format", "stored_at", "result"}, the result written by
                    # pydantic's serializer directly (not through a dict and json.dumps).
                    record = (
                        f'{{"format":{_FORMAT},"stored_at":"{entry.stored_at.isoformat()}",'
                        f'"result":{entry.result.model_dump_json()}}}'
                    )
                    self._store.set(key, record)
        except (OSError, sqlite3.Error) as exc:
            raise FetchError(f"cannot write the fetch cache in {self.directory}: {exc}") from exc

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
