"""Write ``schema3-archive/``: an archive as provenance wrote it before texts moved into the index.

Run with the provenance of index schema 3 (one text file per payload under ``text/``),
e.g. commit dfa0e95 frozen with ``git archive``, from the repository root::

    git archive dfa0e95 provenance | tar -x -C /tmp/schema3
    PYTHONPATH=/tmp/schema3:. python tests/archive/data/make_schema3_archive.py

The tests copy the directory and read it with the current code (``test_archive_layout``).
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from provenance.archive import SnapshotStore
from provenance.archive.index import SCHEMA_VERSION
from provenance.fetch.models import Reason
from tests.archive.factory import HTML, T0, Clock, exchange, result

OUT = Path(__file__).resolve().parent / "schema3-archive"


def record_fetches(store: SnapshotStore) -> None:
    """What the archive holds: three pages, a revisit, a plain-text page, a failed fetch."""
    urls = ["https://a.example/", "https://b.example/", "https://c.example/"]
    for n, url in enumerate(urls):
        store.record(result(url), [exchange(url, HTML + b"<p>%d</p>" % n)])
    later = T0 + timedelta(days=1)
    store.record(  # unchanged: a revisit, and the same text file
        result(urls[0], fetched_at=later),
        [exchange(urls[0], HTML + b"<p>0</p>", started_at=later)],
    )
    notes = "https://plain.example/notes.txt"
    store.record(
        result(notes),
        [exchange(notes, b"Plain notes.\nSecond line.\n", content_type="text/plain")],
    )
    store.record(result("https://d.example/", reason=Reason.TIMEOUT, http_status=None), [])


def main() -> None:
    assert SCHEMA_VERSION == 3, "run this with the provenance of index schema 3"
    shutil.rmtree(OUT, ignore_errors=True)
    with SnapshotStore(OUT, clock=Clock(), run_id="schema3") as store:
        record_fetches(store)


if __name__ == "__main__":
    main()
