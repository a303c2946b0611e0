"""WARC/1.1 records: encoding ``HttpExchange`` objects as gzip members, and reading one back.

Records are serialised here, byte for byte as warcio's ``WARCWriter`` would
write them (a test holds the two side by side), one gzip member per record so any
record can be read alone from its offset: building them through warcio's record
objects was half of archiving's CPU time. Block and payload digests are sha256 in
warcio's own form (``sha256:<base32>``), which ``warcio check`` verifies; reading
back is warcio's ``ArchiveIterator``. Encoding is pure (bytes out); where the bytes go and
when they are indexed is ``provenance.archive.store``'s business.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from isal import isal_zlib

from provenance.archive.fs import archive_error
from provenance.errors import ArchiveCorruptError
from provenance.fetch.models import HttpExchange

__all__ = [
    "WARC_NAME_PATTERN",
    "EncodedRecord",
    "RevisitTarget",
    "StoredRecord",
    "as_utc",
    "complete_prefix",
    "digest_to_hex",
    "encode_exchange",
    "encode_warcinfo",
    "read_record",
    "sha256_hex",
    "warc_date",
    "warc_file_name",
]

# provenance-YYYYMMDD-<run>-NNNNN.warc.gz; the store only ever creates (and
# recovery only ever touches) names that match.
WARC_NAME_PATTERN = re.compile(r"provenance-\d{8}-[A-Za-z0-9_-]{1,64}-\d{5,}\.warc\.gz")
_RUN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")

# WARC response records hold HTTP/1.x message syntax; an HTTP/2 or /3 exchange is
# written in that syntax and its real protocol kept in WARC-Protocol.
_HTTP1_VERSIONS = ("HTTP/1.0", "HTTP/1.1")
_PROTOCOL_TOKENS = {"HTTP/2": "h2", "HTTP/2.0": "h2", "HTTP/3": "h3", "HTTP/3.0": "h3"}

# The stored body is already de-chunked (HttpExchange.body is after transfer
# decoding); a Transfer-Encoding header would make replay tools de-chunk it again.
_TRANSFER_ENCODING_RENAMED = "X-Archive-Orig-Transfer-Encoding"

_READ_CHUNK = 1 << 16


def sha256_hex(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``: the digest form provenance uses everywhere."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _sha256_base32(data: bytes) -> str:
    return "sha256:" + _base32_of_sha256(hashlib.sha256(data).digest())


# Base32 (RFC 4648, as base64.b32encode writes it) of a 32-byte sha256 digest, ten bits
# at a time: base64's pure-Python loop cost more than the hashing, three times a record.
_B32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_B32_PAIRS = tuple(a + b for a in _B32_ALPHABET for b in _B32_ALPHABET)
_B32_SHIFTS = tuple(range(250, -1, -10))  # 256 bits and 4 of padding: 26 pairs


def _base32_of_sha256(digest: bytes) -> str:
    if len(digest) != 32:
        return base64.b32encode(digest).decode("ascii")
    bits = int.from_bytes(digest, "big") << 4
    pairs = _B32_PAIRS
    return "".join([pairs[(bits >> shift) & 1023] for shift in _B32_SHIFTS]) + "===="


def digest_to_hex(digest: str | None) -> str | None:
    """``sha256:<hex>`` for a sha256 digest written as base32 or hex; ``None`` if not sha256."""
    if not digest:
        return None
    algorithm, _, value = digest.partition(":")
    if algorithm.lower() != "sha256":
        return None
    try:
        raw = bytes.fromhex(value) if len(value) == 64 else base64.b32decode(value.upper())
    except ValueError:
        return None
    return "sha256:" + raw.hex() if len(raw) == 32 else None


def warc_date(moment: datetime) -> str:
    """Format ``moment`` as a WARC/1.1 date (UTC, microseconds when there are any)."""
    # isoformat: the seconds, then the microseconds only when there are any.
    return as_utc(moment).replace(tzinfo=None).isoformat() + "Z"


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time is taken to be UTC already, as WARC dates are."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def warc_file_name(day: date, run: str, sequence: int) -> str:
    """The name of the ``sequence``-th WARC file of ``run`` on ``day``.

    ``run`` must be 1-64 characters of ``[A-Za-z0-9_-]``: file names are never
    built from anything that could hold a path separator.
    """
    if not _RUN_PATTERN.fullmatch(run):
        raise ValueError(f"run id {run!r} must be 1-64 characters of A-Z a-z 0-9 _ -")
    return f"provenance-{day:%Y%m%d}-{run}-{sequence:05d}.warc.gz"


@dataclass(frozen=True, slots=True)
class RevisitTarget:
    """The earlier record an unchanged payload refers to."""

    record_id: str
    target_uri: str
    warc_date: str


@dataclass(frozen=True, slots=True)
class EncodedRecord:
    """One WARC record serialised as a gzip member, with what the index keeps of it.

    ``payload_digest`` is ``sha256:<hex>`` of the HTTP payload (responses and
    revisits only); ``refers_to`` is the record id a revisit points at.
    """

    record_type: str
    record_id: str
    target_uri: str | None
    warc_date: str
    payload_digest: str | None
    refers_to: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One WARC record read back from disk.

    ``digest_problems`` lists what warcio's digest check found wrong (empty when
    the block and payload digests match the bytes).
    """

    record_type: str
    record_id: str
    target_uri: str | None
    warc_date: str
    payload: bytes
    payload_digest_header: str | None
    refers_to: str | None
    refers_to_target_uri: str | None
    http_headers: tuple[tuple[str, str], ...]
    digest_problems: tuple[str, ...]


