"""The shortcuts extraction takes for speed give the answers of the plain forms they replace.

Each test pits a shortcut (a regex rewritten so a search can skip ahead, a guard that
spares a regex, a check done once per block instead of once per sentence) against the
plain form it stands for, on arbitrary input.
"""

from __future__ import annotations

import bisect
import re
import subprocess
import sys

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from provenance.extract import _GAP_CANDIDATE_RE, SentenceRole
from provenance.extract.claims import (
    _STRIPPED_RE,
    DATELINE_RE,
    _has_words,
    classify_sentence,
)
from provenance.extract.markdown import _CODE_SPAN_RE, read_markdown
from provenance.extract.markers import Marker, find_markers
from provenance.extract.sentences import _WORD_BEFORE, _is_boundary, _word_before, sentence_bounds
from provenance.extract.view import BlockKind
from provenance.rules import RuleId
from tests.extract.helpers import document, run

_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

# The plain forms: a look-behind first, so a search tries it at every position.
_PLAIN_CODE_SPAN_RE = re.compile(r"(?<!`)(`+)(?!`)((?:(?!\n[ \t]*\n).)+?)(?<!`)\1(?!`)", re.S)
_PLAIN_STRIPPED_RE = re.compile(r"(?<=[\w\"”’'»)%])[ \t\u00a0]+(?=[.,;:!?](?:[\s\"”’'»)]|$))")


def _pieces(*fragments: str, max_size: int = 40) -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(fragments), st.text(max_size=3))
    return st.lists(piece, max_size=max_size).map("".join)


@_SETTINGS
@given(_pieces("`", "``", "```", "a", " ", "\n", "\n\n", "\n \n", "\\"))
def test_code_spans_are_the_plain_pattern_s(text):
    found = [(m.span(), m.groups()) for m in _CODE_SPAN_RE.finditer(text)]
    assert found == [(m.span(), m.groups()) for m in _PLAIN_CODE_SPAN_RE.finditer(text)]


@_SETTINGS
@given(
    _pieces("a", "1", "_", " ", "\t", "\xa0", "  ", ".", ",", ";", ":", "!", "?", '"', "”", ")"),
    st.integers(0, 40),
    st.integers(0, 40),
)
def test_stripped_markers_are_the_plain_pattern_s(text, pos, endpos):
    found = [m.span() for m in _STRIPPED_RE.finditer(text, pos, endpos)]
    assert found == [m.span() for m in _PLAIN_STRIPPED_RE.finditer(text, pos, endpos)]


@_SETTINGS
@given(_pieces("Dr", "U.S", "review", "a", " ", ".", "..", "\n", "é", "1", "-"), st.integers(0, 30))
def test_the_word_before_a_full_stop_is_the_regex_s(text, start):
    text += "."  # the full stop the word ends
    stop = len(text) - 1
    start = min(start, stop)
    match = _WORD_BEFORE.search(text, start, stop + 1)
    assert _word_before(text, start, stop) == (None if match is None else match.group(1))


@_SETTINGS
@given(_pieces("word", " ", "-", "_", "é", "١", "[1]", ".", "\n"), st.integers(-1, 6))
def test_word_count_stops_early_but_counts_as_findall(text, count):
    assert _has_words(text, count) == (len(re.findall(r"\w+", text)) >= count)


_DATELINE_WORDS = (
    "Published", "published on", "Updated:", "Fact-checked", "Last updated", "First published",
    "Posted", "Reviewed", "Date:", "Written", "Checked on", "", "By Jane Doe", "by J. Doe",
    "BY JANE", "ſep", "Poſted",
)  # fmt: skip
_DATES = ("Jan. 5, 2021", "5 January 2021", "2024-01-02", "Sept 2020", "ſep 5, 2021", "")
_TAILS = ("", ".", " at 3:45 p.m. EST", " | 5 min read", ", the report found that it was")


