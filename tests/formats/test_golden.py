"""Every format renders the canned reports exactly as its golden file says.

Refresh on purpose with ``pytest tests/formats --update-golden`` and review the diff.
"""

from __future__ import annotations

import pytest

from provenance.formats import FORMATS, REPORT_FILES


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_mixed_report_matches_golden(name, mixed_report, golden):
    golden(f"formats/mixed/{REPORT_FILES[name]}", "".join(FORMATS[name](mixed_report)))


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_clean_report_matches_golden(name, clean_report, golden):
    text = "".join(FORMATS[name](clean_report))
    golden(f"formats/clean/{REPORT_FILES[name]}", text)
    if name == "github":
        assert text == "", "a clean run annotates nothing"
    else:
        assert text.strip(), f"{name}: a clean report still renders something"


def test_every_format_has_a_report_file():
    assert set(REPORT_FILES) == set(FORMATS)
