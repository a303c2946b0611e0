"""Helpers of the extraction tests: documents from strings or fixture files, and positions."""

from __future__ import annotations

from pathlib import Path

from provenance.documents import Document, load_document
from provenance.extract import Extraction, ExtractOptions, extract
from provenance.models import DocFormat

DOCUMENTS = Path(__file__).resolve().parent.parent / "data" / "documents"

_FORMATS = {"txt": DocFormat.TEXT, "md": DocFormat.MARKDOWN, "html": DocFormat.HTML}


def document(text: str, fmt: str = "txt") -> Document:
    """A document of format ``fmt`` (``txt``, ``md``, ``html``) holding ``text``."""
    return Document(
        path=Path(f"inline.{fmt}"),
        display=f"inline.{fmt}",
        format=_FORMATS[fmt],
        text=text,
        sha256="0" * 64,
    )


def run(text: str, fmt: str = "txt", options: ExtractOptions | None = None) -> Extraction:
    """Extract from ``text`` as a document of format ``fmt``."""
    return extract(document(text, fmt), options)


def load(name: str) -> Document:
    """A fixture document of tests/data/documents, read as provenance reads any file."""
    path = DOCUMENTS / name
    assert path.exists(), f"missing fixture {path}"
    return load_document(path, name)


def run_file(name: str, options: ExtractOptions | None = None) -> tuple[Document, Extraction]:
    """Load a fixture and extract from it."""
    doc = load(name)
    return doc, extract(doc, options)


def at(text: str, line: int, column: int, length: int = 1) -> str:
    """The ``length`` characters of ``text`` at 1-based ``(line, column)``."""
    row = text.split("\n")[line - 1]
    return row[column - 1 : column - 1 + length]


def keys(extraction: Extraction) -> list[str]:
    """The keys of all citations, in order."""
    return [c.key for c in extraction.citations]


def claim_texts(extraction: Extraction) -> list[str]:
    """The texts of the claims, in order."""
    return [s.text for s in extraction.claims]
