"""A lean HTTP/1.1 client connection for the fetcher's pool, in place of httpcore's and h11's.

httpcore's ``AsyncHTTP11Connection`` drives h11's event machinery and wraps every step
in a ``Trace`` context manager and an exception map; measured on one request cycle of
a 4 KB page, h11 alone costs ~85 µs, httpcore's layer as much again, where reading
the same answer directly costs ~5 µs. The fetcher sends one GET at a time per
connection and reads the body to the end or closes the connection, so this class does
only that: write the request head (and a body, if one was given), read the response
head, and hand out the body framed by ``Transfer-Encoding: chunked``,
``Content-Length`` or the end of the connection.

What h11 refuses, this refuses too, as ``httpcore.RemoteProtocolError`` (a
connection error to the fetcher): a status line that is not ``HTTP/x.y NNN``, a
header line without a token name and a colon, a NUL or stray CR in a value, a head
over 100 KiB (the limit httpcore sets for h11), conflicting or non-numeric
``Content-Length``, a transfer coding other than ``chunked``, a malformed chunk, a body
cut short. Its messages are h11's and httpcore's where the fetcher reports them
("peer closed connection without sending complete message body", "Server
disconnected without sending a response."). Informational (1xx) answers are skipped,
as httpcore does. A header value may hold any other byte (latin-1, controls), as h11
allows. Bytes the server sends past the end of a response are never read as the next
answer: the connection is then not reused (``has_unread``).

Reads and writes go through an ``httpcore.AsyncNetworkStream`` (the asyncio backend of
``provenance.fetch.netio``, pinned or not), whose timeouts and errors are httpcore's,
so httpx maps every failure as it does for its own pool.
"""

from __future__ import annotations

import enum
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, NamedTuple

import httpcore
import httpx

__all__ = ["Http11Connection", "Http11Response"]

# How much one read asks the stream for (httpcore's own figure).
_READ_SIZE = 64 * 1024
# The largest response head (status line and headers) kept while waiting for its end:
# what httpcore configures h11 with (``max_incomplete_event_size``).
_MAX_HEAD = 100 * 1024
# The largest chunk-size line (with extensions) or trailer section waited for.
_MAX_LINE = 16 * 1024

_HEAD_END = re.compile(rb"\r?\n\r?\n")
_LINE_END = re.compile(rb"\r?\n")
_STATUS_LINE = re.compile(rb"HTTP/([0-9])\.([0-9]) ([0-9]{3})(?: ([^\x00\r\n]*))?")
# A header line: a token, a colon, optional whitespace, the value, optional whitespace.
_FIELD = re.compile(rb"([-!#$%&'*+.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*")
# What h11 refuses inside a value (a line holds no LF; whitespace other than SP/HT).
_BAD_VALUE = re.compile(rb"[\x00\r\x0b\x0c]")
_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,20})[ \t]*(?:;[^\r\n]*)?")
_DIGITS = re.compile(rb"[0-9]+")


class _State(enum.Enum):
    IDLE = "idle"
    ACTIVE = "active"
    CLOSED = "closed"


class Http11Response:
    """What ``Http11Connection.handle_async_request`` returns: httpcore's ``Response`` shape.

    httpx's transport reads ``status``, ``headers``, ``stream`` and ``extensions`` and
    nothing else; building an ``httpcore.Response`` re-validates every header byte.
    """

    __slots__ = ("extensions", "headers", "status", "stream")

    def __init__(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]],
        stream: _Body,
        extensions: dict[str, Any],
    ) -> None:
        self.status = status
        self.headers = headers
        self.stream = stream
        self.extensions = extensions


def _protocol_error(message: str) -> httpcore.RemoteProtocolError:
    return httpcore.RemoteProtocolError(message)


def _parse_head(head: bytes) -> tuple[int, int, bytes, list[tuple[bytes, bytes]]]:
    """``(minor version, status, reason, headers)`` of a response head (without its end)."""
    lines = _LINE_END.split(head)
    status_match = _STATUS_LINE.fullmatch(lines[0])
    if status_match is None or status_match.group(1) != b"1":
        raise _protocol_error(f"malformed status line {lines[0][:80]!r}")
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t"):
            # obs-fold: a continuation of the previous value (h11 joins it with a space).
            if not headers:
                raise _protocol_error("a continuation line before any header")
            name, value = headers[-1]
            headers[-1] = (name, (value + b" " + line.strip(b" \t")).strip(b" \t"))
            continue
        field = _FIELD.fullmatch(line)
        if field is None or _BAD_VALUE.search(field.group(2)) is not None:
            raise _protocol_error(f"malformed header line {line[:80]!r}")
        headers.append((field.group(1), field.group(2)))
    minor = int(status_match.group(2))
    return minor, int(status_match.group(3)), status_match.group(4) or b"", headers


