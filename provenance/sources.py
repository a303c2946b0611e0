"""sources.toml: the project's source records, validated, with every error on its line.

Layout::

    # Shared sources: cite them as [@mueller-report] from any document.
    [sources.mueller-report]
    url = "https://www.justice.gov/..."
    title = "Report On The Investigation Into Russian Interference..."
    published = 2019-03-22

    # Numbered citations belong to one document: [1] here is not [1] elsewhere.
    [documents."articles/putin.md".sources.1]
    url = "https://..."

    [documents."articles/other.md".sources]
    3 = "mueller-report"   # [3] in this document is the shared record

Syntax errors and structural mistakes (an unknown key, a wrong type) stop the
run: ``sources.toml:LINE: what is wrong``. A record whose *content* fails
validation (no URL, not http/https, a bad date) is kept as an invalid record,
reported as an ``invalid-source`` finding and as an input error, so the rest of
the project is still checked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from provenance.errors import SourcesError
from provenance.tomlpos import TomlSyntaxError, key_lines, line_of, parse_toml

__all__ = ["SourceCatalog", "SourceFields", "SourceRecord", "load_sources", "validate_url"]

_TOP_LEVEL = ("sources", "documents")
_DOCUMENT_KEYS = ("sources", "date")


class SourceFields(BaseModel):
    """The fields a source record may carry; only ``url`` is required."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    url: str | None = None
    title: str | None = None
    publisher: str | None = None
    author: str | list[str] | None = None
    published: dt.date | None = None
    accessed: dt.date | None = None
    quote: str | list[str] | None = None
    archived_url: str | None = None
    archived_at: dt.datetime | dt.date | None = None
    notes: str | None = None

    @field_validator("url", "archived_url")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() if isinstance(value, str) else value


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A source as the pipeline uses it: an id, a URL and where it was defined."""

    id: str
    url: str | None
    origin: str  # "sources.toml:12", "doc.md:40" or "identifier"
    fields: SourceFields = field(default_factory=SourceFields)
    problem: str | None = None  # why the record is invalid, if it is
    origin_path: str | None = None
    origin_line: int | None = None

    @property
    def valid(self) -> bool:
        """Whether the record passed validation."""
        return self.problem is None

    @property
    def title(self) -> str | None:
        """The record's title, if it has one."""
        return self.fields.title


def validate_url(url: str | None) -> str | None:
    """Why ``url`` cannot be fetched as a source, or None if it can."""
    if not url:
        return 'no url; add url = "https://..."'
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- parsing the port is what raises for a bad one
    except ValueError as exc:
        return f"url {url!r} does not parse: {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"url {url!r} is not http or https"
    if not parts.netloc:
        return f"url {url!r} has no host"
    return None


@dataclass(slots=True)
class SourceCatalog:
    """Every record of sources.toml: shared ones and those of each document."""

    path: Path | None = None
    display: str = "sources.toml"
    shared: dict[str, SourceRecord] = field(default_factory=dict)
    documents: dict[str, dict[str, SourceRecord]] = field(default_factory=dict)
    dates: dict[str, dt.date] = field(default_factory=dict)  # [documents."x"] date = ...
    errors: list[SourcesError] = field(default_factory=list)

    def for_document(self, relpath: str) -> dict[str, SourceRecord]:
        """Records defined for the document at ``relpath`` (POSIX, relative to the root)."""
        return self.documents.get(relpath, {})

    def all_records(self) -> list[SourceRecord]:
        """Every record, shared first."""
        records = list(self.shared.values())
        for per_document in self.documents.values():
            records.extend(per_document.values())
        return records


def load_sources(
    path: Path, *, display: str | None = None, required: bool = False
) -> SourceCatalog:
    """Read and validate ``path``; a missing file is an empty catalog unless ``required``."""
    display = display or path.name
    catalog = SourceCatalog(path=path, display=display)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise SourcesError("no such file; create it or pass --sources", path=display) from None
        return catalog
    except OSError as exc:
        raise SourcesError(f"cannot read: {exc.strerror or exc}", path=display) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
        raise SourcesError(
            "not UTF-8; TOML files must be UTF-8", path=display, line=bad_line
        ) from None
    try:
        data = parse_toml(text)
    except TomlSyntaxError as exc:
        message = f"TOML syntax error: {exc.message}"
        raise SourcesError(message, path=display, line=exc.line) from None
    lines = key_lines(text)
    _load(catalog, data, lines)
    return catalog


def _escapes(relpath: str) -> bool:
    """Whether a path from sources.toml is absolute or climbs out with ``..``."""
    path = PurePosixPath(relpath)
    return path.is_absolute() or ".." in path.parts or "\x00" in relpath or ":" in relpath[:2]


def _hint(key: str, allowed: tuple[str, ...] | list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, allowed, n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(allowed)}"


