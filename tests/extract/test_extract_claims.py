"""Which sentences are claims, and where a claim lost its citation marker."""

from __future__ import annotations

import pytest

from provenance.extract import ExtractOptions, SentenceRole
from provenance.rules import RuleId
from tests.extract.helpers import run

CLAIM = SentenceRole.CLAIM
HEADING = SentenceRole.HEADING
QUESTION = SentenceRole.QUESTION
DATELINE = SentenceRole.DATELINE
BOILERPLATE = SentenceRole.BOILERPLATE
FRAGMENT = SentenceRole.FRAGMENT


def roles(
    text: str, fmt: str = "txt", options: ExtractOptions | None = None
) -> list[tuple[str, SentenceRole]]:
    return [(s.text, s.role) for s in run(text, fmt, options).sentences]


def test_roles_of_a_typical_answer_page():
    text = (
        "Trump Putin connection\n"
        "\n"
        "Checked on January 13, 2026\n"
        "Disclaimer: Factually can make mistakes. Please verify important information.\n"
        "\n"
        "Executive summary\n"
        "\n"
        "The meeting took place in Helsinki in July 2018 [1]. Was anything agreed?\n"
        "\n"
        "Want to dive deeper?\n"
        "What did the report find about the meeting?\n"
    )
    assert roles(text) == [
        ("Trump Putin connection", HEADING),
        ("Checked on January 13, 2026", DATELINE),
        ("Disclaimer: Factually can make mistakes.", BOILERPLATE),
        ("Please verify important information.", BOILERPLATE),
        ("Executive summary", HEADING),
        ("The meeting took place in Helsinki in July 2018 [1].", CLAIM),
        ("Was anything agreed?", QUESTION),
        ("Want to dive deeper?", QUESTION),
        ("What did the report find about the meeting?", QUESTION),
    ]


@pytest.mark.parametrize(
    ("sentence", "role"),
    [
        ("Checked on January 13, 2026", DATELINE),
        ("Fact-checked on 13 January 2026.", DATELINE),
        ("Published: 2024-01-02", DATELINE),
        ("Updated January 5, 2021 at 3:45 p.m. EST", DATELINE),
        ("Published: Jan 5, 2021 | 5 min read", DATELINE),
        ("March 2024", DATELINE),
        ("By Jane Doe and John Smith", DATELINE),
        ("BY JANE DOE", DATELINE),
        # A clause after the date, or lowercase words after "By", make a claim.
        ("Published on January 5, 2021, the report found widespread fraud.", CLAIM),
        ("By then the river had flooded the town.", CLAIM),
        ("By the end it failed.", CLAIM),
        ("Is the river still rising?", QUESTION),
        ('"Is the river still rising?"', QUESTION),
        ("Is the river still rising [1]?", QUESTION),
        ("Disclaimer: the figures are estimates only.", BOILERPLATE),
        ("This assistant can make mistakes in its answers.", BOILERPLATE),
        # Whatever the case, and in a sentence that is not plain ASCII.
        ("This assistant CAN MAKE MISTAKES in its answers.", BOILERPLATE),
        ("L’assistant can make mistakes in its answers.", BOILERPLATE),
        ("This assistant can make no mistakes in its answers.", CLAIM),
        ("Read to learn more about floods.", BOILERPLATE),
        ("Too short.", FRAGMENT),
        ("Also [12] here.", FRAGMENT),  # markers are not words
        ("A line without any closing punctuation", FRAGMENT),
        ("A cited line without closing punctuation [3]", CLAIM),
        ("The river flooded the town!", CLAIM),
        ("The river flooded the town; nobody was hurt;", CLAIM),
    ],
)
def test_sentence_roles(sentence, role):
    # The last sentence of a two-line paragraph: neither a title nor a standalone line.
    text = f"A Title Line\n\nThe paragraph opens with a claim\nthat ends here. {sentence}\n"
    (_, _, (found, found_role)) = roles(text)
    assert found == sentence
    assert found_role is role


def test_headings_are_not_claims_in_any_format():
    assert roles("# The town flooded in May 2021.\n\nBody text claims that it rained.\n", "md") == [
        ("The town flooded in May 2021.", HEADING),
        ("Body text claims that it rained.", CLAIM),
    ]
    setext = "Setext heading claims a fact.\n=====\n\nBody text claims it rained.\n"
    assert roles(setext, "md")[0] == ("Setext heading claims a fact.", HEADING)
    html = "<h2>The town flooded in May 2021.</h2><p>Body text claims that it rained.</p>"
    assert roles(html, "html") == [
        ("The town flooded in May 2021.", HEADING),
        ("Body text claims that it rained.", CLAIM),
    ]
    table = (
        "<table><tr><th>Floods were common.</th></tr>"
        "<tr><td>The town flooded twice.</td></tr></table>"
    )
    assert roles(table, "html") == [
        ("Floods were common.", HEADING),
        ("The town flooded twice.", CLAIM),
    ]


