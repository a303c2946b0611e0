"""Ignore comments: which line they silence, which rules, and the whole file."""

from __future__ import annotations

import pytest

from provenance.extract.view import IgnoreDirective, parse_ignore
from tests.extract.helpers import run, run_file


def test_ignore_comments_in_plain_text():
    _, extraction = run_file("ignore-comments.txt")
    assert extraction.ignores == [
        # Same line as the claim: that line.
        IgnoreDirective(1, frozenset({"uncited-claim"})),
        # Own line: the next non-blank line (blank line 3 is skipped).
        IgnoreDirective(4, frozenset({"stripped-marker", "uncited-claim"})),
        # No rules: every rule.
        IgnoreDirective(6, frozenset()),
    ]
    # The comments are not prose: the sentences are exactly the three claims.
    assert [(s.line, s.text) for s in extraction.sentences] == [
        (1, "An uncited claim that is ignored on its own line."),
        (4, "A claim with a lost marker , ignored on the next non-blank line ."),
        (6, "A claim that every rule ignores."),
    ]


def test_ignore_comments_in_markdown_but_not_in_code():
    _, extraction = run_file("ignore-comments.md")
    assert extraction.ignores == [
        IgnoreDirective(4, frozenset({"uncited-claim"})),
        IgnoreDirective(6, frozenset({"empty-citation"}), whole_file=True),
    ]


def test_ignore_comments_in_html_including_multi_line_ones_but_not_in_script():
    _, extraction = run_file("ignore-comments.html")
    assert extraction.ignores == [
        IgnoreDirective(4, frozenset({"uncited-claim"})),
        IgnoreDirective(5, frozenset({"stripped-marker"})),
        IgnoreDirective(8, frozenset({"citation-needed"})),
    ]
    assert [s.line for s in extraction.claims] == [4, 5, 8]


@pytest.mark.parametrize("fmt", ["txt", "md", "html"])
def test_ignore_file_applies_everywhere(fmt):
    text = "<!-- provenance: ignore-file uncited-claim -->\n\nA claim.\n"
    (directive,) = run(text, fmt).ignores
    assert directive.whole_file
    assert directive.rules == frozenset({"uncited-claim"})


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("<!-- provenance: ignore -->", (False, frozenset())),
        ("<!--provenance:ignore uncited-claim-->", (False, frozenset({"uncited-claim"}))),
        (
            "<!-- Provenance: Ignore stripped-marker,  uncited-claim -->",
            (False, frozenset({"stripped-marker", "uncited-claim"})),
        ),
        ("<!-- provenance: ignore-file -->", (True, frozenset())),
        ("<!-- a plain comment -->", None),
        ("<!-- provenance: ignored -->", None),
    ],
)
def test_parse_ignore(comment, expected):
    assert parse_ignore(comment) == expected


def test_a_comment_alone_at_the_end_of_the_file_applies_past_the_last_line():
    text = "A claim is here.\n<!-- provenance: ignore -->\n"
    (directive,) = run(text).ignores
    assert directive.line == 3  # nothing to silence; no line of text is hit


def test_html_ignore_comment_alone_applies_to_the_next_line_with_prose():
    text = (
        "<body>\n"
        "<!-- provenance: ignore uncited-claim -->\n"
        "<nav>Menu</nav>\n"
        "<p>\n"
        "  The ignored claim is on this line.\n"
        "</p>\n"
    )
    extraction = run(text, "html")
    assert extraction.ignores == [IgnoreDirective(5, frozenset({"uncited-claim"}))]
    assert [s.line for s in extraction.claims] == [5]
