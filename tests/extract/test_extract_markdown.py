"""Markdown: code, link syntax, images, task boxes, comments and definitions are not prose."""

from __future__ import annotations

import pytest

from provenance.extract import SentenceRole
from provenance.models import CitationKind
from provenance.rules import RuleId
from tests.extract.helpers import at, claim_texts, keys, run, run_file


def test_code_blocks_inline_code_and_pre_are_not_prose():
    doc, extraction = run_file("code-block-ignored.md")
    assert keys(extraction) == ["1", "10"]
    assert [(c.line, c.column) for c in extraction.citations] == [(3, 33), (16, 81)]
    for citation in extraction.citations:
        assert at(doc.text, citation.line, citation.column, len(citation.marker)) == citation.marker
    assert claim_texts(extraction) == [
        "The API returns a list of items [1].",
        "Inline arr[8] code and a `x[9]` span are skipped, but this claim is cited [10].",
    ]
    assert extraction.defects == []
    # No sentence comes from a line of code.
    assert {s.line for s in extraction.sentences} == {1, 3, 16}


def test_footnotes_and_their_definitions():
    doc, extraction = run_file("footnotes.md")
    assert [(c.key, c.kind, c.line, c.column) for c in extraction.citations] == [
        ("^survey", CitationKind.FOOTNOTE, 3, 37),
        ("^2", CitationKind.FOOTNOTE, 3, 75),
        ("^survey", CitationKind.FOOTNOTE, 5, 44),
    ]
    assert [(r.key, r.url, r.title) for r in extraction.references] == [
        ("^survey", "https://example.org/survey", "National Household Survey 2023"),
        ("^2", "https://example.org/prices", "Price index report"),
    ]
    assert [doc.lines.position(r.offset) for r in extraction.references] == [(7, 1), (8, 1)]
    # Definitions are not prose: no sentence on their lines.
    assert all(s.line < 7 for s in extraction.sentences)
    assert [s.cited for s in extraction.claims] == [True, True, True]


def test_link_text_image_alt_reference_links_and_autolinks_are_not_citations():
    doc, extraction = run_file("links-and-images.md")
    assert keys(extraction) == ["4"]
    (citation,) = extraction.citations
    assert (citation.line, citation.column) == (5, 36)
    assert at(doc.text, 5, 36, 3) == "[4]"
    assert claim_texts(extraction) == [
        "Read the full report before judging it.",
        "The chart is an image, not a citation.",
        "See the annex and Mercury for details.",
        "Visit for more of the same information.",
        "Only this sentence is really cited [4].",
    ]
    assert extraction.defects == []
    assert extraction.references == []  # "[annex]:" names no numbered or footnote source


def test_task_list_boxes_are_not_empty_citations():
    _, extraction = run_file("task-list.md")
    assert extraction.defects == []
    assert keys(extraction) == ["1"]
    assert [(s.text, s.line, s.column) for s in extraction.sentences[1:]] == [
        ("Collect the sources for chapter one.", 3, 7),
        ("Checked the census figures [1]", 4, 7),
        ("An uppercase box is a box too.", 5, 7),
        ("A numbered task is also a task.", 6, 8),
    ]


def test_front_matter_is_not_prose_but_gives_title_and_date():
    _, extraction = run_file("front-matter.md")
    assert extraction.title == "Housing report [1]"
    assert extraction.date_hint == "2024-03-01"
    assert keys(extraction) == ["2"]
    assert [(s.text, s.line) for s in extraction.sentences] == [
        ("Rents in the city rose sharply last year [2].", 6)
    ]


def test_html_comments_hide_markers_and_prose():
    _, extraction = run_file("html-comments.md")
    assert keys(extraction) == ["3"]
    assert [(s.text, s.line) for s in extraction.sentences] == [
        ("A claim with a hidden marker cites nothing.", 1),
        ("A visible claim cites its source [3].", 6),
    ]


