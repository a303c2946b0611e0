"""``provenance check --no-fetch`` throughput benchmark; prints Markdown tables.

::

    python -m bench.check.run --mb 5 10 20 40 [--repeats 3] [--seed 1] [--cpu 0]
        [--no-by-openers] [--profile-mb 5] [--inproc-repeats 1] [--json-out FILE]

For the largest size it writes one seeded corpus (:mod:`bench.check.corpus`) into
a temporary directory; every smaller size is a directory of hard links to a
prefix of it, so the sizes differ only in how many articles they hold. Then,
for each size:

* ``repeats`` times, in this order, each as a child process pinned to one core
  (``taskset -c CPU`` when available) and timed from outside (wall clock, plus
  the child's own peak RSS and CPU time from ``os.wait4``):
  the baseline (:mod:`bench.check.baseline`: read every file and run one
  regex), ``wc -lw`` over the files, and the real end-to-end command
  ``provenance check --no-fetch --fail-on never --format json -o /dev/null
  articles`` run from the corpus root (so its sources.toml is used);
* the library path (:mod:`bench.check.inproc`, pinned the same way, imports
  excluded): ``run_check``, then rendering the JSON report, timed separately;
* the memory probes (:mod:`bench.check.probe`): the import floor, the
  per-document working set with nothing retained, the run-wide tally of cited
  sources, and the retained report.

Finally ``cProfile`` (and pyinstrument, when installed) profile the library
path on ``--profile-mb``. MB are 10**6 bytes of Markdown; RSS is MiB.

Everything measured runs in a child process and the harness itself imports
nothing of provenance: Linux carries a parent's RSS high-water mark into the
children it starts, so a big harness would inflate every child's peak RSS.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.check.corpus import MAX_ARTICLES, generate_article, write_sources

__all__ = ["Proc", "main", "run_measured"]

REPO = Path(__file__).resolve().parents[2]


@dataclass(slots=True)
class Proc:
    """One child process: wall time from outside, its own CPU time and peak RSS (wait4)."""

    cmd: list[str]
    returncode: int | None
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    stdout: str
    stderr: str
    timed_out: bool


@dataclass(slots=True)
class SizeResult:
    """Everything measured for one corpus size."""

    target_mb: float
    files: int
    bytes: int
    baseline: list[Proc] = field(default_factory=list)
    baseline_inner_s: list[float] = field(default_factory=list)
    baseline_inner_cpu_s: list[float] = field(default_factory=list)
    wc: list[Proc] = field(default_factory=list)
    e2e: list[Proc] = field(default_factory=list)
    inproc_check_s: list[float] = field(default_factory=list)
    inproc_render_s: list[float] = field(default_factory=list)
    inproc_check_cpu_s: list[float] = field(default_factory=list)
    inproc_render_cpu_s: list[float] = field(default_factory=list)
    bare: dict[str, Any] = field(default_factory=dict)
    stream: dict[str, Any] = field(default_factory=dict)
    retain: dict[str, Any] = field(default_factory=dict)


def child_env(provenance_src: Path | None) -> dict[str, str]:
    """The environment of every child: ``PYTHONPATH`` puts the code to measure first.

    Children run from the corpus directory, never from the repository, so
    ``python -m`` does not put the working tree ahead of ``provenance_src``.
    """
    env = dict(os.environ)
    # Measure the tool as installed: pip compiles a package's bytecode when it installs
    # it. With PYTHONDONTWRITEBYTECODE set (as on the dev machine) every run would
    # compile provenance's modules from source again: about 0.1 s of start-up.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    paths = [str(provenance_src.resolve())] if provenance_src is not None else []
    paths.append(str(REPO))  # for ``-m bench.check.*`` and the working tree's provenance
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


_CHILD_ENV: dict[str, str] = child_env(None)


def compile_package(provenance_src: Path | None) -> None:
    """Write the bytecode of the provenance package to measure, as ``pip install`` does.

    A tree with the compiled extraction loop (``provenance/extract/_speedups.c``) gets it
    built in place too, as ``pip install -e .`` builds it (a ``git archive`` holds the
    source, not the built module).
    """
    root = provenance_src or REPO
    package = root / "provenance"
    compileall.compile_dir(str(package), quiet=1)
    source = package / "extract" / "_speedups.c"
    if provenance_src is not None and source.exists():
        script = (
            "from setuptools import Extension, setup; setup(name='provenance-bench',"
            " ext_modules=[Extension('provenance.extract._speedups',"
            " ['provenance/extract/_speedups.c'])])"
        )
        subprocess.run(
            [sys.executable, "-c", script, "-q", "build_ext", "--inplace"],
            cwd=root,
            check=True,
            capture_output=True,
            timeout=300,
        )


def compiled_loop() -> str:
    """Whether the measured provenance runs the compiled extraction loop (asked of a child)."""
    code = (
        "import provenance.extract as e; print("
        "'yes' if getattr(e, '_speedups', None) is not None else 'no')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tempfile.gettempdir(),
        env=_CHILD_ENV,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return out.stdout.strip() or f"unknown ({out.stderr.strip()[-200:]})"


def run_measured(cmd: list[str], *, cwd: Path | None, timeout_s: float) -> Proc:
    """Run ``cmd`` to completion (killed after ``timeout_s``); its wall time and rusage.

    ``os.wait4`` gives the peak RSS and CPU time of this one child, which
    ``RUSAGE_CHILDREN`` (a running maximum over all children) cannot.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, env=_CHILD_ENV
        )
        pidfd = os.pidfd_open(proc.pid)
        timed_out = False
        try:
            ready, _, _ = select.select([pidfd], [], [], timeout_s)
            if not ready:
                timed_out = True
                proc.kill()
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            os.close(pidfd)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Proc(
            cmd=cmd,
            returncode=proc.returncode,
            wall_s=wall,
            cpu_s=usage.ru_utime + usage.ru_stime,
            peak_rss_mib=usage.ru_maxrss / 1024,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace")[-2000:],
            timed_out=timed_out,
        )


