"""Reading documents: paths, directories and globs in; decoded ``Document`` objects out.

Positions everywhere in provenance are 1-based line and column counted in
characters of the decoded text, as an editor shows them. Line endings are
normalised to ``\\n`` (which moves no line and no column).
"""

from __future__ import annotations

import bisect
import glob
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from provenance.errors import DocumentError
from provenance.models import DocFormat

__all__ = [
    "DEFAULT_MAX_DOCUMENT_BYTES",
    "SUFFIXES",
    "Document",
    "LineIndex",
    "document_format",
    "expand_paths",
    "load_document",
    "resolve",
]

# Larger documents are refused before they are read: checking runs at a few MB/s and
# the report grows with the text, so a 100 MB file would take minutes and gigabytes.
DEFAULT_MAX_DOCUMENT_BYTES = 32 * 1024 * 1024

SUFFIXES: dict[str, DocFormat] = {
    ".txt": DocFormat.TEXT,
    ".text": DocFormat.TEXT,
    ".md": DocFormat.MARKDOWN,
    ".markdown": DocFormat.MARKDOWN,
    ".mdown": DocFormat.MARKDOWN,
    ".mkd": DocFormat.MARKDOWN,
    ".html": DocFormat.HTML,
    ".htm": DocFormat.HTML,
    ".xhtml": DocFormat.HTML,
}

# Directories a recursive walk never enters: tool state, dependencies, our own output.
_SKIP_DIRS = frozenset({"node_modules", "reports", "__pycache__", "site-packages", "venv"})

_WESTERN = ("utf_8", "cp1252", "latin_1", "iso8859_15")

# How much of a file is sniffed for NUL bytes to call it binary.
_SNIFF_BYTES = 8192


class LineIndex:
    """Turns character offsets into 1-based (line, column) pairs in O(log lines)."""

    __slots__ = ("_starts",)

    def __init__(self, text: str) -> None:
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self._starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        """``offset`` (0-based) -> ``(line, column)``, both 1-based."""
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1

    @property
    def starts(self) -> list[int]:
        """The offset at which each line starts, in order (for bisecting many offsets)."""
        return self._starts

    def line_start(self, line: int) -> int:
        """Offset of the first character of 1-based ``line``."""
        return self._starts[line - 1]

    @property
    def line_count(self) -> int:
        """Number of lines (a trailing newline starts an empty last line)."""
        return len(self._starts)


@dataclass(slots=True)
class Document:
    """A decoded document: its text, format and where it came from."""

    path: Path
    display: str
    format: DocFormat
    text: str
    sha256: str
    encoding: str = "utf-8"
    lines: LineIndex = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.lines = LineIndex(self.text)


def document_format(path: Path) -> DocFormat | None:
    """The format a file's suffix says, or None if provenance does not read it."""
    return SUFFIXES.get(path.suffix.lower())


def load_document(
    path: Path,
    display: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
    root: Path | None = None,
    resolved: dict[Path, Path] | None = None,
) -> Document:
    """Read and decode ``path``; raise ``DocumentError`` with a one-line reason if it cannot be.

    A file over ``max_bytes`` is refused without being read. With ``root``, a path
    inside the project that is a symbolic link (or passes through one) to somewhere
    outside it is refused: a checked-in link must not make CI read the runner's files.
    ``resolved``: directories resolved so far, shared by the documents of a run (see
    ``resolve``).
    """
    display = display or str(path)
    fmt = document_format(path)
    if fmt is None:
        raise DocumentError(
            f"unsupported file type {path.suffix or '(none)'!r}; provenance reads "
            + ", ".join(sorted(SUFFIXES)),
            path=display,
        )
    link = None
    if root is not None:
        link = _link_outside(path, root, {} if resolved is None else resolved)
    if link is not None:
        raise DocumentError("is a symbolic link leading outside the project; not read", path=link)
    try:
        with path.open("rb") as file:
            # Read one byte past the limit: special files (/dev/zero) have no size.
            data = file.read(max_bytes + 1)
    except FileNotFoundError:
        raise DocumentError("no such file; check the path", path=display) from None
    except IsADirectoryError:
        raise DocumentError(
            "is a directory; give files, directories or globs", path=display
        ) from None
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc.strerror or exc}", path=display) from None
    if len(data) > max_bytes:
        raise DocumentError(
            f"is larger than the {max_bytes}-byte limit for a document"
            " (max_document_bytes in the config); split it or raise the limit",
            path=display,
        )
    text, encoding = _decode(data, display)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Document(
        path=path,
        display=display,
        format=fmt,
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
    )


