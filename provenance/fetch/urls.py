"""URL normalisation: one spelling per resource, so each distinct URL is fetched once per run."""

from __future__ import annotations

import functools
import re
from urllib.parse import quote, urlsplit, urlunsplit

import idna

__all__ = ["DEFAULT_PORTS", "UrlParts", "host_of", "normalize_url", "plain_url_parts"]

DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}

# --- plain URLs -------------------------------------------------------------------------
#
# Most cited URLs, once normalised, are plain: http or https, a lower-case ASCII host name
# or dotted-quad address, a port only if not the default, and a path and query of RFC 3986
# characters that no quoting here or in httpx changes. Such a URL is its own normal form,
# its host is in plain sight, and httpx would parse it into exactly these parts; the
# fetcher takes those shortcuts (``normalize_url``, ``host_of``, and the request built in
# ``provenance.fetch.client``) instead of urlsplit/quote/urlunsplit and httpx's parser,
# several times per request. Anything else takes the general path.

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# RFC 3986 pchar, and "%": what the path and query quoting keep as is, provided every "%"
# starts an escape (``_BAD_ESCAPE`` finds one that does not). One character class and a
# search for "%" match what ``(?:[pchar]|%[0-9A-Fa-f]{2})*`` matches, at a third of its cost.
_PCHARS = r"A-Za-z0-9\-._~!$&'()*+,;=:@/%"
_PLAIN_URL = re.compile(
    rf"(https?)://((?:{_OCTET}\.){{3}}{_OCTET}|{_LABEL}(?:\.{_LABEL})*)(?::([1-9][0-9]{{0,4}}))?"
    rf"(/[{_PCHARS}]*)(?:\?([{_PCHARS}?]*))?"
)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")

UrlParts = tuple[str, str, int | None, str, str | None]
"""``(scheme, host, port or None for the default, path, query or None)``."""


@functools.lru_cache(maxsize=1 << 16)
def plain_url_parts(url: str) -> UrlParts | None:
    """The parts of ``url`` if it is plain (see above) and httpx parses it into them as
    they are, else None.

    Remembered for the run's URLs: the fetcher asks several times per request (its key,
    its host, the address policy, the request itself).
    """
    match = _PLAIN_URL.fullmatch(url)
    if match is None:
        return None
    scheme, host, port_text, path, query = match.groups()
    if "%" in url and _BAD_ESCAPE.search(url) is not None:
        return None
    scheme = "https" if scheme == "https" else "http"  # one string each, not one per URL
    if "xn--" in host:
        return None  # httpx decodes IDNA labels (and refuses invalid ones)
    if "." in path:
        segments = path.split("/")
        if "." in segments or ".." in segments:
            return None  # httpx drops dot segments
    port = int(port_text) if port_text is not None else None
    if port is not None and (port > 65535 or port == DEFAULT_PORTS[scheme]):
        return None
    return scheme, host, port, path, query


# Characters left alone when re-quoting: the reserved set, the unreserved set and "%"
# (so existing escapes survive); everything else (spaces, non-ASCII) is percent-encoded,
# which makes ``/wiki/Köln`` and ``/wiki/K%C3%B6ln`` the same key.
_PATH_SAFE = "/:@!$&'()*+,;=%-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


def _ascii_host(host: str) -> str:
    """Lower-case the host and IDNA-encode it; keep it as it is when it cannot be encoded."""
    host = host.lower().rstrip(".")
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        try:
            # IDNA 2003 accepts some names (symbols, emoji domains) that IDNA 2008 refuses.
            return host.encode("idna").decode("ascii")
        except UnicodeError:
            return host


# Pure functions of a string, called several times per URL per attempt (keys, hosts of
# each hop, the report's lookups): remembered for the run's URLs.
_MEMO = 1 << 16


@functools.lru_cache(maxsize=_MEMO)
def normalize_url(url: str) -> str:
    """The canonical spelling of ``url`` used as its key for fetching and caching.

    For http and https: scheme and host lower-cased, the host IDNA-encoded and stripped
    of a trailing dot, the default port dropped, an empty path made ``/``, non-ASCII and
    unsafe characters of path and query percent-encoded, the fragment dropped. Other
    schemes only lose their fragment and get a lower-case scheme. Never raises: a string
    that does not parse comes back stripped, and fetching it reports why it failed.
    """
    plain = plain_url_parts(url)
    if plain is not None and plain[4] != "":  # "?" and nothing after it: dropped below
        return url
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        # Not re-assembled by urlunsplit, which respells some ("a:////" -> "a://" -> "a:"):
        # the text as written, scheme lower-cased, fragment and the space before it dropped.
        return _as_written(scheme, text)
    host = parts.hostname
    if host is None:  # "http:///x": nothing to fetch; kept as written, like other schemes
        return _as_written(scheme, text)
    netloc = _ascii_host(host)
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at:
        netloc = f"{userinfo}@{netloc}"
    path = quote(parts.path, safe=_PATH_SAFE) or "/"
    query = quote(parts.query, safe=_QUERY_SAFE)
    return urlunsplit((scheme, netloc, path, query, ""))


def _as_written(scheme: str, text: str) -> str:
    """``text`` with its scheme lower-cased and its fragment dropped, nothing else changed."""
    kept = f"{scheme}:{text.partition(':')[2]}" if scheme else text
    return kept.partition("#")[0].strip()


@functools.lru_cache(maxsize=_MEMO)
def host_of(url: str) -> str:
    """The lower-case host name of ``url`` (no port, no brackets), or ``""`` when it has none."""
    plain = plain_url_parts(url)
    if plain is not None:
        return plain[1]
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""
