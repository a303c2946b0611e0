"""A provenance process that imports everything once, then forks one CLI run per request.

Starting ``python -m provenance check`` costs most of a second of imports; a test that
kills twenty runs would spend its time importing. This process pays that once and then,
for each JSON line ``{"cwd": ..., "argv": [...]}`` on stdin, forks a child that runs the
real command line (``provenance.cli.run``) in ``cwd`` with its output thrown away,
answers ``pid <n>`` at once and ``exit <status>`` when the child is gone (a negative
status is the signal that killed it). The child is an ordinary process: SIGKILL ends
it wherever it is, in the event loop, the writer thread or an fsync.

``PROVENANCE_TEST_BATCH`` (optional) sets how many fetches go into one archive batch,
so a short run writes many batches and a kill lands among them.

Run as ``python -m tests.support.zygote`` from the repository root.
"""

from __future__ import annotations

import json
import os
import sys
from typing import NoReturn

import httpx  # noqa: F401  (preloaded: the children must not spend their life importing)
import lxml.html  # noqa: F401
import warcio  # noqa: F401

import provenance.archive.store
import provenance.check
import provenance.evidence
import provenance.fetch.fetcher
from provenance.cli import run


def main() -> None:
    batch = os.environ.get("PROVENANCE_TEST_BATCH")
    if batch:
        provenance.evidence.ARCHIVE_BATCH_FETCHES = int(batch)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request["cwd"], request["argv"])
        print(f"pid {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(f"exit {code}", flush=True)


def _child(cwd: str, argv: list[str]) -> NoReturn:
    code = 70  # EX_SOFTWARE, should run() itself blow up
    try:
        os.chdir(cwd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        code = run(argv)
    finally:
        os._exit(code)


if __name__ == "__main__":
    main()
