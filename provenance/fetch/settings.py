"""Every knob of the fetch engine, with the defaults a polite citation checker uses."""

from __future__ import annotations

import importlib.metadata
import ipaddress

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["DEFAULT_USER_AGENT", "MIB", "FetchSettings", "package_version"]

MIB = 1024 * 1024

_FALLBACK_VERSION = "0.1.0"


def package_version() -> str:
    """The installed version of provenance, or the source tree's version when not installed."""
    try:
        return importlib.metadata.version("provenance")
    except importlib.metadata.PackageNotFoundError:
        # Running from a checkout that was never pip-installed (tests, benchmarks).
        return _FALLBACK_VERSION


DEFAULT_USER_AGENT = (
    f"provenance/{package_version()} (+https://github.com/provenance; citation checker)"
)


class FetchSettings(BaseModel):
    """How the fetcher behaves; every field has a documented, deliberately polite default.

    Concurrency (names follow lychee's options):

    * ``concurrency`` (64): requests in flight across the whole run.
    * ``host_concurrency`` (8): requests in flight to one host name.
    * ``host_interval_ms`` (0): minimum spacing between the *starts* of two requests to
      one host. Zero because the fetcher adapts instead: a host that answers 429 is paused
      (``Retry-After`` or exponential backoff) and from then on spaced at least
      ``rate_limited_interval_ms`` apart, so only hosts that ask to be slowed are slowed.

    Time (seconds):

    * ``connect_timeout_s`` (10), ``read_timeout_s`` (20): per socket operation.
    * ``total_timeout_s`` (30): one attempt at one URL, all redirect hops and the body
      included; time spent waiting for a host's turn is not counted.

    Retries (on timeouts, connection errors, 408, 429, 502, 503 and 504):

    * ``max_retries`` (2): so at most three attempts per URL in the first pass.
    * ``backoff_base_s`` (0.5), ``backoff_max_s`` (30): attempt *n* waits
      ``min(max, base * 2**(n-1))`` shortened by up to ``backoff_jitter`` (0.5 = 50 %),
      drawn from the injected ``rng``, so retries from many tasks do not synchronise.
    * ``retry_after_max_s`` (60): a server's ``Retry-After`` is obeyed up to this cap.
    * ``recheck`` (True), ``recheck_delay_s`` (1): every URL that is not alive and not
      a deterministic refusal (policy, scheme, paywall...) is fetched once more, this
      long after its failure, before anything is reported dead (during the first pass
      once some host has answered; after it, when the run might be offline).

    Redirects: ``max_redirects`` (10) hops, followed by hand and recorded.

    Bodies: ``max_body_bytes`` (10 MiB) as received, ``max_decoded_bytes`` (50 MiB)
    after gzip/deflate decoding; a 2xx over either is ``too-large`` (a gzip bomb is a
    verdict, not an out-of-memory).

    Safety: ``allow_private`` (False) refuses loopback, private, link-local,
    unique-local, multicast, reserved and cloud-metadata addresses, literal or resolved.
    ``allowed_networks`` (none) lets through addresses in these networks (CIDR text,
    e.g. ``"10.20.0.0/16"`` for an intranet documentation server) while everything else
    stays refused; names resolving there are still connected to by the vetted address.
    ``trust_env`` (True) honours ``HTTP(S)_PROXY``/``NO_PROXY`` and ``SSL_CERT_FILE``.

    Cache: ``refresh`` (False) ignores what the cache holds (results are still written).
    ``cache_alive_ttl_s`` (24 h) serves an alive result without a request;
    ``cache_failure_ttl_s`` (1 h) serves an unverifiable answer that is not a network
    failure (403, paywall, bot wall, 429...). Dead results and timeouts are never
    served from the cache: they are fetched again.

    Offline detection: ``offline_probe_url`` (None) is fetched when every host of a run
    failed at the DNS/connection level; if it fails too the run is offline. Without a
    probe, a run is declared offline only when at least two hosts all failed that way.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    concurrency: int = Field(default=64, ge=1)
    host_concurrency: int = Field(default=8, ge=1)
    host_interval_ms: int = Field(default=0, ge=0)
    rate_limited_interval_ms: int = Field(default=1000, ge=0)

    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=20.0, gt=0)
    total_timeout_s: float = Field(default=30.0, gt=0)

    max_retries: int = Field(default=2, ge=0)
    backoff_base_s: float = Field(default=0.5, ge=0)
    backoff_max_s: float = Field(default=30.0, ge=0)
    backoff_jitter: float = Field(default=0.5, ge=0, le=1)
    retry_after_max_s: float = Field(default=60.0, ge=0)
    recheck: bool = True
    recheck_delay_s: float = Field(default=1.0, ge=0)

    max_redirects: int = Field(default=10, ge=0)

    max_body_bytes: int = Field(default=10 * MIB, ge=1)
    max_decoded_bytes: int = Field(default=50 * MIB, ge=1)

    user_agent: str = Field(default=DEFAULT_USER_AGENT, min_length=1)
    allow_private: bool = False
    allowed_networks: tuple[str, ...] = ()
    trust_env: bool = True

    refresh: bool = False
    cache_alive_ttl_s: float = Field(default=24 * 3600.0, ge=0)
    cache_failure_ttl_s: float = Field(default=3600.0, ge=0)

    offline_probe_url: str | None = None

    @field_validator("allowed_networks")
    @classmethod
    def _networks_parse(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for text in value:
            ipaddress.ip_network(text, strict=False)  # ValueError names the bad entry
        return value

    def allowed_ip_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """``allowed_networks`` parsed."""
        return tuple(ipaddress.ip_network(text, strict=False) for text in self.allowed_networks)
