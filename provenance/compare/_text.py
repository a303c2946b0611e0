"""Text helpers shared by the comparison functions: normalisation, sentences, tokens.

Everything here is a pure function over strings. Offsets always refer to the text
that was passed in, so what is found can be quoted exactly as the source has it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from provenance.extract.sentences import split_sentences

# Characters that carry no text: soft hyphen, zero-width space/joiners, word joiner, BOM.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_QUOTES = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4\u0060", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
}
_DASHES = dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-")
_TABLE = str.maketrans(
    {
        **{ord(c): None for c in _INVISIBLE},
        **{ord(k): v for k, v in _QUOTES.items()},
        **{ord(k): v for k, v in _DASHES.items()},
        0x2026: "...",
    }
)
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC, invisible characters dropped, quotes and dashes unified, casefolded, one space."""
    text = unicodedata.normalize("NFKC", text.translate(_TABLE)).translate(_TABLE)
    return _SPACE.sub(" ", text.casefold()).strip()


# --- paragraphs and sentences -------------------------------------------------------------

_TERMINAL = tuple(".!?:;\"')]”’…")


def paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each paragraph of ``text``.

    A blank line always ends a paragraph. A single line break ends one too (extracted
    web pages put each block on its own line), unless the line looks hard-wrapped: it
    does not end in sentence punctuation, is long, and the next line starts in lower case.
    """
    start = end = -1
    prev_wraps = False
    offset = 0
    for line in text.split("\n"):
        line_start = offset
        offset += len(line) + 1
        stripped = line.strip()
        if not stripped:
            if start >= 0:
                yield start, end
                start = -1
            prev_wraps = False
            continue
        first = stripped[0]
        if start >= 0 and not (prev_wraps and (first.islower() or first.isdigit())):
            yield start, end
            start = -1
        if start < 0:
            start = line_start + (len(line) - len(line.lstrip()))
        end = line_start + len(line.rstrip())
        prev_wraps = len(stripped) >= 40 and not stripped.endswith(_TERMINAL)
    if start >= 0:
        yield start, end


def sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text[start:end]`` (one paragraph)."""
    return [(s.start, s.end) for s in split_sentences(text, start, end, [], [])]


# --- tokens ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)?")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NUMBER_WORDS = {
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "hundred": "100",
    "dozen": "12",
}
# Irregular forms news prose uses most, mapped to the form the stemmer gives the base verb.
_IRREGULAR = {
    "met": "meet",
    "said": "say",
    "says": "say",
    "told": "tell",
    "took": "take",
    "taken": "take",
    "won": "win",
    "lost": "lose",
    "paid": "pay",
    "made": "make",
    "held": "hold",
    "found": "find",
    "gave": "give",
    "given": "give",
    "began": "begin",
    "begun": "begin",
    "sent": "send",
    "spent": "spend",
    "led": "lead",
    "wrote": "write",
    "written": "write",
    "bought": "buy",
    "sold": "sell",
    "knew": "know",
    "known": "know",
    "saw": "see",
    "seen": "see",
    "became": "become",
    "chose": "choose",
    "chosen": "choose",
    "fell": "fall",
    "fallen": "fall",
    "rose": "rise",
    "risen": "rise",
    "grew": "grow",
    "grown": "grow",
    "left": "leave",
    "brought": "bring",
    "thought": "think",
    "caught": "catch",
    "kept": "keep",
    "ran": "run",
    "struck": "strike",
    "drew": "draw",
    "drawn": "draw",
    "spoke": "speak",
    "spoken": "speak",
    "hid": "hide",
    "hidden": "hide",
    "men": "man",
    "women": "woman",
    "children": "child",
    "people": "person",
    "percent": "percent",
    "per": "per",
}
STOPWORDS = _words(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves 's s t ca wo ll ve re d m one per cent us mr mrs ms dr according reported
    reportedly"""
)
NEGATIONS = _words(
    "not no never none nobody nothing neither nor without deny denied denies denying refuse"
    " refused refuses fail failed fails lack lacked lacks"
)


def stem(word: str) -> str:
    """A light, predictable suffix stripper: enough to match "meetings" with "meeting"."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    if len(word) <= 3 or word[0].isdigit():
        return word
    for suffix, replacement, min_len in (
        ("ies", "y", 5),
        ("ing", "", 6),
        ("edly", "", 7),
        ("ed", "", 5),
        ("ly", "", 6),
        ("es", "", 6),
        ("s", "", 4),
    ):
        if word.endswith(suffix) and len(word) >= min_len and not word.endswith("ss"):
            base = word[: len(word) - len(suffix)] + replacement
            if len(base) >= 3 and base[-1] == base[-2] and base[-1] not in "aeiouls":
                base = base[:-1]  # "stopped" -> "stopp" -> "stop"
            return base.removesuffix("e")
    return word.removesuffix("e")


def _canonical_number(token: str) -> str:
    if "," in token and "." not in token:
        return token.replace(",", "")
    return token


def raw_tokens(text: str) -> list[str]:
    """Normalised word and number tokens of ``text`` (contractions' "n't" becomes "not")."""
    norm = normalize(text).replace("n't", " not").replace("%", " percent ")
    norm = norm.replace("per cent", "percent")
    return [
        _canonical_number(t) if t[0].isdigit() else t.removesuffix("'s")
        for t in _TOKEN.findall(norm)
    ]


def content_terms(tokens: list[str]) -> list[str]:
    """The stems of ``tokens`` that carry content (stop words dropped)."""
    return [stem(t) for t in tokens if t not in STOPWORDS]


def is_number(term: str) -> bool:
    """Whether a term is a number ("2016", "1.5", "12")."""
    return term[:1].isdigit()


_CASED_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?")


def raw_tokens_cased(text: str) -> list[str]:
    """Word and number tokens of ``text`` with their case kept (to spot names)."""
    tokens = _CASED_TOKEN.findall(unicodedata.normalize("NFKC", text))
    return [t.removesuffix("'s").removesuffix("’s") for t in tokens]
