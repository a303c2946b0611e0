"""Memory probes, each run in its own process so its peak RSS is its own.

::

    python -m bench.check.probe floor
    python -m bench.check.probe bare CORPUS_ROOT
    python -m bench.check.probe stream CORPUS_ROOT
    python -m bench.check.probe retain CORPUS_ROOT

Each prints one JSON object on stdout. The four modes split the peak RSS of
``provenance check`` into its parts:

``floor``
    Import everything ``provenance check`` imports, and nothing else: the
    interpreter plus libraries.
``bare``
    Check every document of ``CORPUS_ROOT/articles`` the way ``Checker.run``
    does (load, extract, resolve, findings, the document's report), but drop
    each document's results, its tally of cited sources and its spool, before
    the next one. Its peak is the floor plus the per-document working set: flat
    in corpus size if documents are really processed one at a time.
``stream``
    The same, but with one run-wide tally of cited sources and one report
    spool, as ``Checker.run`` keeps them (``_Usage``: the cited shared and
    identifier ``SourceRecord``s; ``_Run``: the spooled documents, findings and
    each document's own sources, on disk but for small buffers).
``retain``
    ``run_check`` as the CLI calls it, keeping the ``Report`` (its spool):
    peak after checking, then peak after rendering the report as JSON
    (streamed, its chunks counted and dropped), and the JSON's size.
"""

from __future__ import annotations

import contextlib
import gc
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["current_rss_mib", "main", "peak_rss_mib"]


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, MiB.

    ``VmHWM`` of /proc/self/status: the high-water mark of this program's own
    memory since it was exec'd. ``ru_maxrss`` is not used where ``VmHWM`` exists
    because Linux carries the parent's high-water mark across fork/vfork and
    exec into it, so a big parent would inflate every child's figure.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines()[:64]:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    """This process's resident set size now, MiB, from /proc/self/statm (0 if unavailable)."""
    try:
        fields = Path("/proc/self/statm").read_text(encoding="ascii").split()
    except OSError:
        return 0.0
    return int(fields[1]) * resource.getpagesize() / 2**20


def _floor() -> dict[str, Any]:
    import provenance.cli  # noqa: F401  (what the console script imports)

    return {"mode": "floor", "peak_rss_mib": peak_rss_mib()}


def _stream(root: Path, *, run_wide_usage: bool) -> dict[str, Any]:
    from provenance import check
    from provenance.check import Checker, display_path
    from provenance.config import load_settings
    from provenance.documents import expand_paths, load_document
    from provenance.errors import DocumentError
    from provenance.sources import load_sources

    settings, _ = load_settings(root)
    catalog = load_sources(root / settings.sources, display=settings.sources)
    checker = Checker(settings, catalog, root=root)
    check_document = checker._check_document  # the per-document step of Checker.run
    # The run-wide tally of cited sources and the report's spool, kept as Checker.run keeps them.
    usage = check._Usage(spool_local=True)
    state = check._Run(errors=[])
    floor = peak_rss_mib()
    documents = claims = 0
    largest = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for item in expand_paths(["articles"], base=root):
        if isinstance(item, DocumentError):
            continue
        document = load_document(item, display_path(item, root))
        largest = max(largest, len(document.text))
        if not run_wide_usage:
            usage = check._Usage(spool_local=True)
            state = check._Run(errors=[])
        check_document(document, state, usage)
        documents += 1
        claims = claims + state.claims if not run_wide_usage else state.claims
        del document  # nothing of this document outlives it but what Checker.run keeps
    return {
        "mode": "stream" if run_wide_usage else "bare",
        "documents": documents,
        "cited_sources": len(usage.records),
        "claims": claims,
        "largest_document_chars": largest,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "floor_rss_mib": floor,
        "peak_rss_mib": peak_rss_mib(),
    }


def _retain(root: Path) -> dict[str, Any]:
    from provenance.check import run_check
    from provenance.config import load_settings
    from provenance.formats import FORMATS

    settings, _ = load_settings(root)
    floor = peak_rss_mib()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = run_check(["articles"], root=root, settings=settings)
    checked = time.perf_counter() - started
    checked_cpu = time.process_time() - cpu_started
    gc.collect()
    after_check_peak = peak_rss_mib()
    after_check_current = current_rss_mib()
    started = time.perf_counter()
    json_bytes = sum(len(chunk.encode("utf-8")) for chunk in FORMATS["json"](result.report))
    render_seconds = time.perf_counter() - started
    summary = result.report.summary
    return {
        "mode": "retain",
        "documents": summary.documents,
        "claims": summary.claims,
        "citations": summary.citations,
        "sources": summary.sources,
        "findings": sum(summary.findings.values()),
        "json_bytes": json_bytes,
        "seconds": checked,
        "cpu_seconds": checked_cpu,
        "render_seconds": render_seconds,
        "floor_rss_mib": floor,
        "check_peak_rss_mib": after_check_peak,
        "check_current_rss_mib": after_check_current,
        "peak_rss_mib": peak_rss_mib(),
    }


def main(argv: list[str] | None = None) -> None:
    """Run one probe and print its JSON."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in {"floor", "bare", "stream", "retain"}:
        raise SystemExit(
            "usage: python -m bench.check.probe floor|bare|stream|retain [CORPUS_ROOT]"
        )
    mode = args[0]
    if mode == "floor":
        out = _floor()
    else:
        if len(args) < 2:
            raise SystemExit(f"usage: python -m bench.check.probe {mode} CORPUS_ROOT")
        root = Path(args[1]).resolve()
        run_wide = mode == "stream"
        out = _retain(root) if mode == "retain" else _stream(root, run_wide_usage=run_wide)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
