"""Durable file operations: every byte the archive keeps is on disk before it is indexed.

A write either lands whole (written, ``fsync``-ed, and for new names the
directory ``fsync``-ed too) or raises ``ArchiveError`` naming the path; an
``OSError`` never escapes the archive as itself.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from provenance.errors import ArchiveError

__all__ = [
    "TEMP_SUFFIX",
    "append_durably",
    "archive_error",
    "fsync_dir",
    "make_dirs",
    "truncate_durably",
    "write_atomic",
]

# Names ending so are half-written files of a killed run; recovery removes them.
TEMP_SUFFIX = ".tmp"


def archive_error(action: str, path: Path, exc: BaseException) -> ArchiveError:
    """Build the one-line ``ArchiveError`` for a failed file operation on ``path``."""
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return ArchiveError(f"cannot {action} {path}: {detail}")


def make_dirs(*paths: Path) -> None:
    """Create each directory (and parents) if missing."""
    for path in paths:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise archive_error("create the archive directory", path, exc) from exc


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (a new or renamed file) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def append_durably(fd: int, data: bytes) -> None:
    """Write all of ``data`` at the end of the file open as ``fd``, then ``fsync`` it."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)


def truncate_durably(fd: int, size: int) -> None:
    """Cut the file open as ``fd`` back to ``size`` bytes, durably."""
    os.ftruncate(fd, size)
    os.fsync(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` so that it exists whole or not at all: temp file, fsync, rename.

    Raises ``ArchiveError`` naming ``path`` when the directory is read-only or
    the disk is full; the temp file is removed then.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            append_durably(fd, data)
        finally:
            os.close(fd)
        tmp.replace(path)
        fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise archive_error("write", path, exc) from exc
