"""Citation markers: every form a writer uses, and the brackets that are not citations."""

from __future__ import annotations

import pytest

from provenance.extract import ExtractOptions
from provenance.extract.markers import MarkerKind, find_markers, identifier_url
from provenance.models import CitationKind
from provenance.rules import RuleId
from tests.extract.helpers import keys, run

NUMERIC = CitationKind.NUMERIC
KEY = CitationKind.KEY
IDENTIFIER = CitationKind.IDENTIFIER
FOOTNOTE = CitationKind.FOOTNOTE


@pytest.mark.parametrize(
    ("text", "marker", "expected"),
    [
        ("The river flooded the town [1].", "[1]", ["1"]),
        ("The river flooded the town [12].", "[12]", ["12"]),
        ("The river flooded the town [1, 2].", "[1, 2]", ["1", "2"]),
        ("The river flooded the town [1,2].", "[1,2]", ["1", "2"]),
        ("The river flooded the town [1; 2].", "[1; 2]", ["1", "2"]),
        ("The river flooded the town [1 , 2].", "[1 , 2]", ["1", "2"]),
        ("The river flooded the town [ 4 ].", "[ 4 ]", ["4"]),
        ("The river flooded the town [1-3].", "[1-3]", ["1", "2", "3"]),
        ("The river flooded the town [1–3].", "[1–3]", ["1", "2", "3"]),
        ("The river flooded the town [1—3].", "[1—3]", ["1", "2", "3"]),
        ("The river flooded the town [1-3, 5].", "[1-3, 5]", ["1", "2", "3", "5"]),
        ("The river flooded the town [3, 3].", "[3, 3]", ["3"]),
        ("The river flooded the town, officials claimed[10].", "[10]", ["10"]),
        ("The river flooded the town.[7]", "[7]", ["7"]),
        ("Some studies (Jones[3]) found floods.", "[3]", ["3"]),
        ("The river flooded the town. [7]", "[7]", ["7"]),
        ("The river flooded the town [^1].", "[^1]", ["^1"]),
        ("The river flooded the town.[^note-a]", "[^note-a]", ["^note-a"]),
        ("The river flooded the town [@mueller2019].", "[@mueller2019]", ["mueller2019"]),
        ("The river flooded the town [-@doe99].", "[-@doe99]", ["doe99"]),
        ("The river flooded the town [@doe99.].", "[@doe99.]", ["doe99"]),
    ],
)
def test_marker_forms_give_their_keys_at_the_bracket(text, marker, expected):
    extraction = run(text)
    assert keys(extraction) == expected
    column = text.index(marker) + 1
    for citation in extraction.citations:
        assert citation.marker == marker
        assert (citation.line, citation.column) == (1, column)
        assert citation.offset == column - 1


@pytest.mark.parametrize(
    ("marker", "kind"),
    [
        ("[1]", NUMERIC),
        ("[1-2]", NUMERIC),
        ("[^1]", FOOTNOTE),
        ("[@mueller2019]", KEY),
        ("[@doi:10.1371/journal.pcbi.1007128]", IDENTIFIER),
    ],
)
def test_marker_forms_have_their_kind(marker, kind):
    extraction = run(f"The river flooded the town {marker}.")
    assert {c.kind for c in extraction.citations} == {kind}


def test_adjacent_markers_are_two_markers_at_their_own_brackets():
    text = "The river flooded the town [2][3]."
    extraction = run(text)
    assert [(c.key, c.marker, c.column) for c in extraction.citations] == [
        ("2", "[2]", 28),
        ("3", "[3]", 31),
    ]


def test_glued_adjacent_markers_after_a_word_are_citations():
    assert keys(run("The town flooded, officials claimed[2][3].")) == ["2", "3"]


def test_pandoc_group_keeps_each_key_and_its_locator():
    extraction = run("The river flooded the town [@a; @b, p. 4].")
    assert [(c.key, c.kind, c.locator) for c in extraction.citations] == [
        ("a", KEY, None),
        ("b", KEY, "p. 4"),
    ]
    assert {c.marker for c in extraction.citations} == {"[@a; @b, p. 4]"}
    assert {c.column for c in extraction.citations} == {28}


def test_pandoc_prefixes_and_locators():
    extraction = run("Floods recur [see @doe99, pp. 33-35; also @smith04, chap. 1].")
    assert [(c.key, c.locator) for c in extraction.citations] == [
        ("doe99", "pp. 33-35"),
        ("smith04", "chap. 1"),
    ]


def test_pandoc_locator_punctuation_does_not_split_the_sentence():
    extraction = run("Floods recur every year [@a, p. 4]. The town rebuilt.")
    assert [s.text for s in extraction.sentences] == [
        "Floods recur every year [@a, p. 4].",
        "The town rebuilt.",
    ]


