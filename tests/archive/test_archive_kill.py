"""Nothing lost: ``provenance check`` killed with SIGKILL at random points, many times.

A loopback server on four addresses serves a few hundred pages, each answer different so
every run writes new records, and archive batches are made small (8 fetches) so a run
writes many of them. Each run is a real process (forked from a pre-imported provenance,
``tests.support.zygote``, to skip the import time) and is killed by the server itself at
the moment it receives the run's k-th request, k drawn from a seeded RNG: wherever the
run is then (fetching, extracting, appending to a WARC file, fsyncing, committing the
index). Afterwards one run completes, and ``provenance archive verify`` (a real
``python -m provenance`` process) must find every indexed snapshot whole.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.loopback import LoopbackServer, Request, Response

pytestmark = pytest.mark.integration

# A longer run by hand: PROVENANCE_KILL_RUNS=200 PROVENANCE_KILL_SEED=7 pytest this file.
SEED = int(os.environ.get("PROVENANCE_KILL_SEED", "20261130"))
KILLS = int(os.environ.get("PROVENANCE_KILL_RUNS", "20"))
PAGES = 100
HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")


class Killer:
    """Counts requests and SIGKILLs the armed process at the k-th one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.served = 0
        self._pid: int | None = None
        self._at = 0

    def arm(self, pid: int, at: int) -> None:
        with self._lock:
            self._pid, self._at = pid, at
            if self.served >= at:  # the run got there before we knew its pid
                self._fire()

    def reset(self) -> None:
        with self._lock:
            self.served, self._pid, self._at = 0, None, 0

    def count(self) -> int:
        with self._lock:
            self.served += 1
            if self._pid is not None and self.served == self._at:
                self._fire()
            return self.served

    def _fire(self) -> None:
        assert self._pid is not None
        os.kill(self._pid, signal.SIGKILL)
        self._pid = None


def _document(server: LoopbackServer) -> str:
    lines = [f"Claim number {n} is stated here as a fact [{n}]." for n in range(1, PAGES + 1)]
    lines.append("")
    for n in range(1, PAGES + 1):
        lines.append(f"[{n}]: {server.url(f'/page/{n}', host=HOSTS[n % len(HOSTS)])}")
    return "\n".join(lines) + "\n"


def test_runs_killed_at_random_points_leave_an_archive_that_verifies(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    killer = Killer()
    archive = tmp_path / "archive"

    async def page(request: Request) -> Response:
        served = killer.count()
        body = (
            f"<html><head><title>Page {request.path}</title></head><body>"
            f"<p>Answer {served} to {request.path}: {'words ' * 50}</p></body></html>"
        )
        return Response(200, [("Content-Type", "text/html")], body.encode())

    env = os.environ | {"PROVENANCE_TEST_BATCH": "8", "PYTHONPATH": str(REPO)}
    zygote = subprocess.Popen(
        [sys.executable, "-m", "tests.support.zygote"],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert zygote.stdin is not None and zygote.stdout is not None
    argv = [
        "check", "--allow-private", "--refresh", "--timeout", "10",
        "--archive-dir", str(archive), "--cache-dir", str(tmp_path / "cache"), "claims.md",
    ]  # fmt: skip

    def one_run(kill_at: int | None) -> int:
        killer.reset()
        assert zygote.stdin is not None and zygote.stdout is not None
        zygote.stdin.write(json.dumps({"cwd": str(tmp_path), "argv": argv}) + "\n")
        zygote.stdin.flush()
        pid = int(zygote.stdout.readline().split()[1])
        if kill_at is not None:
            killer.arm(pid, kill_at)
        return int(zygote.stdout.readline().split()[1])

    try:
        with LoopbackServer(HOSTS) as server:
            for n in range(1, PAGES + 1):
                server.route(f"/page/{n}", page)
            (tmp_path / "claims.md").write_text(_document(server))
            exits = [one_run(rng.randint(1, PAGES)) for _ in range(KILLS)]
            final = one_run(None)
    finally:
        zygote.stdin.close()
        zygote.wait(timeout=30)
        zygote.stdout.close()

    assert exits == [-signal.SIGKILL] * KILLS  # every run died by the kill, none finished
    assert final == 0

    verify = subprocess.run(
        [sys.executable, "-m", "provenance", "archive", "verify", "--archive-dir", str(archive)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    db = sqlite3.connect(archive / "index.sqlite3")
    try:
        snapshots = int(db.execute("SELECT count(*) FROM snapshots").fetchone()[0])
    finally:
        db.close()
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout == ""  # no problem lines: 0 snapshots lost
    assert f"{snapshots} snapshots in " in verify.stderr
    assert verify.stderr.rstrip().endswith("checked: ok")
    # The final run's, plus batches the killed runs committed before they died.
    assert snapshots > PAGES
    print(f"killed {KILLS} runs; {snapshots} snapshots indexed, all verified")
