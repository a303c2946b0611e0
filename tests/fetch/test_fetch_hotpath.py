"""The fetcher's own shortcuts give what the httpx calls they replace would."""

from __future__ import annotations

import codecs
import html
import re

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from provenance.fetch.classify import page_text_parts
from provenance.fetch.fetcher import _fields, _header_items, _text_of

_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>", re.S)
_INVISIBLE = re.compile(r"<(script|style|noscript|template|head)\b.*?</\1\s*>", re.I | re.S)


def _short_text_by_regex(text: str, *, is_html: bool) -> str | None:
    """The short-page text as first written: every step a regex over the whole page."""
    if len(text) > 32 * 1024:
        return None
    stripped = html.unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", text))) if is_html else text
    visible = _SPACE.sub(" ", stripped).strip()
    return visible if len(visible) <= 300 else None


_PIECES = st.sampled_from(
    [
        "word ",
        "x" * 60,
        " ",
        "\n",
        "\t",
        "\xa0",
        "\u2003",
        "\x1c",
        "<p>",
        "</p>",
        "<script>x()</script>",
        "<title>Not found</title>",
        "<h1>h</h1>",
        "&amp;",
        "&nbsp;",
        "&#32;",
        "&#00000000000000000000000000065;",
        "<",
        ">",
        " " * 300,
    ]
)


@given(st.lists(_PIECES, max_size=400).map("".join), st.booleans())
def test_the_short_page_text_is_what_the_regex_formula_gives(text: str, is_html: bool) -> None:
    # Squeezed with str.split, and settled on a prefix when the page is long.
    assert page_text_parts(text, is_html=is_html)[2] == _short_text_by_regex(text, is_html=is_html)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html; charset=utf-8",
        "text/html;charset=ISO-8859-1",
        'text/html; charset="windows-1252"',
        "text/html; foo=bar; charset=koi8-r",
        "text/html; charset=",
        "text/html",
        "text/plain; charset=no-such-codec",
    ],
)
def test_page_text_is_decoded_with_the_charset_httpx_would_read(content_type: str) -> None:
    response = httpx.Response(200, headers={"content-type": content_type})
    expected = response.charset_encoding or "utf-8"
    try:
        codecs.lookup(expected)
    except LookupError:
        expected = "utf-8"
    sniff = "Grüße, Привет".encode(expected, errors="replace")
    assert _text_of(sniff, content_type) == sniff.decode(expected, errors="replace")


@pytest.mark.parametrize(
    "raw",
    [
        [(b"Content-Type", b"text/html"), (b"Set-Cookie", b"a=1"), (b"Set-Cookie", b"b=2")],
        [(b"X-Latin", "café".encode("latin-1")), (b"X-Mixed-CASE", b"v")],
        [(b"X-Utf8", "naïve".encode())],
        [],
    ],
)
def test_header_items_are_multi_items(raw: list[tuple[bytes, bytes]]) -> None:
    headers = httpx.Headers(raw)
    items = _header_items(headers)
    assert items == tuple(headers.multi_items())
    # And looked up by name, what httpx's lookup gives (repeated headers joined).
    fields = _fields(items)
    assert fields == {name: headers[name] for name in headers}
    assert all(fields.get(name.decode().lower()) == headers.get(name.decode()) for name, _ in raw)


