"""Properties over arbitrary documents: extraction never raises and every position is real."""

from __future__ import annotations

import html

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provenance.documents import Document
from provenance.extract import Extraction, extract
from provenance.rules import RuleId
from tests.extract.helpers import document

_COMMON = [
    "[1]", "[2, 3]", "[1-3]", "[1–2]", "[^a]", "[^a]: note https://x.y/n", "[@key]",
    "[@a; @b, p. 4]", "[@doi:10.1/x]", "[]", "[ ]", "[citation needed]", "[sic]", "[...]",
    "claimed[10]", "arr[1] = 2", " ", "  ", "\n", "\n\n", "\t", "\xa0", ".", ". ", "?", "!",
    "…", "...", " ,", " .", " ;", "U.S.", "Dr.", "Jan. 5", "15.2", "\"", "“", "”", "(", ")",
    "é", "日本", "🎉", "The", "claim", "Kompromat", "Checked on January 13, 2026",
    "<!-- provenance: ignore -->", "<!-- provenance: ignore-file uncited-claim -->", "<!--",
    "-->", "Sources\n", "References\n", "1. ", "- ", "- [ ] ", "- [x] ",
    "[1]: https://example.com/one", "https://example.com/a", "&amp;", "&", ";", "#",
]  # fmt: skip
_MARKDOWN = [
    "```", "```\n", "~~~\n", "    ", "`", "``", "# ", "## References\n", "> ", "![", "](",
    "[", "]", "<br>", "|", "|---|---|\n", "---\n", "* ", "\\", "<script>", "</script>",
    "[text](https://example.com/(x))", "![alt [1]](i.png)", "[a][1]",
]  # fmt: skip
_HTML = [
    "<p>", "</p>", "<sup>", "</sup>", "<sup>1</sup>", "10<sup>6</sup>", "<br>", "<br/>",
    "<script>", "</script>", "<style>", "</style>", "<pre>", "</pre>", "<code>", "</code>",
    "<nav>", "</nav>", '<ol class="references">', "<ol>", "<li>", "</li>", "</ol>", "<h2>",
    "</h2>", "<![", "<![CDATA[", "]]>", "<b>", "</b>", "&#91;", "&#93;", "&nbsp;", "&#x5b;",
    "&bogus;", '<a href="#cite_note-1">', '<a href="https://e.com/">', "</a>", "<", ">",
    "</", "<!DOCTYPE html>", "<table><tr><td>", "</td>", "<title>T</title>",
    '<meta name="date" content="2024-01-01">', "<time datetime='2024'>", "<div ", "='",
]  # fmt: skip

_FRAGMENTS = {"txt": _COMMON, "md": _COMMON + _MARKDOWN, "html": _COMMON + _HTML}


def _texts(fmt: str) -> st.SearchStrategy[str]:
    pieces = st.one_of(st.sampled_from(_FRAGMENTS[fmt]), st.text(max_size=8))
    structured = st.lists(pieces, max_size=40).map("".join)
    # As load_document hands text to extraction: line endings normalised to "\n".
    return st.one_of(structured, st.text(max_size=200)).map(
        lambda t: t.replace("\r\n", "\n").replace("\r", "\n")
    )


# Derandomised: the same examples on every run, so a failure is never a fluke of the seed.
_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def _inside(doc: Document, offset: int, line: int, column: int) -> None:
    """(line, column) is a real character of the file, and agrees with the offset."""
    rows = doc.text.split("\n")
    assert 1 <= line <= len(rows)
    assert 1 <= column <= len(rows[line - 1])
    assert doc.lines.position(offset) == (line, column)