def _checked(proc: Proc, what: str) -> Proc:
    if proc.timed_out or proc.returncode != 0:
        raise SystemExit(
            f"{what} failed (rc={proc.returncode}, timed out={proc.timed_out}):"
            f" {' '.join(proc.cmd)}\n{proc.stderr}"
        )
    return proc


# -- corpus ----------------------------------------------------------------------------


def build_corpora(
    workdir: Path, sizes_mb: list[float], *, seed: int, by_openers: bool
) -> dict[float, tuple[Path, int, int]]:
    """Write the largest corpus once; link prefixes of it for the smaller sizes.

    Returns ``{mb: (root, files, bytes)}``; each root holds ``articles/`` and
    ``sources.toml``.
    """
    full = workdir / "full" / "articles"
    full.mkdir(parents=True)
    targets = sorted(int(mb * 1_000_000) for mb in sizes_mb)
    sizes: list[int] = []
    total = 0
    for index in range(MAX_ARTICLES):
        if total >= targets[-1]:
            break
        data = generate_article(seed, index, by_openers=by_openers).encode("utf-8")
        (full / f"article-{index:05d}.md").write_bytes(data)
        total += len(data)
        sizes.append(len(data))
    names = sorted(p.name for p in full.iterdir())
    corpora: dict[float, tuple[Path, int, int]] = {}
    for mb in sizes_mb:
        target = int(mb * 1_000_000)
        root = workdir / f"mb-{mb:g}"
        (root / "articles").mkdir(parents=True)
        write_sources(root / "sources.toml")
        count = running = 0
        for name, size in zip(names, sizes, strict=True):
            if running >= target:
                break
            os.link(full / name, root / "articles" / name)
            running += size
            count += 1
        corpora[mb] = (root, count, running)
    return corpora


# -- environment -----------------------------------------------------------------------


