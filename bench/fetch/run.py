"""One command for the whole fetch benchmark; prints Markdown tables.

::

    python -m bench.fetch.run --urls 5000 --hosts 4 --latency-ms 0,30 --concurrency 64 \
        --repeats 3 [--provenance] [--probes] [--no-lychee] [--candidates aiohttp,httpx-aiohttp]

Starts the loopback server (a child process that dies with this one and after
``--max-total-seconds`` at the latest), writes the manifest and a Markdown corpus
into a temporary directory, then for every latency and repeat runs each client
in its own process, in a rotated order, against a freshly reset server:

* the Python loops of :mod:`bench.fetch.loop` (bare aiohttp and the httpx candidates),
* lychee on the corpus and on the *clean* corpus (unless ``--no-lychee``),
* with ``--provenance``: ``provenance check --allow-private --concurrency C
  --host-concurrency H --host-interval 0 --format json -o - CORPUS`` on the clean
  corpus (``provenance-clean``, every repeat) and, once, on a ``--provenance-sample``
  of the full mix (``provenance``); skipped with a message when ``provenance check``
  is missing, lacks those options or does not print a JSON report. Also
  ``provenance-aiohttp-clean``: the same command through :mod:`bench.fetch.provshim`,
  which gives provenance's fetcher the recommended aiohttp transport.

The *clean* corpus leaves out the 429-then-200 and 500-then-200 URLs: lychee and
provenance both slow a host down for the rest of the run after it answers 429
(or 5xx), so on the full mix their URLs/s measure pacing, not fetching.

A warm-up pass (not recorded) lets the server build and cache every page first.
Ratios are to the bare-aiohttp loop *of the same repeat* (then the median over
repeats), so machine noise that hits a whole repeat cancels out. Results are
also written as JSON (``--out``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.fetch.baselines import run_lychee
from bench.fetch.corpus import generate_corpus
from bench.fetch.loop import CANDIDATES
from bench.fetch.measure import ProcResult, Score, cpu_seconds_of, run_measured, score_verdicts
from bench.fetch.server import build_manifest

__all__ = ["Run", "main"]

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    """One client's run at one latency in one repeat."""

    client: str
    latency_ms: float
    repeat: int
    urls: int
    done: int = 0
    elapsed_s: float = 0.0
    cpu_s: float = 0.0
    # provenance only (bench.fetch.selfcpu): the command's own CPU, without its children.
    own_cpu_s: float | None = None
    children_cpu_s: float = 0.0  # of cpu_s: the process's children (provenance's archive)
    peak_rss_mib: float = 0.0
    server_cpu_s: float = 0.0
    server_requests: int = 0
    server_get_bodies: int = 0
    correct: float | None = None  # percent: status match (loops) or verdict match (checkers)
    partial: bool = False
    skipped: str = ""
    errors: dict[str, int] = field(default_factory=dict)
    score: dict[str, Any] | None = None

    @property
    def urls_per_s(self) -> float:
        """Completed URLs per wall-clock second."""
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def cpu_ms_per_url(self) -> float:
        """Client CPU milliseconds per completed URL."""
        return 1000.0 * self.cpu_s / self.done if self.done else 0.0

    @property
    def own_cpu_ms_per_url(self) -> float | None:
        """The fetching process's own CPU milliseconds per URL (provenance rows only)."""
        if self.own_cpu_s is None or not self.done:
            return None
        return 1000.0 * self.own_cpu_s / self.done


# ------------------------------------------------------------------------------ server


