"""Fetching cited sources: one polite, fast pass over every distinct URL.

``Fetcher(settings, ...).fetch_all(urls)`` (or the synchronous ``fetch_urls``) returns a
``FetchRun`` with one ``FetchResult`` per normalised URL; each result's ``reason``
implies its ``verdict`` (alive, dead, unverifiable).
"""

from provenance.fetch.cache import DEFAULT_CACHE_DIR, CacheEntry, FetchCache
from provenance.fetch.client import make_client
from provenance.fetch.fetcher import (
    Fetcher,
    FetchPhase,
    FetchProgress,
    FetchRun,
    OnFetched,
    OnProgress,
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