def test_configured_boilerplate_replaces_the_default():
    options = ExtractOptions(boilerplate=(r"^\s*copyright\b",))
    text = (
        "Opening line is a claim here.\n\n"
        "Copyright 2024 Example. All rights are reserved.\n\n"
        "Disclaimer: the figures are estimates only.\n"
    )
    assert roles(text, options=options)[1:] == [
        ("Copyright 2024 Example.", BOILERPLATE),
        ("All rights are reserved.", BOILERPLATE),
        ("Disclaimer: the figures are estimates only.", CLAIM),
    ]


def test_min_claim_words_is_configurable():
    text = "Opening line is a claim here.\n\nPrices rose.\n"
    assert roles(text)[1] == ("Prices rose.", FRAGMENT)
    assert roles(text, options=ExtractOptions(min_claim_words=2))[1] == ("Prices rose.", CLAIM)


def test_claims_list_holds_only_claims_and_cited_tracks_citations():
    extraction = run("A Title Line\n\nThe river flooded [1]. The town was rebuilt quickly. Why?\n")
    assert [(s.text, s.cited) for s in extraction.claims] == [
        ("The river flooded [1].", True),
        ("The town was rebuilt quickly.", False),
    ]
    assert all(s.is_claim for s in extraction.claims)


# -- stripped markers -------------------------------------------------------------------


def stripped(text: str, fmt: str = "txt") -> list[tuple[int, int]]:
    return [(d.line, d.column) for d in run(text, fmt).defects if d.rule is RuleId.STRIPPED_MARKER]


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("Whether there is a quid pro quo or kompromat . Next the claim is here.", [45]),
        ("A successful Kremlin bet , while others disagree strongly .", [25, 58]),
        ("The evidence was thin ; the probe went on for years.", [22]),
        ("The probe found one thing : nothing at all was there.", [26]),
        ('Officials called the claims "a hoax" .', [37]),
        ("The poll showed strong support for him !", [39]),
        ("Whether there is a quid pro quo or kompromat\u00a0. Next the claim is here.", [45]),
        # One finding per place, however wide the gap.
        ("Whether there is a quid pro quo or kompromat   . Next the claim is here.", [45]),
    ],
)
def test_stripped_markers_point_at_the_gap(text, columns):
    extraction = run(text)
    assert stripped(text) == [(1, c) for c in columns]
    for column in columns:
        assert text[column - 1].isspace()
        assert not text[column - 2].isspace()
    claim = extraction.claims[0]
    assert not claim.cited
    assert {d.sentence for d in extraction.defects} == {claim.text}
    assert all(d.marker is None for d in extraction.defects)


@pytest.mark.parametrize(
    "text",
    [
        "He paused and then ... said nothing at all for a while.",
        "The list of problems goes on and on ...",
        "Growth was 15.2 percent and inflation 3.5 percent in total.",
        "The river flooded the town right here [1] .",
        "The river flooded the town right here [citation needed] .",
        "Pourquoi la ville est-elle inondée ?",  # French spacing in a question
        "Ma ville : ce qui a changé",  # ... and in a heading
        "Too short .",  # a fragment is not a claim
        "The river flooded the town.\tThen it was rebuilt in a year.",
    ],
)
def test_not_stripped_markers(text):
    assert stripped(f"A Title Line\n\n{text}\n") == []


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("The function always returns `None`. It never fails at all.", "md"),
        ("See the [report](https://example.com/report). It has all the numbers.", "md"),
        ("An image is here ![chart](chart.png). It has all the numbers.", "md"),
        ("<p>The function always returns <code>None</code>. It never fails.</p>", "html"),
        ("<p>The function always returns <span>None</span>. It never fails.</p>", "html"),
    ],
)
def test_blanked_or_skipped_markup_is_not_a_stripped_marker(text, fmt):
    assert stripped(text, fmt) == []


@pytest.mark.parametrize(
    ("text", "fmt", "position"),
    [
        ("See the full [report](https://example.com/report) . It has numbers.", "md", (1, 50)),
        ("Whether there is a quid pro quo or `kompromat` . Next claim here.", "md", (1, 47)),
        ("<p>Whether there is a quid pro quo or <b>kompromat</b> . Next.</p>", "html", (1, 55)),
        ("<p>Whether there is a quid pro quo or <b>kompromat </b>. Next.</p>", "html", (1, 51)),
        ("<p>Whether there is a quid pro quo or kompromat&nbsp;. Next.</p>", "html", (1, 48)),
    ],
)
def test_stripped_markers_next_to_markup_point_at_the_file_white_space(text, fmt, position):
    assert stripped(text, fmt) == [position]
    line, column = position
    assert text.split("\n")[line - 1][column - 1] in " &"


