"""Which sentences are claims, and where a claim lost its citation.

A sentence is a claim unless it is a heading or title, a question, a dateline
or byline, boilerplate (configurable patterns such as a disclaimer), or a
fragment: no closing punctuation and no citation, or fewer words than
``min_words``. A *stripped marker* is white space before a claim's closing
punctuation (``kompromat .``, ``Kremlin bet ,``): where a citation was removed.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterator

from provenance.extract.view import BlockKind

__all__ = [
    "DATELINE_RE",
    "DEFAULT_BOILERPLATE",
    "BoilerplateCheck",
    "SentenceRole",
    "boilerplate_checks",
    "classify_role",
    "classify_sentence",
    "find_stripped_markers",
    "sentence_role",
    "words_search",
]

DEFAULT_BOILERPLATE: tuple[str, ...] = (
    r"^\s*disclaimer\b",
    r"^\s*(?:want|read) to (?:dive deeper|learn more)\b",
    r"\bcan make mistakes\b",
)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|{_MONTH}\s+\d{{4}})"
)
# After the date a dateline may carry a time or a reading time ("at 3:45 p.m. EST",
# "| 5 min read") but not a clause: three lowercase words in a row ("Published on
# January 5, 2021, the report found ...") make it a sentence that says something.
_DATE_TAIL = r"(?!.*?(?-i:\b[a-z]+\s+[a-z]+\s+[a-z]+\b)).{0,40}"
# Names in a byline are capitalised even though the rest of the pattern ignores case:
# "By Jane Doe" is a byline, "By then it was over." is a claim.
_NAME = r"(?-i:[A-Z])[\w.'’-]*\s*"
DATELINE_RE = re.compile(
    r"^\s*(?:(?:fact[- ]?)?checked|published|updated|posted|reviewed"
    r"|last\s+(?:updated|modified|reviewed)|first\s+published|date|written)\b(?:\s+on)?\s*:?\s*"
    rf"{_DATE}\b{_DATE_TAIL}$"
    rf"|^\s*{_DATE}\s*\.?$"
    rf"|^\s*by\s+(?:{_NAME}){{1,5}}(?:(?:,|and|&)\s*(?:{_NAME}){{1,5}})*\.?$",
    re.IGNORECASE,
)
# Every dateline starts with a digit or with one of these (in any case): a keyword,
# a month or "by". DATELINE_RE is tried only on sentences that do, as most do not.
_DATELINE_HEADS = frozenset(
    {
        "ch", "fa", "pu", "up", "po", "re", "la", "fi", "da", "wr",  # checked ... written
        "ja", "fe", "ma", "ap", "ju", "au", "se", "oc", "no", "de",  # the months
        "by",
    }
)  # fmt: skip
_CLOSERS = "\"'”’»)"
# White space before closing punctuation that ends a clause: the stripped-marker signature.
# The pattern starts with the white space and only then looks behind it for the word (or
# quote, bracket, %) it follows: a search can skip to the next space, rather than test
# the look-behind at every position.
_STRIPPED_RE = re.compile(
    r"[ \t\u00a0](?<=[\w\"”’'»)%][ \t\u00a0])[ \t\u00a0]*(?=[.,;:!?](?:[\s\"”’'»)]|$))"
)


@functools.lru_cache(maxsize=16)
def _words_regex(count: int) -> re.Pattern[str]:
    """Matches at the start of the ``count``-th word (a run of ``\\w``), if there is one."""
    # Possessive: a run is taken whole, never backtracked into; "\\b": a search does not
    # retry from inside a word.
    return re.compile(rf"\b\w++(?:\W++\w++){{{count - 1}}}")


# A pattern that is nothing but words between word boundaries: "\\bcan make mistakes\\b".
_WORDS_ONLY_RE = re.compile(r"\\b([a-z]+(?: [a-z]+)*)\\b")


@functools.lru_cache(maxsize=64)
def _required_words(pattern: re.Pattern[str]) -> str | None:
    """The words every match of a case-insensitive ``\\bwords\\b`` pattern holds, else None."""
    if not pattern.flags & re.IGNORECASE:
        return None
    match = _WORDS_ONLY_RE.fullmatch(pattern.pattern)
    return None if match is None else match.group(1)


def _has_words(text: str, count: int) -> bool:
    """Whether ``text`` holds at least ``count`` words (runs of ``\\w``), counting no further."""
    return count <= 0 or _words_regex(count).search(text) is not None


class SentenceRole(enum.Enum):
    """What a sentence is; only ``CLAIM`` needs a citation."""

    CLAIM = "claim"
    HEADING = "heading"
    QUESTION = "question"
    DATELINE = "dateline"
    BOILERPLATE = "boilerplate"
    FRAGMENT = "fragment"

    @property
    def is_claim(self) -> bool:
        """Whether the sentence makes a claim that needs a source."""
        return self is SentenceRole.CLAIM


def classify_sentence(
    text: str,
    *,
    block_kind: BlockKind,
    cited: bool,
    boilerplate: tuple[re.Pattern[str], ...],
    block_is_boilerplate: bool,
    min_words: int,
) -> SentenceRole:
    """Decide the role of one sentence (``text`` with its markers blanked out)."""
    return classify_role(
        text, block_kind.holds_claims, cited, boilerplate, block_is_boilerplate, min_words
    )


def classify_role(
    text: str,
    holds_claims: bool,
    cited: bool,
    boilerplate: tuple[re.Pattern[str], ...],
    block_is_boilerplate: bool,
    min_words: int,
) -> SentenceRole:
    """``classify_sentence`` with its arguments by position."""
    return sentence_role(
        text,
        holds_claims,
        cited,
        boilerplate_checks(boilerplate),
        block_is_boilerplate,
        words_search(min_words),
    )


BoilerplateCheck = tuple[Callable[[str], object], str | None]


@functools.lru_cache(maxsize=16)
def boilerplate_checks(boilerplate: tuple[re.Pattern[str], ...]) -> tuple[BoilerplateCheck, ...]:
    """Each boilerplate pattern's ``search``, and the words a match must hold (or None)."""
    return tuple((pattern.search, _required_words(pattern)) for pattern in boilerplate)


