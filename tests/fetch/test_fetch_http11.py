"""The pool's own HTTP/1.1 connection (``provenance.fetch.http11``) against raw answers.

What h11 accepted, it accepts (chunk extensions and trailers, informational answers,
folded headers, bare LF line ends, repeated equal lengths); what h11 refused, it
refuses; a connection is reused only after a complete answer that allows it. The
hostile-server cases the fetcher must survive are in ``test_fetch_hostile``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from provenance.fetch.pool import FastHTTPTransport
from tests.support.loopback import Handler, LoopbackServer, Request, Response, respond

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(["127.0.0.1"]) as running:
        yield running


def _transport() -> FastHTTPTransport:
    return FastHTTPTransport(
        max_idle_per_origin=2, max_idle=2, keepalive_expiry=5.0, trust_env=False
    )


def _get_all(urls: list[str], **headers: str) -> list[httpx.Response]:
    async def fetch() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=_transport(), timeout=5.0) as client:
            return [await client.get(url, headers=headers) for url in urls]

    return asyncio.run(fetch())


def _raw(server: LoopbackServer, path: str, answer: bytes) -> str:
    async def handler(request: Request) -> Response:
        async def behave(writer: asyncio.StreamWriter) -> None:
            writer.write(answer)
            await writer.drain()

        return Response(raw=behave)

    server.route(path, handler)
    return server.url(path)


@pytest.mark.parametrize(
    ("answer", "body", "header"),
    [
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n",
            b"hello world",
            None,
        ),
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"hello",
            None,
        ),
        (
            b"HTTP/1.1 200 OK\r\nX-Folded: one\r\n  two\r\nContent-Length: 2\r\n\r\nok",
            b"ok",
            ("x-folded", "one two"),
        ),
        (b"HTTP/1.1 200 OK\nContent-Length: 5\n\nhello", b"hello", None),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello", b"hello", None),
        (b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", b"ok", None),
        (b"HTTP/1.0 200 OK\r\n\r\nuntil the end", b"until the end", None),
        (b"HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", b"", None),
    ],
    ids=[
        "chunk-ext-trailer",
        "informational",
        "obs-fold",
        "bare-lf",
        "equal-lengths",
        "no-reason",
        "until-closed",
        "no-content",
    ],
)
def test_answers_h11_accepted_are_read_whole(
    server: LoopbackServer, answer: bytes, body: bytes, header: tuple[str, str] | None
) -> None:
    url = _raw(server, f"/ok-{abs(hash(answer))}", answer)
    (response,) = _get_all([url])
    assert response.content == body
    if header is not None:
        assert response.headers[header[0]] == header[1]


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx",
        b"HTTP/1.1 200 OK\r\nX-Nul: a\x00b\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
    ],
    ids=[
        "chunk-overrun",
        "other-coding",
        "nul-in-value",
        "space-in-name",
        "not-1x",
        "unasked-101",
        "chunk-cut",
    ],
)
def test_answers_h11_refused_are_protocol_errors(server: LoopbackServer, answer: bytes) -> None:
    url = _raw(server, f"/bad-{abs(hash(answer))}", answer)
    with pytest.raises(httpx.RemoteProtocolError):
        _get_all([url])


# The tests that count connections get a server of their own: on the module's, a
# connection an earlier test opened and dropped can be accepted (and counted) late on a
# loaded machine.


def test_a_connection_is_reused_after_a_complete_answer() -> None:
    with LoopbackServer(["127.0.0.1"]) as own:
        own.route("/kept", respond(200, b"kept", [("Content-Type", "text/plain")]))
        own.route("/chunks", _chunked(b"in ", b"pieces"))
        responses = _get_all([own.url("/kept"), own.url("/chunks"), own.url("/kept")])
        assert [r.content for r in responses] == [b"kept", b"in pieces", b"kept"]
        assert own.connections["127.0.0.1"] == 1


def test_a_connection_the_server_closes_is_not_reused() -> None:
    with LoopbackServer(["127.0.0.1"]) as own:
        own.route("/closing", respond(200, b"bye", [("Connection", "close")]))
        responses = _get_all([own.url("/closing")] * 2)
        assert [r.content for r in responses] == [b"bye", b"bye"]
        assert own.connections["127.0.0.1"] == 2


def test_a_header_that_would_inject_another_is_refused_before_sending(
    server: LoopbackServer,
) -> None:
    server.route("/never", respond(200, b"no"))
    for _ in range(2):  # the second time too: encoded header blocks are kept, refusals not
        with pytest.raises(httpx.LocalProtocolError):
            _get_all([server.url("/never")], **{"X-Evil": "a\r\nInjected: yes"})
    assert server.hits.get("/never", 0) == 0


def test_a_request_asking_to_close_its_connection_does_not_reuse_it() -> None:
    with LoopbackServer(["127.0.0.1"]) as own:
        own.route("/asked", respond(200, b"ok"))
        responses = _get_all([own.url("/asked")] * 3, Connection="close")
        assert [r.content for r in responses] == [b"ok"] * 3
        assert own.connections["127.0.0.1"] == 3


def _chunked(*chunks: bytes) -> Handler:
    async def handler(request: Request) -> Response:
        return Response(chunks=chunks)

    return handler


class _ClosesReusedConnection:
    """A server that answers the first request on its first connection, then closes that
    connection when the next request arrives on it without answering (a keep-alive
    timeout racing the reuse); every other connection answers normally."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        first_connection = self.connections == 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                self.requests.append(head.split(b" ", 1)[0])
                if first_connection and len(self.requests) > 1:
                    return  # closed as the reused connection's request came in
                length = int(dict(_fields(head)).get(b"content-length", b"0"))
                await reader.readexactly(length)
                body = b"answer %d" % len(self.requests)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


