"""Typed results of fetching: what one HTTP exchange was and what a URL's fetch concluded.

This file is the contract between the fetcher (``provenance.fetch``), the evidence
archive (``provenance.archive``) and the check pipeline. Fields may be added;
existing names keep their meaning.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

__all__ = ["FetchResult", "HttpExchange", "Reason", "Redirect", "Verdict"]


class Verdict(enum.StrEnum):
    """What a fetch says about a source, in the three words a reader needs."""

    ALIVE = "alive"
    DEAD = "dead"
    UNVERIFIABLE = "unverifiable"

    @property
    def is_alive(self) -> bool:
        """The source answered with content."""
        return self is Verdict.ALIVE

    @property
    def is_dead(self) -> bool:
        """The source is gone (404, 410, soft 404, DNS name gone...)."""
        return self is Verdict.DEAD

    @property
    def is_unverifiable(self) -> bool:
        """We could not tell: paywall, bot wall, rate limit, timeout, policy."""
        return self is Verdict.UNVERIFIABLE


class Reason(enum.StrEnum):
    """Why a fetch ended the way it did; each reason implies one ``Verdict``."""

    OK = "ok"
    REDIRECTED = "redirected"
    MOVED = "moved"
    NOT_FOUND = "not-found"
    GONE = "gone"
    FORBIDDEN = "forbidden"
    PAYWALL = "paywall"
    BOT_CHALLENGE = "bot-challenge"
    RATE_LIMITED = "rate-limited"
    SERVER_ERROR = "server-error"
    CLIENT_ERROR = "client-error"
    TIMEOUT = "timeout"
    DNS_ERROR = "dns-error"
    CONNECTION_ERROR = "connection-error"
    TLS_ERROR = "tls-error"
    TOO_LARGE = "too-large"
    TOO_MANY_REDIRECTS = "too-many-redirects"
    REDIRECT_LOOP = "redirect-loop"
    UNSUPPORTED_SCHEME = "unsupported-scheme"
    BLOCKED_BY_POLICY = "blocked-by-policy"
    SOFT_404 = "soft-404"
    OFFLINE = "offline"

    @property
    def verdict(self) -> Verdict:
        """The verdict this reason implies."""
        return _VERDICT_OF[self]

    @property
    def is_network_failure(self) -> bool:
        """Failed below HTTP (DNS or connection): the network, not the source, may be at fault."""
        return self in {Reason.DNS_ERROR, Reason.CONNECTION_ERROR, Reason.TIMEOUT, Reason.OFFLINE}

    @property
    def is_retryable(self) -> bool:
        """Worth another try later in the same run."""
        return self in {
            Reason.TIMEOUT,
            Reason.CONNECTION_ERROR,
            Reason.RATE_LIMITED,
            Reason.SERVER_ERROR,
            Reason.DNS_ERROR,
        }


_VERDICT_OF: dict[Reason, Verdict] = {
    Reason.OK: Verdict.ALIVE,
    Reason.REDIRECTED: Verdict.ALIVE,
    Reason.MOVED: Verdict.ALIVE,
    Reason.NOT_FOUND: Verdict.DEAD,
    Reason.GONE: Verdict.DEAD,
    Reason.SOFT_404: Verdict.DEAD,
    Reason.DNS_ERROR: Verdict.DEAD,
    Reason.REDIRECT_LOOP: Verdict.DEAD,
    Reason.TOO_MANY_REDIRECTS: Verdict.DEAD,
    Reason.CLIENT_ERROR: Verdict.DEAD,
    Reason.SERVER_ERROR: Verdict.DEAD,
    Reason.CONNECTION_ERROR: Verdict.DEAD,
    Reason.FORBIDDEN: Verdict.UNVERIFIABLE,
    Reason.PAYWALL: Verdict.UNVERIFIABLE,
    Reason.BOT_CHALLENGE: Verdict.UNVERIFIABLE,
    Reason.RATE_LIMITED: Verdict.UNVERIFIABLE,
    Reason.TIMEOUT: Verdict.UNVERIFIABLE,
    Reason.TLS_ERROR: Verdict.UNVERIFIABLE,
    Reason.TOO_LARGE: Verdict.UNVERIFIABLE,
    Reason.UNSUPPORTED_SCHEME: Verdict.UNVERIFIABLE,
    Reason.BLOCKED_BY_POLICY: Verdict.UNVERIFIABLE,
    Reason.OFFLINE: Verdict.UNVERIFIABLE,
}


@dataclass(frozen=True, slots=True)
class HttpExchange:
    """One HTTP request and its response, as sent and received: what the archive stores.

    A fetch that follows redirects produces one exchange per hop, in order.
    ``body`` is the payload as it came off the wire after transfer decoding but
    *before* content decoding (gzip stays gzip), so the WARC record is faithful;
    ``truncated`` says the body was cut at the size cap.
    """

    url: str
    method: str
    request_headers: tuple[tuple[str, str], ...]
    http_version: str
    status_code: int
    reason_phrase: str
    response_headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool
    started_at: datetime
    remote_ip: str | None = None


class Redirect(BaseModel):
    """One hop of a redirect chain: the URL that answered and the status it answered with."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    url: str
    status: int


class FetchResult(BaseModel):
    """What fetching one distinct URL concluded.

    ``from_cache`` is a fact about where the answer came from, not a status.
    ``digest`` is ``sha256:<hex>`` of the decoded payload, when there was one.
    ``evidence`` says, for soft 404s and bot challenges, what gave it away.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    url: str
    normalized_url: str
    verdict: Verdict
    reason: Reason
    http_status: int | None = None
    final_url: str | None = None
    redirects: tuple[Redirect, ...] = ()
    fetched_at: datetime
    digest: str | None = None
    content_type: str | None = None
    size: int | None = None
    from_cache: bool = False
    attempts: int = 1
    error: str | None = None
    evidence: str | None = None
    etag: str | None = None
    last_modified: str | None = None
