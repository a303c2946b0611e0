"""The check pipeline: documents in, one typed ``Report`` out.

Stages: expand paths → load each document → extract citations and sentences →
resolve citations against sources.toml, the document's own reference list and
self-naming identifiers → findings → summary. Documents are processed one at a
time (memory stays flat however large the corpus); a document that cannot be
read is reported and the rest are still checked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import functools
import itertools
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from provenance import __version__
from provenance.config import IgnoreRule, Settings
from provenance.dates import parse_date
from provenance.documents import Document, expand_paths, load_document, resolve
from provenance.errors import DocumentError, InputError, UsageError
from provenance.evidence import EvidenceOptions, FetchMode
from provenance.extract import Citation, Extraction, ExtractOptions, SentenceRole, extract
from provenance.extract.markers import identifier_url, is_bare_year
from provenance.extract.view import IgnoreDirective, ReferenceEntry
from provenance.fetch.models import Verdict
from provenance.models import (
    CitationKind,
    DocumentReport,
    Finding,
    Report,
    SourceReport,
    Summary,
)
from provenance.rules import RULES, RuleId, Severity
from provenance.sources import (
    SourceCatalog,
    SourceFields,
    SourceRecord,
    load_sources,
    validate_url,
)
from provenance.spool import (
    CitationRow,
    CountSpool,
    DocumentSpool,
    RunSpool,
    build_claim_rows,
    document_json,
)
from provenance.verdicts import (
    fetch_summary,
    record_fields,
    rule_for,
    source_message,
    source_report,
    with_verdicts,
)

if TYPE_CHECKING:
    from provenance.fetch import FetchResult, FetchRun

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


class _Draft(NamedTuple):
    """A finding as the run builds and spools it: ``Finding``'s fields, in its order.

    A plain tuple is cheap to make, sort and spool; the report turns it into a
    ``Finding`` only when one is read.
    """

    rule: RuleId
    severity: Severity
    path: str
    line: int | None
    column: int | None
    message: str
    text: str | None = None
    source: str | None = None
    baselined: bool = False


# Built for every finding: ``tuple.__new__`` without the named tuple's own ``__new__`` (a
# Python function) to call, so every field is given.
_new_draft = functools.partial(tuple.__new__, _Draft)


@dataclass(slots=True)
class _Run:
    """What a run accumulates, one document at a time: spooled, and a tally for the summary."""

    errors: list[InputError]
    documents: DocumentSpool = field(default_factory=DocumentSpool)
    findings: RunSpool[Finding] = field(
        default_factory=lambda: RunSpool(
            _finding_key, _load_finding, _finding_json, _finding_json_text
        )
    )
    sources: RunSpool[SourceReport] = field(
        default_factory=lambda: RunSpool(_source_key, _load_source, _source_json, _source_json_text)
    )
    identifiers: CountSpool = field(default_factory=CountSpool)  # [@doi:...] citations
    claims: int = 0
    cited_claims: int = 0
    citations: int = 0
    per_rule: Counter[str] = field(default_factory=Counter)

    def add_findings(self, findings: list[_Draft]) -> None:
        """Spool ``findings`` as one run (sorted here) and count them."""
        if not findings:
            return
        rows = [(f.path, f.line or 0, f.column or 0, _RULE_VALUES[f.rule], f) for f in findings]
        rows.sort(key=_FINDING_ORDER)
        self.findings.add_run(rows)
        self.per_rule.update(row[3] for row in rows)


@dataclass(slots=True)
class _Usage:
    """Which records were cited, how often and where.

    Without fetching, a document's own records and self-naming identifiers are not
    kept here: the former go to the report's spool with their document, the latter
    to a tally on disk. This holds the shared records of sources.toml.
    """

    spool_local: bool  # a document's own records go to the report with it (no fetching)
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
        self._resolved_root = root.resolve()
        # Directories resolved so far (documents.resolve): a run's documents share a few.
        self._resolved_dirs: dict[Path, Path] = {}
        self.clock = clock
        self.on_event = on_event
        self.options = ExtractOptions(
            boilerplate=tuple(settings.boilerplate),
            citation_needed=tuple(settings.citation_needed) if settings.citation_needed else None,
            min_claim_words=settings.min_claim_words,
        )
        # Looked up for every finding: once per rule here.
        self._severities = {
            rule: settings.severity_of(rule, RULES[rule].severity) for rule in RuleId
        }
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
        # Without fetching, a document's own sources are final when the document is:
        # they go to the report's spool with it. A fetch needs them all at the end.
        usage = _Usage(spool_local=self.evidence.mode is FetchMode.NONE)
        paths = list(expand_paths(specs, base=self.root))
        if only is not None:
            paths = [p for p in paths if isinstance(p, DocumentError) or only(self._display(p))]
        ahead: _Ahead | None = None
        if self.evidence.mode is FetchMode.LIVE and self._plain_evidence():
            # The documents are read inside the fetch run, which takes their URLs as they
            # come: its set-up (and, with evidence.FETCH_WHILE_READING, its first fetches)
            # overlaps the reading, and the report's parts for final results are built
            # while the run waits for its last re-checks.
            ahead = _Ahead(self, usage, state.documents)
            run: FetchRun | None = self._fetch_while_reading(paths, state, usage, ahead)
        else:
            for _ in self._read(paths, state, usage):
                pass
            run = self._gather(usage)
        findings = self._catalog_findings(usage, whole_project)
        documents = state.documents
        if run is not None and ahead is not None:
            ahead.finish(run)
            findings.extend(ahead.source_findings())
            documents = ahead.documents
        elif run is not None:
            findings.extend(self._source_findings(usage, run))
            documents = _with_verdicts(documents, _verdicts(usage, run))
        state.add_findings(findings)  # the last run: after every document's, as before
        sources = state.sources
        sources.add_run([_source_row(r) for r in self._source_reports(usage, run)])
        identifiers = state.identifiers
        sources.add_sorted(len(identifiers), lambda: _identifier_rows(identifiers))
        summary = Summary(
            documents=len(documents),
            claims=state.claims,
            cited_claims=state.cited_claims,
            uncited_claims=state.claims - state.cited_claims,
            coverage=state.cited_claims / state.claims if state.claims else None,
            citations=state.citations,
            sources=len(sources),
            findings=dict(sorted(state.per_rule.items())),
            errors=len(state.errors),
        )
        # model_construct: the parts are spooled sequences, built and typed here.
        full_report = Report.model_construct(
            tool_version=__version__,
            generated_at=self.clock(),
            summary=summary,
            documents=documents,
            sources=sources,
            findings=state.findings,
            fetch=fetch_summary(self.evidence.mode, run, list(sources) if run else []),
        )
        return CheckResult(report=full_report, errors=state.errors, catalog=self.catalog, fetch=run)

    def _read(
        self, paths: list[Path | DocumentError], state: _Run, usage: _Usage
    ) -> Iterator[None]:
        """Read and check the documents, one per step."""
        for done, item in enumerate(paths, start=1):
            self._one(item, state, usage)
            if self.on_event is not None:
                self.on_event(CheckEvent(_event_path(item, self.root), done, len(paths)))
            yield None

    def _plain_evidence(self) -> bool:
        """Whether evidence is gathered and judged as here (a subclass doing it its own
        way, the audit, reads every document first and builds the report after)."""
        return all(
            getattr(type(self), name) is getattr(Checker, name)
            for name in ("_gather", "_source_findings", "_source_reports")
        )

    def _fetch_while_reading(
        self, paths: list[Path | DocumentError], state: _Run, usage: _Usage, ahead: _Ahead
    ) -> FetchRun:
        """Read the documents as ``_read`` does inside the fetch run of the URLs they cite."""
        from provenance.evidence import UrlBatches, gather_evidence

        told = self.evidence.on_settled
        if told is None:
            on_settled = ahead.settled
        else:

            def on_settled(chunk: list[tuple[str, FetchResult]]) -> None:
                ahead.settled(chunk)
                told(chunk)

        return gather_evidence(
            UrlBatches(_new_urls(self._read(paths, state, usage), usage)),
            dataclasses.replace(self.evidence, on_settled=on_settled),
            now=self.clock(),
        )

    # -- one document ------------------------------------------------------------------

    def _display(self, path: Path) -> str:
        """``display_path(path, self.root)``, the root resolved once for the run."""
        resolved = resolve(path, self._resolved_dirs)
        try:
            return resolved.relative_to(self._resolved_root).as_posix()
        except ValueError:
            return resolved.as_posix()

    def _one(self, item: Path | DocumentError, state: _Run, usage: _Usage) -> None:
        """Load and check one document, or record why it could not be read."""
        if isinstance(item, DocumentError):
            state.errors.append(item)
            state.add_findings([self._error_finding(item)])
            return
        display = self._display(item)
        try:
            document = load_document(
                item,
                display,
                max_bytes=self.settings.max_document_bytes,
                root=self.root,
                resolved=self._resolved_dirs,
            )
        except DocumentError as exc:
            state.errors.append(exc)
            state.add_findings([self._error_finding(exc)])
            return
        self._check_document(document, state, usage)

    def _check_document(self, document: Document, state: _Run, usage: _Usage) -> None:
        """Check one document and spool what the report says about it."""
        extraction = extract(document, self.options)
        own = self._own_records(document, extraction.references)
        toml_records = self.catalog.for_document(document.display)
        display = document.display
        local_prefix = f"{display}#"
        shared = self.catalog.shared
        findings: list[_Draft] = []
        cited_here: set[str] = set()
        local_counts: Counter[str] = Counter()
        local_records: dict[str, SourceRecord] = {}
        identifiers: list[str] = []
        citation_rows: list[CitationRow] = []
        resolved: dict[int, str | None] = {}
        years: set[int] = set()  # "[2020]" with no record of that id: not citations
        spool_local = usage.spool_local
        keep_places = not spool_local
        numeric, footnote = CitationKind.NUMERIC, CitationKind.FOOTNOTE
        # Bound once: this loop runs for every citation of the run.
        toml_get, own_get = toml_records.get, own.get
        counts, records, places = usage.counts, usage.records, usage.places
        add_row, add_cited = citation_rows.append, cited_here.add
        kind_values = _KIND_VALUES
        for citation in extraction.citations:
            kind = citation.kind
            key = citation.key
            if kind is numeric or kind is footnote:  # the usual kinds: _resolve, inlined
                record = toml_get(key) or own_get(key)
            else:
                record = self._resolve(citation, toml_records, own)
            if record is None and kind is numeric and is_bare_year(citation.marker):
                years.add(id(citation))
                continue
            source_id = record.id if record is not None else None
            resolved[id(citation)] = source_id
            # Plain tuples in the report's field order, written once per document (see
            # spool.document_json): a pydantic model per citation cost a fifth of a run.
            add_row(
                (
                    key,
                    kind_values[kind],
                    citation.marker,
                    citation.line,
                    citation.column,
                    source_id,
                    citation.locator,
                )
            )
            if record is None:
                findings.append(self._unknown(document, citation))
                continue
            record_id = record.id
            add_cited(record_id)
            if spool_local:
                if record_id.startswith(local_prefix) and record_id not in shared:
                    local_counts[record_id] += 1
                    local_records[record_id] = record
                    continue
                if record.origin == _IDENTIFIER:
                    identifiers.append(record_id)  # counted on disk: one per distinct identifier
                    continue
            counts[record_id] += 1
            records[record_id] = record
            if keep_places:
                places.setdefault(record_id, []).append(
                    (display, citation.line, citation.column, citation.marker)
                )
        # A sentence with a stripped marker, [] or [citation needed] already has a more
        # specific finding; "uncited-claim" would say the same thing twice.
        diagnosed = {d.sentence for d in extraction.defects}
        uncited_rule = RuleId.UNCITED_CLAIM
        claim_rows, cited_count, uncited = build_claim_rows(
            extraction.claims,
            resolved,
            years,
            diagnosed,
            _Draft,
            (uncited_rule, self._severities[uncited_rule], display, "claim cites no source"),
        )
        findings.extend(uncited)  # type: ignore[arg-type]  # _Draft tuples
        findings.extend(self._defect_findings(document, extraction))
        findings.extend(self._record_findings(document, own, toml_records, cited_here))
        findings = self._apply_ignores(findings, extraction.ignores, display)
        if extraction.ignores and keep_places:
            usage.ignores[display] = extraction.ignores
        claims = len(claim_rows)
        state.documents.append_json(
            document_json(
                path=display,
                format=document.format.value,
                sha256=document.sha256,
                date=_document_date(extraction),
                claims=claim_rows,
                citations=citation_rows,
                coverage=cited_count / claims if claims else None,
            )
        )
        state.claims += claims
        state.cited_claims += cited_count
        state.citations += len(citation_rows)
        state.add_findings(findings)
        state.identifiers.add(identifiers)
        if local_records:
            state.sources.add_run(
                [
                    _local_source_row(record, local_counts[record_id])
                    for record_id, record in sorted(local_records.items())
                ]
            )

    def _own_records(
        self, document: Document, references: list[ReferenceEntry]
    ) -> dict[str, SourceRecord]:
        records = {}
        for entry in references:
            line, _ = document.lines.position(entry.offset)
            problem = _url_problem(entry.url)
            records[entry.key] = SourceRecord(
                id=f"{document.display}#{entry.key}",
                url=entry.url,
                origin=f"{document.display}:{line}",
                fields=_NO_FIELDS,
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
            return SourceRecord(
                id=key, url=identifier_url(key), origin=_IDENTIFIER, fields=_NO_FIELDS
            )
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
    ) -> _Draft:
        return _new_draft(
            (rule, self._severities[rule], path, line, column, message, text, source, False)
        )

    def _error_finding(self, error: InputError) -> _Draft:
        return self._finding(
            RuleId.UNREADABLE_DOCUMENT, error.path or "", error.line, None, error.message
        )

    def _unknown(self, document: Document, citation: Citation) -> _Draft:
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

    def _defect_findings(self, document: Document, extraction: Extraction) -> list[_Draft]:
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
    ) -> list[_Draft]:
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

    def _catalog_findings(self, usage: _Usage, whole_project: bool) -> list[_Draft]:
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
        self, findings: list[_Draft], directives: list[IgnoreDirective], path: str
    ) -> list[_Draft]:
        if not directives and not self._ignore_patterns:
            return findings  # the usual document: nothing silences anything
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

        return gather_evidence(_fetched_urls(usage), self.evidence, now=self.clock())

    def _source_findings(self, usage: _Usage, run: FetchRun) -> list[_Draft]:
        """A finding at every marker that cites a dead, moved or unverifiable source."""
        findings = []
        for record in usage.records.values():
            result = run.result_for(record.url) if record.url else None
            findings.extend(self._findings_of(usage, record, result))
        return findings

    def _findings_of(
        self, usage: _Usage, record: SourceRecord, result: FetchResult | None
    ) -> list[_Draft]:
        """``_source_findings`` of one record, given its result."""
        rule = rule_for(result) if result is not None else None
        if result is None or rule is None:
            return []
        findings = []
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


def _fetched_urls(usage: _Usage) -> list[str]:
    """The distinct URLs of the valid records cited, in the order first cited."""
    return list(
        dict.fromkeys(r.url for r in usage.records.values() if r.valid and r.url is not None)
    )


def _new_urls(steps: Iterator[None], usage: _Usage) -> Iterator[list[str]]:
    """After each step (a document read), the URLs of the records first cited in it (what
    ``_fetched_urls`` would add), then any the end of the run adds."""
    seen: set[str] = set()
    looked_at = 0  # records looked at so far: a dict keeps its keys in insertion order
    records = usage.records
    for _ in steps:
        batch = []
        if len(records) > looked_at:
            for record in itertools.islice(records.values(), looked_at, None):
                url = record.url
                if url is not None and record.valid and url not in seen:
                    seen.add(url)
                    batch.append(url)
            looked_at = len(records)
        yield batch
    # A record id cited again later with another record (not one the catalog makes):
    # whatever the final records cite that was not taken yet.
    yield [url for url in _fetched_urls(usage) if url not in seen]


def _verdicts(usage: _Usage, run: FetchRun) -> dict[str, Verdict | None]:
    verdicts: dict[str, Verdict | None] = {}
    for record in usage.records.values():
        result = run.result_for(record.url) if record.url else None
        verdicts[record.id] = result.verdict if result is not None else None
    return verdicts


def _silences(directive: IgnoreDirective, finding: _Draft) -> bool:
    if directive.rules and finding.rule.value not in directive.rules:
        return False
    return directive.whole_file or directive.line == finding.line


def _config_silences(
    rule: IgnoreRule, pattern: re.Pattern[str] | None, finding: _Draft, path: str
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


def _with_verdicts(documents: DocumentSpool, verdicts: dict[str, Verdict | None]) -> DocumentSpool:
    """The documents again, every claim with the verdicts of the sources it cites."""
    updated = DocumentSpool()
    for document in documents:
        _append_with_verdicts(updated, document, verdicts)
    return updated


def _append_with_verdicts(
    spool: DocumentSpool, document: DocumentReport, verdicts: dict[str, Verdict | None]
) -> None:
    """Spool ``document`` with every claim given the verdicts of the sources it cites."""
    (with_verdict,) = with_verdicts([document], verdicts)
    # Strings hold no raw line break: every one starts a line of the structure.
    raw = with_verdict.model_dump_json(indent=2).encode("utf-8")
    spool.append_json(b"    " + raw.replace(b"\n", b"\n    "))


class _Ahead:
    """The report's parts for fetched sources, built as their results become final.

    The fetch run tells ``settled`` which results are final, a chunk at a time, while it
    waits for its last re-checks (the event loop runs between chunks): every record
    citing those URLs then gets its findings, and the documents, in order and as far as
    every source each one's claims cite is final, get their claims' verdicts (spooled, so
    memory stays flat). ``finish`` builds what is left once the run is over; what it
    gives is what ``_source_findings`` and ``_with_verdicts`` would. The sources' entries
    are built after the run, as before: held here, 18,800 of them added 30 MiB to the
    run's peak memory, for ~40 ms.
    """

    def __init__(self, checker: Checker, usage: _Usage, documents: DocumentSpool) -> None:
        self._checker = checker
        self._usage = usage
        self._read = documents  # as read, without verdicts
        self.documents = DocumentSpool()  # with verdicts: a prefix of the documents read
        self._next: DocumentReport | None = None  # the first document not spooled yet
        self._records: dict[str, list[SourceRecord]] | None = None  # by normalised URL
        self._verdicts: dict[str, Verdict | None] = {}  # record id -> final verdict
        self._findings: dict[str, list[_Draft]] = {}  # record id -> findings, if any

    def settled(self, chunk: list[tuple[str, FetchResult]]) -> None:
        """The results in ``chunk`` (normalised URL, result) are final."""
        records = self._records if self._records is not None else self._start()
        for url, result in chunk:
            for record in records.get(url, ()):
                self._settle(record, result)
        self._advance()

    def finish(self, run: FetchRun) -> None:
        """The run is over: whatever ``settled`` was not told, from ``run``."""
        for record in self._usage.records.values():
            if record.id not in self._verdicts:
                self._settle(record, run.result_for(record.url) if record.url else None)
        self._advance(every=True)

    def source_findings(self) -> list[_Draft]:
        """``Checker._source_findings``: in the records' order."""
        findings = self._findings
        return [f for record_id in self._usage.records for f in findings.get(record_id, ())]

    def _start(self) -> dict[str, list[SourceRecord]]:
        """Every record by the normalised URL whose result it takes (every document has
        been read: the first pass, which takes them all, is over). A record whose URL is
        not fetched (none, or only invalid records cite it) is final now."""
        from provenance.fetch.urls import normalize_url

        fetched = {normalize_url(url) for url in _fetched_urls(self._usage)}
        records: dict[str, list[SourceRecord]] = {}
        for record in self._usage.records.values():
            key = normalize_url(record.url) if record.url else None
            if key is not None and key in fetched:
                records.setdefault(key, []).append(record)
            else:
                self._settle(record, None)
        self._records = records
        return records

    def _settle(self, record: SourceRecord, result: FetchResult | None) -> None:
        self._verdicts[record.id] = result.verdict if result is not None else None
        findings = self._checker._findings_of(self._usage, record, result)
        if findings:
            self._findings[record.id] = findings

    def _advance(self, *, every: bool = False) -> None:
        """Spool the documents whose claims' sources are all final, in order (``every``
        document: a source no record names has no verdict, as in ``_with_verdicts``)."""
        verdicts, read, spooled = self._verdicts, self._read, self.documents
        while self._next is not None or len(spooled) < len(read):
            document = self._next if self._next is not None else read[len(spooled)]
            if not every and any(
                s not in verdicts for claim in document.claims for s in claim.sources
            ):
                self._next = document  # kept until its sources are final
                return
            self._next = None
            _append_with_verdicts(spooled, document, verdicts)