@pytest.mark.parametrize(
    ("line", "role"),
    [
        ('"Is the river still rising?"', QUESTION),
        ("“The river has flooded the town.”", CLAIM),
        ("(The river has flooded the town.)", CLAIM),
        ("The river and the town", HEADING),
    ],
)
def test_a_line_standing_alone_is_a_heading_only_without_closing_punctuation(line, role):
    text = f"A Title Line\n\nThe opening paragraph makes a claim.\n\n{line}\nThe next one starts.\n"
    assert roles(text)[2] == (line, role)


@pytest.mark.parametrize(
    ("text", "fmt", "shown"),
    [
        ("The function returns `None`.", "md", "The function returns None."),
        ("The function returns ``a `b` c``.", "md", "The function returns a `b` c."),
        ("`make` builds the whole tree.", "md", "make builds the whole tree."),
        ("Done here. Then `make` builds the tree.", "md", "Then make builds the tree."),
        ("It is set by `x` and by <code>y</code> [1].", "md", "It is set by x and by y [1]."),
        ("Call the `build_all` function", "md", "Call the build_all function"),
        ("It says [see `x`](https://a.org/x) in it.", "md", "It says see x in it."),
        ("An image ![alt `x`](a.png) is shown here.", "md", "An image is shown here."),
        ("<p>The function returns <code>None</code>.</p>", "html", "The function returns None."),
        ("<p>Press <kbd>Ctrl</kbd>+<kbd>C</kbd> to stop.</p>", "html", "Press Ctrl+C to stop."),
        ("<p><code>make</code> builds the whole tree.</p>", "html", "make builds the whole tree."),
        ("<p>It returns <code>a &lt; b</code></p>", "html", "It returns a < b"),
        ("<p>It is not <pre><code>code</code></pre></p>", "html", "It is not"),
    ],
)
def test_a_claims_text_shows_its_inline_code(text, fmt, shown):
    [sentence] = [s for s in run(text, fmt).sentences if s.text != "Done here."]
    assert sentence.text == shown


def test_inline_code_keeps_the_sentences_positions():
    text = "First claim is here.\nThe function `f` returns `None` in all cases [1].\n"
    [_, sentence] = run(text, "md").sentences
    assert (sentence.line, sentence.column, sentence.end_line, sentence.end_column) == (2, 1, 2, 49)
    assert sentence.text == "The function f returns None in all cases [1]."
    html = "<p>First claim is here.\nIt returns <code>None</code> in all cases.</p>"
    [_, sentence] = run(html, "html").sentences
    assert (sentence.line, sentence.column, sentence.end_line, sentence.end_column) == (2, 1, 2, 42)


@pytest.mark.parametrize(
    ("text", "fmt", "found"),
    [
        ("The function always returns `None` . It never fails at all.", "md", [(1, 35)]),
        ("The function always returns `None`. It never fails at all.", "md", []),
        ("The function always returns `a . b`. It never fails at all.", "md", []),
        ("The function always returns `a .`. It never fails at all.", "md", []),
        ("<p>The function always returns <code>None</code> . It fails.</p>", "html", [(1, 49)]),
        ("<p>The function always returns <code>a .</code>. It never fails.</p>", "html", []),
    ],
)
def test_a_sentence_ending_with_inline_code_is_judged_by_the_files_white_space(text, fmt, found):
    assert stripped(text, fmt) == found


def test_the_stripped_marker_finding_shows_the_code():
    extraction = run("The function always returns `None` . It never fails at all.", "md")
    [defect] = extraction.defects
    assert defect.sentence == "The function always returns None ."


def test_raw_code_in_markdown_leaves_the_blocks_as_they_were():
    text = "The tool <code>make</code> builds the tree.\n<code>It</code> also tests it.\n"
    [sentence] = run(text, "md").sentences
    assert sentence.text == "The tool make builds the tree. It also tests it."
    assert (sentence.line, sentence.column, sentence.end_line, sentence.end_column) == (1, 1, 2, 30)


@pytest.mark.parametrize("control", ["\x1e", "\x1f"])
def test_a_document_holding_the_code_mark_characters_still_blanks_its_code(control):
    # The reader marks inline code with these two characters while it works; a document
    # that holds one itself gets its code blanked, not shown, and nothing else changes.
    text = f"The function returns `None` when {control}the key is missing [1]."
    [sentence] = run(text, "md").sentences
    assert " ".join(sentence.text.split()) == "The function returns when the key is missing [1]."
    assert sentence.citations[0].key == "1"
