"""The archive's writer lock: ``fcntl.flock`` on ``<root>/lock``.

Every change to the archive (appending WARC records, indexing them, recovering
from a killed run) happens while holding it, so two runs on one archive take
turns record by record instead of interleaving bytes. The kernel drops a flock
when its holder dies, so a killed run never leaves the archive locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from provenance.archive.fs import archive_error
from provenance.errors import ArchiveLockedError

__all__ = ["ArchiveLock"]

# How often a waiting writer retries: short enough to keep turns between two
# runs quick, long enough not to spin.
_POLL_SECONDS = 0.002


class ArchiveLock:
    """An exclusive, non-reentrant lock on a file, taken with a timeout.

    Separate ``ArchiveLock`` objects on the same path exclude each other even in
    one process (each holds its own open file description).
    """

    def __init__(self, path: Path, *, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None

    def open(self) -> None:
        """Create (if needed) and open the lock file; raises ``ArchiveError`` naming it."""
        if self._fd is not None:
            return
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise archive_error("open the archive lock", self.path, exc) from exc

    def close(self) -> None:
        """Close the lock file (releasing the lock if held)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the ``with`` block; raise ``ArchiveLockedError`` after ``timeout``."""
        fd = self._fd
        if fd is None:
            raise ArchiveLockedError(f"{self.path}: the archive lock is not open")
        self._acquire(fd)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _acquire(self, fd: int) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ArchiveLockedError(
                        f"{self.path}: another provenance run holds the archive lock "
                        f"(waited {self.timeout:g} s); let it finish or use another archive"
                    ) from None
                time.sleep(min(_POLL_SECONDS, remaining))
            except OSError as exc:
                raise archive_error("lock", self.path, exc) from exc
