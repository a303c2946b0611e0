"""The compiled module (``_speedups.c``) gives what the Python it mirrors gives.

``_extract_python`` is the reference implementation of extraction's loop;
``_extract_compiled`` runs the same loop in C. Both run here on generated documents (odd
characters included: surrogates, NULs, non-BMP letters, every kind of white space) and
must agree on every sentence, claim, citation and defect; likewise the marker scan
(``markers._find_markers``) and the report's rows (``spool.claim_rows``, ``claims_json``,
``citations_json``). A build that silently fell back to Python must not pass as the fast
one: the module must be there unless PROVENANCE_PURE_PYTHON is set.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import provenance.extract as extraction
from provenance import spool
from provenance.check import _Draft
from provenance.extract import (
    _READERS,
    Citation,
    ExtractOptions,
    Sentence,
    SentenceRole,
    _extract_compiled,
    _extract_python,
    markers,
)
from provenance.models import CitationKind
from provenance.rules import RuleId
from tests.extract.helpers import document

_PURE = os.environ.get("PROVENANCE_PURE_PYTHON", "") not in ("", "0")
needs_compiled = pytest.mark.skipif(
    extraction._speedups is None, reason="the compiled loop is not built (pure Python)"
)

_SETTINGS = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

# Prose, markers, abbreviations, Markdown syntax and odd characters.
_FRAGMENTS = (
    "Word", "claim", "The", "A claim of four words", "It rose by 15.2 percent", " ", "  ",
    "\t", "\xa0", "\u2003", "\n", "\n\n", ".", " .", " ,", "?", " ?", "!", "…", '."', ".)",
    "”", "[1]", " [2]", "[1, 2]", "[1-3]", "[@smith2020, p. 4]", "[@doi:10.1/x]", "[^1]",
    "[]", "[ ]", "[citation needed]", "[sic]", "a[1] = 2", ". ", "U.S.", "Dr.", " Dr", " iv",
    "Jan. 5", "Smith et al.", "\n1. ", "- ", "# ", "> ", "`code`", "``", "[link](http://x.y)",
    "<!-- provenance: ignore -->", "[1]: https://example.org/a", "\x00", "\ud800", "\udfff",
    "𝐀", "😀 ", "é", "İ", "ſep 5, 2021", "Checked on January 13, 2026", "Disclaimer: ",
    "AI can make mistakes", "By Jane Doe", "Why?", "_", "١",
)  # fmt: skip
_WORDS = (" word", " Dr", " etc", " iv", " civic", " U.S", " Inc", " al", " J", " 15", " The")
_AFTER = ("", ".", "?", "!", "…", '."', ".)", " .", ".\n", ". [2]", ".[1][2]", "x", "]")


def _documents() -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=3))
    words = st.tuples(st.sampled_from(_WORDS), st.sampled_from(_AFTER)).map("".join)
    return st.one_of(
        st.lists(piece, max_size=40).map("".join),
        st.lists(st.one_of(words, piece), max_size=30).map("".join),
    )


_OPTIONS = st.builds(
    ExtractOptions,
    boilerplate=st.sampled_from(
        [
            ExtractOptions().boilerplate,
            (),
            (r"\bclaim of\b", r"^\s*word"),
            (r"(?i)\bthe\b",),
        ]
    ),
    citation_needed=st.sampled_from([None, ("cn", "who?")]),
    min_claim_words=st.integers(-1, 5),
)


def _both(text: str, fmt: str, options: ExtractOptions) -> None:
    doc = document(text, fmt)
    view = _READERS[doc.format](text)
    python = _extract_python(doc, view, options)
    compiled = _extract_compiled(doc, view, options)
    assert compiled.sentences == python.sentences
    assert compiled.claims == python.claims
    assert compiled.citations == python.citations
    assert compiled.defects == python.defects
    # The same types, too: a compiled sentence is a Sentence, its role a SentenceRole.
    assert [type(s) for s in compiled.sentences] == [type(s) for s in python.sentences]
    assert [type(c) for c in compiled.citations] == [type(c) for c in python.citations]


@needs_compiled
@settings(_SETTINGS, max_examples=1500)
@given(_documents(), st.sampled_from(["md", "txt"]), _OPTIONS)
@example("Rules:\n iv. The last one.\n1. The first. 12. Next.", "txt", ExtractOptions())
@example("Apple Inc. The end. Apple Inc. Makes it. The U.S. Army. In the U.S. The end.", "txt",
         ExtractOptions())  # fmt: skip
@example("J. Smith wrote. See p. 4. The end. Jan. 5 came. Jan. The end. e.g. The end.", "txt",
         ExtractOptions())  # fmt: skip
@example("x\n ı. The end. İv. The end. abc.def. The end. 15.2. The end.", "txt",
         ExtractOptions())  # fmt: skip
@example("It said “no.” ¿Qué? «Oui.» (Yes.) *Bold.* _It._ 1999. The end.", "md",
         ExtractOptions())  # fmt: skip
@example("Claim.[1][2] Next [3]. [4] More. Word .[5] End.", "md", ExtractOptions())
@example("Dr. Smith said so. The end [1].", "md", ExtractOptions())
@example("See `make` [1]. Run `make`", "md", ExtractOptions())
@example("A claim here , and there .\n\n[1]: https://x.org", "md", ExtractOptions())
@example(".", "txt", ExtractOptions())
@example("", "md", ExtractOptions())
def test_the_compiled_loop_is_the_python_loop_s(text, fmt, options):
    _both(text, fmt, options)


@needs_compiled
def test_the_compiled_loop_agrees_on_huge_lines_and_odd_characters():
    line = "A claim of words with a citation [1] and more, " * 4000
    _both(line + "\n\nx\x00y . [2]\n", "md", ExtractOptions())
    _both("😀" * 5000 + ". The \ud800 end [3]. " * 200, "txt", ExtractOptions())


@needs_compiled
def test_the_compiled_loop_refuses_bad_input_with_an_exception():
    # Checked input, never a crash: a marker that is no marker, offsets out of range.
    doc = document("A claim [1].", "md")
    view = _READERS[doc.format](doc.text)
    config = extraction._scan_config((), 3)
    callbacks = (None, None, None, None)
    scan = extraction._speedups.scan
    with pytest.raises(TypeError):
        scan(doc.text, doc.text, view.blocks, [("x",)], [0], [], config, callbacks)
    with pytest.raises(ValueError, match="outside the text"):
        scan(doc.text, doc.text, [(0, 99, view.blocks[0][2])], [], [0], [], config, callbacks)
    with pytest.raises(TypeError):
        scan(doc.text, doc.text, view.blocks, [], [0], [], (), callbacks)


def test_the_compiled_module_is_built_unless_pure_python_is_asked_for():
    # An install with a compiler builds it (setup.py); only PROVENANCE_PURE_PYTHON=1 runs
    # without it, so a broken build cannot pass the suite as the fast one.
    if _PURE:
        assert extraction._speedups is None
    else:
        assert extraction._speedups is not None, (
            "provenance/extract/_speedups.c is not built: reinstall with a C compiler "
            "(pip install -e .), or set PROVENANCE_PURE_PYTHON=1 to test the Python loop"
        )


def test_pure_python_is_chosen_by_the_environment():
    code = "import provenance.extract as e; print(e._speedups is None)"
    env = {**os.environ, "PROVENANCE_PURE_PYTHON": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "True"


# Any text: control characters, quotes, backslashes, surrogates, non-BMP letters.
_TEXT = st.text(
    st.one_of(st.characters(), st.sampled_from('"\\\b\f\n\r\t\x00\x1f\x7f\u2028é😀')), max_size=12
)
_CLAIM_ROWS = st.lists(
    st.tuples(
        _TEXT,
        st.integers(0, 10**9),
        st.integers(0, 10**9),
        st.integers(0, 10**9),
        st.integers(0, 10**9),
        st.lists(_TEXT, max_size=3),
        st.booleans(),
        st.lists(_TEXT, max_size=3),
    ),
    max_size=5,
)
_CITATION_ROWS = st.lists(
    st.tuples(
        _TEXT,
        _TEXT,
        _TEXT,
        st.integers(0, 10**9),
        st.integers(0, 10**9),
        st.none() | _TEXT,
        st.none() | _TEXT,
    ),
    max_size=5,
)


@needs_compiled
@_SETTINGS
@given(_CLAIM_ROWS, _CITATION_ROWS)
def test_the_compiled_json_rows_are_the_python_rows_s(claims, citations):
    assert extraction._speedups.claims_json(claims) == spool.claims_json(claims)
    assert extraction._speedups.citations_json(citations) == spool.citations_json(citations)


@needs_compiled
def test_the_compiled_json_rows_refuse_what_is_not_a_row():
    with pytest.raises(TypeError):
        extraction._speedups.claims_json([("text", 1)])
    with pytest.raises(TypeError):
        extraction._speedups.citations_json([(1, "numeric", "[1]", 1, 1, None, None)])


@st.composite
def _claims_to_report(draw: st.DrawFn) -> tuple[list[Sentence], dict, set, set]:
    keys = st.sampled_from(["1", "2", "^1", "smith2020", "doi:10.1/x"])
    claims: list[Sentence] = []
    resolved: dict[int, str | None] = {}
    years: set[int] = set()
    for _ in range(draw(st.integers(0, 6))):
        citations = []
        for key in draw(st.lists(keys, max_size=4)):
            citation = Citation(key, CitationKind.NUMERIC, f"[{key}]", 0, 1, 1)
            citations.append(citation)
            if draw(st.integers(0, 5)) == 0:
                years.add(id(citation))  # "[2020]": cites nothing, has no resolution
            else:
                resolved[id(citation)] = draw(st.sampled_from([None, "a#1", "a#2", "smith"]))
        text = draw(st.sampled_from(["A claim.", "Another claim.", "A third one."]))
        place = draw(st.tuples(*[st.integers(1, 99)] * 4))
        claims.append(Sentence(text, SentenceRole.CLAIM, 0, *place, tuple(citations)))
    diagnosed = set(draw(st.lists(st.sampled_from(["A claim.", "A third one."]), max_size=2)))
    return claims, resolved, years, diagnosed


@needs_compiled
@_SETTINGS
@given(_claims_to_report())
def test_the_compiled_claim_rows_are_the_python_rows_s(case):
    claims, resolved, years, diagnosed = case
    uncited = (RuleId.UNCITED_CLAIM, "warning", "doc.md", "claim cites no source")
    python = spool.claim_rows(claims, resolved, years, diagnosed, _Draft, uncited)
    compiled = extraction._speedups.claim_rows(claims, resolved, years, diagnosed, _Draft, uncited)
    assert compiled == python
    assert [type(d) for d in compiled[2]] == [type(d) for d in python[2]]


_MARKER_TEXT = (
    "[1]", "[12]", "[1, 2]", "[1; 2]", "[1-3]", "[1–3]", "[5-2]", "[2019-2020]", "[0]", "[2020]",
    "[@smith2020]", "[@a; @b, p. 4]", "[@{odd key}]", "[@doi:10.1/x]", "[see @a]", "[@]",
    "[^1]", "[^note]", "[]", "[ ]", "[citation needed]", "[Citation Needed]", "[cn]", "[who?]",
    "[sic]", "[...]", "a[1] = 2", "arr[1][2]", "f(x)[3]", "x = foo[2]", "claimed[10]",
    "row_count[2]", "obj.items[3].name", "]\n[1]", "see[2][3].", "é[1]", "١[2]", "_[3]", " ",
    "\n", "[", "]", "x",
)  # fmt: skip


@needs_compiled
@_SETTINGS
@given(
    st.lists(st.one_of(st.sampled_from(_MARKER_TEXT), st.text(max_size=3)), max_size=25).map(
        "".join
    ),
    st.sampled_from([None, ("cn", "who?")]),
)
def test_the_compiled_marker_scan_is_the_python_scan_s(text, needed):
    regex = markers._DEFAULT_RE if needed is None else markers._marker_regex(needed)
    compiled = extraction._speedups.find_markers(text, regex.search, markers._FIND_CONFIG)
    python = markers._find_markers(text, regex)
    assert compiled == python
    assert [type(m) for m in compiled] == [type(m) for m in python]
    assert [[type(i) for i in m.items] for m in compiled] == [
        [type(i) for i in m.items] for m in python
    ]
