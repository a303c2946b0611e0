"""A hostile web: servers that misbehave on purpose get a verdict, never a crash or a hang.

Each case is served on 127.0.0.1 by the loopback server, most of them through a raw
socket handler (``Response.raw``) because an HTTP library would refuse to misbehave
enough. Every fetch archives what came back in a real ``SnapshotStore``, and the
archive must verify afterwards: hostile answers are evidence too. Timeouts and caps
are shrunk through ``FetchSettings`` so the suite stays fast; the servers may trickle
on their own clock but the tests never sleep.

Already covered elsewhere, not repeated here: a two-URL redirect loop, a plain gzip
bomb, a slow status line, a chunked body over the cap (``test_fetch_integration``),
private addresses (``test_fetch_policy``, ``test_fetch_rebinding``) and bot walls
served by mocks (``test_fetch_soft404``).
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import struct
import subprocess
import zlib
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from provenance.archive import SnapshotStore
from provenance.fetch import Fetcher, FetchResult, FetchSettings, HttpExchange, Reason, Verdict
from tests.fetch.conftest import SleepRecorder
from tests.support.loopback import LoopbackServer, Request, Response, respond

pytestmark = pytest.mark.integration

CAP = 256 * 1024
PAGE = b"<html><head><title>A real page</title></head><body>" + b"<p>words</p>" * 100 + b"</body>"


@dataclass
class Fetched:
    """One URL's result and what the archive hook was given for it."""

    result: FetchResult
    exchanges: list[HttpExchange]
    archive: SnapshotStore


Fetch = Callable[..., Fetched]


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(["127.0.0.1"]) as running:
        yield running


@pytest.fixture
def fetch(server: LoopbackServer, tmp_path: Path) -> Iterator[Fetch]:
    """``fetch(path, **settings)``: fetch one path, archive it, and check the archive."""
    with SnapshotStore(tmp_path / "archive", run_id="hostile") as store:

        def _fetch(path: str, **options: object) -> Fetched:
            knobs: dict[str, object] = {
                "allow_private": True,
                "trust_env": False,
                "recheck": False,
                "max_retries": 0,
                "connect_timeout_s": 2,
                "read_timeout_s": 2,
                "total_timeout_s": 4,
                "max_body_bytes": CAP,
                "max_decoded_bytes": 4 * CAP,
            }
            exchanges: list[HttpExchange] = []

            def archive(result: FetchResult, seen: Sequence[HttpExchange]) -> FetchResult:
                exchanges.extend(seen)
                return store.record(result, seen)

            settings = FetchSettings.model_validate(knobs | options)
            fetcher = Fetcher(settings, sleep=SleepRecorder(), on_fetched=archive)
            url = server.url(path)
            run = asyncio.run(fetcher.fetch_all([url]))
            return Fetched(run.results[url], exchanges, store)

        yield _fetch
        report = store.verify()
        assert report.ok, report.problems


Raw = Callable[[asyncio.StreamWriter], Awaitable[None]]


def raw(server: LoopbackServer, path: str, behave: Raw) -> None:
    """Serve ``path`` by handing the socket to ``behave`` once the request is read."""

    async def handler(request: Request) -> Response:
        return Response(raw=behave)

    server.route(path, handler)


def sends(*parts: bytes) -> Raw:
    """Write these bytes, then close."""

    async def behave(writer: asyncio.StreamWriter) -> None:
        for part in parts:
            writer.write(part)
        await writer.drain()

    return behave


def head(status: str = "200 OK", *headers: str) -> bytes:
    return ("\r\n".join([f"HTTP/1.1 {status}", *headers]) + "\r\n\r\n").encode("latin-1")


def kept_bytes(fetched: Fetched) -> int:
    return sum(len(exchange.body) for exchange in fetched.exchanges)


# --- redirects ------------------------------------------------------------------------


def _chain(server: LoopbackServer, name: str, hops: int) -> None:
    for hop in range(hops):
        server.route(f"/{name}/{hop}", respond(302, headers=[("Location", f"/{name}/{hop + 1}")]))
    server.route(f"/{name}/{hops}", respond(200, PAGE, [("Content-Type", "text/html")]))


def test_a_50_hop_chain_stops_at_the_redirect_limit(server: LoopbackServer, fetch: Fetch) -> None:
    _chain(server, "chain50", 50)
    fetched = fetch("/chain50/0", max_redirects=10)
    assert fetched.result.reason is Reason.TOO_MANY_REDIRECTS
    assert len(fetched.result.redirects) == 11
    assert server.hits.get("/chain50/11") is None  # nothing past the limit was requested


