"""The archive process outlives a SIGKILLed parent only to finish its batch and close.

A real parent process (``tests.support.archive_parent``) feeds an ``ArchiveWorker``
batches of 50 fetches and is killed with SIGKILL once 150 are acknowledged, most likely
while the child is recording the next batch or the parent is still sending it.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from provenance.archive import SnapshotStore
from tests.conftest import REPO
from tests.support.archive_parent import BATCH

pytestmark = pytest.mark.integration


def _exits_within(pidfd: int, seconds: float) -> bool:
    """Whether the process behind ``pidfd`` exits within ``seconds`` (not our child: no wait)."""
    readable, _, _ = select.select([pidfd], [], [], seconds)
    return bool(readable)


def test_a_killed_parent_leaves_a_whole_archive_and_no_archive_process(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    parent = subprocess.Popen(
        [sys.executable, "-m", "tests.support.archive_parent", str(root)],
        cwd=REPO,
        env=os.environ | {"PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    try:
        child = os.pidfd_open(int(parent.stdout.readline().split()[1]))
        acknowledged = 0
        while acknowledged < 3 * BATCH:
            line = parent.stdout.readline()
            assert line.startswith("recorded "), line
            acknowledged = int(line.split()[1])
        parent.send_signal(signal.SIGKILL)
        # The child shares the parent's stderr: it reaches EOF once the child is gone too.
        _, errors = parent.communicate(timeout=60)
        assert _exits_within(child, 60)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()

    assert parent.returncode == -signal.SIGKILL
    assert errors == ""  # the child exited quietly: no traceback about the broken pipe
    os.close(child)
    with SnapshotStore(root, read_only=True) as store:
        recorded = len(store.urls())
        assert store.verify().ok
    # Every acknowledged batch is there, at most the one in hand besides, each whole.
    assert acknowledged <= recorded <= acknowledged + BATCH
    assert recorded % BATCH == 0