class Servers:
    """The loopback server processes: started here, stopped on exit (or by themselves)."""

    def __init__(
        self, hosts: int, procs: int, seed: int, max_seconds: float, loop: str = "asyncio"
    ) -> None:
        addresses = [f"127.0.0.{i + 1}" for i in range(hosts)]
        procs = max(1, min(procs, hosts))
        groups = [addresses[i::procs] for i in range(procs)]
        self.procs: list[subprocess.Popen[bytes]] = []
        self.control: list[str] = []  # one base URL per process, for control requests
        base_of: dict[str, str] = {}
        for group in groups:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.fetch.server",
                    "--host-list",
                    ",".join(group),
                    "--seed",
                    str(seed),
                    "--max-seconds",
                    str(max_seconds),
                    "--exit-on-eof",
                    "--loop",
                    loop,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=REPO_ROOT,
            )
            self.procs.append(proc)
            assert proc.stdout is not None
            ready, _, _ = select.select([proc.stdout], [], [], 20)
            if not ready:
                self.stop()
                raise RuntimeError("the benchmark server did not start within 20 s")
            bases = json.loads(proc.stdout.readline())["bases"]
            self.control.append(bases[0])
            for address, base in zip(group, bases, strict=True):
                base_of[address] = base
        self.bases = [base_of[a] for a in addresses]

    def _get(self, base: str, path: str) -> dict[str, Any]:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            data: dict[str, Any] = json.loads(response.read())
            return data

    def reset(self, latency_ms: float) -> None:
        """Forget first failures and counters; set the latency on every process."""
        for base in self.control:
            self._get(base, f"/__bench/reset?latency_ms={latency_ms}")

    def stats(self) -> tuple[int, int]:
        """(requests, GET/HEAD requests that carried a body) since the last reset."""
        stats = [self._get(b, "/__bench/stats") for b in self.control]
        return sum(int(s["requests"]) for s in stats), sum(int(s["get_with_body"]) for s in stats)

    def cpu_s(self) -> float:
        """CPU seconds used so far by all server processes."""
        return sum(cpu_seconds_of(p.pid) for p in self.procs)

    def stop(self) -> None:
        """Close stdin (the servers exit on EOF); kill what has not exited in 5 s."""
        for proc in self.procs:
            with contextlib.suppress(Exception):
                assert proc.stdin is not None
                proc.stdin.close()
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


# ----------------------------------------------------------------------------- runners


def _run_loop(name: str, urls_file: Path, args: argparse.Namespace, run: Run) -> None:
    proc = run_measured(
        [
            sys.executable,
            "-m",
            "bench.fetch.loop",
            "--candidate",
            name,
            "--urls-file",
            str(urls_file),
            "--concurrency",
            str(args.concurrency),
            "--max-seconds",
            str(args.max_seconds),
        ],
        timeout_s=args.max_seconds + 60,
        cwd=REPO_ROOT,
    )
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        run.skipped = f"failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
        return
    run.done = data["done"]
    run.elapsed_s = data["elapsed_s"]
    run.cpu_s = data["cpu_s"]
    run.peak_rss_mib = data["peak_rss_mib"]  # the child's own VmHWM
    run.partial = data["partial"]
    run.errors = data["errors"]
    run.correct = 100.0 * data["status_match"] / max(1, data["done"])


def _apply_score(run: Run, proc: ProcResult, score: Score, n_urls: int) -> None:
    run.done = n_urls
    run.elapsed_s = proc.elapsed_s
    run.cpu_s = proc.cpu_s
    run.children_cpu_s = sum(proc.children_cpu_s.values())
    run.peak_rss_mib = proc.peak_rss_mib
    run.partial = proc.timed_out
    run.correct = score.verdict_pct
    run.score = {
        "verdict_ok": score.verdict_ok,
        "reason_ok": score.reason_ok,
        "answered": score.answered,
        "total": score.total,
        "by_kind": score.by_kind,
        "confusions": score.confusions,
    }


def _run_lychee(
    corpus: Path, manifest: dict[str, Any], args: argparse.Namespace, run: Run, work: Path
) -> None:
    proc, verdicts, note = run_lychee(
        corpus,
        concurrency=args.concurrency,
        host_concurrency=args.host_concurrency,
        timeout_s=args.max_seconds + 60,
        cwd=work,
    )
    if verdicts is None:
        run.skipped = note
        return
    run.urls = manifest["n_urls"]
    _apply_score(run, proc, score_verdicts(manifest, verdicts), manifest["n_urls"])


#: URL kinds that make a retrying checker wait or back off (lychee slows the host down).
RETRY_KINDS = frozenset({"rate-limited-once", "server-error-once"})


