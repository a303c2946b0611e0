"""Plain text: structure inferred from lines, encodings, line endings, columns in characters."""

from __future__ import annotations

from provenance.extract import SentenceRole
from provenance.rules import RuleId
from tests.extract.helpers import at, keys, run, run_file


def test_latin1_file_is_decoded_and_columns_count_characters():
    doc, extraction = run_file("non-utf8-latin1.txt")
    assert doc.encoding != "utf-8"
    assert "cafés" in doc.text
    assert [(c.key, c.line, c.column) for c in extraction.citations] == [("1", 1, 60), ("2", 2, 54)]
    for citation in extraction.citations:
        assert at(doc.text, citation.line, citation.column, 3) == citation.marker
    assert [s.text for s in extraction.claims] == [
        "Les cafés de la ville ont fermé en été, selon le ministère [1].",
        "Le député a déclaré que la décision était nécessaire [2].",
        "Cette réforme a été très débattue à l'Assemblée générale.",
    ]


def test_columns_count_characters_not_bytes():
    doc, extraction = run_file("unicode-columns.txt")
    # "Zoë’s café 🎉 served 1,000 guests " is 33 characters (and 41 UTF-8 bytes).
    assert [(c.key, c.line, c.column) for c in extraction.citations] == [("1", 1, 34), ("2", 1, 53)]
    for citation in extraction.citations:
        assert at(doc.text, citation.line, citation.column, 3) == citation.marker
    assert [(s.text, s.column) for s in extraction.sentences] == [
        ("Zoë’s café 🎉 served 1,000 guests [1].", 1),
        ("日本語の文も引用されている [2].", 39),
    ]


def test_crlf_line_endings_keep_lines_and_columns():
    doc, extraction = run_file("crlf-line-endings.txt")
    assert "\r" not in doc.text
    assert [(c.key, c.line, c.column) for c in extraction.citations] == [
        ("1", 1, 27),
        ("2", 2, 37),
        ("3", 4, 38),
    ]
    assert [(s.line, s.column, s.end_line, s.end_column) for s in extraction.sentences] == [
        (1, 1, 1, 30),
        (2, 1, 2, 40),
        (4, 1, 4, 41),
    ]


def test_title_dateline_headings_and_bullets():
    text = (
        "Floods in the Valley\n"
        "\n"
        "Published: 2024-01-02\n"
        "\n"
        "Background\n"
        "The valley flooded three times in ten years [1].\n"
        "\n"
        "- Homes were lost in every flood [2].\n"
        "- Crops failed twice\n"
        "• Roads were closed for weeks [3].\n"
    )
    extraction = run(text)
    assert [(s.text, s.role, s.line, s.column) for s in extraction.sentences] == [
        ("Floods in the Valley", SentenceRole.HEADING, 1, 1),
        ("Published: 2024-01-02", SentenceRole.DATELINE, 3, 1),
        ("Background", SentenceRole.HEADING, 5, 1),
        ("The valley flooded three times in ten years [1].", SentenceRole.CLAIM, 6, 1),
        ("Homes were lost in every flood [2].", SentenceRole.CLAIM, 8, 3),
        ("Crops failed twice", SentenceRole.FRAGMENT, 9, 3),
        ("Roads were closed for weeks [3].", SentenceRole.CLAIM, 10, 3),
    ]


def test_task_boxes_in_plain_text_lists_are_not_empty_citations():
    extraction = run(
        "Todo\n\n- [ ] Buy the maps of the valley.\n- [x] Read the flood report.\n- [] x\n"
    )
    assert [(d.rule, d.line, d.column) for d in extraction.defects] == [
        (RuleId.EMPTY_CITATION, 5, 3)
    ]
    assert [(s.text, s.column) for s in extraction.claims] == [
        ("Buy the maps of the valley.", 7),
        ("Read the flood report.", 7),
    ]


def test_html_comments_are_markup_in_plain_text_too():
    extraction = run("A claim <!-- with a hidden [1] --> cites nothing at all.\n")
    assert keys(extraction) == []
    assert extraction.sentences[0].text == "A claim cites nothing at all."
