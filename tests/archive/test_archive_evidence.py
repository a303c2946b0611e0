"""The fetcher's archive hook in provenance.evidence: fetches archived in batches, none lost."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import httpx
import pytest

from provenance import evidence
from provenance.archive import SnapshotStore
from provenance.archive.worker import ArchiveWorker
from provenance.errors import ArchiveError, FetchError
from provenance.evidence import EvidenceOptions, FetchMode, gather_evidence
from provenance.fetch import FetchCache, FetchProgress, FetchRun, FetchSettings
from provenance.fetch.cache import CacheEntry
from provenance.fetch.models import FetchResult, HttpExchange, Reason
from tests.archive.factory import exchange, result

NOW = dt.datetime(2026, 1, 13, 12, 0, tzinfo=dt.UTC)
Batch = list[tuple[FetchResult, Sequence[HttpExchange]]]


class _Recorder:
    """A stand-in for ``SnapshotStore.record_many`` that keeps each batch."""

    def __init__(self, *, fail: bool = False) -> None:
        self.batches: list[Batch] = []
        self.fail = fail

    def __call__(self, batch: Batch) -> list[FetchResult]:
        if self.fail:
            raise ArchiveError("cannot append to /archive/warc/x.warc.gz: No space left on device")
        self.batches.append(list(batch))
        return [fetched for fetched, _ in batch]


def _fetch(n: int) -> tuple[FetchResult, list[HttpExchange]]:
    url = f"https://h{n % 7}.example/{n}"
    return result(url, digest=f"sha256:{n:064x}"), [exchange(url, b"<p>%d</p>" % n)]


def test_the_hook_archives_every_256_fetches_and_the_rest_at_the_end() -> None:
    recorder = _Recorder()
    hook = evidence._Archiver(recorder)
    fetches = [_fetch(n) for n in range(600)]
    for fetched, exchanges in fetches:
        assert hook(fetched, exchanges) is fetched  # unchanged: buffered, not yet archived
    hook.wait()  # batches are written on the archive's own thread
    assert [len(b) for b in recorder.batches] == [256, 256]
    hook.finish(FetchRun(results={}))
    assert [len(b) for b in recorder.batches] == [256, 256, 88]
    archived = [fetched for batch in recorder.batches for fetched, _ in batch]
    assert archived == [fetched for fetched, _ in fetches]


def test_the_hook_archives_sooner_when_bodies_add_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evidence, "ARCHIVE_BATCH_BYTES", 1000)
    recorder = _Recorder()
    hook = evidence._Archiver(recorder)
    big = "https://big.example/"
    for _ in range(5):
        hook(result(big), [exchange(big, b"x" * 400)])
    hook.wait()
    assert [len(b) for b in recorder.batches] == [3]


def test_network_failures_wait_for_the_end_of_the_run_and_its_final_word() -> None:
    recorder = _Recorder()
    hook = evidence._Archiver(recorder)
    flaky, down = "https://flaky.example/", "https://down.example/"
    refused = result(flaky, reason=Reason.CONNECTION_ERROR, http_status=None)
    timed_out = result(down, reason=Reason.TIMEOUT, http_status=None)
    assert hook(refused, []) is refused
    assert hook(timed_out, []) is timed_out
    recovered = result(flaky)
    hook(recovered, [exchange(flaky)])  # the retry got through: the failure is moot
    offline = timed_out.model_copy(update={"reason": Reason.OFFLINE})
    hook.finish(FetchRun(results={recovered.normalized_url: recovered, down: offline}))

    [batch] = recorder.batches
    assert [(fetched.url, fetched.reason, len(ex)) for fetched, ex in batch] == [
        (flaky, Reason.OK, 1),
        (down, Reason.OFFLINE, 0),  # as the run ended, not as first seen
    ]


def test_a_failing_run_still_archives_what_was_fetched() -> None:
    recorder = _Recorder()
    hook = evidence._Archiver(recorder)
    for n in range(10):
        hook(*_fetch(n))
    hook(result("https://down.example/", reason=Reason.DNS_ERROR, http_status=None), [])
    error = KeyboardInterrupt()
    hook.salvage(error)
    [batch] = recorder.batches
    assert len(batch) == 10  # the deferred failure never got its final word
    assert not getattr(error, "__notes__", None)

    failing = evidence._Archiver(_Recorder(fail=True))
    failing(*_fetch(1))
    error = KeyboardInterrupt()
    failing.salvage(error)  # the run's own error is the one raised; the archive's is noted
    assert error.__notes__ == [
        "archiving the fetches made so far failed too: "
        "cannot append to /archive/warc/x.warc.gz: No space left on device"
    ]


def _page(request: httpx.Request) -> httpx.Response:
    body = f"<html><head><title>{request.url.path}</title></head><body><p>x</p></body></html>"
    return httpx.Response(200, headers={"content-type": "text/html"}, content=body.encode())


async def _public(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]


async def _no_wait(seconds: float) -> None:
    return None


def _options(root: Path, **changes: object) -> EvidenceOptions:
    return EvidenceOptions(
        mode=FetchMode.LIVE,
        fetch=FetchSettings(backoff_base_s=0),
        archive_dir=root,
        transport=httpx.MockTransport(_page),
        resolver=_public,
        sleep=_no_wait,
        **changes,  # type: ignore[arg-type]
    )


def _count_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    record_many = SnapshotStore.record_many

    def counting(self: SnapshotStore, items: Batch) -> list[FetchResult]:
        sizes.append(len(items))
        return record_many(self, items)

    monkeypatch.setattr(SnapshotStore, "record_many", counting)
    return sizes


def test_a_run_of_600_urls_is_archived_whole_in_three_batches(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = _count_batches(monkeypatch)
    urls = [f"https://h{n % 9}.example/page/{n}" for n in range(600)]
    run = gather_evidence(urls, _options(root), now=NOW)
    assert len(run.results) == 600
    assert batches == [256, 256, 88]
    with SnapshotStore(root) as store:
        assert len(store.urls()) == 600
        snapshot = store.latest(urls[123])
        assert snapshot is not None
        assert snapshot.digest == run.results[snapshot.normalized_url].digest
        assert store.text(snapshot) == "/page/123\nx"
        assert store.verify().ok


def test_a_run_that_fails_midway_keeps_what_it_fetched(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = _count_batches(monkeypatch)
    seen: list[str] = []

    def progress(update: FetchProgress) -> None:
        seen.append(update.url)
        if len(seen) == 300:
            raise RuntimeError("interrupted")

    urls = [f"https://h{n % 9}.example/page/{n}" for n in range(600)]
    with pytest.raises(FetchError, match="interrupted"):
        gather_evidence(urls, _options(root, on_progress=progress), now=NOW)
    with SnapshotStore(root) as store:
        archived = set(store.urls())
        # Every URL reported done went through the hook first: none is lost, though
        # only 256 of them had filled a batch.
        assert set(seen) <= archived
        assert len(archived) == sum(batches)
        assert store.verify().ok
    # Full batches while the run went on, then what the error cut short, all the same.
    assert batches[:-1] == [256] * (len(batches) - 1)
    assert batches[-1] <= 256


def test_a_big_run_is_archived_by_a_process_of_its_own(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evidence, "ARCHIVE_PROCESS_MIN_URLS", 300)
    in_this_process = _count_batches(monkeypatch)
    urls = [f"https://h{n % 9}.example/page/{n}" for n in range(300)]
    run = gather_evidence(urls, _options(root), now=NOW)
    assert in_this_process == []  # every batch went to the archive process
    with SnapshotStore(root) as store:
        assert len(store.urls()) == 300
        snapshot = store.latest(urls[7])
        assert snapshot is not None
        assert snapshot.digest == run.results[snapshot.normalized_url].digest
        assert store.text(snapshot) == "/page/7\nx"
        assert store.verify().ok


def test_the_archive_process_reports_what_went_wrong_as_an_archive_error(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "archive"
    not_a_directory.write_text("a file where the archive should be")
    worker = ArchiveWorker.start(not_a_directory, "run")
    try:
        with pytest.raises(ArchiveError, match=str(not_a_directory)):
            worker.record_many([_fetch(1)])
    finally:
        worker.close()


def test_an_archive_process_that_dies_is_an_archive_error(root: Path) -> None:
    worker = ArchiveWorker.start(root, "run")
    try:
        worker.record_many([_fetch(1)])
        worker._process.kill()
        worker._process.wait()
        with pytest.raises(ArchiveError, match="archive process failed"):
            worker.record_many([_fetch(2)])
    finally:
        worker.close()
    with SnapshotStore(root) as store:
        assert store.urls() == [_fetch(1)[0].normalized_url]  # what it acknowledged is kept


@pytest.mark.parametrize("process_from", [1, 10_000], ids=["archive-process", "writer-thread"])
def test_an_injected_clock_dates_the_snapshots_wherever_they_are_archived(
    root: Path, monkeypatch: pytest.MonkeyPatch, process_from: int
) -> None:
    # The audit injects its clock: the archive process must record the parent's times.
    monkeypatch.setattr(evidence, "ARCHIVE_PROCESS_MIN_URLS", process_from)
    fetched_at = dt.datetime(2024, 2, 29, 8, 30, tzinfo=dt.UTC)
    urls = [f"https://h{n % 3}.example/dated/{n}" for n in range(5)]
    gather_evidence(urls, _options(root, clock=lambda: fetched_at), now=NOW)
    with SnapshotStore(root, read_only=True) as store:
        snapshots = [store.latest(url) for url in urls]
    assert [s.captured_at if s else None for s in snapshots] == [fetched_at] * 5


def test_the_archive_process_answers_what_the_store_would(root: Path, tmp_path: Path) -> None:
    # Results the archive fills in (no digest yet, alive, whole) and results it keeps.
    urls = [f"https://h{n}.example/answer" for n in range(4)]
    batch = [
        (result(urls[0]), [exchange(urls[0], b"<p>0</p>")]),
        (_fetch(1)[0], _fetch(1)[1]),
        (result(urls[2], reason=Reason.NOT_FOUND, http_status=404), [exchange(urls[2], b"")]),
        (result(urls[3], reason=Reason.TIMEOUT, http_status=None), []),
    ]
    with SnapshotStore(tmp_path / "in-process") as store:
        expected = store.record_many(batch)
    worker = ArchiveWorker.start(root, "run")
    try:
        answered = worker.record_many(batch)
    finally:
        worker.close()
    assert answered == expected
    assert answered[0].digest is not None and batch[0][0].digest is None
    assert [a is b for a, (b, _) in zip(answered, batch, strict=True)] == [
        False,
        True,
        True,
        True,
    ]
    with SnapshotStore(root, read_only=True) as store:
        assert [len(store.history(url)) for url in urls] == [1, 0, 1, 1]
        assert store.text(store.history(urls[0])[0]) == "0"


@pytest.mark.parametrize("process_from", [1, 10_000], ids=["archive-process", "writer-thread"])
def test_the_cache_gets_every_verdict_wherever_it_is_written(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, process_from: int
) -> None:
    # Big runs hand the cache's rows to the archive process: a second run must not tell.
    monkeypatch.setattr(evidence, "ARCHIVE_PROCESS_MIN_URLS", process_from)
    requested: list[str] = []

    def page(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        if request.url.path.startswith("/gone"):
            return httpx.Response(404, headers={"content-type": "text/html"}, content=b"gone")
        return _page(request)

    urls = [f"https://h{n % 3}.example/page/{n}" for n in range(12)]
    urls += ["https://h1.example/gone/1"]
    options = dataclasses.replace(
        _options(root, cache_dir=tmp_path / "cache", clock=lambda: NOW),
        transport=httpx.MockTransport(page),
    )
    written_here: list[str] = []
    put_many = FetchCache.put_many

    def counting(self: FetchCache, entries: Iterable[tuple[str, CacheEntry]]) -> None:
        entries = list(entries)
        if self._writes_to is None:
            written_here.extend(key for key, _ in entries)
        put_many(self, entries)

    monkeypatch.setattr(FetchCache, "put_many", counting)
    first = gather_evidence(urls, options, now=NOW)
    # The archive process wrote the rows, or this one did (a small run).
    assert len(written_here) == (0 if process_from == 1 else len(urls))
    with FetchCache(tmp_path / "cache") as cache:
        assert len(cache) == len(urls)
        for key, fetched in first.results.items():
            assert cache.get(key) == CacheEntry(fetched, NOW)  # as the fetcher left it
    sent = len(requested)
    second = gather_evidence(urls, options, now=NOW)
    # Alive pages within their TTL are not fetched again; the dead one always is.
    assert len(requested) - sent == 2  # the 404 and its re-check
    assert second.cache_hits == len(urls) - 1
    assert all(second.results[key].from_cache for key in first.results if "/page/" in key)


def test_a_batch_handed_to_the_archive_process_is_archived_as_the_store_would(
    root: Path, tmp_path: Path
) -> None:
    urls = [f"https://h{n}.example/handed" for n in range(3)]
    batch = [
        (result(urls[0]), [exchange(urls[0], b"<p>0</p>")]),
        (result(urls[1], reason=Reason.NOT_FOUND, http_status=404), [exchange(urls[1], b"")]),
        (result(urls[2], reason=Reason.TIMEOUT, http_status=None), []),
    ]
    with SnapshotStore(tmp_path / "in-process") as store:
        store.record_many(batch)
        expected = [store.latest(url) for url in urls]
    worker = ArchiveWorker.start(root, "run")
    try:
        assert worker.archive_many(batch) is None  # nothing comes back to unpickle
    finally:
        worker.close()
    with SnapshotStore(root, read_only=True) as store:
        assert store.verify().ok
        archived = [store.latest(url) for url in urls]
        assert store.text(archived[0]) == "0"  # type: ignore[arg-type]

    def seen(snapshot: object) -> object:
        assert snapshot is not None
        return snapshot.model_dump(exclude={"warc_path", "offset", "length"})  # type: ignore[attr-defined]

    assert [seen(s) for s in archived] == [seen(s) for s in expected]


def test_the_archive_process_reports_a_cache_it_cannot_write_as_a_fetch_error(
    root: Path, tmp_path: Path
) -> None:
    not_a_directory = tmp_path / "cache"
    not_a_directory.write_text("a file where the cache should be")
    fetched = _fetch(1)[0]
    worker = ArchiveWorker.start(root, "run")
    try:
        with pytest.raises(FetchError, match=str(not_a_directory)):
            worker.cache_many(not_a_directory, [(fetched.normalized_url, CacheEntry(fetched, NOW))])
        worker.archive_many([_fetch(2)])  # the process goes on serving
    finally:
        worker.close()
