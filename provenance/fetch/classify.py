"""Turning what came back (status, headers, the start of a page, an exception) into a ``Reason``.

Everything here is a pure function of its arguments, so each rule is testable alone.
"""

from __future__ import annotations

import html
import os
import re
import socket
import ssl
from collections.abc import Iterator, Mapping, Sequence
from types import ModuleType
from urllib.parse import urlsplit

import httpx

from provenance.fetch.models import Reason, Redirect
from provenance.fetch.urls import plain_url_parts

__all__ = [
    "PERMANENT_REDIRECTS",
    "RETRYABLE_STATUSES",
    "bot_challenge_evidence",
    "classify_exception",
    "classify_status",
    "page_headings",
    "page_text_parts",
    "short_page_text",
    "soft_404_evidence",
]

PERMANENT_REDIRECTS = frozenset({301, 308})
RETRYABLE_STATUSES = frozenset({408, 429, 502, 503, 504})

_STATUS_REASONS: dict[int, Reason] = {
    401: Reason.FORBIDDEN,
    402: Reason.PAYWALL,
    403: Reason.FORBIDDEN,
    404: Reason.NOT_FOUND,
    # The server gave up waiting for our request: says nothing about the source.
    408: Reason.TIMEOUT,
    410: Reason.GONE,
    429: Reason.RATE_LIMITED,
    # Blocked where we are (a legal demand), not gone: a reader elsewhere may see it.
    451: Reason.FORBIDDEN,
    # LinkedIn's and a few others' answer to anything that looks like a bot.
    999: Reason.BOT_CHALLENGE,
}


def classify_status(status: int) -> Reason:
    """The reason an HTTP status implies on its own (body and headers not considered)."""
    reason = _STATUS_REASONS.get(status)
    if reason is not None:
        return reason
    if 200 <= status < 400:
        return Reason.OK
    if 400 <= status < 500:
        return Reason.CLIENT_ERROR
    return Reason.SERVER_ERROR


# --- page text --------------------------------------------------------------------------

_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>", re.S)
_INVISIBLE = re.compile(r"<(script|style|noscript|template|head)\b.*?</\1\s*>", re.I | re.S)
# ``_INVISIBLE``'s block, or (group 2 None) its opener alone where the block does not close.
_BLOCK_OR_OPENER = re.compile(
    r"<(script|style|noscript|template|head)\b(?:.*?(</\1\s*>))?", re.I | re.S
)

# Visible text shorter than this is "a short page": a bare error message, not an article.
_SHORT_TEXT_CHARS = 300
# How much of a page's text is squeezed first to tell a long page cheaply.
_SHORT_PREFIX_CHARS = 1024
# A page is first read for a lower bound of its visible text from this much of its
# markup (``_visible_lower_bound``): an article with a small head says more than a bare
# error page this early, and stripping the rest is then not needed.
_SHORT_PREFIX_MARKUP = 512
# Markup longer than this is not searched for a short page: stripping a big page costs
# milliseconds of event-loop time, and bare error pages are small.
_SHORT_PAGE_MAX_MARKUP = 32 * 1024
# Bot walls are small pages: their markers are searched for in this much of the text.
_CHALLENGE_SCAN_CHARS = 64 * 1024


def _squeeze(text: str) -> str:
    """Runs of whitespace made one space, ends stripped (``re.sub(r"\\s+", " ", text).strip()``).

    ``str.split()`` splits on exactly the characters ``\\s`` matches in a str pattern
    (``str.isspace``), at a fifth of the regex's cost on a page of text.
    """
    return " ".join(text.split())


def _clean(fragment: str) -> str:
    return _squeeze(html.unescape(_TAG.sub(" ", fragment)))


def page_text_parts(text: str, *, is_html: bool) -> tuple[str | None, str | None, str | None]:
    """``(title, first h1, visible text if the page is short)`` of a decoded page prefix."""
    title, h1 = page_headings(text, is_html=is_html)
    return title, h1, short_page_text(text, is_html=is_html)


def page_headings(text: str, *, is_html: bool) -> tuple[str | None, str | None]:
    """``(title, first h1)`` of a decoded page prefix (None for text that is not HTML)."""
    if not is_html:
        return None, None
    title_match = _TITLE.search(text)
    h1_match = _H1.search(text)
    title = _clean(title_match.group(1)) if title_match else None
    h1 = _clean(h1_match.group(1)) if h1_match else None
    return title or None, h1 or None


