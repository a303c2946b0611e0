"""The one place the HTTP client and its transport are built.

Everything the fetcher sends goes through the client made here, so swapping the
transport after benchmarking (httpx's own, ``httpx-aiohttp``...) is a change to this file
only. With no transport given, httpx builds its default ``AsyncHTTPTransport``, which is
what pytest-httpx mocks, and mounts proxy transports from the environment when
``settings.trust_env`` is set.
"""

from __future__ import annotations

from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from provenance.fetch.body import ACCEPT_ENCODING
from provenance.fetch.settings import FetchSettings

__all__ = ["make_client"]

_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_ACCEPT_LANGUAGE = "en;q=0.9,*;q=0.5"
# Idle keep-alive connections are closed after this long; runs are short bursts.
_KEEPALIVE_EXPIRY_S = 15.0


def make_client(
    settings: FetchSettings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with one pool sized to ``settings.concurrency``.

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
    return httpx.AsyncClient(
        transport=transport,
        limits=limits,
        timeout=timeout,
        headers=headers,
        follow_redirects=False,
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        trust_env=settings.trust_env,
    )
