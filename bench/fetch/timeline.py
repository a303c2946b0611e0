"""Where the wall time of one fetching ``provenance check`` goes: a sampled timeline.

::

    python -m bench.fetch.timeline --urls 5000 --latency-ms 30 [--provenance-src DIR]
        [--interval-ms 5] [--keep DIR]

Starts the loopback servers, writes the clean corpus (as ``bench.fetch.run`` does),
warms the server up with one unrecorded ``check``, then runs ``provenance check`` on it
once with :mod:`bench.fetch.timeline_site` on ``PYTHONPATH``: every Python process of
the run (the command and its archive process) records its main thread's stack every
``--interval-ms``. Each sample is labelled by the first rule of ``LABELS`` that matches
a frame (innermost first); an event loop waiting in ``select`` is ``idle``. Printed:
the command's timeline as runs of one label (from, to, label; short runs folded into
their neighbours), the time per label, and the same for the archive process. Times are
seconds from the moment the command was started.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.fetch.corpus import generate_corpus
from bench.fetch.measure import score_verdicts
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

__all__ = ["LABELS", "label_of", "main", "milestones", "segments"]

SITE = Path(__file__).resolve().parent / "timeline_site"

#: (file path fragment, function name or "" for any, label): the first rule that matches
#: any frame of a sample names it.
LABELS: list[tuple[str, str, str]] = [
    ("selectors.py", "select", "idle"),
    ("provenance/archive/worker.py", "_receive", "archive: waiting for a batch"),
    ("<frozen importlib._bootstrap>", "_find_and_load", "import"),
    ("provenance/fetch/cache.py", "put_many", "cache write"),
    ("provenance/fetch/cache.py", "", "cache"),
    ("provenance/archive/worker.py", "close", "archive close"),
    ("provenance/archive/worker.py", "start", "archive start"),
    ("provenance/archive/worker.py", "record_many", "archive hand-off"),
    ("provenance/archive/worker.py", "archive_many", "archive hand-off"),
    ("provenance/archive/worker.py", "cache_many", "archive hand-off"),
    ("provenance/archive/worker.py", "_serve_until_closed", "archive work"),
    ("provenance/evidence.py", "finish", "archive wait"),
    ("provenance/evidence.py", "close", "archive wait"),
    ("provenance/evidence.py", "wait", "archive wait"),
    ("provenance/fetch/fetcher.py", "result_for", "report"),  # check.py asking the run
    # Documents are read inside the fetch run's event loop (since session 11).
    ("provenance/check.py", "_one", "documents"),
    ("provenance/extract/", "", "documents"),
    ("provenance/fetch/fetcher.py", "second_look", "re-check"),
    ("provenance/fetch/fetcher.py", "_recheck", "re-check"),
    ("provenance/fetch/fetcher.py", "", "fetch"),
    ("provenance/evidence.py", "", "fetch"),
    ("provenance/check.py", "", "report"),
    ("provenance/report", "", "report"),
    ("provenance/cli.py", "", "cli"),
    ("ssl.py", "", "ssl"),
]


def label_of(stack: list[list[str]]) -> str:
    """The label of one sample (its frames innermost first)."""
    for fragment, name, label in LABELS:
        for filename, function in stack:
            if fragment in filename and (not name or name == function):
                return label
    return "other"


def innermost(stack: list[list[str]]) -> str:
    """The innermost frame of ours (``provenance/``), else the innermost one."""
    for filename, function in stack:
        if "provenance/" in filename and "timeline" not in filename:
            return f"{filename.rsplit('provenance/', 1)[1]}:{function}"
    return f"{Path(stack[0][0]).name}:{stack[0][1]}" if stack else "?"


def segments(samples: list[tuple[float, str]], min_s: float) -> list[tuple[float, float, str]]:
    """Runs of one label; a run shorter than ``min_s`` joins the run before it."""
    runs: list[list[Any]] = []
    for t, label in samples:
        if runs and runs[-1][2] == label:
            runs[-1][1] = t
        else:
            runs.append([t, t, label])
    merged: list[list[Any]] = []
    for run in runs:
        if merged and (run[1] - run[0] < min_s or merged[-1][2] == run[2]):
            merged[-1][1] = run[1]
        else:
            merged.append(run)
    return [(a, b, label) for a, b, label in merged]


def milestones(stacks: list[tuple[float, list[list[str]]]]) -> dict[str, float | None]:
    """When the command's first request went out and its first pass ended, from its
    samples ``(t, stack)``: the first sample inside ``_Run.fetch`` (a request being made)
    and the last one inside the first pass's ``first_look`` (None when never sampled)."""
    first_request = pass_over = None
    for t, stack in stacks:
        in_fetcher = [name for filename, name in stack if "provenance/fetch/fetcher.py" in filename]
        if first_request is None and "fetch" in in_fetcher:
            first_request = t
        if "first_look" in in_fetcher:
            pass_over = t
    return {"first request": first_request, "first pass over": pass_over}


