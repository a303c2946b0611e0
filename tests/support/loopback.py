"""A small HTTP/1.1 server for integration tests, listening on one or more loopback addresses.

It runs its own asyncio loop in a background thread, so a test (sync, or running its own
event loop) talks to it over real sockets. Every address gets a free port of its own.
Routes are async handlers keyed by path (query ignored) shared by all addresses; the
server counts hits per route and the peak number of requests in flight per address,
which is how tests prove per-host limits::

    with LoopbackServer(["127.0.0.1", "127.0.0.2"]) as server:
        server.route("/ok", respond(200, b"hello"))
        url = server.url("/ok", host="127.0.0.2")
        ...
        assert server.max_in_flight["127.0.0.2"] <= 4

Keep-alive (``Connection: close`` from either side ends it), ``Content-Length`` and
chunked bodies are supported; nothing else of HTTP is (no request bodies beyond
``Content-Length``, no pipelining). ``ssl`` serves TLS instead. A ``Response`` with
``raw`` set hands the socket to that coroutine to misbehave at will (hostile servers);
the connection is closed after it returns.
"""

from __future__ import annotations

import asyncio
import ssl as ssl_module
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Self

__all__ = [
    "Handler",
    "LoopbackServer",
    "Request",
    "Response",
    "in_turn",
    "respond",
]


@dataclass(frozen=True)
class Request:
    """A request as the server received it; ``local_ip`` is the address it arrived on."""

    method: str
    target: str
    headers: dict[str, str]
    local_ip: str

    @property
    def path(self) -> str:
        """The target without its query."""
        return self.target.partition("?")[0]


@dataclass(frozen=True)
class Response:
    """What to answer.

    ``chunks`` (when given) are sent with chunked transfer encoding, ``chunk_delay_s``
    apart; otherwise ``body`` with a ``Content-Length``. ``delay_s`` passes before the
    status line is written (a slow server).
    """

    status: int = 200
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    chunks: Sequence[bytes] | None = None
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    raw: Callable[[asyncio.StreamWriter], Awaitable[None]] | None = None


Handler = Callable[[Request], Awaitable[Response]]


def respond(
    status: int = 200,
    body: bytes | str = b"",
    headers: Sequence[tuple[str, str]] = (),
    *,
    delay_s: float = 0.0,
) -> Handler:
    """A handler that always gives the same answer, after ``delay_s`` seconds."""
    payload = body.encode() if isinstance(body, str) else body
    response = Response(status=status, headers=tuple(headers), body=payload, delay_s=delay_s)

    async def handler(request: Request) -> Response:
        return response

    return handler


def in_turn(*responses: Response) -> Handler:
    """A handler giving each response in turn, then repeating the last one."""
    remaining = list(responses)

    async def handler(request: Request) -> Response:
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return handler


@dataclass
class _Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: Counter[str] = field(default_factory=Counter)
    max_in_flight: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    connections: Counter[str] = field(default_factory=Counter)
    closed: int = 0  # connections the server has closed, notified on ``changed``
    changed: threading.Condition = field(init=False)
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)


