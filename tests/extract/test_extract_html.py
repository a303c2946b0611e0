"""HTML: body prose only, markers in <sup>, entities, line breaks, malformed pages, positions."""

from __future__ import annotations

import pytest

from provenance.extract import SentenceRole
from provenance.rules import RuleId
from tests.extract.helpers import at, claim_texts, keys, run, run_file


def test_wikipedia_markers_point_at_the_bracket_in_the_file():
    doc, extraction = run_file("wikipedia-references.html")
    assert [(c.key, c.marker, c.line, c.column) for c in extraction.citations] == [
        ("1", "[1]", 6, 117),
        ("2", "[2]", 7, 123),  # written "&#91;2&#93;": the position of "&#91;"
        ("1", "[1]", 16, 53),
    ]
    assert at(doc.text, 6, 117, 3) == "[1]"
    assert at(doc.text, 7, 123, 5) == "&#91;"
    assert at(doc.text, 16, 53, 3) == "[1]"
    (needed,) = extraction.defects
    assert (needed.rule, needed.marker, needed.line, needed.column) == (
        RuleId.CITATION_NEEDED,
        "[citation needed]",
        8,
        112,
    )
    assert at(doc.text, 8, 112, 17) == "[citation needed]"


def test_wikipedia_sentences_and_title():
    _, extraction = run_file("wikipedia-references.html")
    assert extraction.title == "Mercury (planet) - Wikipedia"
    assert [(s.text, s.role, s.cited) for s in extraction.sentences] == [
        ("Mercury is the smallest planet in the Solar System.[1]", SentenceRole.CLAIM, True),
        ("Its orbit takes 87.97 Earth days.[2]", SentenceRole.CLAIM, True),
        ("It has no natural satellites.[citation needed]", SentenceRole.CLAIM, False),
        ("References", SentenceRole.HEADING, False),
        ("Mercury rotates three times for every two orbits [1].", SentenceRole.CLAIM, True),
    ]
    # The reference list is not prose: no sentence from its lines (11-14).
    assert all(not 11 <= s.line <= 14 for s in extraction.sentences)


def test_wikipedia_reference_list():
    doc, extraction = run_file("wikipedia-references.html")
    assert [(r.key, r.url, r.title) for r in extraction.references] == [
        (
            "1",
            "https://nssdc.gsfc.nasa.gov/planetary/factsheet/mercuryfact.html",
            "Mercury Fact Sheet. NASA",
        ),
        ("2", "https://example.org/orbit", "Orbital period"),
    ]
    assert [doc.lines.position(r.offset) for r in extraction.references] == [(12, 1), (13, 1)]
    assert [at(doc.text, 12, 1, 3), at(doc.text, 13, 1, 3)] == ["<li", "<li"]


def test_sup_numbers_become_markers_at_the_digit():
    doc, extraction = run_file("sup-numbers.html")
    assert [(c.key, c.marker, c.line, c.column) for c in extraction.citations] == [
        ("1", "[1]", 2, 35),
        ("2", "[2,3]", 4, 17),
        ("3", "[2,3]", 4, 17),
        ("4", "[4–6]", 4, 59),
        ("5", "[4–6]", 4, 59),
        ("6", "[4–6]", 4, 59),
        ("7", "[7]", 5, 71),
    ]
    for citation in extraction.citations:
        assert at(doc.text, citation.line, citation.column).isdigit()


def test_sup_powers_and_ordinals_are_not_markers():
    _, extraction = run_file("sup-numbers.html")
    second = extraction.sentences[1]
    assert (
        second.text == "It carried 106 vehicles in its first year, on the 5th lane of traffic.[2,3]"
    )
    assert [c.key for c in second.citations] == ["2", "3"]
    assert (second.line, second.end_line) == (2, 4)


def test_script_style_nav_code_pre_and_page_chrome_are_not_prose():
    doc, extraction = run_file("skipped-elements.html")
    assert keys(extraction) == ["6", "9"]
    assert claim_texts(extraction) == [
        "The body claim is cited [6].",
        "Call lookup[8] to get it; this claim is cited [9].",
    ]
    assert [(c.line, c.column) for c in extraction.citations] == [(10, 28), (12, 63)]
    for citation in extraction.citations:
        assert at(doc.text, citation.line, citation.column, 3) == citation.marker


def test_entities_decode_and_keep_later_columns_right():
    doc, extraction = run_file("entities.html")
    assert [s.text for s in extraction.sentences] == [
        "Tom & Jerry Inc. was founded in 1940 [1].",
        "AT&T — the phone company — grew [2].",
        "Café culture spread across Europe & beyond [3].",
        "Unknown &bogus; entities stay as written [4].",
    ]
    assert [(c.line, c.column) for c in extraction.citations] == [
        (2, 50),
        (2, 99),
        (3, 58),
        (3, 104),
    ]
    for citation in extraction.citations:
        assert at(doc.text, citation.line, citation.column, 3) == citation.marker
    assert [(s.line, s.column) for s in extraction.sentences] == [(2, 4), (2, 55), (3, 4), (3, 63)]
    for sentence in extraction.sentences:
        assert at(doc.text, sentence.line, sentence.column) == sentence.text[0]


