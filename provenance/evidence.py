"""Evidence for cited sources: fetch each distinct URL once and archive what came back.

Three modes: ``LIVE`` fetches (through the cache) and records every exchange in
the archive; ``OFFLINE`` answers from the archive alone, with no network;
``NONE`` (``--no-fetch``) gathers no evidence at all.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import itertools
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provenance.fetch.models import FetchResult, HttpExchange, Reason
from provenance.fetch.settings import FetchSettings

if TYPE_CHECKING:
    # The fetch and archive machinery (httpx, warcio, lxml, and asyncio and the thread
    # pool under them) loads only when a run fetches: `check --no-fetch` starts faster.
    import asyncio
    from concurrent.futures import Future

    import httpx

    from provenance.archive import Snapshot, SnapshotStore
    from provenance.archive.worker import ArchiveWorker
    from provenance.fetch import FetchCache, FetchProgress, FetchRun, OnSettled, Resolver
    from provenance.fetch.cache import CacheEntry

__all__ = ["EvidenceOptions", "FetchMode", "UrlBatches", "gather_evidence", "result_from_snapshot"]


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
    # Told which results are final as they become so (``provenance.fetch.OnSettled``).
    on_settled: OnSettled | None = None


@dataclass(frozen=True, slots=True)
class UrlBatches:
    """URLs that become known while the run goes on, a batch at a time (e.g. those each
    document cites, as documents are read).

    ``gather_evidence`` takes them as they come: its slow set-up (archive, cache, TLS
    context, the archive process) runs meanwhile, and with ``FETCH_WHILE_READING`` the
    first batches are fetched while the next are taken. Whatever taking a batch raises
    ends the run and propagates as is.
    """

    batches: Iterable[Sequence[str]]


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


def gather_evidence(
    urls: Sequence[str] | UrlBatches, options: EvidenceOptions, *, now: dt.datetime
) -> FetchRun:
    """Fetch (or look up) every URL in ``urls`` once; results keyed by normalised URL.

    ``urls`` may be ``UrlBatches``, URLs known a batch at a time: the set-up then
    starts with the first batch (offline, every batch is taken first).
    """
    from provenance.fetch import FetchRun

    if isinstance(urls, UrlBatches) and options.mode is not FetchMode.LIVE:
        urls = [url for batch in urls.batches for url in batch]
    if options.mode is FetchMode.NONE or not urls:
        return FetchRun(results={})
    if options.mode is FetchMode.OFFLINE:
        assert not isinstance(urls, UrlBatches)
        return _from_archive(urls, options, now)
    from provenance.fetch.eventloop import run_loop

    # On uvloop where installed (PROVENANCE_EVENT_LOOP chooses): less CPU per URL.
    return run_loop(lambda: _fetch(urls, options))


def _from_archive(urls: Sequence[str], options: EvidenceOptions, now: dt.datetime) -> FetchRun:
    from provenance.archive import SnapshotStore
    from provenance.fetch import FetchRun
    from provenance.fetch.urls import normalize_url

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


# Fetches are archived in batches, for one WARC fsync and one index transaction
# each instead of one per fetch. A batch goes out at this many fetches, or sooner
# once its bodies add up to this many bytes (each may be up to max_body_bytes).
ARCHIVE_BATCH_FETCHES = 256
ARCHIVE_BATCH_BYTES = 64 * 1024 * 1024
# Batches handed to the writer and not yet on disk, at most: the event loop blocks on a
# full batch only when this many are ahead of it (one being written, one queued), not
# whenever the archive is busy; memory stays bounded.
ARCHIVE_BATCHES_IN_FLIGHT = 2
# Once the first pass is over, results come a few at a time (the re-checks) and the
# archive process is idle: batches of this many keep it up to date, so the end of the
# run waits for a few fetches to be archived, not for a whole batch.
ARCHIVE_BATCH_FETCHES_AFTER_PASS = 32

_Fetched = tuple[FetchResult, Sequence[HttpExchange]]


# Whether a run with URLs known a batch at a time (``UrlBatches``: a check reading its
# documents) fetches the first batches while it takes the others, one per turn of the event
# loop. Measured on the 4,700-URL benchmark (bench/README.md, "s11-start") against reading
# every document first while the set-up runs on threads: ~0.2 s faster at 30 ms latency
# on a quiet machine (the reading fills the pass's idle moments), ~0.4 s slower at 0 ms
# and slower on a loaded machine (documents read between fetches cost more CPU than read
# in one go). Off until the fetching process has CPU to spare.
FETCH_WHILE_READING = False

# Runs with at least this many URLs archive in a process of their own (see
# provenance.archive.worker), smaller ones on a thread: the process costs a fresh
# interpreter, about 0.3 s of CPU (on the other core, while fetching starts).
ARCHIVE_PROCESS_MIN_URLS = 1000


class _Archiver:
    """The fetcher's ``on_fetched`` hook: collects fetches and archives them in batches.

    A result is returned as it came: the fetcher has already set ``digest`` and
    ``size`` of alive results, which is what ``SnapshotStore.record`` would add, so
    what the archive returns is not used (the archive process sends nothing back).
    Failures with no HTTP response wait until the run is over: the fetcher may
    still retry them, or find the whole network down, and the archive's history
    should hold the final word ("offline" is not a failure of the source).

    With an archive process (``for_process``), the fetch cache's rows go to it too,
    through the same writer thread and after the batches handed on before them: the
    command's process spends nothing on them but handing them over.
    """

    def __init__(
        self,
        record_many: Callable[[list[_Fetched]], object],
        *,
        cache_many: Callable[[Sequence[tuple[str, CacheEntry]]], None] | None = None,
    ) -> None:
        # SnapshotStore.record_many, or ArchiveWorker.archive_many (big runs).
        self._record_many = record_many
        self._cache_many = cache_many
        self._pending: list[_Fetched] = []
        self._pending_bytes = 0
        self._batch_fetches = ARCHIVE_BATCH_FETCHES
        self._failures: dict[str, FetchResult] = {}
        # One writer thread archives a batch while the event loop goes on fetching (on
        # big runs it only hands the batch to the archive process and waits). One
        # thread keeps batches in order; at most ARCHIVE_BATCHES_IN_FLIGHT are handed
        # on and one more is being collected, so memory stays bounded.
        from concurrent.futures import ThreadPoolExecutor

        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="provenance-archive")
        self._in_flight: deque[Future[object]] = deque()

    @classmethod
    def for_process(cls, backend: _ArchiveBackend, cache: FetchCache | None) -> _Archiver:
        """Archive through ``backend``, whose archive process writes ``cache``'s rows too."""
        assert backend.worker is not None, "the backend archives on a thread"
        if cache is None:
            return cls(backend.record_many)
        cache_many = functools.partial(backend.worker.cache_many, cache.directory)
        archiver = cls(backend.record_many, cache_many=cache_many)
        cache.hand_writes_to(archiver.write_cache)
        return archiver

    def __call__(self, result: FetchResult, exchanges: Sequence[HttpExchange]) -> FetchResult:
        if not exchanges and result.reason.is_network_failure:
            self._failures[result.normalized_url] = result
            return result
        if self._failures:
            self._failures.pop(result.normalized_url, None)
        self._pending.append((result, tuple(exchanges)))
        for exchange in exchanges:
            self._pending_bytes += len(exchange.body)
        if len(self._pending) >= self._batch_fetches or self._pending_bytes >= ARCHIVE_BATCH_BYTES:
            self.flush()
        return result

    def write_cache(self, entries: Sequence[tuple[str, CacheEntry]]) -> None:
        """Hand cache rows to the writer, after the batches before them (never blocks).

        ``wait`` (and so ``finish``) returns once they are written, or raises the
        ``FetchError`` writing them raised.
        """
        assert self._cache_many is not None, "no cache writer: for_process sets one"
        self._in_flight.append(self._writer.submit(self._cache_many, entries))

    def flush(self, *, limit: int | None = None) -> None:
        """Hand the fetches collected so far to the writer (they leave the buffer either way).

        Blocks only while ``limit`` (default ``ARCHIVE_BATCHES_IN_FLIGHT``) batches are
        queued or being written. Raises the error of an earlier batch, if writing it
        failed.
        """
        limit = ARCHIVE_BATCHES_IN_FLIGHT if limit is None else limit
        batch, self._pending, self._pending_bytes = self._pending, [], 0
        while self._in_flight and (self._in_flight[0].done() or len(self._in_flight) >= limit):
            self._in_flight.popleft().result()
        if batch:
            self._in_flight.append(self._writer.submit(self._record_many, batch))

    def wait(self) -> None:
        """Block until every batch handed on is on disk (re-raising the first error)."""
        while self._in_flight:
            self._in_flight.popleft().result()

    def pass_over(self) -> None:
        """The first pass is over: hand on what is collected, and smaller batches from now.

        Called on the event loop: this last big batch may queue behind a full writer
        rather than block the loop (and the re-checks falling due) until there is room.
        """
        self._batch_fetches = ARCHIVE_BATCH_FETCHES_AFTER_PASS
        self.flush(limit=ARCHIVE_BATCHES_IN_FLIGHT + 1)

    def close(self) -> None:
        """Wait for the last batch to be written and stop the writer."""
        try:
            self.wait()
        finally:
            self._writer.shutdown(wait=True)

    def finish(self, run: FetchRun) -> None:
        """At the end of the run: archive the rest, and each deferred failure as it ended."""
        self._pending += [(run.results.get(k, r), ()) for k, r in self._failures.items()]
        self._failures.clear()
        self.flush()
        self.wait()

    def salvage(self, error: BaseException) -> None:
        """The run is failing with ``error``: archive what was fetched all the same.

        Deferred failures are dropped, as the run never got to its final word on
        them. If archiving fails too, ``error`` (the one raised) says so in a note.
        """
        try:
            self.flush()
            self.wait()
        except Exception as archive_error:
            error.add_note(f"archiving the fetches made so far failed too: {archive_error}")