def environment(cpu_prefix: list[str]) -> dict[str, Any]:
    # No provenance import here: the harness stays small (see ``harness_peak_rss_mib``).
    """Facts that make the figures comparable: machine, load, versions, pinning."""
    meminfo: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines()[:5]:
            key, _, value = line.partition(":")
            meminfo[key] = value.strip()
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="ascii").splitlines()[:40]:
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    free = ""
    if shutil.which("free"):
        free = subprocess.run(
            ["free", "-h"], capture_output=True, text=True, check=False, timeout=10
        ).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "affinity": sorted(os.sched_getaffinity(0)),
        "cpu_model": model,
        "mem_total": meminfo.get("MemTotal", ""),
        "mem_available": meminfo.get("MemAvailable", ""),
        "free_h": free,
        "loadavg_start": os.getloadavg(),
        "python": platform.python_version(),
        "pinning": " ".join(cpu_prefix) or "none (taskset unavailable)",
    }


def code_state(provenance_src: Path | None) -> str:
    """Which provenance is measured: a directory given, or HEAD plus uncommitted changes."""
    if provenance_src is not None:
        return f"provenance from {provenance_src}"
    if not shutil.which("git"):
        return "working tree (git unavailable)"

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False, timeout=30
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    dirty = [line for line in git("status", "--porcelain", "--", "provenance").splitlines() if line]
    return f"working tree at {head}" + (
        f" + {len(dirty)} uncommitted file(s) in provenance/" if dirty else " (clean provenance/)"
    )


# -- measurements ----------------------------------------------------------------------


def measure_size(
    mb: float,
    root: Path,
    files: int,
    nbytes: int,
    *,
    prefix: list[str],
    repeats: int,
    inproc_repeats: int,
    memory: bool,
    timeout_s: float,
) -> SizeResult:
    """All measurements for one corpus size."""
    result = SizeResult(target_mb=mb, files=files, bytes=nbytes)
    py = sys.executable
    provenance = shutil.which("provenance") or ""
    e2e_cmd = [
        *(prefix),
        *([provenance] if provenance else [py, "-m", "provenance"]),
        "check",
        "--no-fetch",
        "--fail-on",
        "never",
        "--format",
        "json",
        "-o",
        os.devnull,
        "articles",
    ]
    baseline_cmd = [*prefix, py, "-m", "bench.check.baseline", str(root)]
    articles = sorted(str(p) for p in (root / "articles").iterdir())
    wc_cmd = [*prefix, "wc", "-lw", *articles] if shutil.which("wc") else []
    env_cwd = root  # not the repository: see ``child_env``
    run_measured(baseline_cmd, cwd=env_cwd, timeout_s=timeout_s)  # warm the page cache
    for repeat in range(repeats):
        print(f"  [{mb:g} MB] repeat {repeat + 1}/{repeats}", file=sys.stderr, flush=True)
        base = _checked(run_measured(baseline_cmd, cwd=env_cwd, timeout_s=timeout_s), "baseline")
        result.baseline.append(base)
        inner = json.loads(base.stdout)
        result.baseline_inner_s.append(float(inner["seconds"]))
        result.baseline_inner_cpu_s.append(float(inner["cpu_seconds"]))
        if wc_cmd:
            result.wc.append(_checked(run_measured(wc_cmd, cwd=root, timeout_s=timeout_s), "wc"))
        e2e = _checked(run_measured(e2e_cmd, cwd=root, timeout_s=timeout_s), "provenance check")
        result.e2e.append(e2e)
        print(
            f"    baseline {base.wall_s:.2f}s  check {e2e.wall_s:.2f}s"
            f"  ({nbytes / 1e6 / e2e.wall_s:.2f} MB/s, peak {e2e.peak_rss_mib:.0f} MiB)",
            file=sys.stderr,
            flush=True,
        )
    if inproc_repeats:
        timed = json.loads(
            _checked(
                run_measured(
                    [
                        *prefix,
                        py,
                        "-m",
                        "bench.check.inproc",
                        "time",
                        str(root),
                        "--repeats",
                        str(inproc_repeats),
                    ],
                    cwd=env_cwd,
                    timeout_s=timeout_s,
                ),
                "in-process timing",
            ).stdout
        )
        result.inproc_check_s = timed["check_s"]
        result.inproc_render_s = timed["render_s"]
        result.inproc_check_cpu_s = timed["check_cpu_s"]
        result.inproc_render_cpu_s = timed["render_cpu_s"]
    if memory:
        for mode in ("bare", "stream", "retain"):
            proc = _checked(
                run_measured(
                    [*prefix, py, "-m", "bench.check.probe", mode, str(root)],
                    cwd=env_cwd,
                    timeout_s=timeout_s,
                ),
                f"probe {mode}",
            )
            setattr(result, mode, json.loads(proc.stdout))
    return result


