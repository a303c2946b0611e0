"""Finding citation markers in prose: ``[1]``, ``[1, 2]``, ``[1-3]``, ``[^1]``, ``[@key]``...

Also the two markers that are findings in themselves: empty brackets ``[]`` and
``[citation needed]``. Brackets that are not citations (``[sic]``, ``[...]``,
``[Ed.]``, ``[emphasis added]``, bracketed words in quotes, array indexing in
code) match none of the patterns, or are rejected by ``_looks_like_code``.
"""

from __future__ import annotations

import enum
import functools
import re
from typing import NamedTuple

from provenance.extract._compiled import speedups
from provenance.models import CitationKind

__all__ = [
    "IDENTIFIER_PREFIXES",
    "MAX_RANGE",
    "Marker",
    "MarkerItem",
    "MarkerKind",
    "find_markers",
    "identifier_url",
    "is_bare_year",
]

# A range longer than this ("[1990-2020]") is not a list of citations.
MAX_RANGE = 50

_NUM = r"\d{1,4}(?:[ \t]*[-–—][ \t]*\d{1,4})?"
_DEFAULT_NEEDED = (
    "citation needed",
    "citation-needed",
    "citation required",
    "cn",
    "source needed",
    "source?",
    "sources?",
    "reference needed",
    "needs citation",
    "need citation",
    "according to whom?",
    "by whom?",
    "verification needed",
    "better source needed",
    "unreliable source?",
    "failed verification",
    "not in citation given",
)


@functools.lru_cache(maxsize=16)  # configured phrases are the same for every document
def _marker_regex(needed: tuple[str, ...]) -> re.Pattern[str]:
    needed_alt = "|".join(re.escape(n) for n in sorted(needed, key=len, reverse=True))
    return re.compile(
        r"\[(?:"
        rf"(?P<num>[ \t]*{_NUM}(?:[ \t]*[,;][ \t]*{_NUM})*[ \t]*)"
        r"|\^(?P<fn>[^\]\s\[^]+)"
        rf"|(?P<needed>(?i:[ \t]*(?:{needed_alt})[ \t]*))"
        r"|(?P<pandoc>[^\[\]\n]*@[^\[\]\n]*)"
        r"|(?P<empty>[ \t]*)"
        r")\]"
    )


_DEFAULT_RE = _marker_regex(_DEFAULT_NEEDED)

_PANDOC_ITEM = re.compile(
    r"^\s*(?P<prefix>(?:[^@]*\s)?)-?@(?P<key>\{[^}]+\}|[\w][^\s,;]*)(?P<locator>.*?)\s*$", re.S
)

IDENTIFIER_PREFIXES: dict[str, str] = {
    "doi": "https://doi.org/{}",
    "url": "{}",
    "arxiv": "https://arxiv.org/abs/{}",
    "pmid": "https://pubmed.ncbi.nlm.nih.gov/{}/",
    "pmcid": "https://www.ncbi.nlm.nih.gov/pmc/articles/{}/",
    "isbn": "https://openlibrary.org/isbn/{}",
    "wikidata": "https://www.wikidata.org/wiki/{}",
}

_LIST_SEPARATOR_RE = re.compile(r"[,;]")
_RANGE_DASH_RE = re.compile(r"[-–—]")
_CODE_TOKEN = re.compile(r"[A-Za-z_][\w.]*$")
# What stands before an indexed name in an expression: "x = foo[2]", "return rows[3]".
# Not "(": "(Jones[3])" is prose as often as "print(arr[1])" is code.
_CODE_BEFORE = re.compile(r"(?:=|\breturn)[ \t]*$")
# A bracket glued right before another: "[1]" of "a[1][2]".
_GLUED_BEFORE = re.compile(r"\[[^\[\]\s]{1,64}\]$")
_CODE_AFTER = re.compile(r"[ \t]*(?:[-+*/%|&^]?=(?!=)|\(|\.[A-Za-z_]|\[[^\]\d^@\s])")


class MarkerKind(enum.Enum):
    """What a bracketed marker is."""

    CITATION = "citation"
    EMPTY = "empty"
    NEEDED = "needed"


class MarkerItem(NamedTuple):
    """One cited id inside a marker (``[1, 2]`` has two)."""

    key: str
    kind: CitationKind
    locator: str | None = None


class Marker(NamedTuple):
    """A bracketed marker at ``[start, end)`` of the view."""

    start: int
    end: int
    raw: str
    kind: MarkerKind
    items: tuple[MarkerItem, ...] = ()


# A marker for every bracket that is one: ``tuple.__new__`` without the named tuple's own
# ``__new__`` (a Python function) to call, so every field is given.
_new_marker = functools.partial(tuple.__new__, Marker)


def identifier_url(key: str) -> str | None:
    """``doi:10.1/x`` -> ``https://doi.org/10.1/x``; None if ``key`` names no identifier."""
    prefix, sep, rest = key.partition(":")
    template = IDENTIFIER_PREFIXES.get(prefix.lower())
    if not sep or template is None or not rest:
        return None
    return template.format(rest)


def find_markers(text: str, *, needed: tuple[str, ...] | None = None) -> list[Marker]:
    """Every marker in ``text``, in order of position."""
    regex = _DEFAULT_RE if needed is None else _marker_regex(needed)
    if speedups is not None:  # the same loop, compiled (a property test compares them)
        markers: list[Marker] = speedups.find_markers(text, regex.search, _FIND_CONFIG)
        return markers
    return _find_markers(text, regex)