def _check_positions(doc: Document, extraction: Extraction, exact: bool) -> None:
    text = doc.text
    for citation in extraction.citations:
        _inside(doc, citation.offset, citation.line, citation.column)
        if exact:
            assert text.startswith(citation.marker, citation.offset)
        else:
            # The "[" of the marker, a "&#91;" standing for it, or the digit of a <sup>.
            assert text[citation.offset] in "[&" or text[citation.offset].isdigit()
    for sentence in extraction.sentences:
        _inside(doc, sentence.offset, sentence.line, sentence.column)
        assert (sentence.end_line, sentence.end_column) >= (sentence.line, sentence.column)
        first = text[sentence.offset]
        if exact:
            assert first == sentence.text[0]
        else:
            assert first in (sentence.text[0], "&") or (sentence.text[0] == "[" and first.isdigit())
        for citation in sentence.citations:
            assert citation in extraction.citations
    for defect in extraction.defects:
        _inside(doc, defect.offset, defect.line, defect.column)
        if defect.rule is RuleId.STRIPPED_MARKER:
            assert text[defect.offset].isspace() or text[defect.offset] == "&"
        elif exact:
            assert defect.marker is not None
            assert text.startswith(defect.marker, defect.offset)
    for entry in extraction.references:
        assert 0 <= entry.offset < max(1, len(text))
    for directive in extraction.ignores:
        assert directive.line >= 1
    assert extraction.claims == [s for s in extraction.sentences if s.is_claim]


@_SETTINGS
@given(_texts("txt"))
def test_plain_text_positions_are_exact(text):
    doc = document(text, "txt")
    _check_positions(doc, extract(doc), exact=True)


@_SETTINGS
@given(_texts("md"))
def test_markdown_positions_are_exact(text):
    doc = document(text, "md")
    _check_positions(doc, extract(doc), exact=True)


@_SETTINGS
@given(_texts("html"))
def test_html_positions_point_into_the_file(text):
    doc = document(text, "html")
    _check_positions(doc, extract(doc), exact=False)


@_SETTINGS
@given(st.lists(st.sampled_from(["Claim here", " [1]", ".", " .", " ", "\n", "U.S."]), max_size=30))
def test_sentences_cover_every_citation_once(pieces):
    text = "".join(pieces)
    extraction = extract(document(text, "txt"))
    in_sentences = [c for s in extraction.sentences for c in s.citations]
    assert in_sentences == extraction.citations
    starts = [s.offset for s in extraction.sentences]
    assert starts == sorted(set(starts))


# Prose with no Markdown or HTML syntax in it: every reader must find the same markers.
_PROSE = [
    "The", "claim", "was made", "in", "2024", "U.S.", "Dr.", "é", "日本", " ", ". ", ", ",
    "; ", "? ", "\n", "\n\n", "(", ")", "...", "“quoted”", "[1]", "[2, 3]", "[1-3]", "[1–2]",
    "[@key]", "[@a; @b, p. 4]", "[@doi:10.1/x]", "[citation needed]", "[]", "[sic]", "[...]",
    "claimed[10]",
]  # fmt: skip


def _prose() -> st.SearchStrategy[str]:
    # No line may start with spaces (Markdown would make it code) and no bracket may
    # follow another ("[sic][1]" is a Markdown reference link): plain sentences only.
    return (
        st.lists(st.sampled_from(_PROSE), max_size=40)
        .map("".join)
        .map(lambda text: "\n".join(line.lstrip() for line in text.split("\n")))
        .map(lambda text: text.replace("][", "] ["))
    )


def _markers(extraction: Extraction) -> list[tuple[int, str]]:
    return [(citation.offset, citation.marker) for citation in extraction.citations]


@_SETTINGS
@given(_prose())
def test_markdown_finds_the_same_markers_as_plain_text_in_plain_prose(text):
    as_text = extract(document(text, "txt"))
    as_markdown = extract(document(text, "md"))
    assert _markers(as_markdown) == _markers(as_text)
    assert [(d.offset, d.rule) for d in as_markdown.defects] == [
        (d.offset, d.rule) for d in as_text.defects
    ]


@_SETTINGS
@given(_prose())
def test_html_finds_the_same_markers_as_plain_text_in_a_paragraph(text):
    as_text = extract(document(text, "txt"))
    as_html = extract(document(f"<p>{html.escape(text, quote=False)}</p>", "html"))
    assert [c.marker for c in as_html.citations] == [c.marker for c in as_text.citations]


@_SETTINGS
@given(_texts("md"))
def test_every_sentence_text_is_read_from_its_position(text):
    doc = document(text, "md")
    for sentence in extract(doc).sentences:
        # The sentence starts where it says, and its last character lies inside the file.
        assert doc.text[sentence.offset] == sentence.text[0]
        rows = doc.text.split("\n")
        assert 1 <= sentence.end_column <= len(rows[sentence.end_line - 1]) + 1
