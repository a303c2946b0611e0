"""The pool's asyncio network backend over real sockets: TLS, big bodies, the server's address.

Plain HTTP paths (refused, closed, slow, reused and dropped connections) are proven in
``test_fetch_integration`` (and on both event loops in ``test_fetch_eventloop``); these are
the ones that only this backend's own code handles, each run on asyncio's loop and uvloop's.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from provenance.fetch import Fetcher, FetchResult, FetchSettings, HttpExchange, Reason, Verdict
from provenance.fetch.eventloop import LoopKind, run_loop
from provenance.fetch.pool import FastHTTPTransport
from tests.fetch.conftest import SleepRecorder
from tests.support.loopback import LoopbackServer, respond

pytestmark = pytest.mark.integration

TLS = Path(__file__).parent.parent / "data" / "tls"
CERT = TLS / "loopback-self-signed.pem"
KEY = TLS / "loopback-self-signed.key"
PAGE = b"<html><head><title>Over TLS</title></head><body><p>secure words</p></body></html>"


class TlsServer:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate, a thread per connection.

    Threads with blocking sockets, not an asyncio loop: each handler closes its socket
    before it returns and ``server_close`` joins them, so no server-side socket (mid
    handshake or mid TLS shutdown) outlives the fixture and warns during a later test.
    """

    def __init__(self) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(CERT, KEY)

        class Answer(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                raw: socket.socket = self.request
                raw.settimeout(10)
                try:
                    with context.wrap_socket(raw, server_side=True) as tls:
                        with tls.makefile("rb") as head_in:
                            while head_in.readline() not in (b"\r\n", b""):
                                pass
                        head = (
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                            f"Content-Length: {len(PAGE)}\r\nConnection: close\r\n\r\n"
                        )
                        tls.sendall(head.encode() + PAGE)
                except (ssl.SSLError, OSError):
                    pass  # a client that refused the certificate hangs up mid-handshake

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Answer)
        self._server.block_on_close = True  # server_close joins every handler thread
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> TlsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


@pytest.fixture(params=[LoopKind.ASYNCIO, LoopKind.UVLOOP], ids=str)
def loop_kind(request: pytest.FixtureRequest) -> LoopKind:
    kind: LoopKind = request.param
    return kind


@pytest.fixture
def tls_server() -> Iterator[TlsServer]:
    with TlsServer() as server:
        yield server


def _settings(**options: object) -> FetchSettings:
    knobs: dict[str, object] = {
        "allow_private": True,
        "trust_env": False,
        "recheck": False,
        "max_retries": 0,
        "connect_timeout_s": 5,
        "read_timeout_s": 5,
        "total_timeout_s": 10,
    }
    return FetchSettings.model_validate(knobs | options)


def test_an_untrusted_certificate_is_a_tls_error(
    loop_kind: LoopKind, tls_server: TlsServer
) -> None:
    url = f"https://127.0.0.1:{tls_server.port}/page"
    run = run_loop(
        lambda: Fetcher(_settings(), sleep=SleepRecorder()).fetch_all([url]), kind=loop_kind
    )
    result = run.results[url]
    assert result.reason is Reason.TLS_ERROR
    assert result.verdict is Verdict.UNVERIFIABLE
    assert "certificate" in (result.error or "").lower()


def test_a_trusted_certificate_fetches_over_tls_and_records_the_server(
    loop_kind: LoopKind, tls_server: TlsServer
) -> None:
    url = f"https://127.0.0.1:{tls_server.port}/page"
    recorded: list[HttpExchange] = []

    def archive(result: FetchResult, exchanges: Sequence[HttpExchange]) -> FetchResult:
        recorded.extend(exchanges)
        return result

    trusting = ssl.create_default_context(cafile=str(CERT))
    transport = FastHTTPTransport(
        max_idle_per_origin=2, max_idle=4, keepalive_expiry=5.0, ssl_context=trusting
    )
    fetcher = Fetcher(_settings(), transport=transport, on_fetched=archive, sleep=SleepRecorder())
    run = run_loop(lambda: fetcher.fetch_all([url]), kind=loop_kind)
    assert run.results[url].verdict is Verdict.ALIVE
    (exchange,) = recorded
    assert exchange.body == PAGE
    assert exchange.remote_ip == "127.0.0.1"


