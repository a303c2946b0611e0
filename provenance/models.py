"""The typed stages of the pipeline and the report they add up to.

Document → Citations, Sentences (and Defects) → SourceRecords → Findings → Report.
Models that cross a boundary (the JSON report) are frozen pydantic models; the
schema of the JSON report is ``Report.model_json_schema()`` and is shipped as
``provenance/schema/report.schema.json``.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
)

from provenance.audit.ascited import DateBasis
from provenance.audit.rot import RotState
from provenance.errors import InputError
from provenance.fetch.models import Reason, Redirect, Verdict
from provenance.quotestatus import QuoteStatus
from provenance.rules import RuleId, Severity

__all__ = [
    "SCHEMA_VERSION",
    "AuditSummary",
    "CitationKind",
    "CitationReport",
    "ClaimReport",
    "DocFormat",
    "DocumentReport",
    "DriftReport",
    "FetchSummary",
    "Finding",
    "QuoteReport",
    "ReplacementReport",
    "Report",
    "RotCheck",
    "SourceAudit",
    "SourceReport",
    "Summary",
    "Support",
    "load_report",
]

SCHEMA_VERSION: Literal[1] = 1


def _parse_severity(value: Any) -> Any:
    return Severity.parse(value) if isinstance(value, str) else value


# In JSON a severity is its name ("error"), not its rank.
SeverityName = Annotated[
    Severity,
    BeforeValidator(_parse_severity),
    PlainSerializer(lambda s: s.label, return_type=str),
    WithJsonSchema({"type": "string", "enum": [s.label for s in Severity]}),
]


class DocFormat(enum.StrEnum):
    """The kinds of document provenance reads."""

    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"


class CitationKind(enum.StrEnum):
    """How a citation names its source."""

    NUMERIC = "numeric"  # [1], [1, 2], [1-3]: per document
    FOOTNOTE = "footnote"  # [^1] with a [^1]: definition
    KEY = "key"  # [@mueller2019]: a shared record in sources.toml
    IDENTIFIER = "identifier"  # [@doi:10.1/x]: names its own source, needs no record


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


def _absent(value: object) -> bool:
    """Audit fields are left out of the JSON of runs that did not audit."""
    return value is None


class Support(_Frozen):
    """How well one cited source supports one claim: its best passage and that passage's score."""

    source: str = Field(description="The source record id.")
    score: float = Field(description="The scorer's support score of the best passage, 0..1.")
    weak: bool = Field(description="The score is under the support threshold.")
    passage: str | None = Field(None, description="The best supporting passage, quoted.")
    scorer: str = Field(description="The scorer that gave the score, e.g. 'bm25'.")
    snapshot: str | None = Field(None, description="Digest of the snapshot scored against.")


class CitationReport(_Frozen):
    """One cited id at one place in a document (``[1, 2]`` yields two)."""

    id: str = Field(description="The id as cited: '1', '^note', 'mueller2019', 'doi:10.1/x'.")
    kind: CitationKind
    marker: str = Field(description="The marker's text as written, e.g. '[1, 2]'.")
    line: int
    column: int
    source: str | None = Field(
        description="The id of the source record it resolves to; null if none."
    )
    locator: str | None = None


class ClaimReport(_Frozen):
    """A sentence that makes a claim, and what it cites."""

    text: str
    line: int
    column: int
    end_line: int
    end_column: int
    citations: list[str] = Field(description="Ids cited by the claim, in order, without repeats.")
    cited: bool
    sources: list[str] = Field(
        default_factory=list, description="Source record ids it resolves to."
    )
    verdicts: dict[str, Verdict | None] = Field(
        default_factory=dict,
        description="Per cited source id, its fetch verdict (null: not fetched).",
    )
    support: list[Support] | None = Field(
        None,
        exclude_if=_absent,
        description="provenance audit: per cited source, its best passage for the claim.",
    )


class DocumentReport(_Frozen):
    """Everything found in one document."""

    path: str
    format: DocFormat
    sha256: str
    date: dt.date | None = Field(None, description="The document's own date, when it states one.")
    claims: list[ClaimReport]
    citations: list[CitationReport]
    coverage: float | None = Field(description="cited claims / claims; null with no claims.")


