"""The fetch engine: every distinct URL fetched once, politely, with a verdict for each.

One run (``Fetcher.fetch_all``) goes:

1. normalise and de-duplicate the URLs;
2. answer what the cache may answer (alive results younger than a day, unverifiable
   refusals younger than an hour); stale alive entries with an ETag or Last-Modified
   are revalidated with a conditional request;
3. fetch the rest concurrently, each URL in attempts of hop-by-hop redirects, retried
   with backoff on timeouts, connection errors, 408, 429, 502, 503 and 504;
4. fetch once more every URL that is not alive (and not a deterministic refusal)
   before reporting it, ``recheck_delay_s`` after its failure (during the first pass,
   once some host has answered; a failure below HTTP with a fresh DNS answer), unless
5. every host failed at the DNS/connection level: then the run is offline, those
   results become ``offline`` (unverifiable) and nothing is declared dead;
6. write the results to the cache: those already final while the run waits for its
   re-checks, the rest at the end.
"""

from __future__ import annotations

import asyncio
import codecs
import enum
import functools
import os
import random
import re
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict

from provenance.errors import FetchError, ProvenanceError
from provenance.fetch.body import Body, read_body
from provenance.fetch.cache import CacheEntry, FetchCache
from provenance.fetch.classify import (
    PERMANENT_REDIRECTS,
    bot_challenge_evidence,
    classify_exception,
    classify_status,
    page_headings,
    short_page_text,
    soft_404_evidence,
)
from provenance.fetch.client import DirectSender, make_client
from provenance.fetch.eventloop import run_loop
from provenance.fetch.models import FetchResult, HttpExchange, Reason, Redirect, Verdict
from provenance.fetch.pacing import (
    Clock,
    HostGates,
    Sleep,
    Slots,
    backoff_delay,
    retry_after_seconds,
)
from provenance.fetch.pinning import pin_key
from provenance.fetch.policy import (
    IPAddress,
    Resolver,
    blocked_address_reason,
    blocked_host_reason,
    literal_address,
    system_resolver,
)
from provenance.fetch.settings import FetchSettings
from provenance.fetch.urls import DEFAULT_PORTS, host_of, normalize_url, plain_url_parts

__all__ = [
    "FetchPhase",
    "FetchProgress",
    "FetchRun",
    "Fetcher",
    "OnFetched",
    "OnProgress",
    "OnSettled",
    "Probe",
    "fetch_urls",
]

# Tasks alive at once: this many per unit of concurrency, and per unit of a host's
# concurrency for one host (see _gather_by_host).
_TASKS_PER_SLOT = 4
_TASKS_PER_HOST_SLOT = 2
# The decoded start of a page kept for title/h1/bot-wall checks.
_SNIFF_BYTES = 256 * 1024
# Redirect bodies are drained (so the connection can be reused) up to this size.
_REDIRECT_BODY_CAP = 64 * 1024
# Reasons that say nothing new on a second look: re-fetching them is wasted traffic.
_FINAL_REASONS = frozenset(
    {
        Reason.BLOCKED_BY_POLICY,
        Reason.UNSUPPORTED_SCHEME,
        Reason.FORBIDDEN,
        Reason.PAYWALL,
        Reason.BOT_CHALLENGE,
        Reason.TOO_LARGE,
        Reason.TLS_ERROR,
    }
)
# Cache rows written per transaction; the event loop runs between chunks.
_CACHE_CHUNK = 256
# Results told final to ``on_settled`` at a time; the event loop runs between chunks.
_SETTLED_CHUNK = 64
# Reasons decided without contacting the network: no evidence about connectivity.
_LOCAL_REASONS = frozenset({Reason.BLOCKED_BY_POLICY, Reason.UNSUPPORTED_SCHEME})
_OFFLINE_EVIDENCE = "every host in the run failed at the network level"
# ``_Run._literal_policy``'s answers other than a refusal (compared by identity).
_LITERAL_ALLOWED: tuple[Reason, str] = (Reason.OK, "an address the settings allow")
_NEEDS_DNS: tuple[Reason, str] = (Reason.OK, "a name: resolve it and vet its addresses")


class _Ask(enum.Enum):
    """``_Run.refusal_now``'s "not known without waiting: ask ``refusal``"."""

    ASK = "ask"


_ASK = _Ask.ASK


class FetchPhase(enum.StrEnum):
    """Which pass of a run a progress event belongs to."""

    FETCH = "fetch"
    RECHECK = "recheck"

    @property
    def is_recheck(self) -> bool:
        """The second look at failures, after the first pass."""
        return self is FetchPhase.RECHECK


class FetchProgress(BaseModel):
    """One URL finished: ``done`` of ``total`` in ``phase``, and what it concluded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    done: int
    total: int
    url: str
    result: FetchResult
    phase: FetchPhase = FetchPhase.FETCH


class FetchRun(BaseModel):
    """What one run concluded.

    ``results`` maps each normalised URL to its result, in the order URLs were given.
    ``offline`` says the network, not the sources, failed (see ``Fetcher``).
    ``requests`` counts HTTP requests actually sent; ``cache_hits`` the results the
    cache answered without any request.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    results: dict[str, FetchResult]
    offline: bool = False
    requests: int = 0
    cache_hits: int = 0

    def result_for(self, url: str) -> FetchResult | None:
        """The result for ``url`` as written in the document (normalised here)."""
        return self.results.get(normalize_url(url))


OnProgress = Callable[[FetchProgress], None]
"""Called after each URL finishes; the CLI draws its progress bar from these."""

OnFetched = Callable[[FetchResult, Sequence[HttpExchange]], FetchResult]
"""The archive hook: gets each fresh result and the exchanges of its final attempt."""

Probe = Callable[[], Awaitable[bool]]
"""``async () -> network is up``: consulted before a run is declared offline."""

OnSettled = Callable[[list[tuple[str, FetchResult]]], None]
"""Told, a chunk at a time, which results are final (normalised URL, result): those
already so when the first pass ends (cache hits, results no re-check or offline verdict
can change), then each re-check's as it ends, the rest before the run returns."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Revalidation:
    """A stale cached result and the conditional headers to send to where it ended."""

    entry: CacheEntry
    target: str
    headers: dict[str, str]


@dataclass(slots=True)
class _Hop:
    """One request sent and its response read."""

    url: str
    request: httpx.Request
    response: httpx.Response
    # The response's headers decoded once: in order (names lower-cased), and by name.
    items: tuple[tuple[str, str], ...]
    fields: dict[str, str]
    body: Body
    location: str | None
    started_at: datetime
    remote_ip: str | None


@dataclass(slots=True)
class _Outcome:
    """One attempt's conclusion, plus what the retry loop needs to know."""

    result: FetchResult
    exchanges: tuple[HttpExchange, ...]
    retryable: bool
    retry_after: float | None
    host: str


# --- results built from values the fetcher made itself ----------------------------------
#
# ``FetchResult(**values)`` validates each of its 17 fields (~3 us, and model_construct is
# slower still); the fetcher's own values are of the right types by construction (str,
# enums, ints, a tuple of Redirects, an aware datetime). ``_result`` gives the same
# instance as the validated call: the fields in their order, the fields set, no extra and
# no private attributes. Checked against the validated call once, at first use; if
# pydantic ever builds its instances otherwise, the validated call is used.