def test_a_body_larger_than_the_read_buffer_arrives_whole(loop_kind: LoopKind) -> None:
    # 1 MiB: the backend stops reading from the socket past 256 KiB buffered and resumes.
    big = bytes(range(256)) * 4096
    with LoopbackServer(["127.0.0.1"]) as server:
        server.route("/big", respond(200, big, [("Content-Type", "application/octet-stream")]))
        url = server.url("/big")
        settings = _settings(read_timeout_s=30, total_timeout_s=60)  # a loaded machine is slow
        fetcher = Fetcher(settings, sleep=SleepRecorder())
        run = run_loop(lambda: fetcher.fetch_all([url]), kind=loop_kind)
    result = run.results[url]
    assert result.verdict is Verdict.ALIVE, result
    assert result.size == len(big)
    assert result.digest == "sha256:" + hashlib.sha256(big).hexdigest()


def test_the_backend_speaks_httpx_errors_for_a_closed_port(loop_kind: LoopKind) -> None:
    async def fetch() -> None:
        transport = FastHTTPTransport(max_idle_per_origin=1, max_idle=1, keepalive_expiry=1.0)
        async with httpx.AsyncClient(transport=transport) as client:
            await client.get("http://127.0.0.1:9/")  # discard port: nothing listens

    with pytest.raises(httpx.ConnectError):
        run_loop(fetch, kind=loop_kind)


def test_a_tls_handshake_cancelled_from_outside_closes_its_connection(
    loop_kind: LoopKind,
) -> None:
    # The fetcher's total timeout cancels whatever is in flight, a handshake included:
    # the TCP connection under it must be closed then, not left for the garbage collector.
    from provenance.fetch.netio import AsyncioBackend

    async def scenario() -> bytes:
        hello_seen = asyncio.Event()
        after_cancel: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

        async def silent_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(1)  # the ClientHello has begun: the handshake is under way
            hello_seen.set()
            rest = b""
            while chunk := await reader.read(65536):
                rest += chunk
            after_cancel.set_result(rest)  # end of stream: the client closed its socket
            writer.close()

        listener = await asyncio.start_server(silent_server, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        try:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", port)
            handshake = asyncio.ensure_future(
                stream.start_tls(ssl.create_default_context(), server_hostname="localhost")
            )
            await hello_seen.wait()
            handshake.cancel()
            with pytest.raises(asyncio.CancelledError):
                await handshake
            return await after_cancel
        finally:
            listener.close()
            await listener.wait_closed()

    assert isinstance(run_loop(scenario, kind=loop_kind), bytes)


def test_a_tls_stream_gives_its_ssl_object_and_both_addresses(
    loop_kind: LoopKind, tls_server: TlsServer
) -> None:
    from provenance.fetch.netio import AsyncioBackend

    async def handshake() -> tuple[str | None, str, tuple[str, int], bool]:
        plain = await AsyncioBackend().connect_tcp("127.0.0.1", tls_server.port, timeout=5)
        trusting = ssl.create_default_context(cafile=str(CERT))
        stream = await plain.start_tls(trusting, server_hostname="127.0.0.1", timeout=5)
        try:
            tls: ssl.SSLObject = stream.get_extra_info("ssl_object")
            client = stream.get_extra_info("client_addr")
            server = stream.get_extra_info("server_addr")
            return tls.version(), client[0], server, stream.get_extra_info("is_readable")
        finally:
            await stream.aclose()

    version, client_ip, server_addr, readable = run_loop(handshake, kind=loop_kind)
    assert version is not None and version.startswith("TLSv1.")
    assert client_ip == "127.0.0.1"
    assert server_addr == ("127.0.0.1", tls_server.port)
    assert readable is False  # nothing sent yet: an idle connection fit for reuse
