"""The library path, in a process of its own: timing and profiling ``run_check``.

::

    python -m bench.check.inproc time CORPUS_ROOT [--repeats 1]
    python -m bench.check.inproc profile CORPUS_ROOT [--top 15] [--pyinstrument-out FILE]
    python -m bench.check.inproc split CORPUS_ROOT
    valgrind --tool=callgrind python -m bench.check.inproc stage N CORPUS_ROOT

``time`` runs ``run_check(["articles"], root=CORPUS_ROOT, ...)`` as the CLI does,
then renders the JSON report, timing each separately (start-up and imports
excluded). ``profile`` runs the same under ``cProfile`` and reports the top
functions by cumulative and by self time, as % of the profiled total; with
pyinstrument installed it also runs a sampling profile (no per-call overhead,
so its proportions are the more faithful of the two) and writes its text.

``split`` divides the library path's CPU time into reading the documents,
extracting (the readers, markers, sentences, claims), building the report
(``run_check`` less the two before it: resolution, findings, the report's
spool) and rendering the JSON; each pass runs over the whole corpus.

``stage N`` runs the library path as far as stage N and stops: 0 imports and
settings, 1 reading the documents, 2 extraction (reading included), 3 ``run_check``,
4 ``run_check`` and the JSON rendering. Run under callgrind, the differences between
stages are each stage's instructions, a measure the load of a shared machine does not
move (CPU time does, by 10-25 %).

All but ``stage`` print one JSON object. They run in a child process, not in the harness,
so the harness stays small: Linux carries a parent's RSS high-water mark into
the children it starts, which would otherwise inflate their peak RSS figures.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import io
import json
import pstats
import time
from pathlib import Path
from typing import Any

__all__ = ["main", "profile", "split", "stage", "time_runs"]

REPO = Path(__file__).resolve().parents[2]
# Frames that wrap the whole run: 100 % cumulative, no information.
_WRAPPERS = frozenset({"run_check", "run", "_check_and_render"})


def _check_and_render(root: Path) -> tuple[float, float, float, float]:
    """Check then render; wall and CPU seconds of each: (check, render, check CPU, render CPU)."""
    from provenance.check import run_check
    from provenance.config import load_settings
    from provenance.formats import FORMATS

    settings, _ = load_settings(root)
    started, cpu_started = time.perf_counter(), time.process_time()
    result = run_check(["articles"], root=root, settings=settings)
    checked, cpu_checked = time.perf_counter(), time.process_time()
    rendered = FORMATS["json"](result.report)
    if not isinstance(rendered, str):  # older code (--provenance-src) gave one string
        for _chunk in rendered:
            pass  # streamed, as the CLI writes it
    done, cpu_rendered = time.perf_counter(), time.process_time()
    return (
        checked - started,
        done - checked,
        cpu_checked - cpu_started,
        cpu_rendered - cpu_checked,
    )


def _import_pipeline() -> None:
    for module in ("provenance.check", "provenance.config", "provenance.formats"):
        importlib.import_module(module)


def time_runs(root: Path, repeats: int) -> dict[str, Any]:
    """Time ``repeats`` in-process runs: check and JSON render seconds, wall and CPU."""
    _import_pipeline()  # imports are not part of the timing

    out: dict[str, list[float]] = {
        "check_s": [],
        "render_s": [],
        "check_cpu_s": [],
        "render_cpu_s": [],
    }
    for _ in range(repeats):
        gc.collect()
        for key, value in zip(out, _check_and_render(root), strict=True):
            out[key].append(value)
    return out


def split(root: Path) -> dict[str, float]:
    """CPU seconds of each stage of the library path, over the whole corpus."""
    from provenance.check import Checker, display_path, run_check
    from provenance.config import load_settings
    from provenance.documents import expand_paths, load_document
    from provenance.errors import DocumentError
    from provenance.extract import extract
    from provenance.formats import FORMATS
    from provenance.sources import load_sources

    settings, _ = load_settings(root)
    catalog = load_sources(root / settings.sources, display=settings.sources)
    options = Checker(settings, catalog, root=root).options
    paths = [p for p in expand_paths(["articles"], base=root) if not isinstance(p, DocumentError)]
    gc.collect()
    started = time.process_time()
    for path in paths:
        load_document(path, display_path(path, root))
    loaded = time.process_time()
    for path in paths:
        extract(load_document(path, display_path(path, root)), options)
    extracted = time.process_time()
    gc.collect()
    check_started = time.process_time()
    result = run_check(["articles"], root=root, settings=settings)
    checked = time.process_time()
    rendered = FORMATS["json"](result.report)
    if not isinstance(rendered, str):
        for _chunk in rendered:
            pass
    done = time.process_time()
    load_s = loaded - started
    extract_s = extracted - loaded - load_s  # the second pass loaded the documents again
    return {
        "load_cpu_s": load_s,
        "extract_cpu_s": extract_s,
        "report_cpu_s": (checked - check_started) - load_s - extract_s,
        "check_cpu_s": checked - check_started,
        "render_cpu_s": done - checked,
    }


def stage(root: Path, last: int) -> dict[str, int]:
    """Run the library path up to stage ``last`` (see the module's docstring)."""
    from provenance.check import Checker, display_path, run_check
    from provenance.config import load_settings
    from provenance.documents import expand_paths, load_document
    from provenance.errors import DocumentError
    from provenance.extract import extract
    from provenance.formats import FORMATS
    from provenance.sources import load_sources

    gc.freeze()  # as the CLI runs a check
    gc.set_threshold(10_000, 50, 100)
    settings, _ = load_settings(root)
    catalog = load_sources(root / settings.sources, display=settings.sources)
    options = Checker(settings, catalog, root=root).options
    paths = [p for p in expand_paths(["articles"], base=root) if not isinstance(p, DocumentError)]
    if last == 1:
        for path in paths:
            load_document(path, display_path(path, root))
    elif last == 2:
        for path in paths:
            extract(load_document(path, display_path(path, root)), options)
    elif last >= 3:
        result = run_check(["articles"], root=root, settings=settings)
        if last >= 4:
            for _chunk in FORMATS["json"](result.report):
                pass
    return {"stage": last, "documents": len(paths)}


def _short(filename: str) -> str:
    """``.../site-packages/pydantic/main.py`` -> ``pydantic/main.py``; same for provenance."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1]
    package = filename.rfind("/provenance/")
    return filename[package + 1 :] if package >= 0 else filename.replace(str(REPO) + "/", "")


def profile(root: Path, *, top: int, pyinstrument_out: Path | None) -> dict[str, Any]:
    """cProfile the in-process run (check + JSON render); top functions by cum and self %."""
    _import_pipeline()

    profiler = cProfile.Profile()
    gc.collect()
    started = time.perf_counter()
    profiler.runcall(_check_and_render, root)
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler, stream=io.StringIO())
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    total = max(float(stats.total_tt), 1e-9)  # type: ignore[attr-defined]
    rows: list[dict[str, Any]] = []
    for (filename, line, name), (_primitive, calls, self_s, cum_s, _callers) in raw.items():
        where = f"{_short(filename)}:{line}({name})" if line else name
        rows.append(
            {
                "function": where,
                "name": name,
                "calls": calls,
                "self_s": self_s,
                "cum_s": cum_s,
                "cum_pct": 100 * cum_s / total,
                "self_pct": 100 * self_s / total,
            }
        )
    informative = [
        r for r in rows if r["name"] not in _WRAPPERS and not r["function"].startswith(("<", "~"))
    ]
    out: dict[str, Any] = {
        "wall_s": wall,
        "total_s": total,
        "by_cum": sorted(informative, key=lambda r: r["cum_s"], reverse=True)[:top],
        "by_self": sorted(rows, key=lambda r: r["self_s"], reverse=True)[:top],
    }
    try:
        from pyinstrument import Profiler  # optional: a sampling profiler
    except ImportError:
        return out
    sampler = Profiler(interval=0.001)
    sampler.start()
    _check_and_render(root)
    sampler.stop()
    text = sampler.output_text(unicode=False, color=False, show_all=False)
    out["pyinstrument"] = True
    if pyinstrument_out is not None:
        pyinstrument_out.write_text(text, encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> None:
    """Command line: ``time`` or ``profile`` one corpus, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("time", "profile", "split", "stage"))
    parser.add_argument("stage", nargs="?", type=int, default=4, help="for stage: 0-4")
    parser.add_argument("root", type=Path, help="corpus root (holds articles/ and sources.toml)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--pyinstrument-out", type=Path, default=None)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.mode == "time":
        out = time_runs(root, max(args.repeats, 1))
    elif args.mode == "split":
        out = split(root)
    elif args.mode == "stage":
        stage(root, args.stage)
        return
    else:
        out = profile(root, top=args.top, pyinstrument_out=args.pyinstrument_out)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
