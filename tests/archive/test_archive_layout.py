"""Archives from before texts moved into the index (schema 3, one file per text) still read.

``data/schema3-archive`` was written by that provenance itself (``make_schema3_archive.py``
says how): five snapshots (a revisit among them, a plain-text page), a failed fetch, and
their text files under ``text/``. Opening it migrates the index to schema 4; the old
text files stay where they are and keep being read, shown, audited and verified, while
new snapshots keep their texts in the index.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from provenance.archive import SnapshotStore, TextStatus
from provenance.archive.store import INDEX_TEXT_PREFIX
from provenance.archive.warc import sha256_hex
from provenance.cli import ExitCode
from provenance.fetch.models import Reason
from tests.archive.factory import (
    HTML,
    SCHEMA3_ARCHIVE,
    as_schema3,
    exchange,
    result,
    warc_files,
    warcio_check,
)
from tests.audit.conftest import AuditAt, audit_at, day, scenario  # noqa: F401
from tests.support.scenario import Scenario

URLS = ["https://a.example/", "https://b.example/", "https://c.example/"]
NOTES = "https://plain.example/notes.txt"
TITLE = "The Source & Its Title"


def _page_text(n: int) -> str:
    return f"{TITLE}\nFindings\nWater boils at 100 °C at sea level.\nfirst point\nsecond point\n{n}"


@pytest.fixture
def old_root(tmp_path: Path) -> Path:
    """A copy of the schema-3 archive (tests change it)."""
    root = tmp_path / "archive"
    shutil.copytree(SCHEMA3_ARCHIVE, root)
    return root


def _schema(root: Path) -> tuple[int, set[str]]:
    """(schema version, table names) of the archive's index."""
    db = sqlite3.connect(root / "index.sqlite3")
    try:
        version = int(db.execute("SELECT version FROM schema_version").fetchone()[0])
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        db.close()
    return version, tables


def _text_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.glob("text/*/*.txt")}


def _text_paths(root: Path) -> dict[str, str]:
    db = sqlite3.connect(root / "index.sqlite3")
    try:
        rows = db.execute("SELECT url, text_path FROM snapshots WHERE text_path IS NOT NULL")
        return dict(rows.fetchall())
    finally:
        db.close()


def test_the_fixture_is_what_as_schema3_makes_of_the_same_fetches(
    old_root: Path, tmp_path: Path
) -> None:
    assert _schema(old_root)[0] == 3
    assert "texts" not in _schema(old_root)[1]
    # The same fetches archived today, then put in the old layout by the test helper.
    today = tmp_path / "today"
    from tests.archive.data.make_schema3_archive import record_fetches

    with SnapshotStore(today, run_id="today") as store:
        record_fetches(store)
    as_schema3(today)
    assert _schema(today)[0] == 3
    assert _text_files(today) == _text_files(old_root)
    assert _text_paths(today) == _text_paths(old_root)
    assert len(_text_files(old_root)) == 4  # a, b, c (the revisit shares a's), the notes


def test_an_old_archive_reads_verifies_and_takes_new_snapshots(old_root: Path) -> None:
    files = _text_files(old_root)
    with SnapshotStore(old_root, run_id="next") as store:
        assert _schema(old_root) == (4, _schema(old_root)[1])
        assert "texts" in _schema(old_root)[1]
        history = [store.history(url) for url in URLS]
        assert [len(h) for h in history] == [2, 1, 1]
        assert history[0][1].is_revisit
        old = [h[0] for h in history]
        assert all(s.text_path and s.text_path.startswith("text/") for s in old)
        assert [store.text(s) for s in old] == [_page_text(n) for n in range(3)]
        assert store.text(history[0][1]) == _page_text(0)
        [notes] = store.history(NOTES)
        assert store.text(notes) == "Plain notes.\nSecond line."
        assert store.text(old[1].digest or "") == _page_text(1)  # by digest too
        [failed] = store.history("https://d.example/")
        assert failed.reason is Reason.TIMEOUT and store.text(failed) is None
        assert store.verify().ok

        # New snapshots keep their texts in the index, beside the old files.
        store.record(result(URLS[1]), [exchange(URLS[1], HTML + b"<p>changed</p>")])
        store.record(result(URLS[2]), [exchange(URLS[2], HTML + b"<p>2</p>")])
        b_new, c_new = store.history(URLS[1])[-1], store.history(URLS[2])[-1]
        assert c_new.is_revisit  # unchanged since the old snapshot
        for snapshot in (b_new, c_new):
            assert snapshot.text_path is not None
            assert snapshot.text_path.startswith(INDEX_TEXT_PREFIX)
            assert snapshot.text_status is TextStatus.EXTRACTED
        assert store.text(b_new) == _page_text(1).replace("\n1", "\nchanged")
        assert store.text(c_new) == store.text(old[2]) == _page_text(2)
        assert store.verify().ok
    assert _text_files(old_root) == files  # the old files, untouched; no new ones
    assert warcio_check(warc_files(old_root)) == (0, "")


