"""The fetcher against real sockets: a loopback server on 127.0.0.1 and 127.0.0.2."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import zlib
from collections.abc import Iterator, Sequence

import pytest

from provenance.fetch import (
    Fetcher,
    FetchResult,
    FetchRun,
    FetchSettings,
    HttpExchange,
    Reason,
    Redirect,
    Verdict,
)
from provenance.fetch.pacing import Sleep
from tests.fetch.conftest import SleepRecorder
from tests.support.loopback import LoopbackServer, Request, Response, in_turn, respond

pytestmark = pytest.mark.integration

HOSTS = ("127.0.0.1", "127.0.0.2")
PAGE = b"<html><head><title>A real page</title></head><body>" + b"<p>words</p>" * 200 + b"</body>"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(HOSTS) as running:
        yield running


def _fetch(urls: Sequence[str], sleep: Sleep | None = None, **options: object) -> FetchRun:
    knobs: dict[str, object] = {
        "allow_private": True,  # the test server lives on loopback
        "trust_env": False,  # never route loopback through a proxy from the environment
        "recheck": False,
        "connect_timeout_s": 2,
        "read_timeout_s": 2,
        "total_timeout_s": 5,
    }
    settings = FetchSettings.model_validate(knobs | options)
    recorder = sleep if sleep is not None else SleepRecorder()
    return asyncio.run(Fetcher(settings, sleep=recorder).fetch_all(urls))


def test_statuses_over_real_sockets(server: LoopbackServer) -> None:
    server.route("/ok", respond(200, PAGE, [("Content-Type", "text/html")]))
    server.route("/missing", respond(404, "nothing here"))
    server.route("/gone", respond(410, "removed"))
    urls = {
        name: server.url(f"/{name}", host=host)
        for name, host in (("ok", HOSTS[0]), ("missing", HOSTS[1]), ("gone", HOSTS[0]))
    }
    run = _fetch(list(urls.values()))
    ok = run.results[urls["ok"]]
    assert (ok.reason, ok.http_status, ok.size) == (Reason.OK, 200, len(PAGE))
    assert ok.digest == "sha256:" + hashlib.sha256(PAGE).hexdigest()
    assert run.results[urls["missing"]].reason is Reason.NOT_FOUND
    assert run.results[urls["gone"]].reason is Reason.GONE
    assert run.requests == 3
    assert server.hits == {"/ok": 1, "/missing": 1, "/gone": 1}


def test_redirect_chain_across_hosts_and_a_loop(server: LoopbackServer) -> None:
    second_host = server.url("/hop2", host=HOSTS[1])
    server.route("/hop1", respond(301, headers=[("Location", second_host)]))
    server.route("/hop2", respond(308, headers=[("Location", "/ok")]))
    server.route("/ok", respond(200, PAGE))
    server.route("/loop-a", respond(302, headers=[("Location", "/loop-b")]))
    server.route("/loop-b", respond(302, headers=[("Location", "/loop-a")]))
    start, loop = server.url("/hop1"), server.url("/loop-a")
    run = _fetch([start, loop])
    moved = run.results[start]
    assert moved.reason is Reason.MOVED
    assert moved.final_url == server.url("/ok", host=HOSTS[1])
    assert moved.redirects == (
        Redirect(url=start, status=301),
        Redirect(url=second_host, status=308),
    )
    assert run.results[loop].reason is Reason.REDIRECT_LOOP


def test_429_with_retry_after_then_success(server: LoopbackServer) -> None:
    server.route(
        "/limited",
        in_turn(Response(429, headers=[("Retry-After", "2")]), Response(200, body=PAGE)),
    )
    sleep = SleepRecorder()
    run = _fetch([server.url("/limited")], sleep=sleep)
    result = run.results[server.url("/limited")]
    assert (result.reason, result.attempts) == (Reason.OK, 2)
    (waited,) = sleep.calls
    assert waited == pytest.approx(2.0, abs=0.5)


def test_500_then_200_is_alive_after_the_recheck(server: LoopbackServer) -> None:
    server.route("/flaky", in_turn(Response(500), Response(200, body=PAGE)))
    run = _fetch([server.url("/flaky")], recheck=True, recheck_delay_s=0)
    result = run.results[server.url("/flaky")]
    assert (result.reason, result.attempts) == (Reason.OK, 2)
    assert server.hits["/flaky"] == 2


def test_slow_response_times_out(server: LoopbackServer) -> None:
    server.route("/slow", respond(200, PAGE, delay_s=3))
    run = _fetch([server.url("/slow")], read_timeout_s=0.2, max_retries=0)
    result = run.results[server.url("/slow")]
    assert result.reason is Reason.TIMEOUT
    assert result.verdict is Verdict.UNVERIFIABLE


def test_soft_404_page(server: LoopbackServer) -> None:
    page = b"<html><title>Page not found - Example</title><body>" + b"<p>x</p>" * 100
    server.route("/article", respond(200, page, [("Content-Type", "text/html")]))
    result = _fetch([server.url("/article")]).results[server.url("/article")]
    assert result.reason is Reason.SOFT_404
    assert result.evidence == "title says 'Page not found - Example'"


def test_large_body_is_too_large(server: LoopbackServer) -> None:
    chunk = b"x" * 65536

    async def big(request: Request) -> Response:
        return Response(200, chunks=[chunk] * 64)  # 4 MiB, chunked: no length up front

    server.route("/large", big)
    result = _fetch([server.url("/large")], max_body_bytes=256 * 1024).results[server.url("/large")]
    assert result.reason is Reason.TOO_LARGE


def test_gzip_bomb_is_too_large(server: LoopbackServer) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    bomb = b"".join(compressor.compress(zeros) for _ in range(32)) + compressor.flush()
    server.route("/bomb", respond(200, bomb, [("Content-Encoding", "gzip")]))
    server.route("/page", respond(200, gzip.compress(PAGE), [("Content-Encoding", "gzip")]))
    run = _fetch([server.url("/bomb"), server.url("/page")], max_decoded_bytes=1024 * 1024)
    assert run.results[server.url("/bomb")].reason is Reason.TOO_LARGE
    page = run.results[server.url("/page")]
    assert page.digest == "sha256:" + hashlib.sha256(PAGE).hexdigest()


def test_per_host_limit_holds_on_the_wire(server: LoopbackServer) -> None:
    async def hold(request: Request) -> Response:
        await asyncio.sleep(0.05)
        return Response(200, body=PAGE)

    server.route("/hold", hold)
    urls = [server.url(f"/hold?n={n}", host=host) for host in HOSTS for n in range(12)]
    run = _fetch(urls, concurrency=64, host_concurrency=3)
    assert all(result.reason is Reason.OK for result in run.results.values())
    assert server.max_in_flight == {HOSTS[0]: 3, HOSTS[1]: 3}
    assert server.hits["/hold"] == 24


def test_connections_are_reused(server: LoopbackServer) -> None:
    server.route("/page", respond(200, PAGE))
    urls = [server.url(f"/page?n={n}") for n in range(30)]
    run = _fetch(urls, host_concurrency=2)
    assert all(result.reason is Reason.OK for result in run.results.values())
    assert server.connections[HOSTS[0]] <= 2


def test_servers_that_close_every_connection_are_fine(server: LoopbackServer) -> None:
    server.route("/once", respond(200, PAGE, [("Connection", "close")]))
    urls = [server.url(f"/once?n={n}") for n in range(10)]
    run = _fetch(urls, host_concurrency=2)
    assert all(result.reason is Reason.OK for result in run.results.values())
    assert server.connections[HOSTS[0]] == 10


def test_connections_the_server_dropped_while_idle_are_replaced() -> None:
    with LoopbackServer(HOSTS[:1], idle_timeout_s=0.02) as server:
        server.route("/page", respond(200, PAGE))
        urls = [server.url(f"/page?n={n}") for n in range(3)]

        async def until_the_server_dropped_it(_seconds: float) -> None:
            # The pause between requests lasts until the server has closed the idle
            # connection: the event itself, not a guess at how long it takes.
            await asyncio.to_thread(server.wait_until_every_connection_closed)

        run = _fetch(
            urls, sleep=until_the_server_dropped_it, host_concurrency=1, host_interval_ms=100
        )
        assert all(result.reason is Reason.OK for result in run.results.values())
        assert all(result.attempts == 1 for result in run.results.values())
        assert server.connections[HOSTS[0]] == 3


def test_exchanges_record_the_wire(server: LoopbackServer) -> None:
    server.route("/ok", respond(200, PAGE, [("Content-Type", "text/html")]))
    recorded: list[HttpExchange] = []

    def archive(result: FetchResult, exchanges: Sequence[HttpExchange]) -> FetchResult:
        recorded.extend(exchanges)
        return result

    settings = FetchSettings(allow_private=True, trust_env=False, recheck=False)
    asyncio.run(Fetcher(settings, on_fetched=archive).fetch_all([server.url("/ok")]))
    (exchange,) = recorded
    assert (exchange.http_version, exchange.status_code, exchange.remote_ip) == (
        "HTTP/1.1",
        200,
        "127.0.0.1",
    )
    assert exchange.body == PAGE
    assert server.requests[0].headers["user-agent"].startswith("provenance/")


def test_private_addresses_are_refused_by_default(server: LoopbackServer) -> None:
    server.route("/ok", respond(200, PAGE))
    settings = FetchSettings(trust_env=False, recheck=False)
    run = asyncio.run(Fetcher(settings).fetch_all([server.url("/ok")]))
    assert run.results[server.url("/ok")].reason is Reason.BLOCKED_BY_POLICY
    assert server.hits == {}


def test_refused_connections_on_every_host_mean_offline(server: LoopbackServer) -> None:
    # Ports that were just free on addresses nothing listens on: connection refused.
    urls = [
        f"http://127.0.0.3:{server.ports[HOSTS[0]]}/",
        f"http://127.0.0.4:{server.ports[HOSTS[1]]}/",
    ]
    run = _fetch(urls, max_retries=0)
    assert run.offline
    assert {result.reason for result in run.results.values()} == {Reason.OFFLINE}