def test_jobs_run_a_window_at_a_time_and_a_stuck_host_does_not_hold_up_the_others() -> None:
    import asyncio

    from provenance.fetch.fetcher import _gather_by_host

    live: dict[str, int] = {"slow": 0, "fast": 0}
    peaks = {"slow": 0, "fast": 0, "all": 0}
    finished: list[str] = []

    async def main() -> None:
        release = asyncio.Event()

        def job(host: str, n: int):  # type: ignore[no-untyped-def]
            async def run() -> None:
                live[host] += 1
                peaks[host] = max(peaks[host], live[host])
                peaks["all"] = max(peaks["all"], sum(live.values()))
                if host == "slow":
                    await release.wait()
                else:
                    await asyncio.sleep(0)
                live[host] -= 1
                finished.append(f"{host}{n}")
                if len([f for f in finished if f.startswith("fast")]) == 10:
                    release.set()  # the slow host answers only once the fast one is done

            return run

        jobs = [("slow", job("slow", n)) for n in range(10)]
        jobs += [("fast", job("fast", n)) for n in range(10)]
        await _gather_by_host(jobs, per_host=2, window=3)

    asyncio.run(main())
    assert len(finished) == 20
    assert peaks["slow"] <= 2
    assert peaks["fast"] <= 2
    assert peaks["all"] <= 3
    # Every fast job finished while the slow host held its two slots.
    assert all(name.startswith("fast") for name in finished[:10])


# --- the fetcher's requests, built without httpx's general URL parser -------------------

_HOSTS = st.sampled_from(
    [
        "example.org",
        "EXAMPLE.org",
        "a-b.example",
        "a-.example",
        "-a.example",
        "a..b",
        "a_b.example",
        "127.0.0.1",
        "255.255.255.255",
        "256.1.1.1",
        "01.2.3.4",
        "1.2.3",
        "xn--zz.com",
        "xn--bcher-kva.example",
        "[::1]",
        "bücher.example",
        "user@example.org",
        "",
    ]
)
_PORTS = st.sampled_from(["", ":80", ":443", ":0", ":8080", ":65535", ":65536", ":99999", ":080"])
_PIECES_OF_A_PATH = st.sampled_from(
    [
        *"aZ09-._~!$&'()*+,;=:@/?#[] \"<>^`{|}\\%é\t",
        *("%2F", "%2f", "%zz", "/./", "/../", "/.", "/..", "..", "?", "//"),
    ]
)


@given(
    st.sampled_from(["http", "https", "HTTP", "ftp"]),
    _HOSTS,
    _PORTS,
    st.lists(_PIECES_OF_A_PATH, max_size=12).map("".join),
)
def test_a_plain_url_is_what_httpx_parses(scheme: str, host: str, port: str, rest: str) -> None:
    from provenance.fetch.client import parse_url

    url = f"{scheme}://{host}{port}/{rest}"
    parsed = parse_url(url)
    if parsed is None:
        return  # left to httpx.URL
    expected = httpx.URL(url)
    assert parsed == expected
    assert parsed._uri_reference == expected._uri_reference
    assert (parsed.raw_scheme, parsed.raw_host, parsed.port, parsed.raw_path) == (
        expected.raw_scheme,
        expected.raw_host,
        expected.port,
        expected.raw_path,
    )
    assert parsed.netloc == expected.netloc


@pytest.mark.parametrize(
    ("url", "plain"),
    [
        ("http://127.0.0.2:40123/a/1234/archive-report", True),
        ("https://example.org/a?b=c&d=%2F", True),
        ("https://example.org/", True),
        ("https://example.org:443/", False),  # not normalised: left to httpx
        ("https://ex.org/a/./b", False),
        ("http://[::1]/x", False),
        ("https://xn--bcher-kva.example/", False),
        ("https://example.org/a%20b?q=%zz", False),
    ],
)
@pytest.mark.parametrize("extra", [{}, {"If-None-Match": '"v1"'}])
def test_the_fetchers_request_is_the_one_httpx_builds(
    url: str, plain: bool, extra: dict[str, str]
) -> None:
    from provenance.fetch.client import DirectSender, make_client
    from provenance.fetch.settings import FetchSettings
    from provenance.fetch.urls import plain_url_parts

    assert (plain_url_parts(url) is not None) is plain
    client = make_client(FetchSettings(allow_private=True))
    sender = DirectSender(client)
    built = sender.build(url, extra)
    merged = client.headers.copy()
    merged.update(extra)
    expected = httpx.Request(
        "GET", url, headers=merged, extensions={"timeout": client.timeout.as_dict()}
    )
    assert (built.method, built.url, built.extensions) == (
        expected.method,
        expected.url,
        expected.extensions,
    )
    assert built.headers.raw == expected.headers.raw
    assert built.read() == expected.content == b""
    # Each request has headers of its own: a cookie set on one stays on that one.
    built.headers["Cookie"] = "a=1"
    assert "cookie" not in sender.build(url, extra).headers