def _print_process(name: str, data: dict[str, Any], start: float, interval: float) -> None:
    samples = [(t - start, label_of(stack)) for t, stack in data["samples"]]
    where = [(t - start, innermost(stack)) for t, stack in data["samples"]]
    if not samples:
        print(f"{name}: no samples")
        return
    print(f"### {name}: {len(samples)} samples, {samples[0][0]:.2f}-{samples[-1][0]:.2f} s")
    print()
    print("| from | to | mostly | innermost frames of ours |")
    print("| ---: | ---: | --- | --- |")
    for a, b, _ in segments(samples, 0.05):
        inside = Counter(label for t, label in samples if a <= t <= b)
        parts = ", ".join(
            f"{label} {100 * n / sum(inside.values()):.0f} %" for label, n in inside.most_common(3)
        )
        top = Counter(f for t, f in where if a <= t <= b).most_common(3)
        inner = ", ".join(f"{f} {n} samples" for f, n in top)
        print(f"| {a:.2f} s | {b:.2f} s | {parts} | {inner} |")
    print()
    # Each sample stands for the time until the next one: the sampler needs the GIL, so
    # under load or inside a long C call it wakes late, and counting samples would
    # under-weigh what held the GIL.
    totals: Counter[str] = Counter()
    ends = [t for t, _ in samples[1:]] + [samples[-1][0] + interval]
    for (t, label), t_next in zip(samples, ends, strict=True):
        totals[label] += t_next - t
    print(
        "time per label: "
        + ", ".join(f"{label} {seconds:.2f} s" for label, seconds in totals.most_common())
    )
    print()


def main(argv: list[str] | None = None) -> int:
    """Run once with the sampler; print the timelines."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--urls", type=int, default=5000)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--host-concurrency", type=int, default=16)
    parser.add_argument("--interval-ms", type=float, default=5.0)
    parser.add_argument("--provenance-src", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep the raw samples in this directory")
    args = parser.parse_args(argv)
    src = args.provenance_src.resolve() if args.provenance_src else None
    with tempfile.TemporaryDirectory(prefix="bench-timeline-") as tmp:
        work = Path(tmp)
        servers = Servers(args.hosts, 1, args.seed, 600.0)
        try:
            manifest = clean_manifest(build_manifest(servers.bases, args.urls, args.seed))
            corpus = work / "corpus"
            generate_corpus([u["url"] for u in manifest["urls"]], corpus, seed=args.seed)
            out = args.keep.resolve() if args.keep else work / "samples"
            out.mkdir(parents=True, exist_ok=True)
            for old in out.glob("*.json"):
                old.unlink()
            for sampled in (False, True):  # the first run warms the server's page cache
                servers.reset(args.latency_ms)
                home = Path(tempfile.mkdtemp(prefix="home-", dir=work))
                extra = {"HOME": str(home)}
                if sampled:
                    extra["PROVENANCE_TIMELINE_OUT"] = str(out)
                    extra["PROVENANCE_TIMELINE_MS"] = str(args.interval_ms)
                env = provenance_env(extra, src=src)
                env["PYTHONPATH"] = os.pathsep.join([str(SITE), env["PYTHONPATH"]])
                cmd = [
                    *provenance_command(src),
                    *check_arguments(
                        args.concurrency, args.host_concurrency, str(home / "report.json")
                    ),
                    "--quiet",
                    str(corpus),
                ]
                start = time.perf_counter()
                proc = subprocess.run(cmd, cwd=home, env=env, check=False)
                elapsed = time.perf_counter() - start
            (out / "run.txt").write_text(f"{start} {elapsed}\n")  # for later analysis
            report = json.loads((home / "report.json").read_text())
        finally:
            servers.stop()
        score = score_verdicts(manifest, provenance_verdicts(report))
        print(
            f"{manifest['n_urls']} URLs at {args.latency_ms:g} ms: {elapsed:.2f} s wall, "
            f"exit {proc.returncode}, verdicts right {score.verdict_ok}/{score.total}"
        )
        print()
        files = sorted(out.glob("[0-9]*.json"))
        processes = [json.loads(f.read_text()) for f in files]
        interval = args.interval_ms / 1000
        for data in sorted(processes, key=lambda d: d["t0"]):
            argv0 = " ".join(data["argv"][:2])
            name = "archive process" if "worker" in argv0 else "the command"
            if name == "the command":
                marks = milestones([(t - start, stack) for t, stack in data["samples"]])
                over = marks["first pass over"]
                shown = [
                    f"{label} {'-' if value is None else f'{value:.2f} s'}"
                    for label, value in marks.items()
                ]
                tail = "-" if over is None else f"{elapsed - over:.2f} s"
                print(f"{', '.join(shown)}, exit {elapsed:.2f} s, after the pass {tail}")
                print()
            _print_process(name, data, start, interval)
    return 0


if __name__ == "__main__":
    os.chdir(REPO_ROOT)
    raise SystemExit(main())
