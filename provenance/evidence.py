"""Evidence for cited sources: fetch each distinct URL once and archive what came back.

Three modes: ``LIVE`` fetches (through the cache) and records every exchange in
the archive; ``OFFLINE`` answers from the archive alone, with no network;
``NONE`` (``--no-fetch``) gathers no evidence at all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from provenance.fetch.models import FetchResult, HttpExchange, Reason
from provenance.fetch.settings import FetchSettings
from provenance.fetch.urls import normalize_url

if TYPE_CHECKING:
    # The fetch and archive machinery (httpx, warcio, lxml) loads only when a run fetches.
    import httpx

    from provenance.archive import Snapshot
    from provenance.fetch import FetchProgress, FetchRun, Resolver

__all__ = ["EvidenceOptions", "FetchMode", "gather_evidence", "result_from_snapshot"]


class FetchMode(enum.StrEnum):
    """Where the evidence about sources comes from."""

    LIVE = "live"
    OFFLINE = "offline"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class EvidenceOptions:
    """How to gather evidence, with every side effect injectable."""

    mode: FetchMode = FetchMode.LIVE
    fetch: FetchSettings = field(default_factory=FetchSettings)
    archive_dir: Path | None = None  # None: do not archive
    cache_dir: Path | None = None  # None: no persistent cache
    transport: httpx.AsyncBaseTransport | None = None
    resolver: Resolver | None = None
    sleep: Callable[[float], Awaitable[None]] | None = None
    clock: Callable[[], dt.datetime] | None = None
    on_progress: Callable[[FetchProgress], None] | None = None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def result_from_snapshot(url: str, snapshot: Snapshot) -> FetchResult:
    """What the archive remembers of ``url``'s last fetch, as a result (``from_cache``)."""
    return FetchResult(
        url=url,
        normalized_url=snapshot.normalized_url,
        verdict=snapshot.verdict,
        reason=snapshot.reason,
        http_status=snapshot.http_status,
        final_url=snapshot.final_url,
        redirects=snapshot.redirects,
        fetched_at=snapshot.captured_at,
        digest=snapshot.digest,
        content_type=snapshot.content_type,
        size=snapshot.size,
        from_cache=True,
        error=snapshot.error,
    )


def gather_evidence(urls: Sequence[str], options: EvidenceOptions, *, now: dt.datetime) -> FetchRun:
    """Fetch (or look up) every URL in ``urls`` once; results keyed by normalised URL."""
    from provenance.fetch import FetchRun

    if options.mode is FetchMode.NONE or not urls:
        return FetchRun(results={})
    if options.mode is FetchMode.OFFLINE:
        return _from_archive(urls, options, now)
    return asyncio.run(_fetch(urls, options))


def _from_archive(urls: Sequence[str], options: EvidenceOptions, now: dt.datetime) -> FetchRun:
    from provenance.archive import SnapshotStore
    from provenance.fetch import FetchRun

    results: dict[str, FetchResult] = {}
    store = SnapshotStore(options.archive_dir) if options.archive_dir is not None else None
    try:
        if store is not None:
            store.open()
        for url in urls:
            key = normalize_url(url)
            snapshot = store.latest(url) if store is not None else None
            if snapshot is not None:
                results[key] = result_from_snapshot(url, snapshot)
            else:
                results[key] = FetchResult(
                    url=url,
                    normalized_url=key,
                    verdict=Reason.OFFLINE.verdict,
                    reason=Reason.OFFLINE,
                    fetched_at=now,
                    error="not in the archive; run once without --offline to fetch it",
                )
    finally:
        if store is not None:
            store.close()
    return FetchRun(results=results, offline=True)


async def _fetch(urls: Sequence[str], options: EvidenceOptions) -> FetchRun:
    from provenance.archive import SnapshotStore
    from provenance.fetch import FetchCache, Fetcher

    store = SnapshotStore(options.archive_dir) if options.archive_dir is not None else None
    cache = FetchCache(options.cache_dir) if options.cache_dir is not None else None
    try:
        if store is not None:
            store.open()
        # Failures with no HTTP response wait until the run is over: the fetcher may still
        # retry them, or find the whole network down, and the archive's history should
        # hold the final word ("offline" is not a failure of the source).
        failures: dict[str, FetchResult] = {}

        def record(result: FetchResult, exchanges: Sequence[HttpExchange]) -> FetchResult:
            if not exchanges and result.reason.is_network_failure:
                failures[result.normalized_url] = result
                return result
            failures.pop(result.normalized_url, None)
            assert store is not None
            return store.record(result, exchanges)

        fetcher = Fetcher(
            options.fetch,
            transport=options.transport,
            cache=cache,
            resolver=options.resolver,
            on_progress=options.on_progress,
            on_fetched=record if store is not None else None,
            clock=options.clock or _utcnow,
            sleep=options.sleep or asyncio.sleep,
        )
        run = await fetcher.fetch_all(urls)
        if store is not None:
            for key, result in failures.items():
                store.record(run.results.get(key, result), ())
        return run
    finally:
        if cache is not None:
            cache.close()
        if store is not None:
            store.close()
