"""The fetcher's own shortcuts give what the httpx calls they replace would."""

from __future__ import annotations

import codecs

import httpx
import pytest

from provenance.fetch.fetcher import _header_items, _text_of


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
    assert _text_of(sniff, response) == sniff.decode(expected, errors="replace")


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
    assert _header_items(headers) == tuple(headers.multi_items())
