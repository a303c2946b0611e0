"""A document's own reference list, in each format: keys, URLs, titles and where they are."""

from __future__ import annotations

import pytest

from provenance.extract.view import find_url
from tests.extract.helpers import claim_texts, keys, run, run_file


def test_sources_section_in_plain_text():
    doc, extraction = run_file("references-section.txt")
    assert [(r.key, r.url, r.title) for r in extraction.references] == [
        ("1", "https://example.gov/senate", "Senate report"),
        ("2", "https://example.gov/house", "House report"),  # trailing "." is not the URL's
        ("3", "https://example.gov/three", None),  # "[3]: url", read once
        ("4", "https://example.gov/four", "Fourth"),
    ]
    assert [doc.lines.position(r.offset) for r in extraction.references] == [
        (9, 1),
        (10, 1),
        (11, 1),
        (12, 1),
    ]
    # The list is not prose, and prose after it is prose again.
    assert all(not 7 <= s.line <= 12 for s in extraction.sentences)
    assert claim_texts(extraction)[-1] == "After the list the prose resumes with a claim."
    assert keys(extraction) == ["1"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "A claim [1].\n\nReferences:\n1) First https://a.example/x\n2) Second https://b.example/y\n",
            [("1", "https://a.example/x", "First"), ("2", "https://b.example/y", "Second")],
        ),
        (
            "A claim [1].\n\nBibliography\n[1] First, https://a.example/x\n[2]: https://b.example/y\n",
            [("1", "https://a.example/x", "First"), ("2", "https://b.example/y", None)],
        ),
        (
            "A claim [^a].\n\n[^a]: The note https://a.example/n\n",
            [("^a", "https://a.example/n", "The note")],
        ),
        (
            "A claim [1].\n\nSources\n1. A book without a link.\n",
            [("1", None, "A book without a link")],
        ),
    ],
)
def test_reference_entry_forms_in_plain_text(text, expected):
    extraction = run(text)
    assert [(r.key, r.url, r.title) for r in extraction.references] == expected
    for entry in extraction.references:
        assert text[entry.offset] in "[0123456789^"


@pytest.mark.parametrize(
    ("text", "fmt", "expected", "entry_start"),
    [
        (
            "Rents rose [1].\n\nSources\n\n1. Rent survey https://example.org/rents\n",
            "txt",
            [("1", "https://example.org/rents", "Rent survey")],
            "1. Rent",
        ),
        (
            "Rents rose [1].\n\n## Sources\n\n1. Rent survey https://example.org/rents\n",
            "md",
            [("1", "https://example.org/rents", "Rent survey")],
            "1. Rent",
        ),
        (
            'Rents rose [1].\n\n[1]: https://example.org/rents "Rent survey"\n',
            "md",
            [("1", "https://example.org/rents", "Rent survey")],
            "[1]: https",
        ),
        (
            "<p>Rents rose [1].</p><h2>Sources</h2>"
            '<ol><li><a href="https://example.org/rents">Rent survey</a></li></ol>',
            "html",
            [("1", "https://example.org/rents", "Rent survey")],
            "<li><a",
        ),
        (
            '<p>Rents rose [1].</p><ol class="references">'
            "<li>Rent survey https://example.org/rents</li></ol>",
            "html",
            [("1", "https://example.org/rents", "Rent survey")],
            "<li>Rent",
        ),
        (
            '<p>Rents rose [1].</p><section class="footnotes"><ol>'
            '<li id="fn1"><p>Rent survey <a href="https://example.org/rents">link</a>'
            '<a href="#fnref1">↩</a></p></li></ol></section>',
            "html",
            [("1", "https://example.org/rents", "Rent survey link")],
            '<li id="fn1">',
        ),
    ],
)
def test_the_same_reference_in_every_format(text, fmt, expected, entry_start):
    extraction = run(text, fmt)
    assert [(r.key, r.url, r.title) for r in extraction.references] == expected
    assert keys(extraction) == ["1"]
    (entry,) = extraction.references
    assert text.startswith(entry_start, entry.offset)


def test_wrapped_entries_and_a_second_list_in_markdown():
    doc, extraction = run_file("wrapped-references.md")
    assert [(r.key, r.url, r.title) for r in extraction.references] == [
        ("^long", "https://example.org/footnote", "A footnote whose source is on the next line"),
        (
            "1",
            "https://example.gov/lfs",
            "Labour Force Survey, annual report of the national statistics office",
        ),
        ("2", "https://example.gov/wages", "Wage statistics"),
        ("1", "https://example.org/further", "A second list numbers from one again"),
    ]
    assert [doc.lines.position(r.offset)[0] for r in extraction.references] == [5, 12, 14, 20]
    # Continuation lines are not prose; the paragraph after the footnote is. The note
    # under the list belongs to the References section: neither prose nor an entry.
    assert [s.line for s in extraction.sentences] == [1, 3, 3, 8]
    assert claim_texts(extraction)[-1] == "This paragraph is prose again and claims a fact."


