"""The report's per-document parts, kept on disk while a run goes on.

A run over a large corpus must not hold every claim, citation and finding in
memory: the report would grow with the corpus. Each finished document is
written out at once, as the JSON the report will hold, to an anonymous
temporary file, and read back only when a format renders it. Findings and
source entries are kept as *sorted runs* (one per document, each sorted by the
report's order) and merged when read, so reading them back in report order
needs one run per out-of-order stretch in memory, not the whole list.

The spools are read-only sequences once the run is done: formats iterate them
as they would a list (``len``, iteration and indexing work), and the JSON
format copies the spooled document JSON straight to its output.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import itertools
import pickle
import tempfile
import weakref
from collections.abc import Callable, Iterator, Sequence
from json.encoder import encode_basestring as _escape
from typing import IO, TYPE_CHECKING, Any, Generic, TypeVar, overload

from pydantic import TypeAdapter

from provenance.extract._compiled import speedups as _compiled
from provenance.models import DocumentReport

__all__ = [
    "CitationRow",
    "ClaimRow",
    "CountSpool",
    "DocumentSpool",
    "RunSpool",
    "build_claim_rows",
    "citations_json",
    "claim_rows",
    "claims_json",
    "document_json",
]

if TYPE_CHECKING:
    import sqlite3


@functools.cache
def _any_adapter() -> TypeAdapter[Any]:
    """Serialises any value as pydantic does (for what is not written by hand here)."""
    return TypeAdapter(Any)


T = TypeVar("T")
Row = tuple[Any, ...]

# Bytes (documents) or rows (runs) held in memory before they go to the file.
_FLUSH_BYTES = 1 << 20
_FLUSH_ROWS = 4096
_SEPARATOR = b",\n"


def _temporary_file(owner: object) -> IO[bytes]:
    """An anonymous file that lives as long as ``owner`` (gone when closed, even on a crash)."""
    file = tempfile.TemporaryFile(prefix="provenance-report-")  # noqa: SIM115
    weakref.finalize(owner, file.close)
    return file


class DocumentSpool(Sequence[DocumentReport]):
    """Documents' JSON, in the order they were checked, in a temporary file.

    Each entry is the document exactly as it stands in the report's
    ``documents`` array (indented for it, and after the first one preceded by the
    ``",\n"`` that separates it from the one before), so the JSON format copies the
    whole array's contents as they are.
    """

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._buffer = bytearray()
        self._offsets: list[int] = [0]

    def append_json(self, data: bytes) -> None:
        """Add one document, given as its JSON in the report (without a separator)."""
        if len(self._offsets) > 1:
            data = _SEPARATOR + data
        self._buffer += data
        self._offsets.append(self._offsets[-1] + len(data))
        if len(self._buffer) >= _FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._file is None:
            self._file = _temporary_file(self)
        self._file.seek(0, 2)
        self._file.write(self._buffer)
        self._buffer.clear()

    def _stored(self) -> int:
        """How many bytes are in the file (the rest is in the buffer)."""
        return self._offsets[-1] - len(self._buffer)

    def raw(self, index: int) -> bytes:
        """The JSON of document ``index`` as the report holds it."""
        start, end = self._offsets[index], self._offsets[index + 1]
        if index:
            start += len(_SEPARATOR)
        stored = self._stored()
        if start >= stored:
            return bytes(self._buffer[start - stored : end - stored])
        assert self._file is not None
        self._file.seek(start)
        return self._file.read(end - start)

    def raw_chunks(self, size: int = _FLUSH_BYTES) -> Iterator[bytes]:
        """The contents of the report's ``documents`` array, in chunks of about ``size``."""
        stored = self._stored()
        if self._file is not None:
            done = 0
            while done < stored:
                self._file.seek(done)  # the file is shared with ``raw``
                chunk = self._file.read(min(size, stored - done))
                if not chunk:
                    break
                done += len(chunk)
                yield chunk
        if self._buffer:
            yield bytes(self._buffer)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, index: int) -> DocumentReport: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[DocumentReport]: ...

    def __getitem__(self, index: int | slice) -> DocumentReport | Sequence[DocumentReport]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("document index out of range")
        return DocumentReport.model_validate_json(self.raw(index))

    def __iter__(self) -> Iterator[DocumentReport]:
        for index in range(len(self)):
            yield self[index]