def clean_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest without the 429-then-200 and 500-then-200 URLs."""
    urls = [u for u in manifest["urls"] if u["kind"] not in RETRY_KINDS]
    return {**manifest, "urls": urls, "n_urls": len(urls)}


def sample_manifest(manifest: dict[str, Any], n_urls: int) -> dict[str, Any]:
    """The first ``n_urls`` URLs (every kind in its exact share when a multiple of 100)."""
    urls = manifest["urls"][: n_urls or None]
    return {**manifest, "urls": urls, "n_urls": len(urls)}


#: ``--provenance-src``: a directory holding a ``provenance`` package to measure instead.
PROVENANCE_SRC: Path | None = None
#: ``--provenance-before-src``: an earlier ``provenance`` package, measured in the same run
#: as ``provenance-before-clean`` (before/after figures beside the same baselines).
PROVENANCE_BEFORE_SRC: Path | None = None


def check_arguments(concurrency: int, host_concurrency: int, output: str) -> list[str]:
    """``provenance check`` as every fetch benchmark runs it: the limits given, no host
    interval, the JSON report to ``output``; the caller adds options and the corpus."""
    return [
        "check",
        "--allow-private",
        "--concurrency",
        str(concurrency),
        "--host-concurrency",
        str(host_concurrency),
        "--host-interval",
        "0",
        "--format",
        "json",
        "-o",
        output,
    ]


def provenance_command(src: Path | None = None) -> list[str]:
    """How to invoke provenance: the console script if installed, else ``python -m``.

    With ``--provenance-src`` (or ``src``) it is always ``python -m provenance`` (and
    :func:`provenance_env` puts that directory first on ``PYTHONPATH``).
    """
    found = None if (src or PROVENANCE_SRC) else shutil.which("provenance")
    return [found] if found else [sys.executable, "-m", "provenance"]


def provenance_env(extra: dict[str, str] | None = None, src: Path | None = None) -> dict[str, str]:
    """The environment provenance runs in: ``src`` or ``--provenance-src``, then the repository."""
    src = src or PROVENANCE_SRC
    paths = [str(src)] if src else []
    paths += [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, **(extra or {}), "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


#: Options the end-to-end command needs; the mode is skipped until ``check`` has them all.
PROVENANCE_OPTIONS = ("--allow-private", "--concurrency", "--host-concurrency", "--host-interval")


def provenance_available() -> tuple[bool, str, str]:
    """(usable, why not, help text) for ``provenance check``."""
    try:
        proc = subprocess.run(
            [*provenance_command(), "check", "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO_ROOT,
            env=provenance_env(),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"cannot run provenance: {exc}", ""
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
        return False, f"`provenance check --help` exited {proc.returncode}: {detail[0]}", ""
    missing = [opt for opt in PROVENANCE_OPTIONS if opt not in proc.stdout]
    if missing:
        return False, f"`provenance check` has no {', '.join(missing)} option yet", proc.stdout
    return True, "", proc.stdout


def provenance_verdicts(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """url -> (verdict, reason) from the JSON report's top-level ``sources`` list."""
    got: dict[str, tuple[str, str]] = {}
    for source in report.get("sources") or []:
        value = (str(source.get("verdict", "")), str(source.get("reason", "")))
        for key in ("url", "normalized_url", "final_url"):
            url = source.get(key)
            if isinstance(url, str) and url:
                got.setdefault(url, value)
                got.setdefault(url.rstrip("/"), value)
    return got


def _run_provenance(
    corpus: Path,
    manifest: dict[str, Any],
    args: argparse.Namespace,
    run: Run,
    work: Path,
    help_text: str,
    *,
    shim: bool = False,
    src: Path | None = None,
) -> None:
    """``provenance check`` on ``corpus``; with ``shim``, on the recommended transport.

    ``src``: measure the ``provenance`` package under this directory instead.
    """
    home = Path(tempfile.mkdtemp(prefix="home-", dir=work))  # no cache survives a run
    env = provenance_env(
        {
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_DATA_HOME": str(home / ".local/share"),
            "XDG_CONFIG_HOME": str(home / ".config"),
        },
        src=src,
    )
    own_cpu = home / "own-cpu.json"
    if shim:
        program = [sys.executable, "-m", "bench.fetch.provshim"]
    else:
        # python -m provenance, recording its own CPU apart from the archive process's.
        program = [sys.executable, "-m", "bench.fetch.selfcpu", str(own_cpu)]
    cmd = [*program, *check_arguments(args.concurrency, args.host_concurrency, "-")]
    if "--no-cache" in help_text:
        cmd.append("--no-cache")
    if "--quiet" in help_text:
        cmd.append("--quiet")  # no progress bar on stderr
    cmd.append(str(corpus))
    proc = run_measured(cmd, timeout_s=args.provenance_timeout, cwd=home, env=env)
    try:
        report = json.loads(proc.stdout)
        if not isinstance(report, dict) or not isinstance(report.get("sources"), list):
            raise ValueError("no top-level `sources` list")
    except ValueError as exc:
        tail = proc.stderr.strip()[-300:]
        run.skipped = (
            f"provenance check gave no JSON report (exit {proc.returncode}, {exc}): {tail}"
        )
        return
    run.urls = manifest["n_urls"]
    _apply_score(
        run, proc, score_verdicts(manifest, provenance_verdicts(report)), manifest["n_urls"]
    )
    if own_cpu.exists():
        run.own_cpu_s = float(json.loads(own_cpu.read_text())["self_s"])


