"""The prose view: what every reader hands to the shared citation and sentence logic.

A reader (plain text, Markdown, HTML) turns a document into a ``ProseView``:
the prose as one string, the blocks it is made of (paragraphs, headings, list
items...), and a map from each character of the view back to its offset in the
original text. Plain text and Markdown views are the original text with what is
not prose blanked out (so the map is the identity); the HTML view is the text
of the body with its own map.
"""

from __future__ import annotations

import enum
import re
from array import array
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = [
    "Block",
    "BlockKind",
    "CodeText",
    "IgnoreDirective",
    "ProseView",
    "ReferenceEntry",
    "directive_at",
    "find_url",
    "parse_ignore",
]


class BlockKind(enum.Enum):
    """What kind of text a block is; headings and titles hold no claims."""

    PARAGRAPH = "paragraph"
    HEADING = "heading"
    TITLE = "title"
    LIST_ITEM = "list-item"
    QUOTE = "quote"
    TABLE_ROW = "table-row"

    @property
    def holds_claims(self) -> bool:
        """Whether sentences in this block can be claims."""
        return self not in _HOLD_NO_CLAIMS


_HOLD_NO_CLAIMS = frozenset({BlockKind.HEADING, BlockKind.TITLE})


class Block(NamedTuple):
    """A run of prose in the view, ``[start, end)``."""

    start: int
    end: int
    kind: BlockKind


class CodeText(NamedTuple):
    """Inline code the view blanks, as a reader sees it: ``text`` stands for ``[start, end)``.

    Code is not prose (no markers, no sentence ends), but a claim's text shows it:
    "The function returns `None`." reads "The function returns None.". In a Markdown
    view ``[start, end)`` is the blanked code itself; the HTML view leaves code out,
    so there ``start == end``: the place it was taken from.
    """

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class IgnoreDirective:
    """``<!-- provenance: ignore [rule ...] -->``: silence findings on ``line``.

    An empty ``rules`` silences every rule. ``line`` is the line the directive
    applies to: its own, or the next non-blank line when it stands alone.
    ``whole_file`` comes from ``ignore-file``.
    """

    line: int
    rules: frozenset[str]
    whole_file: bool = False


@dataclass(frozen=True, slots=True)
class ReferenceEntry:
    """One entry of a document's own reference list (``[1]: https://...``, ``1. Title. URL``)."""

    key: str
    url: str | None
    title: str | None
    offset: int  # in the original text


@dataclass(slots=True)
class ProseView:
    """Prose of a document plus how to get back to the original text."""

    text: str
    blocks: list[Block]
    origin: array[int] | None = None  # None: view offset == original offset
    ignores: list[IgnoreDirective] = field(default_factory=list)
    references: list[ReferenceEntry] = field(default_factory=list)
    title: str | None = None
    date_hint: str | None = None  # e.g. an HTML <time datetime> or front matter date
    code: list[CodeText] = field(default_factory=list)  # sorted by start

    def original(self, offset: int) -> int:
        """Map a view offset to the offset in the original text."""
        if self.origin is None:
            return offset
        if offset >= len(self.origin):
            return self.origin[-1] + 1 if len(self.origin) else 0
        return self.origin[offset]


_IGNORE_RE = re.compile(
    r"<!--\s*provenance:\s*(?P<verb>ignore-file|ignore)\b(?P<rules>[^>]*?)\s*-->", re.IGNORECASE
)
# A URL may hold balanced parentheses ("https://en.wikipedia.org/wiki/Mercury_(planet)"),
# but a closing one of its own ends it ("(see https://example.com/a)").
_URL_CHARS = r"(?:[^\s<>\"'()\]]|\([^\s<>\"'()\]]*\)?)+"
# "]" ends a URL ("[1] https://x.org/a]"), except around an IPv6 host: http://[::1]:8080/.
_IPV6_HOST = r"\[[0-9A-Fa-f:.]+(?:%25[\w.~-]+)?\]"
_URL_RE = re.compile(
    rf"https?://(?:{_IPV6_HOST}(?:{_URL_CHARS})?|{_URL_CHARS})"
    rf"|(?<![\w@/])(?:ftp|file|mailto|javascript|data):{_URL_CHARS}"
)


def parse_ignore(comment: str) -> tuple[bool, frozenset[str]] | None:
    """Parse an ignore comment: ``(whole_file, rules)`` or None if it is not one."""
    match = _IGNORE_RE.search(comment)
    if match is None:
        return None
    rules = frozenset(r for r in re.split(r"[\s,]+", match["rules"].strip()) if r)
    return match["verb"].lower() == "ignore-file", rules


def find_url(text: str) -> str | None:
    """The first URL-looking thing in ``text``, trailing sentence punctuation removed."""
    match = _URL_RE.search(text)
    if match is None:
        return None
    return match.group(0).rstrip(".,;:")


def directive_at(
    text: str, start: int, end: int, whole_file: bool, rules: frozenset[str]
) -> IgnoreDirective:
    """The directive of the ignore comment at ``text[start:end]``.

    It applies to its own line, or, when the comment stands alone, to the next line
    with text. Shared by every reader, so the rule is the same in all formats.
    """
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    line = text.count("\n", 0, start) + 1
    alone = not (text[line_start:start].strip() or text[end:line_end].strip())
    if alone:
        rest = text[line_end:]
        skipped = len(rest) - len(rest.lstrip())
        line = text.count("\n", 0, min(len(text), line_end + skipped)) + 1
    return IgnoreDirective(line=line, rules=rules, whole_file=whole_file)
