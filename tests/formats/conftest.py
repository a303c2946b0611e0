"""Canned reports for the format tests: saved JSON reports under tests/data/reports/."""

from __future__ import annotations

from pathlib import Path

import pytest

from provenance.models import Report, load_report

REPORTS = Path(__file__).resolve().parent.parent / "data" / "reports"


@pytest.fixture
def mixed_report() -> Report:
    """Every kind of finding, in three documents, with a dead, a moved and an alive source."""
    return load_report(REPORTS / "mixed.json")


@pytest.fixture
def clean_report() -> Report:
    """Every claim cited, no finding."""
    return load_report(REPORTS / "clean.json")