def resolve(path: Path, resolved: dict[Path, Path]) -> Path:
    """``path.resolve()``, each directory resolved once: ``resolved`` keeps them.

    Resolving a path looks at every component of it (a system call and some Python
    each); the documents of a run share a few directories. Only the file itself is
    then looked at: when it is no symbolic link, it resolves to its name in its
    directory's resolved path.
    """
    name = path.name
    if name in ("", ".", "..") or path.is_symlink():
        return path.resolve()
    parent = path.parent
    directory = resolved.get(parent)
    if directory is None:
        directory = resolved[parent] = parent.resolve()
    return directory / name


def _link_outside(path: Path, root: Path, resolved: dict[Path, Path]) -> str | None:
    """``path`` as written (relative to ``root``) if it resolves to outside ``root``, else None."""
    base = root.absolute()
    # normpath, not resolve: ".." is undone as written, links are left to resolve() below.
    written = Path(os.path.normpath(path if path.is_absolute() else base / path))
    if not written.is_relative_to(base):
        return None  # named outside the project on purpose (command line): not a link trick
    try:
        inside = resolve(written, resolved).is_relative_to(resolve(base, resolved))
    except (OSError, RuntimeError):  # a symlink loop: refuse rather than guess
        inside = False
    return None if inside else written.relative_to(base).as_posix()


def _decode(data: bytes, display: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise DocumentError(
            "looks binary (NUL bytes); give a .txt, .md or .html text file", path=display
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    from charset_normalizer import from_bytes  # imported late: only non-UTF-8 files need it

    matches = from_bytes(data)
    best = matches.best()
    if best is not None:
        # Short texts fit several code pages equally well; the Western one is by far the
        # likeliest for a document in Latin script, so it wins ties.
        for match in matches:
            if (
                match.encoding in _WESTERN
                and match.chaos <= best.chaos
                and match.coherence >= best.coherence
            ):
                best = match
                break
    if best is None or best.encoding is None:
        line = data[: utf8_error.start].count(b"\n") + 1
        raise DocumentError(
            "not UTF-8 and its encoding cannot be detected; convert it to UTF-8",
            path=display,
            line=line,
        )
    return str(best), best.encoding


def expand_paths(specs: Iterable[str], *, base: Path) -> Iterator[Path | DocumentError]:
    """Expand files, directories (recursively) and globs into document paths, sorted.

    Yields a ``DocumentError`` in place of anything that matches nothing, so a
    run over many documents reports the bad one and goes on with the rest.
    """
    seen: set[Path] = set()
    resolved: dict[Path, Path] = {}
    for spec in specs:
        candidate = Path(spec) if Path(spec).is_absolute() else base / spec
        if any(ch in spec for ch in "*?["):
            # glob.glob, not Path.glob: the pattern may be absolute or contain "**".
            pattern = str(candidate)
            matches = sorted(Path(m) for m in glob.glob(pattern, recursive=True))  # noqa: PTH207
            files = [m for m in matches if m.is_file() and document_format(m) is not None]
            files += [f for m in matches if m.is_dir() for f in _walk(m)]
            if not files:
                yield DocumentError("the pattern matches no document", path=spec)
        elif candidate.is_dir():
            files = list(_walk(candidate))
            if not files:
                yield DocumentError("the directory holds no .txt, .md or .html file", path=spec)
        elif candidate.exists() or candidate.is_symlink():
            files = [candidate]
        else:
            yield DocumentError("no such file or directory; check the path", path=spec)
            continue
        for path in files:
            key = resolve(path, resolved)
            if key not in seen:
                seen.add(key)
                yield path


def _walk(directory: Path) -> Iterator[Path]:
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory).parts
        if any(part.startswith(".") or part in _SKIP_DIRS for part in rel[:-1]):
            continue
        if path.is_file() and not rel[-1].startswith(".") and document_format(path) is not None:
            yield path
