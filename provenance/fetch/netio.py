"""An httpcore network backend on plain asyncio transports, for the fetcher's pool.

httpcore talks to the network through anyio by default, and anyio wraps every read
and write of every request in cancel scopes and typed-attribute lookups: profiled at
64 requests in flight, that was a quarter of httpcore's time (``fail_after`` alone
0.9 s for 7,000 requests, ``get_extra_info`` 0.7 s). This backend does the same job
with an ``asyncio.Protocol``: bytes received are buffered by the protocol, a read
waits on one future with one ``call_later`` timer, a write goes straight to the
transport (waiting only when it asks to pause).

Errors are what httpcore's own backends raise, chained to the cause, so httpx maps
them as usual and ``classify_exception`` still finds a ``socket.gaierror`` (DNS) or an
``ssl.SSLError`` (TLS) in the chain: ``ConnectError``/``ConnectTimeout`` while
connecting or in the TLS handshake, ``ReadError``/``ReadTimeout`` and
``WriteError``/``WriteTimeout`` after.

It runs on asyncio's own loop and on uvloop's (``provenance.fetch.eventloop``), whose
transports are not ``asyncio.Transport`` subclasses but have the same methods: the
backend asks a transport only for what ``_Transport`` names, and both loops raise the
same exceptions (``socket.gaierror``, ``ssl.SSLError``, ``OSError``) for it to map.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any, Protocol, cast

import httpcore

__all__ = ["AsyncioBackend"]

# Stop reading from the socket once this much is buffered and not yet consumed.
_HIGH_WATER = 256 * 1024


class _Transport(Protocol):
    """What the backend uses of a transport: asyncio's ``Transport`` and uvloop's have it."""

    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...
    def is_closing(self) -> bool: ...
    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...
    def get_extra_info(self, name: str, default: Any = None) -> Any: ...


class _Protocol(asyncio.Protocol):
    """Buffers what arrives and wakes the one reader waiting for it."""

    def __init__(self) -> None:
        self.transport: _Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.drain_waiter: asyncio.Future[None] | None = None
        self.paused_reading = False
        self.paused_writing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Duck-typed: uvloop's TCP and TLS transports do not subclass asyncio's.
        self.transport = cast(_Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _HIGH_WATER and self.transport is not None:
            self.paused_reading = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # close the transport: HTTP/1.1 never half-closes usefully

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        if exc is not None:
            self.error = exc
        self._wake()
        drain, self.drain_waiter = self.drain_waiter, None
        if drain is not None and not drain.done():
            drain.set_result(None)

    def pause_writing(self) -> None:
        self.paused_writing = True

    def resume_writing(self) -> None:
        self.paused_writing = False
        drain, self.drain_waiter = self.drain_waiter, None
        if drain is not None and not drain.done():
            drain.set_result(None)

    def _wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


async def _wait(future: asyncio.Future[None], timeout: float | None) -> bool:
    """Wait for ``future``; False if ``timeout`` seconds passed first."""
    if timeout is None:
        await future
        return True
    loop = asyncio.get_running_loop()
    timer = loop.call_later(timeout, _expire, future)
    try:
        await future
    except _Expired:
        return False
    finally:
        timer.cancel()
    return True


class _Expired(Exception):
    """Set on a waiter whose timer ran out."""


def _expire(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_exception(_Expired())


class _Stream(httpcore.AsyncNetworkStream):
    """One connection (TCP, or TLS over it) as httpcore reads and writes it."""

    def __init__(
        self,
        transport: _Transport,
        protocol: _Protocol,
        addresses: tuple[Any, Any] | None = None,
        under: _Transport | None = None,
    ) -> None:
        self._transport = transport
        self._protocol = protocol
        self._under = under  # the TCP transport under a TLS one
        # Kept from the start: a TLS transport forgets them once the connection closes.
        self._addresses = addresses or (
            transport.get_extra_info("sockname"),
            transport.get_extra_info("peername"),
        )

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.buffer and not protocol.eof:
            protocol.waiter = asyncio.get_running_loop().create_future()
            if not await _wait(protocol.waiter, timeout):
                raise httpcore.ReadTimeout("timed out reading from the server")
        if protocol.buffer:
            data = bytes(protocol.buffer[:max_bytes])
            del protocol.buffer[:max_bytes]
            if protocol.paused_reading and len(protocol.buffer) <= _HIGH_WATER // 2:
                protocol.paused_reading = False
                self._transport.resume_reading()
            return data
        if protocol.error is not None:
            raise httpcore.ReadError(str(protocol.error) or type(protocol.error).__name__) from (
                protocol.error
            )
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        protocol = self._protocol
        if self._transport.is_closing():
            cause = protocol.error
            raise httpcore.WriteError("the connection is closed") from cause
        self._transport.write(buffer)
        if protocol.paused_writing:
            protocol.drain_waiter = asyncio.get_running_loop().create_future()
            if not await _wait(protocol.drain_waiter, timeout):
                raise httpcore.WriteTimeout("timed out writing to the server")
            if protocol.error is not None:
                raise httpcore.WriteError(str(protocol.error)) from protocol.error

    async def aclose(self) -> None:
        self._transport.close()
        if self._under is not None:
            # Closing TLS sends close_notify, then waits (up to 30 s) for the server's
            # before closing the TCP connection; an HTTP client has nothing to wait for
            # (every body is framed), and a loop closing meanwhile would leave the socket
            # open (uvloop warns of it). The TCP transport sends what is queued, then closes.
            self._under.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        protocol = _Protocol()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    cast(asyncio.WriteTransport, self._transport),
                    protocol,
                    ssl_context,
                    server_hostname=server_hostname,
                )
        except TimeoutError as exc:
            self._transport.close()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from exc
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        except BaseException:
            # Cancelled from outside (the fetcher's total timeout, the end of a run): the
            # plain connection under the handshake must not outlive it.
            self._transport.close()
            raise
        if transport is None:  # the server closed the connection mid-handshake
            self._transport.close()
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        protocol.connection_made(transport)
        return _Stream(transport, protocol, self._addresses, self._transport)

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._addresses[0]
        if info == "server_addr":
            return self._addresses[1]
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":
            # httpcore asks before reusing an idle connection: anything to read (data,
            # or the server hanging up) means it must not be reused.
            protocol = self._protocol
            return bool(protocol.buffer) or protocol.eof or transport.is_closing()
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """``connect_tcp`` on ``loop.create_connection``; TLS through ``loop.start_tls``."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_connection(
                    _Protocol, host, port, local_addr=local
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"timed out connecting to {host}:{port}") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        # asyncio has set TCP_NODELAY already; options httpx was asked for go on top.
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                for option in socket_options or ():
                    sock.setsockopt(*option)
            except OSError as exc:
                transport.close()
                raise httpcore.ConnectError(f"cannot set a socket option: {exc}") from exc
        return _Stream(transport, protocol)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_unix_connection(_Protocol, path)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"timed out connecting to {path}") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return _Stream(transport, protocol)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
