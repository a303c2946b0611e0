"""Measuring child processes and scoring verdicts against the server's manifest."""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ProcResult",
    "Score",
    "cpu_seconds_of",
    "descendants",
    "run_measured",
    "score_verdicts",
    "vm_hwm_kib",
]


@dataclass
class ProcResult:
    """How one child process ran: its own rusage, from ``wait4``, not the harness's."""

    cmd: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    elapsed_s: float
    cpu_s: float
    peak_rss_mib: float
    timed_out: bool
    # Descendant pid -> CPU seconds last seen (polled every 20 ms): provenance's archive
    # process. Part of ``cpu_s`` already (wait4 counts the children waited for).
    children_cpu_s: dict[int, float] = field(default_factory=dict)


def run_measured(
    cmd: list[str],
    *,
    timeout_s: float,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> ProcResult:
    """Run ``cmd`` to completion (killed after ``timeout_s``); return its output and usage.

    CPU time comes from ``os.wait4`` (this one child and the children it waited
    for, which ``RUSAGE_CHILDREN`` cannot isolate once several children have run).
    Peak RSS is polled from ``/proc/PID/status`` (``VmHWM``) every 20 ms: rusage's
    ``ru_maxrss`` is useless here because Linux carries the parent's RSS at fork
    into the child's high-water mark across ``exec``. The CPU time of each descendant
    is polled from ``/proc`` too (``children_cpu_s``), up to 20 ms stale at its exit.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, env=env
        )
        pidfd = os.pidfd_open(proc.pid)
        timed_out = False
        peak_kib = 0
        children: dict[int, float] = {}
        deadline = t0 + timeout_s
        try:
            while True:
                peak_kib = max(peak_kib, vm_hwm_kib(proc.pid))
                for child in descendants(proc.pid):
                    cpu = cpu_seconds_of(child)
                    if cpu > 0:
                        children[child] = cpu
                left = deadline - time.perf_counter()
                if left <= 0:
                    timed_out = True
                    proc.kill()
                    break
                ready, _, _ = select.select([pidfd], [], [], min(left, 0.02))
                if ready:
                    break
            _pid, status, _usage = os.wait4(proc.pid, 0)
        finally:
            os.close(pidfd)
        elapsed = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ProcResult(
            cmd=cmd,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            elapsed_s=elapsed,
            cpu_s=_usage.ru_utime + _usage.ru_stime,
            peak_rss_mib=peak_kib / 1024,
            timed_out=timed_out,
            children_cpu_s=children,
        )


def vm_hwm_kib(pid: int | str = "self") -> int:
    """Peak resident set size of a live process, in KiB (0 once it has exited)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (children, their children...)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            text = Path(f"/proc/{parent}/task/{parent}/children").read_text()
        except OSError:
            continue
        kids = [int(x) for x in text.split()]
        found.extend(kids)
        pending.extend(kids)
    return found


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds used so far by a running process (from /proc)."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks
    return 0.0


@dataclass
class Score:
    """How many per-URL verdicts match the manifest, overall and per kind of URL."""

    total: int
    answered: int
    verdict_ok: int
    reason_ok: int
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (ok, total)
    confusions: dict[str, int] = field(default_factory=dict)  # "kind: expected->got" -> n

    @property
    def verdict_pct(self) -> float:
        """Share of manifest URLs whose verdict matches, in percent."""
        return 100.0 * self.verdict_ok / self.total if self.total else 0.0


def score_verdicts(manifest: dict[str, Any], got: dict[str, tuple[str, str]]) -> Score:
    """Compare ``got`` (url -> (verdict, reason)) with the manifest's expectations.

    A manifest URL missing from ``got`` counts as wrong (verdict ``missing``).
    """
    by_kind: dict[str, list[int]] = {}
    confusions: Counter[str] = Counter()
    verdict_ok = reason_ok = answered = 0
    for entry in manifest["urls"]:
        kind = entry["kind"]
        verdict, reason = got.get(entry["url"], ("missing", "missing"))
        answered += verdict != "missing"
        ok = verdict == entry["verdict"]
        verdict_ok += ok
        reason_ok += ok and reason == entry["reason"]
        slot = by_kind.setdefault(kind, [0, 0])
        slot[0] += ok
        slot[1] += 1
        if not ok:
            confusions[f"{kind}: {entry['verdict']}->{verdict}"] += 1
    return Score(
        total=len(manifest["urls"]),
        answered=answered,
        verdict_ok=verdict_ok,
        reason_ok=reason_ok,
        by_kind={k: (v[0], v[1]) for k, v in by_kind.items()},
        confusions=dict(confusions.most_common()),
    )
