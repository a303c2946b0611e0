"""Sample the main thread's stack every few milliseconds (``bench.fetch.timeline``).

Active only when ``PROVENANCE_TIMELINE_OUT`` names a directory: each Python process
started with this directory on ``PYTHONPATH`` (the command, and its archive process,
which inherits the path) samples its main thread from a daemon thread every
``PROVENANCE_TIMELINE_MS`` (default 5) and, at exit, writes
``OUT/<pid>.json``: ``{"argv", "t0", "samples": [[t, [[file, function], ...]], ...]}``
with ``t`` on ``time.perf_counter`` (shared by processes on one machine) and the stack
innermost first. Only the standard library is imported.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import time
from pathlib import Path

_OUT = os.environ.get("PROVENANCE_TIMELINE_OUT")


def _start(out: str) -> None:
    interval = float(os.environ.get("PROVENANCE_TIMELINE_MS", "5")) / 1000
    main = threading.main_thread().ident
    samples: list[tuple[float, list[tuple[str, str]]]] = []
    t0 = time.perf_counter()
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(interval):
            frame = sys._current_frames().get(main)  # type: ignore[arg-type]
            stack = []
            while frame is not None:
                stack.append((frame.f_code.co_filename, frame.f_code.co_name))
                frame = frame.f_back
            samples.append((time.perf_counter(), stack))

    def write() -> None:
        stop.set()
        data = {"argv": sys.argv, "t0": t0, "samples": samples}
        Path(out, f"{os.getpid()}.json").write_text(json.dumps(data), encoding="utf-8")

    threading.Thread(target=sample, name="timeline-sampler", daemon=True).start()
    atexit.register(write)


if _OUT:
    _start(_OUT)