class Finding(_Frozen):
    """One problem at one place, named by a stable rule id."""

    rule: RuleId
    severity: SeverityName
    path: str
    line: int | None
    column: int | None
    message: str
    text: str | None = Field(None, description="The sentence or record the finding is about.")
    source: str | None = Field(None, description="The source record id, for source findings.")
    baselined: bool = Field(
        False, description="Recorded in the baseline (--baseline): reported, but fails no gate."
    )

    def sort_key(self) -> tuple[str, int, int, str]:
        """Reading order: by path, then position, then rule."""
        return (self.path, self.line or 0, self.column or 0, self.rule.value)


class RotCheck(_Frozen):
    """What one audit observed of a source."""

    checked_at: dt.datetime
    verdict: Verdict
    reason: Reason
    http_status: int | None = None
    offline: bool = Field(False, description="The network was down: not counted either way.")


class DriftReport(_Frozen):
    """How far the latest snapshot's main text has moved from the as-cited one."""

    similarity: float = Field(description="1.0: the same text; 0.0: nothing in common.")
    drifted: bool = Field(description="The similarity is under the drift threshold.")
    removed: list[str] = Field(default_factory=list, description="Text the source lost.")
    added: list[str] = Field(default_factory=list, description="Text the source gained.")


class QuoteReport(_Frozen):
    """Whether a record's ``quote`` is in the as-cited and the latest snapshot."""

    quote: str
    as_cited: QuoteStatus | None = Field(description="null: no as-cited snapshot to look in.")
    latest: QuoteStatus | None = Field(description="null: no readable latest snapshot.")
    similarity: float | None = Field(None, description="Of the best match in the latest text.")
    passage: str | None = Field(None, description="The best matching passage, when not found.")


class ReplacementReport(_Frozen):
    """Where a reader can still see what was cited: the local snapshot and the Web Archive."""

    snapshot: str | None = Field(None, description="Digest of the as-cited local snapshot.")
    snapshot_at: dt.datetime | None = None
    show: str | None = Field(None, description="The command that prints the local copy.")
    archive_url: str = Field(description="The Web Archive URL for the as-cited date.")
    archive_at: dt.datetime
    confirmed: bool = Field(False, description="The Web Archive's lookup API confirmed a copy.")
    written: bool | None = Field(
        None, description="--write-archive-urls recorded it in sources.toml (null: not asked)."
    )
    note: str | None = Field(None, description="Why it was not written back, if it was not.")


class SourceAudit(_Frozen):
    """What ``provenance audit`` concluded about one source."""

    state: RotState
    checked: bool = Field(description="Fetched by this run (false: not due, see --due).")
    history: list[RotCheck] = Field(description="Every audit's observation, oldest first.")
    failures: int = Field(0, description="Failures that count towards dead, spaced by policy.")
    failures_needed: int = Field(0, description="Failures needed to call it dead.")
    failing_since: dt.datetime | None = None
    last_alive: dt.datetime | None = None
    as_cited_at: dt.datetime | None = Field(
        None, description="When the as-cited snapshot was taken."
    )
    as_cited_digest: str | None = None
    as_cited_basis: DateBasis | None = Field(
        None, description="Where the citation date came from (accessed, document, first-snapshot)."
    )
    as_cited_date: dt.date | None = None
    latest_at: dt.datetime | None = None
    latest_digest: str | None = None
    drift: DriftReport | None = None
    quotes: list[QuoteReport] = Field(default_factory=list)
    support: list[float] = Field(
        default_factory=list, description="Support scores of the claims that cite it."
    )
    weak_claims: int = Field(0, description="Claims citing it whose support is weak.")
    replacement: ReplacementReport | None = None


class SourceReport(_Frozen):
    """A source record, where it was defined, who cites it and what fetching it found."""

    id: str
    url: str | None
    title: str | None = None
    origin: str = Field(
        description="Where the record is defined: 'sources.toml:12' or 'doc.md:40'."
    )
    cited_by: int = Field(0, description="How many citation markers resolve to it.")
    valid: bool = True
    verdict: Verdict | None = None
    reason: Reason | None = None
    http_status: int | None = None
    final_url: str | None = None
    redirects: list[Redirect] = Field(default_factory=list)
    fetched_at: dt.datetime | None = None
    digest: str | None = None
    from_cache: bool | None = None
    evidence: str | None = None
    audit: SourceAudit | None = Field(None, exclude_if=_absent)


