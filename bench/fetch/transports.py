"""httpx-API candidates: the same ``client.get(url)`` call on different pools and transports.

Each factory returns a :class:`~bench.fetch.loop.Fetcher`; :mod:`bench.fetch.loop`
drives it at the benchmark's concurrency. Every candidate follows redirects,
reads the full body and uses the same 30 s timeout.

``httpx-default``
    ``httpx.AsyncClient()`` as shipped: ``Limits(max_connections=100,
    max_keepalive_connections=20)`` on httpcore's pool.
``httpx-limits64``
    One client, ``Limits(max_connections=C, max_keepalive_connections=C)``.
``httpx-per-host``
    One client per host, each ``Limits(C // hosts)``: short pools per client.
``httpx-shards8``
    ``C // 8`` clients of 8 connections each, used round robin.
``httpx-fastpool``
    provenance's ``provenance.fetch.pool.FastHTTPTransport``: httpx's own transport
    with httpcore's pool swapped for a constant-time one (what ``provenance check``
    uses by default since commit ba26670).
``httpx-aiohttp``
    ``httpx.AsyncClient(transport=httpx_aiohttp.AiohttpTransport(limits=...))``:
    httpx's API on aiohttp's connector.
``httpx-aiohttp-safe``
    The same through :class:`SafeAiohttpTransport` (no body on redirected GETs,
    httpx's exception classes), to price those fixes alone.
``httpx-aiohttp-tuned``
    The same with an explicit ``aiohttp.ClientSession``: a connector with a
    per-host limit (politeness the fetcher wants anyway) and a longer keep-alive,
    and :class:`SafeAiohttpTransport`'s fixes (no body on redirected GETs, httpx's
    exception classes).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import AsyncIterator

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from bench.fetch.loop import REQUEST_TIMEOUT_S, Fetcher, host_of

__all__ = [
    "HttpxFetcher",
    "SafeAiohttpTransport",
    "ShardedHttpxFetcher",
    "httpx_aiohttp",
    "httpx_aiohttp_safe",
    "httpx_aiohttp_tuned",
    "httpx_default",
    "httpx_error_for",
    "httpx_fastpool",
    "httpx_limits",
    "httpx_per_host",
    "httpx_shards",
    "make_aiohttp_transport",
]

_TIMEOUT = httpx.Timeout(REQUEST_TIMEOUT_S)


class HttpxFetcher:
    """One ``httpx.AsyncClient``, or one per host when given a mapping."""

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        per_host: dict[str, httpx.AsyncClient] | None = None,
    ) -> None:
        self._client = client
        self._per_host = per_host or {}

    async def fetch(self, url: str) -> tuple[int, int]:
        """GET with the client for this URL's host (or the only client)."""
        client = self._per_host.get(host_of(url)) or self._client
        assert client is not None, f"no client for {url}"
        response = await client.get(url)
        return response.status_code, len(response.content)

    async def aclose(self) -> None:
        """Close every client."""
        clients = list(self._per_host.values())
        if self._client is not None:
            clients.append(self._client)
        for client in clients:
            await client.aclose()


class ShardedHttpxFetcher:
    """Several small clients used in turn, so no single pool holds many connections."""

    def __init__(self, clients: list[httpx.AsyncClient]) -> None:
        self._clients = clients
        self._next = itertools.cycle(clients)

    async def fetch(self, url: str) -> tuple[int, int]:
        """GET with the next client in the cycle."""
        response = await next(self._next).get(url)
        return response.status_code, len(response.content)

    async def aclose(self) -> None:
        """Close every client."""
        for client in self._clients:
            await client.aclose()