def test_a_50_hop_chain_within_a_raised_limit_is_followed(
    server: LoopbackServer, fetch: Fetch
) -> None:
    _chain(server, "chain50b", 50)
    fetched = fetch("/chain50b/0", max_redirects=50)
    assert fetched.result.reason is Reason.REDIRECTED
    assert len(fetched.result.redirects) == 50
    assert fetched.result.final_url == server.url("/chain50b/50")


def test_a_redirect_to_itself_is_a_loop(server: LoopbackServer, fetch: Fetch) -> None:
    server.route("/self", respond(301, headers=[("Location", "/self")]))
    fetched = fetch("/self")
    assert fetched.result.reason is Reason.REDIRECT_LOOP
    assert server.hits["/self"] == 1


def test_a_redirect_with_an_unparseable_location_is_a_failure(
    server: LoopbackServer, fetch: Fetch
) -> None:
    answer = head("302 Found", "Location: http://[::1", "Content-Length: 0")
    raw(server, "/bad-location", sends(answer))
    fetched = fetch("/bad-location")
    assert not fetched.result.verdict.is_alive
    assert fetched.result.error


# --- bodies that never end or lie -----------------------------------------------------


def test_a_slowloris_body_hits_the_total_timeout(server: LoopbackServer, fetch: Fetch) -> None:
    async def trickle(writer: asyncio.StreamWriter) -> None:
        writer.write(head("200 OK", "Content-Type: text/html", "Content-Length: 100000"))
        for _ in range(2000):  # one byte every 20 ms: each read is quick, the whole is not
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.02)

    raw(server, "/slowloris", trickle)
    fetched = fetch("/slowloris", read_timeout_s=1, total_timeout_s=0.3)
    assert fetched.result.reason is Reason.TIMEOUT
    assert fetched.result.verdict is Verdict.UNVERIFIABLE


def test_an_endless_body_is_too_large_and_only_the_cap_is_kept(
    server: LoopbackServer, fetch: Fetch
) -> None:
    async def endless(writer: asyncio.StreamWriter) -> None:
        writer.write(head("200 OK", "Content-Type: text/html", "Transfer-Encoding: chunked"))
        chunk = b"%x\r\n%s\r\n" % (65536, b"y" * 65536)
        while True:  # until the client hangs up (the write then fails)
            writer.write(chunk)
            await writer.drain()

    raw(server, "/endless", endless)
    fetched = fetch("/endless")
    assert fetched.result.reason is Reason.TOO_LARGE
    assert kept_bytes(fetched) <= CAP


def test_an_endless_body_without_framing_is_too_large(server: LoopbackServer, fetch: Fetch) -> None:
    async def endless(writer: asyncio.StreamWriter) -> None:
        writer.write(head("200 OK", "Content-Type: text/plain"))  # read until close
        while True:
            writer.write(b"z" * 65536)
            await writer.drain()

    raw(server, "/endless-unframed", endless)
    fetched = fetch("/endless-unframed")
    assert fetched.result.reason is Reason.TOO_LARGE
    assert kept_bytes(fetched) <= CAP


def test_a_body_shorter_than_its_content_length_is_a_connection_error(
    server: LoopbackServer, fetch: Fetch
) -> None:
    raw(server, "/short", sends(head("200 OK", "Content-Length: 5000"), PAGE[:100]))
    fetched = fetch("/short")
    assert fetched.result.reason is Reason.CONNECTION_ERROR
    assert "peer closed connection" in (fetched.result.error or "")


def test_a_body_shorter_than_its_content_length_and_held_open_times_out(
    server: LoopbackServer, fetch: Fetch
) -> None:
    async def hold(writer: asyncio.StreamWriter) -> None:
        writer.write(head("200 OK", "Content-Length: 5000") + PAGE[:100])
        await writer.drain()
        await asyncio.sleep(5)

    raw(server, "/short-held", hold)
    fetched = fetch("/short-held", read_timeout_s=0.2)
    assert fetched.result.reason is Reason.TIMEOUT


