"""The first pass's shortcuts give what the code they replace gives, on generated input.

Each reference below is the code as it was before its shortcut (a regex over the whole
page, every segment of a title matched, the body reader's general loop, the URL regex
of one alternation per character). Pages are built from pieces chosen to cut where the
shortcuts cut: blocks that close late or never, tags left open, entities, digit runs,
non-ASCII whitespace, characters whose lower case is longer.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.fetch import classify, urls
from provenance.fetch.body import Body, read_body
from provenance.fetch.classify import short_page_text
from provenance.fetch.models import FetchResult, Reason, Redirect

_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>", re.S)
_INVISIBLE = re.compile(r"<(script|style|noscript|template|head)\b.*?</\1\s*>", re.I | re.S)


def _short_text_reference(text: str, *, is_html: bool) -> str | None:
    if len(text) > 32 * 1024:
        return None
    stripped = html.unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", text))) if is_html else text
    visible = _SPACE.sub(" ", stripped).strip()
    return visible if len(visible) <= 300 else None


def _error_segment_reference(text: str) -> bool:
    if classify._ERROR_SEGMENT.match(text.strip()):
        return True
    return any(
        classify._ERROR_SEGMENT.match(part.strip()) for part in classify._SEGMENT_SPLIT.split(text)
    )


_MARKUP = st.sampled_from(
    [
        "Some words of an article ",
        "x" * 70,
        "y ",
        " ",
        "\n",
        "\t\t",
        "\xa0",
        "\u2003",
        "\x1c",
        "İ",
        "<p>",
        "</p>",
        "<p class='a'",
        ">",
        "<",
        "<a <b>",
        "<head>",
        "</head>",
        "<HEAD><title>T</title></HEAD>",
        "<script>",
        "</script >",
        "</script",
        "<scripts>",
        "<style>p{}</style>",
        "<noscript>n</noscript>",
        "<template>",
        "</template>",
        "&amp;",
        "&amp",
        "&nbsp;",
        "&#32;",
        "&#x41;",
        "&#0000000000000000000000000000000000000000000000065;",
        "&",
        "&notit;",
        "#;",
        " " * 120,
    ]
)


@settings(max_examples=400)
@given(st.lists(_MARKUP, max_size=120).map("".join), st.booleans())
def test_the_short_page_text_is_the_reference_formulas(text: str, is_html: bool) -> None:
    assert short_page_text(text, is_html=is_html) == _short_text_reference(text, is_html=is_html)


@given(st.text(max_size=2000), st.booleans())
def test_the_short_page_text_of_any_text_is_the_reference_formulas(
    text: str, is_html: bool
) -> None:
    assert short_page_text(text, is_html=is_html) == _short_text_reference(text, is_html=is_html)


def test_a_long_article_is_settled_on_the_start_of_its_markup() -> None:
    article = "<html><head><title>A story</title></head><body><p>" + "Words of it. " * 200
    assert classify._visible_lower_bound(article) > 300
    assert short_page_text(article, is_html=True) is None
    # A head longer than the prefix settles nothing there; the whole page decides.
    scripted = "<html><head><script>" + "x=1;" * 300 + "</script></head><p>404</p></html>"
    assert classify._visible_lower_bound(scripted) == 0
    assert short_page_text(scripted, is_html=True) == "404"


_TITLE = st.sampled_from(
    [
        "Page",
        " not ",
        "Not",
        "found",
        "FOUND",
        "ſ",
        "K",
        "404",
        " | ",
        " - ",
        "–",
        "Oops! ",
        "Sorry, ",
        "Error ",
        "this page ",
        "doesn't exist",
        "no longer exists",
        "can't be found",
        "we can't find that page",
        "is missing",
        "unavailable",
        "Article 12",
    ]
)


@settings(max_examples=400)
@given(st.lists(_TITLE, max_size=8).map("".join))
def test_a_title_is_an_error_message_as_the_reference_says(title: str) -> None:
    assert classify._error_segment(title) is _error_segment_reference(title)


# --- reading a body that came whole -------------------------------------------------------


class _Whole(httpx.AsyncByteStream):
    """A body the transport has whole (as the fetcher's pool has a small page)."""

    def __init__(self, body: bytes) -> None:
        self._body: bytes | None = body

    def take_whole(self) -> bytes | None:
        body, self._body = self._body, None
        return body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._body:
            yield self._body


class _Pieces(httpx.AsyncByteStream):
    """The same body streamed in pieces: the reader's general loop."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self._body), 700):
            yield self._body[start : start + 700]


def _read(stream: httpx.AsyncByteStream, headers: dict[str, str], **caps: int | bool) -> Body:
    response = httpx.Response(200, headers=headers, stream=stream)
    return asyncio.run(read_body(response, **caps))  # type: ignore[arg-type]


@settings(max_examples=150)
@given(
    st.binary(max_size=3000),
    st.integers(0, 3000),
    st.integers(0, 3000),
    st.integers(0, 3000),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["", "identity", "gzip"]),
)
def test_a_body_that_came_whole_is_read_as_the_general_loop_reads_it(
    body: bytes,
    max_raw: int,
    max_decoded: int,
    sniff_limit: int,
    keep_raw: bool,
    decode: bool,
    encoding: str,
) -> None:
    headers = {"content-encoding": encoding} if encoding else {}
    caps = {
        "max_raw": max_raw,
        "max_decoded": max_decoded,
        "sniff_limit": sniff_limit,
        "keep_raw": keep_raw,
        "decode": decode,
    }
    whole = _read(_Whole(body), headers, **caps)
    assert whole == _read(_Pieces(body), headers, **caps)
    if not encoding and len(body) <= min(max_raw, max_decoded):
        assert whole.digest == (_digest(body) if decode else None)


def _digest(body: bytes) -> str:
    import hashlib

    return f"sha256:{hashlib.sha256(body).hexdigest()}"


# --- plain URLs -----------------------------------------------------------------------

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_PCHARS = r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]"
_PLAIN_URL_REFERENCE = re.compile(
    rf"(https?)://((?:{_OCTET}\.){{3}}{_OCTET}|{_LABEL}(?:\.{_LABEL})*)(?::([1-9][0-9]{{0,4}}))?"
    rf"(/(?:{_PCHARS}|%[0-9A-Fa-f]{{2}})*)(?:\?((?:{_PCHARS}|\?|%[0-9A-Fa-f]{{2}})*))?"
)

_URL_PIECES = st.sampled_from(
    [*"aZ09-._~!$&'()*+,;=:@/?#[] \"<>%é\t", "%2F", "%2f", "%zz", "%4", "%%41", "?%", "//"]
)


@given(
    st.sampled_from(["http", "https", "HTTP"]),
    st.sampled_from(["example.org", "127.0.0.1", "a-b.example", "Example.org", "[::1]"]),
    st.sampled_from(["", ":8080", ":80"]),
    st.lists(_URL_PIECES, max_size=14).map("".join),
)
def test_a_url_is_plain_where_the_reference_pattern_says_so(
    scheme: str, host: str, port: str, rest: str
) -> None:
    url = f"{scheme}://{host}{port}/{rest}"
    assert urls.plain_url_parts(url) == _plain_url_parts_reference(url)


def _plain_url_parts_reference(url: str) -> urls.UrlParts | None:
    match = _PLAIN_URL_REFERENCE.fullmatch(url)
    if match is None:
        return None
    scheme, host, port_text, path, query = match.groups()
    if "xn--" in host:
        return None
    if "." in path:
        segments = path.split("/")
        if "." in segments or ".." in segments:
            return None
    port = int(port_text) if port_text is not None else None
    if port is not None and (port > 65535 or port == urls.DEFAULT_PORTS[scheme]):
        return None
    return scheme, host, port, path, query


@given(
    st.sampled_from(["http", "https"]),
    st.sampled_from(["example.org", "127.0.0.2:8080", "a.example"]),
    st.lists(_URL_PIECES, max_size=10).map("".join),
    st.sampled_from(
        ["https://example.org/x/y?q", "http://127.0.0.2:8080/a/./b", "http://other.example/"]
    ),
)
def test_a_plain_location_joins_to_itself(scheme: str, host: str, rest: str, current: str) -> None:
    from urllib.parse import urljoin

    location = f"{scheme}://{host}/{rest}"
    if urls.plain_url_parts(location) is None:
        return  # joined by urljoin, as before
    assert urls.normalize_url(location) == urls.normalize_url(urljoin(current, location))
    assert classify._path_and_query(location) == _split_path_and_query(location)


def _split_path_and_query(url: str) -> tuple[str, str]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path, parts.query


# --- results built without validation ------------------------------------------------


@given(
    st.sampled_from(list(Reason)),
    st.one_of(st.none(), st.integers(100, 999)),
    st.text(max_size=20),
    st.lists(st.tuples(st.text(max_size=10), st.integers(300, 399)), max_size=3),
    st.one_of(st.none(), st.text(max_size=10)),
    st.booleans(),
)
def test_a_result_the_fetcher_builds_is_the_validated_one(
    reason: Reason,
    status: int | None,
    text: str,
    hops: list[tuple[str, int]],
    optional: str | None,
    concluded: bool,
) -> None:
    from datetime import UTC, datetime

    from provenance.fetch import fetcher

    redirects = tuple(fetcher._redirect(url, code) for url, code in hops)
    assert redirects == tuple(Redirect(url=url, status=code) for url, code in hops)
    given_values: dict[str, object] = {
        "url": text,
        "normalized_url": text + "/",
        "verdict": reason.verdict,
        "reason": reason,
        "http_status": status,
        "final_url": optional,
        "redirects": redirects,
        "fetched_at": datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        "error": optional,
    }
    fields = fetcher._FAILURE_FIELDS
    if concluded:
        fields = fetcher._CONCLUDED_FIELDS
        given_values |= {
            "digest": optional,
            "content_type": optional,
            "size": status,
            "evidence": optional,
            "etag": optional,
            "last_modified": optional,
        }
    assert set(given_values) == fields
    built = fetcher._result(fields, **given_values)
    assert fetcher._same_instance(FetchResult(**given_values), built)  # type: ignore[arg-type]
    assert built.model_copy(update={"attempts": 2}).attempts == 2


# --- the bot-wall marker search in C ---------------------------------------------------

_PURE = os.environ.get("PROVENANCE_PURE_PYTHON", "") not in ("", "0")
needs_compiled = pytest.mark.skipif(
    classify._sniff is None, reason="provenance/fetch/_sniff.c is not built (pure Python)"
)

_SNIFF_PIECES = st.sampled_from(
    [
        *(marker for marker in classify._ALL_MARKERS),
        *(marker.upper() for marker in classify._ALL_MARKERS),
        "Checking Your Browser",
        "captch",
        "CAPTCHA",
        "cf-",
        "_cf_",
        "<div class='g-recaptcha'>",
        "hcaptcha",
        "a",
        " ",
        "\n",
        "é",
        "É",
        "ß",
        "Σ",
        "😀",
        "\u0100",
        "İ",  # lower-cases to "i" + U+0307
        "K",  # the Kelvin sign: lower-cases to "k"
        "chec",
        "king your browser before accessing",
        "x" * 40,
    ]
)


@needs_compiled
@settings(max_examples=500)
@given(
    st.lists(_SNIFF_PIECES, max_size=30).map("".join),
    st.booleans(),
    st.sampled_from([0, 5, 40, 64 * 1024]),
)
def test_the_compiled_marker_search_finds_what_the_python_finds(
    text: str, weak_too: bool, limit: int
) -> None:
    assert classify._sniff is not None
    markers = classify._ALL_MARKERS if weak_too else classify._STRONG
    found = classify._sniff.first_marker(text, markers, limit)
    expected = classify.first_marker(text, markers, limit)
    if found == -2:  # the Python decides (U+0130 or U+212A in the text)
        assert "İ" in text[:limit] or "K" in text[:limit]
    else:
        assert found == expected


@needs_compiled
@given(st.text(max_size=300), st.sampled_from([0, 64 * 1024]))
def test_the_compiled_marker_search_finds_what_the_python_finds_in_any_text(
    text: str, limit: int
) -> None:
    assert classify._sniff is not None
    found = classify._sniff.first_marker(text, classify._ALL_MARKERS, limit)
    if found != -2:
        assert found == classify.first_marker(text, classify._ALL_MARKERS, limit)


@pytest.mark.parametrize("status", [200, 403, 503])
@pytest.mark.parametrize(
    "body",
    [
        "<p>An article.</p>",
        "<script src='/cdn-cgi/challenge-platform/h/b'></script>",
        "<div class='g-recaptcha'></div> and PX-Captcha",
        "Please wait... cheçKing your browser before accessing",
        "İ <div class='h-captcha'></div>",
    ],
)
def test_the_evidence_for_a_bot_wall_is_the_same_either_way(status: int, body: str) -> None:
    headers: dict[str, str] = {}
    compiled = classify.bot_challenge_evidence(status, headers, body, title=None)
    kept, classify._sniff = classify._sniff, None
    try:
        python = classify.bot_challenge_evidence(status, headers, body, title=None)
    finally:
        classify._sniff = kept
    assert compiled == python


def test_the_compiled_marker_search_is_built_unless_pure_python_is_asked_for() -> None:
    # An install with a compiler builds it (setup.py); only PROVENANCE_PURE_PYTHON=1 runs
    # without it, so a broken build cannot pass the suite as the fast one.
    if _PURE:
        assert classify._sniff is None
    else:
        assert classify._sniff is not None, (
            "provenance/fetch/_sniff.c is not built: reinstall with a C compiler "
            "(pip install -e .), or set PROVENANCE_PURE_PYTHON=1 to test the Python scans"
        )


# --- slots taken without a coroutine ---------------------------------------------------


def test_slots_are_taken_in_turn_and_never_more_than_there_are() -> None:
    from provenance.fetch.pacing import Slots

    async def main() -> list[str]:
        slots = Slots(2)
        order: list[str] = []
        held = 0
        peak = 0

        async def user(name: str) -> None:
            nonlocal held, peak
            if not slots.try_take():
                await slots.take()
            held += 1
            peak = max(peak, held)
            order.append(name)
            await asyncio.sleep(0)
            held -= 1
            slots.give()

        await asyncio.gather(*(user(str(n)) for n in range(7)))
        assert peak == 2
        return order

    assert asyncio.run(main()) == [str(n) for n in range(7)]


def test_a_cancelled_waiter_takes_no_slot_and_passes_on_one_it_was_handed() -> None:
    from provenance.fetch.pacing import Slots

    async def main() -> None:
        slots = Slots(1)
        assert slots.try_take()
        first = asyncio.ensure_future(slots.take())
        second = asyncio.ensure_future(slots.take())
        await asyncio.sleep(0)
        first.cancel()  # cancelled while waiting: leaves the queue
        await asyncio.gather(first, return_exceptions=True)
        assert not slots.try_take()  # still held, and the second one waits
        slots.give()  # handed to the second waiter...
        second.cancel()  # ...which is cancelled before it runs: the slot goes back
        await asyncio.gather(second, return_exceptions=True)
        assert slots.try_take()
        assert not slots.try_take()

    asyncio.run(main())


# --- the address policy's answer without a coroutine -----------------------------------


@pytest.mark.parametrize("allow_private", [False, True])
def test_the_policy_known_without_waiting_is_what_asking_answers(allow_private: bool) -> None:
    from provenance.fetch import Fetcher, FetchSettings
    from provenance.fetch.client import make_client
    from provenance.fetch.fetcher import _ASK, _Run

    answers = {"public.example": ["93.184.216.34"], "inside.example": ["10.0.0.8"]}

    async def resolver(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError("no such name")
        return answers[host]

    candidates = [
        "https://public.example/a",
        "https://inside.example/b",
        "https://gone.example/c",
        "http://127.0.0.1:8080/d",
        "http://10.1.2.3/e",
        "http://93.184.216.34/f",
        "ftp://public.example/g",
        "https://public.example:443/h",
        "http://[::1]/i",
    ]

    async def main() -> None:
        settings = FetchSettings(allow_private=allow_private)
        fetcher = Fetcher(settings, resolver=resolver)
        async with make_client(settings) as client:
            run = _Run(fetcher, client, {})
            for url in candidates:
                before = run.refusal_now(url)
                asked = await run.refusal(url)
                assert before in (_ASK, asked)
                after = run.refusal_now(url)
                assert after in (_ASK, asked)
                if urls.plain_url_parts(url) is not None:
                    assert after == asked  # known now: no coroutine the next time

    asyncio.run(main())


def test_results_are_built_unvalidated_only_while_their_fields_are_the_ones_it_fills() -> None:
    from provenance.fetch import fetcher

    assert fetcher._check_trusted_build()
    assert tuple(FetchResult.model_fields) == fetcher._RESULT_FIELDS
    kept = fetcher._RESULT_FIELDS
    try:
        fetcher._RESULT_FIELDS = (*kept, "a_new_field")  # type: ignore[assignment]
        assert not fetcher._check_trusted_build()
    finally:
        fetcher._RESULT_FIELDS = kept  # type: ignore[assignment]
