"""A killed run, a full disk or a read-only directory never leaves a half-written archive.

Crashes are real: a forked child process dies (``os._exit``) in the middle of a
write, and the parent opens the archive afterwards, as the next run would.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import re
import resource
import shutil
import signal
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from provenance.archive import SnapshotStore
from provenance.archive import store as store_module
from provenance.archive.index import ArchiveIndex
from provenance.archive.warc import encode_exchange
from provenance.errors import ArchiveError
from tests.archive.factory import (
    HTML,
    Clock,
    exchange,
    read_records,
    result,
    warc_files,
    warcio_check,
)

KEPT = "https://kept.example/"
LOST = "https://lost.example/"
NOBODY = 65534


def _snapshot_count(root: Path) -> int:
    db = sqlite3.connect(root / "index.sqlite3")
    try:
        return int(db.execute("SELECT count(*) FROM snapshots").fetchone()[0])
    finally:
        db.close()


def _text_count(root: Path) -> int:
    db = sqlite3.connect(root / "index.sqlite3")
    try:
        return int(db.execute("SELECT count(*) FROM texts").fetchone()[0])
    finally:
        db.close()


def _assert_whole(root: Path) -> None:
    """Every WARC file reads back record by record and passes `warcio check`."""
    files = warc_files(root)
    for path in files:
        records = read_records(path)
        assert records[0].type == "warcinfo"
        assert sum(r.length for r in records) == path.stat().st_size
    assert warcio_check(files) == (0, "")


def test_a_half_written_tail_is_cut_and_the_next_append_reads_back(
    root: Path, clock: Clock
) -> None:
    with SnapshotStore(root, clock=clock, run_id="first") as store:
        store.record(result(KEPT), [exchange(KEPT)])
        store.record(result(LOST), [exchange(LOST, b"<p>other</p>")])
    [path] = warc_files(root)
    whole = path.read_bytes()
    # A writer killed mid-append: half of a gzip member, never indexed.
    member, _ = encode_exchange(exchange("https://half.example/"))
    path.write_bytes(whole + member.data[: len(member.data) // 2])

    with SnapshotStore(root, clock=clock, run_id="second") as store:
        assert path.read_bytes() == whole
        store.record(result(KEPT), [exchange(KEPT, b"<p>changed</p>")])
        assert [store.read_payload(s) for s in store.history(KEPT)] == [HTML, b"<p>changed</p>"]
        assert store.verify().ok
    _assert_whole(root)
    # What the cut prevents: bytes appended after a half member are unreadable.
    path.write_bytes(whole + member.data[: len(member.data) // 2] + member.data)
    assert warcio_check([path])[0] == 1


def _die_during_append(root: Path, phase: str, fraction: float) -> None:
    """Child process: record KEPT, then die part-way through the write of LOST."""

    def dying_append(fd: int, data: bytes) -> None:
        os.write(fd, data[: int(len(data) * fraction)])
        os._exit(9)

    def dying_commit(*args: Any, **kwargs: Any) -> None:
        os._exit(9)

    with pytest.MonkeyPatch.context() as patch, SnapshotStore(root, run_id="killed") as store:
        if phase == "warcinfo":
            patch.setattr(store_module, "append_durably", dying_append)
        store.record(result(KEPT), [exchange(KEPT)])
        if phase == "fetch":
            patch.setattr(store_module, "append_durably", dying_append)
        elif phase == "texts":
            # Killed inside the index transaction, its texts already inserted.
            assert store._index is not None

            def die_at_snapshots(statement: str) -> None:
                if statement.startswith("INSERT INTO snapshots"):
                    os._exit(9)

            store._index._db.set_trace_callback(die_at_snapshots)
        elif phase == "index":
            patch.setattr(ArchiveIndex, "commit_batch", dying_commit)
        store.record(result(LOST), [exchange(LOST, b"<p>lost</p>" * 50)])


@pytest.mark.parametrize(
    ("phase", "fraction"),
    [
        ("warcinfo", 0.5),  # killed while starting its WARC file
        ("texts", 1.0),  # fsync-ed, killed in the index transaction after its texts
        ("fetch", 0.0),
        ("fetch", 0.3),
        ("fetch", 0.5),
        ("fetch", 0.97),
        ("fetch", 1.0),  # every byte written, not yet fsync-ed or indexed
        ("index", 1.0),  # fsync-ed, killed before the index transaction
    ],
)
def test_a_run_killed_mid_write_leaves_an_archive_that_reads_back_whole(
    root: Path, phase: str, fraction: float
) -> None:
    child = multiprocessing.get_context("fork").Process(
        target=_die_during_append, args=(root, phase, fraction)
    )
    child.start()
    child.join()
    assert child.exitcode == 9
    assert list(root.rglob("*.tmp")) == []

    with SnapshotStore(root, run_id="next") as store:
        assert store.history(LOST) == []
        assert _text_count(root) == (0 if phase == "warcinfo" else 1)  # KEPT's only
        kept = 0 if phase == "warcinfo" else 1
        assert len(store.history(KEPT)) == kept
        store.record(result(LOST), [exchange(LOST)])
        [lost] = store.history(LOST)
        assert store.read_payload(lost) == HTML
        assert store.verify().ok
    _assert_whole(root)
    names = [p.name for p in warc_files(root)]
    assert any("-killed-" in n for n in names) == (phase != "warcinfo")


def test_an_unindexed_file_keeps_its_whole_records_only(root: Path, clock: Clock) -> None:
    with SnapshotStore(root, clock=clock, run_id="first") as store:
        store.record(result(KEPT), [exchange(KEPT)])
    [indexed] = warc_files(root)
    # A WARC file the index does not know (say, its index row was lost): keep
    # what is whole, drop the torn tail, never delete evidence.
    orphan = root / "warc" / "provenance-20240501-orphan-00000.warc.gz"
    whole = indexed.read_bytes()
    orphan.write_bytes(whole + whole[:100])

    with SnapshotStore(root, clock=clock, run_id="second"):
        pass
    assert orphan.read_bytes() == whole
    _assert_whole(root)


def test_an_index_failure_after_the_append_cuts_the_bytes_back(
    store: SnapshotStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.record(result(KEPT), [exchange(KEPT)])
    [path] = warc_files(root)
    size = path.stat().st_size

    def failing_commit(*args: Any, **kwargs: Any) -> None:
        raise ArchiveError(f"cannot index a snapshot {root / 'index.sqlite3'}: disk I/O error")

    monkeypatch.setattr(ArchiveIndex, "commit_batch", failing_commit)
    with pytest.raises(ArchiveError, match="disk I/O error"):
        store.record(result(LOST), [exchange(LOST, b"<p>lost</p>")])
    assert path.stat().st_size == size
    monkeypatch.undo()

    assert store.history(LOST) == []
    store.record(result(LOST), [exchange(LOST, b"<p>lost</p>")])
    assert len(store.history(LOST)) == 1
    _assert_whole(root)


@contextlib.contextmanager
def _file_size_limit(limit: int) -> Iterator[None]:
    """Make writes past ``limit`` bytes fail with EFBIG, as a full disk fails with ENOSPC."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_a_full_disk_raises_archive_error_naming_the_file(store: SnapshotStore, root: Path) -> None:
    store.record(result(KEPT), [exchange(KEPT)])
    [path] = warc_files(root)
    size = path.stat().st_size
    # Incompressible, so the record is far larger than the room left.
    noise = b"".join(hashlib.sha256(b"%d" % n).digest() for n in range(4000))
    big = exchange(LOST, noise, content_type="application/octet-stream")

    with _file_size_limit(size + 1000), pytest.raises(ArchiveError) as raised:
        store.record(result(LOST), [big])
    message = str(raised.value)
    assert message == f"cannot append to {path}: File too large"
    assert "\n" not in message
    assert path.stat().st_size == size
    assert store.history(LOST) == []

    store.record(result(LOST), [big])
    [lost] = store.history(LOST)
    assert store.read_payload(lost) == noise
    _assert_whole(root)