# What warcio writes as each record type's Content-Type.
_CONTENT_TYPES = {
    "warcinfo": "application/warc-fields",
    "response": "application/http; msgtype=response",
    "revisit": "application/http; msgtype=response",
    "request": "application/http; msgtype=request",
}
_REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
_EMPTY_SHA256_BASE32 = _sha256_base32(b"")
# Each record is its own gzip member, compressed with ISA-L (``isal``): the same bytes
# once decompressed as warcio's zlib at level 9, for far less CPU. On the benchmark's
# pages ISA-L's level 2 took 0.029 ms per URL where zlib took 0.069 at level 1 and
# 0.092 at level 6, for files 3 % larger than zlib's level 6.
_GZIP_LEVEL = 2


def _record_id() -> str:
    # uuid.uuid4()'s value (16 random bytes, version 4, RFC 4122 variant) without building
    # a UUID object: two of these per exchange.
    h = os.urandom(16).hex()
    return f"<urn:uuid:{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}>"


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _clean(value: str) -> str:
    # A CR or LF inside a header would end it early and forge the next one.
    return value.replace("\r", " ").replace("\n", " ")


def _gzip_member(*parts: bytes) -> bytes:
    return isal_zlib.compress(b"".join(parts), _GZIP_LEVEL, isal_zlib.MAX_WBITS + 16)


def _record(
    record_type: str,
    headers: list[tuple[str, str]],
    uri: str,
    *,
    http_block: bytes,
    payload: bytes,
    payload_digest: str | None,
) -> bytes:
    """One WARC record as a gzip member, byte for byte what warcio's ``WARCWriter`` writes.

    ``headers`` are the record's own WARC headers in order; then come, as warcio adds
    them, ``WARC-Type``, ``WARC-Target-URI`` (when ``uri``), ``WARC-Payload-Digest``
    (when given here), ``WARC-Block-Digest`` (sha256 of ``http_block + payload``),
    ``Content-Type`` and ``Content-Length``. The block is ``http_block`` (an HTTP
    message's header block, or nothing) then ``payload``, then two CRLFs.
    """
    block_hash = hashlib.sha256(http_block)
    block_hash.update(payload)
    block_digest = "sha256:" + _base32_of_sha256(block_hash.digest())
    lines = [f"{name}: {value}\r\n" for name, value in headers]
    lines.append(f"WARC-Type: {record_type}\r\n")
    if uri:
        lines.append(f"WARC-Target-URI: {uri}\r\n")
    if payload_digest is not None:
        lines.append(f"WARC-Payload-Digest: {payload_digest}\r\n")
    head = (
        "WARC/1.1\r\n"
        + "".join(lines)
        + f"WARC-Block-Digest: {block_digest}\r\n"
        + f"Content-Type: {_CONTENT_TYPES[record_type]}\r\n"
        + f"Content-Length: {len(http_block) + len(payload)}\r\n\r\n"
    )
    return _gzip_member(head.encode("utf-8"), http_block, payload, b"\r\n\r\n")


