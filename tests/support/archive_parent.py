"""A parent for an archive process, to be SIGKILLed by a test while it archives.

``python -m tests.support.archive_parent ROOT`` starts ``ArchiveWorker`` on the archive
at ROOT, prints ``child PID``, then hands it batches of 50 synthetic fetches for ever,
printing ``recorded N`` (fetches acknowledged so far) after each batch.
"""

from __future__ import annotations

import sys
from pathlib import Path

from provenance.archive.worker import ArchiveWorker
from tests.archive.factory import exchange, result

BATCH = 50


def main(root: Path) -> None:
    worker = ArchiveWorker.start(root, "parent")
    print(f"child {worker._process.pid}", flush=True)
    recorded = 0
    while True:
        batch = []
        for n in range(recorded, recorded + BATCH):
            url = f"https://h{n % 7}.example/{n}"
            body = b"<html><title>%d</title><p>%s</p></html>" % (n, b"words " * 200)
            batch.append((result(url, digest=f"sha256:{n:064x}"), [exchange(url, body)]))
        worker.record_many(batch)
        recorded += BATCH
        print(f"recorded {recorded}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
