"""The typed stages of the pipeline and the report they add up to.

Document → Citations, Sentences (and Defects) → SourceRecords → Findings → Report.
Models that cross a boundary (the JSON report) are frozen pydantic models; the
schema of the JSON report is ``Report.model_json_schema()`` and is shipped as
``provenance/schema/report.schema.json``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from provenance.fetch.models import Reason, Redirect, Verdict
from provenance.rules import RuleId, Severity

__all__ = [
    "SCHEMA_VERSION",
    "CitationKind",
    "CitationReport",
    "ClaimReport",
    "DocFormat",
    "DocumentReport",
    "FetchSummary",
    "Finding",
    "Report",
    "SourceReport",
    "Summary",
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
    model_config = ConfigDict(frozen=True, extra="forbid")


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

    def sort_key(self) -> tuple[str, int, int, str]:
        """Reading order: by path, then position, then rule."""
        return (self.path, self.line or 0, self.column or 0, self.rule.value)


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

    def failing(self, fail_on: frozenset[RuleId] | Severity | None) -> list[Finding]:
        """The findings that fail the gate ``fail_on`` (rule ids, or a severity and up)."""
        return list(self.iter_failing(fail_on))

    def iter_failing(self, fail_on: frozenset[RuleId] | Severity | None) -> Iterator[Finding]:
        """``failing``, one at a time (a large run's findings are read from its spool)."""
        if fail_on is None:
            return iter(())
        if isinstance(fail_on, Severity):
            return (f for f in self.findings if f.severity >= fail_on)
        return (f for f in self.findings if f.rule in fail_on)