class LoopbackServer:
    """HTTP/1.1 on each of ``hosts`` (loopback addresses), each on a free port."""

    def __init__(
        self,
        hosts: Sequence[str] = ("127.0.0.1",),
        *,
        idle_timeout_s: float | None = None,
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        """``idle_timeout_s``: close a kept-alive connection idle for this long, as servers do.

        ``ssl``: serve HTTPS with this context (``url`` then says ``https``).
        """
        self.hosts = tuple(hosts)
        self.ssl = ssl
        self.idle_timeout_s = idle_timeout_s
        self.ports: dict[str, int] = {}
        self._routes: dict[str, Handler] = {}
        self._stats = _Stats()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.Server] = []
        self._connections: set[asyncio.Task[None]] = set()

    # --- configuration and inspection (from the test's thread) ------------------------

    def route(self, path: str, handler: Handler) -> None:
        """Answer requests for ``path`` (query ignored) with ``handler``; others get 404."""
        self._routes[path] = handler

    def url(self, target: str, *, host: str | None = None) -> str:
        """The URL of ``target`` on ``host`` (default: the first address)."""
        chosen = host or self.hosts[0]
        scheme = "https" if self.ssl is not None else "http"
        return f"{scheme}://{chosen}:{self.ports[chosen]}{target}"

    @property
    def max_in_flight(self) -> dict[str, int]:
        """Peak number of requests being handled at once, per local address."""
        with self._stats.lock:
            return dict(self._stats.max_in_flight)

    @property
    def hits(self) -> dict[str, int]:
        """Requests received per path."""
        with self._stats.lock:
            return dict(self._stats.hits)

    @property
    def connections(self) -> dict[str, int]:
        """TCP connections accepted per local address (keep-alive makes this small)."""
        with self._stats.lock:
            return dict(self._stats.connections)

    def wait_until_every_connection_closed(self, timeout_s: float = 10.0) -> None:
        """Block until the server has closed every connection it accepted (an event, not a time)."""
        with self._stats.changed:
            if not self._stats.changed.wait_for(
                lambda: self._stats.closed == sum(self._stats.connections.values()), timeout_s
            ):
                raise TimeoutError("the server kept a connection open")

    @property
    def requests(self) -> list[Request]:
        """Every request received, in order."""
        with self._stats.lock:
            return list(self._stats.requests)

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Bind every address and serve in a background thread."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._bind())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=serve, name="loopback-http", daemon=True)
        self._thread.start()
        ready.wait(timeout=10)
        if failure:
            self._thread.join()
            loop.close()
            raise failure[0]

    def stop(self) -> None:
        """Close every connection and listener, stop the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- inside the server's loop -------------------------------------------------------

    async def _bind(self) -> None:
        for host in self.hosts:
            server = await asyncio.start_server(self._connection, host, 0, ssl=self.ssl)
            self._servers.append(server)
            self.ports[host] = server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        # A connection accepted a moment ago has its task created but not yet started, so
        # not yet in ``_connections``: let such tasks start, and cancel until none is left.
        # A transport left open here is collected later, and its ResourceWarning fails
        # whichever test is running then.
        await asyncio.sleep(0)
        while self._connections:
            tasks = list(self._connections)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError):
                    await task
            await asyncio.sleep(0)
        for server in self._servers:
            await server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        local_ip = str(writer.get_extra_info("sockname")[0])
        with self._stats.lock:
            self._stats.connections[local_ip] += 1
        try:
            while (request := await self._next_request(reader, local_ip)) is not None:
                if not await self._answer(request, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, ssl_module.SSLError):
            pass  # the client went away or spoke nonsense: drop the connection
        except asyncio.CancelledError:
            pass  # the server is shutting down with this connection still open
        finally:
            self._connections.discard(task)
            writer.close()
            with suppress(ConnectionError, asyncio.CancelledError, ssl_module.SSLError):
                await writer.wait_closed()
            with self._stats.changed:
                self._stats.closed += 1
                self._stats.changed.notify_all()

    async def _next_request(self, reader: asyncio.StreamReader, local_ip: str) -> Request | None:
        """The next request, or None when the client closed or idled past the timeout."""
        if self.idle_timeout_s is None:
            return await self._read_request(reader, local_ip)
        try:
            async with asyncio.timeout(self.idle_timeout_s):
                return await self._read_request(reader, local_ip)
        except TimeoutError:
            return None

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader, local_ip: str) -> Request | None:
        """The next request on the connection, or None when the client closed it."""
        line = await reader.readline()
        if not line.strip():
            return None
        method, target, _version = line.decode("latin-1").split()
        headers: dict[str, str] = {}
        while True:
            header_line = await reader.readline()
            if header_line in (b"\r\n", b"\n", b""):
                break
            name, _, value = header_line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or "0")
        if length:
            await reader.readexactly(length)
        return Request(method=method, target=target, headers=headers, local_ip=local_ip)

    async def _answer(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        stats = self._stats
        with stats.lock:
            stats.requests.append(request)
            stats.hits[request.path] += 1
            stats.in_flight[request.local_ip] += 1
            stats.max_in_flight[request.local_ip] = max(
                stats.max_in_flight[request.local_ip], stats.in_flight[request.local_ip]
            )
        try:
            handler = self._routes.get(request.path)
            response = await handler(request) if handler else Response(404, body=b"no route")
            if response.delay_s:
                await asyncio.sleep(response.delay_s)
            if response.raw is not None:
                await response.raw(writer)
                return False
            await self._write(writer, response)
        finally:
            with stats.lock:
                stats.in_flight[request.local_ip] -= 1
        closing = request.headers.get("connection", "").lower() == "close" or any(
            name.lower() == "connection" and value.lower() == "close"
            for name, value in response.headers
        )
        return not closing

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, response: Response) -> None:
        try:
            phrase = HTTPStatus(response.status).phrase
        except ValueError:
            phrase = "Unknown"
        head = [f"HTTP/1.1 {response.status} {phrase}"]
        head += [f"{name}: {value}" for name, value in response.headers]
        if response.chunks is None:
            head.append(f"Content-Length: {len(response.body)}")
        else:
            head.append("Transfer-Encoding: chunked")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if response.chunks is None:
            writer.write(response.body)
            await writer.drain()
            return
        for chunk in response.chunks:
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            await writer.drain()
            if response.chunk_delay_s:
                await asyncio.sleep(response.chunk_delay_s)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
