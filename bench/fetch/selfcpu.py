"""Run ``provenance`` in this process and record its own CPU apart from its children's.

``python -m bench.fetch.selfcpu OUT.json ARGS...`` is ``python -m provenance ARGS...``
that, on exit, writes ``{"self_s": ..., "children_s": ...}`` to ``OUT.json``:
``RUSAGE_SELF`` (user + system) of the command itself, the fetching process, and
``RUSAGE_CHILDREN`` of the children it waited for (the archive process). ``wait4`` in
the harness sees only their sum. Only the standard library is imported before
provenance, so start-up is measured as the console script pays it.
"""

from __future__ import annotations

import atexit
import json
import resource
import runpy
import sys
from pathlib import Path


def _record(path: str) -> None:
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    usage = {
        "self_s": mine.ru_utime + mine.ru_stime,
        "children_s": children.ru_utime + children.ru_stime,
    }
    Path(path).write_text(json.dumps(usage), encoding="utf-8")


def main() -> None:
    out, *args = sys.argv[1:]
    atexit.register(_record, out)
    sys.argv = ["provenance", *args]
    runpy.run_module("provenance", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
