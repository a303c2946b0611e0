"""Splitting a block of prose into sentences, keeping exact offsets.

Rules, in the order a reader would apply them: a sentence ends at ``.``, ``!``,
``?`` or ``…`` (with any closing quotes or brackets), followed by white space
and a capital, digit, quote or the end of the block. Citation markers right
after the punctuation (``claim. [1] Next``) belong to the sentence before.
Abbreviations (``Dr.``, ``Jan. 5``, ``U.S.``), initials (``J. Smith``),
decimals (``15.2``) and enumerators at the start of a line (``1. First``) do
not end a sentence. Punctuation inside a marker (``[@a, p. 4]``) is not
punctuation of the prose.
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

from provenance.extract.markers import Marker

__all__ = [
    "ABBREVIATIONS",
    "SENTENCE_STARTERS",
    "RawSentence",
    "sentence_bounds",
    "split_sentences",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Never end a sentence: a name or number always follows.
_TITLES = _words(
    "mr mrs ms mx dr prof sr jr st mt ft gen sen rep gov lt col capt sgt cmdr adm pres supt"
    " rev hon fr messrs mme mlle cf approx ca est dept univ assn vs v"
)
# Come *after* a name ("Apple Inc.", "Smith et al."), so they often end a sentence:
# judged like a dotted acronym, by the word that follows.
_AFTER_NAMES = _words("inc ltd co corp plc llc bros al")
# End a sentence unless a number follows ("Jan. 5", "No. 7", "p. 4").
_BEFORE_NUMBERS = _words(
    "jan feb mar apr jun jul aug sep sept oct nov dec no nos vol vols pp p para fig figs"
    " eq eqs ch sec art"
)
ABBREVIATIONS = _TITLES | _AFTER_NAMES | _BEFORE_NUMBERS | _words("etc e.g i.e viz")

# After a dotted acronym ("in the U.S. The"), these words start a new sentence.
SENTENCE_STARTERS = _words(
    "The This That These Those It Its He She They We I You A An In On At But And However"
    " Yet So Still Meanwhile There Here His Her Their Our My"
)

# Punctuation that may end a sentence. Not when something other than white space or a
# marker's "[" follows it at once ("15.2", "U.S.-led", "example.com"): no sentence ends
# there (``_is_boundary`` would say so), so the regex does not stop there.
_END = re.compile(r"[.!?…]+[\"'”’»)]*(?![^\s\[])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")
# "1.", "a.", "iv." at the start of a line. Roman numerals are spelled out in full so
# that a wrapped line starting with "did." or "mix." still ends its sentence.
_ROMAN = r"(?i:(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3}))"
_ENUMERATOR = re.compile(rf"(?:^|\n)[ \t]*(?:\d{{1,3}}|[A-Za-z]|{_ROMAN})\.$")
_NEXT = re.compile(r"\s+(\S)")
_NON_SPACE = re.compile(r"\S")
_NEXT_AFTER_MARKER = re.compile(r"\s*(\S)")
_NEXT_WORD = re.compile(r"\s+[\"'“‘(\[]*([\w’']+)")
_OPENERS = "\"'“‘«([¿¡*_"


class RawSentence(NamedTuple):
    """A sentence at ``[start, end)`` of the view, with the markers inside it."""

    start: int
    end: int
    markers: tuple[Marker, ...]


_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
# Words before a full stop that need the full rules (_is_boundary), not the fast path.
_SLOW_WORDS = _TITLES | _AFTER_NAMES


def split_sentences(
    text: str, start: int, end: int, markers: list[Marker], marker_starts: list[int]
) -> list[RawSentence]:
    """Split ``text[start:end]`` into sentences.

    ``markers`` are all markers of the view, sorted; ``marker_starts`` their start
    offsets (for bisecting).
    """
    lo = bisect.bisect_left(marker_starts, start)
    hi = bisect.bisect_left(marker_starts, end, lo)
    bounds = sentence_bounds(text, start, end, markers, marker_starts, lo, hi)
    return [
        _make(bounds[i], bounds[i + 1], markers, marker_starts, lo, hi)
        for i in range(0, len(bounds), 2)
    ]


def sentence_bounds(
    text: str,
    start: int,
    end: int,
    markers: list[Marker],
    marker_starts: list[int],
    lo: int,
    hi: int,
) -> list[int]:
    """Where the sentences of ``text[start:end]`` start and stop: ``[start, stop, ...]``.

    ``markers[lo:hi]`` are the markers inside the block (``marker_starts`` their
    starts). Each sentence is ``[start, stop)``, with no white space at either end.
    """
    bounds: list[int] = []
    ends = {markers[i].start: markers[i].end for i in range(lo, hi)} if hi > lo else None
    sentence_start = start
    while sentence_start < end and text[sentence_start].isspace():
        sentence_start += 1
    for match in _END.finditer(text, start, end):
        punct_start, punct_end = match.span()
        if punct_start < sentence_start:
            continue
        if ends is not None:
            # Punctuation inside a marker ("[@a, p. 4]") is not the prose's.
            inside = bisect.bisect_right(marker_starts, punct_start, lo, hi) - 1
            if inside >= lo and punct_start < markers[inside].end:
                continue
            stop = punct_end
            while True:  # markers after the punctuation cite the sentence before
                probe = stop
                while probe < end and text[probe] in " \t":
                    probe += 1
                following = ends.get(probe)
                if following is None:
                    break
                stop = following
        else:
            stop = punct_end
        if stop < end:
            # The usual ends, decided here when a space and a capital follow: "?", "!",
            # '."' (anything but a lone full stop: the capital decides), "word. The" (a
            # plain lowercase word, not an abbreviation, before the full stop) and
            # "claim [4]. The" (a marker before it: no word there to be an abbreviation
            # or an enumerator). What _is_boundary would decide for them, without the call.
            if text[stop] == " " and stop + 1 < end and text[stop + 1] in _UPPER:
                before = text[punct_start - 1]
                if punct_end - punct_start != 1 or text[punct_start] != "." or before == "]":
                    pass
                elif before in _LOWER:
                    window = max(sentence_start, punct_start - 24)
                    space = text.rfind(" ", window, punct_start)
                    word = text[space + 1 if space >= 0 else window : punct_start]
                    lower = word.lower()
                    if not (
                        word.isalpha()
                        and word.isascii()
                        and len(word) > 1
                        and lower not in _SLOW_WORDS
                        and lower.strip("ivxlc")  # not a roman numeral ("iv. The")
                    ) and not _is_boundary(text, sentence_start, punct_start, punct_end, stop, end):
                        continue
                elif not _is_boundary(text, sentence_start, punct_start, punct_end, stop, end):
                    continue
            elif not _is_boundary(text, sentence_start, punct_start, punct_end, stop, end):
                continue
        bounds.append(sentence_start)
        bounds.append(stop)
        sentence_start = stop
        while sentence_start < end and text[sentence_start].isspace():
            sentence_start += 1
    tail_end = _rstrip(text, sentence_start, end)
    if tail_end > sentence_start:
        bounds.append(sentence_start)
        bounds.append(tail_end)
    return bounds


def _make(
    start: int, end: int, markers: list[Marker], starts: list[int], lo: int, hi: int
) -> RawSentence:
    """The sentence ``[start, end)`` and its markers (``starts``: theirs, sorted)."""
    if hi == lo:
        return RawSentence(start, end, ())
    first = bisect.bisect_left(starts, start, lo, hi)
    last = bisect.bisect_left(starts, end, first, hi)
    return RawSentence(start, end, tuple(markers[first:last]))


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _word_before(text: str, start: int, stop: int) -> str | None:
    """The word the full stop at ``stop`` ends, as ``_WORD_BEFORE`` finds it after ``start``.

    Usually a plain word after a space ("review", "Dr", "U.S"): taken without a regex,
    which would try every position of the window.
    """
    space = text.rfind(" ", start, stop)
    word = text[space + 1 if space >= 0 else start : stop]
    if word[:1].isalpha() and word.isascii() and word.replace(".", "").isalpha():
        return word  # ASCII letters and dots, starting with a letter, after a space
    match = _WORD_BEFORE.search(text, start, stop + 1)
    return None if match is None else match.group(1)


def _is_boundary(
    text: str, sentence_start: int, punct_start: int, punct_end: int, stop: int, end: int
) -> bool:
    if stop >= end:
        return True
    # After markers the white space may be missing: "claim.<sup>1</sup>Next" in HTML.
    nxt = (_NEXT if stop == punct_end else _NEXT_AFTER_MARKER).match(text, stop, end)
    if nxt is None:
        # Nothing but white space to the block's end: a boundary. Otherwise no white
        # space after: "15.2", "example.com", "U.S.-led".
        return _NON_SPACE.search(text, stop, end) is None
    first = nxt.group(1)
    # An uppercase letter, or a letter of a script without case (Chinese, Arabic...).
    capital = first.isalpha() and not first.islower()
    if not (capital or first.isdigit() or first in _OPENERS):
        return False
    punct = text[punct_start:punct_end]
    if punct != ".":
        return True  # "!", "?", "...", "…", '."': the capital decides
    if punct_start > sentence_start and text[punct_start - 1] in " \t":
        return True  # "kompromat . Next": a stripped marker, still a sentence end
    # "1. The first point" at the start of a line. (Only looked for when a line starts
    # near enough: "^" matches at the text's start, not at the window's.)
    window = max(0, punct_start - 12)
    if (window == 0 or text.find("\n", window, punct_start) != -1) and _ENUMERATOR.search(
        text, window, punct_start + 1
    ):
        return False
    word = _word_before(text, max(sentence_start, punct_start - 24), punct_start)
    if word is None:
        return True
    lower = word.lower().rstrip(".")
    if len(word) == 1 and word.isupper():
        return False  # an initial: "J. Smith"
    if lower in _TITLES:
        return False
    if lower in _BEFORE_NUMBERS:
        return not first.isdigit()
    if lower in _AFTER_NAMES or "." in word.rstrip("."):
        # "Apple Inc. The", "the U.S. The": a dotted acronym or abbreviation (U.S., e.g.,
        # a.m.) or a name's suffix ends the sentence only before a word that starts one.
        next_word = _NEXT_WORD.match(text, stop, end)
        return next_word is not None and next_word.group(1) in SENTENCE_STARTERS
    return True
