"""Extraction: a ``Document`` in; its citations, sentences, claims and defects out.

Each reader (``plaintext``, ``markdown``, ``html``) builds a ``ProseView``;
everything after that (markers, sentences, claims, stripped markers) is shared,
so the same sentence is judged the same way in every format.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from provenance.documents import Document
from provenance.extract import _compiled
from provenance.extract.claims import (
    _DATELINE_HEADS,
    DATELINE_RE,
    DEFAULT_BOILERPLATE,
    SentenceRole,
    boilerplate_checks,
    find_stripped_markers,
    sentence_role,
    words_search,
)
from provenance.extract.markdown import read_markdown
from provenance.extract.markers import Marker, MarkerKind, find_markers
from provenance.extract.plaintext import read_plaintext
from provenance.extract.sentences import (
    _AFTER_NAMES,
    _BEFORE_NUMBERS,
    _ENUMERATOR,
    _NEXT_WORD,
    _SLOW_WORDS,
    _TITLES,
    _WORD_BEFORE,
    SENTENCE_STARTERS,
    sentence_bounds,
)
from provenance.extract.view import (
    BlockKind,
    CodeText,
    IgnoreDirective,
    ProseView,
    ReferenceEntry,
)
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

# The compiled loop (``_speedups.c``), unless it was not built or the environment asks
# for the pure-Python reference implementation (PROVENANCE_PURE_PYTHON=1).
_speedups = _compiled.speedups

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


# Built for every sentence and citation: ``tuple.__new__`` without the named tuple's own
# ``__new__`` (a Python function) to call, so all fields are given.
_new_sentence = functools.partial(tuple.__new__, Sentence)
_new_citation = functools.partial(tuple.__new__, Citation)


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
    # The claims among ``sentences``: given by the extractor, which knows them as it
    # goes, or picked out here.
    claims: list[Sentence] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.claims:
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
    # Views whose offsets are the file's (Markdown, plain text) go through the compiled
    # loop when it is built; it gives what the Python loop below gives (a property test
    # runs both).
    if _speedups is not None and view.origin is None:
        return _extract_compiled(document, view, options)
    return _extract_python(document, view, options)


def _extract_python(document: Document, view: ProseView, options: ExtractOptions) -> Extraction:
    """The reference implementation of extraction's loop (and the fallback)."""
    # One pass over the blocks; for each, its sentences' bounds (``sentence_bounds``)
    # and then, sentence by sentence, its markers (a cursor over the document's sorted
    # markers, not a search per sentence), citations, role, positions and text. The
    # usual sentence (one line, single spaces, no inline code, no stripped marker)
    # takes the shortest way through.
    text = view.text
    markers = find_markers(text, needed=options.citation_needed)
    identity = view.origin is None  # Markdown and plain text: view offsets are the file's
    if identity:
        # A marker must be written as such in the file: "[`x`]" or "[<br>1]" only look
        # like "[   ]" and "[    1]" once the markup inside is blanked.
        markers = [m for m in markers if document.text[m.start : m.end] == m.raw]
    marker_starts = [m.start for m in markers]
    boilerplate = options.compiled_boilerplate()
    starts_boilerplate = [p.match for p in boilerplate]
    checks = boilerplate_checks(boilerplate)
    has_words = words_search(options.min_claim_words)
    sentences: list[Sentence] = []
    claims: list[Sentence] = []
    citations: list[Citation] = []
    defects: list[Defect] = []
    line_starts = document.lines.starts
    line_count = len(line_starts)
    original = view.original
    code = view.code
    code_starts = [c.start for c in code]
    code_count = len(code)
    citation_kind = MarkerKind.CITATION
    claim_role = SentenceRole.CLAIM
    gap_candidates = [m.start() - 1 for m in _GAP_CANDIDATE_RE.finditer(text)]
    gap_count = len(gap_candidates)
    for block_start, block_end, kind in view.blocks:
        block_text = text[block_start:block_end].lstrip()
        block_is_boilerplate = False
        for match in starts_boilerplate:
            if match(block_text):
                block_is_boilerplate = True
                break
        holds_claims = kind.holds_claims
        # Where a claim may have lost its marker; looked for once per block (most have
        # none) rather than per claim: a match never spans two sentences.
        at = bisect_left(gap_candidates, block_start)
        gaps = (
            list(find_stripped_markers(text, block_start, block_end))
            if at < gap_count and gap_candidates[at] < block_end - 1
            else ()
        )
        # The first inline code (to show in a sentence's text) not yet shown: few blocks
        # hold any, so ``next_code`` is usually past the block.
        next_code = bisect_left(code_starts, block_start) if code_count else 0
        lo = bisect_left(marker_starts, block_start)
        hi = bisect_left(marker_starts, block_end, lo)
        bounds = sentence_bounds(text, block_start, block_end, markers, marker_starts, lo, hi)
        cursor = lo  # the block's next marker
        for bound in range(0, len(bounds), 2):
            raw_start = bounds[bound]
            raw_end = bounds[bound + 1]
            if cursor < hi and marker_starts[cursor] < raw_end:
                first = cursor
                while cursor < hi and marker_starts[cursor] < raw_end:
                    cursor += 1
                sentence_markers = tuple(markers[first:cursor])
                flat = _citations(sentence_markers, original, line_starts)
                plain = _plain_text(text, raw_start, raw_end, sentence_markers)
            else:
                sentence_markers = ()
                flat = ()
                plain = text[raw_start:raw_end]
            role = sentence_role(
                plain, holds_claims, bool(flat), checks, block_is_boilerplate, has_words
            )
            if identity:
                start, last = raw_start, raw_end - 1
            else:
                start, last = original(raw_start), original(raw_end - 1)
                if last < start:
                    last = start
            # Both ends placed by bisecting the line starts (the end from the start's line).
            index = bisect_right(line_starts, start) - 1
            line_start = line_starts[index]
            line, column = index + 1, start - line_start + 1
            if index + 1 < line_count and last >= line_starts[index + 1]:
                index = bisect_right(line_starts, last, index) - 1
                end_line, end_column = index + 1, last - line_starts[index] + 1
            else:
                end_line, end_column = line, last - line_start + 1
            sentence_text = plain if not sentence_markers else text[raw_start:raw_end]
            # A sentence shows the code before its end, and (when it does not end with
            # punctuation) the code after it to the block's end.
            if (
                next_code < code_count
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
            sentence = _new_sentence(
                (sentence_text, role, start, line, column, end_line, end_column, flat)
            )
            sentences.append(sentence)
            if role is claim_role:
                claims.append(sentence)
            if sentence_markers:
                if flat:
                    citations.extend(flat)
                for marker in sentence_markers:
                    if marker.kind is not citation_kind:
                        defects.extend(
                            _marker_defects(view, sentence, sentence_markers, line_starts)
                        )
                        break
            if gaps and role is claim_role:
                for gap_start, gap_end in gaps:
                    if gap_start < raw_start or gap_end > raw_end:
                        continue
                    offset = _gap_offset(document.text, view, gap_start, gap_end)
                    if offset is None:
                        continue
                    gap_line, gap_column = _position(line_starts, offset)
                    defects.append(
                        Defect(RuleId.STRIPPED_MARKER, offset, gap_line, gap_column, sentence_text)
                    )
    return _extraction(view, sentences, citations, defects, claims)


def _extract_compiled(document: Document, view: ProseView, options: ExtractOptions) -> Extraction:
    """``_extract_python`` for a view whose offsets are the file's, its loop in C."""
    assert _speedups is not None
    assert view.origin is None
    text = view.text
    original_text = document.text
    line_starts = document.lines.starts
    code = view.code
    code_starts = [c.start for c in code]

    # The rare steps, called back from C.
    def with_code(raw_start: int, raw_end: int, block_start: int, block_end: int) -> str:
        return _with_code(text, raw_start, raw_end, block_start, block_end, code, code_starts)

    def marker_defects(sentence: Sentence, own: tuple[Marker, ...]) -> list[Defect]:
        return _marker_defects(view, sentence, own, line_starts)

    def find_gaps(block_start: int, block_end: int) -> list[tuple[int, int]]:
        return list(find_stripped_markers(text, block_start, block_end))

    def gap_defect(gap_start: int, gap_end: int, sentence_text: str) -> Defect | None:
        offset = _gap_offset(original_text, view, gap_start, gap_end)
        if offset is None:
            return None
        gap_line, gap_column = _position(line_starts, offset)
        return Defect(RuleId.STRIPPED_MARKER, offset, gap_line, gap_column, sentence_text)

    sentences, claims, citations, defects = _speedups.scan(
        text,
        original_text,
        view.blocks,
        find_markers(text, needed=options.citation_needed),
        line_starts,
        code_starts,
        _scan_config(options.boilerplate, options.min_claim_words),
        (with_code, marker_defects, find_gaps, gap_defect),
    )
    return _extraction(view, sentences, citations, defects, claims)


def _extraction(
    view: ProseView,
    sentences: list[Sentence],
    citations: list[Citation],
    defects: list[Defect],
    claims: list[Sentence],
) -> Extraction:
    """The result of either loop: what it found, and what the view already knew."""
    return Extraction(
        sentences=sentences,
        citations=citations,
        defects=defects,
        references=view.references,
        ignores=view.ignores,
        title=view.title,
        date_hint=view.date_hint,
        claims=claims,
    )


@functools.lru_cache(maxsize=16)  # the same options for every document of a run
def _scan_config(boilerplate: tuple[str, ...], min_words: int) -> tuple[object, ...]:
    """What ``_speedups.scan`` needs of the options and of the Python it mirrors."""
    patterns = _compile(boilerplate)
    return (
        Sentence,
        Citation,
        MarkerKind.CITATION,
        (
            SentenceRole.CLAIM,
            SentenceRole.HEADING,
            SentenceRole.QUESTION,
            SentenceRole.DATELINE,
            SentenceRole.BOILERPLATE,
            SentenceRole.FRAGMENT,
        ),
        tuple(kind for kind in BlockKind if not kind.holds_claims),
        tuple(p.match for p in patterns),
        boilerplate_checks(patterns),
        DATELINE_RE.match,
        tuple(sorted(_DATELINE_HEADS)),
        _SLOW_WORDS,
        min_words,
        (
            _ENUMERATOR.search,
            _WORD_BEFORE.search,
            _NEXT_WORD.match,
            _TITLES,
            _BEFORE_NUMBERS,
            _AFTER_NAMES,
            SENTENCE_STARTERS,
        ),
    )


def _position(line_starts: list[int], offset: int) -> tuple[int, int]:
    """``offset`` -> 1-based ``(line, column)``, as ``LineIndex.position`` gives it."""
    index = bisect_right(line_starts, offset) - 1
    return index + 1, offset - line_starts[index] + 1


# The punctuation a stripped marker stands before, right after white space: every
# stripped marker ends at one of these (most blocks hold none). The pattern starts with
# the punctuation, rarer than white space, so fewer places are looked at further.
_GAP_CANDIDATE_RE = re.compile(r"[.,;:!?](?<=[ \t\u00a0][.,;:!?])")


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
    markers: tuple[Marker, ...], original: Callable[[int], int], line_starts: list[int]
) -> tuple[Citation, ...]:
    """What a sentence's markers cite, each citation at its marker's place."""
    citations = []
    for marker in markers:
        if marker.kind is not MarkerKind.CITATION:
            continue
        offset = original(marker.start)
        index = bisect_right(line_starts, offset) - 1
        line, column = index + 1, offset - line_starts[index] + 1
        for item in marker.items:
            citations.append(
                _new_citation((item.key, item.kind, marker.raw, offset, line, column, item.locator))
            )
    return tuple(citations)


def _marker_defects(
    view: ProseView, sentence: Sentence, markers: tuple[Marker, ...], line_starts: list[int]
) -> list[Defect]:
    defects = []
    for marker in markers:
        if marker.kind is MarkerKind.CITATION:
            continue
        rule = RuleId.EMPTY_CITATION if marker.kind is MarkerKind.EMPTY else RuleId.CITATION_NEEDED
        offset = view.original(marker.start)
        line, column = _position(line_starts, offset)
        defects.append(Defect(rule, offset, line, column, sentence.text, marker.raw))
    return defects
