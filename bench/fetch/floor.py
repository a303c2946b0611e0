"""The wall-time floor of issue 3's fetch policy: what any client doing the same work shape gets.

Issue 3 asks ``provenance check`` for "a final re-check pass on failures before anything is
declared broken"; provenance re-checks each failure ``recheck_delay_s`` (1 s) after its own
failure. lychee re-checks nothing. This harness measures how fast a *bare aiohttp loop* checks
the clean benchmark corpus when it follows that policy and nothing else (no classification,
no archive, no cache, no report), so the ratio the aim asks for can be read against what the
policy itself allows:

* ``aiohttp-e2e``: a bare aiohttp loop over every URL, as a whole process (interpreter start
  and imports included, as the end-to-end ``provenance check`` is measured);
* ``aiohttp-recheck``: the same, plus one more GET of every URL provenance re-checks (the
  404s, 410s, soft 404s and redirects to a home page: not alive and not a final refusal),
  each ``--recheck-delay`` seconds after its failure, under the same global and per-host
  limits;
* ``lychee-clean``: lychee on the same corpus (``bench.fetch.baselines.run_lychee``);
* with ``--provenance-src DIR``, ``provenance-<delay>``: ``provenance check`` from that tree,
  end to end, with ``recheck_delay_s`` set to each delay in a ``provenance.toml`` (its
  verdicts scored against the manifest, as ``bench.fetch.run`` scores them).

Which URLs are re-checked comes from the server's manifest (the floor client does not
classify pages). Run from the repository root::

    python -m bench.fetch.floor --urls 5000 --latency-ms 0,30 --repeats 3 --recheck-delays 1,0 \
        [--provenance-src DIR]

Wrap it in ``flock /tmp/bench.lock`` on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.fetch.baselines import run_lychee
from bench.fetch.corpus import generate_corpus
from bench.fetch.measure import run_measured, score_verdicts
from bench.fetch.run import (
    REPO_ROOT,
    Servers,
    check_arguments,
    clean_manifest,
    provenance_env,
    provenance_verdicts,
)
from bench.fetch.server import build_manifest

__all__ = ["RECHECKED_KINDS", "main"]

#: Manifest kinds provenance fetches a second time before reporting them: not alive, and
#: not a refusal that says nothing new on a second look (403 is final).
RECHECKED_KINDS = frozenset({"not-found", "gone", "soft-404", "to-home"})


async def _policy_loop(
    urls: list[tuple[str, bool]], *, concurrency: int, per_host: int, recheck_delay_s: float
) -> dict[str, Any]:
    """GET every URL with ``concurrency`` slots (``per_host`` per host); re-check as told."""
    import aiohttp  # imported here: the child's start-up is part of what is measured

    slots = asyncio.Semaphore(concurrency)
    hosts: dict[str, asyncio.Semaphore] = {}
    statuses: dict[int, int] = {}
    pending: list[asyncio.Task[None]] = []
    t0 = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=per_host)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def get(url: str) -> None:
            host = url.split("/", 3)[2]
            gate = hosts.setdefault(host, asyncio.Semaphore(per_host))
            async with slots, gate, session.get(url) as response:
                await response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1

        async def recheck(url: str) -> None:
            await asyncio.sleep(recheck_delay_s)
            await get(url)

        queue = iter(urls)

        async def worker() -> None:
            for url, rechecked in queue:
                await get(url)
                if rechecked and recheck_delay_s >= 0:
                    pending.append(asyncio.ensure_future(recheck(url)))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        first_pass_s = time.perf_counter() - t0
        await asyncio.gather(*pending)
    return {
        "loop_s": time.perf_counter() - t0,
        "first_pass_s": first_pass_s,
        "requests": sum(statuses.values()),
        "rechecks": len(pending),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.fetch.floor --child")
    parser.add_argument("urls_file", type=Path)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--host-concurrency", type=int, default=16)
    parser.add_argument("--recheck-delay", type=float, default=-1.0, help="-1: no re-check")
    args = parser.parse_args(argv)
    spec = json.loads(args.urls_file.read_text())
    result = asyncio.run(
        _policy_loop(
            [(u, bool(r)) for u, r in spec["urls"]],
            concurrency=args.concurrency,
            per_host=args.host_concurrency,
            recheck_delay_s=args.recheck_delay,
        )
    )
    print(json.dumps(result))
    return 0


def _run_provenance(
    corpus: Path, manifest: dict[str, Any], src: Path, delay: float, work: Path, args: Any
) -> tuple[float, str]:
    """``provenance check`` on ``corpus`` with ``recheck_delay_s = delay``: (seconds, score)."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=work))  # no cache survives a run
    (home / "provenance.toml").write_text(f"[fetch]\nrecheck_delay_s = {delay}\n")
    env = provenance_env({"HOME": str(home)}, src=src.resolve())
    arguments = check_arguments(args.concurrency, args.host_concurrency, "-")
    cmd = [sys.executable, "-m", "provenance", *arguments, "--quiet", str(corpus)]
    proc = run_measured(cmd, timeout_s=300, cwd=home, env=env)
    score = score_verdicts(manifest, provenance_verdicts(json.loads(proc.stdout)))
    return proc.elapsed_s, f"{score.verdict_ok}/{score.total}"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--urls", type=int, default=5000, help="URLs on the server (default 5000)")
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--latency-ms", default="0,30", help="comma list (default 0,30)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--host-concurrency", type=int, default=16)
    parser.add_argument(
        "--recheck-delays", default="1", help="comma list of re-check delays, seconds (default 1)"
    )
    parser.add_argument(
        "--provenance-src", type=Path, help="also measure `provenance check` from this tree"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Measure the three clients at each latency; print a Markdown table."""
    args = _parse(argv)
    latencies = [float(x) for x in args.latency_ms.split(",") if x.strip()]
    rows: dict[tuple[float, str], list[float]] = {}
    details: dict[tuple[float, str], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        work = Path(tmp)
        servers = Servers(args.hosts, 1, args.seed, 3600)
        try:
            clean = clean_manifest(build_manifest(servers.bases, args.urls, args.seed))
            urls_file = work / "urls.json"
            entries = [[u["url"], u["kind"] in RECHECKED_KINDS] for u in clean["urls"]]
            urls_file.write_text(json.dumps({"urls": entries}))
            corpus = work / "corpus-clean"
            generate_corpus([u["url"] for u in clean["urls"]], corpus, seed=args.seed)
            n = len(entries)
            child = [sys.executable, "-m", "bench.fetch.floor", "--child", str(urls_file)]
            limits = ["--concurrency", str(args.concurrency)]
            limits += ["--host-concurrency", str(args.host_concurrency)]
            delays = [float(x) for x in args.recheck_delays.split(",") if x.strip()]
            clients = {"aiohttp-e2e": [*child, *limits]}
            for delay in delays:
                clients[f"aiohttp-recheck-{delay:g}s"] = [
                    *child,
                    *limits,
                    "--recheck-delay",
                    str(delay),
                ]
            for latency in latencies:
                for _ in range(args.repeats):
                    for name, cmd in clients.items():
                        servers.reset(latency)
                        proc = run_measured(cmd, timeout_s=300, cwd=REPO_ROOT)
                        rows.setdefault((latency, name), []).append(n / proc.elapsed_s)
                        details[(latency, name)] = json.loads(proc.stdout.strip().splitlines()[-1])
                    for delay in delays if args.provenance_src else []:
                        servers.reset(latency)
                        name = f"provenance-{delay:g}s"
                        elapsed, score = _run_provenance(
                            corpus, clean, args.provenance_src, delay, work, args
                        )
                        rows.setdefault((latency, name), []).append(n / elapsed)
                        details[(latency, name)] = {"verdicts": score}
                    servers.reset(latency)
                    lychee, verdicts, note = run_lychee(
                        corpus,
                        concurrency=args.concurrency,
                        host_concurrency=args.host_concurrency,
                        timeout_s=300,
                        cwd=work,
                    )
                    if verdicts is None:
                        print(f"lychee skipped: {note}")
                    else:
                        rows.setdefault((latency, "lychee-clean"), []).append(n / lychee.elapsed_s)
        finally:
            servers.stop()
    print(
        f"{n} URLs (clean corpus), concurrency {args.concurrency}, {args.host_concurrency} per "
        f"host; whole processes; URLs/s median (best) of "
        f"{args.repeats}\n"
    )
    print("| latency | client | URLs/s | × lychee-clean | requests | first pass s | loop s |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    names = list(dict.fromkeys(name for _, name in rows))
    for latency in latencies:
        lychee_rates = rows.get((latency, "lychee-clean"))
        lychee_median = statistics.median(lychee_rates) if lychee_rates else 0.0
        for name in sorted(names, key=lambda x: (x != "lychee-clean", x)):
            rates = rows.get((latency, name))
            if not rates:
                continue
            median = statistics.median(rates)
            ratio = f"{median / lychee_median:.2f}" if lychee_median else ""
            got = details.get((latency, name), {})
            timing = (
                f"{got['first_pass_s']:.2f} | {got['loop_s']:.2f}" if "loop_s" in got else " | "
            )
            requests = got.get("requests", got.get("verdicts", ""))
            print(
                f"| {latency:g} ms | {name} | {median:,.0f} ({max(rates):,.0f}) | {ratio} | "
                f"{requests} | {timing} |"
            )
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        raise SystemExit(_child(sys.argv[2:]))
    raise SystemExit(main())
