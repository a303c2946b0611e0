"""The archive's lookup key for a URL: the fetcher's normalisation rules.

``provenance.fetch`` had no ``normalize_url`` when the archive was written, so
the archive carries its own, with the rules the fetch contract names: scheme and
host lower-cased, the scheme's default port and the fragment dropped (and an
empty HTTP path written as ``/``, which means the same resource).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["normalize_url"]

_DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21", "ws": "80", "wss": "443"}


def normalize_url(url: str) -> str:
    """Return ``url`` with scheme and host lower-cased, default port and fragment dropped."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    netloc = _normalize_netloc(scheme, parts.netloc)
    path = parts.path
    if not path and netloc and scheme in ("http", "https"):
        path = "/"
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def _normalize_netloc(scheme: str, netloc: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    if hostport.startswith("["):
        # An IPv6 literal: its colons are not a port separator.
        end = hostport.find("]")
        host, rest = (hostport, "") if end < 0 else (hostport[: end + 1], hostport[end + 1 :])
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = hostport.partition(":")
    host = host.lower()
    if port == _DEFAULT_PORTS.get(scheme):
        port = ""
    hostport = f"{host}:{port}" if port else host
    return f"{userinfo}{at}{hostport}"