def _url_problem(url: str | None) -> str | None:
    """``validate_url``, with the common case ("https://host/...") decided without parsing.

    A plain ASCII http(s) URL whose host starts with a letter or digit and with no
    ":" before its path (so no port to parse) has a scheme and a host; anything else
    goes through ``validate_url``.
    """
    if url is not None and url.isascii() and "[" not in url and "]" not in url:
        for scheme in ("https://", "http://"):
            if url.startswith(scheme):
                rest = url[len(scheme) :]
                if rest[:1].isalnum() and ":" not in rest.partition("/")[0]:
                    return None
                break
    return validate_url(url)


def _finding_key(row: tuple[Any, ...]) -> tuple[str, int, int, str]:
    """Rows are ``(path, line or 0, column or 0, rule, fields)``: ``Finding.sort_key``."""
    return row[0], row[1], row[2], row[3]


def _load_finding(row: tuple[Any, ...]) -> Finding:
    return Finding.model_construct(**row[4]._asdict())


def _finding_json(row: tuple[Any, ...]) -> dict[str, Any]:
    """What ``Finding`` serialises to (its severity by name), from the row."""
    draft: _Draft = row[4]
    fields = draft._asdict()
    fields["severity"] = draft.severity.label
    return fields


def _finding_json_text(row: tuple[Any, ...]) -> str:
    """``Finding``'s JSON in the report's findings array, from the row (every finding of a
    run is written: one f-string each rather than a dict of its fields to serialise)."""
    rule, severity, path, line, column, message, text, source, baselined = row[4]
    return (
        f'    {{\n      "rule": {_escape(rule)},\n      "severity": {_escape(severity.label)},\n'
        f'      "path": {_escape(path)},\n      "line": {"null" if line is None else line},\n'
        f'      "column": {"null" if column is None else column},\n'
        f'      "message": {_escape(message)},\n'
        f'      "text": {"null" if text is None else _escape(text)},\n'
        f'      "source": {"null" if source is None else _escape(source)},\n'
        f'      "baselined": {"true" if baselined else "false"}\n    }}'
    )


