"""Is a quotation present in a text? Exactly, approximately, or not at all.

Matching works on normalised text (``normalize_for_match``): Unicode NFKC, soft hyphens
and zero-width characters dropped, curly quotes straightened, dashes unified, case
folded, white space collapsed. A quote found there is ``FOUND``; so is a quote with an
ellipsis whose fragments all appear in order close together. Otherwise the quote is
compared word by word, ignoring punctuation, around the places where its word
trigrams (or, failing those, its rarer words) occur: a close enough region is
``APPROXIMATE`` (a typo, changed punctuation, a word changed), anything else ``MISSING``,
with the best region found shown so a reader can judge. A region that differs from the
quote in a number or a negation ("would" for "wouldn't") is never approximate: close in
characters, it says something else. Only a few candidate regions
are ever compared in Python; scanning the text is left to ``str.find``, so a 1 MB page
costs tens of milliseconds.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

from provenance.compare import _text
from provenance.compare.passages import Passage
from provenance.quotestatus import QuoteStatus

__all__ = [
    "APPROXIMATE_THRESHOLD",
    "QuoteMatch",
    "QuoteStatus",
    "find_quote",
    "normalize_for_match",
]

APPROXIMATE_THRESHOLD = 0.85
"""Similarity (0..1, over normalised text without punctuation) from which a quote that is not
found verbatim counts as approximately present."""

_CHUNK = 4096  # the text is indexed in chunks of about this many characters
_MAX_HITS = 24  # an anchor found more often than this is too common to place the quote
_MAX_CANDIDATES = 6  # regions compared in full
_CONTEXT = 300  # how far a shown passage may extend around the match, each side
_WORD = re.compile(r"\w+")
# What a quote says hangs on these: numbers written out, and negations written as one word
# once "n't" is joined back ("don t" -> "dont").
_NUMBER_WORDS = _text.word_set(
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty"
    " fifty sixty seventy eighty ninety hundred thousand million billion half third"
)
_CONTRACTED = _text.word_set(
    "dont doesnt didnt wont wouldnt cant couldnt shouldnt isnt arent wasnt werent hasnt"
    " havent hadnt aint mustnt neednt"
)
_NT = re.compile(r"n t\b")
_ELLIPSIS = re.compile(r"\s*(?:\[\s*\.\.\.\s*\]|\(\s*\.\.\.\s*\)|\.\.\.+)\s*")


@dataclass(frozen=True, slots=True)
class QuoteMatch:
    """What ``find_quote`` found: a status, a similarity (0..1) and the best passage."""

    status: QuoteStatus
    similarity: float
    passage: Passage | None


def normalize_for_match(text: str) -> str:
    """``text`` as quotes are compared: NFKC, no soft hyphens or zero-width characters,
    straight quotes, ``-`` for every dash, case folded, white space collapsed to one space."""
    return _text.normalize(text)


@dataclass(frozen=True, slots=True)
class _Index:
    """A text's normalised form, its words-only ("loose") form, and the way back."""

    text: str
    normalized: str
    loose: str  # " " + words of every chunk, separated by single spaces + " "
    loose_starts: tuple[int, ...]  # where each chunk's words start in ``loose``
    chunk_spans: tuple[tuple[int, int], ...]  # each chunk's [start, end) in ``text``


@functools.lru_cache(maxsize=8)
def _index(text: str) -> _Index:
    normalized_parts: list[str] = []
    loose_parts: list[str] = []
    loose_starts: list[int] = []
    spans: list[tuple[int, int]] = []
    position = 1
    start = 0
    while start < len(text):
        end = min(len(text), start + _CHUNK)
        if end < len(text):
            cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
            end = cut + 1 if cut > start else end
        normalized = _text.normalize(text[start:end])
        if normalized:
            normalized_parts.append(normalized)
        words = " ".join(_WORD.findall(normalized))
        if words:
            loose_parts.append(words)
            loose_starts.append(position)
            spans.append((start, end))
            position += len(words) + 1
        start = end
    loose = " " + " ".join(loose_parts) + " "
    return _Index(text, _text.normalize(text), loose, tuple(loose_starts), tuple(spans))