# The fields ``_result`` fills, in ``FetchResult``'s order.
_RESULT_FIELDS = (
    "url",
    "normalized_url",
    "verdict",
    "reason",
    "http_status",
    "final_url",
    "redirects",
    "fetched_at",
    "digest",
    "content_type",
    "size",
    "from_cache",
    "attempts",
    "error",
    "evidence",
    "etag",
    "last_modified",
)
# The fields a concluded fetch sets (pydantic's ``model_fields_set``): all but the two
# the fetcher leaves at their defaults; a failure before any response sets fewer.
_CONCLUDED_FIELDS = frozenset(_RESULT_FIELDS) - {"from_cache", "attempts"}
_FAILURE_FIELDS = frozenset(_RESULT_FIELDS[:8]) | {"error"}
_trusted_build: bool | None = None


def _unvalidated(model: type[Any], fields_set: frozenset[str], values: dict[str, Any]) -> Any:
    instance = object.__new__(model)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", set(fields_set))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


def _same_instance(expected: BaseModel, built: BaseModel) -> bool:
    return (
        type(expected) is type(built)
        and list(expected.__dict__.items()) == list(built.__dict__.items())
        and expected.model_fields_set == built.model_fields_set
        and expected.__pydantic_extra__ == built.__pydantic_extra__
        and expected.__pydantic_private__ == built.__pydantic_private__
        and expected == built
        and hash(expected) == hash(built)
        and expected.model_dump_json() == built.model_dump_json()
    )


def _check_trusted_build() -> bool:
    """Whether ``_unvalidated`` builds what validation builds (pydantic's internals)."""
    sample: dict[str, Any] = {
        "url": "https://example.org/a",
        "normalized_url": "https://example.org/a",
        "verdict": Verdict.ALIVE,
        "reason": Reason.MOVED,
        "http_status": 200,
        "final_url": "https://example.org/b",
        "redirects": (Redirect(url="https://example.org/a", status=301),),
        "fetched_at": datetime(2026, 1, 1, tzinfo=UTC),
        "error": None,
    }
    if tuple(FetchResult.model_fields) != _RESULT_FIELDS:
        return False  # a field added to FetchResult, or moved: ``_result`` must learn it
    try:
        values = {
            name: sample.get(name, field.default)
            for name, field in FetchResult.model_fields.items()
        }
        if not _same_instance(
            FetchResult(**sample), _unvalidated(FetchResult, frozenset(sample), values)
        ):
            return False
        redirect: dict[str, Any] = {"url": "https://example.org/a", "status": 301}
        return _same_instance(
            Redirect(**redirect), _unvalidated(Redirect, frozenset(redirect), dict(redirect))
        )
    except Exception:  # pragma: no cover - another pydantic
        return False


def _trusted() -> bool:
    """Whether ``_unvalidated`` may build the fetcher's models (checked once)."""
    global _trusted_build
    if _trusted_build is None:
        _trusted_build = _check_trusted_build()
    return _trusted_build


def _result(fields_set: frozenset[str], **given: Any) -> FetchResult:
    """``FetchResult(**given)`` for values the fetcher made (see above); ``fields_set`` names
    ``given``'s keys."""
    if not _trusted():  # pragma: no cover - another pydantic
        return FetchResult(**given)
    values = {
        "url": given["url"],
        "normalized_url": given["normalized_url"],
        "verdict": given["verdict"],
        "reason": given["reason"],
        "http_status": given["http_status"],
        "final_url": given["final_url"],
        "redirects": given["redirects"],
        "fetched_at": given["fetched_at"],
        "digest": given.get("digest"),
        "content_type": given.get("content_type"),
        "size": given.get("size"),
        "from_cache": False,
        "attempts": 1,
        "error": given["error"],
        "evidence": given.get("evidence"),
        "etag": given.get("etag"),
        "last_modified": given.get("last_modified"),
    }
    result: FetchResult = _unvalidated(FetchResult, fields_set, values)
    return result


_REDIRECT_FIELDS = frozenset({"url", "status"})


def _redirect(url: str, status: int) -> Redirect:
    """``Redirect(url=url, status=status)``, unvalidated as ``_result``."""
    if not _trusted():  # pragma: no cover - another pydantic
        return Redirect(url=url, status=status)
    redirect: Redirect = _unvalidated(Redirect, _REDIRECT_FIELDS, {"url": url, "status": status})
    return redirect


def _header_items(headers: httpx.Headers) -> tuple[tuple[str, str], ...]:
    """``tuple(headers.multi_items())`` (names lower-cased), deciding the encoding once."""
    # httpx keeps each header as (name, lower-case name, value): for ASCII headers (httpx
    # then decodes them as ASCII) the items are those, decoded, with nothing to lower.
    kept: list[tuple[bytes, bytes, bytes]] | None = getattr(headers, "_list", None)
    if kept is not None:
        try:
            return tuple(
                [(lower.decode("ascii"), value.decode("ascii")) for _, lower, value in kept]
            )
        except (UnicodeDecodeError, ValueError, TypeError):
            pass  # not ASCII (or not httpx's shape): httpx's own choice of encoding
    encoding = headers.encoding
    return tuple(
        (key.lower().decode(encoding), value.decode(encoding)) for key, value in headers.raw
    )