def test_requests_go_through_a_patched_transport_method() -> None:
    """pytest-httpx patches ``httpx.AsyncHTTPTransport.handle_async_request``: the pool's
    direct path steps aside while it does, so mocks see every request the fetcher sends."""
    import asyncio

    from provenance.fetch.client import DirectSender, make_client
    from provenance.fetch.pool import FastHTTPTransport
    from provenance.fetch.settings import FetchSettings

    transport = FastHTTPTransport(max_idle_per_origin=1, max_idle=1, keepalive_expiry=1.0)
    assert transport.is_direct()
    original = httpx.AsyncHTTPTransport.handle_async_request
    seen: list[str] = []

    async def patched(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, text="from the patch")

    async def fetch() -> str:
        client = make_client(FetchSettings(allow_private=True), transport)
        async with client:
            sender = DirectSender(client)
            response = await sender.send(sender.build("http://192.0.2.1/a", {}))
            await response.aread()
            return response.text

    httpx.AsyncHTTPTransport.handle_async_request = patched  # type: ignore[method-assign]
    try:
        assert not transport.is_direct()
        assert asyncio.run(fetch()) == "from the patch"
    finally:
        httpx.AsyncHTTPTransport.handle_async_request = original  # type: ignore[method-assign]
    assert seen == ["http://192.0.2.1/a"]
    assert transport.is_direct()


@given(
    st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 3)), min_size=1, max_size=60),
    st.integers(1, 3),
    st.integers(1, 8),
)
def test_every_job_runs_once_within_the_window_and_the_per_host_limit(
    jobs: list[tuple[str, int]], per_host: int, window: int
) -> None:
    import asyncio

    from provenance.fetch.fetcher import _gather_by_host

    live: dict[str, int] = {}
    peaks: dict[str, int] = {}
    done: list[int] = []

    def job(index: int, host: str, steps: int):  # type: ignore[no-untyped-def]
        async def run() -> None:
            live[host] = live.get(host, 0) + 1
            peaks[host] = max(peaks.get(host, 0), live[host])
            peaks["*"] = max(peaks.get("*", 0), sum(live.values()))
            for _ in range(steps):
                await asyncio.sleep(0)
            live[host] -= 1
            done.append(index)

        return run

    async def main() -> None:
        await _gather_by_host(
            [(host, job(i, host, steps)) for i, (host, steps) in enumerate(jobs)],
            per_host=per_host,
            window=window,
        )

    asyncio.run(main())
    assert sorted(done) == list(range(len(jobs)))
    assert peaks["*"] <= window
    assert all(peak <= per_host for host, peak in peaks.items() if host != "*")


@given(
    st.sampled_from(["http", "https", "HTTP", "ftp"]),
    _HOSTS,
    _PORTS,
    st.lists(_PIECES_OF_A_PATH, max_size=12).map("".join),
)
def test_a_plain_url_is_its_own_normal_form_and_shows_its_host(
    scheme: str, host: str, port: str, rest: str
) -> None:
    from urllib.parse import urlsplit

    from provenance.fetch import urls

    url = f"{scheme}://{host}{port}/{rest}"
    # The general path, without the memo and the shortcut.
    general = urls.normalize_url.__wrapped__
    try:
        original, urls.plain_url_parts = urls.plain_url_parts, lambda _: None  # type: ignore[assignment]
        expected = general(url)
        try:
            expected_host = (urlsplit(url).hostname or "").rstrip(".")
        except ValueError:
            expected_host = ""
    finally:
        urls.plain_url_parts = original  # type: ignore[assignment]
    assert general(url) == expected
    assert urls.host_of.__wrapped__(url) == expected_host
