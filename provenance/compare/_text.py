"""Text helpers shared by the comparison functions: normalisation, sentences, tokens.

Everything here is a pure function over strings. Offsets always refer to the text
that was passed in, so what is found can be quoted exactly as the source has it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator


def word_set(text: str) -> frozenset[str]:
    """The words of ``text`` (a word list written as prose)."""
    return frozenset(text.split())


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


def normalize(text: str) -> str:
    """NFKC, invisible characters dropped, quotes and dashes unified, casefolded, one space."""
    text = unicodedata.normalize("NFKC", text.translate(_TABLE)).translate(_TABLE)
    return " ".join(text.casefold().split())  # str.split: much faster than a regex here


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


# Never end a sentence: a name or number always follows.
_TITLES = word_set(
    "mr mrs ms mx dr prof sr jr st mt ft gen sen rep gov lt col capt sgt cmdr adm pres supt"
    " rev hon fr messrs mme mlle cf approx ca est dept univ assn vs v"
)
# End a sentence unless a number follows ("Jan. 5", "No. 7", "p. 4").
_BEFORE_NUMBERS = word_set(
    "jan feb mar apr jun jul aug sep sept oct nov dec no nos vol vols pp p para fig figs"
    " eq eqs ch sec art"
)
# After a dotted acronym ("in the U.S. The"), these words start a new sentence.
_STARTERS = word_set(
    "The This That These Those It Its He She They We I You A An In On At But And However"
    " Yet So Still Meanwhile There Here His Her Their Our My"
)
_END = re.compile(r"[.!?…]+[\"'”’»)\]]*")
_NEXT = re.compile(r"\s+([\"'“‘«(\[¿¡]*)([\w’']*)")


def sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text[start:end]`` (one paragraph).

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or
    brackets) followed by white space and a capital, digit or opening quote.
    Abbreviations ("Dr.", "Jan. 5"), initials ("J. Smith"), dotted acronyms inside a
    sentence ("U.S. officials") and decimals do not end one. The same rules as the
    document extractor's, without its citation markers, so this package stays free of
    the rest of provenance.
    """
    found: list[tuple[int, int]] = []
    current = _skip_space(text, start, end)
    for match in _END.finditer(text, start, end):
        punct_start, punct_end = match.span()
        if punct_start < current or not _is_boundary(text, current, punct_start, punct_end, end):
            continue
        found.append((current, punct_end))
        current = _skip_space(text, punct_end, end)
    tail = end
    while tail > current and text[tail - 1].isspace():
        tail -= 1
    if tail > current:
        found.append((current, tail))
    return found


def _skip_space(text: str, pos: int, end: int) -> int:
    while pos < end and text[pos].isspace():
        pos += 1
    return pos


def _is_boundary(text: str, start: int, punct_start: int, punct_end: int, end: int) -> bool:
    if punct_end >= end or not text[punct_end:end].strip():
        return True
    nxt = _NEXT.match(text, punct_end, end)
    if nxt is None:
        return False  # no white space after: "15.2", "example.com", "U.S.-led"
    openers, next_word = nxt.groups()
    first = next_word[:1]
    if not (openers or first.isdigit() or (first.isalpha() and not first.islower())):
        return False
    punct = text[punct_start:punct_end]
    if not punct.startswith(".") or punct.startswith(".."):
        return True  # "!", "?", "…", "...": the capital decides
    if punct_start > start and text[punct_start - 1] == " ":
        return True  # "kompromat . Next": a stripped citation marker
    space = text.rfind(" ", start, punct_start)
    word = text[space + 1 if space >= 0 else start : punct_start].lstrip("\"'“‘(")
    lower = word.lower()
    if len(word) == 1 and word.isupper():
        return False  # an initial: "J. Smith"
    if word.isdigit() and len(word) <= 2 and space < 0:
        return False  # an enumerator: "1. First"
    if lower in _TITLES:
        return False
    if lower in _BEFORE_NUMBERS:
        return not first.isdigit()
    if "." in word:
        return next_word in _STARTERS  # "the U.S. The" ends; "the U.S. Senate" does not
    return True


