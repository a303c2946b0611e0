"""What ``provenance audit`` costs on top of ``provenance check``, measured side by side.

::

    python -m bench.audit.run [--urls 1000] [--claims-per-url 2] [--repeats 3] [--seed 0]

The loopback server of the fetch benchmark (:mod:`bench.fetch.server`, a child
process, two hosts) serves ``--urls`` URLs with its usual mix of outcomes (pages,
404s, redirects, soft 404s, 429s...). One Markdown article cites each URL from
``--claims-per-url`` claims. In this process, each repeat times in CPU seconds
(``time.process_time``, the server's work excluded):

* the **baseline**: ``run_check`` fetching every URL (``refresh``, archived into a
  fresh archive), which is what an audit does before it judges anything;
* the **first audit** of the same project into a fresh archive: the same fetches,
  plus the audit history, as-cited snapshots, quotes, drift and the best passage
  of each cited page for each claim;
* a **second audit** a week later (the clock is injected) on the archive the first
  one left, so every as-cited snapshot is an older one and drift is computed.

Figures are medians of the repeats and ratios to the baseline of the same repeat.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.fetch.run import Servers
from bench.fetch.server import build_manifest

_WORDS = [
    "council",
    "budget",
    "report",
    "survey",
    "study",
    "trial",
    "vaccine",
    "river",
    "harbour",
    "museum",
    "library",
    "lanes",
    "revenue",
    "profits",
    "cases",
    "deaths",
    "schools",
    "teachers",
    "prices",
    "rents",
    "wages",
    "exports",
    "imports",
]


def _project(root: Path, urls: list[str], claims_per_url: int, seed: int) -> None:
    rng = random.Random(seed)
    lines = ["---", "date: 2026-01-02", "---", "", "# Audit benchmark", ""]
    for key, _ in enumerate(urls, start=1):
        for _ in range(claims_per_url):
            words = " ".join(rng.choice(_WORDS) for _ in range(12))
            lines.append(f"The {words} rose sharply last year [{key}].")
            lines.append("")
    lines += ["## References", ""]
    lines += [f"{key}. {url}" for key, url in enumerate(urls, start=1)]
    (root / "article.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


async def _no_wait(seconds: float) -> None:
    return None


def _timed(run: Callable[[], object]) -> float:
    start = time.process_time()
    run()
    return time.process_time() - start


def _repeat(urls: list[str], args: argparse.Namespace) -> tuple[float, float, float]:
    from provenance.audit import run_audit
    from provenance.check import run_check
    from provenance.config import Settings
    from provenance.evidence import EvidenceOptions, FetchMode
    from provenance.fetch import FetchSettings

    fetch = FetchSettings(
        allow_private=True, recheck_delay_s=0, backoff_base_s=0, retry_after_max_s=0, refresh=True
    )
    settings = Settings(fetch=fetch)
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as work:
        root = Path(work)
        _project(root, urls, args.claims_per_url, args.seed)

        def evidence(name: str) -> EvidenceOptions:
            return EvidenceOptions(
                mode=FetchMode.LIVE, fetch=fetch, archive_dir=root / name, sleep=_no_wait
            )

        def at(day: int) -> Callable[[], dt.datetime]:
            return lambda: dt.datetime(2026, 1, day, 9, tzinfo=dt.UTC)

        check = _timed(
            lambda: run_check(["article.md"], root=root, settings=settings,
                              evidence=evidence("check"))
        )  # fmt: skip
        first = _timed(
            lambda: run_audit(["article.md"], root=root, settings=settings,
                              evidence=evidence("audit"), now=at(1))
        )  # fmt: skip
        second = _timed(
            lambda: run_audit(["article.md"], root=root, settings=settings,
                              evidence=evidence("audit"), now=at(8))
        )  # fmt: skip
    return check, first, second


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=1000)
    parser.add_argument("--claims-per-url", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    servers = Servers(hosts=2, procs=1, seed=args.seed, max_seconds=3600)
    try:
        urls = [u["url"] for u in build_manifest(servers.bases, args.urls, args.seed)["urls"]]
        runs = []
        for _ in range(args.repeats):
            servers.reset(0)
            runs.append(_repeat(urls, args))
    finally:
        servers.stop()
    check, first, second = (statistics.median(r[i] for r in runs) for i in range(3))
    claims = args.urls * args.claims_per_url
    print(f"{args.urls} URLs, {claims} claims, median of {args.repeats} (CPU seconds)\n")
    print("| run | CPU s | ms per URL | × check |")
    print("|---|---:|---:|---:|")
    for name, value in (("check (baseline)", check), ("first audit", first),
                        ("second audit, a week later", second)):  # fmt: skip
        print(f"| {name} | {value:.2f} | {value / args.urls * 1000:.2f} | {value / check:.2f} |")


if __name__ == "__main__":
    main()
