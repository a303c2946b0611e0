"""The archive's SQLite index (``index.sqlite3``): every WARC file, record and snapshot.

Tables:

* ``schema_version``: one row, the schema the file is at (``SCHEMA_VERSION``);
  opening an older file applies the migrations in order, a newer one is refused.
* ``warc_files``: each WARC file (path relative to the archive root) and its
  ``committed_size``, the length up to which every byte belongs to an indexed
  record. Bytes past it are the tail of a killed write and are cut on recovery.
* ``records``: every WARC record written (warcinfo, request, response, revisit)
  with its offset and length; revisits name the record they refer to.
* ``snapshots``: one row per fetch that got an HTTP response; since schema 2
  also ``text_digest``, the sha256 of the text's bytes as written, which tells a
  text lost or damaged (a text file torn by a power cut, say) from a sound one.
* ``failed_fetches``: one row per fetch that got none (timeout, DNS error...).
* ``audits`` (schema 3): one row per URL per ``provenance audit`` run, what that
  run observed (verdict, reason, digest); the rot state is derived from them, so
  weekly audits build on each other. ``offline`` rows say the network was down.
* ``texts`` (schema 4): the extracted texts, one row per distinct text, keyed by the
  sha256 of its UTF-8 bytes (``snapshots.text_digest``), written in the same
  transaction as the snapshots that name them. Archives indexed before schema 4 kept
  each text in a file of its own (``snapshots.text_path`` names it); those are still
  read, and an index at schema 3 is still read without write access.

The WAL journal lets readers run while one writer appends; a batch of fetches
goes in one transaction, after all of its WARC bytes are on disk.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provenance.archive.fs import archive_error
from provenance.archive.models import AuditCheck, Snapshot, TextStatus
from provenance.archive.warc import EncodedRecord
from provenance.errors import ArchiveError
from provenance.fetch.models import Reason, Redirect, Verdict

__all__ = [
    "SCHEMA_VERSION",
    "ArchiveIndex",
    "AuditRow",
    "FailureRow",
    "IndexedRecord",
    "SnapshotRow",
    "WarcFile",
    "utc_text",
]

SCHEMA_VERSION = 4
# The oldest schema this build reads without migrating it (read-only opens): schema 4
# only added the ``texts`` table, which snapshots indexed at schema 3 never name.
_OLDEST_READABLE = 3

# _MIGRATIONS[n] takes an index from version n-1 to n; version 0 is an empty file.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE schema_version (version INTEGER NOT NULL)",
        "INSERT INTO schema_version (version) VALUES (0)",
        """CREATE TABLE warc_files (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            committed_size INTEGER NOT NULL
        )""",
        """CREATE TABLE records (
            id INTEGER PRIMARY KEY,
            warc_file_id INTEGER NOT NULL REFERENCES warc_files (id),
            offset INTEGER NOT NULL,
            length INTEGER NOT NULL,
            record_id TEXT NOT NULL UNIQUE,
            record_type TEXT NOT NULL,
            target_uri TEXT,
            warc_date TEXT NOT NULL,
            payload_digest TEXT,
            refers_to TEXT
        )""",
        "CREATE INDEX records_by_target ON records (target_uri, id)",
        """CREATE TABLE snapshots (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            normalized_url TEXT NOT NULL,
            url_key TEXT NOT NULL,
            captured_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            http_status INTEGER,
            verdict TEXT NOT NULL,
            reason TEXT NOT NULL,
            final_url TEXT,
            redirects TEXT NOT NULL,
            digest TEXT,
            payload_digest TEXT,
            warc_path TEXT NOT NULL,
            warc_offset INTEGER NOT NULL,
            warc_length INTEGER NOT NULL,
            warc_record_id TEXT NOT NULL REFERENCES records (record_id),
            is_revisit INTEGER NOT NULL,
            text_path TEXT,
            text_status TEXT NOT NULL,
            title TEXT,
            content_type TEXT,
            size INTEGER,
            result_json TEXT NOT NULL
        )""",
        "CREATE INDEX snapshots_by_key ON snapshots (url_key, captured_at)",
        "CREATE INDEX snapshots_by_normalized_url ON snapshots (normalized_url, captured_at)",
        "CREATE INDEX snapshots_by_digest ON snapshots (digest)",
        "CREATE INDEX snapshots_by_payload_digest ON snapshots (payload_digest)",
        """CREATE TABLE failed_fetches (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            normalized_url TEXT NOT NULL,
            url_key TEXT NOT NULL,
            captured_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            http_status INTEGER,
            verdict TEXT NOT NULL,
            reason TEXT NOT NULL,
            final_url TEXT,
            redirects TEXT NOT NULL,
            error TEXT,
            result_json TEXT NOT NULL
        )""",
        "CREATE INDEX failed_by_key ON failed_fetches (url_key, captured_at)",
        "CREATE INDEX failed_by_normalized_url ON failed_fetches (normalized_url, captured_at)",
    ),
    # Text files are no longer fsync-ed one by one: the index keeps what each should hold.
    2: ("ALTER TABLE snapshots ADD COLUMN text_digest TEXT",),
    # What each audit observed per URL: the history rot is judged from.
    3: (
        """CREATE TABLE IF NOT EXISTS audits (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            normalized_url TEXT NOT NULL,
            url_key TEXT NOT NULL,
            checked_at TEXT NOT NULL,
            verdict TEXT NOT NULL,
            reason TEXT NOT NULL,
            http_status INTEGER,
            digest TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS audits_by_key ON audits (url_key, checked_at)",
    ),
    # Texts in the index, one transaction per batch, instead of one file per payload.
    4: (
        """CREATE TABLE IF NOT EXISTS texts (
            id INTEGER PRIMARY KEY,
            text_digest TEXT NOT NULL UNIQUE,
            data BLOB NOT NULL
        )""",
    ),
}

