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
from provenance.compare.thresholds import DEFAULT_DRIFT_THRESHOLD

__all__ = ["DEFAULT_DRIFT_THRESHOLD", "Drift", "compare_text", "main_text_for_drift"]


_MAX_EXCERPTS = 5
_EXCERPT_CHARS = 160
_SHORT_LINE_WORDS = 4  # a line of at most this many words without . ! ? is page furniture
_REPEAT_CHARS = 120  # a line this short that occurs twice is boilerplate
_SMALL_BLOCK = 3  # replaced runs of up to this many sentences are compared word by word
_NEAR = 3  # in longer runs, an old sentence is compared with new ones this close
_SEQUENCE_SHARE = 0.6  # weight of the sentence alignment against the word-multiset overlap

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday|sday)?\.?,?"
# One leading word boundary for all alternatives: the engine gives up at most positions
# at once (40 % faster than a boundary in each alternative alone).
_VOLATILE = re.compile(
    r"\b(?=[\da-z])(?:"
    + "|".join(
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
    )
    + ")",
    re.IGNORECASE,
)
# Every volatile pattern needs a digit or one of these words: lines without any skip the
# expensive pattern.
_DIGIT = re.compile(r"\d")
_VOLATILE_WORDS = (
    "ago", "yesterday", "today", "just now", "updated", "published", "posted", "modified",
    "view", "comment", "share", "like",
)  # fmt: skip
_COPYRIGHT_WORDS = ("©", "copyright", "all rights reserved", "(c) ")
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
        if not line:
            continue
        low = line.lower()
        if any(word in low for word in _COPYRIGHT_WORDS):
            continue
        if len(line) <= _REPEAT_CHARS and counts[_text.normalize(line)] > 1:
            continue
        if len(line.split()) <= _SHORT_LINE_WORDS and not _SENTENCE_END.search(line):
            continue
        stripped = line
        if _DIGIT.search(line) or any(word in low for word in _VOLATILE_WORDS):
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
        old_shown = [shown for _, shown in old[i1:i2]]
        new_shown = [shown for _, shown in new[j1:j2]]
        if tag == "replace" and len(old_shown) == len(new_shown):
            # Sentences edited in place: show each around its first difference.
            for a, b in zip(old_shown, new_shown, strict=True):
                common = _first_difference(a, b)
                removed.append(_trim(a, common))
                added.append(_trim(b, common))
        else:
            removed.extend(_trim(shown) for shown in old_shown)
            added.extend(_trim(shown) for shown in new_shown)
        if tag == "replace":
            matched += _replaced_credit(old_keys[i1:i2], new_keys[j1:j2])
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


def _replaced_credit(old: list[str], new: list[str]) -> float:
    """Partial credit, in characters matched (both sides), for sentences that were replaced.

    An edited sentence keeps most of its words. A few replaced sentences are compared
    word by word as one run; a long replaced stretch (a page-wide edit, or a rewrite)
    pairs each old sentence with the most similar new sentence near the same relative
    position, by word-set overlap, so the cost stays linear in the length of the text.
    """
    if len(old) <= _SMALL_BLOCK and len(new) <= _SMALL_BLOCK:
        a, b = " ".join(old), " ".join(new)
        ratio = SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()
        return ratio * (len(a) + len(b))
    new_sets = [frozenset(key.split()) for key in new]
    credit = 0.0
    for r, key in enumerate(old):
        words = frozenset(key.split())
        centre = r * len(new) // len(old)
        best, best_j = 0.0, centre
        for j in range(max(0, centre - _NEAR), min(len(new), centre + _NEAR + 1)):
            size = len(words) + len(new_sets[j])
            dice = 2 * len(words & new_sets[j]) / size if size else 0.0
            if dice > best:
                best, best_j = dice, j
        credit += best * (len(key) + len(new[best_j]))
    return min(credit, sum(map(len, old)) + sum(map(len, new)))


def _bag_overlap(old_keys: list[str], new_keys: list[str]) -> float:
    old = Counter(w for key in old_keys for w in key.split())
    new = Counter(w for key in new_keys for w in key.split())
    size = sum(old.values()) + sum(new.values())
    if not size:
        return 1.0
    return 2 * sum((old & new).values()) / size


def _excerpts(sentences: list[str]) -> tuple[str, ...]:
    shown = [s for s in sentences if len(s.split()) >= 3] or sentences
    return tuple(shown[:_MAX_EXCERPTS])


def _first_difference(a: str, b: str) -> int:
    """The offset of the first character where ``a`` and ``b`` differ."""
    limit = min(len(a), len(b))
    i = 0
    while i < limit and a[i] == b[i]:
        i += 1
    return i


def _trim(sentence: str, focus: int = 0) -> str:
    """``sentence`` cut to about 160 characters at word boundaries, keeping ``focus`` in view."""
    if len(sentence) <= _EXCERPT_CHARS:
        return sentence
    start = 0
    if focus > _EXCERPT_CHARS // 2:
        start = sentence.find(" ", max(0, focus - _EXCERPT_CHARS // 3)) + 1
    prefix = "…" if start else ""
    budget = _EXCERPT_CHARS - 1 - len(prefix)
    end = start + budget
    if end >= len(sentence):
        return prefix + sentence[start:]
    cut = sentence.rfind(" ", start, end)
    end = cut if cut > start + budget // 2 else end
    return prefix + sentence[start:end].rstrip() + "…"