# -- report ----------------------------------------------------------------------------


def _best(values: list[float]) -> float:
    return min(values) if values else float("nan")


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def render_tables(
    env: dict[str, Any],
    results: list[SizeResult],
    startup: list[Proc],
    floor: dict[str, Any],
    prof: dict[str, Any] | None,
    *,
    repeats: int,
    by_openers: bool,
) -> str:
    """The Markdown the benchmark prints (and the README quotes)."""
    out: list[str] = []
    add = out.append
    startup_s = _median([p.wall_s for p in startup])
    add(
        f"Date {env['date']}; `nproc` {env['nproc']}; {env['cpu_model'] or 'CPU model unknown'};"
        f" memory {env['mem_total']} total, {env['mem_available']} available;"
        f" load average at start {', '.join(f'{x:.2f}' for x in env['loadavg_start'])};"
        f" Python {env['python']}; provenance {env['provenance']} ({env.get('code', '?')};"
        f" compiled extraction loop: {env.get('compiled_loop', '?')});"
        f" pinning: {env['pinning']};"
        f" best and median of {repeats} repeats; corpus {'with' if by_openers else 'without'}"
        ' sentences opening with "By".'
    )
    add("")
    startup_cpu = _median([p.cpu_s for p in startup])
    add(
        f"Start-up (`provenance --version`, median): {startup_s:.2f} s wall, {startup_cpu:.2f} s"
        " CPU. Wall figures suffer from other work on a shared machine; CPU figures (the"
        " child's own user + system time, from `wait4`) much less, so they are the ones to"
        " compare. × baseline = provenance's CPU time less its start-up / the baseline's CPU"
        " time inside its process (start-up excluded on both sides), same repeat, median."
    )
    add("")
    add(
        "| corpus MB | files | claims | wall best s | wall median s | MB/s (wall)"
        " | CPU best s | **MB/s (CPU)** | MB/s (CPU) excl. start-up"
        " | baseline MB/s (CPU, in-process) | × baseline (median) | `wc -lw` MB/s"
        " | in-process check CPU s | JSON render CPU s"
        " | peak RSS MiB |"
    )
    add("|" + "---:|" * 15)
    for r in results:
        mb = r.bytes / 1e6
        wall = [p.wall_s for p in r.e2e]
        cpu = [p.cpu_s for p in r.e2e]
        base = r.baseline_inner_cpu_s or r.baseline_inner_s
        ratios = [(a - startup_cpu) / max(b, 1e-9) for a, b in zip(cpu, base, strict=True)]
        wc = [p.cpu_s for p in r.wc]
        claims = r.retain.get("claims", "")
        add(
            f"| {mb:.1f} | {r.files} | {claims} | {_best(wall):.2f} | {_median(wall):.2f}"
            f" | {mb / _best(wall):.2f} | {_best(cpu):.2f} | **{mb / _best(cpu):.2f}**"
            f" | {mb / max(_best(cpu) - startup_cpu, 1e-9):.2f}"
            f" | {mb / max(_best(base), 1e-9):.0f} | {_median(ratios):.0f}"
            f" | {(mb / max(_best(wc), 1e-9)) if wc else float('nan'):.0f}"
            f" | {_best(r.inproc_check_cpu_s or r.inproc_check_s):.2f}"
            f" | {_best(r.inproc_render_cpu_s or r.inproc_render_s):.2f}"
            f" | {max(p.peak_rss_mib for p in r.e2e):.0f} |"
        )
    if results and results[0].bare:
        add("")
        add(
            f"Memory, peak RSS in MiB (import floor {floor.get('peak_rss_mib', float('nan')):.0f})."
            " Each column adds one thing to the one before: per-document = checking one"
            " document at a time with nothing kept (`bare` probe − floor); source tally = the"
            " run-wide `_Usage` of cited shared records and the report's spool with its"
            " buffers (`stream` − `bare`); report = what `run_check` keeps besides"
            " (`run_check` − `stream`); JSON = rendering it, streamed (render peak −"
            " `run_check` peak). CLI = the real command."
        )
        add("")
        add(
            "| corpus MB | per-document | source tally | report | JSON render | sum + floor"
            " | CLI peak | cited sources | claims | JSON MB | report KiB/claim"
            " | MB/s (CPU) bare | MB/s (CPU) `run_check` |"
        )
        add("|" + "---:|" * 13)
        for r in results:
            b, s, t = r.bare, r.stream, r.retain
            per_doc = b["peak_rss_mib"] - b["floor_rss_mib"]
            tally = s["peak_rss_mib"] - b["peak_rss_mib"]
            report = t["check_peak_rss_mib"] - s["peak_rss_mib"]
            render = t["peak_rss_mib"] - t["check_peak_rss_mib"]
            add(
                f"| {r.bytes / 1e6:.1f} | {per_doc:.1f} | {tally:.0f} | {report:.0f}"
                f" | {render:.0f} | {t['peak_rss_mib']:.0f}"
                f" | {max(p.peak_rss_mib for p in r.e2e):.0f} | {s.get('cited_sources', '')}"
                f" | {t['claims']} | {t['json_bytes'] / 1e6:.1f}"
                f" | {1024 * report / max(t['claims'], 1):.2f}"
                f" | {r.bytes / 1e6 / max(b.get('cpu_seconds', b['seconds']), 1e-9):.2f}"
                f" | {r.bytes / 1e6 / max(t.get('cpu_seconds', t['seconds']), 1e-9):.2f} |"
            )
    add("")
    add(
        f"Harness peak RSS {env.get('harness_peak_rss_mib', float('nan')):.0f} MiB"
        " (a floor under every child's peak figure; below the import floor, so harmless);"
        f" load average at end {', '.join(f'{x:.2f}' for x in env.get('loadavg_end', ()))}."
    )
    if prof is not None:
        add("")
        add(
            f"Profile of {prof['mb']:g} MB (cProfile, in-process `run_check` + JSON render,"
            f" {prof['total_s']:.2f} s profiled; cProfile inflates many-call functions):"
            " top by cumulative %"
        )
        add("")
        add("| function | calls | cum % | self % |")
        add("|---|---:|---:|---:|")
        for row in prof["by_cum"]:
            cum, own = row["cum_pct"], row["self_pct"]
            add(f"| `{row['function']}` | {row['calls']} | {cum:.1f} | {own:.1f} |")
        add("")
        add("Top by self time:")
        add("")
        add("| function | calls | self % | cum % |")
        add("|---|---:|---:|---:|")
        for row in prof["by_self"]:
            cum, own = row["cum_pct"], row["self_pct"]
            add(f"| `{row['function']}` | {row['calls']} | {own:.1f} | {cum:.1f} |")
    return "\n".join(out) + "\n"