def test_a_missing_or_damaged_old_text_file_is_extracted_again(old_root: Path) -> None:
    paths = _text_paths(old_root)
    missing, torn, blocked = (old_root / paths[url] for url in URLS)
    missing.unlink()  # lost, as a power cut may lose it
    torn.write_bytes(torn.read_bytes()[:5])  # torn: written back only in part
    blocked.unlink()
    blocked.mkdir()  # unreadable, and not even replaceable
    with SnapshotStore(old_root, run_id="next") as store:
        problems = [p.one_line() for p in store.verify().problems]
        rel = {path: path.relative_to(old_root).as_posix() for path in (missing, torn, blocked)}
        assert any(f"text file {rel[missing]} is missing" in p for p in problems)
        assert any(f"text file {rel[torn]} does not hold" in p for p in problems)
        assert any(f"text file {rel[blocked]} is unreadable" in p for p in problems)
        # a's revisit names a's file too: four snapshots flagged for three files.
        assert len(problems) == 4

        # Reading is never the worse for it: each comes back from its WARC record.
        snapshots = [store.history(url)[0] for url in URLS]
        assert [store.text(s) for s in snapshots] == [_page_text(n) for n in range(3)]
        assert missing.read_text(encoding="utf-8") == _page_text(0)
        assert torn.read_text(encoding="utf-8") == _page_text(1)
        assert blocked.is_dir()  # could not be rewritten; the text was returned all the same
        problems = [p.one_line() for p in store.verify().problems]
        assert len(problems) == 1 and "unreadable" in problems[0]


def test_an_old_archive_is_read_without_write_access_and_left_as_it_was(old_root: Path) -> None:
    before = {p: p.read_bytes() for p in old_root.rglob("*") if p.is_file()}
    with SnapshotStore(old_root, read_only=True) as store:
        assert [store.text(store.history(url)[0]) for url in URLS] == [
            _page_text(n) for n in range(3)
        ]
        report = store.verify()
        assert report.ok and report.snapshots_checked == 5
    # SQLite may leave its -shm/-wal files beside the index; every file there was is as it was.
    assert {p: p.read_bytes() for p in before} == before
    assert _schema(old_root)[0] == 3


def test_an_old_archive_is_listed_shown_and_verified_on_the_command_line(
    old_root: Path, cli
) -> None:
    archive = ("--archive-dir", str(old_root))
    listed = cli("snapshots", URLS[0], *archive)
    assert listed.code == ExitCode.OK, listed.err
    assert listed.out.count("alive") == 2
    shown = cli("show", URLS[1], *archive)
    assert shown.code == ExitCode.OK, shown.err
    assert shown.out.strip().endswith(_page_text(1))
    verified = cli("archive", "verify", *archive)
    assert verified.code == ExitCode.OK, verified.err
    assert "5 snapshots in 1 WARC files checked: ok" in verified.err


def test_an_audit_compares_old_text_files_with_texts_in_the_index(
    scenario: Scenario,  # noqa: F811
    audit_at: AuditAt,  # noqa: F811
) -> None:
    audit_at(day(1))
    archive = scenario.root / ".provenance" / "archive"
    as_schema3(archive)  # the first audit as the previous provenance archived it
    old_files = _text_files(archive)
    assert old_files and _schema(archive)[0] == 3
    scenario.page("/stable", "stable-redated")  # new navigation, date and footer only
    scenario.page("/rewritten", "rewritten-2")  # rewritten

    report = audit_at(day(5)).report
    [stable] = [s.audit for s in report.sources if s.id == "articles/health.md#1"]
    [rewritten] = [s.audit for s in report.sources if s.id == "articles/health.md#3"]
    assert stable is not None and rewritten is not None
    assert stable.drift is not None and stable.drift.similarity == 1.0
    assert stable.as_cited_digest != stable.latest_digest
    assert rewritten.drift is not None and rewritten.drift.drifted and rewritten.drift.removed
    assert _schema(archive)[0] == 4
    assert _text_files(archive) == old_files
    with SnapshotStore(archive, read_only=True) as store:
        assert store.verify().ok


def test_an_older_extractors_text_file_stays_with_its_snapshots(old_root: Path) -> None:
    relative = _text_paths(old_root)[URLS[1]]
    # What an older extractor made of the payload, recorded with its digest.
    old_text = "An older extraction"
    (old_root / relative).write_text(old_text, encoding="utf-8")
    db = sqlite3.connect(old_root / "index.sqlite3")
    with db:
        db.execute(
            "UPDATE snapshots SET text_digest = ? WHERE url = ?",
            (sha256_hex(old_text.encode()), URLS[1]),
        )
    db.close()
    # A file half-written by a run killed mid-write (the old layout wrote temp files).
    temp = old_root / Path(relative).parent / ".half.txt.4242.tmp"
    temp.write_bytes(b"half")

    with SnapshotStore(old_root, run_id="next") as store:
        assert not temp.exists()  # cut off on open, as before
        store.record(result(URLS[1]), [exchange(URLS[1], HTML + b"<p>1</p>")])
        old, new = store.history(URLS[1])
        assert store.text(old) == old_text  # sound: kept
        assert store.text(new) == _page_text(1)  # today's extraction, in the index
        assert store.verify().ok
    assert (old_root / relative).read_text(encoding="utf-8") == old_text