def test_a_body_longer_than_its_content_length_cannot_answer_the_next_request(
    server: LoopbackServer,
) -> None:
    declared = PAGE[:200]
    smuggled = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad"

    async def overlong(writer: asyncio.StreamWriter) -> None:
        writer.write(head("200 OK", f"Content-Length: {len(declared)}") + declared + smuggled)
        await writer.drain()
        await asyncio.sleep(1)  # keep the connection open, as if for the next request

    raw(server, "/long", overlong)
    urls = [server.url(f"/long?n={n}") for n in range(3)]
    settings = FetchSettings(
        allow_private=True, trust_env=False, recheck=False, max_retries=0, host_concurrency=1
    )
    run = asyncio.run(Fetcher(settings, sleep=SleepRecorder()).fetch_all(urls))
    # One connection at a time to one host: the leftover bytes sit on the idle connection,
    # and the pool must see them and not read them as the answer to the next URL.
    assert [run.results[url].size for url in urls] == [len(declared)] * 3
    assert server.hits["/long"] == 3


def test_a_content_length_over_the_cap_is_refused_before_reading(
    server: LoopbackServer, fetch: Fetch
) -> None:
    raw(server, "/huge-length", sends(head("200 OK", "Content-Length: 99999999999"), b"a" * 1000))
    fetched = fetch("/huge-length")
    assert fetched.result.reason is Reason.TOO_LARGE
    assert kept_bytes(fetched) == 0


def test_a_malformed_content_length_is_a_failure(server: LoopbackServer, fetch: Fetch) -> None:
    raw(server, "/bad-length", sends(head("200 OK", "Content-Length: -5"), PAGE))
    fetched = fetch("/bad-length")
    assert fetched.result.reason is Reason.CONNECTION_ERROR


def test_a_connection_reset_mid_body_is_a_connection_error(
    server: LoopbackServer, fetch: Fetch
) -> None:
    async def reset(writer: asyncio.StreamWriter) -> None:
        writer.write(head("200 OK", "Content-Length: 100000") + b"x" * 1000)
        await writer.drain()
        sock = writer.get_extra_info("socket")
        # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    raw(server, "/reset", reset)
    fetched = fetch("/reset")
    assert fetched.result.reason is Reason.CONNECTION_ERROR
    assert fetched.result.digest is None


def test_a_server_that_accepts_and_never_answers_times_out(
    server: LoopbackServer, fetch: Fetch
) -> None:
    async def silent(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    raw(server, "/silent", silent)
    fetched = fetch("/silent", read_timeout_s=0.2)
    assert fetched.result.reason is Reason.TIMEOUT


def test_a_server_that_closes_without_a_word_is_a_connection_error(
    server: LoopbackServer, fetch: Fetch
) -> None:
    raw(server, "/hangup", sends())
    fetched = fetch("/hangup")
    assert fetched.result.reason is Reason.CONNECTION_ERROR


# --- encodings ------------------------------------------------------------------------


def _deflate_bomb(size: int, wbits: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1024 * 1024)
    return b"".join(compressor.compress(block) for _ in range(size // len(block))) + (
        compressor.flush()
    )


def test_a_gzip_bomb_wrapped_twice_is_too_large(server: LoopbackServer, fetch: Fetch) -> None:
    inner = _deflate_bomb(64 * 1024 * 1024, 16 + zlib.MAX_WBITS)  # 64 MiB of zeros
    outer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    twice = outer.compress(inner) + outer.flush()
    assert len(twice) < CAP
    server.route("/bomb2", respond(200, twice, [("Content-Encoding", "gzip, gzip")]))
    fetched = fetch("/bomb2")
    assert fetched.result.reason is Reason.TOO_LARGE
    assert "decoded body exceeds" in (fetched.result.error or "")


def test_a_raw_deflate_bomb_is_too_large(server: LoopbackServer, fetch: Fetch) -> None:
    bomb = _deflate_bomb(16 * 1024 * 1024, -zlib.MAX_WBITS)
    server.route("/deflate-bomb", respond(200, bomb, [("Content-Encoding", "deflate")]))
    assert fetch("/deflate-bomb").result.reason is Reason.TOO_LARGE


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "nonsense"])
def test_an_encoding_we_never_asked_for_does_not_crash(
    server: LoopbackServer, fetch: Fetch, encoding: str
) -> None:
    path = f"/enc-{encoding}"
    server.route(path, respond(200, b"\x1b\x00\xff garbage", [("Content-Encoding", encoding)]))
    fetched = fetch(path)
    assert fetched.result.http_status == 200
    assert fetched.result.verdict is Verdict.ALIVE
    assert fetched.result.digest is None  # the payload could not be decoded: no digest claimed