class _ArchiveBackend:
    """Where the archive hook's batches go: ``SnapshotStore.record_many`` on the writer
    thread (small runs), or an archive process (runs of ``ARCHIVE_PROCESS_MIN_URLS`` URLs
    or more).

    With URLs known a batch at a time the size of the run is not known when fetching
    starts: the process starts as soon as that many URLs are known (its start-up then
    overlaps the fetching), the store is chosen once every URL is known and they are
    fewer, and a batch to archive before either (a run still reading its documents with
    a full batch fetched) goes to a process. ``choose`` and ``record_many`` may be called
    from different threads; the first to decide does.
    """

    def __init__(self, store: SnapshotStore) -> None:
        import threading

        self._store = store
        self._lock = threading.Lock()
        self._record: Callable[[list[_Fetched]], object] | None = None
        self.worker: ArchiveWorker | None = None
        self.complete = False  # every URL of the run is known

    def known(self, count: int, *, complete: bool) -> None:
        """``count`` distinct URLs are known so far (all of them if ``complete``)."""
        self.complete = complete
        if self._record is None and (count >= ARCHIVE_PROCESS_MIN_URLS or complete):
            self.choose(process=count >= ARCHIVE_PROCESS_MIN_URLS)

    def choose(self, *, process: bool) -> None:
        """Archive in a process of its own, or on the writer thread (once: later calls
        change nothing)."""
        from provenance.archive.worker import ArchiveWorker

        with self._lock:
            if self._record is not None:
                return
            if process:
                self.worker = ArchiveWorker.start(self._store.root, self._store.run_id)
                self._record = self.worker.archive_many
                # Opened to recover the archive and fail early; the child archives.
                # Closed now, so the child is the index's last connection and its
                # closing checkpoint happens there, after the run (see _fetch).
                self.close_store()
            else:
                self._record = self._store.record_many

    def close_store(self) -> None:
        """Close the store this process opened (the archive process archives)."""
        self._store.close()

    def record_many(self, batch: list[_Fetched]) -> object:
        """Archive ``batch`` (on the archive hook's writer thread)."""
        if self._record is None:
            self.choose(process=not self.complete)
        assert self._record is not None
        return self._record(batch)