def _framing(status: int, headers: list[tuple[bytes, bytes]]) -> tuple[str, int, bool]:
    """``(framing, content length, connection: close)`` of a final response's body.

    ``framing`` is ``"none"``, ``"length"``, ``"chunked"`` or ``"eof"`` (until closed).
    """
    lengths: list[bytes] = []
    codings: list[bytes] = []
    close = False
    for name, value in headers:
        if len(name) not in (10, 14, 17):  # connection, content-length, transfer-encoding
            continue
        lowered = name.lower()
        if lowered == b"content-length":
            lengths.extend(part.strip(b" \t") for part in value.split(b","))
        elif lowered == b"transfer-encoding":
            codings.extend(part.strip(b" \t").lower() for part in value.split(b","))
        elif lowered == b"connection":
            close = close or any(
                part.strip(b" \t").lower() == b"close" for part in value.split(b",")
            )
    if status in (204, 304):
        return "none", 0, close
    if codings:
        if codings != [b"chunked"]:
            raise _protocol_error("Only Transfer-Encoding: chunked is supported")
        return "chunked", 0, close
    if lengths:
        if any(_DIGITS.fullmatch(part) is None for part in lengths) or len(set(lengths)) > 1:
            raise _protocol_error("bad Content-Length")
        return "length", int(lengths[0]), close
    return "eof", 0, True


