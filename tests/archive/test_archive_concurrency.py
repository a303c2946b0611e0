"""Two runs appending to one archive at the same time lose nothing and corrupt nothing."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

from provenance.archive import SnapshotStore
from tests.archive.factory import append_fetches, read_records, warc_files, warcio_check

PER_WORKER = 24
SHARED = "https://shared.example/"


def test_two_processes_appending_at_once_lose_nothing(root: Path) -> None:
    # Spawned, not forked: each worker is a fresh interpreter, as a second
    # `provenance` run would be.
    context = multiprocessing.get_context("spawn")
    runs = ["alpha", "beta"]
    barrier = context.Barrier(len(runs))
    workers = [
        context.Process(target=append_fetches, args=(str(root), run, PER_WORKER, barrier))
        for run in runs
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]

    shared_per_worker = len(range(0, PER_WORKER, 3))
    with SnapshotStore(root, run_id="reader") as store:
        for run in runs:
            for n in range(PER_WORKER):
                [snapshot] = store.history(f"https://{run}.example/page/{n}")
                assert store.text(snapshot) is not None
                assert f"{run} page {n}".encode() in store.read_payload(snapshot)
        shared = store.history(SHARED)
        assert len(shared) == 2 * shared_per_worker
        # The first fetch of the shared URL is stored; every later one, whichever
        # run made it, is a revisit of it.
        assert [s.is_revisit for s in shared].count(False) == 1
        assert {store.read_payload(s) for s in shared} == {b"<p>shared and unchanged</p>"}
        report = store.verify()
        assert report.ok, report.problems
        assert report.snapshots_checked == 2 * (PER_WORKER + shared_per_worker)

    files = warc_files(root)
    assert {f.name.split("-")[2] for f in files} == set(runs)
    records = [r for path in files for r in read_records(path)]
    assert sum(r.type == "warcinfo" for r in records) == len(files)
    assert sum(r.type in ("response", "revisit") for r in records) == report.snapshots_checked
    assert sum(r.type == "request" for r in records) == report.snapshots_checked
    assert warcio_check(files) == (0, "")

    db = sqlite3.connect(root / "index.sqlite3")
    try:
        sizes = dict(db.execute("SELECT path, committed_size FROM warc_files").fetchall())
    finally:
        db.close()
    assert sizes == {f"warc/{f.name}": f.stat().st_size for f in files}
