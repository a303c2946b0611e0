"""Every status and failure path ends in the right ``Reason`` (and so the right verdict)."""

from __future__ import annotations

import gzip
import hashlib
import socket
import ssl
import zlib

import httpx
import pytest
from pytest_httpx import HTTPXMock

from provenance.fetch import DEFAULT_USER_AGENT, Reason, Verdict
from tests.fetch.conftest import T0, Run

URL = "https://example.com/article"


@pytest.mark.parametrize(
    ("status", "reason", "verdict"),
    [
        (200, Reason.OK, Verdict.ALIVE),
        (203, Reason.OK, Verdict.ALIVE),
        (401, Reason.FORBIDDEN, Verdict.UNVERIFIABLE),
        (402, Reason.PAYWALL, Verdict.UNVERIFIABLE),
        (403, Reason.FORBIDDEN, Verdict.UNVERIFIABLE),
        (404, Reason.NOT_FOUND, Verdict.DEAD),
        (408, Reason.TIMEOUT, Verdict.UNVERIFIABLE),
        (410, Reason.GONE, Verdict.DEAD),
        (418, Reason.CLIENT_ERROR, Verdict.DEAD),
        (429, Reason.RATE_LIMITED, Verdict.UNVERIFIABLE),
        (451, Reason.FORBIDDEN, Verdict.UNVERIFIABLE),
        (500, Reason.SERVER_ERROR, Verdict.DEAD),
        (501, Reason.SERVER_ERROR, Verdict.DEAD),
        (503, Reason.SERVER_ERROR, Verdict.DEAD),
        (999, Reason.BOT_CHALLENGE, Verdict.UNVERIFIABLE),
    ],
)
def test_status_is_classified(
    run: Run, httpx_mock: HTTPXMock, status: int, reason: Reason, verdict: Verdict
) -> None:
    httpx_mock.add_response(url=URL, status_code=status, text="<p>some page body</p>" * 30)
    result = run([URL], max_retries=0).results[URL]
    assert (result.reason, result.verdict, result.http_status) == (reason, verdict, status)
    assert result.reason.verdict is result.verdict
    assert (result.error is None) == verdict.is_alive


def test_alive_result_carries_digest_size_type_and_validators(
    run: Run, httpx_mock: HTTPXMock
) -> None:
    body = b"<html><title>An article</title><p>" + b"words " * 200 + b"</p></html>"
    httpx_mock.add_response(
        url=URL,
        content=body,
        headers={
            "content-type": "text/html; charset=utf-8",
            "etag": '"v1"',
            "last-modified": "Wed, 01 May 2024 10:00:00 GMT",
        },
    )
    fetch_run = run([URL])
    result = fetch_run.results[URL]
    assert result.digest == "sha256:" + hashlib.sha256(body).hexdigest()
    assert result.size == len(body)
    assert result.content_type == "text/html; charset=utf-8"
    assert (result.etag, result.last_modified) == ('"v1"', "Wed, 01 May 2024 10:00:00 GMT")
    assert result.final_url == URL
    assert result.fetched_at == T0
    assert (result.attempts, result.from_cache, result.redirects) == (1, False, ())
    assert fetch_run.requests == 1


def test_dead_result_has_no_digest(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=404, text="gone")
    result = run([URL]).results[URL]
    assert (result.digest, result.size) == (None, None)
    assert result.error == "HTTP 404 Not Found"


def test_request_names_the_tool_and_accepts_only_decodable_encodings(
    run: Run, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=URL, text="ok " * 100)
    run([URL])
    request = httpx_mock.get_requests()[0]
    assert request.headers["user-agent"] == DEFAULT_USER_AGENT
    assert DEFAULT_USER_AGENT.startswith("provenance/")
    assert request.headers["accept-encoding"] == "gzip, deflate"


def test_each_distinct_url_is_fetched_once(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url="https://example.com/a", text="article " * 50)
    fetch_run = run(
        ["https://EXAMPLE.com/a", "https://example.com:443/a#intro", "https://example.com/a"]
    )
    assert list(fetch_run.results) == ["https://example.com/a"]
    assert fetch_run.results["https://example.com/a"].url == "https://EXAMPLE.com/a"
    assert fetch_run.result_for("https://example.com/a#later") is not None
    assert fetch_run.requests == 1


def _gaierror_chain() -> httpx.ConnectError:
    error = httpx.ConnectError("[Errno -2] Name or service not known")
    error.__cause__ = socket.gaierror(-2, "Name or service not known")
    return error


def _tls_chain() -> httpx.ConnectError:
    error = httpx.ConnectError("certificate verify failed")
    error.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    return error


@pytest.mark.parametrize(
    ("exception", "reason"),
    [
        (httpx.ConnectTimeout("connect timed out"), Reason.TIMEOUT),
        (httpx.ReadTimeout("read timed out"), Reason.TIMEOUT),
        (httpx.ConnectError("Connection refused"), Reason.CONNECTION_ERROR),
        (httpx.RemoteProtocolError("Server disconnected"), Reason.CONNECTION_ERROR),
        (httpx.ReadError("reset by peer"), Reason.CONNECTION_ERROR),
        (_gaierror_chain(), Reason.DNS_ERROR),
        (_tls_chain(), Reason.TLS_ERROR),
    ],
)
def test_transport_failures_are_classified(
    run: Run, httpx_mock: HTTPXMock, exception: Exception, reason: Reason
) -> None:
    httpx_mock.add_exception(exception, url=URL)
    result = run([URL], max_retries=0).results[URL]
    assert result.reason is reason
    assert result.http_status is None
    assert result.error