def _source_row(source: SourceReport) -> tuple[Any, ...]:
    return (source.id, source)


_IDENTIFIER = "identifier"  # the origin of a record an identifier key names by itself
# The fields of a record that has none but its URL (a document's own, an identifier's):
# one frozen model shared by all of them, not one built for each.
_NO_FIELDS = SourceFields.model_construct()  # == SourceFields(), without building a validator
# Looked up for every citation and finding: an enum's .value is a property, a call each time.
_KIND_VALUES = {kind: kind.value for kind in CitationKind}
_RULE_VALUES = {rule: rule.value for rule in RuleId}
# _finding_key, in C: the sort key of every finding row.
_FINDING_ORDER = operator.itemgetter(0, 1, 2, 3)


def _identifier_rows(identifiers: CountSpool) -> Iterator[tuple[Any, ...]]:
    """The sources' rows of the identifiers cited, by id: what ``_local_source_row`` gives."""
    for key, count in identifiers.items():
        fields = {
            "id": key,
            "url": identifier_url(key),
            "title": None,
            "origin": _IDENTIFIER,
            "cited_by": count,
            "valid": True,
        }
        yield (key, fields)


def _local_source_row(record: SourceRecord, cited_by: int) -> tuple[Any, ...]:
    """A document's own record, unfetched: what ``source_report`` gives, as plain fields."""
    return (record.id, record_fields(record, cited_by))


