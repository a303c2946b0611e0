"""Canned reports for the format tests: saved JSON reports under tests/data/reports/."""

from __future__ import annotations

from pathlib import Path

import pytest

from provenance.models import Report, load_report
from tests.conftest import GOLDEN

REPORTS = Path(__file__).resolve().parent.parent / "data" / "reports"


@pytest.fixture
def mixed_report() -> Report:
    """Every kind of finding, in three documents, with a dead, a moved and an alive source."""
    return load_report(REPORTS / "mixed.json")


@pytest.fixture
def clean_report() -> Report:
    """Every claim cited, no finding."""
    return load_report(REPORTS / "clean.json")


@pytest.fixture
def audit_report() -> Report:
    """The audit scenario's report (tests/golden/audit/report.json), with its hosts as URLs.

    The golden JSON of ``tests/audit/test_audit_report.py``: a stable source, an edited,
    a rewritten, a quoted, a dying, a flaky and a moved page after four audits.
    """
    text = (GOLDEN / "audit" / "report.json").read_text(encoding="utf-8")
    text = text.replace('"<generated_at>"', '"2026-01-11T09:00:00Z"')
    text = text.replace("<version>", "0.0.0")
    text = text.replace("{a}", "http://a.example.org").replace("{b}", "http://b.example.org")
    return Report.model_validate_json(text)