def find_quote(quote: str, text: str) -> QuoteMatch:
    """Whether ``quote`` appears in ``text``: ``FOUND``, ``APPROXIMATE`` or ``MISSING``.

    The passage is the sentence (or sentences) around the best match, as ``text`` has
    it; it is None only when nothing in ``text`` resembles the quote at all.
    """
    norm_quote = _text.normalize(quote)
    loose_quote = " ".join(_WORD.findall(norm_quote))
    if not loose_quote:
        return QuoteMatch(QuoteStatus.MISSING, 0.0, None)
    index = _index(text)
    exact = norm_quote in index.normalized or _ellipsis_found(norm_quote, index.normalized)
    pos = index.loose.find(f" {loose_quote} ")
    if pos >= 0:
        passage = _passage(index, pos + 1, pos + 1 + len(loose_quote))
        if exact:
            return QuoteMatch(QuoteStatus.FOUND, 1.0, passage)
        # The same words, other punctuation: how close the normalised texts are.
        similarity = _ratio(
            norm_quote, _text.normalize(_span_text(index, pos + 1, len(loose_quote)))
        )
        return QuoteMatch(QuoteStatus.APPROXIMATE, max(similarity, APPROXIMATE_THRESHOLD), passage)
    best = _best_region(index, loose_quote)
    if best is None:
        status = QuoteStatus.FOUND if exact else QuoteStatus.MISSING
        return QuoteMatch(status, 1.0 if exact else 0.0, None)
    similarity, start, end = best
    passage = _passage(index, start, end)
    if exact:
        return QuoteMatch(QuoteStatus.FOUND, 1.0, passage)
    if similarity >= APPROXIMATE_THRESHOLD and not _changes_meaning(
        loose_quote, index.loose[start:end]
    ):
        return QuoteMatch(QuoteStatus.APPROXIMATE, similarity, passage)
    return QuoteMatch(QuoteStatus.MISSING, similarity, passage)


def _changes_meaning(loose_quote: str, region: str) -> bool:
    """Whether quote and region differ in a number or in negation ("would"/"wouldn't").

    A quote that differs from the source only there is close in characters and far in
    meaning: it is not approximately present. ("dont" for "don't" is only a typo.)
    """
    return _gist(loose_quote) != _gist(region)


def _gist(loose: str) -> tuple[int, Counter[str]]:
    words = _NT.sub("nt", loose).split()
    negations = sum(1 for w in words if w in _text.NEGATIONS or w in _CONTRACTED)
    numbers = Counter(w for w in words if w[0].isdigit() or w in _NUMBER_WORDS)
    return negations, numbers


def _ellipsis_found(norm_quote: str, normalized: str) -> bool:
    """All fragments of an elided quote ("a ... b") occur in order, close together."""
    parts = [p for p in _ELLIPSIS.split(norm_quote) if _WORD.search(p)]
    if len(parts) < 2:
        return False
    limit = 2 * len(norm_quote) + 400
    start = normalized.find(parts[0])
    while start >= 0:
        pos = start + len(parts[0])
        for part in parts[1:]:
            pos = normalized.find(part, pos, start + limit)
            if pos < 0:
                break
            pos += len(part)
        else:
            return True
        start = normalized.find(parts[0], start + 1)
    return False


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _best_region(index: _Index, loose_quote: str) -> tuple[float, int, int] | None:
    """The region of ``index.loose`` most like ``loose_quote``: (similarity, start, end)."""
    candidates = _candidates(index.loose, loose_quote)
    best: tuple[float, int, int] | None = None
    slack = len(loose_quote) // 3 + 20
    for origin in candidates:
        lo = max(1, origin - slack)
        hi = min(len(index.loose) - 1, origin + len(loose_quote) + slack)
        lo = index.loose.rfind(" ", 0, lo) + 1
        found = index.loose.find(" ", hi)
        hi = found if found >= 0 else len(index.loose) - 1
        window = index.loose[lo:hi]
        region = _align(loose_quote, window)
        if region is None:
            continue
        r_start, r_end = region
        similarity = _ratio(loose_quote, window[r_start:r_end])
        if best is None or similarity > best[0]:
            best = (similarity, lo + r_start, lo + r_end)
    return best