def _http_block(first_line: str, headers: list[tuple[str, str]]) -> bytes:
    """An HTTP header block as warcio encodes it: ASCII, or RFC 8187 %-encoding if not."""
    text = first_line + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers)
    try:
        return text.encode("ascii") + b"\r\n"
    except UnicodeEncodeError:
        # Rare (a header with non-ASCII text): warcio's own rules, to stay identical.
        from warcio.statusandheaders import StatusAndHeaders  # (warcio: see read_record)

        protocol, _, rest = first_line.partition(" ")
        block: bytes = StatusAndHeaders(rest, list(headers), protocol=protocol).to_ascii_bytes()
        return block


def encode_warcinfo(filename: str, moment: datetime, fields: Mapping[str, str]) -> EncodedRecord:
    """The ``warcinfo`` record that opens the WARC file ``filename``."""
    record_id = _record_id()
    date_text = warc_date(moment)
    body = "".join(f"{_clean(k)}: {_clean(v)}\r\n" for k, v in fields.items() if v)
    data = _record(
        "warcinfo",
        [("WARC-Record-ID", record_id), ("WARC-Date", date_text), ("WARC-Filename", filename)],
        "",
        http_block=b"",
        payload=body.encode("utf-8"),
        payload_digest=None,
    )
    return EncodedRecord("warcinfo", record_id, None, date_text, None, None, data)


def encode_exchange(
    exchange: HttpExchange,
    *,
    revisit_of: RevisitTarget | None = None,
    payload_sha256: bytes | None = None,
) -> tuple[EncodedRecord, EncodedRecord]:
    """The records for one HTTP exchange: (``response`` or ``revisit``, ``request``).

    With ``revisit_of``, the payload is known to be identical to that record's,
    so a ``revisit`` record (profile identical-payload-digest) with only the
    HTTP headers is written instead of storing the payload again.
    ``payload_sha256``: the body's sha256 digest, when the caller has it already.
    """
    uri = _clean(exchange.url)
    date_text = warc_date(exchange.started_at)
    response_id = _record_id()
    payload_hash = payload_sha256 or hashlib.sha256(exchange.body).digest()
    base32 = "sha256:" + _base32_of_sha256(payload_hash)
    headers = [("WARC-Record-ID", response_id), ("WARC-Date", date_text)]
    if exchange.remote_ip:
        headers.append(("WARC-IP-Address", _clean(exchange.remote_ip)))
    protocol = _PROTOCOL_TOKENS.get(exchange.http_version.strip().upper())
    if protocol:
        headers.append(("WARC-Protocol", protocol))

    http_block = _response_block(exchange)
    if revisit_of is None:
        headers.append(("WARC-Payload-Digest", base32))
        if exchange.truncated:
            headers.append(("WARC-Truncated", "length"))
        data = _record(
            "response",
            headers,
            uri,
            http_block=http_block,
            payload=exchange.body,
            payload_digest=None,
        )
        record_type = "response"
    else:
        headers.append(("WARC-Refers-To", revisit_of.record_id))
        headers.append(("WARC-Type", "revisit"))
        headers.append(("WARC-Target-URI", uri))
        headers.append(("WARC-Profile", _REVISIT_PROFILE))
        headers.append(("WARC-Refers-To-Target-URI", revisit_of.target_uri))
        headers.append(("WARC-Refers-To-Date", revisit_of.warc_date))
        data = _revisit_record(headers, http_block, base32)
        record_type = "revisit"
    response = EncodedRecord(
        record_type,
        response_id,
        uri,
        date_text,
        "sha256:" + payload_hash.hex(),
        None if revisit_of is None else revisit_of.record_id,
        data,
    )

    request_id = _record_id()
    request_data = _record(
        "request",
        [
            ("WARC-Record-ID", request_id),
            ("WARC-Date", date_text),
            ("WARC-Concurrent-To", response_id),
        ],
        uri,
        http_block=_request_block(exchange),
        payload=b"",
        payload_digest=_EMPTY_SHA256_BASE32,
    )
    return response, EncodedRecord("request", request_id, uri, date_text, None, None, request_data)