class Http11Connection:
    """One HTTP/1.1 connection to one origin, one request at a time.

    The pool's view, as of httpcore's connection: ``is_available``/``is_idle`` (no
    request in flight and still open), ``has_expired`` (idle too long, or the server
    sent something or hung up while idle), ``has_unread`` (bytes past the last
    response) and ``aclose``. ``on_release`` is called once each response's body is
    closed, read to the end or not, so the pool can take the connection back.
    """

    def __init__(
        self,
        origin: httpcore.Origin,
        stream: httpcore.AsyncNetworkStream,
        *,
        keepalive_expiry: float | None,
        on_release: Callable[[Http11Connection], Any] | None = None,
    ) -> None:
        self.origin = origin
        self._stream = stream
        self._keepalive_expiry = keepalive_expiry
        self._on_release = on_release
        self._buffer = bytearray()
        self._state = _State.IDLE
        self._idle_expiry: float | None = None
        self._reusable = False
        # Whether any byte of an answer to the current request has arrived: a reused
        # connection that fails before one did was closed by the server meanwhile.
        self.answered = False

    # --- the pool's view ------------------------------------------------------------------

    def is_available(self) -> bool:
        """Open and not serving a request."""
        return self._state is _State.IDLE

    def is_idle(self) -> bool:
        """Open and not serving a request (its last response was read to the end)."""
        return self._state is _State.IDLE

    def has_expired(self) -> bool:
        """Idle past its keep-alive expiry, or the server spoke or hung up meanwhile."""
        if self._idle_expiry is not None and time.monotonic() > self._idle_expiry:
            return True
        return self.has_unread()

    def has_unread(self) -> bool:
        """Bytes past the end of the last response, or a server that hung up."""
        return bool(self._buffer) or bool(self._stream.get_extra_info("is_readable"))

    async def aclose(self) -> None:
        """Close the connection (idempotent)."""
        self._state = _State.CLOSED
        await self._stream.aclose()

    # --- one exchange ----------------------------------------------------------------------

    async def handle_async_request(self, request: httpcore.Request) -> Http11Response:
        """Send ``request`` and read the head of its final response; the body streams."""
        if self._state is not _State.IDLE:
            raise httpcore.ConnectionNotAvailable("the connection is busy or closed")
        self._state = _State.ACTIVE
        self._idle_expiry = None
        self.answered = bool(self._buffer)
        timeouts = request.extensions.get("timeout", {})
        read_timeout: float | None = timeouts.get("read")
        block = _header_block(request.headers)
        await self._stream.write(await _request_bytes(request, block), timeouts.get("write"))
        first = True
        while True:
            head = await self._read_head(read_timeout, first=first)
            first = False
            minor, status, reason, headers = _parse_head(head)
            if status >= 200:
                break
            if status == 101:
                raise _protocol_error("101 Switching Protocols was never asked for")
            # 1xx: "wait for it"; the final answer follows on the same connection.
        framing, length, close = _framing(status, headers)
        if request.method == b"HEAD":
            framing, length = "none", 0  # the answer's length is the GET's; no body follows
        self._reusable = not close and minor >= 1 and not block.asks_to_close
        body = _Body(self, framing, length, read_timeout)
        extensions = {
            "http_version": b"HTTP/1.1" if minor else b"HTTP/1.0",
            "reason_phrase": reason,
            "network_stream": self._stream,
        }
        return Http11Response(status, headers, body, extensions)

    async def _fill(self, timeout: float | None) -> bool:
        """Read more into the buffer; False once the server has closed the connection."""
        data = await self._stream.read(_READ_SIZE, timeout)
        if not data:
            return False
        self.answered = True
        self._buffer += data
        return True

    async def _read_head(self, timeout: float | None, *, first: bool) -> bytes:
        head = await self._read_through(
            _HEAD_END, 4, _MAX_HEAD, "the response head is over the 100 KiB limit", timeout
        )
        if head is not None:
            return head
        if first and not self._buffer:
            raise _protocol_error("Server disconnected without sending a response.")
        raise _protocol_error("peer closed connection without sending a complete head")

    async def _read_line(self, timeout: float | None) -> bytes:
        """One line of a chunked body (its CRLF or LF removed)."""
        line = await self._read_through(
            _LINE_END, 2, _MAX_LINE, "a chunk header or trailer line is too long", timeout
        )
        if line is None:
            raise _protocol_error(
                "peer closed connection without sending complete message body: "
                "incomplete chunked read"
            )
        return line

    async def _read_through(
        self,
        end: re.Pattern[bytes],
        longest_end: int,
        limit: int,
        too_long: str,
        timeout: float | None,
    ) -> bytes | None:
        """The buffer up to the next match of ``end`` (both taken out of it), reading more
        as needed; None if the server closes first. Past ``limit`` bytes without a match,
        the ``too_long`` protocol error. ``longest_end`` is the longest match: a search
        after a read starts that far before the new bytes, so a split match is found."""
        start = 0
        while True:
            found = end.search(self._buffer, start)
            if found is not None:
                taken = bytes(self._buffer[: found.start()])
                del self._buffer[: found.end()]
                return taken
            if len(self._buffer) > limit:
                raise _protocol_error(too_long)
            start = max(0, len(self._buffer) - (longest_end - 1))
            if not await self._fill(timeout):
                return None

    async def _sized(self, size: int, timeout: float | None) -> AsyncIterator[bytes]:
        """The next ``size`` bytes, as they arrive (for a length or one chunk)."""
        remaining = size
        while remaining:
            if not self._buffer and not await self._fill(timeout):
                raise _protocol_error(
                    "peer closed connection without sending complete message body: "
                    f"received {size - remaining} bytes, expected {size}"
                )
            piece = bytes(self._buffer[:remaining])
            del self._buffer[:remaining]
            remaining -= len(piece)
            yield piece

    async def _chunked(self, timeout: float | None) -> AsyncIterator[bytes]:
        while True:
            line = await self._read_line(timeout)
            size_match = _CHUNK_SIZE.fullmatch(line)
            if size_match is None:
                raise _protocol_error(f"malformed chunk header {line[:40]!r}")
            size = int(size_match.group(1), 16)
            if size == 0:
                break
            async for piece in self._sized(size, timeout):
                yield piece
            if await self._read_line(timeout):
                raise _protocol_error("a chunk longer than its declared size")
        trailers = 0
        while line := await self._read_line(timeout):
            trailers += len(line)
            if trailers > _MAX_LINE:
                raise _protocol_error("the chunked body's trailers are too long")

    async def _until_closed(self, timeout: float | None) -> AsyncIterator[bytes]:
        while True:
            if self._buffer:
                piece = bytes(self._buffer)
                self._buffer.clear()
                yield piece
            if not await self._fill(timeout):
                return

    async def _response_done(self, complete: bool) -> None:
        """The body was closed: idle again if read to the end and reusable, else closed."""
        if self._state is _State.ACTIVE:
            if complete and self._reusable:
                self._state = _State.IDLE
                if self._keepalive_expiry is not None:
                    self._idle_expiry = time.monotonic() + self._keepalive_expiry
            else:
                await self.aclose()
        if self._on_release is not None:
            await self._on_release(self)


