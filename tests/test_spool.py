"""The report's spool: documents, findings and sources kept on disk, read back in order.

A run's report holds its documents, findings and sources in a spool rather than in
lists, and the formats stream it. What a user sees must be exactly what a report
held in memory gives: the same JSON byte for byte, the same order, the same models.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from provenance import spool
from provenance.baseline import Baseline, apply_baseline, make_baseline
from provenance.check import run_check
from provenance.config import load_settings
from provenance.formats import FORMATS
from provenance.models import DocumentReport, Report
from provenance.rules import Severity
from provenance.spool import DocumentSpool, RunSpool


def _render(report: Report, name: str) -> str:
    return "".join(FORMATS[name](report))


def test_streamed_json_is_what_the_models_serialise(copy_project):
    """Every document, source and finding of a mixed run, byte for byte as pydantic writes it.

    The documents are serialised from plain values in the hot path: a field added to
    the models, or one out of order, shows up here.
    """
    root = copy_project("mixed")
    (root / "docs" / "dated.md").write_text(
        '---\ndate: 2024-03-05\n---\n\nThe dam held in "1999"\t[@doi:10.1/x, p. 4].\n',
        encoding="utf-8",
    )
    settings, _ = load_settings(root)
    result = run_check(["docs", "missing.md"], root=root, settings=settings)
    text = _render(result.report, "json")
    reparsed = Report.model_validate_json(text)
    assert reparsed.model_dump_json(indent=2) + "\n" == text
    assert len(reparsed.documents) == 4
    assert any(c.locator == "p. 4" for d in reparsed.documents for c in d.citations)
    assert reparsed.sources and reparsed.findings
    assert any(d.date is not None for d in reparsed.documents)


def test_spooled_report_reads_like_lists(copy_project):
    root = copy_project("mixed")
    settings, _ = load_settings(root)
    report = run_check(["docs"], root=root, settings=settings).report
    data = json.loads(_render(report, "json"))
    assert [d.path for d in report.documents] == [d["path"] for d in data["documents"]]
    assert report.documents[-1].model_dump(mode="json") == data["documents"][-1]
    assert [f.model_dump(mode="json") for f in report.findings] == data["findings"]
    assert report.findings[1].model_dump(mode="json") == data["findings"][1]
    assert [s.id for s in report.sources] == [s["id"] for s in data["sources"]]
    assert len(report.findings) == sum(report.summary.findings.values())


def test_every_format_is_the_same_from_a_spool_and_from_lists(copy_project):
    root = copy_project("mixed")
    settings, _ = load_settings(root)
    report = run_check(["docs"], root=root, settings=settings).report
    in_memory = Report.model_validate_json(_render(report, "json"))
    for name in FORMATS:
        assert _render(report, name) == _render(in_memory, name), name


def test_a_baseline_marks_the_spooled_findings_as_they_are_read(copy_project):
    root = copy_project("mixed")
    settings, _ = load_settings(root)
    report = run_check(["docs"], root=root, settings=settings).report
    first = make_baseline(report).findings[:1]
    marked = apply_baseline(report, Baseline(findings=first))
    assert not isinstance(marked.findings, list)  # still read from the spool
    data = json.loads(_render(marked, "json"))
    assert [f["baselined"] for f in data["findings"]] == [True] + [False] * (
        len(data["findings"]) - 1
    )
    assert marked.findings[0].baselined and not marked.findings[-1].baselined
    assert len(marked.failing(Severity.NOTE)) == len(report.findings) - 1
    in_memory = Report.model_validate_json(_render(marked, "json"))
    for name in FORMATS:
        assert _render(marked, name) == _render(in_memory, name), name


def test_findings_merge_out_of_order_runs_like_a_stable_sort():
    rows = [
        [("b", 1, "first b1")],
        [("a", 2, "a2"), ("c", 1, "c1")],
        [("a", 1, "a1"), ("b", 1, "second b1")],  # out of order: a new chain
        [("c", 1, "second c1")],
    ]
    runs: RunSpool[str] = RunSpool(key=lambda r: r[:2], load=lambda r: r[2])
    for run in rows:
        runs.add_run(run)
    expected = [r[2] for r in sorted((r for run in rows for r in run), key=lambda r: r[:2])]
    assert list(runs) == expected
    assert len(runs) == 6
    assert runs[3] == "second b1"
    assert runs[-1] == "second c1"
    assert runs[1:3] == ["a2", "first b1"]


def test_runs_past_the_buffer_go_to_disk_and_come_back(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(spool, "_FLUSH_ROWS", 3)
    runs: RunSpool[int] = RunSpool(key=lambda r: r[0], load=lambda r: r[0])
    for start in (0, 10, 5, 20):  # 5 starts a second chain
        runs.add_run([(start + i,) for i in range(4)])
    assert list(runs) == sorted([*range(4), *range(5, 9), *range(10, 14), *range(20, 24)])


def test_documents_past_the_buffer_go_to_disk_and_come_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setattr(spool, "_FLUSH_BYTES", 10)
    documents = DocumentSpool()
    raws = [f'    {{"n": {i}}}'.encode() for i in range(5)]
    for raw in raws:
        documents.append_json(raw)
    assert [documents.raw(i) for i in range(5)] == raws
    assert b"".join(documents.raw_chunks(size=7)) == b",\n".join(raws)


@pytest.mark.parametrize("coverage", [None, 0.0, 1.0, 1 / 3, 2 / 3, 0.5, 1e-5, 3e-7])
def test_document_json_is_what_the_model_serialises(coverage: float | None):
    """Escapes, Unicode, empty and full lists, nulls and every kind of coverage figure."""
    text = 'Quotes " and \\ back\x01slash\x1f, \x7f, é, \u2028, 🎉 and </script>.'
    claims = [
        (text, 3, 1, 4, 9, ["1", "@k"], True, ["a.md#1"]),
        ("Nothing cited here at all.", 5, 2, 5, 30, [], False, []),
    ]
    citations = [
        ("1", "numeric", "[1, 2]", 3, 40, "a.md#1", None),
        ("doi:10.1/x", "identifier", '[@doi:10.1/x, "p." 4]', 4, 2, None, '"p." 4'),
    ]
    raw = spool.document_json(
        path="dir/ä b.md",
        format="markdown",
        sha256="ab" * 32,
        date=dt.date(2024, 3, 5),
        claims=claims,
        citations=citations,
        coverage=coverage,
    )
    model = DocumentReport.model_validate_json(raw)
    expected = "    " + model.model_dump_json(indent=2).replace("\n", "\n    ")
    assert raw.decode("utf-8") == expected
    assert model.claims[0].text == text
    empty = spool.document_json(
        path="e.md", format="text", sha256="0", date=None, claims=[], citations=[], coverage=None
    )
    model = DocumentReport.model_validate_json(empty)
    assert empty.decode("utf-8") == "    " + model.model_dump_json(indent=2).replace("\n", "\n    ")


def test_identifier_sources_are_counted_across_documents(project: Path):
    docs = project / "docs"
    docs.mkdir()
    (docs / "a.md").write_text(
        "The dam held in 1999 [@doi:10.1/b]. The river rose in 2001 [@pmid:42].\n",
        encoding="utf-8",
    )
    (docs / "b.md").write_text(
        "The dam was rebuilt in 2003 [@doi:10.1/b; @doi:10.1/a].\n", encoding="utf-8"
    )
    settings, _ = load_settings(project)
    report = run_check(["docs"], root=project, settings=settings).report
    cited = [(s.id, s.url, s.cited_by, s.origin) for s in report.sources]
    assert cited == [
        ("doi:10.1/a", "https://doi.org/10.1/a", 1, "identifier"),
        ("doi:10.1/b", "https://doi.org/10.1/b", 2, "identifier"),
        ("pmid:42", "https://pubmed.ncbi.nlm.nih.gov/42/", 1, "identifier"),
    ]
    assert report.summary.sources == 3