def _revisit_record(headers: list[tuple[str, str]], http_block: bytes, digest: str) -> bytes:
    """A revisit record: its headers already hold type and URI, in warcio's order."""
    block_digest = _sha256_base32(http_block)
    head = (
        "WARC/1.1\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in headers)
        + f"WARC-Payload-Digest: {digest}\r\n"
        + f"WARC-Block-Digest: {block_digest}\r\n"
        + f"Content-Type: {_CONTENT_TYPES['revisit']}\r\n"
        + f"Content-Length: {len(http_block)}\r\n\r\n"
    )
    return _gzip_member(head.encode("utf-8"), http_block, b"\r\n\r\n")


def _response_block(exchange: HttpExchange) -> bytes:
    version = exchange.http_version.strip().upper()
    if version not in _HTTP1_VERSIONS:
        version = "HTTP/1.1"
    phrase = exchange.reason_phrase.strip()
    if not phrase:
        # HTTP/2 has no reason phrase; HTTP/1.x syntax wants one.
        try:
            phrase = HTTPStatus(exchange.status_code).phrase
        except ValueError:
            phrase = ""
    first_line = f"{version} " + _clean(f"{exchange.status_code} {phrase}".strip())
    fast = _fast_http_block(first_line, exchange.response_headers)
    if fast is not None:
        return fast
    headers = []
    for name, value in exchange.response_headers:
        if name.strip().lower() == "transfer-encoding":
            name = _TRANSFER_ENCODING_RENAMED
        headers.append((_clean(name), _clean(value)))
    return _http_block(first_line, headers)


