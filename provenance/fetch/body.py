"""Reading a response body safely: streamed, capped as received and capped again once decoded.

httpx would happily inflate a 10 KiB gzip bomb into gigabytes; here the raw bytes come
from ``response.aiter_raw()`` and are decoded by hand in bounded pieces, so a body over
either cap stops being read and becomes a ``too-large`` verdict.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass

import httpx

__all__ = ["ACCEPT_ENCODING", "Body", "read_body"]

# Only what we can decode with a bound on the output; servers then send nothing else.
ACCEPT_ENCODING = "gzip, deflate"

# Largest piece one decompress call may produce: bounds memory per call.
_PIECE = 256 * 1024


@dataclass(frozen=True, slots=True)
class Body:
    """What reading one response body produced.

    ``raw`` is the body as received (content-encoding intact), kept only on request;
    ``sniff`` the first bytes of the decoded payload, for title/h1/challenge checks.
    ``digest``/``size`` describe the whole decoded payload and are None when it was not
    read to the end (too large, or not asked for).
    """

    raw: bytes
    raw_size: int
    truncated: bool
    too_large: str | None
    digest: str | None
    size: int | None
    sniff: bytes
    decode_error: str | None


class _ZlibStage:
    """One gzip or deflate layer, producing output in bounded pieces."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        # gzip: header required; deflate: zlib-wrapped per RFC, but raw deflate is common.
        wbits = 16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._decompressor = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not self._started and data:
            self._started = True
            if self._encoding == "deflate":
                try:
                    yield from self._pieces(data)
                    return
                except zlib.error:
                    self._decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
        yield from self._pieces(data)

    def _pieces(self, data: bytes) -> Iterator[bytes]:
        while data:
            piece = self._decompressor.decompress(data, _PIECE)
            if piece:
                yield piece
            data = self._decompressor.unconsumed_tail
            if self._decompressor.eof:
                return

    def finish(self) -> bytes:
        return self._decompressor.flush() if not self._decompressor.eof else b""


def _through(stages: list[_ZlibStage], data: bytes) -> Iterator[bytes]:
    if not stages:
        yield data
        return
    for piece in stages[0].feed(data):
        yield from _through(stages[1:], piece)


def _finish(stages: list[_ZlibStage]) -> Iterator[bytes]:
    for index, stage in enumerate(stages):
        tail = stage.finish()
        if tail:
            yield from _through(stages[index + 1 :], tail)


class _Payload:
    """Accumulates the decoded payload: digest, size, the sniff prefix, the decoded cap."""

    def __init__(self, max_decoded: int, sniff_limit: int) -> None:
        self.hash = hashlib.sha256()
        self.size = 0
        self.sniff = bytearray()
        self._max = max_decoded
        self._sniff_limit = sniff_limit

    def add(self, piece: bytes) -> bool:
        """Take a decoded piece; False once the payload has gone over the decoded cap."""
        self.size += len(piece)
        if self.size > self._max:
            return False
        self.hash.update(piece)
        if len(self.sniff) < self._sniff_limit:
            self.sniff += piece[: self._sniff_limit - len(self.sniff)]
        return True


def _stages_for(content_encoding: str) -> tuple[list[_ZlibStage], str | None]:
    """Decoders in the order to apply them, or an error naming an encoding we cannot undo."""
    encodings = [token.strip().lower() for token in content_encoding.split(",") if token.strip()]
    stages: list[_ZlibStage] = []
    for encoding in reversed(encodings):
        if encoding == "identity":
            continue
        if encoding not in ("gzip", "x-gzip", "deflate"):
            return [], f"unsupported content-encoding {encoding!r}"
        stages.append(_ZlibStage(encoding))
    return stages, None


async def _content_of(response: httpx.Response) -> AsyncIterator[bytes]:
    yield response.content


def _whole_body(response: httpx.Response) -> bytes | None:
    """The whole raw body at once, if the transport has it all already (see
    ``provenance.fetch.pool``): the response is then consumed, as ``aiter_raw`` leaves it."""
    take = getattr(response.stream, "take_whole", None)
    if take is None:
        return None
    whole: bytes | None = take()
    if whole is not None:
        response.is_stream_consumed = True
    return whole