_SNAPSHOT_COLUMNS = (
    "url, normalized_url, captured_at, http_status, verdict, reason, final_url, redirects, "
    "digest, payload_digest, warc_path, warc_offset, warc_length, text_path, text_status, "
    "title, content_type, size, is_revisit, text_digest"
)
_FAILURE_BASE_COLUMNS = (
    "url, normalized_url, captured_at, http_status, verdict, reason, final_url, redirects"
)
_FAILURE_COLUMNS = _FAILURE_BASE_COLUMNS + ", error"
# A failed fetch as a row of _SNAPSHOT_COLUMNS: no digests, no record, no text.
_FAILURE_AS_SNAPSHOT = (
    f"{_FAILURE_BASE_COLUMNS}, NULL, NULL, NULL, NULL, NULL, NULL, "
    f"'{TextStatus.NO_PAYLOAD.value}', NULL, NULL, NULL, 0, NULL"
)
_SNAPSHOT_INSERT = (
    f"INSERT INTO snapshots ({_SNAPSHOT_COLUMNS}, url_key, recorded_at, warc_record_id, "
    f"result_json) VALUES ({', '.join('?' * (_SNAPSHOT_COLUMNS.count(',') + 5))})"
)
_FAILURE_INSERT = (
    f"INSERT INTO failed_fetches ({_FAILURE_COLUMNS}, url_key, recorded_at, result_json) "
    f"VALUES ({', '.join('?' * (_FAILURE_COLUMNS.count(',') + 4))})"
)
# A text already stored is left alone unless its bytes are not the ones named (damaged).
_TEXT_INSERT = (
    "INSERT INTO texts (text_digest, data) VALUES (?, ?) ON CONFLICT (text_digest) "
    "DO UPDATE SET data = excluded.data WHERE data != excluded.data"
)
_RECORD_INSERT = (
    "INSERT INTO records (warc_file_id, offset, length, record_id, record_type, "
    "target_uri, warc_date, payload_digest, refers_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def utc_text(moment: datetime) -> str:
    """``moment`` as the index stores it: UTC ISO-8601 with microseconds (sorts as time does)."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One URL as one audit observed it, as ``add_audits`` indexes it."""

    check: AuditCheck
    url_key: str


@dataclass(frozen=True, slots=True)
class WarcFile:
    """One WARC file as indexed: ``path`` is relative to the archive root."""

    id: int
    path: str
    committed_size: int


@dataclass(frozen=True, slots=True)
class IndexedRecord:
    """One response or revisit record as indexed, with where it is."""

    record_id: str
    record_type: str
    target_uri: str | None
    warc_date: str
    payload_digest: str | None
    refers_to: str | None
    warc_path: str
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    """One fetch with an HTTP response, as ``commit_batch`` indexes it.

    ``record_id`` is the WARC-Record-ID of its response or revisit record.
    """

    snapshot: Snapshot
    url_key: str
    recorded_at: datetime
    record_id: str
    result_json: str


@dataclass(frozen=True, slots=True)
class FailureRow:
    """One fetch that got no HTTP response, as ``commit_batch`` indexes it."""

    snapshot: Snapshot
    url_key: str
    recorded_at: datetime
    result_json: str


class ArchiveIndex:
    """The SQLite index of one archive. Not thread-safe: the store serialises calls."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        self._has_texts = True  # False for an index at schema 3 opened read-only

    @classmethod
    def open(cls, path: Path) -> ArchiveIndex:
        """Open (creating or migrating) the index at ``path``; call under the archive lock."""
        try:
            connection = sqlite3.connect(
                path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise archive_error("open the archive index", path, exc) from exc
        index = cls(path, connection)
        try:
            with index._guard("open the archive index"):
                mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise ArchiveError(f"cannot open the archive index {path}: WAL mode refused")
                # FULL: a commit is durable when it returns, like the WARC bytes before it.
                connection.execute("PRAGMA synchronous=FULL")
                connection.execute("PRAGMA foreign_keys=ON")
                index._migrate()
        except BaseException:
            connection.close()
            raise
        return index

    @classmethod
    def open_read_only(cls, path: Path) -> ArchiveIndex:
        """Open the index at ``path`` for reading only: no lock, no migration, no writes.

        For an archive whose files or directory the user cannot write. SQLite needs to
        create a shared-memory file beside a WAL database even to read it; where it
        cannot, the database is opened as immutable (nobody can be writing to a
        directory that nobody may write to). An index at another schema version than
        this build's is refused: upgrading it would need to write.
        """
        uri = path.absolute().as_uri()
        failure = sqlite3.Error("not opened")
        for options in ("mode=ro", "mode=ro&immutable=1"):
            try:
                connection = sqlite3.connect(
                    f"{uri}?{options}", uri=True, isolation_level=None, check_same_thread=False
                )
            except sqlite3.Error as exc:
                failure = exc
                continue
            index = cls(path, connection)
            try:
                version = index._schema_version()
            except sqlite3.Error as exc:
                connection.close()
                failure = exc
                continue
            if not _OLDEST_READABLE <= version <= SCHEMA_VERSION:
                connection.close()
                newer = "a newer" if version > SCHEMA_VERSION else "an older"
                raise ArchiveError(
                    f"{path}: index schema {version} was written by {newer} provenance and"
                    f" cannot be read without write access (this one reads {SCHEMA_VERSION})"
                )
            index._has_texts = version >= 4
            return index
        raise archive_error("open the archive index", path, failure) from failure

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    @contextlib.contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise archive_error(action, self.path, exc) from exc

    @contextlib.contextmanager
    def _transaction(self, action: str) -> Iterator[sqlite3.Connection]:
        with self._guard(action):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._transaction("migrate the archive index"):
            version = self._schema_version()
            if version > SCHEMA_VERSION:
                raise ArchiveError(
                    f"{self.path}: index schema {version} was written by a newer provenance "
                    f"(this one reads up to {SCHEMA_VERSION}); upgrade provenance"
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target]:
                    self._db.execute(statement)
                self._db.execute("UPDATE schema_version SET version = ?", (target,))

    def _schema_version(self) -> int:
        exists = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        if exists is None:
            return 0
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        return 0 if row is None else int(row[0])

    # -- writes ------------------------------------------------------------------------

    def add_warc_file(
        self, path: str, created_at: datetime, warcinfo: EncodedRecord, size: int
    ) -> int:
        """Index a new WARC file holding only its ``warcinfo`` record; return its id."""
        with self._transaction("index a new WARC file") as db:
            cursor = db.execute(
                "INSERT INTO warc_files (path, created_at, committed_size) VALUES (?, ?, ?)",
                (path, utc_text(created_at), size),
            )
            file_id = int(cursor.lastrowid or 0)
            self._insert_record(db, file_id, warcinfo, 0)
        return file_id

    def commit_batch(
        self,
        committed_sizes: Mapping[int, int],
        records: Sequence[tuple[int, EncodedRecord, int]],
        snapshots: Sequence[SnapshotRow],
        failures: Sequence[FailureRow] = (),
        texts: Mapping[str, bytes] | None = None,
    ) -> None:
        """Index a batch of fetches in one transaction: all of it, or (on error) none.

        ``committed_sizes`` maps WARC file ids to their new committed size;
        ``records`` are (file id, record, offset); call only once every one of
        those bytes is on disk. ``texts`` maps text digests (``sha256:<hex>`` of the
        bytes) to the extracted texts the snapshots name; one already stored is kept.
        """
        with self._transaction("index a batch of snapshots") as db:
            if texts:
                db.executemany(_TEXT_INSERT, texts.items())
            db.executemany(
                _RECORD_INSERT, [_record_values(f, record, offset) for f, record, offset in records]
            )
            db.executemany(
                "UPDATE warc_files SET committed_size = ? WHERE id = ?",
                [(size, file_id) for file_id, size in committed_sizes.items()],
            )
            db.executemany(
                _SNAPSHOT_INSERT,
                [
                    (
                        *_snapshot_values(row.snapshot),
                        row.url_key,
                        utc_text(row.recorded_at),
                        row.record_id,
                        row.result_json,
                    )
                    for row in snapshots
                ],
            )
            db.executemany(
                _FAILURE_INSERT,
                [
                    (
                        row.snapshot.url,
                        row.snapshot.normalized_url,
                        utc_text(row.snapshot.captured_at),
                        row.snapshot.http_status,
                        row.snapshot.verdict.value,
                        row.snapshot.reason.value,
                        row.snapshot.final_url,
                        _redirects_json(row.snapshot.redirects),
                        row.snapshot.error,
                        row.url_key,
                        utc_text(row.recorded_at),
                        row.result_json,
                    )
                    for row in failures
                ],
            )

    def add_audits(self, rows: Sequence[AuditRow]) -> None:
        """Index what one audit observed, every URL in one transaction."""
        with self._transaction("record an audit") as db:
            db.executemany(
                "INSERT INTO audits (url, normalized_url, url_key, checked_at, verdict, reason, "
                "http_status, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        row.check.url,
                        row.check.normalized_url,
                        row.url_key,
                        utc_text(row.check.checked_at),
                        row.check.verdict.value,
                        row.check.reason.value,
                        row.check.http_status,
                        row.check.digest,
                    )
                    for row in rows
                ],
            )

    @staticmethod
    def _insert_record(
        db: sqlite3.Connection, file_id: int, record: EncodedRecord, offset: int
    ) -> None:
        db.execute(_RECORD_INSERT, _record_values(file_id, record, offset))

    # -- reads -------------------------------------------------------------------------

    def warc_files(self) -> list[WarcFile]:
        """Every indexed WARC file, oldest first."""
        with self._guard("read the archive index"):
            rows = self._db.execute(
                "SELECT id, path, committed_size FROM warc_files ORDER BY id"
            ).fetchall()
        return [WarcFile(int(r[0]), str(r[1]), int(r[2])) for r in rows]

    def record(self, record_id: str) -> IndexedRecord | None:
        """The record with WARC-Record-ID ``record_id``."""
        return self._one_record("r.record_id = ?", record_id)

    def latest_payload_records(self, target_uris: Collection[str]) -> dict[str, IndexedRecord]:
        """The last response or revisit record written for each of ``target_uris`` (by URI)."""
        return self._records_where(
            "r.id IN (SELECT max(id) FROM records WHERE target_uri IN ({}) "
            "AND record_type IN ('response', 'revisit') GROUP BY target_uri)",
            target_uris,
            key=lambda record: record.target_uri or "",
        )

    def records(self, record_ids: Collection[str]) -> dict[str, IndexedRecord]:
        """The records with these WARC-Record-IDs (those that exist), by id."""
        return self._records_where(
            "r.record_id IN ({})", record_ids, key=lambda record: record.record_id
        )

    def _records_where(
        self,
        where: str,
        values: Collection[str],
        *,
        key: Callable[[IndexedRecord], str],
    ) -> dict[str, IndexedRecord]:
        found: dict[str, IndexedRecord] = {}
        ordered = sorted(values)
        with self._guard("read the archive index"):
            for start in range(0, len(ordered), _MAX_PARAMETERS):
                chunk = ordered[start : start + _MAX_PARAMETERS]
                rows = self._db.execute(
                    f"{_RECORD_SELECT} WHERE {where.format(', '.join('?' * len(chunk)))}",
                    chunk,
                ).fetchall()
                for row in rows:
                    record = _indexed_record(row)
                    found[key(record)] = record
        return found

    def _one_record(self, where: str, value: str) -> IndexedRecord | None:
        with self._guard("read the archive index"):
            row = self._db.execute(
                f"{_RECORD_SELECT} WHERE {where} ORDER BY r.id DESC LIMIT 1", (value,)
            ).fetchone()
        return None if row is None else _indexed_record(row)

    def text(self, text_digest: str) -> bytes | None:
        """The stored text with ``text_digest`` (as stored: it may be damaged), or ``None``."""
        if not self._has_texts:
            return None
        with self._guard("read the archive index"):
            row = self._db.execute(
                "SELECT data FROM texts WHERE text_digest = ?", (text_digest,)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def put_text(self, text_digest: str, data: bytes) -> None:
        """Store (or repair) one text in a transaction of its own."""
        with self._transaction("store a text in the archive index") as db:
            db.execute(_TEXT_INSERT, (text_digest, data))

    def history(self, url_key: str, url: str) -> list[Snapshot]:
        """Every snapshot and failed fetch of a URL, oldest first.

        Matches the archive's own normalisation (``url_key``) and, so lookups by
        the fetcher's ``normalized_url`` work too, that column.
        """
        where = "url_key = ? OR normalized_url = ? OR normalized_url = ?"
        params = (url_key, url, url_key)
        with self._guard("read the archive index"):
            rows = self._db.execute(
                f"SELECT * FROM ("
                f"SELECT {_SNAPSHOT_COLUMNS}, NULL AS error, recorded_at, id, 0 AS failed "
                f"FROM snapshots WHERE {where} "
                f"UNION ALL SELECT {_FAILURE_AS_SNAPSHOT}, error, recorded_at, id, 1 "
                f"FROM failed_fetches WHERE {where}"
                ") ORDER BY captured_at, recorded_at, failed, id",
                params + params,
            ).fetchall()
        return [_snapshot(row) for row in rows]

    def audits(self, url_key: str, url: str) -> list[AuditCheck]:
        """What every audit observed of a URL, oldest first (matched as ``history`` does)."""
        with self._guard("read the archive index"):
            rows = self._db.execute(
                "SELECT url, normalized_url, checked_at, verdict, reason, http_status, digest "
                "FROM audits WHERE url_key = ? OR normalized_url = ? OR normalized_url = ? "
                "ORDER BY checked_at, id",
                (url_key, url, url_key),
            ).fetchall()
        return [
            AuditCheck(
                url=row[0],
                normalized_url=row[1],
                checked_at=datetime.fromisoformat(row[2]),
                verdict=Verdict(row[3]),
                reason=Reason(row[4]),
                http_status=row[5],
                digest=row[6],
            )
            for row in rows
        ]

    def urls(self) -> list[str]:
        """Every normalised URL with a snapshot or a failed fetch, sorted."""
        with self._guard("read the archive index"):
            rows = self._db.execute(
                "SELECT normalized_url FROM snapshots UNION "
                "SELECT normalized_url FROM failed_fetches ORDER BY 1"
            ).fetchall()
        return [str(row[0]) for row in rows]

    def find_digest(self, digest: str) -> Snapshot | None:
        """The latest snapshot whose decoded or archived payload has ``sha256:<hex>`` ``digest``."""
        with self._guard("read the archive index"):
            row = self._db.execute(
                f"SELECT {_SNAPSHOT_COLUMNS}, NULL FROM snapshots "
                "WHERE digest = ? OR payload_digest = ? ORDER BY captured_at DESC, id DESC LIMIT 1",
                (digest, digest),
            ).fetchone()
        return None if row is None else _snapshot(row)

    def snapshots(self) -> list[Snapshot]:
        """Every snapshot with a WARC record, in the order they were indexed."""
        with self._guard("read the archive index"):
            rows = self._db.execute(
                f"SELECT {_SNAPSHOT_COLUMNS}, NULL FROM snapshots ORDER BY id"
            ).fetchall()
        return [_snapshot(row) for row in rows]

    def count(self) -> tuple[int, int]:
        """How many (snapshots, failed fetches) are indexed."""
        with self._guard("read the archive index"):
            snapshots = self._db.execute("SELECT count(*) FROM snapshots").fetchone()[0]
            failures = self._db.execute("SELECT count(*) FROM failed_fetches").fetchone()[0]
        return int(snapshots), int(failures)


_RECORD_SELECT = (
    "SELECT r.record_id, r.record_type, r.target_uri, r.warc_date, r.payload_digest, "
    "r.refers_to, f.path, r.offset, r.length FROM records r "
    "JOIN warc_files f ON f.id = r.warc_file_id"
)
# Host parameters per statement: well under SQLite's lowest limit (999 before 3.32).
_MAX_PARAMETERS = 500


def _indexed_record(row: Sequence[Any]) -> IndexedRecord:
    return IndexedRecord(
        str(row[0]), str(row[1]), row[2], str(row[3]), row[4], row[5], str(row[6]),
        int(row[7]), int(row[8]),
    )  # fmt: skip


def _record_values(file_id: int, record: EncodedRecord, offset: int) -> tuple[Any, ...]:
    return (
        file_id,
        offset,
        len(record.data),
        record.record_id,
        record.record_type,
        record.target_uri,
        record.warc_date,
        record.payload_digest,
        record.refers_to,
    )


def _redirects_json(redirects: Sequence[Redirect]) -> str:
    return json.dumps([redirect.model_dump(mode="json") for redirect in redirects])


def _snapshot_values(snapshot: Snapshot) -> tuple[Any, ...]:
    return (
        snapshot.url,
        snapshot.normalized_url,
        utc_text(snapshot.captured_at),
        snapshot.http_status,
        snapshot.verdict.value,
        snapshot.reason.value,
        snapshot.final_url,
        _redirects_json(snapshot.redirects),
        snapshot.digest,
        snapshot.payload_digest,
        snapshot.warc_path,
        snapshot.offset,
        snapshot.length,
        snapshot.text_path,
        snapshot.text_status.value,
        snapshot.title,
        snapshot.content_type,
        snapshot.size,
        int(snapshot.is_revisit),
        snapshot.text_digest,
    )


def _snapshot(row: Sequence[Any]) -> Snapshot:
    """A ``Snapshot`` from a row in ``_SNAPSHOT_COLUMNS`` order followed by ``error``."""
    return Snapshot(
        url=row[0],
        normalized_url=row[1],
        captured_at=datetime.fromisoformat(row[2]),
        http_status=row[3],
        verdict=Verdict(row[4]),
        reason=Reason(row[5]),
        final_url=row[6],
        redirects=tuple(Redirect.model_validate(r) for r in json.loads(row[7])),
        digest=row[8],
        payload_digest=row[9],
        warc_path=row[10],
        offset=row[11],
        length=row[12],
        text_path=row[13],
        text_status=TextStatus(row[14]),
        title=row[15],
        content_type=row[16],
        size=row[17],
        is_revisit=bool(row[18]),
        text_digest=row[19],
        error=row[20],
    )