def _fields(head: bytes) -> list[tuple[bytes, bytes]]:
    lines = head.split(b"\r\n")[1:]
    return [
        (name.strip().lower(), value.strip())
        for name, _, value in (line.partition(b":") for line in lines if line)
    ]


def _against_closing_server(method: str) -> tuple[list[httpx.Response | Exception], int]:
    server = _ClosesReusedConnection()

    async def run() -> list[httpx.Response | Exception]:
        listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        outcomes: list[httpx.Response | Exception] = []
        try:
            async with httpx.AsyncClient(transport=_transport(), timeout=5.0) as client:
                for _ in range(2):
                    try:
                        outcomes.append(await client.request(method, f"http://127.0.0.1:{port}/"))
                    except httpx.HTTPError as exc:
                        outcomes.append(exc)
        finally:
            listener.close()
            await listener.wait_closed()
        return outcomes

    return asyncio.run(run()), server.connections


def test_a_get_on_a_reused_connection_the_server_closed_is_sent_again_on_a_new_one() -> None:
    outcomes, connections = _against_closing_server("GET")
    assert [o.text if isinstance(o, httpx.Response) else o for o in outcomes] == [
        "answer 1",
        "answer 3",
    ]
    assert connections == 2


def test_a_post_on_a_reused_connection_the_server_closed_is_not_sent_again() -> None:
    outcomes, connections = _against_closing_server("POST")
    assert isinstance(outcomes[0], httpx.Response) and outcomes[0].text == "answer 1"
    assert isinstance(outcomes[1], httpx.RemoteProtocolError)
    assert connections == 1


def test_a_head_answer_has_no_body_whatever_its_length_says(server: LoopbackServer) -> None:
    server.route("/head", respond(200, b"x" * 1000))

    async def fetch() -> httpx.Response:
        async with httpx.AsyncClient(transport=_transport(), timeout=5.0) as client:
            return await client.head(server.url("/head"))

    response = asyncio.run(fetch())
    assert (response.status_code, response.headers["content-length"], response.content) == (
        200,
        "1000",
        b"",
    )
