"""The end of a fetching run: what the archive is handed once the first pass is over, and
an archive process that closes while the command goes on to its report."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from provenance import evidence
from provenance.archive import SnapshotStore
from provenance.archive.worker import ArchiveWorker
from provenance.fetch import FetchRun
from provenance.fetch.models import FetchResult, HttpExchange
from tests.archive.factory import exchange, result

Batch = list[tuple[FetchResult, Sequence[HttpExchange]]]


def _fetch(n: int) -> tuple[FetchResult, list[HttpExchange]]:
    url = f"https://h{n % 7}.example/{n}"
    return result(url, digest=f"sha256:{n:064x}"), [exchange(url, b"<p>%d</p>" % n)]


class _Recorder:
    """Keeps each batch the hook hands on, as ``SnapshotStore.record_many`` would get it."""

    def __init__(self) -> None:
        self.batches: list[Batch] = []

    def __call__(self, batch: Batch) -> list[FetchResult]:
        self.batches.append(list(batch))
        return [fetched for fetched, _ in batch]


def test_when_the_pass_is_over_the_hook_hands_on_its_batch_then_small_ones() -> None:
    recorder = _Recorder()
    hook = evidence._Archiver(recorder)
    for fetched, exchanges in (_fetch(n) for n in range(300)):
        hook(fetched, exchanges)
    hook.pass_over()  # 44 waiting: handed on now, not at the end of the run
    for fetched, exchanges in (_fetch(n) for n in range(300, 370)):  # the re-checks
        hook(fetched, exchanges)
    hook.wait()
    assert [len(b) for b in recorder.batches] == [256, 44, 32, 32]
    hook.close()


def test_more_than_one_batch_can_wait_for_the_archive() -> None:
    # The event loop hands a full batch on without waiting while one is being written.
    recorder = _Recorder()
    hook = evidence._Archiver(recorder)
    for fetched, exchanges in (_fetch(n) for n in range(3 * 256)):
        hook(fetched, exchanges)
    hook.finish(FetchRun(results={}))
    hook.close()
    archived = [fetched for batch in recorder.batches for fetched, _ in batch]
    assert archived == [_fetch(n)[0] for n in range(3 * 256)]  # in order, each once


def test_an_archive_process_closed_without_waiting_exits_and_leaves_its_batches(
    tmp_path: Path,
) -> None:
    root = tmp_path / "archive"
    worker = ArchiveWorker.start(root, "run")
    worker.record_many([_fetch(n) for n in range(20)])
    worker.close(wait=False)
    assert worker.reaper is not None
    worker.reaper.join(timeout=60)
    assert worker._process.returncode == 0
    with SnapshotStore(root, read_only=True) as store:
        assert len(store.urls()) == 20
        assert store.verify().ok


def test_handing_on_the_last_big_batch_does_not_wait_for_a_busy_archive() -> None:
    # Called on the event loop when the first pass ends: re-checks fall due meanwhile.
    release = threading.Event()
    timed_out: list[bool] = []

    def busy_archive(batch: Batch) -> list[FetchResult]:
        timed_out.append(not release.wait(timeout=5))
        return [fetched for fetched, _ in batch]

    hook = evidence._Archiver(busy_archive)
    for fetched, exchanges in (_fetch(n) for n in range(2 * 256 + 10)):
        hook(fetched, exchanges)  # two full batches handed on: one being written, one queued
    hook.pass_over()  # returns at once, the 10 queued as a third
    release.set()
    hook.wait()
    hook.close()
    assert timed_out == [False, False, False]