def test_line_breaks_and_nested_inline_tags():
    doc, extraction = run_file("br-and-inline.html")
    assert [(s.text, s.line, s.column, s.end_line) for s in extraction.sentences] == [
        ("The first line of a sentence continues after the break [1].", 2, 4, 2),
        ("A second sentence is bold and nested text [2].", 3, 1, 3),
        ("After two breaks a new block begins [3].", 4, 1, 4),
    ]
    assert [(c.line, c.column) for c in extraction.citations] == [(2, 62), (3, 74), (4, 37)]
    for citation in extraction.citations:
        assert at(doc.text, citation.line, citation.column, 3) == citation.marker


def test_malformed_html_is_read_as_a_browser_would():
    doc, extraction = run_file("malformed.html")
    assert keys(extraction) == ["1", "2", "3", "4", "5"]
    assert claim_texts(extraction) == [
        "An unclosed paragraph claims something [1].",
        "A stray end tag does not stop it [2].",
        "Prices fell when x < y held for years [3].",
        "A bogus section is skipped [4].",
        "Prose after an unclosed list item is prose again [5].",
    ]
    for citation in extraction.citations:
        assert at(doc.text, citation.line, citation.column, 3) == citation.marker
    # Unclosed <li> items are two entries, not one nested in the other.
    assert [(r.key, r.url, r.title) for r in extraction.references] == [
        ("1", "https://example.com/one", "One"),
        ("2", "https://example.com/two", "Two"),
    ]


def test_reference_list_after_a_references_heading():
    doc, extraction = run_file("references-heading.html")
    assert [(r.key, r.url, r.title) for r in extraction.references] == [
        ("5", "https://example.org/five", "Report five"),  # <ol start="5">
        ("6", "https://example.org/six", "Report six"),
    ]
    # A "Notes" heading followed by prose, then another heading: that list is prose.
    assert "This list is prose and claims a fact." in claim_texts(extraction)
    assert "These notes are prose and make a claim of their own." in claim_texts(extraction)
    assert [doc.lines.position(r.offset)[0] for r in extraction.references] == [9, 10]


@pytest.mark.parametrize(
    "text",
    [
        "<p>x <![ bogus",
        "<p>x <![if !IE]> claim [1]. <![endif]></p>",
        "<p>x <![CDATA[ y ]]> claim [1].</p>",
        "<![",
        "<p><!-- unterminated",
        "</p></div></body>",
        "<p>&",
        "<p>AT&T",
        "<sup>1</sup>",
        "<p><sup></sup></p>",
        "<div class='references'><ol><li>",
        "<br><br><br>",
        "<p>a<b>b<i>c</p>d</b>e</i>",
        "\x00<p>nul</p>",
    ],
)
def test_hostile_html_never_raises(text):
    extraction = run(text, "html")
    for citation in extraction.citations:
        assert at(text, citation.line, citation.column) in "[&0123456789"


def test_markers_in_a_multi_line_html_file_point_into_the_original():
    text = (
        "<html>\n"
        "  <body>\n"
        "    <p>\n"
        "      The river\n"
        "      flooded &amp; the town\n"
        "      drowned [12].<sup>3</sup>\n"
        "    </p>\n"
        "  </body>\n"
        "</html>\n"
    )
    extraction = run(text, "html")
    (sentence,) = extraction.sentences
    assert sentence.text == "The river flooded & the town drowned [12].[3]"
    assert (sentence.line, sentence.column, sentence.end_line, sentence.end_column) == (4, 7, 6, 25)
    assert [(c.key, c.line, c.column) for c in extraction.citations] == [
        ("12", 6, 15),
        ("3", 6, 25),
    ]
    assert at(text, 6, 15, 4) == "[12]"
    assert at(text, 6, 25) == "3"


def test_ignore_comment_on_a_separate_line_in_html():
    text = "<p>First claim.</p>\n<!-- provenance: ignore -->\n\n<p>Second claim here.</p>\n"
    (directive,) = run(text, "html").ignores
    assert directive.line == 4


def test_date_hint_from_meta_or_time():
    meta = '<head><meta property="article:published_time" content="2024-05-06T10:00:00Z"></head>'
    assert run(meta, "html").date_hint == "2024-05-06T10:00:00Z"
    time = '<p>Posted <time datetime="2023-02-01">Feb 1</time>.</p>'
    assert run(time, "html").date_hint == "2023-02-01"


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/page",
        "index.html",
        "<?xml version='1.0'?><html><body><p>A claim is cited [1].</p></body></html>",
    ],
)
def test_pages_that_look_like_a_url_or_xml_raise_no_warning(text, recwarn):
    run(text, "html")
    assert not recwarn.list  # and pytest turns any warning into an error