def test_a_corrupt_gzip_body_does_not_crash(server: LoopbackServer, fetch: Fetch) -> None:
    truncated = b"\x1f\x8b\x08\x00garbage"
    server.route("/bad-gzip", respond(200, truncated, [("Content-Encoding", "gzip")]))
    fetched = fetch("/bad-gzip")
    assert fetched.result.http_status == 200
    assert fetched.result.verdict is Verdict.ALIVE


# --- headers --------------------------------------------------------------------------


def test_a_huge_header_is_a_connection_error(server: LoopbackServer, fetch: Fetch) -> None:
    answer = head("200 OK", "X-Big: " + "a" * 200_000, "Content-Length: 0")
    raw(server, "/huge-header", sends(answer))
    fetched = fetch("/huge-header")
    assert fetched.result.reason is Reason.CONNECTION_ERROR


@pytest.mark.parametrize(
    ("count", "reason"), [(1_000, Reason.OK), (10_000, Reason.CONNECTION_ERROR)]
)
def test_many_headers_are_read_up_to_the_header_size_limit(
    server: LoopbackServer, fetch: Fetch, count: int, reason: Reason
) -> None:
    # h11 keeps at most 100 KiB of a response head in memory: 10,000 headers are over it.
    many = [f"X-H{n}: {n}" for n in range(count)]
    path = f"/many-headers-{count}"
    raw(server, path, sends(head("200 OK", *many, f"Content-Length: {len(PAGE)}"), PAGE))
    assert fetch(path).result.reason is reason


@pytest.mark.parametrize(
    "answer",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n",  # not HTTP at all
        b"HTTP/1.1 abc Broken\r\n\r\n",  # non-numeric status
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",  # header without a name
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",  # conflicting
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",  # bad chunk size
        b"\x00\x01\x02\xff" * 64,  # binary noise
    ],
    ids=["not-http", "bad-status", "no-colon", "two-lengths", "bad-chunk", "noise"],
)
def test_malformed_responses_are_connection_errors(
    server: LoopbackServer, fetch: Fetch, answer: bytes
) -> None:
    path = f"/malformed-{abs(hash(answer))}"
    raw(server, path, sends(answer))
    fetched = fetch(path)
    assert fetched.result.reason is Reason.CONNECTION_ERROR, fetched.result.error
    assert not fetched.result.verdict.is_alive


def test_a_status_outside_the_known_range_does_not_crash(
    server: LoopbackServer, fetch: Fetch
) -> None:
    raw(server, "/status-999", sends(head("999 Whatever", "Content-Length: 0")))
    fetched = fetch("/status-999")
    assert fetched.result.http_status == 999
    assert not fetched.result.verdict.is_alive


def test_header_values_in_latin1_and_control_bytes_do_not_crash(
    server: LoopbackServer, fetch: Fetch
) -> None:
    header = b"X-Odd: caf\xe9 \x01\x7f\r\n"
    length = b"Content-Length: %d\r\n\r\n" % len(PAGE)
    raw(server, "/odd-header", sends(b"HTTP/1.1 200 OK\r\n" + header + length, PAGE))
    fetched = fetch("/odd-header")
    assert fetched.result.reason is Reason.OK
    assert ("x-odd", "caf\xe9 \x01\x7f") in fetched.exchanges[0].response_headers


# --- content that lies ----------------------------------------------------------------

NOT_FOUND_LATIN1 = "<html><title>Página no encontrada – 404</title><body>adiós</body></html>"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html; charset=utf-8", NOT_FOUND_LATIN1.replace("–", "-").encode("latin-1")),
        ("text/html; charset=x-no-such-charset", NOT_FOUND_LATIN1.encode("utf-8")),
        ("text/html", NOT_FOUND_LATIN1.encode("utf-8")),
        (None, NOT_FOUND_LATIN1.encode("utf-8")),
        ("text/html; charset=utf-16", NOT_FOUND_LATIN1.encode("utf-8")),
    ],
    ids=["utf8-but-latin1", "unknown-charset", "no-charset", "no-content-type", "utf16-lie"],
)
def test_a_charset_that_lies_or_is_missing_still_reads_the_title(
    server: LoopbackServer, fetch: Fetch, content_type: str | None, body: bytes
) -> None:
    path = f"/charset-{abs(hash((content_type, body)))}"
    headers = [("Content-Type", content_type)] if content_type else []
    server.route(path, respond(200, body, headers))
    fetched = fetch(path)
    assert fetched.result.http_status == 200
    assert fetched.result.reason in (Reason.SOFT_404, Reason.OK)
    if "utf-16" not in (content_type or ""):
        assert fetched.result.reason is Reason.SOFT_404  # the title was read despite the lie