def _request_target(url: str) -> str:
    """Path and query of ``url`` as ``urlsplit`` finds them (``/`` for an empty path)."""
    scheme, sep, rest = url.partition("://")
    if not (sep and scheme in ("http", "https") and rest.isascii() and rest.isprintable()):
        # urlsplit's own rules (it drops tabs and newlines, checks brackets...).
        parts = urlsplit(url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    end = len(rest)
    for delimiter in "/?#":
        found = rest.find(delimiter, 0, end)
        if found >= 0:
            end = found
    path, _, query = rest[end:].partition("#")[0].partition("?")
    return (path or "/") + (f"?{query}" if query else "")


def _request_block(exchange: HttpExchange) -> bytes:
    target = _request_target(exchange.url)
    first_line = _clean(f"{exchange.method.upper()} {target} HTTP/1.1")
    fast = _fast_http_block(first_line, exchange.request_headers)
    if fast is not None:
        return fast
    return _http_block(first_line, [(_clean(n), _clean(v)) for n, v in exchange.request_headers])


def _fast_http_block(first_line: str, headers: tuple[tuple[str, str], ...]) -> bytes | None:
    """``_http_block`` of headers needing no change (the usual case), else ``None``.

    None does when every line has exactly one CR and one LF (no name or value holds
    one), no name is ``Transfer-Encoding`` and the block is ASCII: one pass of C string
    methods instead of two replaces and a lower() per header.
    """
    text = first_line + "\r\n" + "".join([f"{name}: {value}\r\n" for name, value in headers])
    lines = len(headers) + 1
    if (
        text.count("\n") != lines
        or text.count("\r") != lines
        or not text.isascii()
        or "transfer-encoding" in text.lower()
    ):
        return None
    return text.encode("ascii") + b"\r\n"


def read_record(path: Path, offset: int, length: int) -> StoredRecord:
    """Read the record stored at ``offset`` (``length`` bytes, one gzip member) in ``path``.

    Raises ``ArchiveCorruptError`` when the file is missing, the bytes are cut
    short or they do not parse as a WARC record; reading the payload through
    also runs warcio's digest check, whose findings are in ``digest_problems``.
    """
    where = f"{path}@{offset}"
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read(length)
    except FileNotFoundError:
        raise ArchiveCorruptError(f"{path}: WARC file is missing") from None
    except OSError as exc:
        raise archive_error("read", path, exc) from exc
    if len(data) != length:
        raise ArchiveCorruptError(f"{where}: record cut short ({len(data)} of {length} bytes)")
    try:
        return _parse_record(data)
    except Exception as exc:
        # The bytes are untrusted once on disk: any parse failure (zlib, header
        # syntax, EOF) means the same thing here, a record that is not whole.
        raise ArchiveCorruptError(f"{where}: not a readable WARC record ({exc})") from exc


def _parse_record(data: bytes) -> StoredRecord:
    # Imported on first read: the archive process only writes, and starts faster without.
    from warcio.archiveiterator import ArchiveIterator

    iterator = ArchiveIterator(BytesIO(data), check_digests=True)
    record = next(iter(iterator))
    chunks = []
    while chunk := record.raw_stream.read(_READ_CHUNK):
        chunks.append(chunk)
    headers = record.rec_headers
    checker = record.digest_checker
    problems = tuple(str(p) for p in checker.problems) if checker.passed is False else ()
    return StoredRecord(
        record_type=str(record.rec_type),
        record_id=str(headers.get_header("WARC-Record-ID")),
        target_uri=headers.get_header("WARC-Target-URI"),
        warc_date=str(headers.get_header("WARC-Date")),
        payload=b"".join(chunks),
        payload_digest_header=headers.get_header("WARC-Payload-Digest"),
        refers_to=headers.get_header("WARC-Refers-To"),
        refers_to_target_uri=headers.get_header("WARC-Refers-To-Target-URI"),
        http_headers=tuple(
            (str(k), str(v))
            for k, v in (record.http_headers.headers if record.http_headers else ())
        ),
        digest_problems=problems,
    )


def complete_prefix(path: Path) -> int:
    """The length of the longest prefix of ``path`` made of whole WARC gzip members.

    A writer killed mid-append leaves part of a gzip member at the end of the
    file; everything before it is whole. A member counts when it decompresses
    to its end (its CRC checks) and begins with a WARC version line. Nothing
    is printed or raised for the broken tail: it is what this looks for.
    """
    end = 0
    member_start = 0
    fed = 0  # bytes of the current member given to the decompressor so far
    head = b""
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise archive_error("read", path, exc) from exc
    with handle:
        pending = b""
        while True:
            if not pending:
                pending = handle.read(_READ_CHUNK)
                if not pending:
                    return end
            try:
                out = decompressor.decompress(pending, _READ_CHUNK)
            except zlib.error:
                return end
            if len(head) < 5:
                head += out[: 5 - len(head)]
            if decompressor.eof:
                member_end = member_start + fed + len(pending) - len(decompressor.unused_data)
                if not head.startswith(b"WARC/"):
                    return end
                end = member_start = member_end
                pending, fed, head = decompressor.unused_data, 0, b""
                decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
            else:
                fed += len(pending) - len(decompressor.unconsumed_tail)
                pending = decompressor.unconsumed_tail