def _as_nobody(action: Callable[[], str]) -> str:
    """Run ``action`` where file permissions bind: as is, or as ``nobody`` in a child if root."""
    if os.geteuid() != 0:
        return action()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root, run, report, never return into pytest
        os.close(read_end)
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            outcome = action()
        except BaseException as exc:
            outcome = f"unexpected {type(exc).__name__}: {exc}"
        os.write(write_end, outcome.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read().decode()
    os.waitpid(pid, 0)
    return outcome


def _open_and_record(root: Path) -> Callable[[], str]:
    def action() -> str:
        try:
            with SnapshotStore(root, run_id="readonly") as store:
                store.record(result(LOST), [exchange(LOST)])
        except ArchiveError as exc:
            return f"{type(exc).__name__}: {exc}"
        return "no error"

    return action


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory that ``nobody`` can enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="provenance-readonly-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for sub in [path, *path.rglob("*")]:
            if sub.is_dir():
                sub.chmod(0o755)
        shutil.rmtree(path)


def test_a_read_only_directory_raises_archive_error(shared_dir: Path) -> None:
    parent = shared_dir / "readonly"
    parent.mkdir()
    parent.chmod(0o555)
    root = parent / "archive"

    outcome = _as_nobody(_open_and_record(root))
    assert outcome == (
        f"ArchiveError: cannot create the archive directory {root}: Permission denied"
    )
    assert not root.exists()


def test_a_read_only_archive_raises_archive_error_and_is_left_as_it_was(
    shared_dir: Path,
) -> None:
    root = shared_dir / "archive"
    with SnapshotStore(root, run_id="owner") as store:
        store.record(result(KEPT), [exchange(KEPT)])
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)

    outcome = _as_nobody(_open_and_record(root))
    assert re.fullmatch(rf"ArchiveError: cannot \w+ .*{re.escape(str(root))}.*: \w.*", outcome)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_a_read_only_warc_directory_fails_the_write_and_indexes_nothing(
    shared_dir: Path,
) -> None:
    root = shared_dir / "archive"
    with SnapshotStore(root, run_id="owner") as store:
        store.record(result(KEPT), [exchange(KEPT)])
    # Everything writable by the unprivileged user but the WARC directory.
    for path in [root, *root.rglob("*")]:
        if os.geteuid() == 0 and path != root / "warc" and path.parent != root / "warc":
            os.chown(path, NOBODY, NOBODY)
    (root / "warc").chmod(0o555)

    outcome = _as_nobody(_open_and_record(root))
    pattern = rf"ArchiveError: cannot create {re.escape(str(root / 'warc'))}/provenance-\d{{8}}"
    assert re.match(pattern + r"-readonly-00000\.warc\.gz: Permission denied$", outcome)
    assert _snapshot_count(root) == 1
    _assert_whole(root)