def test_wrapped_entries_in_plain_text():
    _, extraction = run_file("wrapped-references.txt")
    assert [(r.key, r.url, r.title) for r in extraction.references] == [
        (
            "1",
            "https://example.gov/lfs",
            "Labour Force Survey, annual report of the national statistics office",
        ),
        ("2", "https://example.gov/wages", "Wage statistics"),
    ]
    assert [s.line for s in extraction.sentences] == [1, 1]


@pytest.mark.parametrize(
    ("text", "url"),
    [
        (
            "Mercury https://en.wikipedia.org/wiki/Mercury_(planet).",
            "https://en.wikipedia.org/wiki/Mercury_(planet)",
        ),
        ("(see https://example.com/a)", "https://example.com/a"),
        ("Report, https://example.com/a?b=1,2; more", "https://example.com/a?b=1,2"),
        ("<https://example.com/x>", "https://example.com/x"),
        ("Write to mailto:desk@example.com.", "mailto:desk@example.com"),
        ("No link at all.", None),
    ],
)
def test_url_of_an_entry(text, url):
    assert find_url(text) == url


def test_wikipedia_url_with_parentheses_in_a_sources_list():
    text = "Mercury is small [1].\n\nSources\n1. Mercury https://en.wikipedia.org/wiki/Mercury_(planet)\n"
    (entry,) = run(text).references
    assert entry.url == "https://en.wikipedia.org/wiki/Mercury_(planet)"
    assert entry.title == "Mercury"


def test_markdown_sources_under_a_bold_line_not_a_heading():
    doc, extraction = run_file("citations-list.md")
    assert [(r.key, r.url, r.title) for r in extraction.references] == [
        ("1", "https://en.wikipedia.org/wiki/Eiffel_Tower", "Eiffel Tower - Wikipedia"),
        ("2", "https://www.toureiffel.paris/en", None),
        ("3", "https://example.com/history", "History of the tower"),
    ]
    assert [doc.lines.position(r.offset)[0] for r in extraction.references] == [7, 8, 9]
    # The list is not prose; "Notes" over a paragraph is no reference list.
    assert [(s.line, s.text) for s in extraction.sentences] == [
        (1, "Answer"),
        (3, "The Eiffel Tower is 330 metres tall[1][2]."),
        (3, "It was completed in 1889[3]."),
        (11, "Notes"),
        (13, "This note is prose and makes a claim of its own."),
    ]
    assert keys(extraction) == ["1", "2", "3"]


def test_perplexity_style_citations_list_in_markdown():
    text = (
        "The tower is 330 metres tall[1][2].\n"
        "\n"
        "Citations:\n"
        "[1] https://en.wikipedia.org/wiki/Eiffel_Tower\n"
        "[2] https://www.toureiffel.paris/en\n"
        "\n"
        "After the list a claim is prose again.\n"
    )
    extraction = run(text, "md")
    assert [(r.key, r.url) for r in extraction.references] == [
        ("1", "https://en.wikipedia.org/wiki/Eiffel_Tower"),
        ("2", "https://www.toureiffel.paris/en"),
    ]
    assert [(c.key, c.line) for c in extraction.citations] == [("1", 1), ("2", 1)]
    assert claim_texts(extraction) == [
        "The tower is 330 metres tall[1][2].",
        "After the list a claim is prose again.",
    ]


def test_a_notes_line_over_a_bullet_list_of_prose_is_not_a_reference_list():
    text = "Notes:\n\n- The river flooded twice that year.\n- The town was rebuilt by 1950.\n"
    extraction = run(text, "md")
    assert extraction.references == []
    assert claim_texts(extraction) == [
        "The river flooded twice that year.",
        "The town was rebuilt by 1950.",
    ]


@pytest.mark.parametrize("fmt", ["txt", "md"])
@pytest.mark.parametrize(
    "url", ["http://[2001:db8::1]:8080/paper", "http://[::1]/", "https://[fe80::1%25eth0]/x"]
)
def test_a_reference_to_an_ipv6_host_keeps_its_brackets(fmt, url):
    extraction = run(f"A claim is made here [1].\n\n[1]: {url}\n", fmt)
    assert [(r.key, r.url) for r in extraction.references] == [("1", url)]


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("see http://[::1]/x.", "http://[::1]/x"),
        ("[1] https://x.org/a] more", "https://x.org/a"),  # "]" still ends an ordinary URL
        ("http://[::1", "http://[::1"),  # unclosed: taken as written, rejected later
    ],
)
def test_find_url_around_ipv6_hosts(text, url):
    assert find_url(text) == url
