"""JUnit XML: one case per document and per source; failures carry the findings."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from provenance.formats import junit


def _cases(xml: str) -> dict[tuple[str, str], ET.Element]:
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    return {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}


def test_one_case_per_document_and_per_source(mixed_report):
    cases = _cases("".join(junit.render(mixed_report)))
    documents = {name for cls, name in cases if cls == "documents"}
    sources = {name for cls, name in cases if cls == "sources"}
    assert documents == {d.path for d in mixed_report.documents}
    assert sources == {s.id for s in mixed_report.sources}


def test_failures_carry_the_findings(mixed_report):
    xml = "".join(junit.render(mixed_report))
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
    cases = _cases("".join(junit.render(mixed_report.model_copy(update={"findings": findings}))))
    assert all(c.find("failure") is None for c in cases.values())
    out = cases[("documents", "docs/article.md")].find("system-out")
    assert out is not None and "empty-citation" in out.text


def test_a_source_case_fails_for_each_audit_finding(audit_report):
    cases = _cases("".join(junit.render(audit_report)))
    expected = {
        "articles/health.md#5": "1 finding: 1 dead-source",
        "articles/health.md#3": "1 finding: 1 drifted-source",
        "vaccine-trial": "2 findings: 1 drifted-source, 1 quote-removed",
        "articles/health.md#1": "1 finding: 1 weak-support",
        "articles/health.md#2": "2 findings: 1 quote-not-found, 1 suspect-source",
    }
    for source, message in expected.items():
        failure = cases[("sources", source)].find("failure")
        assert failure is not None and failure.get("message") == message, source
    weak = cases[("sources", "articles/health.md#1")].find("failure")
    assert "articles/health.md:22:1: warning: weak-support:" in weak.text
    assert "'Malaria fact sheet'" in weak.text
    # The flaky page came back: alive, no finding, the case passes.
    assert cases[("sources", "articles/health.md#6")].find("failure") is None