def _client(
    limits: httpx.Limits | None = None, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    if transport is not None:
        return httpx.AsyncClient(transport=transport, follow_redirects=True, timeout=_TIMEOUT)
    if limits is None:
        return httpx.AsyncClient(follow_redirects=True, timeout=_TIMEOUT)
    return httpx.AsyncClient(limits=limits, follow_redirects=True, timeout=_TIMEOUT)


def httpx_default(hosts: list[str], concurrency: int) -> Fetcher:
    """``httpx.AsyncClient()`` with its default pool."""
    return HttpxFetcher(_client())


def httpx_limits(hosts: list[str], concurrency: int) -> Fetcher:
    """One client whose pool keeps every one of ``concurrency`` connections alive."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return HttpxFetcher(_client(limits))


def httpx_per_host(hosts: list[str], concurrency: int) -> Fetcher:
    """One client per host, ``concurrency // len(hosts)`` connections each."""
    size = max(1, math.ceil(concurrency / max(1, len(hosts))))
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    return HttpxFetcher(per_host={host_of(base + "/"): _client(limits) for base in hosts})


def httpx_shards(hosts: list[str], concurrency: int) -> Fetcher:
    """``concurrency // 8`` clients of 8 connections, round robin."""
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    return ShardedHttpxFetcher([_client(limits) for _ in range(max(1, concurrency // 8))])


def httpx_fastpool(hosts: list[str], concurrency: int) -> Fetcher:
    """provenance's own ``FastHTTPTransport`` (httpx transport, constant-time pool).

    Imported from ``provenance.fetch.pool``; the candidate fails (and the harness
    reports it skipped) where provenance does not have it.
    """
    from provenance.fetch.pool import FastHTTPTransport

    per_host = max(1, math.ceil(concurrency / max(1, len(hosts))))
    transport = FastHTTPTransport(
        max_idle_per_origin=per_host, max_idle=concurrency, keepalive_expiry=15.0, trust_env=False
    )
    return HttpxFetcher(_client(transport=transport))


class DirectFetcher:
    """provenance's own path through httpx: ``DirectSender`` on ``FastHTTPTransport``.

    Requests built as the client would and sent straight to its transport, redirects
    followed by hand, body read raw (as the fetcher does): the least httpx work per
    request that still goes through httpx's ``Request``/``Response`` and transport.
    """

    def __init__(self, client: httpx.AsyncClient) -> None:
        from provenance.fetch.client import DirectSender

        self._client = client
        self._sender = DirectSender(client)

    async def fetch(self, url: str) -> tuple[int, int]:
        """GET, following up to 10 redirects; (final status, body bytes)."""
        for _ in range(11):
            response = await self._sender.send(self._sender.build(url, {}))
            try:
                size = 0
                async for chunk in response.aiter_raw():
                    size += len(chunk)
            finally:
                await response.aclose()
            location = response.headers.get("location")
            if location is None or not 300 <= response.status_code < 400:
                return response.status_code, size
            url = str(httpx.URL(url).join(location))
        return response.status_code, size

    async def aclose(self) -> None:
        """Close the client."""
        await self._client.aclose()


def httpx_direct(hosts: list[str], concurrency: int) -> Fetcher:
    """The fetcher's path: ``DirectSender`` + ``FastHTTPTransport`` (see ``DirectFetcher``)."""
    from provenance.fetch.pool import FastHTTPTransport

    per_host = max(1, math.ceil(concurrency / max(1, len(hosts))))
    transport = FastHTTPTransport(
        max_idle_per_origin=per_host, max_idle=concurrency, keepalive_expiry=15.0, trust_env=False
    )
    return DirectFetcher(httpx.AsyncClient(transport=transport, timeout=_TIMEOUT))


def httpx_aiohttp(hosts: list[str], concurrency: int) -> Fetcher:
    """``AiohttpTransport`` as documented: httpx limits mapped onto aiohttp's connector."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return HttpxFetcher(_client(transport=AiohttpTransport(limits=limits)))


def _aiohttp_error_map() -> tuple[tuple[type[BaseException], type[httpx.TransportError]], ...]:
    """aiohttp exception -> the httpx exception httpx's own transport raises; specific first."""
    pairs: list[tuple[type[BaseException] | None, type[httpx.TransportError]]] = [
        (getattr(aiohttp, "ConnectionTimeoutError", None), httpx.ConnectTimeout),
        (getattr(aiohttp, "SocketTimeoutError", None), httpx.ReadTimeout),
        (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
        (getattr(aiohttp, "NonHttpUrlClientError", None), httpx.UnsupportedProtocol),
        (getattr(aiohttp, "InvalidUrlClientError", None), httpx.UnsupportedProtocol),
        (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, DNS, TLS handshake
        (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),  # truncated body
        (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # not a valid response
        (aiohttp.ClientConnectionError, httpx.NetworkError),
        (aiohttp.ClientError, httpx.TransportError),
        (TimeoutError, httpx.ReadTimeout),
    ]
    return tuple((exc, mapped) for exc, mapped in pairs if exc is not None)


_AIOHTTP_ERRORS = _aiohttp_error_map()


def _aiohttp_cause(exc: BaseException) -> BaseException:
    """The aiohttp exception behind httpx-aiohttp's mapped one (or ``exc`` itself)."""
    if isinstance(exc, httpx.TransportError) and exc.__cause__ is not None:
        return exc.__cause__
    return exc


def httpx_error_for(exc: BaseException) -> httpx.TransportError | None:
    """The httpx exception httpx's default transport would raise for aiohttp's ``exc``.

    httpx-aiohttp 0.2 maps every ``aiohttp.ClientConnectionError`` (connection
    refused, server disconnected) to ``httpx.ConnectTimeout`` and lets
    ``aiohttp.ClientResponseError`` (a malformed response) escape unmapped; a
    fetcher that tells dead hosts from timeouts needs the right class. Looks
    through httpx-aiohttp's own mapping to the aiohttp exception it wrapped; raise
    the result ``from _aiohttp_cause(exc)`` so the chain keeps the OS error (a
    ``socket.gaierror`` for DNS, an ``ssl.SSLError`` for TLS) and drops the wrong class.
    """
    cause = _aiohttp_cause(exc)
    for aiohttp_type, httpx_type in _AIOHTTP_ERRORS:
        if isinstance(cause, aiohttp_type):
            return httpx_type(str(cause) or type(cause).__name__)
    return None


class _RemappedStream(httpx.AsyncByteStream):
    """A response body stream whose aiohttp errors come out as the right httpx errors."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except Exception as exc:
            mapped = httpx_error_for(exc)
            if mapped is None:
                raise
            raise mapped from _aiohttp_cause(exc)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except Exception as exc:
            mapped = httpx_error_for(exc)
            if mapped is None:
                raise
            raise mapped from _aiohttp_cause(exc)


class _PeerInfo:
    """Stands in for httpcore's network stream: answers ``get_extra_info("server_addr")``."""

    def __init__(self, peer: tuple[str, int]) -> None:
        self._peer = peer

    def get_extra_info(self, name: str) -> object:
        """The server's address for ``server_addr`` (what provenance reads), else None."""
        return self._peer if name == "server_addr" else None


def _peername(stream: httpx.AsyncByteStream) -> tuple[str, int] | None:
    """The connected server's (address, port) from httpx-aiohttp's response stream."""
    aiohttp_response = getattr(stream, "_aiohttp_response", None)
    # The connection is already released when the whole body came with the head;
    # the protocol (kept by the response) still holds the socket's transport.
    holder = getattr(aiohttp_response, "connection", None) or getattr(
        aiohttp_response, "_protocol", None
    )
    transport = getattr(holder, "transport", None)
    peer = transport.get_extra_info("peername") if transport is not None else None
    return (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) and len(peer) >= 2 else None


class SafeAiohttpTransport(AiohttpTransport):
    """``AiohttpTransport`` with two fixes a link checker needs (httpx-aiohttp 0.2).

    1. *No body on GET/HEAD.* httpx builds the request of a followed redirect
       with the original request's (empty) *stream*; httpx-aiohttp hands a stream
       to aiohttp as a chunked body, so every redirected GET goes out with
       ``Transfer-Encoding: chunked``, ``Content-Type: application/octet-stream``
       and a ``0\\r\\n\\r\\n`` body, which strict servers answer with 400. Reading
       the empty stream first makes ``request.content`` available and the
       transport then sends no body.
    2. *Exceptions as httpx's own transport raises them* (see :func:`httpx_error_for`).
    3. *The server's address* in ``response.extensions["network_stream"]``
       (``get_extra_info("server_addr")``), as httpx's own transport provides it.
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through aiohttp; map errors; wrap the body stream."""
        if request.method in ("GET", "HEAD"):
            await request.aread()
        try:
            response = await super().handle_async_request(request)
        except Exception as exc:
            mapped = httpx_error_for(exc)
            if mapped is None:
                raise
            raise mapped from _aiohttp_cause(exc)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        peer = _peername(response.stream)
        if peer is not None:
            response.extensions["network_stream"] = _PeerInfo(peer)
        response.stream = _RemappedStream(response.stream)
        return response


def httpx_aiohttp_safe(hosts: list[str], concurrency: int) -> Fetcher:
    """:class:`SafeAiohttpTransport` with the stock connector settings (isolates the fixes)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return HttpxFetcher(_client(transport=SafeAiohttpTransport(limits=limits)))


def make_aiohttp_transport(
    max_connections: int = 64,
    max_per_host: int = 16,
    keepalive_s: float = 15.0,
    *,
    trust_env: bool = False,
) -> AiohttpTransport:
    """A :class:`SafeAiohttpTransport` over an explicit ``aiohttp.ClientSession``.

    * ``limit`` / ``limit_per_host``: the connection caps (``httpx.Limits`` given to
      the ``AsyncClient`` are ignored once a transport is passed);
    * ``DummyCookieJar``: aiohttp's session otherwise keeps *its own* cookie jar
      under httpx's, so a cookie set by one source is sent to the next request to
      that host, whatever cookie policy the ``httpx.AsyncClient`` has;
    * ``ssl=httpx.create_ssl_context()``: the same CA bundle (certifi) httpx uses,
      not the system store aiohttp would pick;
    * ``trust_env``: proxies from the environment only when asked, as with httpx.

    The session is created lazily, inside the running event loop, on the
    transport's first request (``client=`` accepts a callable for that).
    """
    ssl_context = httpx.create_ssl_context(trust_env=trust_env)

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=max_connections,
            limit_per_host=max_per_host,
            keepalive_timeout=keepalive_s,
            ssl=ssl_context,
        )
        return aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=trust_env
        )

    return SafeAiohttpTransport(client=session)


def httpx_aiohttp_tuned(hosts: list[str], concurrency: int) -> Fetcher:
    """``AiohttpTransport`` with a per-host cap of ``concurrency // hosts`` (at least 16)."""
    per_host = max(16, math.ceil(concurrency / max(1, len(hosts))))
    return HttpxFetcher(_client(transport=make_aiohttp_transport(concurrency, per_host)))
