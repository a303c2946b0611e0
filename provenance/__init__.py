"""provenance: check the sourcing of written claims, before publication and for years after.

The public API, in pipeline order::

    settings, _ = load_settings(Path("."))
    result = run_check(["articles/"], root=Path("."), settings=settings)
    result.report.summary.coverage, result.report.findings

Everything here is listed in ``__all__`` and kept stable; modules not re-exported
here are internal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provenance._lazy import exports

if TYPE_CHECKING:
    from provenance.archive import AuditCheck, Snapshot, SnapshotStore, VerifyReport
    from provenance.audit import AuditOptions, AuditResult, RotPolicy, RotState, run_audit
    from provenance.check import Checker, CheckEvent, CheckResult, run_check
    from provenance.config import AuditSettings, IgnoreRule, Settings, load_settings
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
        AuditSummary,
        CitationKind,
        CitationReport,
        ClaimReport,
        DocFormat,
        DocumentReport,
        FetchSummary,
        Finding,
        Report,
        SourceAudit,
        SourceReport,
        Summary,
        Support,
    )
    from provenance.rules import RULES, Rule, RuleId, Severity
    from provenance.sources import SourceCatalog, SourceRecord, load_sources

__version__ = "0.1.0"

__all__ = [
    "FORMATS",
    "RULES",
    "ArchiveCorruptError",
    "ArchiveError",
    "ArchiveLockedError",
    "AuditCheck",
    "AuditOptions",
    "AuditResult",
    "AuditSettings",
    "AuditSummary",
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
    "RotPolicy",
    "RotState",
    "Rule",
    "RuleId",
    "Settings",
    "Severity",
    "Snapshot",
    "SnapshotStore",
    "SourceAudit",
    "SourceCatalog",
    "SourceRecord",
    "SourceReport",
    "SourcesError",
    "Summary",
    "Support",
    "UsageError",
    "Verdict",
    "VerifyReport",
    "__version__",
    "extract",
    "load_document",
    "load_settings",
    "load_sources",
    "run_audit",
    "run_check",
]

# Imported on first use: the CLI's start-up should not pay for httpx, warcio or lxml
# when a run does not fetch.
_EXPORTS: dict[str, str] = {
    "ArchiveCorruptError": "provenance.errors",
    "ArchiveError": "provenance.errors",
    "ArchiveLockedError": "provenance.errors",
    "AuditCheck": "provenance.archive",
    "AuditOptions": "provenance.audit",
    "AuditResult": "provenance.audit",
    "AuditSettings": "provenance.config",
    "AuditSummary": "provenance.models",
    "CheckEvent": "provenance.check",
    "CheckResult": "provenance.check",
    "Checker": "provenance.check",
    "CitationKind": "provenance.models",
    "CitationReport": "provenance.models",
    "ClaimReport": "provenance.models",
    "ConfigError": "provenance.errors",
    "DocFormat": "provenance.models",
    "Document": "provenance.documents",
    "DocumentError": "provenance.errors",
    "DocumentReport": "provenance.models",
    "EvidenceOptions": "provenance.evidence",
    "ExtractOptions": "provenance.extract",
    "Extraction": "provenance.extract",
    "FORMATS": "provenance.formats",
    "FetchError": "provenance.errors",
    "FetchMode": "provenance.evidence",
    "FetchResult": "provenance.fetch",
    "FetchSettings": "provenance.fetch",
    "FetchSummary": "provenance.models",
    "Finding": "provenance.models",
    "IgnoreRule": "provenance.config",
    "InputError": "provenance.errors",
    "ProvenanceError": "provenance.errors",
    "RULES": "provenance.rules",
    "Reason": "provenance.fetch",
    "Report": "provenance.models",
    "RotPolicy": "provenance.audit",
    "RotState": "provenance.audit",
    "Rule": "provenance.rules",
    "RuleId": "provenance.rules",
    "Settings": "provenance.config",
    "Severity": "provenance.rules",
    "Snapshot": "provenance.archive",
    "SnapshotStore": "provenance.archive",
    "SourceAudit": "provenance.models",
    "SourceCatalog": "provenance.sources",
    "SourceRecord": "provenance.sources",
    "SourceReport": "provenance.models",
    "SourcesError": "provenance.errors",
    "Summary": "provenance.models",
    "Support": "provenance.models",
    "UsageError": "provenance.errors",
    "Verdict": "provenance.fetch",
    "VerifyReport": "provenance.archive",
    "extract": "provenance.extract",
    "load_document": "provenance.documents",
    "load_settings": "provenance.config",
    "load_sources": "provenance.sources",
    "run_audit": "provenance.audit",
    "run_check": "provenance.check",
}

__getattr__, __dir__ = exports(globals(), _EXPORTS)