def _source_key(row: tuple[Any, ...]) -> str:
    return str(row[0])


def _source_json(row: tuple[Any, ...]) -> dict[str, Any]:
    """What ``SourceReport`` serialises to, from the row."""
    value = row[1]
    if isinstance(value, SourceReport):
        return value.model_dump(mode="json")
    fields = {**_source_defaults(), **value}
    for name in _source_omitted():
        if fields[name] is None:
            del fields[name]
    return fields


# The fields a record gives its report entry before anything is fetched
# (verdicts.record_fields), in ``SourceReport``'s order.
_RECORD_FIELDS = ("id", "url", "title", "origin", "cited_by", "valid")


def _source_json_text(row: tuple[Any, ...]) -> str | None:
    """An unfetched record's ``SourceReport`` JSON, from its row's plain fields (a
    document's own record or an identifier's: thousands in a large run); None for any
    other row."""
    value = row[1]
    tail = _source_tail()
    if type(value) is not dict or tail is None or tuple(value) != _RECORD_FIELDS:
        return None
    url, title, cited_by = value["url"], value["title"], value["cited_by"]
    if type(cited_by) is not int or type(value["valid"]) is not bool:
        return None
    return (
        f'    {{\n      "id": {_escape(value["id"])},\n'
        f'      "url": {"null" if url is None else _escape(url)},\n'
        f'      "title": {"null" if title is None else _escape(title)},\n'
        f'      "origin": {_escape(value["origin"])},\n      "cited_by": {cited_by},\n'
        f'      "valid": {"true" if value["valid"] else "false"},\n{tail}\n    }}'
    )


