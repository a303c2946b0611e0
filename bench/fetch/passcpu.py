"""The fetching process's CPU per URL in the first pass, package against package.

::

    python -m bench.fetch.passcpu --urls 5000 --latency-ms 0 --runs 3 \
        --src /tmp/before --src /tmp/after [--archive] [--profile out.prof]

Starts the loopback server (:mod:`bench.fetch.server`), takes the *clean* URLs (no
429/500-then-200), and for each ``--src`` (a directory holding a ``provenance``
package, e.g. from ``git archive``; the working tree if none is given) runs, in a fresh
process per run, a first pass of ``Fetcher.fetch_all`` as ``check`` configures it
(``--allow-private``, concurrency 64, 16 per host, no interval, no cache) with the
re-check pass off, so only the first pass is measured. The archive hook receives every
result with its exchanges (so the fetcher keeps raw bodies, as under ``check``) and
lets the exchanges go, as the archiver does once it has handed a batch on; with
``--archive`` it is the real ``gather_evidence`` with an archive directory (its
process and the hand-off to it included).

Reported per run: ``RUSAGE_SELF`` CPU (user + system, every thread of the process)
of the pass alone, in ms per URL (system time beside it); wall time; and the verdicts
against the manifest. Runs alternate between packages, so load on the shared machine
hits both alike. ``--passes K`` runs K passes in each process and counts the cheapest
after the first: steadier figures for comparing per-request code, but warm (the URL
memos of ``provenance.fetch.urls`` answer from the first pass), so not the first pass
``check`` pays. ``--no-gc`` prices the cyclic garbage collector (``--gc-freeze``: with the objects
of start-up frozen out of its reach first; ``--gc-threshold N``: collecting the
youngest generation every N allocations instead of 700); ``--profile`` writes
a cProfile (``.prof``), pyinstrument (``.txt``) or py-spy (``.raw``: raw stacks sampled
at 1 kHz, needs ``pip install py-spy``) profile of the last run of the last ``--src``.

``--direct`` adds, in the same runs, the floor the fetcher's bookkeeping sits on:
``httpx-direct`` (:mod:`bench.fetch.transports`: the fetcher's own request path,
``DirectSender`` on ``FastHTTPTransport``, with redirects followed and bodies read, and
nothing else) over the same URLs and concurrency, with the last ``--src``'s package.
A package's figure minus this one is its CPU per URL *outside* httpx-direct's path.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

REPO_ROOT = Path(__file__).resolve().parents[2]
# The name of ``--direct``'s row among the packages.
_DIRECT = "httpx-direct"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _sys() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


def _direct_child(args: argparse.Namespace) -> int:
    """The httpx-direct loop over the manifest's URLs (``--child --direct``)."""
    import asyncio

    from bench.fetch.loop import get_factory, run_loop

    manifest = json.loads(Path(args.manifest).read_text(encoding="utf-8"))
    urls = [(u["url"], 0) for u in manifest["urls"]]
    hosts = sorted({url.split("/", 3)[2] for url, _ in urls})
    cpu = _cpu()
    system = _sys()
    result = asyncio.run(
        run_loop(
            "httpx-direct",
            get_factory("httpx-direct"),
            urls,
            hosts=hosts,
            concurrency=args.concurrency,
            max_seconds=600.0,
        )
    )
    print(
        json.dumps(
            {
                "urls": len(urls),
                "cpu_s": _cpu() - cpu,
                "sys_s": _sys() - system,
                "wall_s": result.elapsed_s,
                "right": result.done - result.statuses.get("error", 0),
                "passes_cpu_s": [result.cpu_s],
            }
        ),
        flush=True,
    )
    return 0