def _load(catalog: SourceCatalog, data: dict[str, Any], lines: dict[tuple[str, ...], int]) -> None:
    for key in data:
        if key not in _TOP_LEVEL:
            raise SourcesError(
                f"unknown top-level key {key!r}{_hint(key, _TOP_LEVEL)}",
                path=catalog.display,
                line=line_of(lines, (key,)),
            )
    shared = _table(data.get("sources", {}), ("sources",), catalog, lines)
    for source_id, value in shared.items():
        where = ("sources", source_id)
        if not isinstance(value, dict):
            raise SourcesError(
                f"source {source_id!r} must be a table ([sources.{source_id}] with url = ...)",
                path=catalog.display,
                line=line_of(lines, where),
            )
        catalog.shared[source_id] = _record(source_id, source_id, value, where, catalog, lines)
    documents = _table(data.get("documents", {}), ("documents",), catalog, lines)
    for doc_path, doc_value in documents.items():
        where = ("documents", doc_path)
        doc_table = _table(doc_value, where, catalog, lines)
        for key in doc_table:
            if key not in _DOCUMENT_KEYS:
                raise SourcesError(
                    f"unknown key {key!r} for document {doc_path!r}{_hint(key, _DOCUMENT_KEYS)}",
                    path=catalog.display,
                    line=line_of(lines, (*where, key)),
                )
        relpath = Path(doc_path).as_posix().removeprefix("./")
        if _escapes(relpath):
            raise SourcesError(
                f"document {doc_path!r} is outside the project; document paths are"
                " relative to the project root and stay inside it",
                path=catalog.display,
                line=line_of(lines, where),
            )
        if "date" in doc_table:
            _document_date(catalog, relpath, doc_table["date"], line_of(lines, (*where, "date")))
        records: dict[str, SourceRecord] = {}
        for key, value in _table(
            doc_table.get("sources", {}), (*where, "sources"), catalog, lines
        ).items():
            record_where = (*where, "sources", key)
            record_id = f"{relpath}#{key}"
            if isinstance(value, str):
                records[key] = _alias(value, record_where, catalog, lines)
            elif isinstance(value, dict):
                records[key] = _record(record_id, key, value, record_where, catalog, lines)
            else:
                raise SourcesError(
                    f"source {key!r} of {doc_path!r} must be a table or the id of a shared source",
                    path=catalog.display,
                    line=line_of(lines, record_where),
                )
        catalog.documents[relpath] = records


def _document_date(catalog: SourceCatalog, relpath: str, value: Any, line: int | None) -> None:
    """``date = 2026-01-13`` for a document: when it was written (the audit's as-cited date)."""
    if isinstance(value, dt.datetime):
        catalog.dates[relpath] = value.date()
    elif isinstance(value, dt.date):
        catalog.dates[relpath] = value
    else:
        try:
            catalog.dates[relpath] = dt.date.fromisoformat(str(value))
        except ValueError:
            catalog.errors.append(
                SourcesError(
                    f"document {relpath!r}: date {value!r} is not a date; write 2026-01-13",
                    path=catalog.display,
                    line=line,
                )
            )


def _table(
    value: Any, where: tuple[str, ...], catalog: SourceCatalog, lines: dict[tuple[str, ...], int]
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SourcesError(
            f"{'.'.join(where)} must be a table, not {type(value).__name__}",
            path=catalog.display,
            line=line_of(lines, where),
        )
    return value


def _alias(
    target: str,
    where: tuple[str, ...],
    catalog: SourceCatalog,
    lines: dict[tuple[str, ...], int],
) -> SourceRecord:
    line = line_of(lines, where)
    shared = catalog.shared.get(target.removeprefix("@"))
    if shared is None:
        raise SourcesError(
            f"{where[-1]} = {target!r} names no shared source{_hint(target, list(catalog.shared))}",
            path=catalog.display,
            line=line,
        )
    return shared


def _record(
    record_id: str,
    key: str,
    value: dict[str, Any],
    where: tuple[str, ...],
    catalog: SourceCatalog,
    lines: dict[tuple[str, ...], int],
) -> SourceRecord:
    line = line_of(lines, where)
    origin = f"{catalog.display}:{line}" if line else catalog.display
    allowed = list(SourceFields.model_fields)
    for field_name in value:
        if field_name not in SourceFields.model_fields:
            raise SourcesError(
                f"source {key!r}: unknown field {field_name!r}{_hint(field_name, allowed)}",
                path=catalog.display,
                line=line_of(lines, (*where, field_name)),
            )
    try:
        fields = SourceFields.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = str(first["loc"][0]) if first["loc"] else ""
        why = f"{field_name}: {first['msg'].lower()}"
        error_line = line_of(lines, (*where, field_name)) or line
        return _invalid(record_id, value, origin, why, key, catalog, error_line)
    problem: str | None = validate_url(fields.url)
    if problem is None and fields.archived_url is not None:
        archived_problem = validate_url(fields.archived_url)
        problem = None if archived_problem is None else f"archived_{archived_problem}"
    if problem is not None:
        url_line = line_of(lines, (*where, "url")) or line
        return _invalid(record_id, value, origin, problem, key, catalog, url_line)
    return SourceRecord(
        record_id, fields.url, origin, fields, origin_path=catalog.display, origin_line=line
    )


def _invalid(
    record_id: str,
    value: dict[str, Any],
    origin: str,
    problem: str,
    key: str,
    catalog: SourceCatalog,
    line: int | None,
) -> SourceRecord:
    message = f"source {key!r}: {problem}"
    catalog.errors.append(SourcesError(message, path=catalog.display, line=line))
    url = value.get("url") if isinstance(value.get("url"), str) else None
    return SourceRecord(
        record_id, url, origin, problem=message, origin_path=catalog.display, origin_line=line
    )
