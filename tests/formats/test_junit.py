"""JUnit XML: one case per document and per source; failures carry the findings."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from provenance.formats import junit


def _cases(xml: str) -> dict[tuple[str, str], ET.Element]:
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    return {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}


def test_one_case_per_document_and_per_source(mixed_report):
    cases = _cases(junit.render(mixed_report))
    documents = {name for cls, name in cases if cls == "documents"}
    sources = {name for cls, name in cases if cls == "sources"}
    assert documents == {d.path for d in mixed_report.documents}
    assert sources == {s.id for s in mixed_report.sources}


def test_failures_carry_the_findings(mixed_report):
    xml = junit.render(mixed_report)
    cases = _cases(xml)
    article = cases[("documents", "docs/article.md")].find("failure")
    assert article is not None
    assert article.get("message") == (
        "3 findings: 1 citation-needed, 1 empty-citation, 1 unknown-citation"
    )
    assert "docs/article.md:4:29: error: empty-citation:" in article.text
    dead = cases[("sources", "who-2023")].find("failure")
    assert dead is not None and "dead-source" in dead.text
    alive = cases[("sources", "docs/page.html#1")]
    assert alive.find("failure") is None
    root = ET.fromstring(xml)
    assert root.get("tests") == str(len(cases))
    assert int(root.get("failures")) == sum(
        1 for c in cases.values() if c.find("failure") is not None
    )


def test_baselined_findings_do_not_fail(mixed_report):
    findings = [f.model_copy(update={"baselined": True}) for f in mixed_report.findings]
    cases = _cases(junit.render(mixed_report.model_copy(update={"findings": findings})))
    assert all(c.find("failure") is None for c in cases.values())
    out = cases[("documents", "docs/article.md")].find("system-out")
    assert out is not None and "empty-citation" in out.text