def _child(args: argparse.Namespace) -> int:
    """One pass in this process (``--child``): prints a JSON line of figures."""
    if args.direct:
        return _direct_child(args)
    from provenance.evidence import EvidenceOptions, gather_evidence
    from provenance.fetch import Fetcher, FetchSettings

    manifest = json.loads(Path(args.manifest).read_text(encoding="utf-8"))
    urls = [u["url"] for u in manifest["urls"]]
    settings = FetchSettings(
        allow_private=True,
        concurrency=args.concurrency,
        host_concurrency=args.host_concurrency,
        host_interval_ms=0,
        recheck=False,
    )
    kept: list[Any] = []

    def collect(result: Any, exchanges: Any) -> Any:
        # The archiver hands exchanges on in batches (and drops them): keep a count only.
        kept.append(len(exchanges))
        return result

    import asyncio

    profiler = None
    if args.profile.endswith(".prof"):
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU, not wall time
    elif args.profile:
        import pyinstrument

        profiler = pyinstrument.Profiler(interval=0.0005, async_mode="disabled")
    if profiler is not None:
        profiler.start() if args.profile.endswith(".txt") else profiler.enable()
    if args.no_gc:
        import gc

        gc.disable()
    if args.gc_freeze:
        import gc

        gc.freeze()
    if args.gc_threshold:
        import gc

        gc.set_threshold(args.gc_threshold, *gc.get_threshold()[1:])
    passes: list[tuple[float, float, float]] = []  # (cpu, system, wall) of each pass
    for _ in range(1 if args.archive else args.passes):
        wall = time.perf_counter()
        cpu = _cpu()
        system = _sys()
        if args.archive:
            with tempfile.TemporaryDirectory() as tmp:
                options = EvidenceOptions(fetch=settings, archive_dir=Path(tmp))
                run = gather_evidence(urls, options, now=None)  # type: ignore[arg-type]
        else:
            holder: list[Any] = []
            kept.clear()

            async def main(holder: list[Any] = holder) -> None:
                holder.append(await Fetcher(settings, on_fetched=collect).fetch_all(urls))

            asyncio.run(main())
            run = holder[0]
        passes.append((_cpu() - cpu, _sys() - system, time.perf_counter() - wall))
    if profiler is not None:
        profiler.stop() if args.profile.endswith(".txt") else profiler.disable()
    # One pass: its figures; several: the cheapest after the first (which warms up).
    cpu, system, wall = min(passes[1:] or passes)
    if args.profile.endswith(".prof"):
        profiler.dump_stats(args.profile)
    elif args.profile:
        Path(args.profile).write_text(profiler.output_text(show_all=False), encoding="utf-8")
    right = 0
    for entry in manifest["urls"]:
        result = run.results.get(entry["url"])
        if result is not None and (result.verdict, result.reason) == (
            entry["verdict"],
            entry["reason"],
        ):
            right += 1
    print(
        json.dumps(
            {
                "urls": len(urls),
                "cpu_s": cpu,
                "sys_s": system,
                "wall_s": wall,
                "right": right,
                "passes_cpu_s": [p[0] for p in passes],
            },
        ),
        flush=True,
    )
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=5000)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--host-concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--passes",
        type=int,
        default=1,
        help="passes per process; with more than one, the cheapest after the first counts",
    )
    parser.add_argument("--src", action="append", default=[], help="a provenance package dir")
    parser.add_argument("--archive", action="store_true", help="gather_evidence with an archive")
    parser.add_argument(
        "--direct", action="store_true", help="also run httpx-direct's loop (the floor)"
    )
    parser.add_argument("--no-gc", action="store_true", help="the cyclic GC off (what it costs)")
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() after start-up, before the pass"
    )
    parser.add_argument("--gc-threshold", type=int, default=0, help="the GC's gen0 threshold")
    parser.add_argument(
        "--profile",
        default="",
        help="profile the last run: cProfile (.prof), pyinstrument (.txt), py-spy (.raw)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--manifest", default="", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        return _child(args)
    from bench.fetch.run import Servers, clean_manifest
    from bench.fetch.server import build_manifest

    servers = Servers(args.hosts, 1, seed=0, max_seconds=1800)
    try:
        manifest = clean_manifest(build_manifest(servers.bases, args.urls))
        sources = args.src or [""]
        if args.direct:
            sources = [*sources, _DIRECT]
        figures: dict[str, list[float]] = {src: [] for src in sources}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "manifest.json"
            path.write_text(json.dumps(manifest), encoding="utf-8")
            for index in range(args.runs + 1):  # the first round warms the server up
                for src in sources if index % 2 == 0 else list(reversed(sources)):
                    servers.reset(args.latency_ms)
                    child = ["--manifest", str(path), "--concurrency", str(args.concurrency)]
                    child += ["--host-concurrency", str(args.host_concurrency)]
                    if src == _DIRECT:
                        child.append("--direct")
                    if args.archive:
                        child.append("--archive")
                    child += ["--passes", str(args.passes)]
                    if args.no_gc:
                        child.append("--no-gc")
                    if args.gc_freeze:
                        child.append("--gc-freeze")
                    if args.gc_threshold:
                        child += ["--gc-threshold", str(args.gc_threshold)]
                    command = [sys.executable, "-m", "bench.fetch.passcpu", "--child", *child]
                    last = index == args.runs and src == (args.src or [""])[-1]
                    if args.profile.endswith(".raw") and last:
                        # py-spy's raw stacks: sampled, so small calls are not inflated.
                        spy = str(Path(sys.executable).with_name("py-spy"))
                        command = [spy, "record", "-r", "1000", "-f", "raw", "-o", args.profile]
                        command += ["--", sys.executable, "-m", "bench.fetch.passcpu"]
                        command += ["--child", *child]
                    elif args.profile and last:
                        command += ["--profile", args.profile]
                    package = (args.src or [""])[-1] if src == _DIRECT else src
                    paths = [package] if package else []
                    paths += [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]
                    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
                    # Not from the repository: ``python -m`` puts the working directory
                    # first on sys.path, and the tree's package would shadow ``src``.
                    out = subprocess.run(
                        command, env=env, cwd=tmp, capture_output=True, text=True, check=True
                    ).stdout
                    got = json.loads([x for x in out.splitlines() if x.startswith("{")][-1])
                    ms = 1000 * got["cpu_s"] / got["urls"]
                    if index:
                        figures[src].append(ms)
                    print(
                        f"{'warm-up' if not index else f'run {index}'} {src or 'tree'}: "
                        f"{ms:.3f} ms CPU/URL ({1000 * got['sys_s'] / got['urls']:.3f} system), "
                        f"{got['urls'] / got['wall_s']:.0f} URLs/s, "
                        f"{got['right']}/{got['urls']} right",
                        flush=True,
                    )
        for src, values in figures.items():
            if values:
                print(
                    f"{src or 'tree'}: median {statistics.median(values):.3f} ms CPU/URL "
                    f"({', '.join(f'{v:.3f}' for v in values)})"
                )
        floor = figures.get(_DIRECT)
        if floor:
            # Run by run (the same round, so the same load), then the median.
            for src, values in figures.items():
                if src != _DIRECT and values:
                    outside = [v - f for v, f in zip(values, floor, strict=True)]
                    print(
                        f"{src or 'tree'} outside httpx-direct: median "
                        f"{statistics.median(outside):.3f} ms CPU/URL "
                        f"({', '.join(f'{v:.3f}' for v in outside)})"
                    )
    finally:
        servers.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
