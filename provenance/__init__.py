"""provenance: check the sourcing of written claims, before publication and for years after.

The public API, in pipeline order::

    settings, _ = load_settings(Path("."))
    result = run_check(["articles/"], root=Path("."), settings=settings)
    result.report.summary.coverage, result.report.findings

Everything here is listed in ``__all__`` and kept stable; modules not re-exported
here are internal.
"""

from __future__ import annotations

__version__ = "0.1.0"

from provenance.archive import Snapshot, SnapshotStore, VerifyReport
from provenance.check import Checker, CheckEvent, CheckResult, run_check
from provenance.config import IgnoreRule, Settings, load_settings
from provenance.documents import Document, load_document
from provenance.errors import (
    ArchiveCorruptError,
    ArchiveError,
    ArchiveLockedError,
    ConfigError,
    DocumentError,
    FetchError,
    InputError,
    ProvenanceError,
    SourcesError,
    UsageError,
)
from provenance.evidence import EvidenceOptions, FetchMode
from provenance.extract import Extraction, ExtractOptions, extract
from provenance.fetch import FetchResult, FetchSettings, Reason, Verdict
from provenance.formats import FORMATS
from provenance.models import (
    CitationKind,
    CitationReport,
    ClaimReport,
    DocFormat,
    DocumentReport,
    FetchSummary,
    Finding,
    Report,
    SourceReport,
    Summary,
)
from provenance.rules import RULES, Rule, RuleId, Severity
from provenance.sources import SourceCatalog, SourceRecord, load_sources

__all__ = [
    "FORMATS",
    "RULES",
    "ArchiveCorruptError",
    "ArchiveError",
    "ArchiveLockedError",
    "CheckEvent",
    "CheckResult",
    "Checker",
    "CitationKind",
    "CitationReport",
    "ClaimReport",
    "ConfigError",
    "DocFormat",
    "Document",
    "DocumentError",
    "DocumentReport",
    "EvidenceOptions",
    "ExtractOptions",
    "Extraction",
    "FetchError",
    "FetchMode",
    "FetchResult",
    "FetchSettings",
    "FetchSummary",
    "Finding",
    "IgnoreRule",
    "InputError",
    "ProvenanceError",
    "Reason",
    "Report",
    "Rule",
    "RuleId",
    "Settings",
    "Severity",
    "Snapshot",
    "SnapshotStore",
    "SourceCatalog",
    "SourceRecord",
    "SourceReport",
    "SourcesError",
    "Summary",
    "UsageError",
    "Verdict",
    "VerifyReport",
    "__version__",
    "extract",
    "load_document",
    "load_settings",
    "load_sources",
    "run_check",
]
