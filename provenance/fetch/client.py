"""The one place the HTTP client and its transport are built.

Everything the fetcher sends goes through the client made here, so swapping the
transport after benchmarking (httpx's own, ``httpx-aiohttp``...) is a change to this file
only.

With no transport given, the client uses ``FastHTTPTransport``: httpx's own
``AsyncHTTPTransport`` (which pytest-httpx mocks) on a constant-time connection pool,
because httpcore's pool is quadratic in the requests in flight (see
``provenance.fetch.pool``). When ``settings.trust_env`` is set and the environment names
a proxy, httpx's default transport is used instead, so its proxy mounts apply.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Mapping, Sequence
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from provenance.fetch.body import ACCEPT_ENCODING
from provenance.fetch.pinning import PinnedBackend
from provenance.fetch.pool import FastHTTPTransport
from provenance.fetch.settings import FetchSettings
from provenance.fetch.urls import UrlParts, plain_url_parts

__all__ = ["DirectSender", "make_client", "parse_url"]

_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_ACCEPT_LANGUAGE = "en;q=0.9,*;q=0.5"
# Idle keep-alive connections are closed after this long; runs are short bursts.
_KEEPALIVE_EXPIRY_S = 15.0


def _environment_names_a_proxy() -> bool:
    proxies = urllib.request.getproxies()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


def make_client(
    settings: FetchSettings,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    pins: Mapping[str, Sequence[str]] | None = None,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with one pool sized to ``settings.concurrency``.

    ``pins`` (host name -> vetted addresses, filled by the fetcher as it vets names)
    makes the default transport connect only to those addresses and never resolve a
    name again (see ``provenance.fetch.pinning``). An injected transport, or the proxy
    transport used when the environment names a proxy, is used as it is.

    Redirects are not followed (the fetcher follows them hop by hop) and the client's
    cookie jar refuses every cookie: cookies live only within one URL's redirect chain,
    so one source cannot influence how another is fetched.
    """
    limits = httpx.Limits(
        max_connections=settings.concurrency,
        max_keepalive_connections=settings.concurrency,
        keepalive_expiry=_KEEPALIVE_EXPIRY_S,
    )
    timeout = httpx.Timeout(
        connect=settings.connect_timeout_s,
        read=settings.read_timeout_s,
        write=settings.read_timeout_s,
        pool=settings.total_timeout_s,
    )
    headers = {
        "User-Agent": settings.user_agent,
        "Accept": _ACCEPT,
        "Accept-Language": _ACCEPT_LANGUAGE,
        "Accept-Encoding": ACCEPT_ENCODING,
    }
    if transport is None and not (settings.trust_env and _environment_names_a_proxy()):
        transport = FastHTTPTransport(
            max_idle_per_origin=settings.host_concurrency,
            max_idle=settings.concurrency,
            keepalive_expiry=_KEEPALIVE_EXPIRY_S,
            trust_env=settings.trust_env,
            network_backend=PinnedBackend(pins) if pins is not None else None,
        )
    return httpx.AsyncClient(
        transport=transport,
        limits=limits,
        timeout=timeout,
        headers=headers,
        follow_redirects=False,
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        trust_env=settings.trust_env,
    )


# --- a canonical URL parsed without httpx's general parser ----------------------------
#
# ``httpx.URL(text)`` validates and re-quotes every component (a generator over every
# character, a regex per component, ``ipaddress`` for IPv4 literals): ~10-20 us per
# request, the largest single cost of building one. The fetcher only sends URLs it has
# normalised (``provenance.fetch.urls.normalize_url``), and most of those are plain
# (``provenance.fetch.urls.plain_url_parts``): for those, httpx's parse result is known
# without parsing, the components themselves. Anything else (userinfo, IPv6, IDNA, dot
# segments, characters httpx would escape) goes through ``httpx.URL``. A test holds the
# shortcut to ``httpx.URL`` over generated URLs; if httpx's internals ever change shape,
# the shortcut switches itself off (``_URL_FROM_PARTS`` is None) and ``httpx.URL`` is used.