def _visible_lower_bound(markup: str) -> int:
    """A lower bound on ``len`` of the squeezed visible text of ``markup``, read from its
    first ``_SHORT_PREFIX_MARKUP`` characters only.

    The prefix is cut where none of the steps of ``short_page_text`` crosses the cut:
    before the first invisible block not closed within it (``_BLOCK_OR_OPENER`` matches
    its opener alone), before the first ``<`` after its last ``>`` (a tag still open),
    and, once the tags are stripped, before the last ``&`` (an entity, or a run of
    digits, stops at the next ``&``). Then the whole page's visible text is the visible
    text of the cut prefix followed by more: each step (block removal, tag stripping,
    unescaping) works on the prefix as on the whole, and squeezing ``a + b`` never gives
    fewer characters than squeezing ``a``.
    """
    head = markup[:_SHORT_PREFIX_MARKUP]
    parts: list[str] = []
    start = 0
    for match in _BLOCK_OR_OPENER.finditer(head):
        if match.group(2) is None:
            head = head[: match.start()]  # a block that may close after the prefix
            break
        parts.append(head[start : match.start()])
        parts.append(" ")
        start = match.end()
    parts.append(head[start:])
    stripped = "".join(parts)
    closed = stripped.rfind(">")
    still_open = stripped.find("<", closed + 1)
    if still_open >= 0:
        stripped = stripped[:still_open]
    text = _TAG.sub(" ", stripped)
    amp = text.rfind("&")
    if amp >= 0:
        text = html.unescape(text[:amp])
    return _squeezed_at_least(text)


# What ``str.split()`` splits ASCII text on.
_ASCII_SPACES = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _squeezed_at_least(text: str) -> int:
    """A lower bound on ``len(_squeeze(text))``, without building it: the characters that
    are not whitespace (for ASCII text, counted in one pass; other text is squeezed)."""
    if not text.isascii():
        return len(_squeeze(text))
    return len(text.encode("ascii").translate(None, _ASCII_SPACES))


def short_page_text(text: str, *, is_html: bool) -> str | None:
    """The visible text of a decoded page prefix if the page is short, else None.

    Only soft-404 checks read it, and only when nothing else decided, so the fetcher
    asks for it last.
    """
    if len(text) > _SHORT_PAGE_MAX_MARKUP:
        return None
    if (
        is_html
        and len(text) > _SHORT_PREFIX_MARKUP
        and (_visible_lower_bound(text) > _SHORT_TEXT_CHARS)
    ):
        return None  # settled on a prefix of the markup: a long page
    raw = html.unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", text))) if is_html else text
    # Squeezing a prefix never gives more characters than squeezing the whole (its words
    # are the whole's, the last perhaps cut short), so a long prefix settles a long page
    # without squeezing all of it.
    if _squeezed_at_least(raw[:_SHORT_PREFIX_CHARS]) > _SHORT_TEXT_CHARS:
        return None
    visible = _squeeze(raw)
    return visible if len(visible) <= _SHORT_TEXT_CHARS else None


# --- bot walls --------------------------------------------------------------------------

_CHALLENGE_TITLES = re.compile(
    r"^(just a moment\.*|attention required!?.*cloudflare.*|attention required!?"
    r"|checking your browser.*|please wait while we verify.*|ddos-guard|access denied.*incapsula.*"
    r"|verifying you are human.*|are you a robot\??|human verification|security check(point)?"
    r"|pardon our interruption\.*|one more step)$",
    re.I,
)
# Strong markers: only challenge and bot-management pages carry them, whatever the status.
_CHALLENGE_MARKERS: tuple[tuple[str, str], ...] = (
    ("/cdn-cgi/challenge-platform/", "Cloudflare challenge script"),
    ("_cf_chl_opt", "Cloudflare challenge script"),
    ("cf-browser-verification", "Cloudflare browser check"),
    ("checking your browser before accessing", "'Checking your browser' interstitial"),
    ("enable javascript and cookies to continue", "'Enable JavaScript and cookies' interstitial"),
    ("_incapsula_resource", "Imperva/Incapsula challenge"),
    ("captcha-delivery.com", "DataDome captcha"),
    ("px-captcha", "PerimeterX captcha"),
    ("ddos-guard", "DDoS-Guard check"),
    ("/.well-known/sgcaptcha/", "SiteGround captcha"),
    ("please verify you are a human", "'verify you are a human' prompt"),
)
# Weak markers: contact forms use captchas too, so these count only on an error status.
_CAPTCHA_MARKERS: tuple[tuple[str, str], ...] = (
    ("g-recaptcha", "reCAPTCHA"),
    ("h-captcha", "hCaptcha"),
    ("hcaptcha.com", "hCaptcha"),
    ("challenges.cloudflare.com/turnstile", "Cloudflare Turnstile"),
    ("captcha", "captcha"),
)


