"""SnapshotStore: the index rows, history order, lookups, failures, rollover, the lock."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from provenance.archive import SnapshotStore, TextStatus
from provenance.archive.lock import ArchiveLock
from provenance.errors import ArchiveError, ArchiveLockedError
from provenance.fetch.fetcher import OnFetched
from provenance.fetch.models import FetchResult, Reason, Redirect, Verdict
from tests.archive.factory import (
    HTML,
    T0,
    Clock,
    exchange,
    gzipped,
    read_records,
    redirect_fetch,
    result,
    warc_files,
    warcio_check,
)


def _rows(root: Path, sql: str) -> list[sqlite3.Row]:
    db = sqlite3.connect(root / "index.sqlite3")
    db.row_factory = sqlite3.Row
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_the_index_is_wal_and_versioned(store: SnapshotStore, root: Path) -> None:
    db = sqlite3.connect(root / "index.sqlite3")
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(4,)]
    finally:
        db.close()


def test_a_snapshot_row_holds_everything_about_the_fetch(store: SnapshotStore, root: Path) -> None:
    fetched, hops = redirect_fetch("HTTP://Old.Example:80/a#frag", "https://new.example/a")
    returned = store.record(fetched, hops)

    [row] = _rows(root, "SELECT * FROM snapshots")
    records = read_records(warc_files(root)[0])
    final_response = records[3]
    assert row["url"] == "HTTP://Old.Example:80/a#frag"
    assert row["normalized_url"] == "http://old.example/a"
    assert row["captured_at"] == "2024-05-01T12:00:00.000000+00:00"
    assert row["http_status"] == 200
    assert (row["verdict"], row["reason"]) == ("alive", "moved")
    assert row["final_url"] == "https://new.example/a"
    assert json.loads(row["redirects"]) == [{"url": "HTTP://Old.Example:80/a#frag", "status": 301}]
    assert row["digest"] == returned.digest
    assert row["payload_digest"] == returned.digest  # no content-encoding: the same bytes
    assert row["warc_path"] == f"warc/{records[0].file}"
    assert (row["warc_offset"], row["warc_length"]) == (
        final_response.offset,
        final_response.length,
    )
    assert row["warc_record_id"] == final_response.headers["WARC-Record-ID"]
    assert row["text_status"] == "extracted"
    assert row["text_path"] == "index.sqlite3#texts/" + row["text_digest"][len("sha256:") :]
    assert row["title"] == "The Source & Its Title"
    assert row["content_type"] == "text/html; charset=utf-8"
    assert row["size"] == len(HTML)
    assert row["is_revisit"] == 0
    assert FetchResult.model_validate_json(row["result_json"]) == returned

    kinds = [r["record_type"] for r in _rows(root, "SELECT record_type FROM records ORDER BY id")]
    assert kinds == ["warcinfo", "response", "request", "response", "request"]


def test_record_fills_the_digest_of_the_decoded_payload(store: SnapshotStore) -> None:
    url = "https://example.org/"
    returned = store.record(result(url), [exchange(url, gzipped(HTML), content_encoding="gzip")])
    assert returned.digest == "sha256:" + hashlib.sha256(HTML).hexdigest()
    given = result(url, digest="sha256:" + "0" * 64)
    assert store.record(given, [exchange(url, HTML)]).digest == given.digest


def test_record_leaves_the_digest_of_dead_or_truncated_payloads_empty(
    store: SnapshotStore,
) -> None:
    missing = "https://example.org/missing"
    dead = result(missing, reason=Reason.NOT_FOUND, http_status=404)
    assert store.record(dead, [exchange(missing, b"<p>Not found</p>", status=404)]).digest is None
    big = "https://example.org/big"
    cut = result(big, reason=Reason.OK)
    assert store.record(cut, [exchange(big, b"<p>partial", truncated=True)]).digest is None
    # The snapshots still know what they archived.
    for url in (missing, big):
        snapshot = store.latest(url)
        assert snapshot is not None
        assert snapshot.digest is not None
        assert store.text(snapshot) is not None


def test_history_is_oldest_first_and_shows_failures(store: SnapshotStore) -> None:
    url = "https://example.org/page"
    for hours in (2, 0, 1):
        at = T0 + timedelta(hours=hours)
        body = f"<p>version {hours}</p>".encode()
        store.record(result(url, fetched_at=at), [exchange(url, body, started_at=at)])
    timeout = result(
        url,
        reason=Reason.TIMEOUT,
        http_status=None,
        fetched_at=T0 + timedelta(minutes=30),
        error="read timed out after 10 s",
    )
    assert store.record(timeout, []) is timeout

    history = store.history("HTTPS://EXAMPLE.ORG:443/page#section")
    assert [s.captured_at - T0 for s in history] == [
        timedelta(0),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
    ]
    failure = history[1]
    assert failure.reason is Reason.TIMEOUT
    assert failure.verdict is Verdict.UNVERIFIABLE
    assert failure.error == "read timed out after 10 s"
    assert not failure.archived
    assert failure.text_status is TextStatus.NO_PAYLOAD
    assert [store.text(s) for s in history] == [
        "version 0",
        None,
        "version 1",
        "version 2",
    ]
    with pytest.raises(ArchiveError, match="no payload was archived"):
        store.read_payload(failure)

    latest = store.latest(url)
    assert latest is not None
    assert latest.captured_at == T0 + timedelta(hours=2)


def test_latest_can_skip_failures(store: SnapshotStore) -> None:
    url = "https://example.org/"
    store.record(result(url), [exchange(url)])
    gone = result(url, reason=Reason.DNS_ERROR, http_status=None, fetched_at=T0 + timedelta(days=1))
    store.record(gone, [])

    latest = store.latest(url)
    assert latest is not None
    assert latest.reason is Reason.DNS_ERROR
    archived = store.latest(url, archived_only=True)
    assert archived is not None
    assert archived.reason is Reason.OK
    assert store.latest("https://never.example/") is None


def test_urls_and_find_by_url_or_digest(store: SnapshotStore) -> None:
    a, b = "https://b.example/x", "https://a.example/y"
    store.record(result(a), [exchange(a, HTML)])
    store.record(result(b), [exchange(b, gzipped(b"<p>other</p>"), content_encoding="gzip")])
    store.record(result("https://c.example/", reason=Reason.CONNECTION_ERROR), [])

    assert store.urls() == ["https://a.example/y", "https://b.example/x", "https://c.example/"]
    found = store.find(a)
    assert found is not None
    assert found.url == a
    assert found.digest is not None
    assert found.payload_digest is not None
    by_digest = store.find(found.digest)
    assert by_digest == found
    assert store.find(found.digest.removeprefix("sha256:").upper()) == found
    other = store.find(b)
    assert other is not None
    assert other.payload_digest is not None
    assert store.find(other.payload_digest) == other  # the archived (gzip) bytes' digest
    assert store.find("sha256:" + "f" * 64) is None


def test_read_payload_as_archived_and_decoded(store: SnapshotStore) -> None:
    url = "https://example.org/gz"
    body = gzipped(HTML)
    store.record(result(url), [exchange(url, body, content_encoding="gzip")])
    snapshot = store.latest(url)
    assert snapshot is not None
    assert store.read_payload(snapshot) == body
    assert store.read_payload(snapshot, decoded=True) == HTML


def test_text_rejects_what_is_not_a_digest(store: SnapshotStore) -> None:
    with pytest.raises(ValueError, match="not a sha256 digest"):
        store.text("../../etc/passwd")
    assert store.text("sha256:" + "a" * 64) is None


def test_a_cached_result_without_exchanges_archives_nothing(
    store: SnapshotStore, root: Path
) -> None:
    cached = result("https://example.org/", from_cache=True)
    assert store.record(cached, []) is cached
    assert store.history("https://example.org/") == []
    assert warc_files(root) == []


def test_warc_files_roll_over_at_the_size_cap(root: Path) -> None:
    clock = Clock(step=timedelta(seconds=1))
    with SnapshotStore(root, clock=clock, run_id="roll", max_warc_bytes=2000) as store:
        for n in range(5):
            url = f"https://example.org/{n}"
            store.record(result(url), [exchange(url, HTML + b"%d" % n)])
        snapshots = [store.latest(f"https://example.org/{n}") for n in range(5)]
        payloads = [store.read_payload(s) for s in snapshots if s is not None]

    assert payloads == [HTML + b"%d" % n for n in range(5)]
    files = warc_files(root)
    assert [f.name for f in files] == [
        f"provenance-20240501-roll-{n:05d}.warc.gz" for n in range(len(files))
    ]
    assert len(files) >= 3
    for path in files:
        assert path.stat().st_size <= 2000 or len(read_records(path)) == 3
        assert read_records(path)[0].type == "warcinfo"
    assert {s.warc_path for s in snapshots if s is not None} == {f"warc/{f.name}" for f in files}
    assert warcio_check(files) == (0, "")


def test_a_second_run_appends_to_files_of_its_own(root: Path, clock: Clock) -> None:
    url = "https://example.org/"
    with SnapshotStore(root, run_id="same", clock=clock) as store:
        store.record(result(url), [exchange(url, b"<p>1</p>")])
    with SnapshotStore(root, run_id="same", clock=clock) as store:
        store.record(result(url), [exchange(url, b"<p>2</p>")])
        assert [s.warc_path for s in store.history(url)] == [
            "warc/provenance-20240501-same-00000.warc.gz",
            "warc/provenance-20240501-same-00001.warc.gz",
        ]


def test_a_closed_store_refuses_to_work(root: Path) -> None:
    store = SnapshotStore(root)
    with pytest.raises(ArchiveError, match="not open"):
        store.history("https://example.org/")
    with store:
        assert store.urls() == []
    with pytest.raises(ArchiveError, match="not open"):
        store.record(result("https://example.org/"), [exchange("https://example.org/")])


def test_opening_waits_for_the_lock_then_gives_up(root: Path) -> None:
    with SnapshotStore(root):
        pass  # create the archive
    holder = ArchiveLock(root / "lock", timeout=0)
    holder.open()
    try:
        expected = re.escape(f"{root / 'lock'}: another provenance run holds the archive lock")
        with holder.held(), pytest.raises(ArchiveLockedError, match=expected):
            SnapshotStore(root, lock_timeout=0).open()
    finally:
        holder.close()


def test_a_write_blocked_by_the_lock_writes_nothing(root: Path) -> None:
    url = "https://example.org/"
    with SnapshotStore(root, lock_timeout=0.05, run_id="blocked") as store:
        holder = ArchiveLock(root / "lock", timeout=0)
        holder.open()
        try:
            with holder.held(), pytest.raises(ArchiveLockedError):
                store.record(result(url), [exchange(url)])
        finally:
            holder.close()
        assert store.history(url) == []
        assert warc_files(root) == []
        store.record(result(url), [exchange(url)])  # the lock is free again
        assert len(store.history(url)) == 1


def test_an_index_from_a_newer_provenance_is_refused(root: Path) -> None:
    with SnapshotStore(root):
        pass
    db = sqlite3.connect(root / "index.sqlite3")
    with db:
        db.execute("UPDATE schema_version SET version = 99")
    db.close()
    with pytest.raises(ArchiveError, match="index schema 99 was written by a newer provenance"):
        SnapshotStore(root).open()


def test_redirects_round_trip_through_the_index(store: SnapshotStore) -> None:
    fetched, hops = redirect_fetch("https://a.example/", "https://b.example/")
    store.record(fetched, hops)
    snapshot = store.latest("https://a.example/")
    assert snapshot is not None
    assert snapshot.redirects == (Redirect(url="https://a.example/", status=301),)
    assert snapshot.final_url == "https://b.example/"
    assert store.read_payload(snapshot) == HTML


def test_record_fits_the_fetchers_on_fetched_hook(store: SnapshotStore) -> None:
    hook: OnFetched = store.record  # mypy checks the signature against the fetcher's
    url = "https://example.org/hooked"
    returned = hook(result(url), [exchange(url)])
    assert returned.digest == "sha256:" + hashlib.sha256(HTML).hexdigest()
    assert store.latest(url) is not None
