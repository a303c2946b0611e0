"""The fetching event loop: uvloop's where installed, asyncio's on request, same verdicts on both.

The failure classes a user sees (dns-error, connection-error, timeout; tls-error is in
``test_fetch_netio``) come from the network backend's errors, which come from the loop's
transports: each is proven here against a real loopback server on both loops.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpcore
import httpx
import pytest
from pytest_httpx import HTTPXMock

from provenance.errors import ConfigError
from provenance.evidence import EvidenceOptions, FetchMode, gather_evidence
from provenance.fetch import Fetcher, FetchResult, FetchRun, FetchSettings, HttpExchange, Reason
from provenance.fetch.classify import classify_exception
from provenance.fetch.eventloop import LoopKind, loop_factory, run_loop
from provenance.fetch.netio import AsyncioBackend
from provenance.fetch.policy import system_resolver
from tests.conftest import FIXED_NOW
from tests.fetch.conftest import SleepRecorder
from tests.support.loopback import LoopbackServer, Response, respond

pytestmark = pytest.mark.integration

T = TypeVar("T")
PAGE = b"<html><head><title>A page</title></head><body><p>words</p></body></html>"
HTML = [("Content-Type", "text/html")]
LOOPS = [LoopKind.ASYNCIO, LoopKind.UVLOOP]


def _head(status: str, *fields: str) -> bytes:
    return ("\r\n".join([f"HTTP/1.1 {status}", *fields, "", ""])).encode()


# --- choosing the loop ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, LoopKind.AUTO),
        ("", LoopKind.AUTO),
        ("auto", LoopKind.AUTO),
        ("uvloop", LoopKind.UVLOOP),
        (" Asyncio ", LoopKind.ASYNCIO),
    ],
)
def test_the_environment_variable_chooses_the_loop(value: str | None, kind: LoopKind) -> None:
    environ = {} if value is None else {"PROVENANCE_EVENT_LOOP": value}
    assert LoopKind.from_environment(environ) is kind


def test_an_unknown_choice_is_a_configuration_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError) as raised:
        LoopKind.from_environment({"PROVENANCE_EVENT_LOOP": "trio"})
    assert str(raised.value) == ("PROVENANCE_EVENT_LOOP='trio' is not one of auto, uvloop, asyncio")


def _loop_module(kind: LoopKind | None, environ: dict[str, str] | None = None) -> str:
    async def which() -> str:
        return type(asyncio.get_running_loop()).__module__

    return run_loop(which, kind=kind, environ=environ)


def test_auto_runs_on_uvloop_where_installed_and_asyncio_on_request() -> None:
    assert _loop_module(LoopKind.AUTO) == "uvloop"
    assert _loop_module(None, {"PROVENANCE_EVENT_LOOP": "uvloop"}) == "uvloop"
    assert _loop_module(None, {"PROVENANCE_EVENT_LOOP": "asyncio"}).startswith("asyncio.")


def test_without_uvloop_auto_falls_back_and_asking_for_it_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` raises ImportError
    loop = loop_factory(LoopKind.AUTO)()
    try:
        assert type(loop).__module__.startswith("asyncio.")
    finally:
        loop.close()
    with pytest.raises(ConfigError, match="uvloop is not installed"):
        loop_factory(LoopKind.UVLOOP)


def test_the_command_reports_an_unknown_choice_in_one_line_with_exit_2(
    project: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    source = '[documents."doc.md".sources.1]\nurl = "http://127.0.0.1:9/"\n'
    (project / "sources.toml").write_text(source)
    (project / "doc.md").write_text("# Doc\n\nA claim [1].\n")
    monkeypatch.setenv("PROVENANCE_EVENT_LOOP", "fast")
    result = cli("check", "-q", "--allow-private", "-o", "-", "doc.md")
    assert result.code == 2
    assert result.err == (
        "provenance: error: PROVENANCE_EVENT_LOOP='fast' is not one of auto, uvloop, asyncio\n"
    )


def test_pytest_httpx_mocks_every_request_of_a_run_on_uvloop(
    httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    loops: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        loops.append(type(asyncio.get_running_loop()).__module__)
        return httpx.Response(200, html=PAGE.decode())

    urls = [f"https://example.org/page/{n}" for n in range(3)]
    for _ in urls:
        httpx_mock.add_callback(answer)
    monkeypatch.setenv("PROVENANCE_EVENT_LOOP", "uvloop")
    options = EvidenceOptions(
        mode=FetchMode.LIVE,
        fetch=FetchSettings(allow_private=True, trust_env=False, recheck=False),
    )
    run = gather_evidence(urls, options, now=FIXED_NOW)
    assert [run.results[url].reason for url in urls] == [Reason.OK] * 3
    assert loops == ["uvloop"] * 3


# --- the same verdicts on both loops --------------------------------------------------


@pytest.fixture(params=LOOPS, ids=str)
def loop_kind(request: pytest.FixtureRequest) -> LoopKind:
    kind: LoopKind = request.param
    return kind


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(["127.0.0.1"]) as running:
        yield running


def _on(kind: LoopKind, main: Callable[[], Awaitable[T]]) -> T:
    return run_loop(main, kind=kind)


def _fetch(
    kind: LoopKind, urls: Sequence[str], **options: Any
) -> tuple[FetchRun, list[HttpExchange]]:
    knobs: dict[str, Any] = {
        "allow_private": True,
        "trust_env": False,
        "recheck": False,
        "max_retries": 0,
        "read_timeout_s": 5,
    }
    exchanges: list[HttpExchange] = []

    def archive(result: FetchResult, exchanged: Sequence[HttpExchange]) -> FetchResult:
        exchanges.extend(exchanged)
        return result

    resolver = options.pop("resolver", None)
    settings = FetchSettings.model_validate(knobs | options)
    fetcher = Fetcher(settings, sleep=SleepRecorder(), on_fetched=archive, resolver=resolver)
    return _on(kind, lambda: fetcher.fetch_all(urls)), exchanges


def _raw(server: LoopbackServer, path: str, behave: Callable[[Any], Awaitable[None]]) -> str:
    async def handler(request: object) -> Response:
        return Response(raw=behave)

    server.route(path, handler)
    return server.url(path)


def test_a_page_is_alive_and_the_server_address_is_recorded(
    loop_kind: LoopKind, server: LoopbackServer
) -> None:
    server.route("/page", respond(200, PAGE, HTML))
    url = server.url("/page")
    run, exchanges = _fetch(loop_kind, [url])
    assert run.results[url].reason is Reason.OK
    assert run.results[url].size == len(PAGE)
    assert [(e.body, e.remote_ip) for e in exchanges] == [(PAGE, "127.0.0.1")]


def test_a_refused_connection_is_a_connection_error(loop_kind: LoopKind) -> None:
    url = "http://127.0.0.1:9/"  # the discard port: nothing listens
    run, _ = _fetch(loop_kind, [url])
    assert run.results[url].reason is Reason.CONNECTION_ERROR
    assert "[Errno 111]" in (run.results[url].error or "")  # ECONNREFUSED; words differ


def test_a_name_that_does_not_resolve_is_a_dns_error(loop_kind: LoopKind) -> None:
    # The loop's own getaddrinfo fails here without asking any DNS server: an unknown
    # service name is refused by the C library, with the same gaierror as a lookup.
    async def loop_resolver(host: str, port: int) -> list[str]:
        return await system_resolver(host, "no-such-service")  # type: ignore[arg-type]

    url = "http://a-host.example/page"
    run, _ = _fetch(loop_kind, [url], allow_private=False, resolver=loop_resolver)
    assert run.results[url].reason is Reason.DNS_ERROR
    assert run.results[url].error == (
        "DNS lookup of a-host.example failed: [Errno -8] Servname not supported for ai_socktype"
    )


def test_the_backend_chains_its_connect_error_to_the_dns_failure(loop_kind: LoopKind) -> None:
    async def connect() -> BaseException:
        try:
            await AsyncioBackend().connect_tcp("127.0.0.1", "no-such-service")  # type: ignore[arg-type]
        except httpcore.ConnectError as exc:
            return exc
        raise AssertionError("connected")

    error = _on(loop_kind, connect)
    assert isinstance(error.__cause__, socket.gaierror)
    assert classify_exception(error)[0] is Reason.DNS_ERROR


def test_a_server_that_never_answers_times_out(loop_kind: LoopKind, server: LoopbackServer) -> None:
    async def silent(writer: Any) -> None:
        await asyncio.sleep(5)

    url = _raw(server, "/silent", silent)
    run, _ = _fetch(loop_kind, [url], read_timeout_s=0.2)
    assert run.results[url].reason is Reason.TIMEOUT
    assert run.results[url].error == "read timeout"


def test_a_body_cut_short_by_the_server_closing_is_a_connection_error(
    loop_kind: LoopKind, server: LoopbackServer
) -> None:
    async def short(writer: Any) -> None:
        writer.write(_head("200 OK", "Content-Length: 5000") + PAGE)
        await writer.drain()

    url = _raw(server, "/short", short)
    run, _ = _fetch(loop_kind, [url])
    assert run.results[url].reason is Reason.CONNECTION_ERROR
    assert "peer closed connection" in (run.results[url].error or "")


def test_a_connection_reset_mid_body_is_a_connection_error(
    loop_kind: LoopKind, server: LoopbackServer
) -> None:
    async def reset(writer: Any) -> None:
        writer.write(_head("200 OK", "Content-Length: 100000") + b"x" * 1000)
        await writer.drain()
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # SO_LINGER 0: the close is a RST

    url = _raw(server, "/reset", reset)
    run, _ = _fetch(loop_kind, [url])
    assert run.results[url].reason is Reason.CONNECTION_ERROR
    assert run.results[url].digest is None


def test_a_write_to_a_server_that_stops_reading_waits_then_times_out(loop_kind: LoopKind) -> None:
    # The transport asks the backend to pause writing once its buffer is full; the write
    # then waits for resume_writing, and gives up at its timeout.
    async def scenario() -> tuple[int, BaseException]:
        stop = asyncio.Event()

        async def stalled(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await stop.wait()
            writer.close()

        listener = await asyncio.start_server(stalled, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        try:
            stream = await AsyncioBackend().connect_tcp(
                "127.0.0.1", port, socket_options=[(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)]
            )
            sock = stream.get_extra_info("socket")
            sndbuf = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
            try:
                for _ in range(256):
                    await stream.write(b"w" * (1 << 20), timeout=0.2)
            except httpcore.WriteTimeout as exc:
                return sndbuf, exc
            finally:
                await stream.aclose()
                stop.set()
            raise AssertionError("256 MiB written to a server that reads nothing")
        finally:
            listener.close()
            await listener.wait_closed()

    sndbuf, error = _on(loop_kind, scenario)
    assert sndbuf >= 65536  # the socket option reached the socket (Linux doubles it)
    assert str(error) == "timed out writing to the server"


def test_ctrl_c_during_a_fetch_stops_the_command_with_exit_3(
    loop_kind: LoopKind, project: Path
) -> None:
    # asyncio.Runner's SIGINT handler cancels the run on either loop: the command says
    # "interrupted" and exits 3, not with a traceback and not after the fetch times out.
    asked = threading.Event()

    async def never(request: object) -> Response:
        asked.set()
        await asyncio.sleep(30)
        return Response(200)

    with LoopbackServer(["127.0.0.1"]) as slow:
        slow.route("/slow", never)
        source = f'[documents."doc.md".sources.1]\nurl = "{slow.url("/slow")}"\n'
        (project / "sources.toml").write_text(source)
        (project / "doc.md").write_text("# Doc\n\nA claim [1].\n")
        env = {**os.environ, "PROVENANCE_EVENT_LOOP": str(loop_kind), "HOME": str(project)}
        command = [sys.executable, "-m", "provenance", "check", "-q", "--allow-private"]
        with subprocess.Popen(
            [*command, "-o", "-", "doc.md"],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as process:
            assert asked.wait(30), "the command never asked for the page"
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
    assert (process.returncode, out, err) == (3, "", "provenance: interrupted\n")