def _find_markers(text: str, regex: re.Pattern[str]) -> list[Marker]:
    """The reference implementation of ``find_markers`` (and the fallback)."""
    markers: list[Marker] = []
    for match in regex.finditer(text):
        marker = _classify(match)
        if marker is None:
            continue
        if marker.kind is MarkerKind.CITATION and _looks_like_code(text, *match.span()):
            continue
        markers.append(marker)
    return markers


def _classify(match: re.Match[str]) -> Marker | None:
    start, end, raw = match.start(), match.end(), match.group(0)
    if (num := match["num"]) is not None:
        items = _numeric_items(num)
        if items is None:
            return None
        return _new_marker((start, end, raw, MarkerKind.CITATION, items))
    if (fn := match["fn"]) is not None:
        item = MarkerItem("^" + fn, CitationKind.FOOTNOTE)
        return _new_marker((start, end, raw, MarkerKind.CITATION, (item,)))
    if match["needed"] is not None:
        return _new_marker((start, end, raw, MarkerKind.NEEDED, ()))
    if (pandoc := match["pandoc"]) is not None:
        pandoc_items = _pandoc_items(pandoc)
        if pandoc_items is None:
            return None
        return _new_marker((start, end, raw, MarkerKind.CITATION, pandoc_items))
    return _new_marker((start, end, raw, MarkerKind.EMPTY, ()))


# The same bodies ("1", "2, 3", "@smith2020, p. 4") come back in every document; the
# items are immutable, so each body is parsed once.
@functools.lru_cache(maxsize=4096)
def _numeric_items(body: str) -> tuple[MarkerItem, ...] | None:
    keys: list[str] = []
    for part in _LIST_SEPARATOR_RE.split(body):
        bounds = _RANGE_DASH_RE.split(part)
        if len(bounds) == 1:
            keys.append(str(int(bounds[0])))
            continue
        low, high = int(bounds[0]), int(bounds[1])
        if high < low or high - low > MAX_RANGE or low >= 1000:
            return None  # "[2019-2020]" or "[5-2]" is not a list of citations
        keys.extend(str(n) for n in range(low, high + 1))
    if "0" in keys:
        return None  # nobody numbers citations from zero; [0] is an index
    unique = dict.fromkeys(keys)
    return tuple(MarkerItem(k, CitationKind.NUMERIC) for k in unique)


def is_bare_year(raw: str) -> bool:
    """Whether the marker ``raw`` is a bracketed year and nothing else: ``[2020]``.

    Four digits from 1000 to 2099. Such a marker cites only when a source record has
    that id; otherwise it is a year in brackets ("In [2020] the law changed"), as a
    range of years ("[1990-1995]") always is.
    """
    body = raw[1:-1].strip()
    return len(body) == 4 and body.isascii() and body.isdigit() and 1000 <= int(body) <= 2099


@functools.lru_cache(maxsize=4096)
def _pandoc_items(body: str) -> tuple[MarkerItem, ...] | None:
    items: list[MarkerItem] = []
    for part in body.split(";"):
        match = _PANDOC_ITEM.match(part)
        if match is None:
            return None
        key = match["key"]
        key = key[1:-1] if key.startswith("{") else key.rstrip(".:")
        if not key:
            return None
        locator = match["locator"].lstrip(", ").strip() or None
        kind = CitationKind.IDENTIFIER if identifier_url(key) is not None else CitationKind.KEY
        items.append(MarkerItem(key, kind, locator))
    return tuple(items)


def _looks_like_code(text: str, start: int, end: int) -> bool:
    """``arr[1] = x``, ``row_count[2]``, ``obj.items[3].name``, ``x = foo[2]``: indexing.

    Only a marker glued to a name can be indexing; "claimed[10]" in prose stays a citation.
    A chain of glued brackets is judged as a whole: the ``[2]`` of ``a[1][2] = 3`` is
    indexing like the ``[1]``, the ``[3]`` of ``see[2][3].`` a citation like the ``[2]``.
    """
    # Only a "]" right before the bracket can end a glued one (or one before a line break,
    # as "$" matches before a final line break too: "f[3]\n[1]" counts as glued).
    while text.endswith(("]", "]\n"), 0, start):
        previous = _GLUED_BEFORE.search(text, max(0, start - 66), start)
        if previous is None:
            break
        start = previous.start()
    if start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "_)"):
        return False  # "claim [1]": a space before the bracket is never code
    if text[start - 1] == ")":
        return True
    token = _CODE_TOKEN.search(text, max(0, start - 64), start)
    if token is not None:
        name = token.group(0)
        if "_" in name or "." in name.rstrip("."):
            return True
        if _CODE_BEFORE.search(text, max(0, token.start() - 16), token.start()):
            return True
    # Skip over further glued markers ("[2][3]") before looking at what follows.
    after = end
    while after < len(text) and text[after] == "[":
        close = text.find("]", after)
        if close == -1:
            break
        after = close + 1
    return _CODE_AFTER.match(text, after) is not None


# What the compiled find_markers needs of this module.
_FIND_CONFIG: tuple[object, ...] = (
    Marker,
    MarkerItem,
    MarkerKind.CITATION,
    MarkerKind.EMPTY,
    MarkerKind.NEEDED,
    CitationKind.FOOTNOTE,
    _numeric_items,
    _pandoc_items,
    _looks_like_code,
)
