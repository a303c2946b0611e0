"""Sentence splitting: abbreviations, decimals, quotes, markers after the period, positions."""

from __future__ import annotations

import pytest

from provenance.extract.markers import find_markers
from provenance.extract.sentences import split_sentences
from tests.extract.helpers import run


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.S. economy grew. The Fed held rates.",
            ["The U.S. economy grew.", "The Fed held rates."],
        ),
        (
            "U.S. officials met in Geneva. They agreed.",
            ["U.S. officials met in Geneva.", "They agreed."],
        ),
        (
            "Dr. Smith and Mrs. Jones met Prof. Lee at St. Mary. They talked.",
            ["Dr. Smith and Mrs. Jones met Prof. Lee at St. Mary.", "They talked."],
        ),
        (
            "The vote was on Jan. 5, 2021. Nobody came.",
            ["The vote was on Jan. 5, 2021.", "Nobody came."],
        ),
        ("It ended in Jan. The spring was quiet.", ["It ended in Jan.", "The spring was quiet."]),
        (
            "See No. 7 and vol. 2 of the series. Then stop.",
            ["See No. 7 and vol. 2 of the series.", "Then stop."],
        ),
        (
            "Growth was 15.2 percent in 2020. It was 3.5% in 2021.",
            ["Growth was 15.2 percent in 2020.", "It was 3.5% in 2021."],
        ),
        ("He paid $1.5 billion. The deal closed.", ["He paid $1.5 billion.", "The deal closed."]),
        ("The tally was 12. 15 more came later.", ["The tally was 12.", "15 more came later."]),
        ("Version 2.0. The next release.", ["Version 2.0.", "The next release."]),
        (
            "He met J. R. Smith in Washington. They talked.",
            ["He met J. R. Smith in Washington.", "They talked."],
        ),
        (
            "They sell fruit, e.g. apples and pears. Sales rose.",
            ["They sell fruit, e.g. apples and pears.", "Sales rose."],
        ),
        (
            "It happened at 3 p.m. on Monday. Then it rained.",
            ["It happened at 3 p.m. on Monday.", "Then it rained."],
        ),
        (
            "It happened at 3 p.m. The rain followed.",
            ["It happened at 3 p.m.", "The rain followed."],
        ),
        (
            "He works at Apple Inc. The company grew.",
            ["He works at Apple Inc.", "The company grew."],
        ),
        (
            "Apple Inc. Chief Executive Tim Cook spoke.",
            ["Apple Inc. Chief Executive Tim Cook spoke."],
        ),
        (
            "Smith et al. found the same. The study was large.",
            ["Smith et al. found the same.", "The study was large."],
        ),
        ("Smith et al. The study was large.", ["Smith et al.", "The study was large."]),
        (
            "The site example.com went down. Users left.",
            ["The site example.com went down.", "Users left."],
        ),
        ('He said "It is done." Then he left.', ['He said "It is done."', "Then he left."]),
        ("He said “It is done.” Then he left.", ["He said “It is done.”", "Then he left."]),
        ('"Is it done?" she asked. He nodded.', ['"Is it done?" she asked.', "He nodded."]),
        ("(See the annex.) The table follows.", ["(See the annex.)", "The table follows."]),
        ("Wait... What happened next was odd.", ["Wait...", "What happened next was odd."]),
        ("He paused... then he went on.", ["He paused... then he went on."]),
        (
            "Prices rose! Wages did not? Nobody knows…  Next one.",
            ["Prices rose!", "Wages did not?", "Nobody knows…", "Next one."],
        ),
        (
            "First line of a paragraph\ncontinues on the next line. Second sentence.",
            ["First line of a paragraph continues on the next line.", "Second sentence."],
        ),
        # A wrapped line starting with a word made of Roman-numeral letters still ends.
        ("The ruling was\ndid. The next sentence.", ["The ruling was did.", "The next sentence."]),
        (
            "Zoë’s café served guests. 日本語の文も引用されている.",
            ["Zoë’s café served guests.", "日本語の文も引用されている."],
        ),
        (
            "Kompromat was alleged . Recent calls renewed scrutiny .",
            ["Kompromat was alleged .", "Recent calls renewed scrutiny ."],
        ),
    ],
)
def test_sentence_boundaries(text, expected):
    assert [s.text for s in run(text).sentences] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The claim is cited. [1] The next one is too.[2][3] And a third. [4]",
            [
                ("The claim is cited. [1]", ["1"]),
                ("The next one is too.[2][3]", ["2", "3"]),
                ("And a third. [4]", ["4"]),
            ],
        ),
        (
            'He said "the town flooded." [5] Then it rained.',
            [('He said "the town flooded." [5]', ["5"]), ("Then it rained.", [])],
        ),
        (
            "The town flooded [1]. [2] It rained [citation needed]. Then it stopped.",
            [
                ("The town flooded [1]. [2]", ["1", "2"]),
                ("It rained [citation needed].", []),
                ("Then it stopped.", []),
            ],
        ),
    ],
)
def test_markers_after_the_period_belong_to_the_sentence_before(text, expected):
    sentences = run(text).sentences
    assert [(s.text, [c.key for c in s.citations]) for s in sentences] == expected


def test_markers_after_the_period_end_a_sentence_even_without_a_space():
    html = "<p>A claim is made.<sup>1</sup>Next sentence here.</p>"
    assert [s.text for s in run(html, "html").sentences] == [
        "A claim is made.[1]",
        "Next sentence here.",
    ]
    assert [s.text for s in run("Dr.[7]Smith came.").sentences] == ["Dr.[7]Smith came."]


def test_sentence_positions_start_end_and_span_lines():
    text = "Intro line here.\n\n  The flood began in May\nand ended in June [1]. It rained.\n"
    first, second, third = run(text).sentences
    assert (first.line, first.column, first.end_line, first.end_column) == (1, 1, 1, 16)
    assert (second.line, second.column, second.end_line, second.end_column) == (3, 3, 4, 22)
    assert second.text == "The flood began in May and ended in June [1]."
    assert (third.line, third.column, third.end_line, third.end_column) == (4, 24, 4, 33)
    assert second.offset == text.index("The flood")


def test_split_sentences_on_a_block_of_a_larger_text():
    text = "Ignored. In the block. Also here. Ignored too."
    start, end = text.index("In the"), text.index(" Ignored too")
    markers = find_markers(text)
    raw = split_sentences(text, start, end, markers, [m.start for m in markers])
    assert [text[s.start : s.end] for s in raw] == ["In the block.", "Also here."]


def test_enumerators_at_line_start_do_not_end_a_sentence():
    text = "Chapter\n\nIV. The fourth part begins here.\n\n12. Twelve points were made.\n"
    assert [s.text for s in run(text).sentences] == [
        "Chapter",
        "IV. The fourth part begins here.",
        "Twelve points were made.",  # "12." is a list item's number
    ]
