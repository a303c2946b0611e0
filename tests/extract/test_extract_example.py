"""The bundled example at the extraction level: the figures the golden report is built on."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from provenance.documents import load_document
from provenance.extract import SentenceRole, extract
from provenance.rules import RuleId

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "factually-trump-putin.txt"


def test_example_citations_claims_and_stripped_markers():
    doc = load_document(EXAMPLE, "examples/factually-trump-putin.txt")
    extraction = extract(doc)
    assert Counter(c.key for c in extraction.citations) == {"1": 4, "2": 2}
    assert len(extraction.claims) == 14
    assert sum(1 for s in extraction.claims if s.cited) == 4
    stripped = [d for d in extraction.defects if d.rule is RuleId.STRIPPED_MARKER]
    assert [d.line for d in stripped] == [8, 8, 16, 16, 20, 20, 24, 24, 28, 28, 32]
    assert {d.rule for d in extraction.defects} == {RuleId.STRIPPED_MARKER}
    rows = doc.text.split("\n")
    for defect in stripped:
        row = rows[defect.line - 1]
        assert row[defect.column - 1] == " "
        assert row[defect.column] in ".,"
    for citation in extraction.citations:
        assert rows[citation.line - 1][citation.column - 1 :].startswith(citation.marker)


def test_example_non_claims_have_their_roles():
    extraction = extract(load_document(EXAMPLE))
    roles = {s.text: s.role for s in extraction.sentences}
    assert roles["Trump Putin connection"] is SentenceRole.HEADING
    assert roles["Checked on January 13, 2026"] is SentenceRole.DATELINE
    assert roles["Executive summary"] is SentenceRole.HEADING
    assert roles["1. The documented contacts and points of concern"] is SentenceRole.HEADING
    assert roles["Want to dive deeper?"] is SentenceRole.QUESTION
    assert roles["Disclaimer: Factually can make mistakes."] is SentenceRole.BOILERPLATE
