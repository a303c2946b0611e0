"""Run the ``provenance`` CLI with its fetcher's HTTP client on :class:`SafeAiohttpTransport`.

Benchmark-only: it prices the recommended transport end to end without
changing provenance. ``provenance.fetch.fetcher`` builds its client with
``make_client(settings, transport)``; this shim wraps that name so that, when no
transport is injected, the client gets the transport of
:func:`bench.fetch.transports.make_aiohttp_transport` sized from the settings.

    python -m bench.fetch.provshim check --allow-private ... CORPUS

Exits 3 with a message when provenance's layout no longer matches (the harness
then skips the row).
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["install"]

#: Idle keep-alive expiry, as ``provenance.fetch.client`` uses for httpx's pool.
KEEPALIVE_S = 15.0


def install() -> str:
    """Patch provenance's fetcher; return '' on success or why it could not."""
    try:
        import httpx

        from bench.fetch.transports import make_aiohttp_transport
        from provenance.fetch import fetcher
    except ImportError as exc:
        return f"cannot import: {exc}"
    original = getattr(fetcher, "make_client", None)
    if original is None:
        return "provenance.fetch.fetcher has no make_client"

    def make_client(
        settings: Any, transport: httpx.AsyncBaseTransport | None = None
    ) -> httpx.AsyncClient:
        if transport is None:
            transport = make_aiohttp_transport(
                max_connections=int(settings.concurrency),
                max_per_host=int(getattr(settings, "host_concurrency", 0)),
                keepalive_s=KEEPALIVE_S,
                trust_env=bool(getattr(settings, "trust_env", False)),
            )
        client: httpx.AsyncClient = original(settings, transport)
        return client

    setattr(fetcher, "make_client", make_client)  # noqa: B010 - not a re-export
    return ""


def _main() -> int:
    problem = install()
    if problem:
        print(f"bench.fetch.provshim: {problem}", file=sys.stderr)
        return 3
    from provenance import cli

    sys.argv[0] = "provenance"
    entry: Any = cli.main  # exits by itself (click); the return is for other layouts
    result = entry()
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(_main())
