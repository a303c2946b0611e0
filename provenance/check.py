"""The check pipeline: documents in, one typed ``Report`` out.

Stages: expand paths → load each document → extract citations and sentences →
resolve citations against sources.toml, the document's own reference list and
self-naming identifiers → findings → summary. Documents are processed one at a
time (memory stays flat however large the corpus); a document that cannot be
read is reported and the rest are still checked.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import gc
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from provenance import __version__
from provenance.config import IgnoreRule, Settings
from provenance.dates import parse_date
from provenance.documents import Document, expand_paths, load_document
from provenance.errors import DocumentError, InputError, UsageError
from provenance.evidence import EvidenceOptions, FetchMode
from provenance.extract import Citation, Extraction, ExtractOptions, SentenceRole, extract
from provenance.extract.markers import identifier_url
from provenance.extract.view import IgnoreDirective, ReferenceEntry
from provenance.fetch.models import Verdict
from provenance.models import (
    CitationKind,
    CitationReport,
    ClaimReport,
    DocumentReport,
    Finding,
    Report,
    SourceReport,
    Summary,
)
from provenance.rules import RULES, RuleId
from provenance.sources import SourceCatalog, SourceRecord, load_sources, validate_url
from provenance.verdicts import (
    fetch_summary,
    rule_for,
    source_message,
    source_report,
    with_verdicts,
)

if TYPE_CHECKING:
    from provenance.fetch import FetchRun

__all__ = ["CheckEvent", "CheckResult", "Checker", "display_path", "run_check"]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class CheckEvent:
    """Progress: one document done (``path``), ``done`` of ``total`` so far."""

    path: str
    done: int
    total: int


@dataclass(slots=True)
class CheckResult:
    """A report, and the input errors met on the way (bad documents, invalid records)."""

    report: Report
    errors: list[InputError]
    catalog: SourceCatalog
    fetch: FetchRun | None = None


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form when inside it, else as absolute."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


@dataclass(slots=True)
class _Run:
    """What a run accumulates, one document at a time."""

    errors: list[InputError]
    findings: list[Finding] = field(default_factory=list)
    documents: list[DocumentReport] = field(default_factory=list)


@dataclass(slots=True)
class _Usage:
    """Which records were cited, how often and where."""

    counts: Counter[str] = field(default_factory=Counter)
    records: dict[str, SourceRecord] = field(default_factory=dict)
    places: dict[str, list[tuple[str, int, int, str]]] = field(default_factory=dict)
    ignores: dict[str, list[IgnoreDirective]] = field(default_factory=dict)


class Checker:
    """Runs ``provenance check`` over documents with injected settings, catalog and clock."""

    def __init__(
        self,
        settings: Settings,
        catalog: SourceCatalog,
        *,
        root: Path,
        clock: Callable[[], dt.datetime] = _utcnow,
        on_event: Callable[[CheckEvent], None] | None = None,
        evidence: EvidenceOptions | None = None,
    ) -> None:
        self.settings = settings
        self.evidence = evidence or EvidenceOptions(mode=FetchMode.NONE)
        self.catalog = catalog
        self.root = root
        self.clock = clock
        self.on_event = on_event
        self.options = ExtractOptions(
            boilerplate=tuple(settings.boilerplate),
            citation_needed=tuple(settings.citation_needed) if settings.citation_needed else None,
            min_claim_words=settings.min_claim_words,
        )
        self._ignore_patterns = [
            (rule, re.compile(rule.text) if rule.text else None) for rule in settings.ignore
        ]

    def run(
        self,
        specs: Iterable[str],
        *,
        whole_project: bool = False,
        only: Callable[[str], bool] | None = None,
    ) -> CheckResult:
        """Check the documents named by ``specs`` (files, directories, globs).

        ``whole_project`` says the run covers every document, so shared sources
        that nothing cites are reported as unused. ``only``, given a document's
        display path, picks the documents to check (e.g. those changed in git).
        """
        state = _Run(errors=list(self.catalog.errors))
        usage = _Usage()
        paths = list(expand_paths(specs, base=self.root))
        if only is not None:
            paths = [
                p for p in paths if isinstance(p, DocumentError) or only(display_path(p, self.root))
            ]
        # What the run keeps (the report) only grows; freezing it after each document
        # keeps the garbage collector from rescanning it again and again.
        gc.freeze()
        try:
            for done, item in enumerate(paths, start=1):
                self._one(item, state, usage)
                if self.on_event is not None:
                    self.on_event(CheckEvent(_event_path(item, self.root), done, len(paths)))
                gc.freeze()
        finally:
            gc.unfreeze()
        errors, findings, documents = state.errors, state.findings, state.documents
        findings.extend(self._catalog_findings(usage, whole_project))
        run = self._gather(usage)
        if run is not None:
            findings.extend(self._source_findings(usage, run))
            documents = with_verdicts(documents, _verdicts(usage, run))
        findings.sort(key=Finding.sort_key)
        sources = self._source_reports(usage, run)
        full_report = Report(
            tool_version=__version__,
            generated_at=self.clock(),
            summary=_summary(documents, findings, sources, len(errors)),
            documents=documents,
            sources=sources,
            findings=findings,
            fetch=fetch_summary(self.evidence.mode, run, sources),
        )
        return CheckResult(report=full_report, errors=errors, catalog=self.catalog, fetch=run)

    # -- one document ------------------------------------------------------------------

    def _one(self, item: Path | DocumentError, state: _Run, usage: _Usage) -> None:
        """Load and check one document, or record why it could not be read."""
        if isinstance(item, DocumentError):
            state.errors.append(item)
            state.findings.append(self._error_finding(item))
            return
        display = display_path(item, self.root)
        try:
            document = load_document(
                item, display, max_bytes=self.settings.max_document_bytes, root=self.root
            )
        except DocumentError as exc:
            state.errors.append(exc)
            state.findings.append(self._error_finding(exc))
            return
        report, doc_findings = self._check_document(document, usage)
        state.documents.append(report)
        state.findings.extend(doc_findings)

    def _check_document(
        self, document: Document, usage: _Usage
    ) -> tuple[DocumentReport, list[Finding]]:
        extraction = extract(document, self.options)
        own = self._own_records(document, extraction.references)
        toml_records = self.catalog.for_document(document.display)
        findings: list[Finding] = []
        cited_here: set[str] = set()
        citation_reports: list[CitationReport] = []
        resolved: dict[int, SourceRecord | None] = {}
        for citation in extraction.citations:
            record = self._resolve(citation, toml_records, own)
            resolved[id(citation)] = record
            # model_construct: these values were built here, typed; validating them again
            # cost a fifth of a --no-fetch run.
            citation_reports.append(
                CitationReport.model_construct(
                    id=citation.key,
                    kind=citation.kind,
                    marker=citation.marker,
                    line=citation.line,
                    column=citation.column,
                    source=record.id if record else None,
                    locator=citation.locator,
                )
            )
            if record is None:
                findings.append(self._unknown(document, citation))
            else:
                usage.counts[record.id] += 1
                usage.records[record.id] = record
                usage.places.setdefault(record.id, []).append(
                    (document.display, citation.line, citation.column, citation.marker)
                )
                cited_here.add(record.id)
        claims = []
        # A sentence with a stripped marker, [] or [citation needed] already has a more
        # specific finding; "uncited-claim" would say the same thing twice.
        diagnosed = {d.sentence for d in extraction.defects}
        for sentence in extraction.claims:
            keys = list(dict.fromkeys(c.key for c in sentence.citations))
            sources = [r.id for c in sentence.citations if (r := resolved[id(c)]) is not None]
            claims.append(
                ClaimReport.model_construct(
                    text=sentence.text,
                    line=sentence.line,
                    column=sentence.column,
                    end_line=sentence.end_line,
                    end_column=sentence.end_column,
                    citations=keys,
                    cited=sentence.cited,
                    sources=list(dict.fromkeys(sources)),
                    verdicts={},
                )
            )
            if not sentence.cited and sentence.text not in diagnosed:
                findings.append(
                    self._finding(
                        RuleId.UNCITED_CLAIM,
                        document.display,
                        sentence.line,
                        sentence.column,
                        "claim cites no source",
                        sentence.text,
                    )
                )
        findings.extend(self._defect_findings(document, extraction))
        findings.extend(self._record_findings(document, own, toml_records, cited_here))
        findings = self._apply_ignores(findings, extraction.ignores, document.display)
        if extraction.ignores:
            usage.ignores[document.display] = extraction.ignores
        cited_count = sum(1 for c in claims if c.cited)
        report = DocumentReport(
            path=document.display,
            format=document.format,
            sha256=document.sha256,
            date=_document_date(extraction),
            claims=claims,
            citations=citation_reports,
            coverage=cited_count / len(claims) if claims else None,
        )
        return report, findings

    def _own_records(
        self, document: Document, references: list[ReferenceEntry]
    ) -> dict[str, SourceRecord]:
        records = {}
        for entry in references:
            line, _ = document.lines.position(entry.offset)
            problem = validate_url(entry.url)
            records[entry.key] = SourceRecord(
                id=f"{document.display}#{entry.key}",
                url=entry.url,
                origin=f"{document.display}:{line}",
                problem=None if problem is None else f"reference {entry.key!r}: {problem}",
                origin_path=document.display,
                origin_line=line,
            )
        return records

    def _resolve(
        self,
        citation: Citation,
        toml_records: dict[str, SourceRecord],
        own: dict[str, SourceRecord],
    ) -> SourceRecord | None:
        key = citation.key
        if citation.kind is CitationKind.KEY:
            return toml_records.get(key) or self.catalog.shared.get(key) or own.get(key)
        if citation.kind is CitationKind.IDENTIFIER:
            record = toml_records.get(key) or self.catalog.shared.get(key)
            if record is not None:
                return record
            return SourceRecord(id=key, url=identifier_url(key), origin="identifier")
        return toml_records.get(key) or own.get(key)

    # -- findings ----------------------------------------------------------------------

    def _finding(
        self,
        rule: RuleId,
        path: str,
        line: int | None,
        column: int | None,
        message: str,
        text: str | None = None,
        source: str | None = None,
    ) -> Finding:
        severity = self.settings.severity_of(rule, RULES[rule].severity)
        return Finding.model_construct(
            rule=rule,
            severity=severity,
            path=path,
            line=line,
            column=column,
            message=message,
            text=text,
            source=source,
        )

    def _error_finding(self, error: InputError) -> Finding:
        return self._finding(
            RuleId.UNREADABLE_DOCUMENT, error.path or "", error.line, None, error.message
        )

    def _unknown(self, document: Document, citation: Citation) -> Finding:
        where = "sources.toml or the document's reference list"
        if citation.kind is CitationKind.KEY:
            where = "sources.toml [sources]"
        if citation.kind is CitationKind.FOOTNOTE:
            where = "a footnote definition"
        return self._finding(
            RuleId.UNKNOWN_CITATION,
            document.display,
            citation.line,
            citation.column,
            f"{citation.marker} cites {citation.key!r}, which has no record in {where}",
            citation.marker,
        )

    def _defect_findings(self, document: Document, extraction: Extraction) -> list[Finding]:
        findings = []
        for defect in extraction.defects:
            if defect.rule is RuleId.STRIPPED_MARKER:
                message = _stripped_message(document.text, defect.offset)
            elif defect.rule is RuleId.EMPTY_CITATION:
                message = f"empty citation {defect.marker}: fill in the source id or remove it"
            else:
                message = f"the text says {defect.marker}: find a source and cite it"
            findings.append(
                self._finding(
                    defect.rule,
                    document.display,
                    defect.line,
                    defect.column,
                    message,
                    defect.sentence,
                )
            )
        return findings

    def _record_findings(
        self,
        document: Document,
        own: dict[str, SourceRecord],
        toml_records: dict[str, SourceRecord],
        cited_here: set[str],
    ) -> list[Finding]:
        findings = [
            self._finding(
                RuleId.INVALID_SOURCE,
                document.display,
                record.origin_line,
                1,
                record.problem or "invalid",
                source=record.id,
            )
            for record in own.values()
            if not record.valid
        ]
        # sources.toml wins over the document's own list for the same key.
        for key, record in {**own, **toml_records}.items():
            if record.id in cited_here or not record.id.startswith(f"{document.display}#"):
                continue  # cited, or an alias of a shared record (judged project-wide)
            findings.append(
                self._finding(
                    RuleId.UNUSED_SOURCE,
                    record.origin_path or document.display,
                    record.origin_line,
                    1,
                    f"source {key!r} of {document.display} is never cited",
                    source=record.id,
                )
            )
        return findings

    def _catalog_findings(self, usage: _Usage, whole_project: bool) -> list[Finding]:
        findings = []
        for error in self.catalog.errors:
            findings.append(
                self._finding(RuleId.INVALID_SOURCE, error.path or "", error.line, 1, error.message)
            )
        if whole_project:
            for source_id, record in self.catalog.shared.items():
                if record.id not in usage.counts:
                    findings.append(
                        self._finding(
                            RuleId.UNUSED_SOURCE,
                            self.catalog.display,
                            record.origin_line,
                            1,
                            f"shared source {source_id!r} is never cited",
                            source=record.id,
                        )
                    )
        return findings

    def _apply_ignores(
        self, findings: list[Finding], directives: list[IgnoreDirective], path: str
    ) -> list[Finding]:
        kept = []
        for finding in findings:
            if any(_silences(d, finding) for d in directives):
                continue
            if any(
                _config_silences(rule, pattern, finding, path)
                for rule, pattern in self._ignore_patterns
            ):
                continue
            kept.append(finding)
        return kept

    def _gather(self, usage: _Usage) -> FetchRun | None:
        if self.evidence.mode is FetchMode.NONE:
            return None
        from provenance.evidence import gather_evidence

        urls = list(
            dict.fromkeys(r.url for r in usage.records.values() if r.valid and r.url is not None)
        )
        return gather_evidence(urls, self.evidence, now=self.clock())

    def _source_findings(self, usage: _Usage, run: FetchRun) -> list[Finding]:
        """A finding at every marker that cites a dead, moved or unverifiable source."""
        findings = []
        for record in usage.records.values():
            result = run.result_for(record.url) if record.url else None
            rule = rule_for(result) if result is not None else None
            if result is None or rule is None:
                continue
            message = source_message(record, result)
            for path, line, column, marker in usage.places.get(record.id, []):
                finding = self._finding(
                    rule, path, line, column, f"{marker} {message}", record.url, record.id
                )
                if self._apply_ignores([finding], usage.ignores.get(path, []), path):
                    findings.append(finding)
        return findings

    def _source_reports(self, usage: _Usage, run: FetchRun | None) -> list[SourceReport]:
        return [
            source_report(
                record,
                usage.counts[record.id],
                run.result_for(record.url) if record.url and run is not None else None,
            )
            for record in sorted(usage.records.values(), key=lambda r: r.id)
        ]


_GAP_RE = re.compile(r"[ \t\u00a0]+([.,;:!?])")


def _stripped_message(text: str, offset: int) -> str:
    """'"kompromat ." has a space before "."...' quoting the words around the gap."""
    line_start = text.rfind("\n", 0, offset) + 1
    words = text[line_start:offset].split()
    gap = _GAP_RE.match(text, offset)
    punct = gap.group(1) if gap else "."
    quoted = f"{words[-1] if words else ''} {punct}"
    return f'"{quoted}" has a space before "{punct}": a citation marker was probably lost there'


def _event_path(item: Path | DocumentError, root: Path) -> str:
    return item.path or "" if isinstance(item, DocumentError) else display_path(item, root)


def _verdicts(usage: _Usage, run: FetchRun) -> dict[str, Verdict | None]:
    verdicts: dict[str, Verdict | None] = {}
    for record in usage.records.values():
        result = run.result_for(record.url) if record.url else None
        verdicts[record.id] = result.verdict if result is not None else None
    return verdicts


def _silences(directive: IgnoreDirective, finding: Finding) -> bool:
    if directive.rules and finding.rule.value not in directive.rules:
        return False
    return directive.whole_file or directive.line == finding.line


def _config_silences(
    rule: IgnoreRule, pattern: re.Pattern[str] | None, finding: Finding, path: str
) -> bool:
    if rule.rule is not None and rule.rule is not finding.rule:
        return False
    if rule.path is not None and not fnmatch.fnmatch(finding.path or path, rule.path):
        return False
    return not (pattern is not None and not pattern.search(finding.text or finding.message))


def _document_date(extraction: Extraction) -> dt.date | None:
    hinted = parse_date(extraction.date_hint)
    if hinted is not None:
        return hinted
    for sentence in extraction.sentences:
        if sentence.role is SentenceRole.DATELINE:
            found = parse_date(sentence.text)
            if found is not None:
                return found
    return None


def _summary(
    documents: list[DocumentReport],
    findings: list[Finding],
    sources: list[SourceReport],
    errors: int,
) -> Summary:
    claims = sum(len(d.claims) for d in documents)
    cited = sum(1 for d in documents for c in d.claims if c.cited)
    per_rule = Counter(f.rule.value for f in findings)
    return Summary(
        documents=len(documents),
        claims=claims,
        cited_claims=cited,
        uncited_claims=claims - cited,
        coverage=cited / claims if claims else None,
        citations=sum(len(d.citations) for d in documents),
        sources=len(sources),
        findings=dict(sorted(per_rule.items())),
        errors=errors,
    )


def run_check(
    specs: list[str],
    *,
    root: Path,
    settings: Settings,
    sources: Path | None = None,
    clock: Callable[[], dt.datetime] = _utcnow,
    on_event: Callable[[CheckEvent], None] | None = None,
    evidence: EvidenceOptions | None = None,
    only: Callable[[str], bool] | None = None,
) -> CheckResult:
    """Check ``specs`` (or, with none, the project's documents) and return the report.

    With no ``specs`` the run covers the whole project: the ``paths`` setting plus
    every document sources.toml names; shared sources nothing cites are then
    reported as unused. ``only`` (a predicate on display paths) narrows the run to
    some of those documents; unused sources are then not reported.
    """
    sources_path = sources if sources is not None else root / settings.sources
    catalog = load_sources(
        sources_path, display=display_path(sources_path, root), required=sources is not None
    )
    whole_project = not specs
    if whole_project:
        specs = list(settings.paths) + sorted(catalog.documents)
        if not specs:
            raise UsageError(
                "no documents to check: give PATHS, set paths in provenance.toml, or list"
                " documents in sources.toml"
            )
    checker = Checker(
        settings, catalog, root=root, clock=clock, on_event=on_event, evidence=evidence
    )
    return checker.run(specs, whole_project=whole_project and only is None, only=only)