@pytest.mark.parametrize(
    ("marker", "key", "url"),
    [
        (
            "[@doi:10.1371/journal.pcbi.1007128]",
            "doi:10.1371/journal.pcbi.1007128",
            "https://doi.org/10.1371/journal.pcbi.1007128",
        ),
        (
            "[@url:https://example.com/report?id=7]",
            "url:https://example.com/report?id=7",
            "https://example.com/report?id=7",
        ),
        ("[@arxiv:2101.00001]", "arxiv:2101.00001", "https://arxiv.org/abs/2101.00001"),
        ("[@pmid:31479444]", "pmid:31479444", "https://pubmed.ncbi.nlm.nih.gov/31479444/"),
        (
            "[@pmcid:PMC6747561]",
            "pmcid:PMC6747561",
            "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC6747561/",
        ),
        (
            "[@isbn:9780262033848]",
            "isbn:9780262033848",
            "https://openlibrary.org/isbn/9780262033848",
        ),
        ("[@wikidata:Q42]", "wikidata:Q42", "https://www.wikidata.org/wiki/Q42"),
    ],
)
def test_identifier_keys_name_their_own_url(marker, key, url):
    extraction = run(f"The river flooded the town {marker}.")
    (citation,) = extraction.citations
    assert (citation.key, citation.kind, citation.marker) == (key, IDENTIFIER, marker)
    assert identifier_url(citation.key) == url


def test_identifier_prefix_is_case_insensitive_and_plain_keys_name_no_url():
    assert identifier_url("DOI:10.1/x") == "https://doi.org/10.1/x"
    assert identifier_url("mueller2019") is None
    assert identifier_url("doi:") is None
    assert identifier_url("isbnfoo:1") is None


def test_braced_pandoc_key_keeps_its_commas():
    (citation,) = run("The town flooded [@{https://example.com/a,b}].").citations
    assert citation.key == "https://example.com/a,b"


@pytest.mark.parametrize(
    "text",
    [
        "He wrote that the town [sic] flooded twice.",
        "The mayor said the town [...] would be rebuilt.",
        "The mayor said the town […] would be rebuilt.",
        "[Ed.] The mayor said the town would be rebuilt.",
        "The mayor said it was final [emphasis added] and left.",
        "“The [committee] ruled against us,” the mayor said.",
        '"Then [the city] will pay," the mayor said.',
        "Set arr[1] = 2 before the loop starts.",
        "Set x = foo[2] before the loop starts.",
        "The loop does return rows[3] each time.",
        "The value of row_count[2] is read twice.",
        "The value obj.items[3] is read twice.",
        "The value call(x)[1] is read twice.",
        "Set a[1][2] = 3 before the loop starts.",
        "The grid matrix[i] is read twice.",
        "The first element data[0] is read twice.",
        "The town flooded [0] times.",
        "The town flooded every year [2019-2020].",
        "The town flooded every year [1990–2020].",
        "The town flooded [5-2] times.",
        "The town flooded [12345] times.",
        "The town flooded [1 2] times.",
        "The town flooded [a] times.",
        "The town flooded [1st] time.",
        "Write to us [email me@example.com] about floods.",
        "The handle [@] is not a key.",
        "The town flooded (1) times.",
    ],
)
def test_brackets_that_are_not_citations(text):
    extraction = run(text)
    assert extraction.citations == []
    assert extraction.defects == []


@pytest.mark.parametrize("marker", ["[]", "[ ]", "[\t]"])
def test_empty_brackets_are_an_empty_citation_defect(marker):
    text = f"The river flooded the town {marker}."
    extraction = run(text)
    assert extraction.citations == []
    (defect,) = extraction.defects
    assert defect.rule is RuleId.EMPTY_CITATION
    assert (defect.line, defect.column, defect.marker) == (1, text.index(marker) + 1, marker)
    assert defect.sentence == f"The river flooded the town {marker.replace(chr(9), ' ')}."


@pytest.mark.parametrize(
    "marker",
    [
        "[citation needed]",
        "[Citation Needed]",
        "[ citation needed ]",
        "[citation-needed]",
        "[cn]",
        "[source?]",
        "[by whom?]",
        "[according to whom?]",
        "[better source needed]",
        "[failed verification]",
    ],
)
def test_citation_needed_markers_are_a_defect_not_a_citation(marker):
    text = f"The river flooded the town{marker}. It was rebuilt in a year."
    extraction = run(text)
    assert extraction.citations == []
    (defect,) = extraction.defects
    assert defect.rule is RuleId.CITATION_NEEDED
    assert (defect.line, defect.column, defect.marker) == (1, 27, marker)
    assert defect.sentence == f"The river flooded the town{marker}."
    (claim, _) = extraction.claims
    assert not claim.cited


def test_configured_citation_needed_phrases_replace_the_defaults():
    options = ExtractOptions(citation_needed=("quelle fehlt", "Beleg?"))
    extraction = run(
        "Die Stadt wurde überflutet [Quelle fehlt]. Sie [beleg?] stand leer.", options=options
    )
    assert [(d.rule, d.marker) for d in extraction.defects] == [
        (RuleId.CITATION_NEEDED, "[Quelle fehlt]"),
        (RuleId.CITATION_NEEDED, "[beleg?]"),
    ]
    assert run("The town flooded [citation needed].", options=options).defects == []


def test_markers_on_later_lines_have_their_line_and_column():
    text = "First line is prose.\n\n  Second paragraph, indented, cites [4, 5].\n"
    extraction = run(text)
    assert {(c.line, c.column) for c in extraction.citations} == {(3, 37)}
    assert text.split("\n")[2][36:42] == "[4, 5]"


def test_find_markers_reports_view_spans_in_order():
    text = "a [1] b [citation needed] c [] d [@k]"
    markers = find_markers(text)
    assert [(m.start, m.end, m.kind) for m in markers] == [
        (2, 5, MarkerKind.CITATION),
        (8, 25, MarkerKind.NEEDED),
        (28, 30, MarkerKind.EMPTY),
        (33, 37, MarkerKind.CITATION),
    ]
    assert all(text[m.start : m.end] == m.raw for m in markers)