class _Reader:
    """Takes the raw body piece by piece within the caps, decoding as it goes."""

    def __init__(
        self,
        stages: list[_ZlibStage],
        decode_error: str | None,
        max_raw: int,
        max_decoded: int,
        sniff_limit: int,
        keep_raw: bool,
        decode: bool,
    ) -> None:
        self.stages = stages
        self.decode_error = decode_error
        self.max_raw = max_raw
        self.max_decoded = max_decoded
        self.keep_raw = keep_raw
        self.payload = _Payload(max_decoded, sniff_limit) if decode else None
        self.decoding = self.payload is not None and decode_error is None
        self.raw_parts: list[bytes] = []
        self.raw_size = 0
        self.too_large: str | None = None

    def feed(self, chunk: bytes) -> bool:
        """Take ``chunk``; False once a cap is reached (read no more)."""
        self.raw_size += len(chunk)
        if self.raw_size > self.max_raw:
            if self.keep_raw:
                self.raw_parts.append(chunk[: len(chunk) - (self.raw_size - self.max_raw)])
            self.too_large = f"body exceeds the {self.max_raw}-byte cap"
            return False
        if self.keep_raw:
            self.raw_parts.append(chunk)
        payload = self.payload
        if not self.decoding or payload is None:
            return True
        try:
            fits = all(payload.add(piece) for piece in _through(self.stages, chunk))
        except zlib.error as exc:
            # Keep reading the raw bytes for the archive; the payload is simply unknown.
            self.decode_error = f"could not decode body: {exc}"
            self.decoding = False
            return True
        if not fits:
            self.too_large = f"decoded body exceeds the {self.max_decoded}-byte cap"
            return False
        return True

    def finish(self) -> None:
        """The body ended (or reading stopped): flush the decoders."""
        payload = self.payload
        if self.decoding and payload is not None and self.too_large is None:
            try:
                if not all(payload.add(piece) for piece in _finish(self.stages)):
                    self.too_large = f"decoded body exceeds the {self.max_decoded}-byte cap"
            except zlib.error as exc:
                self.decode_error = f"could not decode body: {exc}"


async def read_body(
    response: httpx.Response,
    *,
    max_raw: int,
    max_decoded: int,
    sniff_limit: int,
    keep_raw: bool,
    decode: bool = True,
    fields: Mapping[str, str] | None = None,
) -> Body:
    """Read ``response``'s body within the caps, decoding gzip/deflate as it streams.

    ``decode=False`` only drains the raw bytes (redirect hops). Over ``max_raw`` bytes
    received or ``max_decoded`` bytes decoded, reading stops and ``too_large`` says why;
    a ``Content-Length`` over the cap stops it before the first byte. ``fields``: the
    response's headers by lower-case name, if the caller has them at hand already.
    """
    headers: Mapping[str, str] = response.headers if fields is None else fields
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_raw:
        return Body(
            raw=b"",
            raw_size=0,
            truncated=True,
            too_large=f"Content-Length {int(declared)} exceeds the {max_raw}-byte cap",
            digest=None,
            size=None,
            sniff=b"",
            decode_error=None,
        )
    # A response some transport (httpx.MockTransport) already read has only its
    # decoded content left: take that as the payload, with no encoding to undo.
    already_read = response.is_stream_consumed
    encoding = "" if already_read else headers.get("content-encoding", "")
    whole = None if already_read else _whole_body(response)
    if whole is not None and not encoding:
        length = len(whole)
        if length <= max_raw and (not decode or length <= max_decoded):
            # All of it arrived with the head, with nothing to decode and within the
            # caps: what the reader below concludes, without its machinery.
            return Body(
                raw=whole if keep_raw else b"",
                raw_size=length,
                truncated=False,
                too_large=None,
                digest=f"sha256:{hashlib.sha256(whole).hexdigest()}" if decode else None,
                size=length if decode else None,
                sniff=whole[:sniff_limit] if decode else b"",
                decode_error=None,
            )
    stages, decode_error = _stages_for(encoding)
    reader = _Reader(stages, decode_error, max_raw, max_decoded, sniff_limit, keep_raw, decode)
    if whole is not None:
        # All of it arrived with the head: no stream to iterate.
        if whole:
            reader.feed(whole)
    else:
        chunks = _content_of(response) if already_read else response.aiter_raw()
        async for chunk in chunks:
            if not reader.feed(chunk):
                break
    reader.finish()
    payload, too_large, decode_error = reader.payload, reader.too_large, reader.decode_error
    raw_size = reader.raw_size
    raw_parts = reader.raw_parts
    digest: str | None = None
    size: int | None = None
    if too_large is None and decode_error is None and payload is not None:
        digest = f"sha256:{payload.hash.hexdigest()}"
        size = payload.size
    return Body(
        raw=b"".join(raw_parts),
        raw_size=min(raw_size, max_raw),
        truncated=too_large is not None,
        too_large=too_large,
        digest=digest,
        size=size,
        sniff=bytes(payload.sniff) if payload is not None else b"",
        decode_error=decode_error,
    )
