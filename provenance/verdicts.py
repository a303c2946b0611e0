"""From fetch results to what a reader sees: source reports, source findings, claim verdicts.

The fetch stage says what each URL did (``FetchResult``); this stage says what that
means for the sources a document cites: which finding a result gives (a dead
source, a soft 404, a move, an unverifiable source, or nothing when the network
was down), the per-source part of the report, and each claim's verdicts.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from provenance.evidence import FetchMode
from provenance.fetch.models import FetchResult, Reason, Verdict
from provenance.models import DocumentReport, FetchSummary, SourceReport
from provenance.rules import RuleId
from provenance.sources import SourceRecord

if TYPE_CHECKING:
    from provenance.fetch import FetchRun

__all__ = [
    "fetch_summary",
    "record_fields",
    "rule_for",
    "source_message",
    "source_report",
    "with_verdicts",
]

# Which finding a fetch result gives, by reason first, then by verdict.
_SOURCE_RULES: dict[Reason, RuleId | None] = {
    Reason.SOFT_404: RuleId.SOFT_404,
    Reason.MOVED: RuleId.MOVED_SOURCE,
    Reason.OFFLINE: None,  # the network failed, not the source: say nothing about it
}
_VERDICT_RULES: dict[Verdict, RuleId] = {
    Verdict.DEAD: RuleId.DEAD_SOURCE,
    Verdict.UNVERIFIABLE: RuleId.UNVERIFIABLE_SOURCE,
}


def rule_for(result: FetchResult) -> RuleId | None:
    """The finding a fetch result gives, if any: by reason first, then by verdict."""
    if result.reason in _SOURCE_RULES:
        return _SOURCE_RULES[result.reason]
    return _VERDICT_RULES.get(result.verdict)


def source_report(record: SourceRecord, cited_by: int, result: FetchResult | None) -> SourceReport:
    """The report's entry for ``record``, with what fetching it found (if it was fetched)."""
    fetched: dict[str, object] = {}
    if result is not None:
        fetched = {
            "verdict": result.verdict,
            "reason": result.reason,
            "http_status": result.http_status,
            "final_url": result.final_url,
            "redirects": list(result.redirects),
            "fetched_at": result.fetched_at,
            "digest": result.digest,
            "from_cache": result.from_cache,
            "evidence": result.evidence or result.error,
        }
    return SourceReport.model_validate({**record_fields(record, cited_by), **fetched})


def record_fields(record: SourceRecord, cited_by: int) -> dict[str, object]:
    """What a record itself gives its report entry, before anything is fetched."""
    return {
        "id": record.id,
        "url": record.url,
        "title": record.title,
        "origin": record.origin,
        "cited_by": cited_by,
        "valid": record.valid,
    }


def source_message(record: SourceRecord, result: FetchResult) -> str:
    """What a finding about ``record`` says: the URL, the verdict, the reason, the evidence."""
    status = f" (HTTP {result.http_status})" if result.http_status else ""
    detail = result.evidence or result.error
    if result.reason is Reason.MOVED:
        return f"cites {record.url}, which moved permanently to {result.final_url}"
    text = f"cites {record.url}, which is {result.verdict.value}: {result.reason.value}{status}"
    return text + (f"; {detail}" if detail else "")


def with_verdicts(
    documents: list[DocumentReport], verdicts: dict[str, Verdict | None]
) -> list[DocumentReport]:
    """Give every claim the verdict of each source it cites (source id -> verdict)."""
    return [
        document.model_copy(
            update={
                "claims": [
                    claim.model_copy(
                        update={"verdicts": {s: verdicts.get(s) for s in claim.sources}}
                    )
                    for claim in document.claims
                ]
            }
        )
        for document in documents
    ]


def fetch_summary(
    mode: FetchMode, run: FetchRun | None, sources: list[SourceReport]
) -> FetchSummary:
    """How evidence was gathered and the sources per verdict."""
    if run is None:
        return FetchSummary(mode=mode.value)
    counts = Counter(s.verdict.value for s in sources if s.verdict is not None)
    return FetchSummary(
        mode=mode.value,
        offline=run.offline,
        urls=len(run.results),
        requests=run.requests,
        from_cache=sum(1 for r in run.results.values() if r.from_cache),
        verdicts=dict(sorted(counts.items())),
    )