async def _fetch(urls: Sequence[str] | UrlBatches, options: EvidenceOptions) -> FetchRun:
    import asyncio  # loaded by gather_evidence already: the event loop runs this

    from provenance.archive import SnapshotStore
    from provenance.fetch import FetchCache, Fetcher
    from provenance.fetch.fetcher import warm_up

    if isinstance(urls, UrlBatches):
        batches: Iterable[Sequence[str]] = urls.batches
    else:
        batches = (urls,)
    batches = iter(batches)
    # The batches up to the first URL: a run that cites nothing opens no archive or cache.
    opening: list[Sequence[str]] = []
    for batch in batches:
        opening.append(batch)
        if batch:
            break
    else:
        from provenance.fetch import FetchRun

        return FetchRun(results={})

    store = SnapshotStore(options.archive_dir) if options.archive_dir is not None else None
    cache: FetchCache | None = None
    archiver: _Archiver | None = None
    backend = _ArchiveBackend(store) if store is not None else None
    try:
        # The slow set-up runs on threads (SQLite, the file system and OpenSSL release the
        # GIL): the archive opens (and recovers), the cache opens, the TLS context loads
        # its CA bundle, while this thread reads the other documents; the archive process
        # starts as soon as enough URLs are known. Fetching starts once all is done.
        cache_opened = (
            asyncio.to_thread(FetchCache, options.cache_dir)
            if options.cache_dir is not None
            else None
        )
        set_up: list[asyncio.Future[Any]] = [
            asyncio.ensure_future(asyncio.to_thread(warm_up, options.fetch, options.transport))
        ]
        if store is not None:
            set_up.append(asyncio.ensure_future(asyncio.to_thread(store.open)))
        if cache_opened is not None:
            set_up.append(asyncio.ensure_future(cache_opened))
        try:
            if FETCH_WHILE_READING:
                while not all(future.done() for future in set_up):
                    more = next(batches, None)
                    if more is None:
                        break
                    opening.append(more)
                    await asyncio.sleep(0)
            else:
                # Every document is read: the backend knows how many URLs there are.
                opening = list(_counted(opening, batches, backend))
                batches = iter(())
        finally:
            outcomes = await asyncio.gather(*set_up, return_exceptions=True)
            if cache_opened is not None and isinstance(outcomes[-1], FetchCache):
                cache = outcomes[-1]
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        if backend is not None:
            if backend.worker is not None:
                # The process was chosen while the store was opening: it is open now, and
                # closed (as ``choose`` does) so that the child closes the index last.
                backend.close_store()
                # The archive process writes the cache's rows too (see _Archiver).
                archiver = _Archiver.for_process(backend, cache)
            else:
                archiver = _Archiver(backend.record_many)
        fetcher = Fetcher(
            options.fetch,
            transport=options.transport,
            cache=cache,
            resolver=options.resolver,
            on_progress=options.on_progress,
            on_fetched=archiver,
            on_pass_end=archiver.pass_over if archiver is not None else None,
            on_settled=options.on_settled,
            clock=options.clock or _utcnow,
            sleep=options.sleep or asyncio.sleep,
        )
        # Read first, the batches are counted already; fetched while read, as they come.
        taken = iter(opening) if not FETCH_WHILE_READING else _counted(opening, batches, backend)
        try:
            run = await fetcher.fetch_batches(taken)
        except BaseException as exc:
            if archiver is not None:
                archiver.salvage(exc)
            raise
        if archiver is not None:
            archiver.finish(run)
        return run
    finally:
        if archiver is not None:
            archiver.close()
        if backend is not None and backend.worker is not None:
            # Every batch is on disk when the child answers it: the child closing its
            # files and exiting is left to a thread while the caller goes on.
            backend.worker.close(wait=False)
        if cache is not None:
            cache.close()
        if store is not None:
            store.close()


def _counted(
    opening: list[Sequence[str]], batches: Iterator[Sequence[str]], backend: _ArchiveBackend | None
) -> Iterator[Sequence[str]]:
    """The batches (``opening`` first, then the rest), telling ``backend`` how many
    distinct URLs are known as they are taken, and when all are."""
    seen: set[str] = set()
    for batch in itertools.chain(opening, batches):
        if backend is not None:
            seen.update(batch)
            backend.known(len(seen), complete=False)
        yield batch
    if backend is not None:
        backend.known(len(seen), complete=True)
