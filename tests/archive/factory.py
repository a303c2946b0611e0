"""Builders for archive tests: exchanges and results made directly, no HTTP involved.

Plain functions (not fixtures) so that worker processes started by the
concurrency and crash tests can import them too.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.checker import Checker

from provenance.archive import SnapshotStore
from provenance.fetch.models import FetchResult, HttpExchange, Reason, Redirect
from provenance.fetch.urls import normalize_url

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

HTML = (
    b"<!doctype html><html><head><title>The  Source &amp; Its Title</title>"
    b"<script>var secret = 'do not index';</script><style>p { color: red }</style></head>"
    b"<body><nav>Home | About</nav><header>Site banner</header>"
    b"<h1>Findings</h1><p>Water boils at 100&nbsp;&deg;C at sea level.</p>"
    b"<ul><li>first point</li><li>second point</li></ul>"
    b"<footer>Copyright</footer></body></html>"
)


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = T0
    step: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current


def exchange(
    url: str,
    body: bytes = HTML,
    *,
    status: int = 200,
    reason_phrase: str = "OK",
    content_type: str | None = "text/html; charset=utf-8",
    content_encoding: str | None = None,
    extra_headers: tuple[tuple[str, str], ...] = (),
    started_at: datetime = T0,
    http_version: str = "HTTP/1.1",
    truncated: bool = False,
    remote_ip: str | None = "203.0.113.7",
) -> HttpExchange:
    """One GET exchange answered with ``body`` (already content-encoded if it says so)."""
    headers: list[tuple[str, str]] = []
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    if content_encoding is not None:
        headers.append(("Content-Encoding", content_encoding))
    headers.append(("Content-Length", str(len(body))))
    headers.extend(extra_headers)
    host = url.split("/")[2]
    return HttpExchange(
        url=url,
        method="GET",
        request_headers=(("Host", host), ("User-Agent", "provenance-test"), ("Accept", "*/*")),
        http_version=http_version,
        status_code=status,
        reason_phrase=reason_phrase,
        response_headers=tuple(headers),
        body=body,
        truncated=truncated,
        started_at=started_at,
        remote_ip=remote_ip,
    )


def result(
    url: str,
    *,
    reason: Reason = Reason.OK,
    fetched_at: datetime = T0,
    http_status: int | None = 200,
    **fields: Any,
) -> FetchResult:
    """A ``FetchResult`` for ``url`` whose verdict follows from ``reason``."""
    return FetchResult(
        url=url,
        normalized_url=normalize_url(url),
        verdict=reason.verdict,
        reason=reason,
        http_status=http_status,
        fetched_at=fetched_at,
        **fields,
    )


def redirect_fetch(
    source: str, target: str, body: bytes = HTML, *, at: datetime = T0
) -> tuple[FetchResult, list[HttpExchange]]:
    """A fetch of ``source`` that was redirected (301) once, to ``target``."""
    hops = [
        exchange(
            source,
            b"",
            status=301,
            reason_phrase="Moved Permanently",
            content_type=None,
            extra_headers=(("Location", target),),
            started_at=at,
        ),
        exchange(target, body, started_at=at + timedelta(milliseconds=250)),
    ]
    fetched = result(
        source,
        reason=Reason.MOVED,
        fetched_at=at,
        final_url=target,
        redirects=(Redirect(url=source, status=301),),
    )
    return fetched, hops


def gzipped(data: bytes) -> bytes:
    """``data`` gzip-compressed with a fixed mtime (deterministic bytes)."""
    return gzip.compress(data, mtime=0)


def warc_files(root: Path) -> list[Path]:
    """The archive's WARC files, in name order."""
    return sorted((root / "warc").glob("*.warc.gz"))


@dataclass(frozen=True)
class ReadRecord:
    """One record as warcio's ``ArchiveIterator`` reads it from a file."""

    file: str
    offset: int
    length: int
    type: str
    uri: str | None
    headers: dict[str, str]
    http_status: str | None
    payload: bytes


def read_records(path: Path) -> list[ReadRecord]:
    """Every record of a WARC file, read with warcio from the first byte to the last."""
    records = []
    with path.open("rb") as handle:
        iterator = ArchiveIterator(handle)
        for record in iterator:
            payload = _read_all(record.raw_stream)
            headers = dict(record.rec_headers.headers)
            is_response = record.rec_type in ("response", "revisit") and record.http_headers
            status = record.http_headers.get_statuscode() if is_response else None
            records.append(
                ReadRecord(
                    file=path.name,
                    offset=iterator.get_record_offset(),
                    length=iterator.get_record_length(),
                    type=record.rec_type,
                    uri=record.rec_headers.get_header("WARC-Target-URI"),
                    headers=headers,
                    http_status=status,
                    payload=payload,
                )
            )
    return records


def _read_all(stream: Any) -> bytes:
    chunks = []
    while chunk := stream.read(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def warcio_check(paths: list[Path]) -> tuple[int, str]:
    """Run ``warcio check`` in-process on ``paths``: (exit value, what it printed)."""
    out = io.StringIO()

    @dataclass
    class _Command:
        inputs: list[str]
        verbose: bool = False

    with contextlib.redirect_stdout(out):
        exit_value = Checker(_Command([str(p) for p in paths])).process_all()
    return int(exit_value), out.getvalue()


def append_fetches(root: str, run_id: str, count: int, barrier: Any) -> None:
    """Worker for the concurrency test: record ``count`` fetches into the archive at ``root``.

    Each fetch has a URL of its own and a body of its own; every third one also
    fetches a URL all workers share, so their revisit decisions interleave too.
    """
    barrier.wait()
    with SnapshotStore(Path(root), run_id=run_id, lock_timeout=60) as store:
        for n in range(count):
            url = f"https://{run_id}.example/page/{n}"
            body = f"<p>{run_id} page {n} pid {os.getpid()}</p>".encode()
            store.record(result(url), [exchange(url, body)])
            if n % 3 == 0:
                shared = "https://shared.example/"
                store.record(result(shared), [exchange(shared, b"<p>shared and unchanged</p>")])


SCHEMA3_ARCHIVE = Path(__file__).resolve().parent / "data" / "schema3-archive"


def as_schema3(root: Path) -> None:
    """Turn the archive at ``root`` (closed) into the layout of index schema 3.

    What provenance wrote before texts moved into the index: each text in a file
    ``text/<xx>/<hex>.txt`` named by the decoded payload's sha256 (``snapshots.digest``),
    ``snapshots.text_path`` naming it, no ``texts`` table. ``data/schema3-archive`` was
    written by that code itself; ``test_archive_layout`` holds the two side by side.
    """
    db = sqlite3.connect(root / "index.sqlite3")
    try:
        with db:
            rows = db.execute(
                "SELECT s.id, s.digest, t.data FROM snapshots s "
                "JOIN texts t ON t.text_digest = s.text_digest"
            ).fetchall()
            for snapshot_id, digest, data in rows:
                hex_digest = digest.removeprefix("sha256:")
                relative = f"text/{hex_digest[:2]}/{hex_digest}.txt"
                (root / relative).parent.mkdir(parents=True, exist_ok=True)
                (root / relative).write_bytes(data)
                db.execute(
                    "UPDATE snapshots SET text_path = ? WHERE id = ?", (relative, snapshot_id)
                )
            db.execute("DROP TABLE texts")
            db.execute("UPDATE schema_version SET version = 3")
    finally:
        db.close()
