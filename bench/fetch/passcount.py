"""Instructions per URL of the fetching pass (callgrind), package against package.

::

    python -m bench.fetch.passcount --src /tmp/a --src /tmp/b [--archive] [--sizes 400,1600]

CPU time on the shared 2-core machine moves by ±10 % from run to run; instruction
counts do not. For each ``--src`` (a directory holding a ``provenance`` package, as for
``bench.fetch.passcpu``), runs one ``passcpu --child`` pass under
``valgrind --tool=callgrind`` for each of two corpus sizes (the first URLs of one clean
manifest, against the loopback server) and prints ``(I(large) - I(small)) / (large -
small)``: the instructions per URL of the pass, start-up and imports cancelled out. Only
the fetching process is counted (not the server, nor the archive process that
``--archive`` starts). A ``sitecustomize.py`` in a ``--src`` directory runs first in its
children: that is how one tree is measured on two event loops (one copy setting
``PROVENANCE_EVENT_LOOP=asyncio``). Needs ``valgrind``; ~1 minute per package and size.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["main"]

REPO_ROOT = Path(__file__).resolve().parents[2]


def _instructions(command: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    valgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    proc = subprocess.run(
        valgrind + command, env=env, cwd=cwd, capture_output=True, text=True, check=True
    )
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from callgrind: {proc.stderr[-500:]}")
    return int(found.group(1)), proc.stdout


def main(argv: list[str] | None = None) -> int:
    """Count; print one line per run and the per-URL figure of each package."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", action="append", default=[], help="a provenance package dir")
    parser.add_argument("--sizes", default="400,1600", help="the two corpus sizes")
    parser.add_argument("--archive", action="store_true", help="gather_evidence with an archive")
    parser.add_argument("--hosts", type=int, default=4)
    args = parser.parse_args(argv)
    small, large = sorted(int(n) for n in args.sizes.split(","))

    from bench.fetch.run import Servers, clean_manifest
    from bench.fetch.server import build_manifest

    sources = args.src or [""]
    counts: dict[tuple[str, int], int] = {}
    servers = Servers(args.hosts, 1, seed=0, max_seconds=3600)
    try:
        manifest = clean_manifest(build_manifest(servers.bases, large + large // 4))
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            for size in (small, large):
                part = {**manifest, "urls": manifest["urls"][:size]}
                (work / f"urls-{size}.json").write_text(json.dumps(part), encoding="utf-8")
            for size in (small, large):
                for src in sources:
                    servers.reset(0)
                    command = [sys.executable, "-m", "bench.fetch.passcpu", "--child"]
                    command += ["--manifest", str(work / f"urls-{size}.json"), "--passes", "1"]
                    command += ["--concurrency", "64", "--host-concurrency", "16"]
                    if args.archive:
                        command.append("--archive")
                    paths = [p for p in (src, str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p]
                    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
                    count, out = _instructions(command, env, work)
                    got = json.loads(out.strip().splitlines()[-1])
                    counts[(src, size)] = count
                    print(
                        f"{src or 'tree'}, {size} URLs: {count:,} instructions,"
                        f" {got['right']}/{got['urls']} right",
                        flush=True,
                    )
    finally:
        servers.stop()
    for src in sources:
        per_url = (counts[(src, large)] - counts[(src, small)]) / (large - small)
        print(f"{src or 'tree'}: {per_url:,.0f} instructions per URL")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
