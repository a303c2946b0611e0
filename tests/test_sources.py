"""sources.toml: valid files load, and every mistake is one line naming file and line."""

from __future__ import annotations

import datetime as dt

import pytest

from provenance.errors import SourcesError
from provenance.sources import load_sources


def test_valid_file_loads_shared_and_per_document_records(data):
    catalog = load_sources(data("sources/valid.toml"))
    assert catalog.errors == []
    shared = catalog.shared["mueller-report"]
    assert shared.url == "https://www.justice.gov/archives/sco/file/1373816/dl"
    assert shared.fields.published == dt.date(2019, 3, 22)
    assert shared.fields.accessed == dt.date(2026, 1, 13)  # a string date is accepted too
    assert shared.origin == "valid.toml:1"
    per_document = catalog.for_document("docs/a.md")
    assert per_document["1"].id == "docs/a.md#1"
    assert per_document["2"] is shared  # an alias to the shared record


def test_missing_file_is_an_empty_catalog_unless_required(tmp_path):
    assert load_sources(tmp_path / "sources.toml").all_records() == []
    with pytest.raises(SourcesError, match="no such file"):
        load_sources(tmp_path / "sources.toml", required=True)


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("bad-syntax.toml", 3, "TOML syntax error"),
        ("duplicate-id.toml", 4, "TOML syntax error"),
        ("unknown-field.toml", 3, "unknown field 'tittle'; did you mean 'title'?"),
        ("unknown-table.toml", 4, "unknown top-level key 'source'; did you mean 'sources'?"),
        ("unknown-alias.toml", 5, "names no shared source"),
        ("record-not-table.toml", 2, "must be a table"),
    ],
)
def test_structural_errors_stop_with_file_and_line(data, name, line, message):
    with pytest.raises(SourcesError) as caught:
        load_sources(data(f"sources/{name}"))
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{name}:{line}: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("missing-url.toml", 1, "no url"),
        ("not-http.toml", 3, "is not http or https"),
        ("bad-date.toml", 4, "published"),
    ],
)
def test_invalid_records_are_kept_and_reported(data, name, line, message):
    catalog = load_sources(data(f"sources/{name}"))
    (error,) = catalog.errors
    assert error.line == line
    assert message in error.message
    record = catalog.shared["a"]
    assert not record.valid