class Summary(_Frozen):
    """The figures a reader looks at first."""

    documents: int
    claims: int
    cited_claims: int
    uncited_claims: int
    coverage: float | None = Field(description="cited_claims / claims, 0..1; null with no claims.")
    citations: int = Field(description="Cited ids at their places ([1, 2] counts two).")
    sources: int = Field(
        description="Source records in use (cited or defined for checked documents)."
    )
    findings: dict[str, int] = Field(description="Finding counts per rule id.")
    errors: int = Field(0, description="Documents or records that could not be read.")


class FetchSummary(_Frozen):
    """How evidence about sources was gathered, and what it found."""

    mode: Literal["live", "offline", "none"]
    offline: bool = Field(
        False, description="The network, not the sources, failed: nothing was marked dead."
    )
    urls: int = Field(0, description="Distinct URLs looked at.")
    requests: int = Field(0, description="HTTP requests actually sent.")
    from_cache: int = Field(0, description="Answers that came from the cache or the archive.")
    verdicts: dict[str, int] = Field(default_factory=dict, description="Sources per verdict.")


class AuditSummary(_Frozen):
    """The overall figures of a ``provenance audit`` run."""

    audited_at: dt.datetime
    sources: int = Field(description="Sources audited (valid, with a URL).")
    checked: int = Field(description="Of them, fetched by this run (the rest were not due).")
    states: dict[str, int] = Field(description="Sources per rot state.")
    drifted: int
    quotes_missing: int = Field(description="Quotes not found as cited, or removed since.")
    weak_support: int = Field(description="Claim-source pairs whose support is weak.")
    citations: int = Field(description="Citation markers to the audited sources.")
    dead_share: float | None = Field(description="Share of those citations to dead sources.")
    drifted_share: float | None = Field(description="Share to drifted sources.")
    weak_share: float | None = Field(
        description="Share of cited claim-source pairs whose support is weak."
    )
    offline: bool = Field(False, description="The network was down: nothing counted as failed.")
    dead_after: int
    dead_spacing_days: float
    drift_threshold: float
    support_threshold: float


class Report(_Frozen):
    """The result of one ``provenance check`` run: what every format renders."""

    schema_version: Literal[1] = 1
    tool: str = "provenance"
    tool_version: str
    generated_at: dt.datetime
    summary: Summary
    # Sequences, not lists: a run's report reads these back from its spool (see spool.py).
    documents: Sequence[DocumentReport]
    sources: Sequence[SourceReport]
    findings: Sequence[Finding]
    fetch: FetchSummary = Field(default_factory=lambda: FetchSummary(mode="none"))
    audit: AuditSummary | None = Field(None, exclude_if=_absent)

    def failing(self, fail_on: frozenset[RuleId] | Severity | None) -> list[Finding]:
        """The new findings that fail the gate ``fail_on`` (rule ids, or a severity and up)."""
        return list(self.iter_failing(fail_on))

    def iter_failing(self, fail_on: frozenset[RuleId] | Severity | None) -> Iterator[Finding]:
        """``failing``, one at a time (a large run's findings are read from its spool).

        Baselined findings fail no gate.
        """
        if fail_on is None:
            return iter(())
        if isinstance(fail_on, Severity):
            return (f for f in self.findings if not f.baselined and f.severity >= fail_on)
        return (f for f in self.findings if not f.baselined and f.rule in fail_on)


def load_report(path: Path) -> Report:
    """Read a JSON report written by ``provenance check``; a bad one is an ``InputError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the report: {exc.strerror or exc}", path=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("not a JSON report (not UTF-8 text)", path=str(path)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", path=str(path), line=exc.lineno) from None
    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(
            f"not a provenance JSON report: {where}: {first['msg'].lower()}", path=str(path)
        ) from None