def _fields(items: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Header values by lower-case name, repeated ones joined as ``httpx.Headers.get`` joins
    them: one dict built per response instead of a scan of the headers per lookup."""
    fields: dict[str, str] = {}
    for name, value in items:
        fields[name] = f"{fields[name]}, {value}" if name in fields else value
    return fields


# Decoded request headers by their raw form: requests to one host send the same ones.
_REQUEST_HEADERS: dict[tuple[tuple[bytes, bytes], ...], tuple[tuple[str, str], ...]] = {}
_REQUEST_HEADERS_KEPT = 256


def _request_header_items(headers: httpx.Headers) -> tuple[tuple[str, str], ...]:
    raw = tuple(headers.raw)
    items = _REQUEST_HEADERS.get(raw)
    if items is None:
        if len(_REQUEST_HEADERS) >= _REQUEST_HEADERS_KEPT:
            _REQUEST_HEADERS.clear()
        items = _REQUEST_HEADERS[raw] = _header_items(headers)
    return items


def _exchange_of(hop: _Hop) -> HttpExchange:
    return HttpExchange(
        url=hop.url,
        method=hop.request.method,
        request_headers=_request_header_items(hop.request.headers),
        http_version=hop.response.http_version,
        status_code=hop.response.status_code,
        reason_phrase=hop.response.reason_phrase,
        response_headers=hop.items,
        body=hop.body.raw,
        truncated=hop.body.truncated,
        started_at=hop.started_at,
        remote_ip=hop.remote_ip,
    )


def _remote_ip(response: httpx.Response) -> str | None:
    stream: Any = response.extensions.get("network_stream")
    if stream is None:
        return None
    try:
        address = stream.get_extra_info("server_addr")
    except Exception:  # transports differ; the address is a nicety, never worth failing for
        return None
    if isinstance(address, tuple) and address:
        return str(address[0])
    return None


# The charset parameter of a Content-Type; httpx's ``charset_encoding`` finds the same
# through an ``email.message.Message``, at a fifth of a millisecond per response.
_CHARSET = re.compile(r';\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))', re.I)


def _text_of(sniff: bytes, content_type: str) -> str:
    match = _CHARSET.search(content_type)
    encoding = (match.group(1) or match.group(2) or "").strip() if match else ""
    encoding = encoding or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "utf-8"
    return sniff.decode(encoding, errors="replace")


def _is_textual(content_type: str | None, sniff: bytes) -> tuple[bool, bool]:
    """``(is text worth reading, is HTML)`` from the content type, or the bytes if untyped."""
    if content_type is None:
        head = sniff[:512].lstrip().lower()
        is_html = head.startswith((b"<!doctype html", b"<html", b"<head", b"<title"))
        return is_html, is_html
    media = content_type.partition(";")[0].strip().lower()
    is_html = media in ("text/html", "application/xhtml+xml")
    return is_html or media.startswith("text/"), is_html


def _as_fetched(result: FetchResult) -> FetchResult:
    """``result`` as the cache stores it: not marked as served from the cache."""
    return result.model_copy(update={"from_cache": False}) if result.from_cache else result


def _cookie_state(jar: httpx.Cookies | None) -> tuple[tuple[str, str, str, str], ...]:
    if jar is None:
        return ()
    return tuple(sorted((c.name, c.value or "", c.domain, c.path) for c in jar.jar))


class _Run:
    """The state of one ``fetch_all`` call: client, gates, DNS answers, counters."""

    def __init__(
        self, fetcher: Fetcher, client: httpx.AsyncClient, pins: dict[str, tuple[str, ...]]
    ) -> None:
        settings = fetcher.settings
        self.fetcher = fetcher
        self.settings = settings
        self.client = client
        self.clock = fetcher.clock
        self.sleep = fetcher.sleep
        self.gates = HostGates(
            concurrency=settings.host_concurrency,
            interval=timedelta(milliseconds=settings.host_interval_ms),
            slowed_interval=timedelta(milliseconds=settings.rate_limited_interval_ms),
            clock=fetcher.clock,
            sleep=fetcher.sleep,
        )
        self.sender = DirectSender(client)
        self.slots = Slots(settings.concurrency)
        self.dns: dict[str, asyncio.Future[tuple[Reason, str] | None]] = {}
        # What the address policy says of each host before DNS (see ``_literal_policy``).
        self.literal_policy: dict[str, tuple[Reason, str]] = {}
        # Vetted addresses per host name: the transport connects to these and nothing else.
        self.pins = pins
        self.allowed_networks = settings.allowed_ip_networks()
        self.keep_exchanges = fetcher.on_fetched is not None
        self.requests = 0

    # --- policy -------------------------------------------------------------------------

    async def refusal(self, url: str) -> tuple[Reason, str] | None:
        """Why ``url`` must not be requested (scheme, policy, DNS), or None to go ahead."""
        plain = plain_url_parts(url)
        if plain is not None:
            # A plain http(s) URL (see provenance.fetch.urls): its parts without urlsplit.
            scheme, host, port, _, _ = plain
        else:
            try:
                parts = urlsplit(url)
                port = parts.port
            except ValueError as exc:
                return Reason.CLIENT_ERROR, f"invalid URL: {exc}"
            scheme = parts.scheme.lower()
            if scheme not in DEFAULT_PORTS:
                what = f"scheme {scheme!r}" if scheme else "a URL without a scheme"
                return Reason.UNSUPPORTED_SCHEME, f"only http and https are fetched, not {what}"
            host = (parts.hostname or "").rstrip(".")
            if not host:
                return Reason.CLIENT_ERROR, "invalid URL: no host"
        if self.settings.allow_private:
            return None
        literal = self.literal_policy.get(host)
        if literal is None:
            literal = self.literal_policy[host] = self._literal_policy(host)
        if literal is not _NEEDS_DNS:
            return literal if literal is not _LITERAL_ALLOWED else None
        future = self.dns.get(host)
        if future is None:
            future = asyncio.ensure_future(self._vet_name(host, port or DEFAULT_PORTS[scheme]))
            self.dns[host] = future
        # Shielded: one waiter being cancelled must not cancel the lookup for the others.
        return await asyncio.shield(future)

    def refusal_now(self, url: str) -> tuple[Reason, str] | _Ask | None:
        """What ``refusal`` would answer, when it is known without waiting (a plain URL
        whose host was vetted already, or any plain URL with ``allow_private``), else
        ``_ASK``: saves a coroutine per request."""
        plain = plain_url_parts(url)
        if plain is None:
            return _ASK
        if self.settings.allow_private:
            return None
        host = plain[1]
        literal = self.literal_policy.get(host)
        if literal is None:
            return _ASK
        if literal is not _NEEDS_DNS:
            return literal if literal is not _LITERAL_ALLOWED else None
        future = self.dns.get(host)
        if future is None or not future.done() or future.cancelled():
            return _ASK
        if future.exception() is not None:
            return _ASK
        return future.result()

    def _literal_policy(self, host: str) -> tuple[Reason, str]:
        """What the policy says of ``host`` before any lookup: refused, an allowed address
        (``_LITERAL_ALLOWED``), or a name to resolve and vet (``_NEEDS_DNS``)."""
        address = literal_address(host)
        literal = blocked_host_reason(host)
        if literal is not None and not (address is not None and self._allowed(address)):
            return Reason.BLOCKED_BY_POLICY, f"refused: {literal}"
        return _LITERAL_ALLOWED if address is not None else _NEEDS_DNS

    async def _vet_name(self, host: str, port: int) -> tuple[Reason, str] | None:
        try:
            async with asyncio.timeout(self.settings.connect_timeout_s):
                addresses = await self.fetcher.resolver(host, port)
        except TimeoutError:
            return Reason.TIMEOUT, f"DNS lookup of {host} timed out"
        except OSError as exc:
            return Reason.DNS_ERROR, f"DNS lookup of {host} failed: {exc}"
        except (UnicodeError, ValueError) as exc:
            # getaddrinfo's IDNA step: an empty or over-long label ("a..b", 64+ letters).
            return Reason.DNS_ERROR, f"{host} is not a valid host name: {exc}"
        if not addresses:
            return Reason.DNS_ERROR, f"DNS lookup of {host} found no address"
        vetted: list[str] = []
        for text in addresses:
            address = literal_address(text)
            if address is None:
                blocked: str | None = f"unparseable address {text!r}"
            elif self._allowed(address):
                blocked = None
            else:
                blocked = blocked_address_reason(address)
            if blocked is not None:
                return Reason.BLOCKED_BY_POLICY, f"refused: {host} resolves to {blocked}"
            vetted.append(str(address))
        self.pins[pin_key(host)] = tuple(vetted)
        return None

    def _allowed(self, address: IPAddress) -> bool:
        """Whether ``address`` lies in a network the settings allow despite the policy."""
        return any(address in network for network in self.allowed_networks)

    # --- one URL ------------------------------------------------------------------------

    async def fetch(
        self,
        url: str,
        original: str,
        *,
        revalidation: _Revalidation | None,
        max_attempts: int,
        prior_attempts: int = 0,
    ) -> FetchResult:
        """Fetch one normalised URL with retries; the archive hook sees the final attempt."""
        settings = self.settings
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(url, original, revalidation)
            if attempt >= max_attempts or not outcome.retryable:
                break
            delay = backoff_delay(
                attempt,
                base=settings.backoff_base_s,
                cap=settings.backoff_max_s,
                jitter=settings.backoff_jitter,
                rng=self.fetcher.rng,
            )
            if outcome.retry_after is not None:
                delay = min(outcome.retry_after, settings.retry_after_max_s)
            if outcome.retry_after is not None or outcome.result.reason is Reason.RATE_LIMITED:
                # The host asked us to slow down: pause that host, not this task alone, so
                # its other URLs wait too and every other host carries on.
                self.gates.slow_down(outcome.host, delay)
            else:
                await self.sleep(delay)
        result = outcome.result
        total_attempts = prior_attempts + attempt
        if total_attempts != result.attempts:
            result = result.model_copy(update={"attempts": total_attempts})
        if self.fetcher.on_fetched is not None:
            result = self.fetcher.on_fetched(result, outcome.exchanges)
        return result

    async def _attempt(
        self, url: str, original: str, revalidation: _Revalidation | None
    ) -> _Outcome:
        """One try: follow redirects by hand, within the total time budget."""
        started = self.clock()
        loop = asyncio.get_running_loop()
        budget = self.settings.total_timeout_s
        redirects: list[Redirect] = []
        exchanges: list[HttpExchange] = []
        jar: httpx.Cookies | None = None
        seen = {(url, _cookie_state(None))}
        current = url

        def failure(
            reason: Reason, error: str, *, status: int | None = None, retryable: bool = True
        ) -> _Outcome:
            result = _result(
                _FAILURE_FIELDS,
                url=original,
                normalized_url=url,
                verdict=reason.verdict,
                reason=reason,
                http_status=status,
                final_url=current if redirects else None,
                redirects=tuple(redirects),
                fetched_at=started,
                error=error,
            )
            retryable = retryable and reason in (Reason.TIMEOUT, Reason.CONNECTION_ERROR)
            return _Outcome(result, tuple(exchanges), retryable, None, host_of(current))

        for _ in range(self.settings.max_redirects + 1):
            refused = self.refusal_now(current)
            if refused is _ASK:
                refused = await self.refusal(current)
            if refused is not None:
                # DNS answers are kept for the pass: asking again now gets the same one.
                return failure(*refused, retryable=False)
            if budget <= 0:
                return failure(Reason.TIMEOUT, "total timeout")
            headers: dict[str, str] = {}
            if revalidation is not None and current == revalidation.target:
                headers = revalidation.headers
            # A turn of the host's and one of the run's slots: taken at once when free
            # (no coroutine), else waited for in turn.
            gate = self.gates.gate(host_of(current))
            try:
                if not gate.try_enter():
                    await gate.enter()
                try:
                    if not self.slots.try_take():
                        await self.slots.take()
                    try:
                        began = loop.time()
                        try:
                            async with asyncio.timeout(budget):
                                hop = await self._send(current, headers, jar)
                        finally:
                            budget -= loop.time() - began
                    finally:
                        self.slots.give()
                finally:
                    gate.leave()
            except (TimeoutError, httpx.HTTPError, httpx.InvalidURL, OSError, UnicodeError) as exc:
                return failure(*classify_exception(exc))
            if hop.response.status_code != 429:
                self.gates.recover(host_of(current))
            if self.keep_exchanges:
                exchanges.append(_exchange_of(hop))
            if hop.location is None:
                return self._conclude(
                    url, original, hop, redirects, exchanges, revalidation, started
                )
            status = hop.response.status_code
            redirects.append(_redirect(current, status))
            if "set-cookie" in hop.fields:
                jar = jar if jar is not None else httpx.Cookies()
                jar.extract_cookies(hop.response)
            try:
                location = hop.location
                # A plain absolute URL (see provenance.fetch.urls) joins to itself.
                joined = location if plain_url_parts(location) else urljoin(current, location)
                target = normalize_url(joined)
            except ValueError as exc:  # "http://[::1": what httpx's client.send reported
                invalid = httpx.RemoteProtocolError(f"Invalid URL in location header: {exc}.")
                return failure(*classify_exception(invalid), status=status)
            # A revisit is a loop only if nothing changed: sites that set a cookie and
            # send you back to the same URL are not looping.
            key = (target, _cookie_state(jar))
            if key in seen:
                current = target
                return failure(
                    Reason.REDIRECT_LOOP, f"redirect loop back to {target}", status=status
                )
            seen.add(key)
            current = target
        return failure(
            Reason.TOO_MANY_REDIRECTS,
            f"more than {self.settings.max_redirects} redirects",
            status=redirects[-1].status if redirects else None,
        )

    async def _send(self, url: str, headers: dict[str, str], jar: httpx.Cookies | None) -> _Hop:
        request = self.sender.build(url, headers)
        if jar is not None:
            jar.set_cookie_header(request)
        started_at = self.clock()
        self.requests += 1
        response = await self.sender.send(request)
        try:
            items = _header_items(response.headers)
            fields = _fields(items)
            status = response.status_code
            location = fields.get("location") if 300 <= status < 400 and status != 304 else None
            if location is not None:
                body = await read_body(
                    response,
                    max_raw=_REDIRECT_BODY_CAP,
                    max_decoded=_REDIRECT_BODY_CAP,
                    sniff_limit=0,
                    keep_raw=self.keep_exchanges,
                    decode=False,
                    fields=fields,
                )
            else:
                body = await read_body(
                    response,
                    max_raw=self.settings.max_body_bytes,
                    max_decoded=self.settings.max_decoded_bytes,
                    sniff_limit=_SNIFF_BYTES,
                    keep_raw=self.keep_exchanges,
                    fields=fields,
                )
            remote_ip = _remote_ip(response) if self.keep_exchanges else None
        finally:
            await response.aclose()
        return _Hop(url, request, response, items, fields, body, location, started_at, remote_ip)

    def _conclude(
        self,
        url: str,
        original: str,
        hop: _Hop,
        redirects: list[Redirect],
        exchanges: list[HttpExchange],
        revalidation: _Revalidation | None,
        started: datetime,
    ) -> _Outcome:
        """Classify the last response of a chain."""
        response = hop.response
        status = response.status_code
        headers = hop.fields
        host = host_of(hop.url)
        exchange_tuple = tuple(exchanges)
        etag = headers.get("etag")
        last_modified = headers.get("last-modified")
        if status == 304 and revalidation is not None and hop.url == revalidation.target:
            cached = revalidation.entry.result
            renewed = cached.model_copy(
                update={
                    "url": original,
                    "fetched_at": started,
                    "from_cache": True,
                    "etag": etag or cached.etag,
                    "last_modified": last_modified or cached.last_modified,
                }
            )
            return _Outcome(renewed, exchange_tuple, False, None, host)
        content_type = headers.get("content-type")
        body = hop.body
        textual, is_html = _is_textual(content_type, body.sniff)
        text = _text_of(body.sniff, content_type or "") if textual else ""
        title, h1 = page_headings(text, is_html=is_html) if textual else (None, None)
        reason = classify_status(status)
        evidence = bot_challenge_evidence(status, headers, text, title=title)
        error: str | None = f"HTTP {status} {response.reason_phrase}".rstrip()
        if evidence is not None:
            reason = Reason.BOT_CHALLENGE
            error = f"HTTP {status}: bot challenge"
        elif reason is Reason.OK:
            error = None
            if body.too_large is not None and 200 <= status < 300:
                reason, error = Reason.TOO_LARGE, body.too_large
            else:
                # The visible text of a short page matters only to this check: a 404 or
                # a 403 answer never needs it.
                short_text = short_page_text(text, is_html=is_html) if textual else None
                evidence = soft_404_evidence(
                    url, hop.url, redirects, title=title, h1=h1, short_text=short_text
                )
                if evidence is not None:
                    reason, error = Reason.SOFT_404, f"HTTP {status} but a 'not found' page"
                elif redirects:
                    permanent = all(r.status in PERMANENT_REDIRECTS for r in redirects)
                    reason = Reason.MOVED if permanent and hop.url != url else Reason.REDIRECTED
        alive = reason.verdict is Verdict.ALIVE
        result = _result(
            _CONCLUDED_FIELDS,
            url=original,
            normalized_url=url,
            verdict=reason.verdict,
            reason=reason,
            http_status=status,
            final_url=hop.url,
            redirects=tuple(redirects),
            fetched_at=started,
            digest=body.digest if alive else None,
            content_type=content_type,
            size=body.size if alive else None,
            error=error,
            evidence=evidence,
            etag=etag,
            last_modified=last_modified,
        )
        retryable = reason in (Reason.TIMEOUT, Reason.RATE_LIMITED) or (
            reason is Reason.SERVER_ERROR and status in (502, 503, 504)
        )
        retry_after = (
            retry_after_seconds(headers.get("retry-after"), now=self.clock()) if retryable else None
        )
        return _Outcome(result, exchange_tuple, retryable, retry_after, host)

    # --- offline ------------------------------------------------------------------------

    async def network_is_down(self, fetched: Iterable[FetchResult]) -> bool:
        """True when every host contacted failed at the DNS/connection level.

        With a probe (injected, or ``settings.offline_probe_url``) the probe decides;
        without one, at least two hosts must have failed, since one dead domain is
        ordinary rot.
        """
        host_failed: dict[str, bool] = {}
        for result in fetched:
            if result.reason in _LOCAL_REASONS:
                continue
            host = host_of(result.normalized_url)
            host_failed[host] = host_failed.get(host, True) and result.reason.is_network_failure
        if not host_failed or not all(host_failed.values()):
            return False
        probe = self.fetcher.probe
        if probe is None and self.settings.offline_probe_url is not None:
            probe = self._probe_url
        if probe is not None:
            return not await probe()
        return len(host_failed) >= 2

    async def _probe_url(self) -> bool:
        url = self.settings.offline_probe_url
        if url is None:
            return True
        if await self.refusal(url) is not None:
            return False  # the probe is vetted like any URL, so it can be connected to
        try:
            async with asyncio.timeout(self.settings.total_timeout_s):
                self.requests += 1
                response = await self.client.send(self.client.build_request("GET", url))
                await response.aclose()
        except (TimeoutError, httpx.HTTPError, OSError):
            return False
        return True


class Fetcher:
    """Fetches cited URLs and concludes a ``FetchResult`` for each distinct one.

    Every side effect is injected, so tests control all of it:

    * ``transport``: the httpx transport (default: httpx's own, via ``make_client``);
    * ``cache``: a ``FetchCache``, or a directory to open one in for each run; None (the
      default) caches nothing. The CLI passes ``DEFAULT_CACHE_DIR``;
    * ``clock``: aware UTC ``datetime`` (cache ages, host pacing, ``fetched_at``);
    * ``sleep``: every wait (backoff, host pacing, the re-check pause) goes through it;
    * ``resolver``: ``async (host, port) -> [ip, ...]`` used to vet addresses (default
      ``loop.getaddrinfo``); not consulted when ``allow_private`` is set;
    * ``rng``: jitter for backoff;
    * ``on_progress``: called with a ``FetchProgress`` after each URL;
    * ``on_fetched``: the archive hook, called for each fresh result (not for cache
      hits) with the exchanges of its final attempt, one per redirect hop; its return
      value replaces the result. A URL re-checked after a failure is passed again with
      the re-check's exchanges. It sees results before the offline verdict is applied.
      Raw bodies are kept in memory only when it is set;
    * ``probe``: ``async () -> network is up``, asked before declaring a run offline;
    * ``on_pass_end``: called once the first pass is over, before the run waits for its
      re-checks: the archive hook hands on the batch it holds;
    * ``on_settled``: told which results are final as they become so (see ``OnSettled``),
      from a task that lets the event loop run between chunks: a caller builds its
      report's parts while the run waits for its last re-checks.

    Offline: when every host the run contacted failed at the DNS/connection level and
    either a probe says the network is down or (with no probe) there were at least two
    hosts, ``FetchRun.offline`` is True, those results are ``Reason.OFFLINE``, no
    re-check pass runs and nothing is cached. A run whose only host fails is otherwise
    reported as it is (after the re-check), since one dead domain is ordinary rot.

    An injected transport is closed with the client at the end of each run.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        cache: FetchCache | str | os.PathLike[str] | None = None,
        clock: Clock = _utc_now,
        sleep: Sleep = asyncio.sleep,
        resolver: Resolver | None = None,
        rng: random.Random | None = None,
        on_progress: OnProgress | None = None,
        on_fetched: OnFetched | None = None,
        probe: Probe | None = None,
        on_pass_end: Callable[[], None] | None = None,
        on_settled: OnSettled | None = None,
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.cache = cache
        self.clock = clock
        self.sleep = sleep
        self.resolver: Resolver = resolver if resolver is not None else system_resolver
        self.rng = rng if rng is not None else random.Random()
        self.on_progress = on_progress
        self.on_fetched = on_fetched
        self.probe = probe
        self.on_pass_end = on_pass_end
        self.on_settled = on_settled

    async def fetch_all(self, urls: Iterable[str]) -> FetchRun:
        """Fetch every distinct URL in ``urls`` (normalised) and conclude the run.

        Raises ``FetchError`` only when the machinery fails (the cache cannot be opened,
        an unexpected error); a dead or unreachable source is a result, not an error.
        Errors raised by ``on_fetched`` (e.g. ``ArchiveError``) propagate as they are.
        """
        return await self.fetch_batches((urls,))

    async def fetch_batches(self, batches: Iterable[Iterable[str]]) -> FetchRun:
        """``fetch_all`` of URLs that become known while the run goes on.

        Each batch (e.g. the URLs one document cites) is taken when the event loop has
        a moment, and its URLs are fetched beside those of the batches before it: the
        first requests go out with the first batch, not after the last. Whatever taking
        a batch raises (reading a document) ends the run and propagates as it is. The
        result is the same as ``fetch_all`` of every batch's URLs in order.
        """
        cache, owns_cache = self._open_cache()
        # Filled as names are vetted; with allow_private nothing is vetted or pinned.
        pins: dict[str, tuple[str, ...]] = {}
        pinned = None if self.settings.allow_private else pins
        try:
            async with make_client(self.settings, self.transport, pins=pinned) as client:
                return await self._run(batches, cache, client, pins)
        finally:
            if owns_cache and cache is not None:
                cache.close()

    def _open_cache(self) -> tuple[FetchCache | None, bool]:
        if self.cache is None or isinstance(self.cache, FetchCache):
            return self.cache, False
        return FetchCache(self.cache), True

    async def _run(
        self,
        batches: Iterable[Iterable[str]],
        cache: FetchCache | None,
        client: httpx.AsyncClient,
        pins: dict[str, tuple[str, ...]],
    ) -> FetchRun:
        run = _Run(self, client, pins)
        results: dict[str, FetchResult] = {}
        originals: dict[str, str] = {}
        to_fetch: dict[str, _Revalidation | None] = {}
        done = 0
        cache_hits = 0
        # A fresh cache answers nothing: one count instead of a lookup per URL.
        lookup = None if cache is not None and cache.is_empty() else cache

        # Failures get their second look while the first pass goes on, each
        # ``recheck_delay_s`` after its own failure, once some host has answered: an
        # answer proves the network is up, so the offline verdict that the end of the
        # pass decides cannot apply. Until then failures are held; if no host ever
        # answers they wait for that verdict in ``_recheck``, as before.
        early = _EarlyRechecks(self, run, results, originals) if self.settings.recheck else None
        first: dict[str, FetchResult] = {}

        async def first_look(url: str, revalidation: _Revalidation | None) -> None:
            nonlocal done
            result = await run.fetch(
                url,
                originals[url],
                revalidation=revalidation,
                max_attempts=1 + self.settings.max_retries,
            )
            results[url] = first[url] = result
            done += 1
            self._progress(done, len(originals), url, result, FetchPhase.FETCH)
            if early is not None:
                early.saw(url, result)

        settings = self.settings
        queue = _HostQueue(
            per_host=_TASKS_PER_HOST_SLOT * settings.host_concurrency,
            window=max(_TASKS_PER_SLOT * settings.concurrency, settings.host_concurrency),
        )

        def admit(batch: Iterable[str]) -> None:
            """Answer what the cache may of ``batch``'s new URLs; queue the rest."""
            nonlocal done, cache_hits
            failed_before: list[tuple[str, _Revalidation | None]] = []
            fresh: list[tuple[str, _Revalidation | None]] = []
            hits: list[str] = []
            for original in batch:
                url = normalize_url(original)
                if url in originals:
                    continue
                originals[url] = original
                served, revalidation, failed = self._from_cache(lookup, url, original)
                if served is None:
                    (failed_before if failed else fresh).append((url, revalidation))
                    continue
                results[url] = served
                hits.append(url)
            cache_hits += len(hits)
            for url in hits:  # counted against every URL known so far
                done += 1
                self._progress(done, len(originals), url, results[url], FetchPhase.FETCH)
            # What failed last time is the likeliest to fail again, so it goes first (ahead
            # of what earlier batches queued): the re-check delay of each such failure then
            # runs out during the first pass, not after its end.
            for url, revalidation in failed_before + fresh:
                to_fetch[url] = revalidation
            for url, revalidation in reversed(failed_before):
                job = functools.partial(first_look, url, revalidation)
                queue.add(host_of(url), job, first=True)
            for url, revalidation in fresh:
                queue.add(host_of(url), functools.partial(first_look, url, revalidation))

        async def first_pass() -> None:
            # Batches are taken one at a time, each when the event loop has a moment: the
            # fetches of the batches before it go on in between.
            fetching = asyncio.ensure_future(queue.run())
            try:
                for batch in batches:
                    admit(batch)
                    if fetching.done():
                        break  # it failed: its error is raised below
                    await asyncio.sleep(0)
            except BaseException:
                fetching.cancel()
                await asyncio.gather(fetching, return_exceptions=True)
                raise
            finally:
                queue.close()
            await fetching

        if early is None:
            await first_pass()
        else:
            await early.during(first_pass())
        # The first pass is over; the run now waits for its re-checks (each one
        # recheck_delay_s after its failure). Meanwhile what is final goes on: the
        # archive hook hands on what it holds, and the cache gets the rows of results no
        # re-check or offline verdict can change, then each re-check's as it ends.
        if self.on_pass_end is not None:
            self.on_pass_end()
        writer = _CacheWriter(cache, results) if cache is not None else None
        settler = _Settler(self.on_settled, results) if self.on_settled is not None else None
        sinks: list[_ChunkedQueue] = [sink for sink in (settler, writer) if sink is not None]

        def tell(url: str) -> None:
            for sink in sinks:
                sink.add_one(url)

        try:
            if settler is not None:
                settler.add(url for url in originals if url not in to_fetch)  # cache hits
            settled = [url for url in to_fetch if self._settled(first[url])]
            for sink in sinks:
                sink.add(settled)
            if early is not None:
                for sink in sinks:
                    sink.add(early.finished)
                early.on_finished = tell
                await early.finish()
            offline = await run.network_is_down(first[url] for url in to_fetch)
            if offline:
                for url in to_fetch:
                    result = results[url]
                    if result.reason.is_network_failure:
                        results[url] = result.model_copy(
                            update={
                                "reason": Reason.OFFLINE,
                                "verdict": Reason.OFFLINE.verdict,
                                "evidence": _OFFLINE_EVIDENCE,
                            }
                        )
            elif early is not None:
                await self._recheck(run, results, originals, early.held, offset=len(early.started))
            if writer is not None:
                writer.add(url for url in to_fetch if url not in writer.queued)
            if settler is not None:
                settler.add(url for url in originals if url not in settler.queued)
            for sink in sinks:
                await sink.close()
        except BaseException:
            for sink in sinks:
                await sink.cancel()
            raise
        return FetchRun(
            results={url: results[url] for url in originals},
            offline=offline,
            requests=run.requests,
            cache_hits=cache_hits,
        )

    def _settled(self, result: FetchResult) -> bool:
        """A first-pass result that is final, whatever the re-checks and the offline verdict."""
        if result.reason.is_network_failure or result.reason in _LOCAL_REASONS:
            return False
        return not (self.settings.recheck and _worth_recheck(result))

    async def _recheck(
        self,
        run: _Run,
        results: dict[str, FetchResult],
        originals: dict[str, str],
        fetched: list[str],
        *,
        offset: int = 0,
    ) -> None:
        """Fetch once more every failure worth a second look, after a pause.

        ``offset`` re-checks were made during the first pass (``_EarlyRechecks``); the
        progress count goes on from them.
        """
        candidates = [url for url in fetched if _worth_recheck(results[url])]
        if not candidates:
            return
        await self.sleep(self.settings.recheck_delay_s)
        # Fresh DNS answers: a lookup that failed a moment ago may succeed now.
        run.dns.clear()
        done = 0

        async def second_look(url: str) -> None:
            nonlocal done
            result = await run.fetch(
                url,
                originals[url],
                revalidation=None,
                max_attempts=1,
                prior_attempts=results[url].attempts,
            )
            results[url] = result
            done += 1
            self._progress(offset + done, offset + len(candidates), url, result, FetchPhase.RECHECK)

        await self._gather(
            (host_of(url), functools.partial(second_look, url)) for url in candidates
        )

    async def _gather(self, jobs: Iterable[tuple[str, Callable[[], Awaitable[None]]]]) -> None:
        """Run every ``(host, job)``, a bounded number at a time (see ``_gather_by_host``)."""
        settings = self.settings
        await _gather_by_host(
            jobs,
            per_host=_TASKS_PER_HOST_SLOT * settings.host_concurrency,
            window=max(_TASKS_PER_SLOT * settings.concurrency, settings.host_concurrency),
        )

    def _from_cache(
        self, cache: FetchCache | None, url: str, original: str
    ) -> tuple[FetchResult | None, _Revalidation | None, bool]:
        """What the cache says of ``url``: ``(served, revalidation, failed_before)``.

        A result it may answer with, or the revalidation to attempt, or neither; and
        whether it remembers ``url`` failing (not alive), so that it is fetched early.
        """
        if cache is None or self.settings.refresh:
            return None, None, False
        entry = cache.get(url)
        if entry is None:
            return None, None, False
        cached = entry.result
        age = (self.clock() - entry.stored_at).total_seconds()
        if cached.verdict.is_alive:
            ttl = self.settings.cache_alive_ttl_s
        elif cached.verdict.is_unverifiable and not cached.reason.is_network_failure:
            ttl = self.settings.cache_failure_ttl_s
        else:
            # Dead and timed-out results are never final from the cache: fetch again.
            ttl = 0.0
        if 0 <= age < ttl:
            served = cached.model_copy(update={"url": original, "from_cache": True})
            return served, None, False
        if cached.verdict.is_alive and (cached.etag or cached.last_modified):
            headers: dict[str, str] = {}
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
            target = normalize_url(cached.final_url or url)
            return None, _Revalidation(entry, target, headers), False
        return None, None, not cached.verdict.is_alive

    def _progress(
        self, done: int, total: int, url: str, result: FetchResult, phase: FetchPhase
    ) -> None:
        if self.on_progress is not None:
            self.on_progress(
                FetchProgress(done=done, total=total, url=url, result=result, phase=phase)
            )


class _ChunkedQueue:
    """Final results handed on a chunk at a time, by a task of its own.

    While the run waits for its re-checks the event loop is mostly idle, and between
    chunks it runs whatever falls due (a re-check, its answer), so no look waits for more
    than one chunk. ``handle`` takes each chunk of ``(url, result)`` pairs.
    """

    def __init__(
        self,
        handle: Callable[[list[tuple[str, FetchResult]]], None],
        results: dict[str, FetchResult],
        chunk_size: int,
    ) -> None:
        self._handle = handle
        self._results = results
        self._chunk_size = chunk_size
        self._queue: deque[str] = deque()
        self.queued: set[str] = set()
        self._wake = asyncio.Event()
        self._closed = False
        self._task = asyncio.ensure_future(self._drain())

    def add(self, urls: Iterable[str]) -> None:
        """The results of ``urls`` are final: hand them on soon."""
        for url in urls:
            self.add_one(url)

    def add_one(self, url: str) -> None:
        """The result of ``url`` is final: hand it on soon."""
        if url not in self.queued:
            self.queued.add(url)
            self._queue.append(url)
            self._wake.set()

    async def close(self) -> None:
        """Wait until every result added is handed on (re-raising the handler's error)."""
        self._closed = True
        self._wake.set()
        await self._task

    async def cancel(self) -> None:
        """Stop (the run is failing); results not handed on yet are dropped."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _drain(self) -> None:
        queue, results = self._queue, self._results
        while queue or not self._closed:
            if not queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            urls = [queue.popleft() for _ in range(min(len(queue), self._chunk_size))]
            self._handle([(url, results[url]) for url in urls])
            await asyncio.sleep(0)


class _CacheWriter(_ChunkedQueue):
    """Writes final results to the cache as they come, a chunk per transaction.

    Offline results and local refusals are not cached (they say nothing about the
    source). A cache whose writes are handed to the archive process
    (``FetchCache.hand_writes_to``) takes each chunk without writing it: ``close`` then
    returns once the chunks are handed on, and whoever handed the writes on waits for them.
    """

    def __init__(self, cache: FetchCache, results: dict[str, FetchResult]) -> None:
        self._cache = cache
        super().__init__(self._write, results, _CACHE_CHUNK)

    def _write(self, chunk: list[tuple[str, FetchResult]]) -> None:
        rows = [
            (url, CacheEntry(_as_fetched(result), result.fetched_at))
            for url, result in chunk
            if result.reason not in _LOCAL_REASONS and result.reason is not Reason.OFFLINE
        ]
        if rows:
            self._cache.put_many(rows)


class _Settler(_ChunkedQueue):
    """Tells ``on_settled`` which results are final, a chunk at a time."""

    def __init__(self, on_settled: OnSettled, results: dict[str, FetchResult]) -> None:
        super().__init__(on_settled, results, _SETTLED_CHUNK)


def _proves_online(result: FetchResult) -> bool:
    """A host answered (what ``_Run.network_is_down`` counts against an offline verdict)."""
    return result.reason not in _LOCAL_REASONS and not result.reason.is_network_failure


def _worth_recheck(result: FetchResult) -> bool:
    """A failure that a second look might overturn (not a deliberate refusal)."""
    return not result.verdict.is_alive and result.reason not in _FINAL_REASONS


class _EarlyRechecks:
    """Second looks started during the first pass, each ``recheck_delay_s`` after its failure.

    Waiting for the whole first pass and then pausing once left the run idle for the
    pause and re-checked everything in one burst at the end (and a timeout's second
    look may take the whole timeout). The delays are equal, so URLs fall due in the
    order they failed: one task waits for the oldest and starts its look. Looks go
    through the run's host gates and concurrency limit like any request; a failure
    below HTTP gets a fresh DNS answer for its host. Failures seen before any host has
    answered are held (the run may be offline) and queued, in order, when one does;
    ``held`` are those still waiting when the pass ends. ``during`` runs the first pass
    beside the looks; ``finish`` waits for the looks still due or under way.
    """

    def __init__(
        self,
        fetcher: Fetcher,
        run: _Run,
        results: dict[str, FetchResult],
        originals: dict[str, str],
    ) -> None:
        self._fetcher = fetcher
        self._run = run
        self._results = results
        self._originals = originals
        self._due: deque[tuple[datetime, str]] = deque()
        self._wake = asyncio.Event()
        self._closed = False
        self._server: asyncio.Future[None] | None = None
        self._looks: list[asyncio.Task[None]] = []
        self.started: set[str] = set()
        # URLs whose second look is over, and who to tell when one more is.
        self.finished: list[str] = []
        self.on_finished: Callable[[str], None] | None = None
        self._done = 0
        self._online = False
        self.held: list[str] = []
        self._held_due: list[tuple[datetime, str]] = []

    def saw(self, url: str, result: FetchResult) -> None:
        """``url``'s first look ended in ``result``: re-check it in due time if it failed."""
        if not self._online and _proves_online(result):
            self._online = True
            self._due.extend(self._held_due)
            self._held_due.clear()
            self.held.clear()
            self._wake.set()
        if not _worth_recheck(result):
            return
        due = self._fetcher.clock() + timedelta(seconds=self._fetcher.settings.recheck_delay_s)
        if self._online:
            self._due.append((due, url))
            self._wake.set()
        else:
            self._held_due.append((due, url))
            self.held.append(url)

    async def during(self, first_pass: Awaitable[None]) -> None:
        """Run ``first_pass`` while the looks that fall due meanwhile start."""
        self._server = asyncio.ensure_future(self._serve())
        try:
            await first_pass
        except BaseException:
            await self._cancel()
            raise
        self._closed = True
        self._wake.set()

    async def finish(self) -> None:
        """Wait until every URL added has had its second look."""
        if self._server is None:
            return
        try:
            await self._server
        except BaseException:
            await self._cancel()
            raise

    async def _cancel(self) -> None:
        pending = [task for task in (self._server, *self._looks) if task is not None]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _serve(self) -> None:
        while self._due or not self._closed:
            if not self._due:
                self._wake.clear()
                await self._wake.wait()
                continue
            due, url = self._due[0]
            wait = (due - self._fetcher.clock()).total_seconds()
            if wait > 0:
                await self._fetcher.sleep(wait)
            self._due.popleft()
            self.started.add(url)
            self._looks.append(asyncio.ensure_future(self._look(url)))
        await _first_error(self._looks)

    async def _look(self, url: str) -> None:
        if self._results[url].reason.is_network_failure:
            # A lookup that failed (or an address that refused) a moment ago may do
            # better now: the host's name is resolved afresh, as after the pass.
            self._run.dns.pop((urlsplit(url).hostname or "").rstrip("."), None)
        result = await self._run.fetch(
            url,
            self._originals[url],
            revalidation=None,
            max_attempts=1,
            prior_attempts=self._results[url].attempts,
        )
        self._results[url] = result
        self._done += 1
        self._fetcher._progress(self._done, len(self.started), url, result, FetchPhase.RECHECK)
        self.finished.append(url)
        if self.on_finished is not None:
            self.on_finished(url)


async def _first_error(tasks: list[asyncio.Task[None]]) -> None:
    """Wait for every task; raise the first error among them (a provenance error as is)."""
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, ProvenanceError):
            raise outcome
        if isinstance(outcome, BaseException):
            raise FetchError(
                f"the fetcher failed: {type(outcome).__name__}: {outcome}"
            ) from outcome


async def _gather_by_host(
    jobs: Iterable[tuple[str, Callable[[], Awaitable[None]]]], *, per_host: int, window: int
) -> None:
    """Run every job, at most ``window`` at once and ``per_host`` at once per host.

    A ``_HostQueue`` given every job up front (see there). A provenance error from one
    job (the archive's) propagates as is.
    """
    queue = _HostQueue(per_host=per_host, window=window)
    for host, job in jobs:
        queue.add(host, job)
    queue.close()
    await queue.run()


class _HostQueue:
    """Jobs by host, run at most ``window`` at once and ``per_host`` at once per host.

    Starting one task per URL up front parked every URL's task (its frames and its
    waiter on the semaphore or host gate): 90 MiB of Python objects at 18,800 URLs,
    for requests that could not start anyway. Here up to ``window`` workers take jobs in
    turn by host, each starting its next job as soon as it finishes one (no task and no
    wake-up of a coordinator per job), and a host never holds more than ``per_host`` of
    them (so a host slowed by a 429 cannot occupy every worker and idle the others): a
    worker that finds only full hosts waits for a slot to free.

    Jobs may be added while ``run`` goes on (URLs found as documents are read); ``run``
    returns once the queue is ``close``d and every job has run. A provenance error from
    one job (the archive's) propagates as is; any other becomes a ``FetchError``.
    """

    def __init__(self, *, per_host: int, window: int) -> None:
        self._per_host = per_host
        self._window = window
        self._queues: dict[str, deque[Callable[[], Awaitable[None]]]] = {}
        self._live: dict[str, int] = {}
        self._ready: deque[str] = deque()  # hosts with jobs waiting and room for one more
        self._waiting = 0
        self._closed = False
        # Workers with nothing to start (every host with jobs left is at its limit, or no
        # job yet): each waits on a future of its own, and a freed slot wakes one of them.
        self._idle: deque[asyncio.Future[None]] = deque()
        self._workers = 0
        self._group: asyncio.TaskGroup | None = None
        self._all_added: asyncio.Future[None] | None = None

    def add(self, host: str, job: Callable[[], Awaitable[None]], *, first: bool = False) -> None:
        """Run ``job`` in its turn on ``host`` (before the host's other waiting jobs if
        ``first``)."""
        queue = self._queues.get(host)
        if queue is None:
            queue = self._queues[host] = deque()
            self._live[host] = 0
        was_empty = not queue
        if first:
            queue.appendleft(job)
        else:
            queue.append(job)
        self._waiting += 1
        if was_empty and self._live[host] < self._per_host:
            self._ready.append(host)
            self._wake()

    def close(self) -> None:
        """No more jobs: ``run`` returns once those added have run."""
        self._closed = True
        if self._all_added is not None and not self._all_added.done():
            self._all_added.set_result(None)
        if not self._waiting:
            self._wake(every=True)  # nothing left to start: the idle ones may stop

    async def run(self) -> None:
        """Run the jobs added so far and those added meanwhile, until closed and done."""
        loop = asyncio.get_running_loop()
        self._all_added = loop.create_future()
        if self._closed:
            self._all_added.set_result(None)
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                for _ in range(min(self._window, self._waiting)):
                    self._spawn()
                await self._all_added
        except BaseExceptionGroup as failures:
            first = _first_leaf(failures)
            if isinstance(first, ProvenanceError):
                raise first from None
            raise FetchError(f"the fetcher failed: {type(first).__name__}: {first}") from first
        finally:
            self._group = None

    def _spawn(self) -> None:
        assert self._group is not None
        self._workers += 1
        self._group.create_task(self._worker())

    def _wake(self, every: bool = False) -> None:
        """Wake an idle worker (every one with ``every``), or start one if there is room."""
        woke = False
        while self._idle:
            waiter = self._idle.popleft()
            if not waiter.done():
                waiter.set_result(None)
                woke = True
                if not every:
                    return
        if not woke and not every and self._group is not None and self._workers < self._window:
            self._spawn()

    async def _worker(self) -> None:
        queues, live, ready, per_host = self._queues, self._live, self._ready, self._per_host
        loop = asyncio.get_running_loop()
        while self._waiting or not self._closed:
            if not ready:
                waiter = loop.create_future()
                self._idle.append(waiter)
                await waiter
                continue
            host = ready.popleft()
            queue = queues[host]
            job = queue.popleft()
            self._waiting -= 1
            if not self._waiting and self._closed:
                self._wake(every=True)  # nothing left to start: the idle ones may stop
            live[host] += 1
            if queue and live[host] < per_host:
                ready.append(host)
                self._wake()
            try:
                await job()
            finally:
                live[host] -= 1
                if queue and live[host] == per_host - 1:
                    ready.append(host)  # it was full: back in turn
                    self._wake()


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return first


def warm_up(settings: FetchSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
    """Build ahead what a run's client takes long to build: the TLS context (a CA bundle
    parsed, tens of ms, with the GIL released), e.g. on a thread while the caller reads
    documents. Safe to skip; safe to call from any thread."""
    if transport is None:
        from provenance.fetch.pool import _ssl_context

        _ssl_context(settings.trust_env)


def fetch_urls(
    urls: Iterable[str],
    settings: FetchSettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    cache: FetchCache | str | os.PathLike[str] | None = None,
    clock: Clock = _utc_now,
    sleep: Sleep = asyncio.sleep,
    resolver: Resolver | None = None,
    rng: random.Random | None = None,
    on_progress: OnProgress | None = None,
    on_fetched: OnFetched | None = None,
    probe: Probe | None = None,
) -> FetchRun:
    """Synchronous ``Fetcher(...).fetch_all(urls)`` for callers without an event loop.

    Raises ``FetchError`` when called from inside a running event loop (await
    ``Fetcher.fetch_all`` there instead).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise FetchError("fetch_urls cannot run inside an event loop; await Fetcher.fetch_all")
    fetcher = Fetcher(
        settings if settings is not None else FetchSettings(),
        transport=transport,
        cache=cache,
        clock=clock,
        sleep=sleep,
        resolver=resolver,
        rng=rng,
        on_progress=on_progress,
        on_fetched=on_fetched,
        probe=probe,
    )
    return run_loop(lambda: fetcher.fetch_all(urls))