# --- tokens ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)?")


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
    "withdrew": "withdraw",
    "withdrawn": "withdraw",
    "died": "die",
    "dying": "die",
    "lying": "lie",
    "lied": "lie",
    "hidden": "hide",
    "men": "man",
    "women": "woman",
    "children": "child",
    "people": "person",
    "percent": "percent",
    "per": "per",
}
STOPWORDS = word_set(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves 's s t ca wo ll ve re d m one per cent us mr mrs ms dr according reported
    reportedly about around roughly nearly almost approximately some than over least"""
)
NEGATIONS = word_set(
    "not no never none nobody nothing neither nor without deny denied denies denying refuse"
    " refused refuses fail failed fails lack lacked lacks"
)


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light, predictable stemmer with a few synonyms folded together.

    Plurals, "-ed" and "-ing" go, then one derivational suffix ("-ion", "-ence",
    "-ment", "-ity", "-or"...), then a final "e": "investigation", "investigators" and
    "investigated" all become "investigat". Common irregular forms are looked up, and
    a small table folds news-prose synonyms ("rose"/"increased"/"climbed") together.
    """
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    base = _strip(_IRREGULAR.get(word, word))
    return _CANONICAL.get(base, base)


_DERIVATIONAL = (
    ("ions", 4),
    ("ion", 4),
    ("ence", 4),
    ("ance", 4),
    ("ments", 4),
    ("ment", 4),
    ("ness", 4),
    ("ity", 4),
    ("ive", 4),
    ("ous", 4),
    ("al", 4),
    ("ly", 4),
    ("ers", 6),
    ("er", 6),
    ("ors", 6),
    ("or", 6),
)


_BRITISH = re.compile(r"(?<=\w{3})is(e|ed|es|ing|ation|ations)$")


def _strip(word: str) -> str:
    if len(word) <= 3 or word[0].isdigit():
        return word
    if "is" in word:
        word = _BRITISH.sub(r"iz\1", word)  # "criticised" and "criticized" alike
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ies") and len(word) >= 5:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix, keep in (("ing", 3), ("ed", 2)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            word = word[: -len(suffix)]
            if len(word) >= 3 and word[-1] == word[-2] and word[-1] not in "aeiouslz":
                word = word[:-1]  # "stopped" -> "stopp" -> "stop"
            break
    for suffix, keep in _DERIVATIONAL:
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            word = word[: -len(suffix)]
            break
    return word.removesuffix("e") if len(word) > 3 else word


# Words news prose uses interchangeably, each group folded into its first word.
_SYNONYM_GROUPS = (
    "rise increase climb jump grow surge soar",
    "fall decline drop decrease shrink shrank slump plunge",
    "die death dead kill fatal",
    "stop halt pause suspend",
    "begin start launch",
    "find conclude determine",
    "say tell",
    "large big huge",
    "agreement pact treaty accord",
    "law statute legislation",
    "study research",
    "investigation inquiry probe",
    "charge indict accuse",
    "convict guilty",
    "company firm",
    "buy purchase acquire",
    "help aid assist",
    "ban prohibit outlaw",
    "link tie connect",
    "money fund cash",
    "meddle interfere",
    "photo picture image photograph",
    "video clip footage",
    "child kid",
    "resign quit",
    "error mistake",
    "cause attribute",
    "ill illness sick",
    "participant volunteer",
    "alter manipulate",
    "lose loss",
    "paper article",
    "retract withdraw",
    "praise compliment laud",
    "usa america american",
    "britain british uk",
)
_CANONICAL: dict[str, str] = {}
for _group in _SYNONYM_GROUPS:
    _words_of_group = _group.split()
    _head = _strip(_IRREGULAR.get(_words_of_group[0], _words_of_group[0]))
    for _word in _words_of_group:
        _CANONICAL[_strip(_IRREGULAR.get(_word, _word))] = _head
# Pairs of (canonical) terms that contradict each other.
ANTONYMS: dict[str, str] = {}
for _a, _b in (
    ("rise", "fall"),
    ("acquit", "convict"),
    ("sign", "veto"),
    ("die", "survive"),
    ("win", "lose"),
    ("highest", "lowest"),
    ("higher", "lower"),
    ("approve", "reject"),
    ("support", "oppose"),
    ("innocent", "guilty"),
    ("profit", "loss"),
    ("allow", "ban"),
    ("more", "fewer"),
):
    _sa, _sb = stem(_a), stem(_b)
    ANTONYMS[_sa] = _sb
    ANTONYMS[_sb] = _sa
# Reporting verbs: paraphrases drop or change them freely, so they weigh little.
REPORTING = frozenset(map(stem, word_set("say find report show note add conclude announce")))
_PHRASES = (
    ("compromising material", "kompromat"),
    ("declined to", "refused to"),
    ("united states", "usa"),
    ("u.s.", "usa"),
    ("united kingdom", "britain"),
    ("per cent", "percent"),
    ("n't", " not"),
    ("%", " percent "),
    ("$", " dollar "),
    ("€", " euro "),
    ("£", " pound "),
)
# "insufficient" is "not sufficient": the negation check and the term match both see it.
_NEGATIVE_PREFIX = re.compile(
    r"\b(?:in|un)(sufficient|able|proven|conclusive|corroborated|substantiated|supported"
    r"|confirmed|verified|clear|true|likely|known|successful|changed)\b"
)
_AMOUNT = re.compile(r"(\d)(bn|m|k)\b")
_AMOUNT_WORDS = {"bn": " billion", "m": " million", "k": " thousand"}


def _canonical_number(token: str) -> str:
    if "," in token and "." not in token:
        return token.replace(",", "")
    return token


_MARKER = re.compile(
    r"\[\s*(?:\d+[a-z]?(?:\s*[-,;]\s*\d+[a-z]?)*|[@^][^\]]{0,80}|citation needed|edit"
    r"|note \d+|[a-z])\s*\]"
)


def _spell_amount(match: re.Match[str]) -> str:
    return match.group(1) + _AMOUNT_WORDS[match.group(2)]


def raw_tokens(text: str) -> list[str]:
    """Normalised word and number tokens of ``text``, a few phrases and symbols spelled out.

    Citation markers ("[1]", "[2-4]", "[@smith]", "[citation needed]") are not words of
    the text: a claim's "[1]" is not the number 1.
    """
    norm = normalize(text)
    if "[" in norm:
        norm = _MARKER.sub(" ", norm)
    for phrase, replacement in _PHRASES:
        if phrase in norm:
            norm = norm.replace(phrase, replacement)
    norm = _NEGATIVE_PREFIX.sub(r"not \1", norm)
    norm = _AMOUNT.sub(_spell_amount, norm)
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


def same_number(a: str, b: str) -> bool:
    """Whether a claim's number ``a`` and a passage's ``b`` state the same figure.

    Equal, or within 3 % ("14.9" for "15"; 10 % when ``a`` is a round figure of 1,000 or
    more), except years, which must be equal ("2016" is not "2017").
    """
    if a == b:
        return True
    try:
        x, y = float(a.replace(",", "")), float(b.replace(",", ""))
    except ValueError:
        return False
    if _looks_like_year(a) or _looks_like_year(b):
        return False
    return abs(x - y) <= _tolerance(a) * max(abs(x), abs(y))


def _tolerance(claimed: str) -> float:
    """3 %, or 10 % for a round figure of 1,000 or more ("20,000" for 20,918)."""
    digits = claimed.replace(",", "")
    if digits.isdigit() and len(digits) >= 4 and len(digits.rstrip("0")) <= 2:
        return 0.10
    return 0.03


def _looks_like_year(term: str) -> bool:
    return len(term) == 4 and term.isdigit() and 1000 <= int(term) <= 2199


_CASED_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?")


def raw_tokens_cased(text: str) -> list[str]:
    """Word and number tokens of ``text`` with their case kept (to spot names)."""
    tokens = _CASED_TOKEN.findall(unicodedata.normalize("NFKC", text))
    return [t.removesuffix("'s").removesuffix("’s") for t in tokens]
