"""JUnit XML for CI test-report views (GitLab, Jenkins, Azure): one test case per document
and per source; a case fails with the findings about it.

Findings already in the baseline do not fail a case; they are listed in its
``system-out``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from xml.etree import ElementTree as ET

from provenance.formats._shared import location, worst_first
from provenance.models import Finding, Report

__all__ = ["render"]


def _case(suite: ET.Element, classname: str, name: str, findings: list[Finding]) -> tuple[int, int]:
    case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
    new = [f for f in worst_first(findings) if not f.baselined]
    old = [f for f in findings if f.baselined]
    if new:
        counts = Counter(finding.rule.value for finding in new)
        summary = ", ".join(f"{n} {rule}" for rule, n in sorted(counts.items()))
        failure = ET.SubElement(
            case,
            "failure",
            message=f"{len(new)} finding{'' if len(new) == 1 else 's'}: {summary}",
            type=new[0].rule.value,
        )
        failure.text = "\n".join(_line(f) for f in new) + "\n"
    if old:
        out = ET.SubElement(case, "system-out")
        out.text = "baselined:\n" + "\n".join(_line(f) for f in old) + "\n"
    return 1, 1 if new else 0


def _line(finding: Finding) -> str:
    return f"{location(finding)}: {finding.severity.label}: {finding.rule.value}: {finding.message}"


def _suite(root: ET.Element, name: str, report: Report) -> ET.Element:
    return ET.SubElement(
        root, "testsuite", name=name, timestamp=report.generated_at.strftime("%Y-%m-%dT%H:%M:%S")
    )


def render(report: Report) -> Iterator[str]:
    """The report as a JUnit XML document with a ``documents`` and a ``sources`` suite."""
    by_source: dict[str, list[Finding]] = defaultdict(list)
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        if finding.source is not None:
            by_source[finding.source].append(finding)
        else:
            by_path[finding.path].append(finding)
    root = ET.Element("testsuites", name=report.tool)
    documents = _suite(root, f"{report.tool}.documents", report)
    paths = [d.path for d in report.documents]
    paths += sorted(set(by_path) - set(paths))  # unreadable documents, invalid records
    totals = [_case(documents, "documents", path, by_path.get(path, [])) for path in paths]
    sources = _suite(root, f"{report.tool}.sources", report)
    ids = [s.id for s in report.sources]
    ids += sorted(set(by_source) - set(ids))
    totals_src = [_case(sources, "sources", sid, by_source.get(sid, [])) for sid in ids]
    for suite, counts in ((documents, totals), (sources, totals_src)):
        suite.set("tests", str(sum(c[0] for c in counts)))
        suite.set("failures", str(sum(c[1] for c in counts)))
        suite.set("errors", "0")
        suite.set("skipped", "0")
    root.set("tests", str(len(totals) + len(totals_src)))
    root.set("failures", str(sum(c[1] for c in (*totals, *totals_src))))
    ET.indent(root)
    yield '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