def _url_from_parts_factory() -> Callable[[UrlParts], httpx.URL] | None:
    try:
        from httpx._urlparse import ParseResult
    except ImportError:  # pragma: no cover - another httpx
        return None
    probe = httpx.URL("http://example.org:8080/p?q")
    if getattr(probe, "_uri_reference", None) != ParseResult(
        "http", "", "example.org", 8080, "/p", "q", None
    ):  # pragma: no cover - another httpx
        return None

    def url_from_parts(parts: UrlParts) -> httpx.URL:
        scheme, host, port, path, query = parts
        url = httpx.URL.__new__(httpx.URL)
        url._uri_reference = ParseResult(scheme, "", host, port, path, query, None)
        return url

    return url_from_parts


_URL_FROM_PARTS = _url_from_parts_factory()


def parse_url(url: str) -> httpx.URL | None:
    """``httpx.URL(url)`` without httpx's general parser, or None if ``url`` is not plain."""
    if _URL_FROM_PARTS is None:
        return None  # pragma: no cover - another httpx
    parts = plain_url_parts(url)
    return _URL_FROM_PARTS(parts) if parts is not None else None


# Requests never carry a body: one empty stream serves them all (it holds no state).
_NO_BODY = httpx.ByteStream(b"")
# Prepared request headers (Host, then the client's) per netloc, at most this many.
_HEADERS_KEPT = 1024


class DirectSender:
    """Sends the fetcher's GETs straight to ``client``'s transport, skipping ``client.send``.

    The fetcher follows redirects, keeps cookies per redirect chain and bounds time
    itself, so what ``AsyncClient.send`` adds per request (auth and redirect
    machinery, event hooks, the cookie jar's extraction, which builds a
    ``urllib.request.Request`` for every response even when the jar refuses all
    cookies, and a stream wrapper timing the response) is pure cost: a third of the
    client's CPU per request at 64 in flight. Requests are built as
    ``client.build_request`` builds them (the client's headers, then these, and the
    client's timeouts) and go to the transport the client would pick for the URL
    (a proxy mount, or its transport), so pytest-httpx, which patches the transport,
    still sees every one.
    """

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client
        self._headers = client.headers
        self._extensions = {"timeout": client.timeout.as_dict()}
        self._prepared: dict[bytes, httpx.Headers] = {}

    def build(self, url: str, headers: dict[str, str]) -> httpx.Request:
        """A GET of ``url`` with the client's headers, then ``headers`` over them.

        The same request ``httpx.Request("GET", url, headers=...)`` builds (``Host``
        first, an empty body), made from a URL parsed without httpx's general parser
        where it can be and headers prepared once per host: ``httpx.Request``
        re-validates every header and encodes an empty body for each request. The body
        is not read into ``request.content`` up front (``read()`` does it, as for a
        streamed request; pytest-httpx calls it before matching).
        """
        parsed = parse_url(url) if not headers else None
        if parsed is None:
            merged = self._headers
            if headers:
                merged = merged.copy()
                merged.update(headers)
            # httpx.Request copies the headers it is given: the client's are not shared.
            return httpx.Request("GET", url, headers=merged, extensions=dict(self._extensions))
        netloc = parsed.netloc
        prepared = self._prepared.get(netloc)
        if prepared is None:
            if len(self._prepared) >= _HEADERS_KEPT:
                self._prepared.clear()
            prepared = self._prepared[netloc] = httpx.Headers(
                [(b"Host", netloc), *self._headers.raw]
            )
        # Given a stream, httpx.Request adds no header and encodes nothing; it copies
        # the headers, so a cookie header set on one request stays on that request.
        return httpx.Request(
            "GET", parsed, headers=prepared, extensions=dict(self._extensions), stream=_NO_BODY
        )

    async def send(self, request: httpx.Request) -> httpx.Response:
        """The response, its body not yet read (close it once read)."""
        # httpx's own choice of transport for a URL (proxy mounts first).
        transport = self._client._transport_for_url(request.url)
        if isinstance(transport, FastHTTPTransport) and transport.is_direct():
            response = await transport.send_direct(request)
        else:
            response = await transport.handle_async_request(request)
        response.request = request
        return response
