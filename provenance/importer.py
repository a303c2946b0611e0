"""``provenance sources import``: copy documents' own reference lists into sources.toml.

Appends, never rewrites: what is already in the file stays byte for byte, keys
already defined for a document are skipped, and the new text is parsed before
it replaces the old file (written to a temporary file, then renamed).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from provenance.check import display_path
from provenance.documents import expand_paths, load_document
from provenance.errors import DocumentError, InputError
from provenance.extract import extract
from provenance.sources import load_sources
from provenance.tomlwrite import replace_toml

__all__ = ["ImportResult", "ImportedEntry", "import_references"]


@dataclass(frozen=True, slots=True)
class ImportedEntry:
    """One reference entry written (or skipped) for one document."""

    document: str
    key: str
    url: str | None


@dataclass(slots=True)
class ImportResult:
    """What ``import_references`` did."""

    added: list[ImportedEntry] = field(default_factory=list)
    skipped: list[ImportedEntry] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def _toml_string(value: str) -> str:
    # JSON string escapes are a subset of TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=False)


def import_references(specs: Iterable[str], *, sources: Path, root: Path) -> ImportResult:
    """Append the reference entries of the documents named by ``specs`` to ``sources``."""
    display = display_path(sources, root)
    catalog = load_sources(sources, display=display)
    result = ImportResult()
    chunks: list[str] = []
    for item in expand_paths(specs, base=root):
        if isinstance(item, DocumentError):
            result.errors.append(item)
            continue
        doc_display = display_path(item, root)
        try:
            document = load_document(item, doc_display)
        except DocumentError as exc:
            result.errors.append(exc)
            continue
        existing = catalog.for_document(doc_display)
        for entry in extract(document).references:
            imported = ImportedEntry(doc_display, entry.key, entry.url)
            if entry.key in existing or entry.url is None:
                result.skipped.append(imported)
                continue
            line, _ = document.lines.position(entry.offset)
            chunk = [
                f"[documents.{_toml_string(doc_display)}.sources.{_toml_string(entry.key)}]",
                f"url = {_toml_string(entry.url)}",
            ]
            if entry.title:
                chunk.append(f"title = {_toml_string(entry.title)}")
            chunk.append(f"notes = {_toml_string(f'Imported from {doc_display}:{line}.')}")
            chunks.append("\n".join(chunk))
            result.added.append(imported)
    if chunks:
        _append(sources, display, "\n\n".join(chunks) + "\n")
    return result


def _append(path: Path, display: str, addition: str) -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    separator = "" if not old or old.endswith("\n\n") else ("\n" if old.endswith("\n") else "\n\n")
    new = old + separator + addition
    replace_toml(path, display, new)