class _Body:
    """A response body as httpx's transport streams it: ``async for`` pieces, ``aclose``."""

    __slots__ = (
        "_closed",
        "_complete",
        "_connection",
        "_framing",
        "_length",
        "_started",
        "_timeout",
    )

    def __init__(
        self, connection: Http11Connection, framing: str, length: int, timeout: float | None
    ) -> None:
        self._connection = connection
        self._framing = framing
        self._length = length
        self._timeout = timeout
        self._complete = framing == "none" or (framing == "length" and length == 0)
        self._started = False
        self._closed = False

    def take_whole(self) -> bytes | None:
        """The whole body at once, if it came with the head (a page of a few KB usually
        does) and nothing of it was read yet.

        Taken out of the connection's buffer, as reading it to the end would; None (and
        nothing taken) while more is to come, or for a body not framed by a length.
        """
        if self._started:
            return None
        whole = self._buffered()
        if whole is not None:
            self._started = True
        return whole

    def _buffered(self) -> bytes | None:
        if self._complete:
            return b""
        buffer = self._connection._buffer
        if self._framing != "length" or len(buffer) < self._length:
            return None
        piece = bytes(buffer[: self._length])
        del buffer[: self._length]
        self._complete = True
        return piece

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self._started = True
        if self._complete:
            return
        connection = self._connection
        whole = self._buffered()
        if whole is not None:
            yield whole
            return
        if self._framing == "length":
            pieces = connection._sized(self._length, self._timeout)
        elif self._framing == "chunked":
            pieces = connection._chunked(self._timeout)
        else:
            pieces = connection._until_closed(self._timeout)
        async for piece in pieces:
            if piece:
                yield piece
        self._complete = True

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._connection._response_done(self._complete)


class _HeaderBlock(NamedTuple):
    """A request's header lines, checked and encoded, and what they say about framing."""

    lines: bytes
    chunked: bool
    asks_to_close: bool


# Header blocks by their headers: a run's requests to one host send the same ones.
_BLOCKS: dict[tuple[tuple[bytes, bytes], ...], _HeaderBlock] = {}
_BLOCKS_KEPT = 256


def _header_block(headers: list[tuple[bytes, bytes]]) -> _HeaderBlock:
    key = tuple(headers)
    block = _BLOCKS.get(key)
    if block is None:
        lines: list[bytes] = []
        chunked = close = False
        for name, value in headers:
            if _TOKEN.fullmatch(name) is None or b"\r" in value or b"\n" in value or b"\0" in value:
                raise httpcore.LocalProtocolError(f"illegal header {name[:40]!r}")
            lowered = name.lower()
            if lowered == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif lowered == b"connection" and b"close" in value.lower():
                close = True
            lines += (name, b": ", value, b"\r\n")
        if len(_BLOCKS) >= _BLOCKS_KEPT:
            _BLOCKS.clear()
        block = _BLOCKS[key] = _HeaderBlock(b"".join(lines), chunked, close)
    return block


# Request bodies held in memory, iterated without an async generator per request.
_IN_MEMORY_STREAMS = (httpx.ByteStream,)


async def _request_bytes(request: httpcore.Request, block: _HeaderBlock) -> bytes:
    """The request head, and its body if it has one, ready to write."""
    parts = [request.method, b" ", request.url.target, b" HTTP/1.1\r\n", block.lines, b"\r\n"]
    chunked = block.chunked
    stream: Any = request.stream
    if type(stream) in _IN_MEMORY_STREAMS:
        pieces: list[bytes] = list(stream)
    else:
        pieces = [piece async for piece in stream]
    for piece in pieces:
        if piece:
            parts += (b"%x\r\n" % len(piece), piece, b"\r\n") if chunked else (piece,)
    if chunked:
        parts.append(b"0\r\n\r\n")
    return b"".join(parts)
