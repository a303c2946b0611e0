"""Extraction: a ``Document`` in; its citations, sentences, claims and defects out.

Each reader (``plaintext``, ``markdown``, ``html``) builds a ``ProseView``;
everything after that (markers, sentences, claims, stripped markers) is shared,
so the same sentence is judged the same way in every format.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from provenance.documents import Document
from provenance.extract.claims import (
    DEFAULT_BOILERPLATE,
    SentenceRole,
    classify_role,
    find_stripped_markers,
)
from provenance.extract.markdown import read_markdown
from provenance.extract.markers import Marker, MarkerKind, find_markers
from provenance.extract.plaintext import read_plaintext
from provenance.extract.sentences import split_sentences
from provenance.extract.view import CodeText, IgnoreDirective, ProseView, ReferenceEntry
from provenance.models import CitationKind, DocFormat
from provenance.rules import RuleId

__all__ = [
    "Citation",
    "Defect",
    "ExtractOptions",
    "Extraction",
    "Sentence",
    "SentenceRole",
    "extract",
]

_SPACE_RE = re.compile(r"\s+")
_Position = Callable[[int], tuple[int, int]]


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """Knobs of extraction that come from configuration."""

    boilerplate: tuple[str, ...] = DEFAULT_BOILERPLATE
    citation_needed: tuple[str, ...] | None = None
    min_claim_words: int = 3

    def compiled_boilerplate(self) -> tuple[re.Pattern[str], ...]:
        """The boilerplate patterns, compiled case-insensitively."""
        return _compile(self.boilerplate)


_COMPILED: dict[tuple[str, ...], tuple[re.Pattern[str], ...]] = {}


def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    # Kept apart, not joined into one alternation: an anchored pattern ("^\\s*disclaimer")
    # is tried at the start only, but inside an alternation at every position (twice
    # the cost per sentence, measured).
    if patterns not in _COMPILED:
        _COMPILED[patterns] = tuple(re.compile(p, re.IGNORECASE) for p in patterns)
    return _COMPILED[patterns]


class Citation(NamedTuple):
    """One cited id at one place of the original document (unresolved)."""

    key: str
    kind: CitationKind
    marker: str
    offset: int
    line: int
    column: int
    locator: str | None = None


class Sentence(NamedTuple):
    """A sentence, where it is in the original document, what it is and what it cites."""

    text: str
    role: SentenceRole
    offset: int
    line: int
    column: int
    end_line: int
    end_column: int
    citations: tuple[Citation, ...]

    @property
    def is_claim(self) -> bool:
        """Whether the sentence is a claim."""
        return self.role.is_claim

    @property
    def cited(self) -> bool:
        """Whether it cites anything."""
        return bool(self.citations)


class Defect(NamedTuple):
    """A problem extraction itself sees: stripped marker, empty brackets, citation needed."""

    rule: RuleId
    offset: int
    line: int
    column: int
    sentence: str
    marker: str | None = None


@dataclass(slots=True)
class Extraction:
    """Everything extraction found in one document."""

    sentences: list[Sentence]
    citations: list[Citation]
    defects: list[Defect]
    references: list[ReferenceEntry]
    ignores: list[IgnoreDirective]
    title: str | None = None
    date_hint: str | None = None
    claims: list[Sentence] = field(init=False)

    def __post_init__(self) -> None:
        self.claims = [s for s in self.sentences if s.is_claim]


def _read_html(text: str) -> ProseView:
    # Imported on first use: html.parser and the HTML reader are start-up time that a
    # run over Markdown or plain text never needs.
    from provenance.extract.html import read_html

    return read_html(text)


_READERS: dict[DocFormat, Callable[[str], ProseView]] = {
    DocFormat.TEXT: read_plaintext,
    DocFormat.MARKDOWN: read_markdown,
    DocFormat.HTML: _read_html,
}


def extract(document: Document, options: ExtractOptions | None = None) -> Extraction:
    """Find the citations, sentences, claims and defects of ``document``."""
    options = options or ExtractOptions()
    view = _READERS[document.format](document.text)
    return _extract_view(document, view, options)


def _extract_view(document: Document, view: ProseView, options: ExtractOptions) -> Extraction:
    text = view.text
    markers = find_markers(text, needed=options.citation_needed)
    if view.origin is None:
        # A marker must be written as such in the file: "[`x`]" or "[<br>1]" only look
        # like "[   ]" and "[    1]" once the markup inside is blanked.
        markers = [m for m in markers if document.text[m.start : m.end] == m.raw]
    marker_starts = [m.start for m in markers]
    boilerplate = options.compiled_boilerplate()
    min_words = options.min_claim_words
    sentences: list[Sentence] = []
    citations: list[Citation] = []
    defects: list[Defect] = []
    position = document.lines.position
    line_starts = document.lines.starts
    original = view.original
    identity = view.origin is None  # Markdown and plain text: view offsets are the file's
    code = view.code
    code_starts = [c.start for c in code]
    for block in view.blocks:
        block_start, block_end = block.start, block.end
        block_text = text[block_start:block_end].lstrip()
        block_is_boilerplate = any(p.match(block_text) for p in boilerplate)
        holds_claims = block.kind.holds_claims
        # Where a claim may have lost its marker; looked for once per block (most have
        # none) rather than per claim: a match never spans two sentences.
        gaps = list(find_stripped_markers(text, block_start, block_end))
        # The first inline code (to show in a sentence's text) not yet shown: few blocks
        # hold any, so ``next_code`` is usually past the block.
        next_code = bisect_left(code_starts, block_start) if code else len(code)
        for raw_start, raw_end, sentence_markers in split_sentences(
            text, block_start, block_end, markers, marker_starts
        ):
            if sentence_markers:
                flat = _citations(sentence_markers, original, position)
                plain = _plain_text(text, raw_start, raw_end, sentence_markers)
            else:
                flat = ()
                plain = text[raw_start:raw_end]
            role = classify_role(
                plain, holds_claims, bool(flat), boilerplate, block_is_boilerplate, min_words
            )
            if identity:
                start, last = raw_start, raw_end - 1
            else:
                start, last = original(raw_start), original(raw_end - 1)
            if last < start:
                last = start
            # position() for both ends, inlined: two calls per sentence added up.
            index = bisect_right(line_starts, start) - 1
            line, column = index + 1, start - line_starts[index] + 1
            index = bisect_right(line_starts, last, index) - 1
            end_line, end_column = index + 1, last - line_starts[index] + 1
            sentence_text = text[raw_start:raw_end]
            # A sentence shows the code before its end, and (when it does not end with
            # punctuation) the code after it to the block's end.
            if (
                next_code < len(code)
                and code_starts[next_code] <= block_end
                and (code_starts[next_code] < raw_end or text[raw_end - 1] not in _ENDS)
            ):
                sentence_text = _with_code(
                    text, raw_start, raw_end, block_start, block_end, code, code_starts
                )
                next_code = bisect_left(code_starts, raw_end, next_code)
            # Most sentences are one line with single spaces: nothing to collapse. A
            # printable string holds no white space but " " (tabs, line breaks, no-break
            # and other Unicode spaces are not printable).
            if "  " in sentence_text or not sentence_text.isprintable():
                sentence_text = _SPACE_RE.sub(" ", sentence_text)
            sentence_text = sentence_text.strip()
            sentence = Sentence(
                sentence_text, role, start, line, column, end_line, end_column, flat
            )
            sentences.append(sentence)
            if sentence_markers:
                if flat:
                    citations.extend(flat)
                defects.extend(_marker_defects(view, sentence, sentence_markers, position))
            if gaps and role is SentenceRole.CLAIM:
                for gap_start, gap_end in gaps:
                    if gap_start < raw_start or gap_end > raw_end:
                        continue
                    offset = _gap_offset(document.text, view, gap_start, gap_end)
                    if offset is None:
                        continue
                    gap_line, gap_column = position(offset)
                    defects.append(
                        Defect(RuleId.STRIPPED_MARKER, offset, gap_line, gap_column, sentence_text)
                    )
    return Extraction(
        sentences=sentences,
        citations=citations,
        defects=defects,
        references=view.references,
        ignores=view.ignores,
        title=view.title,
        date_hint=view.date_hint,
    )


# How a sentence may end: it then owns no inline code after its end.
_ENDS = ".!?…\"'”’»)]"


def _with_code(
    text: str,
    start: int,
    end: int,
    block_start: int,
    block_end: int,
    code: list[CodeText],
    code_starts: list[int],
) -> str:
    """``text[start:end]`` with the inline code the view blanked shown again.

    A sentence owns the code inside it, the code between it and the sentence before
    ("`make` builds it."), and, when it does not end with punctuation, the code to the
    block's end ("Run `make`"). Its offsets stay those of its prose.
    """
    shown_start = start
    while shown_start > block_start and text[shown_start - 1].isspace():
        shown_start -= 1
    shown_end = end
    if text[end - 1] not in _ENDS and (end == block_end or text[end:block_end].isspace()):
        shown_end = block_end
    index = bisect_left(code_starts, shown_start)
    pieces = []
    cursor = shown_start
    while index < len(code):
        item = code[index]
        if item.end > shown_end or (item.start == shown_end and shown_end != block_end):
            break
        pieces.append(text[cursor : item.start])
        pieces.append(item.text)
        cursor = item.end
        index += 1
    if not pieces:
        return text[start:end]
    pieces.append(text[cursor:shown_end])
    return "".join(pieces)


# What may stand in the file between a stripped marker's white space and its punctuation:
# more white space, tags and comments, and no-break-space entities.
_BLANK_MARKUP_RE = re.compile(r"(?:\s|<[^<>]*>|&(?:nbsp|#160|#x[aA]0);?)*")


def _gap_offset(original: str, view: ProseView, gap_start: int, gap_end: int) -> int | None:
    """Where in the file the white space before a claim's punctuation starts, or None.

    The view's white space may be blanked or skipped markup rather than a space in the
    file: "returns `None`." and "returns <code>None</code>." lost no marker. Only the
    white space the file really has right before the punctuation (``[docs](url) .``:
    the last space) is a stripped marker.
    """
    punct = view.original(gap_end)
    found = None
    for pos in range(gap_end - 1, gap_start - 1, -1):
        at = view.original(pos)
        if at >= punct or not _BLANK_MARKUP_RE.fullmatch(original, at, punct):
            break
        found = at
    return found


def _plain_text(text: str, start: int, end: int, markers: tuple[Marker, ...]) -> str:
    if not markers:
        return text[start:end]
    parts = []
    cursor = start
    for marker in markers:
        parts.append(text[cursor : marker.start])
        cursor = marker.end
    parts.append(text[cursor:end])
    return "".join(parts)


def _citations(
    markers: tuple[Marker, ...], original: Callable[[int], int], position: _Position
) -> tuple[Citation, ...]:
    """What a sentence's markers cite, each citation at its marker's place."""
    citations = []
    for marker in markers:
        if marker.kind is not MarkerKind.CITATION:
            continue
        offset = original(marker.start)
        line, column = position(offset)
        for item in marker.items:
            citations.append(
                Citation(item.key, item.kind, marker.raw, offset, line, column, item.locator)
            )
    return tuple(citations)


def _marker_defects(
    view: ProseView, sentence: Sentence, markers: tuple[Marker, ...], position: _Position
) -> list[Defect]:
    defects = []
    for marker in markers:
        if marker.kind is MarkerKind.CITATION:
            continue
        rule = RuleId.EMPTY_CITATION if marker.kind is MarkerKind.EMPTY else RuleId.CITATION_NEEDED
        offset = view.original(marker.start)
        line, column = position(offset)
        defects.append(Defect(rule, offset, line, column, sentence.text, marker.raw))
    return defects
