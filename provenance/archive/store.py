"""``SnapshotStore``: the evidence archive of every fetch, on disk under one root.

Layout under ``root``::

    lock                                    flock'd by whichever run is writing
    index.sqlite3                           the index and the extracted texts
                                            (see provenance.archive.index)
    warc/provenance-YYYYMMDD-<run>-NNNNN.warc.gz
    text/<hex[:2]>/<hex>.txt                readable text, by decoded-payload sha256,
                                            in archives written before index schema 4

Fetches are archived in batches (``record_many``; ``record`` is a batch of
one). Text extraction happens before the lock is taken; then, under the lock
and in this order: every WARC gzip member of the batch (one append and one
fsync per WARC file touched, usually one), then all the batch's index rows and
its texts in one transaction. The index never points at a WARC byte that was
not fsync-ed first, and a text is stored exactly when the snapshots naming it
are. A run killed at any point leaves WARC bytes that no index row points at;
the next run to open the archive cuts them off before appending, so every WARC
file stays a clean sequence of whole records.

Texts live in the index's ``texts`` table (``Snapshot.text_path`` is then
``index.sqlite3#texts/<hex>``, ``<hex>`` the sha256 of the text's UTF-8 bytes):
a file created per payload cost more CPU (in the kernel) than everything else
archiving a page does. Archives written before kept one file per payload
(``text/<xx>/<hex>.txt``, written atomically but not fsync-ed); those files are
still read. Either way a text is derived data: ``text()`` re-extracts one that is
missing, unreadable or not what the index recorded (``Snapshot.text_digest``)
from its WARC record, and ``verify()`` reports it.

Each run appends to WARC files of its own (the run id or pid is in the name),
so two runs on one archive only take turns at the lock, a batch at a time.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from types import TracebackType

from provenance.archive.fs import (
    TEMP_SUFFIX,
    append_durably,
    archive_error,
    fsync_dir,
    make_dirs,
    truncate_durably,
    write_atomic,
)
from provenance.archive.index import ArchiveIndex, AuditRow, FailureRow, SnapshotRow
from provenance.archive.lock import ArchiveLock
from provenance.archive.models import (
    AuditCheck,
    Snapshot,
    TextStatus,
    VerifyProblem,
    VerifyReport,
)
from provenance.archive.text import (
    DEFAULT_MAX_DECODED_BYTES,
    Extraction,
    decode_content,
    extract,
    header_value,
)
from provenance.archive.warc import (
    WARC_NAME_PATTERN,
    EncodedRecord,
    RevisitTarget,
    StoredRecord,
    as_utc,
    complete_prefix,
    digest_to_hex,
    encode_exchange,
    encode_warcinfo,
    read_record,
    sha256_hex,
    warc_file_name,
)
from provenance.errors import ArchiveCorruptError, ArchiveError
from provenance.fetch.models import FetchResult, HttpExchange
from provenance.fetch.urls import normalize_url

__all__ = ["DEFAULT_LOCK_TIMEOUT", "DEFAULT_MAX_WARC_BYTES", "SnapshotStore"]

DEFAULT_MAX_WARC_BYTES = 1_000_000_000  # the customary 1 GB WARC file
DEFAULT_LOCK_TIMEOUT = 60.0

_WARC_DIR = "warc"
_TEXT_DIR = "text"
_INDEX_NAME = "index.sqlite3"
_LOCK_NAME = "lock"
_HEX_DIGEST = re.compile(r"(?:sha256:)?([0-9a-f]{64})")
# Snapshot.text_path of a text kept in the index: this, then the text's sha256 hex.
INDEX_TEXT_PREFIX = f"{_INDEX_NAME}#texts/"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _software() -> str:
    try:
        return f"provenance/{importlib.metadata.version('provenance')}"
    except importlib.metadata.PackageNotFoundError:
        return "provenance"


@dataclass(slots=True)
class _OpenWarc:
    """The WARC file this store appends to: its index id and committed size."""

    file_id: int
    relative: str
    path: Path
    fd: int
    size: int
    fetches: int = 0


@dataclass(slots=True)
class _Segment:
    """What a batch appends to one WARC file: bytes ``start`` (committed) to ``end``."""

    warc: _OpenWarc
    start: int
    end: int
    fetches: int = 0
    parts: list[bytes] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Read:
    """What one payload gave: its extraction, decoded digest and text (bytes, digest)."""

    extraction: Extraction
    digest: str | None
    text_data: bytes | None
    text_digest: str | None


# Bytes of payloads (and their texts) whose extraction a store remembers, oldest out
# first (see SnapshotStore._read_payload).
_REMEMBERED_BYTES = 16 * 1024 * 1024


@dataclass(slots=True)
class _Fetch:
    """One fetch of a batch, with what was worked out before taking the lock."""

    result: FetchResult
    exchanges: tuple[HttpExchange, ...]
    url_key: str
    extraction: Extraction | None = None
    digest: str | None = None
    text_digest: str | None = None
    text_data: bytes | None = None


class SnapshotStore:
    """The evidence archive under ``root``: WARC records, extracted text, and their index.

    Use it as a context manager; opening takes the lock briefly to create or
    migrate the index and to cut off what a killed run left half-written.
    ``record`` has the signature of the fetcher's ``on_fetched`` hook;
    ``record_many`` archives a batch for the cost of one disk flush.

    ``clock`` dates WARC files and ``warcinfo`` records (exchanges carry their own
    times); ``run_id`` (1-64 of ``[A-Za-z0-9_-]``, default: the pid) goes into WARC
    file names; a write waits up to ``lock_timeout`` seconds for another run
    before raising ``ArchiveLockedError``; a WARC file is closed and a new one
    begun once it would grow past ``max_warc_bytes``; payloads that decode to
    more than ``max_decoded_bytes`` get no text.

    ``read_only`` opens an archive for reading alone (``snapshots``, ``show``,
    ``verify`` on a directory the user cannot write): no lock, no recovery, no text
    file rewritten, and ``record`` raises ``ArchiveError``.
    """

    def __init__(
        self,
        root: Path,
        *,
        clock: Callable[[], datetime] = _utc_now,
        run_id: str | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        max_warc_bytes: int = DEFAULT_MAX_WARC_BYTES,
        max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES,
        read_only: bool = False,
    ) -> None:
        run = run_id if run_id is not None else str(os.getpid())
        warc_file_name(date(2000, 1, 1), run, 0)  # validates the run id early
        self.root = Path(root)
        self.run_id = run
        self._clock = clock
        self._lock_timeout = lock_timeout
        self._max_warc_bytes = max_warc_bytes
        self._max_decoded_bytes = max_decoded_bytes
        self.read_only = read_only
        self._mutex = threading.RLock()
        self._lock: ArchiveLock | None = None
        self._index: ArchiveIndex | None = None
        self._warc: _OpenWarc | None = None
        self._reads: OrderedDict[tuple[bytes, str | None, str | None], _Read] = OrderedDict()
        self._reads_bytes = 0
        self._reads_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> SnapshotStore:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Create or open the archive and recover from any killed run; idempotent."""
        with self._mutex:
            if self._index is not None:
                return
            if self.read_only:
                self._index = ArchiveIndex.open_read_only(self.root / _INDEX_NAME)
                return
            make_dirs(self.root, self.root / _WARC_DIR)
            lock = ArchiveLock(self.root / _LOCK_NAME, timeout=self._lock_timeout)
            lock.open()
            try:
                with lock.held():
                    index = ArchiveIndex.open(self.root / _INDEX_NAME)
                    try:
                        self._recover(index)
                    except BaseException:
                        index.close()
                        raise
            except BaseException:
                lock.close()
                raise
            self._lock, self._index = lock, index

    def close(self) -> None:
        """Close the WARC file, the index and the lock file; idempotent."""
        with self._mutex:
            if self._warc is not None:
                os.close(self._warc.fd)
                self._warc = None
            if self._index is not None:
                self._index.close()
                self._index = None
            if self._lock is not None:
                self._lock.close()
                self._lock = None

    def _require_index(self) -> ArchiveIndex:
        if self._index is None:
            raise ArchiveError(f"{self.root}: the archive is not open (use it in a with block)")
        return self._index

    @contextlib.contextmanager
    def _writing(self) -> Iterator[ArchiveIndex]:
        with self._mutex:
            index = self._require_index()
            if self._lock is None:
                raise ArchiveError(f"{self.root}: the archive is open read-only")
            with self._lock.held():
                yield index

    def _recover(self, index: ArchiveIndex) -> None:
        """Cut off what killed runs left: unindexed WARC tails, orphan files, temp files."""
        warc_dir = self.root / _WARC_DIR
        indexed = {f.path: f for f in index.warc_files()}
        try:
            for warc in indexed.values():
                path = self.root / warc.path
                with contextlib.suppress(FileNotFoundError):
                    # A missing file is verify()'s to report, not recovery's to invent.
                    if path.stat().st_size > warc.committed_size:
                        self._truncate(path, warc.committed_size)
            for path in sorted(warc_dir.iterdir()):
                relative = f"{_WARC_DIR}/{path.name}"
                if relative in indexed or not WARC_NAME_PATTERN.fullmatch(path.name):
                    continue
                # A file whose warcinfo never got indexed: keep whole records, if any.
                keep = complete_prefix(path)
                if keep == 0:
                    path.unlink()
                elif keep < path.stat().st_size:
                    self._truncate(path, keep)
            # Text files half-written by a run from before texts were in the index.
            for pattern in (f"*{TEMP_SUFFIX}", f"*/*{TEMP_SUFFIX}"):
                for temp in (self.root / _TEXT_DIR).glob(pattern):
                    temp.unlink()
        except OSError as exc:
            raise archive_error("recover the archive", self.root, exc) from exc

    @staticmethod
    def _truncate(path: Path, size: int) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        try:
            truncate_durably(fd, size)
        finally:
            os.close(fd)

    # -- writing -----------------------------------------------------------------------

    def record(self, result: FetchResult, exchanges: Sequence[HttpExchange]) -> FetchResult:
        """Archive one fetch: its exchanges as WARC records, its text, its index row.

        ``exchanges`` are the fetch's HTTP exchanges in order (one per redirect
        hop); the last is the snapshot's. A fetch with no exchange is indexed as
        a failed fetch (unless it came from the fetcher's cache: nothing was
        fetched). Returns ``result``, with ``digest`` filled in if it was empty
        and the payload is alive content received whole (the snapshot's own
        ``digest`` is set for any decodable payload).
        Raises ``ArchiveError`` (naming the path) when the archive cannot be
        written; nothing half-written is indexed then.
        """
        return self.record_many([(result, exchanges)])[0]

    def record_many(
        self, items: Iterable[tuple[FetchResult, Sequence[HttpExchange]]]
    ) -> list[FetchResult]:
        """Archive a batch of fetches, each as ``record`` would, for one disk flush.

        Under one hold of the lock: the text files, then every WARC record of
        the batch appended with one write and one fsync per WARC file (a new
        file is begun mid-batch at the size cap), then one index transaction
        for every snapshot and failed fetch. All of the batch is indexed or,
        on error, none of it. Within a batch, as across batches, a payload
        identical to its URL's previous one is written as a revisit of it.
        Returns the results in order, as ``record`` returns each.
        """
        now = self._clock()
        # Extraction needs no lock: another run can append meanwhile.
        fetches = [self._prepare(result, tuple(exchanges)) for result, exchanges in items]
        if any(f.exchanges or not f.result.from_cache for f in fetches):
            with self._writing() as index:
                self._write_batch(index, fetches, now)
        return [f.result for f in fetches]

    def _prepare(self, result: FetchResult, exchanges: tuple[HttpExchange, ...]) -> _Fetch:
        """Extract the text of a fetch and fill in its result's digest."""
        fetch = _Fetch(result, exchanges, normalize_url(result.url))
        if not exchanges:
            return fetch
        final = exchanges[-1]
        read = self._read_payload(final, remember=not result.verdict.is_alive)
        extraction, digest = read.extraction, read.digest or result.digest
        # The fetcher's rule for FetchResult.digest: alive content, received whole.
        fill = result.digest is None and result.verdict.is_alive and not final.truncated
        if fill and digest is not None:
            fetch.result = result.model_copy(update={"digest": digest})
        fetch.extraction, fetch.digest = extraction, digest
        fetch.text_data, fetch.text_digest = read.text_data, read.text_digest
        return fetch

    def _read_payload(self, final: HttpExchange, *, remember: bool) -> _Read:
        """Extract the text of a final exchange; what a failed fetch's payload gave is kept.

        Every URL that is not alive is fetched again before it is reported (the fetcher's
        re-check), and usually answers the same bytes (a 404 page, the home page a dead
        link redirects to): those extractions are remembered (``remember``), up to
        ``_REMEMBERED_BYTES`` of payloads and texts, so each is done once.
        """
        headers = final.response_headers
        key = None
        if remember:
            key = (
                hashlib.sha256(final.body).digest(),
                header_value(headers, "content-type"),
                header_value(headers, "content-encoding"),
            )
            with self._reads_lock:
                read = self._reads.get(key)
            if read is not None:
                return read
        extraction = extract(final.body, headers, max_decoded_bytes=self._max_decoded_bytes)
        digest = sha256_hex(extraction.decoded) if extraction.decoded is not None else None
        text_data = text_digest = None
        if extraction.text is not None:
            text_data = extraction.text.encode("utf-8")
            text_digest = sha256_hex(text_data)
        read = _Read(extraction, digest, text_data, text_digest)
        size = len(extraction.decoded or b"") + len(text_data or b"")
        if key is not None and size <= _REMEMBERED_BYTES // 64:
            with self._reads_lock:
                self._reads[key] = read
                self._reads_bytes += size
                while self._reads_bytes > _REMEMBERED_BYTES:
                    _, old = self._reads.popitem(last=False)
                    self._reads_bytes -= len(old.extraction.decoded or b"")
                    self._reads_bytes -= len(old.text_data or b"")
        return read

    def _write_batch(self, index: ArchiveIndex, fetches: Sequence[_Fetch], now: datetime) -> None:
        """WARC appends (fsync-ed), then one index transaction with the texts; under the lock."""
        texts: dict[str, bytes] = {}
        for fetch in fetches:
            if fetch.text_digest is not None and fetch.text_data is not None:
                texts[fetch.text_digest] = fetch.text_data

        segments: list[_Segment] = []
        retired: list[_OpenWarc] = []  # files rolled over from: closed once the batch is done
        records: list[tuple[int, EncodedRecord, int]] = []
        snapshots: list[SnapshotRow] = []
        failures: list[FailureRow] = []
        # The URL's latest (payload digest, original response): first as indexed (looked
        # up for the whole batch at once), then among this batch's records.
        latest = self._previous_many(
            index, {exchange.url for fetch in fetches for exchange in fetch.exchanges}
        )
        try:
            for fetch in fetches:
                result = fetch.result
                if not fetch.exchanges:
                    if not result.from_cache:
                        failures.append(
                            FailureRow(
                                _failure_snapshot(result),
                                url_key=fetch.url_key,
                                recorded_at=now,
                                result_json=result.model_dump_json(),
                            )
                        )
                    continue
                encoded = self._encode(fetch.exchanges, latest)
                segment = self._segment_for(
                    index, segments, retired, sum(len(r.data) for r in encoded)
                )
                file_id = segment.warc.file_id
                placed = []
                for record in encoded:
                    placed.append((record, segment.end))
                    records.append((file_id, record, segment.end))
                    segment.parts.append(record.data)
                    segment.end += len(record.data)
                segment.fetches += 1
                snapshots.append(self._snapshot_row(fetch, segment.warc, placed, now))

            written: list[_Segment] = []
            try:
                for segment in segments:
                    written.append(segment)
                    self._append(segment)
                index.commit_batch(
                    {segment.warc.file_id: segment.end for segment in segments},
                    records,
                    snapshots,
                    failures,
                    texts,
                )
            except BaseException:
                for segment in written:
                    self._cut_back(segment.warc, segment.start)
                raise
            for segment in segments:
                segment.warc.size = segment.end
                segment.warc.fetches += segment.fetches
        finally:
            for warc in retired:
                with contextlib.suppress(OSError):
                    os.close(warc.fd)

    def _snapshot_row(
        self,
        fetch: _Fetch,
        warc: _OpenWarc,
        placed: Sequence[tuple[EncodedRecord, int]],
        now: datetime,
    ) -> SnapshotRow:
        result, final, extraction = fetch.result, fetch.exchanges[-1], fetch.extraction
        assert extraction is not None  # every fetch with exchanges was extracted
        # Records go (response or revisit, request) per exchange: the final
        # exchange's response or revisit is the second to last.
        final_record, final_offset = placed[-2]
        snapshot = Snapshot(
            url=result.url,
            normalized_url=result.normalized_url,
            captured_at=result.fetched_at,
            http_status=final.status_code if result.http_status is None else result.http_status,
            verdict=result.verdict,
            reason=result.reason,
            final_url=final.url if result.final_url is None else result.final_url,
            redirects=result.redirects,
            digest=fetch.digest,
            payload_digest=final_record.payload_digest,
            warc_path=warc.relative,
            offset=final_offset,
            length=len(final_record.data),
            text_path=None if fetch.text_digest is None else _index_text_path(fetch.text_digest),
            text_status=extraction.status,
            title=extraction.title,
            content_type=result.content_type or extraction.content_type,
            size=result.size if result.size is not None
            else len(final.body if extraction.decoded is None else extraction.decoded),
            is_revisit=final_record.record_type == "revisit",
            text_digest=fetch.text_digest,
            error=result.error,
        )  # fmt: skip
        return SnapshotRow(
            snapshot,
            url_key=fetch.url_key,
            recorded_at=now,
            record_id=final_record.record_id,
            result_json=result.model_dump_json(),
        )

    def _segment_for(
        self,
        index: ArchiveIndex,
        segments: list[_Segment],
        retired: list[_OpenWarc],
        needed: int,
    ) -> _Segment:
        """Where to put a fetch of ``needed`` bytes: a new WARC file once past the size cap.

        A file always takes at least one fetch, however large.
        """
        warc = self._warc
        segment = segments[-1] if segments and segments[-1].warc is warc else None
        if warc is not None:
            size = warc.size if segment is None else segment.end
            fetches = warc.fetches + (0 if segment is None else segment.fetches)
            if fetches and size + needed > self._max_warc_bytes:
                # Its fd stays open till the batch ends: a failure must cut it back.
                retired.append(warc)
                self._warc = warc = segment = None
        if warc is None:
            self._warc = warc = self._new_warc(index)
        if segment is None:
            segment = _Segment(warc, warc.size, warc.size)
            segments.append(segment)
        return segment

    def _append(self, segment: _Segment) -> None:
        """Append a segment's records to its WARC file in one write, then fsync once."""
        warc = segment.warc
        try:
            # A failed earlier append may have left bytes we could not cut.
            if os.fstat(warc.fd).st_size != segment.start:
                truncate_durably(warc.fd, segment.start)
            append_durably(warc.fd, b"".join(segment.parts))
        except OSError as exc:
            self._cut_back(warc, segment.start)
            raise archive_error("append to", warc.path, exc) from exc

    @staticmethod
    def _cut_back(warc: _OpenWarc, size: int) -> None:
        # Best effort: if even this fails, the bytes past the committed size are
        # unindexed and the next open() cuts them.
        with contextlib.suppress(OSError):
            truncate_durably(warc.fd, size)

    @staticmethod
    def _encode(
        exchanges: Sequence[HttpExchange],
        latest: dict[str, tuple[str | None, RevisitTarget]],
    ) -> list[EncodedRecord]:
        """Encode each exchange, as a revisit when its URL's last payload was the same.

        ``latest`` holds, by URL, the (payload digest, original response) of the
        last record indexed or encoded earlier in this batch; it is updated.
        """
        records: list[EncodedRecord] = []
        for exchange in exchanges:
            payload_hash = hashlib.sha256(exchange.body).digest()
            payload_digest = "sha256:" + payload_hash.hex()
            previous = latest.get(exchange.url)
            revisit_of = None
            if previous is not None and previous[0] == payload_digest:
                revisit_of = previous[1]
            response, request = encode_exchange(
                exchange, revisit_of=revisit_of, payload_sha256=payload_hash
            )
            original = revisit_of or RevisitTarget(
                response.record_id, response.target_uri or exchange.url, response.warc_date
            )
            latest[exchange.url] = (payload_digest, original)
            records += (response, request)
        return records

    @staticmethod
    def _previous_many(
        index: ArchiveIndex, urls: set[str]
    ) -> dict[str, tuple[str | None, RevisitTarget]]:
        """What a revisit of each URL would refer to, as indexed: by URL, one lookup.

        For each URL with an indexed response or revisit: the payload digest of the last
        one, and the response that holds that payload (a revisit's original).
        """
        lasts = index.latest_payload_records(urls)
        referred = {
            last.refers_to
            for last in lasts.values()
            if last.record_type == "revisit" and last.refers_to is not None
        }
        originals = index.records(referred) if referred else {}
        previous: dict[str, tuple[str | None, RevisitTarget]] = {}
        for url, last in lasts.items():
            original = last if last.record_type == "response" else None
            if last.record_type == "revisit" and last.refers_to is not None:
                original = originals.get(last.refers_to)
            if original is None or original.target_uri is None:
                continue
            target = RevisitTarget(original.record_id, original.target_uri, original.warc_date)
            previous[url] = (last.payload_digest, target)
        return previous

    def _new_warc(self, index: ArchiveIndex) -> _OpenWarc:
        now = as_utc(self._clock())
        warc_dir = self.root / _WARC_DIR
        prefix = warc_file_name(now.date(), self.run_id, 0)[: -len("00000.warc.gz")]
        try:
            taken = [p.name for p in warc_dir.iterdir() if p.name.startswith(prefix)]
        except OSError as exc:
            raise archive_error("list", warc_dir, exc) from exc
        sequence = 1 + max((_sequence_of(name) for name in taken), default=-1)
        while True:
            name = warc_file_name(now.date(), self.run_id, sequence)
            path = warc_dir / name
            try:
                fd = os.open(
                    path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644
                )
                break
            except FileExistsError:
                sequence += 1
            except OSError as exc:
                raise archive_error("create", path, exc) from exc
        fields = {
            "software": _software(),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
            "warc-format/warc-1.1/",
            "isPartOf": self.run_id,
            "description": "provenance evidence archive: what each cited URL returned",
        }
        warcinfo = encode_warcinfo(name, now, fields)
        relative = f"{_WARC_DIR}/{name}"
        try:
            try:
                append_durably(fd, warcinfo.data)
                fsync_dir(warc_dir)
            except OSError as exc:
                raise archive_error("write", path, exc) from exc
            file_id = index.add_warc_file(relative, now, warcinfo, len(warcinfo.data))
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        return _OpenWarc(file_id, relative, path, fd, len(warcinfo.data))

    def _write_text_file(self, path: Path, data: bytes) -> None:
        """Rewrite an old archive's text file atomically, not durably (module docstring)."""
        make_dirs(path.parent)
        write_atomic(path, data, durable=False)

    # -- reading -----------------------------------------------------------------------

    def history(self, url: str) -> list[Snapshot]:
        """Every fetch of ``url`` (normalised), oldest first, failed fetches included."""
        with self._mutex:
            return self._require_index().history(normalize_url(url), url)

    def record_audit(self, checks: Sequence[AuditCheck]) -> None:
        """Add what one audit observed (one check per URL) to the audit history."""
        if not checks:
            return
        rows = [AuditRow(check, normalize_url(check.url)) for check in checks]
        with self._writing() as index:
            index.add_audits(rows)

    def audits(self, url: str) -> list[AuditCheck]:
        """What every audit observed of ``url`` (normalised), oldest first."""
        with self._mutex:
            return self._require_index().audits(normalize_url(url), url)

    def urls(self) -> list[str]:
        """Every URL in the archive (as the fetcher normalised it), sorted."""
        with self._mutex:
            return self._require_index().urls()

    def latest(self, url: str, *, archived_only: bool = False) -> Snapshot | None:
        """The most recent fetch of ``url`` (with ``archived_only``: that has a record)."""
        snapshots = self.history(url)
        if archived_only:
            snapshots = [s for s in snapshots if s.archived]
        return snapshots[-1] if snapshots else None

    def find(self, url_or_digest: str) -> Snapshot | None:
        """The latest snapshot of a URL, or with a ``sha256:<hex>`` digest (decoded or archived)."""
        match = _HEX_DIGEST.fullmatch(url_or_digest.strip().lower())
        if match is None:
            return self.latest(url_or_digest)
        with self._mutex:
            return self._require_index().find_digest("sha256:" + match.group(1))

    def text(self, snapshot_or_digest: Snapshot | str) -> str | None:
        """The extracted text of a snapshot (or of the latest snapshot with a digest).

        ``None`` when there is none (a failed fetch, an image, a PDF without
        ``pypdf``...). A text file that is missing, unreadable or not what the
        index recorded is extracted again from the WARC record (and rewritten
        when that can be done); ``ArchiveCorruptError`` only if that fails too.
        """
        snapshot: Snapshot | None
        if isinstance(snapshot_or_digest, Snapshot):
            snapshot = snapshot_or_digest
        else:
            match = _HEX_DIGEST.fullmatch(snapshot_or_digest.strip().lower())
            if match is None:
                raise ValueError(f"not a sha256 digest: {snapshot_or_digest!r}")
            snapshot = self.find(match.group(1))
        if snapshot is None or snapshot.text_path is None:
            return None
        indexed = _indexed_text_digest(snapshot.text_path)
        if indexed is not None:
            with self._mutex:
                data = self._require_index().text(indexed)
            if data is not None and sha256_hex(data) == indexed:
                with contextlib.suppress(UnicodeDecodeError):
                    return data.decode("utf-8")
            return self._rebuild_text(snapshot, snapshot.text_path, data, self._put_text)
        path = self._resolve(snapshot.text_path)
        try:
            data = path.read_bytes()
        except OSError:
            data = None  # missing or unreadable: rebuilt below
        if data is not None and snapshot.text_digest in (None, sha256_hex(data)):
            with contextlib.suppress(UnicodeDecodeError):
                return data.decode("utf-8")
        return self._rebuild_text(
            snapshot, str(path), data, lambda rebuilt: self._write_text_file(path, rebuilt)
        )

    def _put_text(self, data: bytes) -> None:
        with self._writing() as index:
            index.put_text(sha256_hex(data), data)

    def _rebuild_text(
        self,
        snapshot: Snapshot,
        where: str,
        found: bytes | None,
        rewrite: Callable[[bytes], None],
    ) -> str:
        """Extract a snapshot's text again from its WARC record; store it again if it was bad."""
        try:
            stored, payload = self._payload(snapshot)
        except ArchiveError as exc:
            raise ArchiveCorruptError(
                f"{where}: indexed text is missing or damaged and cannot be rebuilt: {exc}"
            ) from exc
        extraction = extract(
            payload, stored.http_headers, max_decoded_bytes=self._max_decoded_bytes
        )
        if extraction.text is None:
            raise ArchiveCorruptError(
                f"{where}: indexed text is missing or damaged and its payload "
                f"no longer yields text ({extraction.status})"
            )
        data = extraction.text.encode("utf-8")
        # A readable old text file that matches neither may be another snapshot's (an
        # older extractor's text of the same payload): leave it, return this one's.
        if self.read_only:
            return extraction.text
        if found is None or snapshot.text_digest in (None, sha256_hex(data)):
            with self._mutex, contextlib.suppress(ArchiveError):
                # Best effort: the text is returned even from an archive we cannot write.
                rewrite(data)
        return extraction.text

    def read_payload(self, snapshot: Snapshot, *, decoded: bool = False) -> bytes:
        """The payload of ``snapshot`` as archived (a revisit is followed to its original).

        As archived means content-encoding still applied, like
        ``HttpExchange.body``; ``decoded=True`` removes it. Raises
        ``ArchiveCorruptError`` when the record is missing, unreadable or does not
        match its index entry, ``ArchiveError`` for a fetch that archived nothing.
        """
        stored, payload = self._payload(snapshot)
        if not decoded:
            return payload
        try:
            return decode_content(
                payload,
                header_value(stored.http_headers, "content-encoding"),
                limit=self._max_decoded_bytes,
            )
        except ValueError as exc:
            raise ArchiveError(f"{snapshot.url}: cannot decode the payload: {exc}") from exc

    def _payload(self, snapshot: Snapshot) -> tuple[StoredRecord, bytes]:
        """The snapshot's own record (response or revisit) and its payload, as archived."""
        if snapshot.warc_path is None or snapshot.offset is None or snapshot.length is None:
            raise ArchiveError(
                f"{snapshot.url}: no payload was archived (the fetch ended {snapshot.reason})"
            )
        stored = read_record(self._resolve(snapshot.warc_path), snapshot.offset, snapshot.length)
        if stored.record_type not in ("response", "revisit"):
            raise ArchiveCorruptError(
                f"{snapshot.warc_path}@{snapshot.offset}: a {stored.record_type} record, "
                "not the indexed response"
            )
        if stored.record_type == "revisit":
            payload = self._original(stored).payload
        else:
            payload = stored.payload
        if sha256_hex(payload) != snapshot.payload_digest:
            raise ArchiveCorruptError(
                f"{snapshot.warc_path}@{snapshot.offset}: payload digest does not match the index"
            )
        return stored, payload

    def _original(self, revisit: StoredRecord) -> StoredRecord:
        """The response record a revisit refers to, read back."""
        with self._mutex:
            target = self._require_index().record(revisit.refers_to) if revisit.refers_to else None
        if target is None or target.record_type != "response":
            raise ArchiveCorruptError(
                f"revisit {revisit.record_id}: the record it refers to "
                f"({revisit.refers_to}) is not an indexed response"
            )
        original = read_record(self._resolve(target.warc_path), target.offset, target.length)
        if original.record_type != "response" or original.record_id != target.record_id:
            raise ArchiveCorruptError(
                f"{target.warc_path}@{target.offset}: not the response {target.record_id}"
            )
        return original

    def _resolve(self, relative: str) -> Path:
        """``root / relative`` for a path read from the index, which must stay inside root."""
        parts = PurePosixPath(relative).parts
        if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
            raise ArchiveCorruptError(f"{self.root}: index names a path outside it: {relative!r}")
        return self.root.joinpath(*parts)

    # -- verifying ---------------------------------------------------------------------

    def verify(self) -> VerifyReport:
        """Check every indexed snapshot against its WARC record; report, never raise, problems.

        Each snapshot's record must be present, whole, of the indexed type, pass
        warcio's digest check and carry the indexed payload digest; a revisit's
        original must too. WARC files must exist and be at least as long as
        indexed, and indexed text files must exist and hold what was indexed
        (``text()`` rebuilds one that does not, so this is never fatal for reading).
        """
        with self._mutex:
            index = self._require_index()
            files = index.warc_files()
            snapshots = index.snapshots()
        problems: list[VerifyProblem] = []
        for warc in files:
            try:
                size = self._resolve(warc.path).stat().st_size
            except FileNotFoundError:
                problems.append(VerifyProblem(message="WARC file is missing", warc_path=warc.path))
                continue
            except (OSError, ArchiveError) as exc:
                problems.append(VerifyProblem(message=str(exc), warc_path=warc.path))
                continue
            if size < warc.committed_size:
                problems.append(
                    VerifyProblem(
                        message=f"WARC file is {size} bytes, shorter than the "
                        f"{warc.committed_size} indexed",
                        warc_path=warc.path,
                    )
                )
        originals: dict[str, str | None] = {}
        for snapshot in snapshots:
            message = self._check_snapshot(snapshot, originals)
            if message is not None:
                problems.append(
                    VerifyProblem(
                        message=message,
                        url=snapshot.url,
                        warc_path=snapshot.warc_path,
                        offset=snapshot.offset,
                    )
                )
        return VerifyReport(
            snapshots_checked=len(snapshots), files_checked=len(files), problems=tuple(problems)
        )

    def _check_snapshot(self, snapshot: Snapshot, originals: dict[str, str | None]) -> str | None:
        """What is wrong with one snapshot's record, or ``None``."""
        # Snapshot rows always locate their record (NOT NULL columns).
        assert snapshot.warc_path is not None
        assert snapshot.offset is not None
        assert snapshot.length is not None
        try:
            stored = read_record(
                self._resolve(snapshot.warc_path), snapshot.offset, snapshot.length
            )
        except ArchiveError as exc:
            return str(exc)
        expected = "revisit" if snapshot.is_revisit else "response"
        if stored.record_type != expected:
            return f"a {stored.record_type} record where the index has a {expected}"
        if stored.digest_problems:
            return "; ".join(stored.digest_problems)
        if digest_to_hex(stored.payload_digest_header) != snapshot.payload_digest:
            return "WARC-Payload-Digest does not match the index"
        if stored.record_type == "response" and sha256_hex(stored.payload) != (
            snapshot.payload_digest
        ):
            return "payload does not match its digest"
        if stored.record_type == "revisit":
            key = stored.refers_to or ""
            if key not in originals:
                originals[key] = self._check_original(stored, snapshot.payload_digest)
            if originals[key] is not None:
                return originals[key]
        if snapshot.text_path is not None:
            return self._check_text(snapshot.text_path, snapshot.text_digest)
        return None

    def _check_text(self, relative: str, text_digest: str | None) -> str | None:
        try:
            indexed = _indexed_text_digest(relative)
        except ArchiveError as exc:
            return str(exc)
        if indexed is not None:
            with self._mutex:
                stored = self._require_index().text(indexed)
            if stored is None:
                return f"text {relative} is missing"
            if sha256_hex(stored) != indexed:
                return f"text {relative} does not hold the text the index recorded"
            return None
        try:
            data = self._resolve(relative).read_bytes()
        except FileNotFoundError:
            return f"text file {relative} is missing"
        except OSError as exc:
            return f"text file {relative} is unreadable: {exc.strerror or exc}"
        except ArchiveError as exc:
            return str(exc)
        if text_digest is not None and sha256_hex(data) != text_digest:
            return f"text file {relative} does not hold the text the index recorded"
        return None

    def _check_original(self, revisit: StoredRecord, payload_digest: str | None) -> str | None:
        try:
            original = self._original(revisit)
        except ArchiveError as exc:
            return str(exc)
        if original.digest_problems:
            return "original: " + "; ".join(original.digest_problems)
        if sha256_hex(original.payload) != payload_digest:
            return f"original {original.record_id}: payload does not match the revisit's digest"
        return None