_STRONG = tuple(marker for marker, _ in _CHALLENGE_MARKERS)
# Strong markers, then weak ones: the first found in this order is what the checks below
# report (a strong marker wins, as it is looked for first).
_ALL_MARKERS = _STRONG + tuple(marker for marker, _ in _CAPTCHA_MARKERS)


def _compiled_sniff() -> ModuleType | None:
    """``_sniff.c`` (built by setup.py), unless not built or ``PROVENANCE_PURE_PYTHON=1``."""
    if os.environ.get("PROVENANCE_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from provenance.fetch import _sniff
    except ImportError:  # built without a compiler: the Python scans, just slower
        return None
    return _sniff


_sniff = _compiled_sniff()


def first_marker(text: str, markers: tuple[str, ...], limit: int) -> int:
    """The index of the first of ``markers`` (lower-case) in ``text[:limit].lower()``, or -1.

    The reference for ``_sniff.first_marker``, which answers the same in one pass (or -2
    where the Python must decide).
    """
    lowered = text[:limit].lower()
    return next((index for index, marker in enumerate(markers) if marker in lowered), -1)


def bot_challenge_evidence(
    status: int, headers: Mapping[str, str], text: str, *, title: str | None
) -> str | None:
    """What shows the answer is a bot wall rather than the source, or None.

    ``headers`` by lower-case name (an ``httpx.Headers`` will do); ``text`` is the (lower-case
    or not) decoded start of the body; ``title`` its title.
    """
    if headers.get("cf-mitigated", "").strip().lower() == "challenge":
        return "cf-mitigated: challenge header"
    if status == 999:
        return "status 999 (bot refusal)"
    if title is not None and _CHALLENGE_TITLES.match(title):
        return f"title says {title!r}"
    # Strong markers on any page, the weak ones too on an error page; the first found in
    # that order is the evidence. One pass in C where built (-2: it leaves this text to
    # the Python).
    markers = _STRONG if status < 400 else _ALL_MARKERS
    index = -2 if _sniff is None else _sniff.first_marker(text, markers, _CHALLENGE_SCAN_CHARS)
    if index == -2:
        index = first_marker(text, markers, _CHALLENGE_SCAN_CHARS)
    if index < 0:
        return None
    if index < len(_STRONG):
        return f"body contains {_CHALLENGE_MARKERS[index][1]}"
    return f"{status} page with a {_CAPTCHA_MARKERS[index - len(_STRONG)][1]}"


# --- soft 404s --------------------------------------------------------------------------

# A title/h1 is split on the separators sites put between the message and their name
# ("Page not found | The Guardian"); one segment must *be* an error message, so an
# article titled "How to fix 404 errors in nginx" is not mistaken for one.
_SEGMENT_SPLIT = re.compile(r"\s+[|\-–—:·•»]\s+|\s*[|–—·•»]\s*")
_ERROR_SEGMENT = re.compile(
    r"^(?:oops[!,.]*\s*)?(?:sorry[!,.]*\s*)?(?:error\s*)?(?:"
    r"(?:http\s*)?(?:error\s*)?404(?:\s*error)?(?:\s*[-:]?\s*(?:page\s+)?not\s+found)?"
    r"|(?:the\s+|this\s+)?(?:page|file|document|article|content|post|resource|url)?\s*not\s+found"
    r"|(?:the\s+|this\s+)?(?:page|article|post|content|resource)\s+"
    r"(?:does\s*n[o'’]t|does\s+not|no\s+longer)\s+exists?"
    r"|(?:the\s+|this\s+|that\s+)?(?:page|article|post|content)\s+(?:can(?:no|['’])t|could\s*n[o'’]t)"
    r"\s+be\s+found"
    r"|(?:we\s+)?(?:can(?:no|['’])t|could\s*n[o'’]t)\s+find\s+(?:that|this|the)\s+page"
    r"|page\s+(?:is\s+)?(?:missing|unavailable)"
    r")\s*[.!]*$",
    re.I,
)
# On a short page the message can sit anywhere in the text.
_SHORT_PAGE_ERROR = re.compile(
    r"\b404\b|\bnot\s+found\b|\bdoes\s*n[o'’]t\s+exist|\bdoes\s+not\s+exist|\bno\s+longer\s+exists",
    re.I,
)
_ERROR_PATH = re.compile(
    r"(?:^|/)(?:404|error[-_]?404|404[-_]?error)(?:\.[a-z]+)?(?:/|$)|not[-_]?found|page[-_]?missing",
    re.I,
)
_INDEX_PATH = re.compile(r"^/(?:index|default|home)(?:\.[a-z]+)?$", re.I)
# "/en-us/" is a localised home page; only real language codes count, so "/ok" does not.
_LOCALE_PATH = re.compile(
    r"^/(?:ar|bg|cs|da|de|el|en|es|et|fa|fi|fr|he|hi|hr|hu|id|it|ja|ko|lt|lv|nb|nl|no|pl"
    r"|pt|ro|ru|sk|sl|sr|sv|th|tr|uk|vi|zh)(?:[-_][a-z]{2,4})?/?$",
    re.I,
)


# Every alternative of ``_ERROR_SEGMENT`` spells one of these (with the same re.I): a
# title without any of them is no error message, in whole or in any segment.
_ERROR_WORDS = re.compile(r"404|found|exist|find|missing|unavailable", re.I)


def _error_segment(text: str) -> bool:
    if _ERROR_WORDS.search(text) is None:
        return False
    if _ERROR_SEGMENT.match(text.strip()):
        return True
    return any(_ERROR_SEGMENT.match(part.strip()) for part in _SEGMENT_SPLIT.split(text))


def _is_home(path: str) -> bool:
    if path in ("", "/") or _INDEX_PATH.match(path):
        return True
    return bool(_LOCALE_PATH.match(path))


def _path_and_query(url: str) -> tuple[str, str]:
    """``urlsplit(url)``'s path and query; a plain URL's are in sight (no urlsplit)."""
    plain = plain_url_parts(url)
    if plain is not None:
        return plain[3], plain[4] or ""
    parts = urlsplit(url)
    return parts.path, parts.query


def soft_404_evidence(
    url: str,
    final_url: str,
    redirects: Sequence[Redirect],
    *,
    title: str | None,
    h1: str | None,
    short_text: str | None,
) -> str | None:
    """What shows a 200 answer is really a "not found" page, or None.

    Looks at, in order: a redirect from a deep link to the site's home page, a redirect
    to an error path (``/404``, ``not-found``), the title, the first h1, and the whole
    text of a short page.
    """
    if redirects:
        original_path, original_query = _path_and_query(url)
        final_path, _ = _path_and_query(final_url)
        deep = not _is_home(original_path) or bool(original_query)
        if deep and _is_home(final_path) and final_path.rstrip("/") != original_path.rstrip("/"):
            return f"redirected to the site's home page {final_path or '/'}"
        if _ERROR_PATH.search(final_path) and not _ERROR_PATH.search(original_path):
            return f"redirected to an error page {final_path}"
    if title is not None and _error_segment(title):
        return f"title says {title!r}"
    if h1 is not None and _error_segment(h1):
        return f"h1 says {h1!r}"
    if short_text is not None:
        match = _SHORT_PAGE_ERROR.search(short_text)
        if match is not None:
            return f"short page says {short_text[:80]!r}"
    return None


# --- exceptions -------------------------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else type(exc).__name__


_TIMEOUT_KINDS: dict[type[BaseException], str] = {
    httpx.ConnectTimeout: "connect",
    httpx.ReadTimeout: "read",
    httpx.WriteTimeout: "write",
    httpx.PoolTimeout: "connection pool",
}


def classify_exception(exc: BaseException) -> tuple[Reason, str]:
    """``(reason, short error message)`` for an exception raised while fetching."""
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        what = _TIMEOUT_KINDS.get(type(exc), "total")
        return Reason.TIMEOUT, f"{what} timeout"
    chain = list(_chain(exc))
    for link in chain:
        if isinstance(link, socket.gaierror):
            return Reason.DNS_ERROR, f"DNS lookup failed: {_message(link)}"
    for link in chain:
        if isinstance(link, ssl.SSLError):
            return Reason.TLS_ERROR, f"TLS failed: {_message(link)}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return Reason.UNSUPPORTED_SCHEME, _message(exc)
    if isinstance(exc, httpx.InvalidURL | httpx.LocalProtocolError | UnicodeError):
        return Reason.CLIENT_ERROR, f"invalid request: {_message(exc)}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return Reason.CONNECTION_ERROR, f"protocol error: {_message(exc)}"
    return Reason.CONNECTION_ERROR, f"connection failed: {_message(exc)}"
