"""The common fetch loop every Python client runs, and the child-process entry point.

A candidate is a *factory*: called inside a running event loop with the host
roots and the concurrency, it returns a :class:`Fetcher` whose ``fetch(url)``
GETs one URL, follows redirects, reads the whole body and returns
``(final_status, body_bytes)``. :func:`run_loop` drives it with exactly
``concurrency`` workers pulling from one list of URLs until the list is done
or the deadline passes, and measures wall time and CPU time
(``time.process_time``) of the loop alone.

Each candidate runs in a fresh interpreter so peak RSS and CPU are its own::

    python -m bench.fetch.loop --candidate aiohttp --urls-file urls.json --concurrency 64

prints one JSON object (see :class:`LoopResult`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

__all__ = [
    "CANDIDATES",
    "ON_UVLOOP",
    "Fetcher",
    "FetcherFactory",
    "LoopResult",
    "get_factory",
    "host_of",
    "run_loop",
]

#: Per-request timeout every candidate uses (connect, read, pool), seconds.
REQUEST_TIMEOUT_S = 30.0


class Fetcher(Protocol):
    """One client under test."""

    async def fetch(self, url: str) -> tuple[int, int]:
        """GET ``url`` following redirects, read the full body; return (status, body bytes)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


FetcherFactory = Callable[[list[str], int], Fetcher]

#: Candidate name -> "module:function" of its factory, in table order.
CANDIDATES: dict[str, str] = {
    "aiohttp": "bench.fetch.baselines:bare_aiohttp",
    "httpx-default": "bench.fetch.transports:httpx_default",
    "httpx-limits64": "bench.fetch.transports:httpx_limits",
    "httpx-per-host": "bench.fetch.transports:httpx_per_host",
    "httpx-shards8": "bench.fetch.transports:httpx_shards",
    "httpx-fastpool": "bench.fetch.transports:httpx_fastpool",
    "httpx-direct": "bench.fetch.transports:httpx_direct",
    "httpx-aiohttp": "bench.fetch.transports:httpx_aiohttp",
    "httpx-aiohttp-safe": "bench.fetch.transports:httpx_aiohttp_safe",
    "httpx-aiohttp-tuned": "bench.fetch.transports:httpx_aiohttp_tuned",
    "aiohttp-uvloop": "bench.fetch.baselines:bare_aiohttp",
    "httpx-direct-uvloop": "bench.fetch.transports:httpx_direct",
}

#: Candidates that run on uvloop's event loop; every other one runs on asyncio's (the
#: bare aiohttp baseline stays on asyncio's loop, as issue 3 defines it).
ON_UVLOOP = frozenset({"aiohttp-uvloop", "httpx-direct-uvloop"})


def get_factory(name: str) -> FetcherFactory:
    """Import and return the factory registered as ``name``."""
    module_name, _, attr = CANDIDATES[name].partition(":")
    factory: FetcherFactory = getattr(importlib.import_module(module_name), attr)
    return factory


def host_of(url: str) -> str:
    """``host:port`` of an absolute http URL, without parsing the whole URL."""
    return url.split("/", 3)[2]


@dataclass
class LoopResult:
    """What one candidate's loop measured (all times in seconds)."""

    candidate: str
    urls: int
    done: int
    elapsed_s: float
    cpu_s: float
    peak_rss_mib: float
    rss_before_mib: float
    status_match: int
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    partial: bool = False

    @property
    def urls_per_s(self) -> float:
        """Completed URLs per second of wall time."""
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0


def _vm_hwm_mib() -> float:
    """This process's peak RSS (``VmHWM``; ``ru_maxrss`` would include the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run_loop(
    name: str,
    factory: FetcherFactory,
    urls: list[tuple[str, int]],
    *,
    hosts: list[str],
    concurrency: int,
    max_seconds: float,
) -> LoopResult:
    """Fetch every ``(url, expected_status)`` with ``concurrency`` workers; measure.

    Workers stop taking new URLs once ``max_seconds`` have passed; the result is
    then ``partial`` and its rate counts only the completed URLs.
    """
    fetcher = factory(hosts, concurrency)
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    match = 0
    done = 0
    next_index = 0
    rss_before = _rss_mib()
    t0 = time.perf_counter()
    c0 = time.process_time()
    deadline = t0 + max_seconds

    async def worker() -> None:
        nonlocal next_index, done, match
        while next_index < len(urls) and time.perf_counter() < deadline:
            url, expected = urls[next_index]
            next_index += 1
            try:
                status, _size = await fetcher.fetch(url)
            except Exception as exc:
                errors[type(exc).__name__] += 1
                statuses["error"] += 1
            else:
                statuses[str(status)] += 1
                match += status == expected
            done += 1

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        await fetcher.aclose()
    peak = _vm_hwm_mib()
    return LoopResult(
        candidate=name,
        urls=len(urls),
        done=done,
        elapsed_s=elapsed,
        cpu_s=cpu,
        peak_rss_mib=peak,
        rss_before_mib=rss_before,
        status_match=match,
        statuses=dict(statuses),
        errors=dict(errors),
        partial=done < len(urls),
    )


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one candidate's fetch loop; print JSON.")
    parser.add_argument("--candidate", required=True, choices=sorted(CANDIDATES))
    parser.add_argument(
        "--urls-file", type=Path, required=True, help="JSON: {hosts, urls: [[url, status]]}"
    )
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    args = parser.parse_args(argv)
    spec = json.loads(args.urls_file.read_text())
    factory = get_factory(args.candidate)
    if args.candidate in ON_UVLOOP:
        import uvloop

        loop_factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    else:
        loop_factory = asyncio.SelectorEventLoop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        result = runner.run(
            run_loop(
                args.candidate,
                factory,
                [(u, int(s)) for u, s in spec["urls"]],
                hosts=spec["hosts"],
                concurrency=args.concurrency,
                max_seconds=args.max_seconds,
            )
        )
    print(json.dumps({**asdict(result), "urls_per_s": result.urls_per_s}))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