@functools.cache
def _source_tail() -> str | None:
    """The JSON of ``SourceReport``'s fields after a record's own, all at their defaults
    (what fetching would fill in); None if a default is not a plain null or empty list."""
    lines = []
    omitted = _source_omitted()
    for name, default in _source_defaults().items():
        if name in _RECORD_FIELDS or (name in omitted and default is None):
            continue
        if default is None:
            lines.append(f'      "{name}": null')
        elif default == [] and type(default) is list:
            lines.append(f'      "{name}": []')
        else:
            return None
    return ",\n".join(lines)


def _load_source(row: tuple[Any, ...]) -> SourceReport:
    value = row[1]
    if isinstance(value, SourceReport):
        return value
    # Every field given: model_construct would otherwise look at each default factory's
    # signature again for every record.
    return SourceReport.model_construct(**{**_source_defaults(), **value})


@functools.cache
def _source_defaults() -> dict[str, Any]:
    """Every field of ``SourceReport`` in order, optional ones at their default (shared: the
    model is frozen), required ones None until given."""
    return {
        name: None if info.is_required() else info.get_default(call_default_factory=True)
        for name, info in SourceReport.model_fields.items()
    }


@functools.cache
def _source_omitted() -> tuple[str, ...]:
    """The fields of ``SourceReport`` its JSON leaves out when they are absent (the audit's)."""
    return tuple(
        name for name, info in SourceReport.model_fields.items() if info.exclude_if is not None
    )