def rerender(payload: dict[str, Any]) -> str:
    """The tables of a saved ``--json-out`` payload (e.g. after changing the layout)."""
    procs = ("baseline", "wc", "e2e")
    results = [
        SizeResult(**{k: [Proc(**p) for p in v] if k in procs else v for k, v in size.items()})
        for size in payload["sizes"]
    ]
    return render_tables(
        payload["environment"],
        results,
        [Proc(**p) for p in payload["startup"]],
        payload["floor"],
        payload["profile"],
        repeats=max((len(r.e2e) for r in results), default=0),
        by_openers=payload["by_openers"],
    )


# -- main ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Generate corpora, measure, profile, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[5, 10, 20, 40], help="corpus sizes")
    parser.add_argument("--repeats", type=int, default=3, help="end-to-end repeats per size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cpu", type=int, default=0, help="core to pin to (default 0)")
    parser.add_argument(
        "--no-by-openers",
        action="store_true",
        help='write "In comparison," for "By comparison," (avoids the dateline regex blow-up)',
    )
    parser.add_argument("--inproc-repeats", type=int, default=1, help="in-process runs per size")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory probes")
    parser.add_argument(
        "--profile-mb",
        type=float,
        default=None,
        help="size to profile (default: smallest; 0: none)",
    )
    parser.add_argument("--top", type=int, default=15, help="rows of each profile table")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per child process")
    parser.add_argument("--json-out", type=Path, default=None, help="also write all results here")
    parser.add_argument(
        "--profile-out", type=Path, default=None, help="write pyinstrument text here"
    )
    parser.add_argument("--keep", action="store_true", help="keep the corpora (path printed)")
    parser.add_argument(
        "--provenance-src",
        type=Path,
        default=None,
        help="measure the provenance package under this directory instead of the working tree"
        " (e.g. a `git archive` of another commit)",
    )
    parser.add_argument(
        "--render", type=Path, default=None, help="only print the tables of a --json-out file"
    )
    args = parser.parse_args(argv)
    if args.render is not None:
        print(rerender(json.loads(args.render.read_text(encoding="utf-8"))))
        return
    sizes = sorted(set(args.mb))
    cpu: int | None = args.cpu if args.cpu in os.sched_getaffinity(0) else None
    prefix = ["taskset", "-c", str(cpu)] if cpu is not None and shutil.which("taskset") else []
    global _CHILD_ENV
    _CHILD_ENV = child_env(args.provenance_src)
    env = environment(prefix)
    env["code"] = code_state(args.provenance_src)
    compile_package(args.provenance_src)
    env["compiled_loop"] = compiled_loop()
    print(f"compiled extraction loop: {env['compiled_loop']}", file=sys.stderr, flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="provenance-bench-check-"))
    try:
        print(f"writing corpora {sizes} MB in {workdir}", file=sys.stderr, flush=True)
        corpora = build_corpora(workdir, sizes, seed=args.seed, by_openers=not args.no_by_openers)
        py = sys.executable
        floor: dict[str, Any] = {}
        if not args.no_memory:
            floor = json.loads(
                _checked(
                    run_measured(
                        [py, "-m", "bench.check.probe", "floor"], cwd=workdir, timeout_s=60
                    ),
                    "probe floor",
                ).stdout
            )
        version_cmd = [*prefix, shutil.which("provenance") or "provenance", "--version"]
        startup = [
            _checked(run_measured(version_cmd, cwd=workdir, timeout_s=60), "provenance --version")
            for _ in range(max(args.repeats, 1))
        ]
        env["provenance"] = startup[0].stdout.strip().rpartition(" ")[2]
        results = []
        for mb in sizes:
            root, files, nbytes = corpora[mb]
            results.append(
                measure_size(
                    mb,
                    root,
                    files,
                    nbytes,
                    prefix=prefix,
                    repeats=args.repeats,
                    inproc_repeats=args.inproc_repeats,
                    memory=not args.no_memory,
                    timeout_s=args.timeout,
                )
            )
        prof = None
        profile_mb = sizes[0] if args.profile_mb is None else args.profile_mb
        if profile_mb:
            target = min(sizes, key=lambda s: abs(s - profile_mb))
            print(f"profiling {target:g} MB", file=sys.stderr, flush=True)
            cmd = [
                *prefix,
                py,
                "-m",
                "bench.check.inproc",
                "profile",
                str(corpora[target][0]),
                "--top",
                str(args.top),
            ]
            if args.profile_out is not None:
                cmd += ["--pyinstrument-out", str(args.profile_out.resolve())]
            prof = json.loads(
                _checked(run_measured(cmd, cwd=workdir, timeout_s=args.timeout), "profile").stdout
            )
            prof["mb"] = target
        env["loadavg_end"] = os.getloadavg()
        # Linux carries a parent's RSS high-water mark into its children (across
        # vfork/fork and exec): every child figure is at least this, so it must stay small.
        env["harness_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tables = render_tables(
            env,
            results,
            startup,
            floor,
            prof,
            repeats=args.repeats,
            by_openers=not args.no_by_openers,
        )
        print(tables)
        if args.json_out is not None:
            payload = {
                "environment": env,
                "by_openers": not args.no_by_openers,
                "startup": [asdict(p) for p in startup],
                "floor": floor,
                "sizes": [asdict(r) for r in results],
                "profile": prof,
                "tables": tables,
            }
            args.json_out.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    finally:
        if args.keep:
            print(f"corpora kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
