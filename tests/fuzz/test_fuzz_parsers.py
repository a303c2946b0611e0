"""A bounded fuzz run over every parser that reads untrusted text or bytes.

Each target takes arbitrary input and may only answer or raise provenance's own
one-line error for it, never anything else. In CI the run is small and derandomised
(the same inputs every time, a few seconds in all); a longer, random run by hand::

    PROVENANCE_FUZZ_EXAMPLES=20000 pytest tests/fuzz -p no:cacheprovider

(``PROVENANCE_FUZZ_EXAMPLES`` set means random inputs, as many per target.) Hypothesis
shrinks what it finds to a minimal input and prints it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provenance.archive.text import extract as extract_text
from provenance.config import load_settings
from provenance.dates import parse_date
from provenance.documents import load_document
from provenance.errors import ConfigError, DocumentError, SourcesError
from provenance.extract import extract
from provenance.fetch import Fetcher, FetchSettings
from provenance.fetch.body import read_body
from provenance.fetch.classify import bot_challenge_evidence, page_text_parts, soft_404_evidence
from provenance.fetch.pacing import retry_after_seconds
from provenance.fetch.policy import blocked_host_reason, literal_address
from provenance.fetch.urls import host_of, normalize_url
from provenance.sources import load_sources
from provenance.tomlpos import key_lines

_EXAMPLES = os.environ.get("PROVENANCE_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(_EXAMPLES) if _EXAMPLES else 60,
    derandomize=_EXAMPLES is None,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# Arbitrary text, and text built from the pieces these parsers care about.
_TOML_PIECES = [
    "[sources.a]\n", "[documents.\"d.md\".sources.1]\n", "url = ", '"https://e.org/"', "\n",
    "[[ignore]]\n", "[fetch]\n", "title = ", "accessed = ", "2024-01-01", "[", "]", "{", "}",
    '"', "'", "'''", '"""', "=", ".", ",", "#", "\\", "\\u0000", "x", "1", "true", "[[", "]]",
    "paths = ", "boilerplate = ", "fail_under = ", "1e999", "-0", "nan", "\x00", "\r",
]  # fmt: skip
_URL_PIECES = [
    "http://", "https://", "ftp://", "//", "[", "]", "::1", "::ffff:", "127.0.0.1", "0x7f",
    "0177", ".", ":", "@", "%", "%zz", "%00", "#", "?", "/", "..", "xn--", "ü", "\x00", " ",
    "localhost", "2130706433", "99999", "-", "\\",
]  # fmt: skip
_HTML_PIECES = [
    "<html>", "</html>", "<head>", "<title>", "</title>", "<h1>", "</h1>", "<body>", "<p>",
    "<script>", "</script>", "<!--", "-->", "<![CDATA[", "]]>", "&", "&#0;", "&#x110000;",
    "<meta charset=", "utf-8>", "x-bogus>", "Not Found", "404", "Just a moment", "<", ">",
    "\x00", "\ufeff", "\ud800",
]  # fmt: skip


def _mixed(pieces: list[str]) -> st.SearchStrategy[str]:
    built = st.lists(st.one_of(st.sampled_from(pieces), st.text(max_size=6)), max_size=30)
    return st.one_of(st.text(max_size=300), built.map("".join))


def _mixed_bytes(pieces: list[str]) -> st.SearchStrategy[bytes]:
    encoded = _mixed(pieces).map(lambda t: t.encode("utf-8", "surrogatepass"))
    return st.one_of(st.binary(max_size=600), encoded)


def _in_file(name: str, data: bytes, action: Callable[[Path], Any]) -> Any:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_bytes(data)
        return action(path)


@FUZZ
@given(_mixed_bytes(_HTML_PIECES), st.sampled_from(["a.txt", "a.md", "a.html"]))
def test_reading_and_extracting_any_document(data: bytes, name: str) -> None:
    def read(path: Path) -> None:
        try:
            document = load_document(path, name, root=path.parent)
        except DocumentError as exc:
            assert "\n" not in exc.one_line()  # noqa: PT017 -- any input, one line
            return
        extract(document)

    _in_file(name, data, read)


@FUZZ
@given(_mixed_bytes(_TOML_PIECES))
def test_reading_any_sources_toml(data: bytes) -> None:
    def read(path: Path) -> None:
        try:
            load_sources(path, display="sources.toml")
        except SourcesError as exc:
            assert exc.one_line().startswith("sources.toml")  # noqa: PT017

    _in_file("sources.toml", data, read)


@FUZZ
@given(_mixed(_TOML_PIECES))
def test_reading_any_config(text: str) -> None:
    def read(path: Path) -> None:
        try:
            load_settings(path.parent)
        except ConfigError as exc:
            assert exc.one_line().startswith("provenance.toml")  # noqa: PT017

    _in_file("provenance.toml", text.encode("utf-8", "surrogatepass"), read)
    key_lines(text)


@FUZZ
@given(_mixed(_URL_PIECES))
def test_urls_and_hosts_of_any_text(text: str) -> None:
    normalized = normalize_url(text)
    assert normalize_url(normalized) == normalized  # one key per URL, however often applied
    host_of(text)
    literal_address(text)
    blocked_host_reason(text)


@FUZZ
@given(_mixed(_HTML_PIECES), st.booleans(), st.integers(100, 599))
def test_classifying_any_page(text: str, is_html: bool, status: int) -> None:
    title, h1, short = page_text_parts(text, is_html=is_html)
    headers = httpx.Headers({"server": "fuzz"})
    bot_challenge_evidence(status, headers, text, title=title)
    soft_404_evidence(
        "https://e.org/a", "https://e.org/b", (), title=title, h1=h1, short_text=short
    )


@FUZZ
@given(
    _mixed_bytes(_HTML_PIECES),
    st.sampled_from(["", "gzip", "deflate", "br", "gzip, deflate", "identity", "x"]),
    st.sampled_from(["text/html", "text/html; charset=x-bogus", "text/plain", "", "a/b;;="]),
)
def test_reading_and_extracting_any_response_body(
    body: bytes, encoding: str, content_type: str
) -> None:
    headers = [("Content-Type", content_type), ("Content-Encoding", encoding)]
    extraction = extract_text(body, headers, max_decoded_bytes=1 << 20)
    assert extraction.text is None or isinstance(extraction.text, str)

    async def read() -> None:
        response = httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))
        result = await read_body(
            response, max_raw=1 << 20, max_decoded=1 << 20, sniff_limit=4096, keep_raw=True
        )
        assert result.raw == body

    asyncio.run(read())


@FUZZ
@given(st.one_of(st.text(max_size=60), _mixed(["2024", "-", "01", "T", "Z", "+", ":", "GMT"])))
def test_dates_and_retry_after_of_any_text(text: str) -> None:
    parse_date(text)
    delay = retry_after_seconds(text, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert delay is None or delay >= 0


async def _idna_resolver(host: str, port: int) -> list[str]:
    """What getaddrinfo does before any lookup (IDNA-encode the name), then a public answer."""
    host.encode("idna")
    return ["93.184.216.34"]


@FUZZ
@given(st.lists(_mixed(_URL_PIECES), min_size=1, max_size=4))
def test_fetching_any_url_text_concludes(urls: list[str]) -> None:
    """The whole fetcher on URL text from documents: a verdict for each, never an error."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="page " * 40))
    settings = FetchSettings(recheck=False, max_retries=0, trust_env=False)
    fetcher = Fetcher(settings, transport=transport, resolver=_idna_resolver)
    run = asyncio.run(fetcher.fetch_all(urls))
    assert set(run.results) == {normalize_url(url) for url in urls}