def _summary(
    documents: Sequence[DocumentReport],
    findings: Sequence[Finding],
    sources: Sequence[SourceReport],
    errors: int,
) -> Summary:
    """The summary of a report's parts, counted from them (a run tallies its own as it goes)."""
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
    catalog, specs, whole_project = load_project(specs, root, settings, sources, verb="check")
    checker = Checker(
        settings, catalog, root=root, clock=clock, on_event=on_event, evidence=evidence
    )
    return checker.run(specs, whole_project=whole_project and only is None, only=only)


def load_project(
    specs: list[str], root: Path, settings: Settings, sources: Path | None, *, verb: str
) -> tuple[SourceCatalog, list[str], bool]:
    """The source catalog, the documents to read and whether that is the whole project.

    With no ``specs`` the run covers the whole project: the ``paths`` setting plus
    every document sources.toml names. ``verb`` names the command in the error
    raised when there is nothing to read.
    """
    sources_path = sources if sources is not None else root / settings.sources
    catalog = load_sources(
        sources_path, display=display_path(sources_path, root), required=sources is not None
    )
    if specs:
        return catalog, specs, False
    specs = list(settings.paths) + sorted(catalog.documents)
    if not specs:
        raise UsageError(
            f"no documents to {verb}: give PATHS, set paths in provenance.toml, or list"
            " documents in sources.toml"
        )
    return catalog, specs, True