def _candidates(loose: str, loose_quote: str) -> list[int]:
    """Where in ``loose`` the quote might start, best supported first.

    Every occurrence of one of the quote's word trigrams votes for the start it implies;
    when no trigram occurs, the quote's rarer words vote instead.
    """
    words = loose_quote.split()
    offsets = []
    pos = 0
    for word in words:
        offsets.append(pos)
        pos += len(word) + 1
    for size in (3, 2, 1) if len(words) >= 3 else (len(words), 1):
        votes: dict[int, int] = {}
        for k in range(len(words) - size + 1):
            anchor = " ".join(words[k : k + size])
            if size == 1 and len(anchor) < 4:
                continue
            hits = _occurrences(loose, f" {anchor} ")
            for hit in hits:
                origin = hit + 1 - offsets[k]
                bucket = origin // 16
                votes[bucket] = votes.get(bucket, 0) + 1
        buckets = sorted(votes, key=lambda b: (-votes[b], b))
        if buckets:
            return [b * 16 for b in buckets[:_MAX_CANDIDATES]]
    return []


def _occurrences(haystack: str, needle: str) -> list[int]:
    """Where ``needle`` occurs, or nothing when it occurs too often to place anything."""
    hits: list[int] = []
    pos = haystack.find(needle)
    while pos >= 0:
        hits.append(pos)
        if len(hits) > _MAX_HITS:
            return []
        pos = haystack.find(needle, pos + 1)
    return hits


def _align(quote: str, window: str) -> tuple[int, int] | None:
    """The part of ``window`` that the quote's matching blocks (3+ characters) cover."""
    blocks = [
        b
        for b in SequenceMatcher(None, quote, window, autojunk=False).get_matching_blocks()
        if b.size >= 3
    ]
    if not blocks:
        return None
    start = blocks[0].b
    end = blocks[-1].b + blocks[-1].size
    # Whole words only.
    start = window.rfind(" ", 0, start + 1) + 1
    found = window.find(" ", end)
    return start, found if found >= 0 else len(window)


def _chunk_of(index: _Index, loose_pos: int) -> int:
    return max(0, bisect_right(index.loose_starts, loose_pos) - 1)


def _original_offset(index: _Index, loose_pos: int, *, end: bool) -> int:
    """The offset in the original text of the word at ``loose_pos`` (its start, or its end)."""
    chunk = _chunk_of(index, loose_pos)
    c_start, c_end = index.chunk_spans[chunk]
    before = index.loose[index.loose_starts[chunk] : loose_pos]
    word_number = before.count(" ") if not end else before.rstrip().count(" ")
    # Walk the chunk's original words, counting the normalised words each one yields.
    seen = 0
    for match in re.finditer(r"\S+", index.text[c_start:c_end]):
        count = len(_WORD.findall(_text.normalize(match.group())))
        if seen + count > word_number:
            return c_start + (match.end() if end else match.start())
        seen += count
    return c_end if end else c_start


def _span_text(index: _Index, loose_start: int, length: int) -> str:
    start = _original_offset(index, loose_start, end=False)
    end = _original_offset(index, loose_start + length, end=True)
    return index.text[start:end]


def _passage(index: _Index, loose_start: int, loose_end: int) -> Passage:
    """The sentence(s) of the original text around the loose region ``[start, end)``."""
    text = index.text
    start = _original_offset(index, loose_start, end=False)
    end = max(start, _original_offset(index, loose_end, end=True))
    lo = max(0, start - _CONTEXT)
    breaks = [text.rfind(p, lo, start) for p in ("\n", ". ", "! ", "? ")]
    sentence_start = max([lo] + [b + 1 for b in breaks if b >= 0])
    hi = min(len(text), end + _CONTEXT)
    stops = [i for i in (text.find(p, end, hi) for p in (". ", "! ", "? ")) if i >= 0]
    newline = text.find("\n", end, hi)
    sentence_end = min([s + 1 for s in stops] + ([newline] if newline >= 0 else []) + [hi])
    # No sentence boundary within reach: cut at a word boundary, not inside a word.
    if sentence_start == lo > 0:
        space = text.find(" ", lo, start)
        sentence_start = space + 1 if space >= 0 else start
    if sentence_end == hi < len(text):
        space = text.rfind(" ", end, hi)
        sentence_end = space if space >= 0 else end
    while sentence_start < start and text[sentence_start].isspace():
        sentence_start += 1
    while sentence_end > end and text[sentence_end - 1].isspace():
        sentence_end -= 1
    return Passage(text[sentence_start:sentence_end], sentence_start, sentence_end)
