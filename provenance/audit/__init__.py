"""``provenance audit``: source rot over time, drift, quotes, support and replacements.

``run_audit`` is the entry point (``provenance.audit.run``); ``rot`` judges a
source's state from its audit history, ``ascited`` picks the snapshot a
citation is judged against, ``replacements`` builds Web Archive URLs and writes
them back to sources.toml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provenance._lazy import exports

if TYPE_CHECKING:
    from provenance.audit.ascited import AsCited, DateBasis, citation_date, select_as_cited
    from provenance.audit.replacements import WriteBack, wayback_url, write_archive_urls
    from provenance.audit.rot import RotAssessment, RotPolicy, RotState, assess_rot
    from provenance.audit.run import AuditOptions, AuditResult, run_audit

__all__ = [
    "AsCited",
    "AuditOptions",
    "AuditResult",
    "DateBasis",
    "RotAssessment",
    "RotPolicy",
    "RotState",
    "WriteBack",
    "assess_rot",
    "citation_date",
    "run_audit",
    "select_as_cited",
    "wayback_url",
    "write_archive_urls",
]

# Imported on first use: the audit's run pulls in the check pipeline and the archive.
_EXPORTS: dict[str, str] = {
    "AsCited": "provenance.audit.ascited",
    "AuditOptions": "provenance.audit.run",
    "AuditResult": "provenance.audit.run",
    "DateBasis": "provenance.audit.ascited",
    "RotAssessment": "provenance.audit.rot",
    "RotPolicy": "provenance.audit.rot",
    "RotState": "provenance.audit.rot",
    "WriteBack": "provenance.audit.replacements",
    "assess_rot": "provenance.audit.rot",
    "citation_date": "provenance.audit.ascited",
    "run_audit": "provenance.audit.run",
    "select_as_cited": "provenance.audit.ascited",
    "wayback_url": "provenance.audit.replacements",
    "write_archive_urls": "provenance.audit.replacements",
}

__getattr__, __dir__ = exports(globals(), _EXPORTS)
