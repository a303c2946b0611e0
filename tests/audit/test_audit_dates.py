"""The dates a citation is judged by: what documents say about when they were written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from provenance.check import run_check
from provenance.config import Settings


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2019/03/22", dt.date(2019, 3, 22)),
        ("Checked on January 13, 2026", dt.date(2026, 1, 13)),
        ("2024-05-06T10:00:00Z", dt.date(2024, 5, 6)),
        ("2019/13/40", None),
    ],
)
def test_dates_in_the_forms_documents_state_them(text: str, date: dt.date | None) -> None:
    from provenance.dates import parse_date

    assert parse_date(text) == date


@pytest.mark.parametrize(
    "head",
    [
        '<meta name="citation_publication_date" content="2019/03/22">',
        '<meta name="dcterms.date" content="2019-03-22">',
    ],
)
def test_an_html_document_dated_by_its_scholarly_meta_tags(project: Path, head: str) -> None:
    (project / "paper.html").write_text(
        f"<html><head>{head}</head><body><p>The trial enrolled many patients.</p></body></html>"
    )
    report = run_check(["paper.html"], root=project, settings=Settings()).report
    assert report.documents[0].date == dt.date(2019, 3, 22)
