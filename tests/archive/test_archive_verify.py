"""verify(): every indexed snapshot must resolve to a whole record with the indexed digest."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from provenance.archive import Snapshot, SnapshotStore
from provenance.archive.text import extract
from provenance.errors import ArchiveCorruptError
from provenance.fetch.models import Reason
from tests.archive.factory import HTML, T0, exchange, result, warc_files


def _fill(store: SnapshotStore) -> list[Snapshot]:
    """Three URLs, the first fetched twice (so a revisit), and a failure."""
    urls = ["https://a.example/", "https://b.example/", "https://c.example/"]
    for n, url in enumerate(urls):
        store.record(result(url), [exchange(url, HTML + b"<p>%d</p>" % n)])
    later = T0 + timedelta(days=1)
    store.record(
        result(urls[0], fetched_at=later),
        [exchange(urls[0], HTML + b"<p>0</p>", started_at=later)],
    )
    store.record(result("https://d.example/", reason=Reason.TIMEOUT, http_status=None), [])
    snapshots = [s for url in urls for s in store.history(url)]
    assert [s.is_revisit for s in snapshots] == [False, True, False, False]
    return snapshots


def test_a_sound_archive_verifies(store: SnapshotStore) -> None:
    _fill(store)
    report = store.verify()
    assert report.ok
    assert report.problems == ()
    assert (report.snapshots_checked, report.files_checked) == (4, 1)


def test_a_tampered_byte_is_flagged_for_its_snapshot_only(store: SnapshotStore, root: Path) -> None:
    snapshots = _fill(store)
    target = snapshots[2]  # b.example's response
    assert target.offset is not None
    assert target.length is not None
    [path] = warc_files(root)
    data = bytearray(path.read_bytes())
    data[target.offset + target.length // 2] ^= 0x01
    path.write_bytes(bytes(data))

    report = store.verify()
    assert not report.ok
    assert [(p.url, p.offset) for p in report.problems] == [(target.url, target.offset)]
    assert "b.example" in report.problems[0].one_line()
    with pytest.raises(ArchiveCorruptError):
        store.read_payload(target)


def test_a_tampered_original_is_flagged_for_its_revisit_too(
    store: SnapshotStore, root: Path
) -> None:
    snapshots = _fill(store)
    original, revisit = snapshots[0], snapshots[1]
    assert original.offset is not None
    assert original.length is not None
    [path] = warc_files(root)
    data = bytearray(path.read_bytes())
    data[original.offset + original.length - 20] ^= 0xFF
    path.write_bytes(bytes(data))

    flagged = {(p.url, p.offset) for p in store.verify().problems}
    assert flagged == {(original.url, original.offset), (revisit.url, revisit.offset)}
    with pytest.raises(ArchiveCorruptError):
        store.read_payload(revisit)


def test_a_missing_warc_file_is_flagged(store: SnapshotStore, root: Path) -> None:
    _fill(store)
    [path] = warc_files(root)
    path.unlink()

    report = store.verify()
    messages = [p.one_line() for p in report.problems]
    assert messages[0] == f"warc/{path.name}: WARC file is missing"
    assert len(messages) == 1 + 4  # the file, then each of its snapshots
    assert all("missing" in m for m in messages)


def test_a_shortened_warc_file_and_a_missing_text_are_flagged(
    store: SnapshotStore, root: Path
) -> None:
    snapshots = _fill(store)
    [path] = warc_files(root)
    last = snapshots[1]  # the revisit, the last response-or-revisit written
    assert last.offset is not None
    with path.open("r+b") as handle:
        handle.truncate(last.offset + 10)
    text_path = snapshots[2].text_path
    assert text_path is not None
    db = sqlite3.connect(root / "index.sqlite3")
    with db:
        db.execute("DELETE FROM texts WHERE text_digest = ?", (snapshots[2].text_digest,))
    db.close()

    messages = [p.one_line() for p in store.verify().problems]
    assert any("shorter than" in m for m in messages)
    assert any("cut short" in m and "a.example" in m for m in messages)
    assert any(f"text {text_path} is missing" in m for m in messages)
    # Reported, but not fatal: reading extracts it again from its record (and stores it).
    text = store.text(snapshots[2])
    assert text == extract(HTML + b"<p>1</p>", exchange(snapshots[2].url).response_headers).text
    messages = [p.one_line() for p in store.verify().problems]
    assert not any("text" in m for m in messages)