def _cli_in(directory: Path, *args: str) -> Callable[[], str]:
    """Run ``provenance ARGS`` in ``directory``; return exit code, stdout and stderr as text."""

    def action() -> str:
        import io

        from provenance.cli import run

        os.chdir(directory)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(list(args))
        return f"{code}\n{out.getvalue()}\n{err.getvalue()}"

    return action


def test_a_read_only_archive_can_still_be_listed_shown_and_verified(shared_dir: Path) -> None:
    root = shared_dir / "archive"
    with SnapshotStore(root, run_id="owner") as store:
        recorded = store.record(result(KEPT), [exchange(KEPT)])
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    archive = ("--archive-dir", str(root))

    listed = _as_nobody(_cli_in(shared_dir, "snapshots", *archive))
    assert listed.split("\n")[:2] == ["0", KEPT]
    shown = _as_nobody(_cli_in(shared_dir, "show", KEPT, *archive))
    assert shown.startswith("0\n") and "Water boils at 100" in shown, shown
    verified = _as_nobody(_cli_in(shared_dir, "archive", "verify", *archive))
    assert verified.startswith("0\n"), verified
    assert "1 snapshots in 1 WARC files checked: ok" in verified
    assert recorded.digest is not None
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_a_read_only_store_refuses_to_record(shared_dir: Path) -> None:
    root = shared_dir / "archive"
    with SnapshotStore(root, run_id="owner") as store:
        store.record(result(KEPT), [exchange(KEPT)])
    with SnapshotStore(root, read_only=True) as store, pytest.raises(ArchiveError) as raised:
        store.record(result(LOST), [exchange(LOST)])
    assert str(raised.value) == f"{root}: the archive is open read-only"
    assert _snapshot_count(root) == 1
