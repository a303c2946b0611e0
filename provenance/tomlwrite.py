"""Rewriting a TOML file the user owns (sources.toml) without ever leaving it broken.

The new text is parsed first (refusing to write what would not load), written to a
temporary file beside the old one, flushed to disk and renamed over it, so a crash
leaves either the old file or the new one, never half of each.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path

from provenance.errors import SourcesError

__all__ = ["replace_toml"]


def replace_toml(path: Path, display: str, text: str) -> None:
    """Replace ``path`` with ``text`` atomically; ``display`` names it in errors."""
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # would be our bug; refuse rather than corrupt
        raise SourcesError(f"refusing to write invalid TOML ({exc})", path=display) from None
    directory = path.parent if str(path.parent) else Path()
    fd, tmp = tempfile.mkstemp(prefix=".sources-", suffix=".toml", dir=directory)
    try:
        # newline="": the text's own line endings are kept byte for byte.
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            Path(tmp).chmod(path.stat().st_mode & 0o777)
        Path(tmp).replace(path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise SourcesError(f"cannot write: {exc.strerror or exc}", path=display) from None
