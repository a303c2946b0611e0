"""A connection pool with constant-time checkout, for httpx's own transport.

httpcore's ``AsyncConnectionPool`` re-examines every connection for every queued
request each time anything happens (including a ``poll()`` system call per connection
to see whether the server hung up), which is quadratic in the number of requests in
flight: at 64 concurrent requests it spends most of its time there, measured at
~150 requests/s on loopback against ~2,000 for aiohttp. The fetcher already bounds
concurrency globally and per host, so the pool need not queue anything: this one keeps
a stack of idle HTTP/1.1 connections per origin, hands out the most recently used one
(checking only that one), opens a new connection when none is idle, and takes a
connection back when its response has been read and closed.

The connections are ``provenance.fetch.http11.Http11Connection``s, which speak
HTTP/1.1 themselves rather than through httpcore's connection and h11 (see there).

``FastHTTPTransport`` is ``httpx.AsyncHTTPTransport`` with this pool swapped in:
request/response conversion, exception mapping and TLS setup stay httpx's, and since
``handle_async_request`` is inherited, pytest-httpx mocks it like the default transport.
``send_direct`` is the same conversion without its per-request validation, for the
fetcher's own requests (``provenance.fetch.client.DirectSender``), which use it only
while ``handle_async_request`` is httpx's own (``is_direct``): a test that patches it
(pytest-httpx) gets every request through the patch.
"""

from __future__ import annotations

import functools
import ssl
from collections import OrderedDict
from types import TracebackType
from typing import Any, Self

import httpcore
import httpx
from httpx._transports import default as _httpx_default
from httpx._transports.default import AsyncResponseStream, map_httpcore_exceptions

from provenance.fetch.http11 import Http11Connection, Http11Response
from provenance.fetch.netio import AsyncioBackend

__all__ = ["FastConnectionPool", "FastHTTPTransport"]

# Requests sent again on a new connection when a reused one closes before answering.
_RETRY_ON_NEW_CONNECTION = frozenset({b"GET", b"HEAD"})

# httpcore.Origin is not hashable: pools are keyed by its parts.
_OriginKey = tuple[bytes, bytes, int]


def _key(origin: httpcore.Origin) -> _OriginKey:
    return origin.scheme, origin.host, origin.port


class FastConnectionPool:
    """Idle HTTP/1.1 connections per origin; no limits of its own (the fetcher's apply).

    At most ``max_idle_per_origin`` idle connections are kept per origin and
    ``max_idle`` in all (the oldest idle one is closed first).
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        keepalive_expiry: float | None,
        max_idle_per_origin: int,
        max_idle: int,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._ssl_context = ssl_context
        ssl_context.set_alpn_protocols(["http/1.1"])  # as httpcore does, HTTP/2 being off
        # Every socket this pool opens goes through this backend (``_connect``): given a
        # ``PinnedBackend``, only to the addresses the address policy vetted.
        self._network_backend = network_backend or AsyncioBackend()
        self._keepalive_expiry = keepalive_expiry
        self._max_idle_per_origin = max_idle_per_origin
        self._max_idle = max_idle
        self._idle: dict[_OriginKey, list[Http11Connection]] = {}
        # Every idle connection, oldest first: what to close when too many are idle.
        self._idle_order: OrderedDict[Http11Connection, _OriginKey] = OrderedDict()
        self._active: dict[Http11Connection, _OriginKey] = {}
        self._closed = False

    def _checkout(self, key: _OriginKey) -> tuple[Http11Connection | None, list[Http11Connection]]:
        """The most recently used idle connection still usable, and the stale ones passed."""
        stale: list[Http11Connection] = []
        stack = self._idle.get(key)
        while stack:
            connection = stack.pop()
            del self._idle_order[connection]
            # has_expired() also polls the socket: a server that hung up is noticed here.
            if connection.is_available() and not connection.has_expired():
                return connection, stale
            stale.append(connection)
        return None, stale

    async def handle_async_request(self, request: httpcore.Request) -> Http11Response:
        """Send ``request`` on an idle connection to its origin, or on a new one."""
        if self._closed:
            raise httpcore.ConnectionNotAvailable("the connection pool is closed")
        if request.url.scheme not in (b"http", b"https"):
            scheme = request.url.scheme.decode("ascii", "replace")
            raise httpcore.UnsupportedProtocol(f"only http and https are fetched, not {scheme!r}")
        origin = request.url.origin
        key = _key(origin)
        connection, stale = self._checkout(key)
        for expired in stale:
            await expired.aclose()
        if connection is not None:
            try:
                return await self._send(connection, key, request)
            except (httpcore.WriteError, httpcore.ReadError, httpcore.RemoteProtocolError):
                # A server may close an idle keep-alive connection just as it is reused
                # (its FIN still on the way when the checkout looked). If nothing of an
                # answer came, the request was not processed: a GET or HEAD is sent once
                # more, on a new connection (RFC 9112, section 9.3.1).
                if connection.answered or request.method not in _RETRY_ON_NEW_CONNECTION:
                    raise
        return await self._send(await self._connect(origin, request), key, request)

    async def _send(
        self, connection: Http11Connection, key: _OriginKey, request: httpcore.Request
    ) -> Http11Response:
        self._active[connection] = key
        try:
            # The connection calls back ``_release`` once the response body is closed.
            return await connection.handle_async_request(request)
        except BaseException:
            self._active.pop(connection, None)
            await connection.aclose()
            raise

    async def _connect(
        self, origin: httpcore.Origin, request: httpcore.Request
    ) -> Http11Connection:
        """A new HTTP/1.1 connection to ``origin`` (TLS for https), as httpcore would open it.

        httpcore's ``AsyncHTTPConnection`` does the same behind a lock of its own (an
        anyio lock, a checkpoint and a cancel scope per request) that this pool never
        needs: a connection here serves one request at a time, and hands itself back
        (``_release``) when its response is closed.
        """
        timeout = request.extensions.get("timeout", {}).get("connect")
        host = origin.host.decode("ascii")
        stream = await self._network_backend.connect_tcp(host, origin.port, timeout=timeout)
        if origin.scheme == b"https":
            sni = request.extensions.get("sni_hostname") or host
            stream = await stream.start_tls(self._ssl_context, server_hostname=sni, timeout=timeout)
        return Http11Connection(
            origin, stream, keepalive_expiry=self._keepalive_expiry, on_release=self._release
        )

    async def _release(self, connection: Http11Connection) -> None:
        """Take a connection back once its response is closed: keep it if reusable."""
        key = self._active.pop(connection, None)
        if self._closed or key is None or not connection.is_idle() or connection.has_unread():
            await connection.aclose()
            return
        stack = self._idle.setdefault(key, [])
        if len(stack) >= self._max_idle_per_origin:
            await connection.aclose()
            return
        stack.append(connection)
        self._idle_order[connection] = key
        if len(self._idle_order) > self._max_idle:
            oldest, oldest_key = self._idle_order.popitem(last=False)
            self._idle[oldest_key].remove(oldest)
            await oldest.aclose()

    async def aclose(self) -> None:
        """Close every connection, idle or in use."""
        self._closed = True
        connections = list(self._idle_order) + list(self._active)
        self._idle.clear()
        self._idle_order.clear()
        self._active.clear()
        for connection in connections:
            await connection.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


@functools.cache
def _ssl_context(trust_env: bool) -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA bundle takes tens of ms."""
    return httpx.create_ssl_context(trust_env=trust_env)


class FastHTTPTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` (HTTP/1.1, no proxy) on a ``FastConnectionPool``."""

    def __init__(
        self,
        *,
        max_idle_per_origin: int,
        max_idle: int,
        keepalive_expiry: float | None,
        trust_env: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        """``ssl_context``: how to verify servers (default: httpx's, with ``trust_env``).

        ``network_backend`` opens the sockets (``PinnedBackend`` pins DNS answers;
        default: the plain asyncio backend of ``provenance.fetch.netio``).
        """
        if ssl_context is None:
            ssl_context = _ssl_context(trust_env)
        # httpx builds a pool of its own here, never opened; only its TLS setup is shared.
        super().__init__(verify=ssl_context, trust_env=trust_env, retries=0)
        self._pool: FastConnectionPool = FastConnectionPool(  # type: ignore[assignment]
            ssl_context=ssl_context,
            keepalive_expiry=keepalive_expiry,
            max_idle_per_origin=max_idle_per_origin,
            max_idle=max_idle,
            network_backend=network_backend,
        )

    def is_direct(self) -> bool:
        """Whether ``handle_async_request`` is httpx's own (not patched, not overridden).

        pytest-httpx mocks requests by patching ``httpx.AsyncHTTPTransport``'s method;
        while it does, ``send_direct`` must not be used.
        """
        handle = type(self).handle_async_request
        return (
            getattr(handle, "__module__", None) == _HTTPX_TRANSPORT_MODULE
            and getattr(handle, "__qualname__", None) == _HTTPX_HANDLE
        )

    async def send_direct(self, request: httpx.Request) -> httpx.Response:
        """What ``handle_async_request`` does, for a request httpx built itself.

        httpx's version passes the request through ``httpcore.Request``, which checks
        again that every header name and value and every URL part is bytes (httpx made
        them so) at ~6 us a request; this hands the pool the same attributes unchecked.
        Errors are mapped by httpx's own ``map_httpcore_exceptions`` and the body is
        streamed through httpx's ``AsyncResponseStream``, as there.
        """
        url = request.url
        core = httpcore.Request.__new__(httpcore.Request)
        core.method = request.method.encode("ascii")
        core.url = httpcore.URL(
            scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
        )
        core.headers = request.headers.raw
        core.stream = request.stream
        core.extensions = request.extensions
        with map_httpcore_exceptions():
            response = await self._pool.handle_async_request(core)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )


# Where httpx defines the method (its classes say ``__module__ == "httpx"``).
_HTTPX_TRANSPORT_MODULE = _httpx_default.__name__
_HTTPX_HANDLE = "AsyncHTTPTransport.handle_async_request"


class _ResponseStream(AsyncResponseStream):
    """httpx's response stream, plus the whole body at once when it has all arrived."""

    def take_whole(self) -> bytes | None:
        """The whole body if it is already buffered (taken: the stream is then read)."""
        stream: Any = self._httpcore_stream
        take = getattr(stream, "take_whole", None)
        return take() if take is not None else None
