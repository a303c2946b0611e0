"""Fixtures of the archive tests: a fixed clock and an open store in a temp directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provenance.archive import SnapshotStore
from tests.archive.factory import Clock


@pytest.fixture
def clock() -> Clock:
    """A clock fixed at 2024-05-01 12:00 UTC until a test moves it."""
    return Clock()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Where the archive under test lives (created by the store)."""
    return tmp_path / "archive"


@pytest.fixture
def store(root: Path, clock: Clock) -> Iterator[SnapshotStore]:
    """An open store with run id ``test``."""
    with SnapshotStore(root, clock=clock, run_id="test") as opened:
        yield opened