def test_a_5_mb_single_line_page_is_read_and_archived(server: LoopbackServer, fetch: Fetch) -> None:
    page = b"<html><head><title>One line</title></head><body><p>" + b"word " * 1_000_000 + b"</p>"
    assert b"\n" not in page and len(page) > 5_000_000
    server.route("/one-line", respond(200, page, [("Content-Type", "text/html")]))
    fetched = fetch("/one-line", max_body_bytes=8 * 1024 * 1024, max_decoded_bytes=8 * 1024 * 1024)
    assert fetched.result.reason is Reason.OK
    assert fetched.result.size == len(page)
    text = fetched.archive.text(fetched.result.digest or "")
    assert text is not None and text.count("word") == 1_000_000


def test_binary_served_as_html_is_alive_and_does_not_crash(
    server: LoopbackServer, fetch: Fetch
) -> None:
    noise = bytes(range(256)) * 512 + b"\x00" * 4096
    server.route("/binary", respond(200, noise, [("Content-Type", "text/html; charset=utf-8")]))
    fetched = fetch("/binary")
    assert fetched.result.reason is Reason.OK
    assert fetched.result.size == len(noise)


def test_a_200_challenge_page_is_a_bot_challenge(server: LoopbackServer, fetch: Fetch) -> None:
    page = (
        b"<html><head><title>Just a moment...</title></head><body>"
        b"<p>Checking your browser before accessing the site.</p>"
        b'<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1"></script></body></html>'
    )
    server.route("/challenge", respond(200, page, [("Content-Type", "text/html")]))
    fetched = fetch("/challenge")
    assert fetched.result.reason is Reason.BOT_CHALLENGE
    assert fetched.result.verdict is Verdict.UNVERIFIABLE


# --- TLS ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server context with a certificate made here, signed by nobody anyone trusts."""
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_a_self_signed_certificate_is_a_tls_error(
    self_signed: ssl.SSLContext, tmp_path: Path
) -> None:
    with LoopbackServer(["127.0.0.1"], ssl=self_signed) as tls:
        tls.route("/secure", respond(200, PAGE))
        settings = FetchSettings(allow_private=True, trust_env=False, recheck=False, max_retries=0)
        url = tls.url("/secure")
        with SnapshotStore(tmp_path / "archive", run_id="tls") as store:
            fetcher = Fetcher(settings, sleep=SleepRecorder(), on_fetched=store.record)
            result = asyncio.run(fetcher.fetch_all([url])).results[url]
        assert url.startswith("https://")
        assert result.reason is Reason.TLS_ERROR
        assert result.verdict is Verdict.UNVERIFIABLE
        assert "certificate" in (result.error or "").lower()
        assert tls.hits == {}


@pytest.mark.parametrize("value", ["²", "³", "-5", "1e9", "Thu, 99 Foo 2024"])
def test_a_retry_after_that_is_not_a_number_does_not_crash(
    server: LoopbackServer, fetch: Fetch, value: str
) -> None:
    # "²".isdigit() is True but float("²") raises: this crashed the whole run once.
    path = f"/retry-after-{abs(hash(value))}"
    server.route(path, respond(429, headers=[("Retry-After", value)]))
    fetched = fetch(path, max_retries=1)
    assert fetched.result.reason is Reason.RATE_LIMITED


def test_a_server_trickling_its_headers_hits_the_total_timeout(
    server: LoopbackServer, fetch: Fetch
) -> None:
    async def trickle(writer: asyncio.StreamWriter) -> None:
        for byte in head("200 OK", "Content-Length: 0", *[f"X-{n}: {n}" for n in range(500)]):
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.01)

    raw(server, "/slow-headers", trickle)
    fetched = fetch("/slow-headers", read_timeout_s=1, total_timeout_s=0.3)
    assert fetched.result.reason is Reason.TIMEOUT