# ------------------------------------------------------------------------------ report


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _owns(runs: list[Run]) -> list[float]:
    return [own for r in runs if (own := r.own_cpu_ms_per_url) is not None]


def summarize(runs: list[Run], clients: list[str], latencies: list[float]) -> list[dict[str, Any]]:
    """One row per (latency, client): medians, bests and ratios to same-repeat aiohttp."""
    rows = []
    for latency in latencies:
        base = {
            r.repeat: r
            for r in runs
            if r.client == "aiohttp" and r.latency_ms == latency and not r.skipped
        }
        for client in clients:
            mine = [r for r in runs if r.client == client and r.latency_ms == latency]
            ok = [r for r in mine if not r.skipped]
            if not mine:
                continue  # not run at this latency (the full-mix provenance runs once)
            if not ok:
                note = mine[0].skipped
                rows.append({"client": client, "latency_ms": latency, "skipped": note})
                continue
            speed = [r.urls_per_s for r in ok]
            ratios = [r.urls_per_s / base[r.repeat].urls_per_s for r in ok if r.repeat in base]
            cpu_ratios = [
                r.cpu_ms_per_url / base[r.repeat].cpu_ms_per_url
                for r in ok
                if r.repeat in base and base[r.repeat].cpu_ms_per_url > 0
            ]
            busy = [100.0 * r.server_cpu_s / r.elapsed_s for r in ok if r.elapsed_s > 0]
            rows.append(
                {
                    "client": client,
                    "latency_ms": latency,
                    "repeats": len(ok),
                    "urls_per_s_median": _median(speed),
                    "urls_per_s_best": max(speed),
                    "ratio_median": _median(ratios) if ratios else None,
                    "cpu_ms_per_url": _median([r.cpu_ms_per_url for r in ok]),
                    "children_cpu_ms_per_url": _median(
                        [1000.0 * r.children_cpu_s / r.done for r in ok if r.done]
                    ),
                    "cpu_ms_per_url_runs": [r.cpu_ms_per_url for r in ok],
                    "children_cpu_ms_per_url_runs": [
                        1000.0 * r.children_cpu_s / r.done for r in ok if r.done
                    ],
                    "cpu_ratio": _median(cpu_ratios) if cpu_ratios else None,
                    "own_cpu_ms_per_url": _median(own) if (own := _owns(ok)) else None,
                    "peak_rss_mib": max(r.peak_rss_mib for r in ok),
                    "correct_pct": _median([r.correct for r in ok if r.correct is not None]),
                    "server_busy_pct": _median(busy),
                    "partial": any(r.partial for r in ok),
                    "errors": sum(sum(r.errors.values()) for r in ok),
                    "requests_per_url": _median([r.server_requests / r.urls for r in ok]),
                    "get_bodies": max(r.server_get_bodies for r in ok),
                }
            )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    """The results table."""
    lines = [
        "| latency | client | URLs/s median (best) | × aiohttp | CPU ms/URL | CPU × aiohttp "
        "| fetching process CPU ms/URL | peak RSS MiB | correct % | server CPU % |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lat = f"{row['latency_ms']:g} ms"
        if "skipped" in row:
            lines.append(f"| {lat} | {row['client']} | skipped (see below) ||||||||")
            continue
        ratio = "" if row["ratio_median"] is None else f"{row['ratio_median']:.2f}"
        cpu_ratio = "" if row["cpu_ratio"] is None else f"{row['cpu_ratio']:.2f}"
        own = row.get("own_cpu_ms_per_url")
        own_text = "" if own is None else f"{own:.3f}"
        flag = " (partial)" if row["partial"] else ""
        lines.append(
            f"| {lat} | {row['client']}{flag} | {row['urls_per_s_median']:,.0f} "
            f"({row['urls_per_s_best']:,.0f}) | {ratio} | {row['cpu_ms_per_url']:.3f} "
            f"| {cpu_ratio} | {own_text} | {row['peak_rss_mib']:.0f} | {row['correct_pct']:.1f} "
            f"| {row['server_busy_pct']:.0f} |"
        )
    return "\n".join(lines)


def correctness_markdown(runs: list[Run], kinds: list[str]) -> str:
    """Per-kind verdict accuracy of the end-to-end checkers (first repeat, lowest latency)."""
    chosen: dict[str, Run] = {}
    for run in sorted(runs, key=lambda r: (r.latency_ms, r.repeat)):
        if run.score is not None:
            chosen.setdefault(run.client, run)
    if not chosen:
        return ""
    names = list(chosen)
    lines = [
        "| URL kind | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---:" for _ in names) + " |",
    ]
    for kind in kinds:
        cells = []
        for name in names:
            score = chosen[name].score or {}
            ok, total = score.get("by_kind", {}).get(kind, (0, 0))
            cells.append(f"{ok}/{total}")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    scores = [chosen[n].score or {} for n in names]
    right = [f"**{s.get('verdict_ok', 0)}/{s.get('total', 0)}**" for s in scores]
    lines.append("| **verdicts right** | " + " | ".join(right) + " |")
    lines.append(
        "| verdict and reason right | "
        + " | ".join(str((chosen[n].score or {}).get("reason_ok", 0)) for n in names)
        + " |"
    )
    return "\n".join(lines)