def words_search(min_words: int) -> Callable[[str], object] | None:
    """What finds ``min_words`` words in a sentence (None: any sentence has enough)."""
    return None if min_words <= 0 else _words_regex(min_words).search


def sentence_role(
    text: str,
    holds_claims: bool,
    cited: bool,
    checks: tuple[BoilerplateCheck, ...],
    block_is_boilerplate: bool,
    has_words: Callable[[str], object] | None,
) -> SentenceRole:
    """``classify_role`` with the per-document work done: called for every sentence.

    ``checks``: ``boilerplate_checks`` of the patterns; ``has_words``: ``words_search``
    of the minimum number of words.
    """
    head = text.lstrip()[:2]
    # A non-ASCII head may still start a dateline: the regex ignores case the Unicode way
    # ("ſ" is an "s" to it).
    if (not head.isascii() or head[:1].isdigit() or head.lower() in _DATELINE_HEADS) and (
        DATELINE_RE.match(text.strip())
    ):
        return SentenceRole.DATELINE
    if not holds_claims:
        return SentenceRole.HEADING
    stripped = text.rstrip().rstrip(_CLOSERS)
    if stripped.endswith("?"):
        return SentenceRole.QUESTION
    if block_is_boilerplate:
        return SentenceRole.BOILERPLATE
    lowered = None
    for search, words in checks:
        if words is not None and text.isascii():
            # An ASCII sentence without the words cannot match; most do not hold them,
            # and finding that out this way is cheaper than the case-insensitive search.
            if lowered is None:
                lowered = text.lower()
            if words not in lowered:
                continue
        if search(text):
            return SentenceRole.BOILERPLATE
    if not cited and not stripped.endswith((".", "!", "…", ";", ":")):
        return SentenceRole.FRAGMENT
    if has_words is not None and has_words(text) is None:
        return SentenceRole.FRAGMENT
    return SentenceRole.CLAIM


def find_stripped_markers(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Spans ``[start, end)`` of the white space before closing punctuation in ``text``.

    The span ends where the punctuation starts.
    """
    for match in _STRIPPED_RE.finditer(text, start, end):
        yield match.span()
