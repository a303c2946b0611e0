"""How far a source's main text has moved since it was cited.

``main_text_for_drift`` keeps what a reader would call the page's content: lines that
repeat (menus, share buttons), very short lines without sentence punctuation
(navigation, headings of page furniture), copyright lines, and the dates, times and
counters that change on every visit are dropped. ``compare_text`` then lines up the
two texts sentence by sentence with ``difflib`` (edited sentences get partial credit
for the words they keep) and blends that with the overlap of their word multisets,
which forgives paragraphs that merely moved. The result says how similar the texts
are and quotes a few of the sentences removed and added.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

from provenance.compare import _text

__all__ = ["DEFAULT_DRIFT_THRESHOLD", "Drift", "compare_text", "main_text_for_drift"]

DEFAULT_DRIFT_THRESHOLD = 0.8
"""Similarity below which a source counts as drifted (see ``tests/compare/test_drift.py`` and
``bench/support/drift.py`` for the edits on either side of it)."""

_MAX_EXCERPTS = 5
_EXCERPT_CHARS = 160
_SHORT_LINE_WORDS = 4  # a line of at most this many words without . ! ? is page furniture
_REPEAT_CHARS = 120  # a line this short that occurs twice is boilerplate
_SEQUENCE_SHARE = 0.6  # weight of the sentence alignment against the word-multiset overlap

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday|sday)?\.?,?"
_VOLATILE = re.compile(
    "|".join(
        (
            rf"\b{_WEEKDAY}\s+(?={_MONTH}|\d)",
            rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}",
            rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}",
            rf"\b{_MONTH}\s+\d{{4}}\b",
            r"\b\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?",
            r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",
            r"\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s+[a-z]{2,4}\b(?<!\bthe)(?<!\band))?",
            r"\b\d{1,2}\s*[ap]\.?m\.?(?=\W|$)",
            r"\b(?:\d+|an?|one)\s+(?:second|minute|min|hour|hr|day|week|month|year)s?\s+ago\b",
            r"\b(?:just now|yesterday|today)\b",
            r"\b[\d.,]+\s*[km]?\s+(?:views?|comments?|shares?|likes?|followers?|reads?|reactions?"
            r"|repl(?:y|ies)|retweets?|reposts?|subscribers?|votes?|points?|clicks?)\b",
            r"\b(?:views?|comments?|shares?|likes?)\s*:?\s*[\d.,]+\s*[km]?\b",
            r"\b(?:updated|published|posted|modified|last updated|last modified)\b:?"
            r"(?:\s+(?:on|at))?",
        )
    ),
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|\ball rights reserved\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"[ \t\u00a0]+")


@dataclass(frozen=True, slots=True)
class Drift:
    """How similar two versions of a source's main text are, and what changed."""

    similarity: float
    removed: tuple[str, ...]
    added: tuple[str, ...]

    @property
    def changed(self) -> bool:
        """Whether the main text changed at all (drifted or not)."""
        return self.similarity < 1.0 or bool(self.removed or self.added)

    def drifted(self, threshold: float = DEFAULT_DRIFT_THRESHOLD) -> bool:
        """Whether the similarity is below ``threshold``."""
        return self.similarity < threshold


def main_text_for_drift(text: str) -> str:
    """The lines of ``text`` that count when comparing versions, volatile parts removed."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    counts = Counter(_text.normalize(line) for line in lines if 0 < len(line) <= _REPEAT_CHARS)
    kept: list[str] = []
    for line in lines:
        if not line or _COPYRIGHT.search(line):
            continue
        if len(line) <= _REPEAT_CHARS and counts[_text.normalize(line)] > 1:
            continue
        if len(line.split()) <= _SHORT_LINE_WORDS and not _SENTENCE_END.search(line):
            continue
        stripped = _SPACES.sub(" ", _VOLATILE.sub(" ", line)).strip(" ,;:|-·•")
        if _WORD.search(stripped) and not (
            len(stripped.split()) <= _SHORT_LINE_WORDS and not _SENTENCE_END.search(stripped)
        ):
            kept.append(stripped)
    return "\n".join(kept)


def compare_text(before: str, after: str) -> Drift:
    """Compare two versions of a text's main content: similarity and sentences removed/added."""
    old = _sentences(main_text_for_drift(before))
    new = _sentences(main_text_for_drift(after))
    old_keys = [key for key, _ in old]
    new_keys = [key for key, _ in new]
    if old_keys == new_keys:
        return Drift(1.0, (), ())
    total = sum(len(k) for k in old_keys) + sum(len(k) for k in new_keys)
    matched = 0.0
    removed: list[str] = []
    added: list[str] = []
    matcher = SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            matched += 2 * sum(len(k) for k in old_keys[i1:i2])
            continue
        removed.extend(shown for _, shown in old[i1:i2])
        added.extend(shown for _, shown in new[j1:j2])
        if tag == "replace":
            a, b = " ".join(old_keys[i1:i2]), " ".join(new_keys[j1:j2])
            matched += _word_ratio(a, b) * (len(a) + len(b))
    sequence = matched / total if total else 1.0
    similarity = _SEQUENCE_SHARE * sequence + (1 - _SEQUENCE_SHARE) * _bag_overlap(
        old_keys, new_keys
    )
    similarity = min(similarity, 0.999)  # something changed: never report "identical"
    return Drift(round(similarity, 4), _excerpts(removed), _excerpts(added))


def _sentences(main_text: str) -> list[tuple[str, str]]:
    """(comparison key, sentence as shown) for each sentence of the main text."""
    result: list[tuple[str, str]] = []
    for start, end in _text.paragraphs(main_text):
        for s_start, s_end in _text.sentences(main_text, start, end):
            shown = main_text[s_start:s_end]
            key = " ".join(_WORD.findall(_text.normalize(shown)))
            if key:
                result.append((key, shown))
    return result


def _word_ratio(a: str, b: str) -> float:
    """Similarity of two runs of words (an edited sentence keeps most of its words)."""
    return SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()


def _bag_overlap(old_keys: list[str], new_keys: list[str]) -> float:
    old = Counter(w for key in old_keys for w in key.split())
    new = Counter(w for key in new_keys for w in key.split())
    size = sum(old.values()) + sum(new.values())
    if not size:
        return 1.0
    return 2 * sum((old & new).values()) / size


def _excerpts(sentences: list[str]) -> tuple[str, ...]:
    shown = [s for s in sentences if len(s.split()) >= 3] or sentences
    return tuple(_trim(s) for s in shown[:_MAX_EXCERPTS])


def _trim(sentence: str) -> str:
    if len(sentence) <= _EXCERPT_CHARS:
        return sentence
    cut = sentence.rfind(" ", 0, _EXCERPT_CHARS - 1)
    return sentence[: cut if cut > _EXCERPT_CHARS // 2 else _EXCERPT_CHARS - 1].rstrip() + "…"
