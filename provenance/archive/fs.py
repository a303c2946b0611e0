"""File operations of the archive: every WARC byte is on disk before it is indexed.

A durable write either lands whole (written, ``fsync``-ed, and for new names
the directory ``fsync``-ed too) or raises ``ArchiveError`` naming the path; an
``OSError`` never escapes the archive as itself. Every ``fsync`` goes through
``fsync_fd``, so there is one place to count them.

Derived files (the extracted text) are written atomically but not durably
(``write_atomic(..., durable=False)``): a killed process never leaves one
half-written under its name, but a power cut may lose or tear one. The store
detects that and rebuilds them from the WARC records, which are durable.
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
    "fsync_fd",
    "make_dirs",
    "truncate_durably",
    "write_all",
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


def fsync_fd(fd: int) -> None:
    """``fsync`` the file open as ``fd``: the one place the archive asks for durability."""
    os.fsync(fd)


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (a new or renamed file) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fsync_fd(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to the file open as ``fd`` (at its offset, or its end if O_APPEND)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def append_durably(fd: int, data: bytes) -> None:
    """Write all of ``data`` at the end of the file open as ``fd``, then ``fsync`` it."""
    write_all(fd, data)
    fsync_fd(fd)


def truncate_durably(fd: int, size: int) -> None:
    """Cut the file open as ``fd`` back to ``size`` bytes, durably."""
    os.ftruncate(fd, size)
    fsync_fd(fd)


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``path`` so that it exists whole or not at all: temp file, (fsync,) rename.

    With ``durable=False`` neither the file nor its directory is ``fsync``-ed:
    the rename still makes it appear whole or not at all to every process, even
    one killed mid-write, but a power cut before the kernel writes it back may
    leave it missing or torn. Only for files that can be rebuilt.
    Raises ``ArchiveError`` naming ``path`` when the directory is read-only or
    the disk is full; the temp file is removed then.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            write_all(fd, data)
            if durable:
                fsync_fd(fd)
        finally:
            os.close(fd)
        tmp.replace(path)
        if durable:
            fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise archive_error("write", path, exc) from exc
