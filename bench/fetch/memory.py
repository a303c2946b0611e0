"""Peak memory of ``provenance check`` per process: the command and its archive process.

``wait4``'s ``ru_maxrss`` (what :mod:`bench.fetch.measure` reports) is the largest peak
of the process tree, not their sum; since big runs archive in a child process, this
polls ``/proc/<pid>/status`` of the command and each of its descendants and reports
every process's ``VmHWM`` (its peak RSS, which only grows) and their sum, an upper bound
of the tree's peak::

    python -m bench.fetch.memory --urls 20000 [--latency-ms 0] [--provenance-src DIR]

starts the loopback servers, writes the clean corpus of ``--urls`` URLs (the mix
without the 429/500-then-200 URLs, which pace a host to one request a second) and
runs ``provenance check`` on it once, scoring the verdicts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.fetch.corpus import generate_corpus
from bench.fetch.measure import cpu_seconds_of, score_verdicts
from bench.fetch.run import (
    REPO_ROOT,
    Servers,
    check_arguments,
    clean_manifest,
    provenance_command,
    provenance_env,
    provenance_verdicts,
)
from bench.fetch.server import build_manifest

__all__ = ["main"]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _hwm_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main(argv: list[str] | None = None) -> int:
    """Run once, print per-process peaks and the verdict score."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--urls", type=int, default=20000)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--provenance-src", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    src = args.provenance_src.resolve() if args.provenance_src else None
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        work = Path(tmp)
        servers = Servers(args.hosts, 1, args.seed, 1800.0)
        try:
            manifest = clean_manifest(build_manifest(servers.bases, args.urls, args.seed))
            corpus = work / "corpus"
            generate_corpus([u["url"] for u in manifest["urls"]], corpus, seed=args.seed)
            servers.reset(args.latency_ms)
            home = work / "home"
            home.mkdir()
            env = provenance_env({"HOME": str(home)}, src=src)
            cmd = [
                *provenance_command(src),
                *check_arguments(64, 16, str(work / "report.json")),
                "--quiet",
                str(corpus),
            ]
            peaks: dict[int, tuple[str, float]] = {}
            cpu: dict[int, float] = {}  # CPU seconds last seen (up to 50 ms stale at exit)
            started = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=home, env=env)
            while proc.poll() is None:
                pids = [proc.pid]
                for pid in pids:
                    pids.extend(_children(pid))
                for pid in pids:
                    hwm = _hwm_mib(pid)
                    if hwm is not None:
                        role = "check" if pid == proc.pid else "archive process"
                        peaks[pid] = (role, max(hwm, peaks.get(pid, (role, 0.0))[1]))
                        cpu[pid] = max(cpu.get(pid, 0.0), cpu_seconds_of(pid))
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
        finally:
            servers.stop()
        report = json.loads((work / "report.json").read_text())
        score = score_verdicts(manifest, provenance_verdicts(report))
    print(
        f"{manifest['n_urls']} URLs, {elapsed:.1f} s wall, exit {proc.returncode}; "
        f"verdicts right {score.verdict_ok}/{score.total}"
    )
    for pid, (role, hwm) in sorted(peaks.items()):
        per_url = 1000 * cpu.get(pid, 0.0) / max(1, manifest["n_urls"])
        print(f"  {role} (pid {pid}): peak RSS {hwm:.0f} MiB, CPU {per_url:.3f} ms/URL")
    print(f"  sum of peaks: {sum(h for _, h in peaks.values()):.0f} MiB")
    return 0


if __name__ == "__main__":
    os.chdir(REPO_ROOT)
    raise SystemExit(main())