def _failure_snapshot(result: FetchResult) -> Snapshot:
    return Snapshot(
        url=result.url,
        normalized_url=result.normalized_url,
        captured_at=result.fetched_at,
        http_status=result.http_status,
        verdict=result.verdict,
        reason=result.reason,
        final_url=result.final_url,
        redirects=result.redirects,
        text_status=TextStatus.NO_PAYLOAD,
        content_type=result.content_type,
        error=result.error,
    )


def _index_text_path(text_digest: str) -> str:
    """``Snapshot.text_path`` of a text kept in the index (``text_digest``: ``sha256:<hex>``)."""
    return INDEX_TEXT_PREFIX + text_digest.removeprefix("sha256:")


def _indexed_text_digest(text_path: str) -> str | None:
    """The ``sha256:<hex>`` key of a text kept in the index; ``None`` for an old text file."""
    if not text_path.startswith(INDEX_TEXT_PREFIX):
        return None
    match = _HEX_DIGEST.fullmatch(text_path[len(INDEX_TEXT_PREFIX) :])
    if match is None:
        raise ArchiveCorruptError(f"index names a text it cannot hold: {text_path!r}")
    return "sha256:" + match.group(1)


def _sequence_of(name: str) -> int:
    if not WARC_NAME_PATTERN.fullmatch(name):
        return -1
    return int(name[: -len(".warc.gz")].rsplit("-", 1)[1])
