"""The command's CPU per URL for handing fetches to the archive process and the cache.

``provenance check`` hands every fetch to its archive process (``_Archiver`` and
``ArchiveWorker``) and writes each final verdict to the cache (``_CacheWriter`` and
``FetchCache``), all on top of fetching. This measures that cost alone, package against
package, on recorded fetches: ``gather_evidence`` runs as the command runs it, with
``_Run.fetch`` replaced by a replay of the recorded fetches of each URL (the first
look's, then the re-check's), so no request is made and everything around the fetch
(the run's orchestration, the archive hook, the cache writer) is the package's own::

    # record the fetches of the clean corpus once (as bench.fetch.archivecpu does)
    python -m bench.fetch.archivecpu record --urls 5000 --out /tmp/fetches.pickle
    # per package and repeat, in alternation: the command's own CPU with the archive and
    # the cache, and without either (the orchestration alone); the archive process's CPU
    python -m bench.fetch.handoffcpu compare /tmp/fetches.pickle \
        --src before=/tmp/s11-before --src after=/tmp/s11h-after --repeats 3
    # one replay in this process (for a profiler)
    python -m bench.fetch.handoffcpu replay /tmp/fetches.pickle --mode full

Each replay is a fresh process (``PYTHONPATH`` = the package first). Its figures:
``self`` = ``RUSAGE_SELF`` (user + system, every thread) across ``gather_evidence``;
``children`` = ``RUSAGE_CHILDREN`` after the archive process has been reaped (its whole
life, start-up included); ``wall`` of ``gather_evidence`` and of the archive process's
reaping. The hand-off's cost is ``self`` of ``full`` minus ``self`` of ``none`` (the
same run without an archive or a cache), per distinct URL.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

REPO_ROOT = Path(__file__).resolve().parents[2]
MODES = ("full", "none", "archive", "cache")


def _replay(args: argparse.Namespace) -> int:
    import provenance
    from provenance import evidence
    from provenance.fetch import fetcher as fetcher_module
    from provenance.fetch.settings import FetchSettings

    with args.recorded.open("rb") as f:
        batches: list[list[Any]] = pickle.load(f)
    by_url: dict[str, collections.deque[Any]] = collections.defaultdict(collections.deque)
    for batch in batches:
        for result, exchanges in batch:
            by_url[result.normalized_url].append((result, exchanges))
    urls = [fetches[0][0].url for fetches in by_url.values()]

    async def replay_fetch(
        self: Any,
        url: str,
        original: str,
        *,
        revalidation: Any,
        max_attempts: int,
        prior_attempts: int = 0,
    ) -> Any:
        fetches = by_url[url]
        result, exchanges = fetches.popleft() if len(fetches) > 1 else fetches[0]
        await asyncio.sleep(0)  # a real fetch yields to the loop at least once
        if self.fetcher.on_fetched is not None:
            result = self.fetcher.on_fetched(result, exchanges)
        return result

    fetcher_module._Run.fetch = replay_fetch  # type: ignore[method-assign]
    settings = FetchSettings(
        allow_private=True,
        concurrency=64,
        host_concurrency=16,
        host_interval_ms=0,
        recheck_delay_s=0.0,
    )
    with tempfile.TemporaryDirectory(prefix="bench-handoffcpu-", dir=args.tmp) as tmp:
        archive = Path(tmp) / "archive" if args.mode in ("full", "archive") else None
        cache = Path(tmp) / "cache" if args.mode in ("full", "cache") else None
        options = evidence.EvidenceOptions(fetch=settings, archive_dir=archive, cache_dir=cache)
        from datetime import UTC, datetime

        t0 = time.perf_counter()
        s0 = resource.getrusage(resource.RUSAGE_SELF)
        run = evidence.gather_evidence(urls, options, now=datetime.now(UTC))
        s1 = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.perf_counter() - t0
        for thread in threading.enumerate():
            if thread is not threading.current_thread():
                thread.join()
        reaped = time.perf_counter() - t0
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        if cache is not None:
            from provenance.fetch import FetchCache

            with FetchCache(cache) as check:
                cached = len(check)
        else:
            cached = 0
    print(
        json.dumps(
            {
                "package": str(Path(provenance.__file__).parent),
                "mode": args.mode,
                "urls": len(run.results),
                "cached": cached,
                "self_s": (s1.ru_utime + s1.ru_stime) - (s0.ru_utime + s0.ru_stime),
                "children_s": children.ru_utime + children.ru_stime,
                "wall_s": wall,
                "reaped_s": reaped,
            }
        )
    )
    return 0


def _compare(args: argparse.Namespace) -> int:
    sources: list[tuple[str, Path]] = []
    for spec in args.src:
        name, _, path = spec.partition("=")
        sources.append((name, Path(path).resolve()))
    modes = args.modes.split(",")
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for repeat in range(args.repeats):
        order = sources if repeat % 2 == 0 else sources[::-1]
        for name, src in order:
            for mode in modes:
                env = dict(os.environ)
                env["PYTHONPATH"] = os.pathsep.join(
                    p for p in (str(src), str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
                )
                cmd = [
                    sys.executable,
                    "-m",
                    "bench.fetch.handoffcpu",
                    "replay",
                    str(args.recorded.resolve()),
                    "--mode",
                    mode,
                ]
                if args.taskset is not None:
                    cmd = ["taskset", "-c", args.taskset, *cmd]
                # Not from the repository root: ``python -m`` puts the working directory
                # first on sys.path, ahead of PYTHONPATH, and would import its provenance.
                proc = subprocess.run(
                    cmd,
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=tempfile.gettempdir(),
                    check=False,
                )
                if proc.returncode != 0:
                    print(proc.stderr, file=sys.stderr)
                    return 1
                run = json.loads(proc.stdout.strip().splitlines()[-1])
                runs.setdefault((name, mode), []).append(run)
                n = run["urls"]
                print(
                    f"repeat {repeat + 1} {name} {mode}: command "
                    f"{1000 * run['self_s'] / n:.3f} ms/URL, archive process "
                    f"{1000 * run['children_s'] / n:.3f} ms/URL, wall {run['wall_s']:.2f} s "
                    f"(reaped {run['reaped_s']:.2f} s), {run['cached']} cached "
                    f"({run['package']})",
                    flush=True,
                )
    print(
        "\n| package | mode | command ms/URL | minus `none` | archive process ms/URL "
        "| wall s | per repeat (command) |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for name, _ in sources:
        base = runs.get((name, "none"))
        base_ms = 1000 * statistics.median(r["self_s"] / r["urls"] for r in base) if base else None
        for mode in modes:
            rs = runs[(name, mode)]
            own = 1000 * statistics.median(r["self_s"] / r["urls"] for r in rs)
            child = 1000 * statistics.median(r["children_s"] / r["urls"] for r in rs)
            wall = statistics.median(r["wall_s"] for r in rs)
            extra = "" if base_ms is None else f"{own - base_ms:.3f}"
            each = ", ".join(f"{1000 * r['self_s'] / r['urls']:.3f}" for r in rs)
            print(f"| {name} | {mode} | {own:.3f} | {extra} | {child:.3f} | {wall:.2f} | {each} |")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Replay recorded fetches through one package, or compare packages."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("replay", help="run gather_evidence once on the recorded fetches")
    rep.add_argument("recorded", type=Path)
    rep.add_argument("--mode", choices=MODES, default="full")
    rep.add_argument("--tmp", type=Path, help="where the temporary archive and cache go")
    cmp_ = sub.add_parser("compare", help="replay through each package, in alternation")
    cmp_.add_argument("recorded", type=Path)
    cmp_.add_argument("--src", action="append", required=True, help="NAME=DIR (repeatable)")
    cmp_.add_argument("--repeats", type=int, default=3)
    cmp_.add_argument("--modes", default="full,none", help=f"comma list of {', '.join(MODES)}")
    cmp_.add_argument("--taskset", help="CPU list for taskset -c (e.g. 0)")
    args = parser.parse_args(argv)
    if args.command == "replay":
        return _replay(args)
    return _compare(args)


if __name__ == "__main__":
    raise SystemExit(main())