class RunSpool(Sequence[T], Generic[T]):
    """Rows added in sorted runs, read back merged into one sorted sequence.

    ``key`` orders rows; ``load`` turns a row into the item the sequence holds, and
    ``dump`` (optional) into the plain values the item serialises to, in its fields'
    order, for a format that writes JSON without building the item, and
    ``dump_json`` (optional) straight into that JSON, as an item of a top-level array
    of the report (indented by 4), or None for a row it leaves to ``dump``.
    Ties keep the order the rows were added in, as a stable sort of all of them
    would. Runs that follow on from the run before (the usual case: documents
    are checked in path order) are chained, so a merge only has as many inputs
    as there are stretches out of order.
    """

    def __init__(
        self,
        key: Callable[[Row], Any],
        load: Callable[[Row], T],
        dump: Callable[[Row], dict[str, Any]] | None = None,
        dump_json: Callable[[Row], str | None] | None = None,
    ) -> None:
        self._key = key
        self._load = load
        self.dump = dump
        self.dump_json = dump_json
        self._file: IO[bytes] | None = None
        # Each chain: its parts (an offset and length in the file, or rows in memory)
        # and the key of its last row.
        self._chains: list[list[tuple[int, int] | list[Row]]] = []
        self._last: list[Any] = []
        self._count = 0
        self._sorted: list[Callable[[], Iterator[Row]]] = []

    def add_run(self, rows: list[Row]) -> None:
        """Add rows already sorted by ``key``."""
        if not rows:
            return
        self._count += len(rows)
        first = self._key(rows[0])
        if not self._chains or first < self._last[-1]:
            self._chains.append([])
            self._last.append(first)
        chain = self._chains[-1]
        if chain and isinstance(chain[-1], list):
            chain[-1].extend(rows)
        else:
            chain.append(list(rows))
        self._last[-1] = self._key(rows[-1])
        pending = chain[-1]
        assert isinstance(pending, list)
        if len(pending) >= _FLUSH_ROWS:
            chain[-1] = self._store(pending)

    def add_sorted(self, count: int, rows: Callable[[], Iterator[Row]]) -> None:
        """Add ``count`` rows that ``rows()`` yields sorted by ``key``, read only when needed."""
        if count:
            self._count += count
            self._sorted.append(rows)

    def _store(self, rows: list[Row]) -> tuple[int, int]:
        if self._file is None:
            self._file = _temporary_file(self)
        data = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.seek(0, 2)
        offset = self._file.tell()
        self._file.write(data)
        return offset, len(data)

    def _chain_rows(self, chain: list[tuple[int, int] | list[Row]]) -> Iterator[Row]:
        for part in chain:
            if isinstance(part, list):
                yield from part
                continue
            assert self._file is not None
            offset, length = part
            self._file.seek(offset)
            rows: list[Row] = pickle.loads(self._file.read(length))  # our own file
            yield from rows

    def rows(self) -> Iterator[Row]:
        """Every row, in ``key`` order."""
        sources = [self._chain_rows(c) for c in self._chains] + [rows() for rows in self._sorted]
        if len(sources) == 1:
            return sources[0]
        return heapq.merge(*sources, key=self._key)

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        if isinstance(index, slice):
            return list(itertools.islice(self, *index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("index out of range")
        return next(itertools.islice(self, index, None))

    def __iter__(self) -> Iterator[T]:
        return map(self._load, self.rows())


class CountSpool:
    """How often each key was counted, in a temporary SQLite database; read back by key.

    For tallies that grow with the corpus and are needed only at the end (how often
    each self-naming identifier, ``[@doi:...]``, was cited).
    """

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None

    def add(self, keys: list[str]) -> None:
        """Count each of ``keys`` once more."""
        if not keys:
            return
        if self._db is None:
            import sqlite3  # only a run that cites self-naming identifiers needs it

            self._db = sqlite3.connect("", isolation_level=None)  # "": a private temp file
            self._db.execute("PRAGMA journal_mode = OFF")
            self._db.execute("PRAGMA synchronous = OFF")
            self._db.execute("CREATE TABLE counts (key TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
            weakref.finalize(self, self._db.close)
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT INTO counts VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET n = n + 1",
            [(key,) for key in keys],
        )
        self._db.execute("COMMIT")

    def __len__(self) -> int:
        if self._db is None:
            return 0
        (count,) = self._db.execute("SELECT COUNT(*) FROM counts").fetchone()
        return int(count)

    def items(self) -> Iterator[tuple[str, int]]:
        """``(key, count)`` in key order (SQLite's order of UTF-8 text is Python's of str)."""
        if self._db is None:
            return iter(())
        return iter(self._db.execute("SELECT key, n FROM counts ORDER BY key"))


# -- a document's JSON, written directly ------------------------------------------------
#
# ``DocumentReport.model_dump_json(indent=2)`` nested at the report's depth, built with
# string formatting: pydantic's serialiser, given plain values, cost a tenth of a
# --no-fetch run. Strings are escaped as pydantic (serde_json) escapes them: '"', '\\'
# and the control characters, nothing else (``encode_basestring``). A test checks the
# result against the models' own serialisation, field for field.

ClaimRow = tuple[str, int, int, int, int, list[str], bool, list[str]]
CitationRow = tuple[str, str, str, int, int, str | None, str | None]


# A list of ids inside a claim: "[", the ids one a line, "]", at the claim's depth.
_OPEN = "[\n            "
_ids = ",\n            ".join
_CLOSE = "\n          ]"


def _float(value: float | None) -> str:
    if value is None:
        return "null"
    if value == 0 or 1e-4 <= abs(value) < 1e16:
        return repr(value)  # shortest round trip, as serde_json writes it in this range
    return _any_adapter().dump_json(value).decode("ascii")


def claims_json(claims: list[ClaimRow]) -> str:
    """A document's claims as the report's JSON holds them, joined by ``",\n"``."""
    # The lists and optional strings are written inline (no call per claim): a claim is
    # built by one f-string, its id lists by str.join over the escaped ids.
    return ",\n".join(
        f'        {{\n          "text": {_escape(text)},\n          "line": {line},\n'
        f'          "column": {column},\n          "end_line": {end_line},\n'
        f'          "end_column": {end_column},\n          "citations": '
        f"{_OPEN + _ids(map(_escape, keys)) + _CLOSE if keys else '[]'},\n"
        f'          "cited": {"true" if cited else "false"},\n          "sources": '
        f"{_OPEN + _ids(map(_escape, sources)) + _CLOSE if sources else '[]'},\n"
        '          "verdicts": {}\n        }'
        for text, line, column, end_line, end_column, keys, cited, sources in claims
    )


def citations_json(citations: list[CitationRow]) -> str:
    """A document's citations as the report's JSON holds them, joined by ``",\n"``."""
    return ",\n".join(
        f'        {{\n          "id": {_escape(key)},\n          "kind": {_escape(kind)},\n'
        f'          "marker": {_escape(marker)},\n          "line": {line},\n'
        f'          "column": {column},\n'
        f'          "source": {"null" if source is None else _escape(source)},\n'
        f'          "locator": {"null" if locator is None else _escape(locator)}\n'
        "        }"
        for key, kind, marker, line, column, source, locator in citations
    )


def claim_rows(
    claims: Sequence[Any],
    resolved: dict[int, str | None],
    years: set[int],
    diagnosed: set[str],
    draft: type[tuple[Any, ...]],
    uncited: tuple[Any, Any, str, str],
) -> tuple[list[ClaimRow], int, list[tuple[Any, ...]]]:
    """A document's claim rows, how many cite something, and its uncited-claim findings.

    ``claims``: extraction's claim sentences; ``resolved``: the record id (or None) of each
    citation, by ``id()``; ``years``: the ``id()`` of "[2020]" markers that cite nothing;
    ``diagnosed``: the texts of sentences that already have a more specific finding (no
    "uncited-claim" for them). Findings are ``draft`` tuples of ``uncited`` (rule,
    severity, path, message) with the claim's place and text.
    """
    rows: list[ClaimRow] = []
    drafts: list[tuple[Any, ...]] = []
    cited_count = 0
    rule, severity, path, message = uncited
    for text, _role, _offset, line, column, end_line, end_column, citations in claims:
        if years and citations:
            citations = tuple(c for c in citations if id(c) not in years)
        if len(citations) == 1:  # the usual case: nothing to deduplicate
            cited_count += 1
            keys = [citations[0].key]
            only = resolved[id(citations[0])]
            sources = [] if only is None else [only]
        elif citations:
            cited_count += 1
            keys = list(dict.fromkeys(c.key for c in citations))
            sources = list(
                dict.fromkeys(r for c in citations if (r := resolved[id(c)]) is not None)
            )
        else:
            keys, sources = [], []
            if text not in diagnosed:
                drafts.append(
                    tuple.__new__(
                        draft, (rule, severity, path, line, column, message, text, None, False)
                    )
                )
        rows.append((text, line, column, end_line, end_column, keys, bool(citations), sources))
    return rows, cited_count, drafts


# The same rows written by the compiled module when it is built (the functions above are
# the reference; a property test compares them).
_claims_json: Callable[[list[ClaimRow]], str] = claims_json
_citations_json: Callable[[list[CitationRow]], str] = citations_json
build_claim_rows = claim_rows  # what check uses: compiled when built
if _compiled is not None:
    _claims_json = _compiled.claims_json
    _citations_json = _compiled.citations_json
    build_claim_rows = _compiled.claim_rows


def document_json(
    *,
    path: str,
    format: str,
    sha256: str,
    date: dt.date | None,
    claims: list[ClaimRow],
    citations: list[CitationRow],
    coverage: float | None,
) -> bytes:
    """One document as the report's ``documents`` array holds it (indented by 4)."""
    parts = [
        f'    {{\n      "path": {_escape(path)},\n      "format": {_escape(format)},\n'
        f'      "sha256": {_escape(sha256)},\n'
        f'      "date": {"null" if date is None else _escape(date.isoformat())},\n'
    ]
    if claims:
        parts.append('      "claims": [\n')
        parts.append(_claims_json(claims))
        parts.append("\n      ],\n")
    else:
        parts.append('      "claims": [],\n')
    if citations:
        parts.append('      "citations": [\n')
        parts.append(_citations_json(citations))
        parts.append("\n      ],\n")
    else:
        parts.append('      "citations": [],\n')
    parts.append(f'      "coverage": {_float(coverage)}\n    }}')
    return "".join(parts).encode("utf-8")
