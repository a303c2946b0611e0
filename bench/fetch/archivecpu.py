"""CPU of the archive process per URL, on recorded fetches of the clean corpus.

Big runs of ``provenance check`` archive in a process of their own
(``provenance.archive.worker``), fed batches of fetches over a pipe. This measures that
process alone, with the network taken out: the fetches of the bench's clean corpus are
recorded once (real exchanges from the loopback servers, batched as the fetcher's
archiver batches them), then replayed into a fresh archive process of each package
being compared, in turns, so every package sees the same bytes::

    # record 4,700 fetches (the clean corpus of 5,000 URLs) once
    python -m bench.fetch.archivecpu record --urls 5000 --out /tmp/fetches.pickle
    # replay them: CPU per URL (distinct URL; rechecks count in) of the archive process,
    # per package, in alternation
    python -m bench.fetch.archivecpu compare /tmp/fetches.pickle \
        --src before=/tmp/s9a-before --src after=/tmp/s9a-after --repeats 3
    # one replay in this process (for cProfile or valgrind --tool=callgrind; instructions
    # of N batches minus those of --batches 0)
    python -m bench.fetch.archivecpu replay /tmp/fetches.pickle --in-process [--batches N]

``compare`` runs ``replay`` in a child process per package and repeat (``PYTHONPATH``
= that package first). A replay starts the package's ``ArchiveWorker`` on a new archive
in a temporary directory, hands it every batch with ``record_many``, closes it, and
reports the worker's user and system CPU (``RUSAGE_CHILDREN`` of the replaying process,
whose only child it is) and the replaying process's own CPU spent sending batches (the
fetching process's share of the protocol). ``--in-process`` does the worker's side in
the replaying process instead: each batch is pickled and unpickled as the pipe would,
then handed to ``SnapshotStore.record_many``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
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
BATCH_FETCHES = 256  # provenance.evidence.ARCHIVE_BATCH_FETCHES


def _record(args: argparse.Namespace) -> int:
    from bench.fetch.run import Servers, clean_manifest
    from bench.fetch.server import build_manifest
    from provenance.fetch import Fetcher
    from provenance.fetch.settings import FetchSettings

    servers = Servers(args.hosts, 1, args.seed, 600.0)
    items: list[tuple[Any, tuple[Any, ...]]] = []
    try:
        manifest = clean_manifest(build_manifest(servers.bases, args.urls, args.seed))
        servers.reset(args.latency_ms)
        urls = [u["url"] for u in manifest["urls"]]
        settings = FetchSettings(
            allow_private=True, concurrency=64, host_concurrency=16, host_interval_ms=0
        )

        def on_fetched(result: Any, exchanges: Any) -> Any:
            items.append((result, tuple(exchanges)))
            return result

        async def go() -> None:
            fetcher = Fetcher(settings, on_fetched=on_fetched)
            await fetcher.fetch_all(urls)

        asyncio.run(go())
    finally:
        servers.stop()
    batches = [items[i : i + BATCH_FETCHES] for i in range(0, len(items), BATCH_FETCHES)]
    with args.out.open("wb") as out:
        pickle.dump(batches, out, protocol=pickle.HIGHEST_PROTOCOL)
    body_bytes = sum(len(e.body) for _, exchanges in items for e in exchanges)
    print(
        f"{len(items)} fetches ({sum(len(x) for _, x in items)} exchanges, "
        f"{body_bytes / 1e6:.1f} MB of bodies) in {len(batches)} batches -> {args.out}"
    )
    return 0


def _replay(args: argparse.Namespace) -> int:
    import provenance

    with args.recorded.open("rb") as f:
        batches: list[list[Any]] = pickle.load(f)
    if args.batches is not None:
        batches = batches[: args.batches]
    fetches = sum(len(b) for b in batches)
    urls = len({result.normalized_url for batch in batches for result, _ in batch})
    with tempfile.TemporaryDirectory(prefix="bench-archivecpu-", dir=args.tmp) as tmp:
        root = Path(tmp) / "archive"
        if args.in_process:
            from provenance.archive.store import SnapshotStore

            store = SnapshotStore(root, run_id="bench")
            store.open()
            from provenance.archive import worker

            if hasattr(worker, "tune_gc"):
                worker.tune_gc()  # as the archive process does once the store is open
            t0 = time.perf_counter()
            c0 = resource.getrusage(resource.RUSAGE_SELF)
            for batch in batches:
                store.record_many(pickle.loads(pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)))
            store.close()
            c1 = resource.getrusage(resource.RUSAGE_SELF)
            wall = time.perf_counter() - t0
            worker_user, worker_sys = c1.ru_utime - c0.ru_utime, c1.ru_stime - c0.ru_stime
            sender = 0.0
        else:
            from provenance.archive.worker import ArchiveWorker

            t0 = time.perf_counter()
            s0 = resource.getrusage(resource.RUSAGE_SELF)
            worker = ArchiveWorker.start(root, "bench")
            for batch in batches:
                worker.record_many(batch)
            worker.close()
            s1 = resource.getrusage(resource.RUSAGE_SELF)
            wall = time.perf_counter() - t0
            child = resource.getrusage(resource.RUSAGE_CHILDREN)
            worker_user, worker_sys = child.ru_utime, child.ru_stime
            sender = (s1.ru_utime + s1.ru_stime) - (s0.ru_utime + s0.ru_stime)
        print(
            json.dumps(
                {
                    "package": str(Path(provenance.__file__).parent),
                    "fetches": fetches,
                    "urls": urls,
                    "wall_s": wall,
                    "worker_user_s": worker_user,
                    "worker_sys_s": worker_sys,
                    "sender_s": sender,
                }
            )
        )
    return 0


def _compare(args: argparse.Namespace) -> int:
    sources: list[tuple[str, Path]] = []
    for spec in args.src:
        name, _, path = spec.partition("=")
        sources.append((name, Path(path).resolve()))
    runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in sources}
    for repeat in range(args.repeats):
        order = sources if repeat % 2 == 0 else sources[::-1]
        for name, src in order:
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(src), str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
            )
            recorded = str(args.recorded.resolve())
            cmd = [sys.executable, "-m", "bench.fetch.archivecpu", "replay", recorded]
            if args.tmp:
                cmd += ["--tmp", str(args.tmp.resolve())]
            if args.taskset is not None:
                cmd = ["taskset", "-c", args.taskset, *cmd]
            # Not from the repository root: ``python -m`` puts the working directory
            # first on sys.path, ahead of PYTHONPATH, and would import its provenance.
            proc = subprocess.run(
                cmd, capture_output=True, text=True, env=env, cwd=tempfile.gettempdir(), check=False
            )
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
            run = json.loads(proc.stdout.strip().splitlines()[-1])
            runs[name].append(run)
            n = run["urls"]
            print(
                f"repeat {repeat + 1} {name}: archive process "
                f"{1000 * (run['worker_user_s'] + run['worker_sys_s']) / n:.3f} ms/URL "
                f"(user {1000 * run['worker_user_s'] / n:.3f}, "
                f"sys {1000 * run['worker_sys_s'] / n:.3f}); sender "
                f"{1000 * run['sender_s'] / n:.3f} ms/URL; wall {run['wall_s']:.2f} s "
                f"({run['package']})",
                flush=True,
            )
    print("\n| package | archive process ms/URL | user | system | sender ms/URL | wall s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, _ in sources:
        rs = runs[name]
        n = rs[0]["urls"]

        def med(key: str, rs: list[dict[str, float]] = rs, n: int = n) -> float:
            return 1000 * statistics.median(r[key] for r in rs) / n

        total = 1000 * statistics.median(r["worker_user_s"] + r["worker_sys_s"] for r in rs) / n
        wall = statistics.median(r["wall_s"] for r in rs)
        print(
            f"| {name} | {total:.3f} | {med('worker_user_s'):.3f} | {med('worker_sys_s'):.3f} "
            f"| {med('sender_s'):.3f} | {wall:.2f} |"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Record fetches, replay them into an archive process, or compare packages."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="fetch the clean corpus once and keep the batches")
    rec.add_argument("--urls", type=int, default=5000)
    rec.add_argument("--hosts", type=int, default=4)
    rec.add_argument("--latency-ms", type=float, default=0.0)
    rec.add_argument("--seed", type=int, default=0)
    rec.add_argument("--out", type=Path, required=True)
    rep = sub.add_parser("replay", help="archive the recorded batches once; print JSON")
    rep.add_argument("recorded", type=Path)
    rep.add_argument("--in-process", action="store_true")
    rep.add_argument("--batches", type=int, help="replay only the first N batches")
    rep.add_argument("--tmp", type=Path, help="where the temporary archive goes")
    cmp_ = sub.add_parser("compare", help="replay into each package's archive process")
    cmp_.add_argument("recorded", type=Path)
    cmp_.add_argument("--src", action="append", required=True, help="NAME=DIR (repeatable)")
    cmp_.add_argument("--repeats", type=int, default=3)
    cmp_.add_argument("--tmp", type=Path)
    cmp_.add_argument("--taskset", help="CPU list for taskset -c (e.g. 1)")
    args = parser.parse_args(argv)
    if args.command == "record":
        return _record(args)
    if args.command == "replay":
        return _replay(args)
    return _compare(args)


if __name__ == "__main__":
    raise SystemExit(main())