def test_references_section_is_read_and_is_not_prose():
    doc, extraction = run_file("references-section.md")
    assert [(r.key, r.url, r.title) for r in extraction.references] == [
        ("1", "https://example.gov/lfs", "Labour Force Survey"),
        ("2", "https://example.gov/wages", "Wage statistics"),  # "1." twice counts on
        ("3", "https://example.gov/housing", "Housing starts"),
    ]
    assert [doc.lines.position(r.offset)[0] for r in extraction.references] == [7, 8, 9]
    # The section ends at the next heading of its level: "## Method" is prose again.
    assert [(s.text, s.role) for s in extraction.sentences[-2:]] == [
        ("Method", SentenceRole.HEADING),
        ("This section is prose again and claims a sample of 5,000 homes.", SentenceRole.CLAIM),
    ]
    assert keys(extraction) == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("text", "expected_keys"),
    [
        ("A claim cites a note.[^1]\n\n[^1]: The note, https://example.com/n\n", ["^1"]),
        ("Claims are cited [1] here.\n\n[1]: https://example.com/one\n", ["1"]),
        ("See [the report][1] for the claim.\n\n[1]: https://example.com/one\n", []),
        ("See [the report][] for the claim.\n\n[the report]: https://example.com/\n", []),
        (
            "A claim is cited here [2][3].\n\n[2]: https://e.com/2\n[3]: https://e.com/3\n",
            ["2", "3"],
        ),
        ("A linked marker [[4]](https://example.com/4) is a citation.", ["4"]),
        ("A link [see [5]](https://example.com/5) keeps its marker.", ["5"]),
        ("An image ![chart [6]](https://example.com/6.png) cites nothing.", []),
        ("A [link](https://en.wikipedia.org/wiki/Foo_(bar)) then a claim [7].", ["7"]),
        ("Escaped \\[8\\] brackets are not a marker.", []),
        ("Inline `x[9]` and ``y[10]`` are code.", []),
        (
            "A stray ` backtick here.\n\nThe next paragraph is cited [11].\n\nAnd `code` here.",
            ["11"],
        ),
        ("<script>var x = a[12];</script>\n\nAfter the script a claim [13].", ["13"]),
        ("<style>p::after { content: '[14]'; }</style>\n\nA styled claim [15].", ["15"]),
        ("# Heading\n    indented code [16] after a heading\n", []),
        ("Paragraph text\n    continues indented [17] as a lazy line.\n", ["17"]),
        ("- A list item\n\n    continues indented [18] in the item.\n", ["18"]),
        ("> A quoted claim is cited [19].\n> And goes on.\n", ["19"]),
        ("| Claim | Source |\n|---|---|\n| Floods recur [20] | x |\n", ["20"]),
        ("````\n```\nnested fence [21]\n```\n````\nAfter the fence [22].\n", ["22"]),
    ],
)
def test_markdown_constructs(text, expected_keys):
    extraction = run(text, "md")
    assert keys(extraction) == expected_keys
    for citation in extraction.citations:
        assert at(text, citation.line, citation.column, len(citation.marker)) == citation.marker


@pytest.mark.parametrize(
    "text",
    [
        "See [`foo`] for the claim made here.",
        "See [<!-- note -->] for the claim made here.",
        "See [<br>] for the claim made here.",
        "- [ ]\n- [x]\n",
    ],
)
def test_brackets_emptied_by_markup_are_not_empty_citations(text):
    extraction = run(text, "md")
    assert extraction.defects == []
    assert extraction.citations == []


def test_empty_brackets_in_prose_are_still_empty_citations():
    extraction = run("A claim with empty brackets [] here.\n\n- [] not a task box\n", "md")
    assert [(d.rule, d.line, d.column) for d in extraction.defects] == [
        (RuleId.EMPTY_CITATION, 1, 29),
        (RuleId.EMPTY_CITATION, 3, 3),
    ]


def test_markdown_heading_markers_are_blanked_and_heading_positions_kept():
    text = "Intro claim is here.\n\n### A heading claims [1] ###\n"
    extraction = run(text, "md")
    heading = extraction.sentences[1]
    assert (heading.text, heading.role) == ("A heading claims [1]", SentenceRole.HEADING)
    assert (heading.line, heading.column) == (3, 5)
    (citation,) = extraction.citations
    assert (citation.line, citation.column) == (3, 22)


def test_setext_heading_with_dashes_is_a_heading_not_a_paragraph_and_a_rule():
    text = "The town flooded in May 2021.\n---\n\nBody text claims that it rained.\n\n***\n"
    assert [(s.text, s.role) for s in run(text, "md").sentences] == [
        ("The town flooded in May 2021.", SentenceRole.HEADING),
        ("Body text claims that it rained.", SentenceRole.CLAIM),
    ]


def test_list_item_followed_by_dashes_stays_a_list_item():
    text = "- The town flooded in May 2021.\n---\n"
    assert [(s.text, s.role) for s in run(text, "md").sentences] == [
        ("The town flooded in May 2021.", SentenceRole.CLAIM),
    ]


def test_table_cells_are_blocks_and_the_header_row_holds_no_claims():
    text = "| The town flooded. | Source |\n|---|---|\n| Rents rose by half [1]. | survey |\n"
    extraction = run(text, "md")
    assert [(s.text, s.role, s.line, s.column) for s in extraction.sentences] == [
        ("The town flooded.", SentenceRole.HEADING, 1, 3),
        ("Source", SentenceRole.HEADING, 1, 23),
        ("Rents rose by half [1].", SentenceRole.CLAIM, 3, 3),
        ("survey", SentenceRole.FRAGMENT, 3, 29),
    ]
    (citation,) = extraction.citations
    assert at(text, citation.line, citation.column, 3) == "[1]"