@st.composite
def _maybe_datelines(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(
            _pieces("The ", "Separately, ", "K", "ı", "İ", " ", "\t", "5", "By ", "Jan", "."),
        )
    parts = [draw(st.sampled_from(w)) for w in (_DATELINE_WORDS, _DATES, _TAILS)]
    case = draw(st.sampled_from((str, str.upper, str.lower, str.title)))
    return case(" ".join(parts[:2]) + parts[2])


def _role(text: str) -> SentenceRole:
    return classify_sentence(
        text,
        block_kind=BlockKind.PARAGRAPH,
        cited=False,
        boilerplate=(),
        block_is_boilerplate=False,
        min_words=3,
    )


@_SETTINGS
@given(_maybe_datelines())
def test_the_dateline_guard_never_hides_a_dateline(text):
    # The guard spares the regex for sentences whose first two letters start no dateline;
    # the role must be the one the regex alone would give.
    assert (_role(text) is SentenceRole.DATELINE) == (DATELINE_RE.match(text.strip()) is not None)


def test_a_dateline_may_start_with_a_letter_the_regex_folds_to_ascii():
    # Ignoring case the Unicode way, "ſ" is an "s": "ſep" is the month.
    assert DATELINE_RE.match("ſep 5, 2021") is not None
    assert _role("ſep 5, 2021") is SentenceRole.DATELINE


_PROSE = (
    "Word", "claim", "The", "A claim of four words", "It rose by 15.2 percent", " ", "  ",
    "\t", "\xa0", "\u2003", "\n", ".", " .", " ,", "?", " ?", "[1]", " [2]", ". ", "U.S.",
    "\u00a0.", "\n\n",
)  # fmt: skip


def _end_offset(doc, line: int, column: int) -> int:
    return doc.lines.line_start(line) + column  # one past the sentence's last character


@_SETTINGS
@given(_pieces(*_PROSE))
def test_sentence_text_is_its_white_space_collapsed(text):
    doc = document(text, "md")
    view = read_markdown(text)
    for sentence in run(text, "md").sentences:
        end = _end_offset(doc, sentence.end_line, sentence.end_column)
        assert sentence.text == re.sub(r"\s+", " ", view.text[sentence.offset : end]).strip()


@_SETTINGS
@given(_pieces(*_PROSE))
def test_stripped_markers_found_per_block_are_those_found_per_claim(text):
    # Prose without markup: the view is the file, and a gap's offset is where it starts.
    doc = document(text, "md")
    extraction = run(text, "md")
    per_claim = [
        match.start()
        for claim in extraction.claims
        for match in _PLAIN_STRIPPED_RE.finditer(
            text, claim.offset, _end_offset(doc, claim.end_line, claim.end_column)
        )
    ]
    found = [d.offset for d in extraction.defects if d.rule is RuleId.STRIPPED_MARKER]
    assert found == per_claim


def test_white_space_of_every_kind_collapses_in_sentence_text():
    extraction = run("A claim\twith\xa0odd\u2003spaces  and\na break [1].", "md")
    assert [s.text for s in extraction.sentences] == ["A claim with odd spaces and a break [1]."]


def test_markdown_escapes_images_and_autolinks_may_overlap():
    # "\!" is an escape and "![a](b)" an image: both are blanked, so no link text is left.
    view = read_markdown("Text \\![a](b) and <https://e.com/x> end.")
    assert view.text == "Text " + " " * len("\\![a](b)") + " and " + " " * 17 + " end."


def test_extraction_does_not_import_beautifulsoup():
    # Start-up time: BeautifulSoup is loaded on the first HTML document only.
    code = "import sys, provenance.extract; print('bs4' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# The plain form of sentence_bounds: every run of punctuation is a candidate, and
# _is_boundary judges each one.
_PLAIN_END = re.compile(r"[.!?…]+[\"'”’»)]*")


def _plain_sentence_bounds(text: str, start: int, end: int, markers: list[Marker]) -> list[int]:
    ends = {m.start: m.end for m in markers if start <= m.start < end}
    bounds: list[int] = []
    sentence_start = start
    while sentence_start < end and text[sentence_start].isspace():
        sentence_start += 1
    for match in _PLAIN_END.finditer(text, start, end):
        punct_start, punct_end = match.span()
        if punct_start < sentence_start:
            continue
        if any(m.start <= punct_start < m.end for m in markers if start <= m.start < end):
            continue
        stop = punct_end
        while True:
            probe = stop
            while probe < end and text[probe] in " \t":
                probe += 1
            if probe not in ends:
                break
            stop = ends[probe]
        if not _is_boundary(text, sentence_start, punct_start, punct_end, stop, end):
            continue
        bounds += [sentence_start, stop]
        sentence_start = stop
        while sentence_start < end and text[sentence_start].isspace():
            sentence_start += 1
    tail = end
    while tail > sentence_start and text[tail - 1].isspace():
        tail -= 1
    if tail > sentence_start:
        bounds += [sentence_start, tail]
    return bounds


# Words (abbreviations, initials, roman numerals, markers among them), each followed by
# what may end a sentence, and white space: the places the shortcuts decide.
_WORD = st.sampled_from(
    [" word", " Dr", " dr", " etc", " iv", " civic", " U.S", " Inc", " al", " J", " 15", " The",
     " A", " Über", "\n1", "\n", "\niv", "\n ii", " [4]", " [@a, p. 4]", " [x]", "\t", "  "]
)  # fmt: skip
_AFTER = st.sampled_from(
    ["", "", ".", "?", "!", "…", '."', ".)", " .", ".\n", ". [2]", ".[1][2]", "x", "]"]
)


@settings(_SETTINGS, max_examples=1000)
@given(
    st.one_of(
        st.lists(st.tuples(_WORD, _AFTER).map("".join), max_size=12).map("".join),
        _pieces(" Dr", ".", " The", "[1]", " ", "?", max_size=20),
    ),
    st.integers(0, 10),
)
@example(" Dr. The end.", 0)
@example("Smith et al. The end.", 0)
@example("Rules:\n iv. The last one.", 0)
@example("See claim [4]. The end.", 0)
@example("He asked why? The end.", 0)
@example('It said "no." The end.', 0)
@example("Jan. 5 came. The end.", 0)
def test_sentence_bounds_are_the_plain_rules_s(text, start):
    # The usual ends are decided inline and the pattern skips punctuation glued to what
    # follows; every other candidate goes to _is_boundary, as all of them did.
    start = min(start, len(text))
    markers = find_markers(text)
    starts = [m.start for m in markers]
    lo = bisect.bisect_left(starts, start)
    hi = bisect.bisect_left(starts, len(text), lo)
    found = sentence_bounds(text, start, len(text), markers, starts, lo, hi)
    assert found == _plain_sentence_bounds(text, start, len(text), markers)


@_SETTINGS
@given(_pieces("a", " ", "\t", "\xa0", ".", ",", ";", ":", "!", "?", "\n"))
def test_stripped_marker_candidates_are_every_space_before_punctuation_s(text):
    # Punctuation first in the pattern, white space looked behind: the same places.
    plain = [m.start() for m in re.finditer(r"[ \t\u00a0][.,;:!?]", text)]
    assert [m.start() - 1 for m in _GAP_CANDIDATE_RE.finditer(text)] == plain