def test_provenance_check_over_a_hostile_web_reports_every_source(
    server: LoopbackServer, project: Path, cli: Callable[..., Any]
) -> None:
    """The whole command line against a mix of hostile answers: a report, no traceback."""

    async def slow(writer: asyncio.StreamWriter) -> None:
        writer.write(head("200 OK", "Content-Length: 1000"))
        for _ in range(200):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.02)

    async def endless(writer: asyncio.StreamWriter) -> None:
        writer.write(head("200 OK", "Content-Type: text/html"))
        while True:
            writer.write(b"<p>more</p>" * 4096)
            await writer.drain()

    raw(server, "/cli/slow", slow)
    raw(server, "/cli/endless", endless)
    raw(server, "/cli/noise", sends(b"\x00\x01\x02\xff" * 64))
    raw(server, "/cli/reset", sends(head("200 OK", "Content-Length: 999"), b"partial"))
    raw(
        server,
        "/cli/odd",
        sends(b"HTTP/1.1 200 OK\r\nX-Odd: \x1b[31m\xe9\r\nContent-Length: 2\r\n\r\nok"),
    )
    server.route("/cli/429", respond(429, headers=[("Retry-After", "²")]))
    server.route(
        "/cli/binary", respond(200, bytes(range(256)) * 64, [("Content-Type", "text/html")])
    )
    server.route("/cli/loop", respond(302, headers=[("Location", "/cli/loop")]))
    server.route(
        "/cli/bomb",
        respond(200, _deflate_bomb(8 << 20, 16 + zlib.MAX_WBITS), [("Content-Encoding", "gzip")]),
    )
    server.route("/cli/br", respond(200, b"\x1b\x00garbage", [("Content-Encoding", "br")]))
    paths = ["slow", "endless", "noise", "reset", "odd", "429", "binary", "loop", "bomb", "br"]
    claims = [
        f"Claim {n} about the {name} page is made here [{n}]." for n, name in enumerate(paths, 1)
    ]
    refs = [f"[{n}]: {server.url(f'/cli/{name}')}" for n, name in enumerate(paths, 1)]
    (project / "claims.md").write_text("\n".join([*claims, "", *refs]) + "\n")
    (project / "provenance.toml").write_text(
        "[fetch]\nmax_body_bytes = 262144\nmax_decoded_bytes = 1048576\nread_timeout_s = 1\n"
        "total_timeout_s = 1\nmax_retries = 0\nrecheck = false\ntrust_env = false\n"
    )
    result = cli("check", "--allow-private", "--format", "json", "-o", "-", "claims.md")
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert result.code in (0, 1), result.err
    report = json.loads(result.out)
    reasons = {s["url"].rsplit("/", 1)[1]: s["reason"] for s in report["sources"]}
    assert reasons["slow"] == "timeout"
    assert reasons["endless"] == "too-large"
    assert reasons["bomb"] == "too-large"
    assert reasons["loop"] == "redirect-loop"
    assert reasons["429"] == "rate-limited"
    assert reasons["binary"] == "ok"
    assert len(reasons) == len(paths)
    assert (project / ".provenance" / "archive" / "index.sqlite3").exists()
    verify = cli("archive", "verify")
    assert verify.code == 0, verify.out + verify.err


def test_endless_informational_responses_hit_the_total_timeout(
    server: LoopbackServer, fetch: Fetch
) -> None:
    async def forever_100(writer: asyncio.StreamWriter) -> None:
        while True:  # "wait for it" without end, never a final answer
            writer.write(b"HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n" * 64)
            await writer.drain()
            await asyncio.sleep(0.005)

    raw(server, "/early-hints", forever_100)
    fetched = fetch("/early-hints", total_timeout_s=0.5)
    assert fetched.result.reason is Reason.TIMEOUT


def test_control_characters_around_dropped_elements_do_not_crash_the_archive(
    server: LoopbackServer, fetch: Fetch
) -> None:
    # lxml refuses text holding NUL or C0 controls; dropping <title> or <script> joins
    # their tail to the parent's text, and that raised inside the archive's writer.
    page = b"\x01<title>T</title>\x00<p>kept \x07text</p><script>x()</script>\x0btail"
    server.route("/controls", respond(200, page, [("Content-Type", "text/html")]))
    fetched = fetch("/controls")
    assert fetched.result.reason is Reason.OK
    text = fetched.archive.text(fetched.result.digest or "")
    assert text is not None and "kept" in text and "\x00" not in text