def test_resolver_failure_is_a_dns_error_without_any_request(
    run: Run, httpx_mock: HTTPXMock, resolver: object
) -> None:
    from tests.fetch.conftest import FakeResolver

    assert isinstance(resolver, FakeResolver)
    resolver.failures["nxdomain.example"] = socket.gaierror(-2, "Name or service not known")
    fetch_run = run(["https://nxdomain.example/x"])
    result = fetch_run.results["https://nxdomain.example/x"]
    assert result.reason is Reason.DNS_ERROR
    assert "Name or service not known" in (result.error or "")
    assert fetch_run.requests == 0


@pytest.mark.parametrize(
    "url", ["ftp://example.com/file", "mailto:someone@example.com", "javascript:alert(1)", "x"]
)
def test_only_http_and_https_are_fetched(run: Run, url: str) -> None:
    fetch_run = run([url])
    (result,) = fetch_run.results.values()
    assert result.reason is Reason.UNSUPPORTED_SCHEME
    assert result.verdict is Verdict.UNVERIFIABLE
    assert fetch_run.requests == 0


def test_declared_length_over_the_cap_is_too_large(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, content=b"x" * 2000)
    result = run([URL], max_body_bytes=1000).results[URL]
    assert result.reason is Reason.TOO_LARGE
    assert "Content-Length 2000" in (result.error or "")


def test_streamed_body_over_the_cap_is_too_large(run: Run, httpx_mock: HTTPXMock) -> None:
    chunks = [b"y" * 600] * 4  # no Content-Length: only counting reveals the size
    httpx_mock.add_response(url=URL, stream=_Chunks(chunks))
    result = run([URL], max_body_bytes=1000).results[URL]
    assert result.reason is Reason.TOO_LARGE
    assert result.verdict is Verdict.UNVERIFIABLE


def test_404_with_a_huge_body_is_still_not_found(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=404, content=b"z" * 5000)
    assert run([URL], max_body_bytes=1000).results[URL].reason is Reason.NOT_FOUND


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for chunk in self._chunks:
            yield chunk


def test_gzip_body_is_decoded_for_the_digest(run: Run, httpx_mock: HTTPXMock) -> None:
    payload = b"<html><title>Real article</title>" + b"content " * 500 + b"</html>"
    httpx_mock.add_response(
        url=URL,
        content=gzip.compress(payload),
        headers={"content-encoding": "gzip", "content-type": "text/html"},
    )
    result = run([URL]).results[URL]
    assert result.reason is Reason.OK
    assert result.digest == "sha256:" + hashlib.sha256(payload).hexdigest()
    assert result.size == len(payload)


@pytest.mark.parametrize("wrapped", [True, False], ids=["zlib-deflate", "raw-deflate"])
def test_deflate_body_is_decoded_in_either_form(
    run: Run, httpx_mock: HTTPXMock, wrapped: bool
) -> None:
    payload = b"deflated text " * 300
    compressor = zlib.compressobj(wbits=zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
    body = compressor.compress(payload) + compressor.flush()
    httpx_mock.add_response(url=URL, content=body, headers={"content-encoding": "deflate"})
    result = run([URL]).results[URL]
    assert result.digest == "sha256:" + hashlib.sha256(payload).hexdigest()


def test_gzip_bomb_is_too_large_not_out_of_memory(run: Run, httpx_mock: HTTPXMock) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    bomb = b"".join(compressor.compress(block) for _ in range(16)) + compressor.flush()
    assert len(bomb) < 50_000  # 16 MiB of zeros in well under 50 KB
    httpx_mock.add_response(url=URL, content=bomb, headers={"content-encoding": "gzip"})
    result = run([URL], max_decoded_bytes=4 * 1024 * 1024).results[URL]
    assert result.reason is Reason.TOO_LARGE
    assert "decoded" in (result.error or "")


def test_corrupt_gzip_leaves_the_source_alive_without_a_digest(
    run: Run, httpx_mock: HTTPXMock
) -> None:
    # Streamed: httpx would try to decode a ``content=`` body itself and fail in the mock.
    httpx_mock.add_response(
        url=URL,
        stream=_Chunks([b"\x1f\x8b\x08\x00garbage" * 40]),
        headers={"content-encoding": "gzip"},
    )
    result = run([URL]).results[URL]
    assert result.reason is Reason.OK
    assert result.digest is None


def test_unknown_content_encoding_is_not_guessed(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, content=b"\x00\x01" * 50, headers={"content-encoding": "br"})
    result = run([URL]).results[URL]
    assert result.reason is Reason.OK
    assert result.digest is None


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com:99999/",
        "https://[::g]/",
        "http:///no-host",
        "https://xn--zz.com/",
        "http://ex\x01ample.com/",  # control character: httpx refuses to build it
    ],
)
def test_malformed_urls_are_results_not_crashes(run: Run, url: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="reached")

    fetch_run = run([url], transport=httpx.MockTransport(handler))
    (result,) = fetch_run.results.values()
    assert result.reason is Reason.CLIENT_ERROR
    assert (result.error or "").startswith(("invalid URL", "invalid request"))


def test_an_injected_transport_is_used(run: Run) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, text="from the injected transport " * 10)

    result = run([URL], transport=httpx.MockTransport(handler)).results[URL]
    assert result.reason is Reason.OK
    assert result.size == len("from the injected transport " * 10)
    assert seen == [URL]