def machine_facts() -> str:
    """nproc, memory and versions, one line."""
    mem = ""
    with contextlib.suppress(OSError, IndexError, ValueError):
        total_kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{total_kib / 1024 / 1024:.1f} GiB RAM"
    versions = []
    for mod in ("httpx", "httpcore", "aiohttp", "httpx_aiohttp"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions.append(f"{mod.replace('_', '-')} {version(mod.replace('_', '-'))}")
    return f"{os.cpu_count()} CPUs, {mem}, Python {platform.python_version()}, " + ", ".join(
        versions
    )


# -------------------------------------------------------------------------------- main


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fetch.run", description=__doc__.split("\n\n", 1)[0]
    )
    parser.add_argument("--urls", type=int, default=5000, help="distinct cited URLs")
    parser.add_argument("--hosts", type=int, default=4, help="loopback hosts 127.0.0.1..N")
    parser.add_argument(
        "--latency-ms", default="0", help="comma-separated added latencies, e.g. 0,30"
    )
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--host-concurrency", type=int, default=16, help="per-host cap for lychee/provenance"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--candidates",
        default=",".join(CANDIDATES),
        help="comma-separated Python loops (aiohttp is always run: it is the baseline)",
    )
    parser.add_argument("--no-lychee", action="store_true", help="skip lychee")
    parser.add_argument(
        "--provenance", action="store_true", help="also run `provenance check` end to end"
    )
    parser.add_argument(
        "--provenance-timeout", type=float, default=300.0, help="kill one provenance run after"
    )
    parser.add_argument(
        "--provenance-src",
        type=Path,
        help="measure the provenance package under this directory (e.g. from `git archive"
        " COMMIT provenance | tar -x -C DIR`) instead of the installed one",
    )
    parser.add_argument(
        "--provenance-before-src",
        type=Path,
        help="also measure the provenance package under this directory (an earlier commit)"
        " on the clean corpus, as provenance-before-clean, for before/after in one run",
    )
    parser.add_argument(
        "--no-shim",
        action="store_true",
        help="skip provenance-aiohttp-clean (provenance's fetcher on the aiohttp transport)",
    )
    parser.add_argument(
        "--provenance-sample",
        type=int,
        default=200,
        help="URLs in the full-mix provenance run (0: all); it runs once, in the first repeat,"
        " because provenance spaces a host's requests 1 s apart after its first 429",
    )
    parser.add_argument(
        "--probes",
        action="store_true",
        help="also run the pytest-httpx probe and the exception-mapping probe",
    )
    parser.add_argument("--server-procs", type=int, default=1, help="server processes")
    parser.add_argument("--server-loop", choices=("asyncio", "uvloop", "auto"), default="asyncio")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=20.0,
        help="one client run stops taking new URLs after this (its row is then partial)",
    )
    parser.add_argument(
        "--max-total-seconds", type=float, default=1800.0, help="the servers stop after this"
    )
    parser.add_argument(
        "--out", type=Path, default=REPO_ROOT / "bench/out/fetch-results.json", help="JSON results"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print Markdown; write JSON."""
    args = _parse(argv)
    global PROVENANCE_SRC, PROVENANCE_BEFORE_SRC
    PROVENANCE_SRC = args.provenance_src.resolve() if args.provenance_src else None
    before = args.provenance_before_src
    PROVENANCE_BEFORE_SRC = before.resolve() if before else None
    latencies = [float(x) for x in args.latency_ms.split(",") if x.strip()]
    loops = ["aiohttp"] + [
        c for c in (x.strip() for x in args.candidates.split(",")) if c and c != "aiohttp"
    ]
    unknown = [c for c in loops if c not in CANDIDATES]
    if unknown:
        print(f"unknown candidates: {', '.join(unknown)}; known: {', '.join(CANDIDATES)}")
        return 2
    clients = list(loops)
    if not args.no_lychee:
        clients += ["lychee", "lychee-clean"]
    help_text = ""
    provenance_note = ""
    if args.provenance:
        usable, provenance_note, help_text = provenance_available()
        if usable:
            clients += ["provenance", "provenance-clean"]
            if PROVENANCE_BEFORE_SRC is not None:
                clients.append("provenance-before-clean")
            if not args.no_shim:
                clients.append("provenance-aiohttp-clean")
        else:
            print(f"skipping provenance: {provenance_note}")

    started = datetime.now(UTC)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench-fetch-") as tmp:
        work = Path(tmp)
        servers = Servers(
            args.hosts, args.server_procs, args.seed, args.max_total_seconds, args.server_loop
        )
        deadline = time.monotonic() + args.max_total_seconds - 30
        try:
            manifest = build_manifest(servers.bases, args.urls, args.seed)
            (work / "manifest.json").write_text(json.dumps(manifest))
            urls_file = work / "urls.json"
            urls_file.write_text(
                json.dumps(
                    {
                        "hosts": servers.bases,
                        "urls": [[u["url"], u["status_no_retry"]] for u in manifest["urls"]],
                    }
                )
            )
            corpus = work / "corpus"
            articles = generate_corpus([u["url"] for u in manifest["urls"]], corpus, seed=args.seed)
            clean = clean_manifest(manifest)
            clean_corpus = work / "corpus-clean"
            generate_corpus([u["url"] for u in clean["urls"]], clean_corpus, seed=args.seed)
            sample = sample_manifest(manifest, args.provenance_sample)
            sample_corpus = work / "corpus-sample"
            generate_corpus([u["url"] for u in sample["urls"]], sample_corpus, seed=args.seed)
            print(
                f"server {', '.join(servers.bases)}; {args.urls} URLs; "
                f"{len(articles)} articles in {corpus}",
                flush=True,
            )
            # Warm-up, not recorded: the server builds and caches every page once.
            servers.reset(0)
            _run_loop("aiohttp", urls_file, args, Run("warm-up", 0, -1, args.urls))
            for latency in latencies:
                for repeat in range(args.repeats):
                    shift = repeat % len(clients)
                    for client in clients[shift:] + clients[:shift]:
                        run = Run(client, latency, repeat, args.urls)
                        runs.append(run)
                        if client == "provenance" and (repeat or latency != latencies[0]):
                            runs.pop()  # the full mix is paced, not raced: scored once
                            continue
                        if time.monotonic() > deadline:
                            run.skipped = "out of time (--max-total-seconds)"
                            continue
                        servers.reset(latency)
                        cpu0 = servers.cpu_s()
                        if client == "lychee":
                            _run_lychee(corpus, manifest, args, run, work)
                        elif client == "lychee-clean":
                            _run_lychee(clean_corpus, clean, args, run, work)
                        elif client == "provenance":
                            _run_provenance(sample_corpus, sample, args, run, work, help_text)
                        elif client == "provenance-clean":
                            _run_provenance(clean_corpus, clean, args, run, work, help_text)
                        elif client == "provenance-before-clean":
                            _run_provenance(
                                clean_corpus,
                                clean,
                                args,
                                run,
                                work,
                                help_text,
                                src=PROVENANCE_BEFORE_SRC,
                            )
                        elif client == "provenance-aiohttp-clean":
                            _run_provenance(
                                clean_corpus, clean, args, run, work, help_text, shim=True
                            )
                        else:
                            _run_loop(client, urls_file, args, run)
                        run.server_cpu_s = servers.cpu_s() - cpu0
                        run.server_requests, run.server_get_bodies = servers.stats()
                        own = run.own_cpu_ms_per_url
                        status = run.skipped or (
                            f"{run.urls_per_s:,.0f} URLs/s, {run.cpu_ms_per_url:.3f} ms CPU/URL"
                            + ("" if own is None else f" ({own:.3f} in the fetching process)")
                        )
                        if run.children_cpu_s and run.done:
                            status += f" (children {1000 * run.children_cpu_s / run.done:.3f})"
                        print(
                            f"  latency {latency:g} ms, repeat {repeat + 1}: {client}: {status}",
                            flush=True,
                        )
        finally:
            servers.stop()

    rows = summarize(runs, clients, latencies)
    print()
    print(
        f"{started:%Y-%m-%d %H:%M} UTC; {machine_facts()}; {args.urls} URLs on {args.hosts} "
        f"hosts; concurrency {args.concurrency}; latencies {args.latency_ms} ms; "
        f"{args.repeats} repeats; median (best)"
    )
    print()
    print(markdown(rows))
    split = [row for row in rows if "skipped" not in row and row["children_cpu_ms_per_url"] > 0]
    if split:
        print()
        print("CPU ms per URL by process (median; per repeat in brackets), child processes")
        print("polled from /proc every 20 ms:")
        print()
        print("| latency | client | in all | its own process | its archive process |")
        print("| ---: | --- | ---: | ---: | ---: |")
        for row in split:
            own = [
                a - c
                for a, c in zip(
                    row["cpu_ms_per_url_runs"], row["children_cpu_ms_per_url_runs"], strict=False
                )
            ]
            runs_all = ", ".join(f"{x:.3f}" for x in row["cpu_ms_per_url_runs"])
            runs_own = ", ".join(f"{x:.3f}" for x in own)
            runs_child = ", ".join(f"{x:.3f}" for x in row["children_cpu_ms_per_url_runs"])
            print(
                f"| {row['latency_ms']:g} ms | {row['client']} | {row['cpu_ms_per_url']:.3f} "
                f"[{runs_all}] | {_median(own):.3f} [{runs_own}] "
                f"| {row['children_cpu_ms_per_url']:.3f} [{runs_child}] |"
            )
    notes = [
        f"- {row['client']} at {row['latency_ms']:g} ms: {row['get_bodies']} GET requests "
        "carried a body (Transfer-Encoding: chunked)"
        for row in rows
        if row.get("get_bodies")
    ]
    notes += [
        f"- {row['client']} at {row['latency_ms']:g} ms: {row['errors']} request errors"
        for row in rows
        if row.get("errors")
    ]
    skips = {
        row["client"]: " ".join(str(row["skipped"]).split()) for row in rows if "skipped" in row
    }
    notes += [f"- {client} skipped: {why}" for client, why in skips.items()]
    if notes:
        print()
        print("\n".join(notes))
    kinds = list(dict.fromkeys(u["kind"] for u in manifest["urls"]))
    checkers = correctness_markdown(runs, kinds)
    if checkers:
        print()
        print(checkers)
    if args.provenance and provenance_note:
        print()
        print(f"provenance skipped: {provenance_note}")
    probe: dict[str, str] = {}
    errors: dict[str, dict[str, str]] = {}
    if args.probes:
        import asyncio

        from bench.fetch import errorprobe
        from bench.fetch.mockprobe import run_probe

        probe, _tail = run_probe(REPO_ROOT)
        print()
        print("| client | under pytest-httpx's httpx_mock |")
        print("| --- | --- |")
        for name, verdict in probe.items():
            print(f"| `{name}` | {verdict} |")
        errors = asyncio.run(errorprobe.probe_errors())
        print()
        print(errorprobe.markdown(errors))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "started": started.isoformat(),
                "machine": machine_facts(),
                "args": {k: str(v) for k, v in vars(args).items()},
                "rows": rows,
                "runs": [{**vars(r), "urls_per_s": r.urls_per_s} for r in runs],
                "mock_probe": probe,
                "error_probe": errors,
            },
            indent=1,
        )
    )
    print(f"\nJSON: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
