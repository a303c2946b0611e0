"""A source text cut into passages: the units a claim is scored against and quoted from.

A passage is one sentence, or two or three consecutive sentences of the same
paragraph (a claim often draws on a fact and its context in the next sentence), or the
last sentence of a paragraph with the first of the next when both are prose. Headings
and navigation lines, too short to pair, stay on their own. Very long sentences (tables
and lists flattened into one line) are cut at word boundaries, so that one passage
cannot cover a whole page.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from provenance.compare import _text

__all__ = ["MAX_WINDOW", "Passage", "split_passages"]

MAX_WINDOW = 3
"""The most sentences one passage spans."""
_MAX_CHARS = 800  # a multi-sentence window stops growing past this many characters
_MAX_SENTENCE = 700  # longer "sentences" are cut into pieces of about this size
_BRIDGE_WORDS = 6  # sentences of consecutive paragraphs pair up when both have this many words
_MIN_WORD_CHARS = 3  # a passage needs at least this many letters or digits


@dataclass(frozen=True, slots=True)
class Passage:
    """A passage of a snapshot text: the text as it appears there, at ``[start, end)``."""

    text: str
    start: int
    end: int


def split_passages(text: str) -> list[Passage]:
    """Cut ``text`` into overlapping windows of one to three sentences, in reading order.

    Each sentence starts a window of one sentence, then of two and three while the
    window stays within the same paragraph and under about 800 characters.
    """
    return list(_split(text))


@functools.lru_cache(maxsize=8)
def _split(text: str) -> tuple[Passage, ...]:
    """The passages of ``text``, cached: every claim citing a source splits the same text."""
    passages: list[Passage] = []
    previous: tuple[int, int] | None = None  # the last sentence of the paragraph before
    for para_start, para_end in _text.paragraphs(text):
        units = _units(text, para_start, para_end)
        if previous is not None and units and _bridges(text, previous, units[0]):
            # A claim often joins a paragraph's last sentence to the next one's first
            # ("At the news conference, a reporter asked... / Trump replied...").
            passages.append(Passage(text[previous[0] : units[0][1]], previous[0], units[0][1]))
        previous = units[-1] if units else None
        for i, (start, first_end) in enumerate(units):
            if _has_words(text, start, first_end):
                passages.append(Passage(text[start:first_end], start, first_end))
            for size in range(2, MAX_WINDOW + 1):
                if i + size > len(units):
                    break
                end = units[i + size - 1][1]
                if end - start > _MAX_CHARS:
                    break
                passages.append(Passage(text[start:end], start, end))
    return tuple(passages)


def _units(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentences of a paragraph, with overlong ones cut at spaces."""
    units: list[tuple[int, int]] = []
    for s_start, s_end in _text.sentences(text, start, end):
        while s_end - s_start > _MAX_SENTENCE:
            cut = text.rfind(" ", s_start + _MAX_SENTENCE // 2, s_start + _MAX_SENTENCE)
            if cut < 0:
                cut = s_start + _MAX_SENTENCE
            units.append((s_start, cut))
            s_start = cut
            while s_start < s_end and text[s_start].isspace():
                s_start += 1
        if s_end > s_start:
            units.append((s_start, s_end))
    return units


def _bridges(text: str, last: tuple[int, int], first: tuple[int, int]) -> bool:
    """Whether two sentences of consecutive paragraphs make one passage: both prose."""
    if first[1] - last[0] > _MAX_CHARS:
        return False
    return all(len(text[s:e].split()) >= _BRIDGE_WORDS for s, e in (last, first))


def _has_words(text: str, start: int, end: int) -> bool:
    count = 0
    for char in text[start:end]:
        if char.isalnum():
            count += 1
            if count >= _MIN_WORD_CHARS:
                return True
    return False
