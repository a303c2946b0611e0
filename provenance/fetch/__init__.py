"""Fetching cited sources: one polite, fast pass over every distinct URL.

``Fetcher(settings, ...).fetch_all(urls)`` (or the synchronous ``fetch_urls``) returns a
``FetchRun`` with one ``FetchResult`` per normalised URL; each result's ``reason``
implies its ``verdict`` (alive, dead, unverifiable).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provenance._lazy import exports

if TYPE_CHECKING:
    from provenance.fetch.cache import DEFAULT_CACHE_DIR, CacheEntry, FetchCache
    from provenance.fetch.client import make_client
    from provenance.fetch.fetcher import (
        Fetcher,
        FetchPhase,
        FetchProgress,
        FetchRun,
        OnFetched,
        OnProgress,
        OnSettled,
        Probe,
        fetch_urls,
    )
    from provenance.fetch.models import FetchResult, HttpExchange, Reason, Redirect, Verdict
    from provenance.fetch.policy import Resolver, system_resolver
    from provenance.fetch.settings import DEFAULT_USER_AGENT, FetchSettings
    from provenance.fetch.urls import normalize_url

__all__ = [
    "DEFAULT_CACHE_DIR",
    "DEFAULT_USER_AGENT",
    "CacheEntry",
    "FetchCache",
    "FetchPhase",
    "FetchProgress",
    "FetchResult",
    "FetchRun",
    "FetchSettings",
    "Fetcher",
    "HttpExchange",
    "OnFetched",
    "OnProgress",
    "OnSettled",
    "Probe",
    "Reason",
    "Redirect",
    "Resolver",
    "Verdict",
    "fetch_urls",
    "make_client",
    "normalize_url",
    "system_resolver",
]

# Imported on first use: the CLI's start-up should not pay for httpx, warcio or lxml
# when a run does not fetch.
_EXPORTS: dict[str, str] = {
    "CacheEntry": "provenance.fetch.cache",
    "DEFAULT_CACHE_DIR": "provenance.fetch.cache",
    "DEFAULT_USER_AGENT": "provenance.fetch.settings",
    "FetchCache": "provenance.fetch.cache",
    "FetchPhase": "provenance.fetch.fetcher",
    "FetchProgress": "provenance.fetch.fetcher",
    "FetchResult": "provenance.fetch.models",
    "FetchRun": "provenance.fetch.fetcher",
    "FetchSettings": "provenance.fetch.settings",
    "Fetcher": "provenance.fetch.fetcher",
    "HttpExchange": "provenance.fetch.models",
    "OnFetched": "provenance.fetch.fetcher",
    "OnProgress": "provenance.fetch.fetcher",
    "OnSettled": "provenance.fetch.fetcher",
    "Probe": "provenance.fetch.fetcher",
    "Reason": "provenance.fetch.models",
    "Redirect": "provenance.fetch.models",
    "Resolver": "provenance.fetch.policy",
    "Verdict": "provenance.fetch.models",
    "fetch_urls": "provenance.fetch.fetcher",
    "make_client": "provenance.fetch.client",
    "normalize_url": "provenance.fetch.urls",
    "system_resolver": "provenance.fetch.policy",
}

__getattr__, __dir__ = exports(globals(), _EXPORTS)
