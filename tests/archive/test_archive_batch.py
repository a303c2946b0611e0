"""record_many: a batch of fetches archived for one WARC fsync and one index transaction.

Crashes are real here too: a forked child dies (``os._exit``) in the middle of a
batch and the parent opens the archive afterwards, as the next run would.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from provenance.archive import SnapshotStore, TextStatus
from provenance.archive import fs as fs_module
from provenance.archive import store as store_module
from provenance.archive.index import ArchiveIndex
from provenance.errors import ArchiveError
from provenance.fetch.models import FetchResult, HttpExchange, Reason
from tests.archive.factory import (
    HTML,
    T0,
    Clock,
    as_schema3,
    exchange,
    gzipped,
    read_records,
    redirect_fetch,
    result,
    warc_files,
    warcio_check,
)

Batch = list[tuple[FetchResult, list[HttpExchange]]]


PAGE = b"<html><head><title>Page %d</title></head><body><p>Body of page %d.</p></body></html>"


def _page(n: int) -> bytes:
    return PAGE % (n, n)


def _pages(prefix: str, count: int, *, start: int = 0) -> Batch:
    """``count`` fetches of distinct URLs, each with a payload of its own."""
    batch: Batch = []
    for n in range(start, start + count):
        url = f"https://{prefix}.example/{n}"
        batch.append((result(url), [exchange(url, _page(n))]))
    return batch


def _committed_sizes(root: Path) -> dict[str, int]:
    db = sqlite3.connect(root / "index.sqlite3")
    try:
        return dict(db.execute("SELECT path, committed_size FROM warc_files").fetchall())
    finally:
        db.close()


def _assert_whole(root: Path) -> None:
    """Every WARC file reads back record by record, is as long as indexed, passes warcio."""
    files = warc_files(root)
    for path in files:
        records = read_records(path)
        assert records[0].type == "warcinfo"
        assert sum(r.length for r in records) == path.stat().st_size
    assert _committed_sizes(root) == {f"warc/{p.name}": p.stat().st_size for p in files}
    assert warcio_check(files) == (0, "")


def test_a_mixed_batch_reads_back_whole(store: SnapshotStore, root: Path) -> None:
    same = "https://same.example/"
    later = T0 + timedelta(hours=1)
    moved, hops = redirect_fetch("https://old.example/", "https://new.example/")
    timeout = result(
        "https://down.example/", reason=Reason.TIMEOUT, http_status=None, error="timed out"
    )
    cached = result("https://cached.example/", from_cache=True)
    gone = "https://gone.example/"
    zipped = "https://zipped.example/"
    batch: list[tuple[FetchResult, list[HttpExchange]]] = [
        (result(same), [exchange(same)]),
        (moved, hops),
        (timeout, []),
        (cached, []),
        (result(gone, reason=Reason.NOT_FOUND, http_status=404), [exchange(gone, status=404)]),
        (result(zipped), [exchange(zipped, gzipped(b"<p>zipped</p>"), content_encoding="gzip")]),
        # The same payload again, in the same batch: a revisit of the first.
        (result(same, fetched_at=later), [exchange(same, started_at=later)]),
    ]
    returned = store.record_many(batch)

    assert [r.url for r in returned] == [fetched.url for fetched, _ in batch]
    assert returned[3] is cached
    assert returned[2] is timeout
    assert returned[0].digest == store.find(same).digest  # type: ignore[union-attr]
    assert returned[4].digest is None  # not alive: left empty, as record() does
    first, second = store.history(same)
    assert (first.is_revisit, second.is_revisit) == (False, True)
    assert store.read_payload(second) == HTML
    assert store.text(second) == store.text(first)
    [failure] = store.history("https://down.example/")
    assert (failure.reason, failure.archived) == (Reason.TIMEOUT, False)
    assert store.history("https://cached.example/") == []
    [redirected] = store.history("https://old.example/")
    assert redirected.final_url == "https://new.example/"
    assert store.read_payload(redirected) == HTML
    [unzipped] = store.history(zipped)
    assert store.read_payload(unzipped, decoded=True) == b"<p>zipped</p>"
    assert store.text(unzipped) == "zipped"

    [path] = warc_files(root)
    records = read_records(path)
    kinds = [r.type for r in records]
    # warcinfo; then (response or revisit, request) per exchange, in batch order.
    assert kinds == ["warcinfo"] + ["response", "request"] * 5 + ["revisit", "request"]
    revisit = records[-2]
    assert revisit.headers["WARC-Refers-To"] == records[1].headers["WARC-Record-ID"]
    report = store.verify()
    assert report.ok, report.problems
    assert report.snapshots_checked == 5
    _assert_whole(root)

    # Across batches too: the next identical payload is a revisit of the first.
    store.record_many([(result(same), [exchange(same)]), (result(gone), [exchange(gone)])])
    third = store.history(same)[-1]
    assert third.is_revisit
    assert read_records(path)[-4].headers["WARC-Refers-To"] == records[1].headers["WARC-Record-ID"]
    assert store.verify().ok
    _assert_whole(root)


def test_a_batch_costs_one_warc_fsync_and_one_index_transaction(
    store: SnapshotStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.record_many(_pages("warm", 2))  # the WARC file and its warcinfo exist now
    [path] = warc_files(root)
    synced: list[str] = []
    fsync_fd = fs_module.fsync_fd

    def counting_fsync(fd: int) -> None:
        synced.append(str(Path(f"/proc/self/fd/{fd}").readlink()))
        fsync_fd(fd)

    statements: list[str] = []
    assert store._index is not None
    store._index._db.set_trace_callback(statements.append)
    monkeypatch.setattr(fs_module, "fsync_fd", counting_fsync)

    failure = result("https://down.example/", reason=Reason.DNS_ERROR, http_status=None)
    store.record_many([*_pages("batch", 40), (failure, [])])

    # Text files are derived data: not one fsync for the 40 of them.
    assert synced == [str(path)]
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    assert [s for s in statements if s == "COMMIT"] == ["COMMIT"]
    assert len(store.urls()) == 2 + 40 + 1
    assert store.verify().ok


def test_a_text_is_stored_once_however_many_snapshots_name_it(
    store: SnapshotStore, root: Path
) -> None:
    urls = [f"https://mirror{n}.example/" for n in range(5)]
    store.record_many([(result(url), [exchange(url)]) for url in urls])
    store.record_many([(result(url), [exchange(url)]) for url in urls])
    snapshots = [s for url in urls for s in store.history(url)]
    assert len(snapshots) == 10
    assert len({s.text_path for s in snapshots}) == 1
    assert [row[0] for row in _texts(root)] == [snapshots[0].text_digest]
    assert {store.text(s) for s in snapshots} == {_texts(root)[0][1].decode("utf-8")}
    assert not (root / "text").exists()


def _texts(root: Path) -> list[tuple[str, bytes]]:
    db = sqlite3.connect(root / "index.sqlite3")
    try:
        return db.execute("SELECT text_digest, data FROM texts ORDER BY id").fetchall()
    finally:
        db.close()


def test_warc_files_roll_over_in_the_middle_of_a_batch(root: Path) -> None:
    clock = Clock(step=timedelta(seconds=1))
    with SnapshotStore(root, clock=clock, run_id="roll", max_warc_bytes=2500) as store:
        first = _pages("roll", 9)
        # The first page again, late in the batch: its revisit lands in another file.
        again = first[0][0].url
        store.record_many([*first, (result(again), [exchange(again, _page(0))])])
        snapshots = [store.history(fetched.url) for fetched, _ in first]
        files = warc_files(root)
        assert len(files) >= 3
        assert [f.name for f in files] == [
            f"provenance-20240501-roll-{n:05d}.warc.gz" for n in range(len(files))
        ]
        original, revisit = snapshots[0]
        assert revisit.is_revisit
        assert revisit.warc_path != original.warc_path
        assert store.read_payload(revisit) == _page(0)
        for n, history in enumerate(snapshots):
            assert store.read_payload(history[0]) == _page(n)
        assert store.verify().ok
        # The next batch carries on in the last file.
        store.record_many(_pages("after", 1))
        assert len(warc_files(root)) in (len(files), len(files) + 1)
    for path in warc_files(root):
        assert path.stat().st_size <= 2500 or len(read_records(path)) == 3
    _assert_whole(root)


def test_a_failed_index_commit_cuts_back_every_file_the_batch_touched(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SnapshotStore(root, run_id="cut", max_warc_bytes=2500) as store:
        store.record_many(_pages("kept", 1))
        before = {p.name: p.stat().st_size for p in warc_files(root)}

        def failing_commit(*args: Any, **kwargs: Any) -> None:
            raise ArchiveError(f"cannot index a batch {root / 'index.sqlite3'}: disk I/O error")

        monkeypatch.setattr(ArchiveIndex, "commit_batch", failing_commit)
        with pytest.raises(ArchiveError, match="disk I/O error"):
            store.record_many(_pages("lost", 6))
        monkeypatch.undo()

        # The old file is back to where it was; files begun by the batch hold
        # their warcinfo only; nothing of the batch is indexed.
        after = {p.name: p for p in warc_files(root)}
        assert len(after) > len(before)  # the batch rolled over before failing
        for name, path in after.items():
            if name in before:
                assert path.stat().st_size == before[name]
            else:
                assert [r.type for r in read_records(path)] == ["warcinfo"]
        assert _committed_sizes(root) == {f"warc/{n}": p.stat().st_size for n, p in after.items()}
        assert all(store.history(f"https://lost.example/{n}") == [] for n in range(6))

        store.record_many(_pages("lost", 6))
        assert all(len(store.history(f"https://lost.example/{n}")) == 1 for n in range(6))
        assert store.verify().ok
    _assert_whole(root)


def _die_mid_batch(root: Path, phase: str) -> None:
    """Child process: archive one batch, then die in the middle of the next."""

    def dying_commit(*args: Any, **kwargs: Any) -> None:
        os._exit(9)

    def dying_append(fd: int, data: bytes) -> None:
        os.write(fd, data[: len(data) // 2])
        os._exit(9)

    with pytest.MonkeyPatch.context() as patch, SnapshotStore(root, run_id="killed") as store:
        store.record_many(_pages("kept", 3))
        if phase == "index":
            patch.setattr(ArchiveIndex, "commit_batch", dying_commit)
        else:
            patch.setattr(store_module, "append_durably", dying_append)
        store.record_many(_pages("lost", 20))


@pytest.mark.parametrize(
    "phase",
    [
        "append",  # half of the batch's WARC bytes written, then killed
        "index",  # every WARC byte written and fsync-ed, killed before the index commit
    ],
)
def test_a_run_killed_mid_batch_leaves_an_archive_the_next_run_trims(
    root: Path, phase: str
) -> None:
    child = multiprocessing.get_context("fork").Process(target=_die_mid_batch, args=(root, phase))
    child.start()
    child.join()
    assert child.exitcode == 9

    [path] = warc_files(root)
    committed = _committed_sizes(root)[f"warc/{path.name}"]
    assert path.stat().st_size > committed  # the dead batch's records, never indexed

    with SnapshotStore(root, run_id="next") as store:
        assert path.stat().st_size == committed  # cut off on open
        assert len(store.urls()) == 3
        assert all(store.history(f"https://lost.example/{n}") == [] for n in range(20))
        store.record_many(_pages("lost", 20))
        for n in range(20):
            [snapshot] = store.history(f"https://lost.example/{n}")
            assert store.read_payload(snapshot) == _page(n)
            assert store.text(snapshot) == f"Page {n}\nBody of page {n}."
        assert store.verify().ok
    _assert_whole(root)


def test_a_missing_or_damaged_text_is_extracted_again(store: SnapshotStore, root: Path) -> None:
    urls = [f"https://text.example/{n}" for n in range(3)]
    store.record_many([(result(url), [exchange(url, _page(n))]) for n, url in enumerate(urls)])
    snapshots = [store.latest(url) for url in urls]
    texts = [store.text(s) for s in snapshots if s is not None]
    assert texts == [f"Page {n}\nBody of page {n}." for n in range(3)]
    missing, torn, _ = (s.text_digest for s in snapshots if s and s.text_digest)
    _change_text(root, "DELETE FROM texts WHERE text_digest = ?", missing)  # lost
    _change_text(root, "UPDATE texts SET data = x'50616765' WHERE text_digest = ?", torn)
    problems = [p.one_line() for p in store.verify().problems]
    assert len(problems) == 2
    assert any(f"text index.sqlite3#texts/{missing[7:]} is missing" in p for p in problems)
    assert any(f"text index.sqlite3#texts/{torn[7:]} does not hold" in p for p in problems)

    # Reading is never the worse for it: each comes back from its WARC record, and
    # is stored again.
    assert [store.text(s) for s in snapshots if s is not None] == texts
    assert store.verify().ok
    assert sorted(row[1].decode() for row in _texts(root)) == texts
    # By digest too, and the next record of the payload repairs a damaged text.
    _change_text(root, "UPDATE texts SET data = x'' WHERE text_digest = ?", torn)
    assert store.text(snapshots[1].digest) == texts[1]  # type: ignore[union-attr,arg-type]
    _change_text(root, "UPDATE texts SET data = x'' WHERE text_digest = ?", torn)
    store.record(result(urls[1]), [exchange(urls[1], _page(1))])
    assert sorted(row[1].decode() for row in _texts(root)) == texts
    assert store.verify().ok


def _change_text(root: Path, statement: str, text_digest: str) -> None:
    db = sqlite3.connect(root / "index.sqlite3")
    with db:
        db.execute(statement, (text_digest,))
    db.close()


def test_an_index_from_before_text_digests_is_migrated(root: Path) -> None:
    url = "https://example.org/"
    with SnapshotStore(root) as store:
        store.record(result(url), [exchange(url)])
    # Back to schema 1 (a text file per payload, no text digests), as provenance left it.
    as_schema3(root)
    db = sqlite3.connect(root / "index.sqlite3")
    with db:
        db.execute("ALTER TABLE snapshots DROP COLUMN text_digest")
        db.execute("UPDATE schema_version SET version = 1")
    db.close()

    with SnapshotStore(root) as store:
        [old] = store.history(url)
        assert old.text_digest is None
        assert old.text_status is TextStatus.EXTRACTED
        assert old.text_path is not None
        text = store.text(old)
        (root / old.text_path).unlink()
        assert store.text(old) == text
        store.record(result(url), [exchange(url)])
        assert store.history(url)[-1].text_digest is not None
        assert store.verify().ok
    db = sqlite3.connect(root / "index.sqlite3")
    try:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(4,)]
    finally:
        db.close()


def test_revisits_are_found_for_a_batch_of_more_urls_than_one_lookup_takes(
    store: SnapshotStore,
) -> None:
    # The previous record of every URL is looked up for the whole batch, 500 at a time.
    batch = _pages("many", 520)
    store.record_many(batch)
    store.record_many(batch)  # revisits of the responses
    store.record_many(batch)  # revisits whose original is found through the last revisit
    for fetched, _ in batch[::103]:
        first, second, third = store.history(fetched.url)
        assert (first.is_revisit, second.is_revisit, third.is_revisit) == (False, True, True)
        assert store.read_payload(third) == store.read_payload(first)
    assert store.verify().ok


def test_a_dead_pages_payload_is_extracted_once_for_its_recheck(
    store: SnapshotStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bytes] = []
    extract = store_module.extract

    def counting_extract(body: bytes, *args: Any, **kwargs: Any) -> Any:
        calls.append(body)
        return extract(body, *args, **kwargs)

    monkeypatch.setattr(store_module, "extract", counting_extract)
    gone = "https://gone.example/page"
    page = b"<title>Not here</title><p>No such page.</p>"
    dead = result(gone, reason=Reason.NOT_FOUND, http_status=404)
    store.record_many([(dead, [exchange(gone, page, status=404)])])
    store.record_many([(dead, [exchange(gone, page, status=404)])])  # the fetcher's re-check
    alive = _pages("alive", 1)
    store.record_many(alive)
    store.record_many(alive)  # alive pages are not remembered: no re-check comes for them
    assert calls == [page, _page(0), _page(0)]
    first, again = store.history(gone)
    assert store.text(first) == store.text(again) == "Not here\nNo such page."
    assert again.title == "Not here" and again.text_digest == first.text_digest
    assert store.verify().ok
