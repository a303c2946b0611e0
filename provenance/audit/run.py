"""``provenance audit``: re-check cited sources against the archive, and say what rotted.

The check pipeline runs as for ``provenance check`` (documents, citations,
claims, sources), with every due source fetched fresh and archived. Then, per
source: the observation joins the audit history in the archive index and the
rot state follows from that history (``provenance.audit.rot``); the as-cited
snapshot is chosen (``provenance.audit.ascited``) and compared with the latest
one (drift, quotes); every claim citing it gets its best supporting passage;
dead and drifted sources get replacements (``provenance.audit.replacements``).
The text comparisons themselves are ``provenance.compare``'s.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from provenance.audit.ascited import AsCited, citation_date, select_as_cited
from provenance.audit.replacements import (
    DEFAULT_WAYBACK_API,
    ArchiveCopy,
    WriteBack,
    lookup_wayback,
    wayback_url,
    write_archive_urls,
)
from provenance.audit.rot import RotAssessment, RotPolicy, assess_rot
from provenance.check import Checker, CheckEvent, display_path, load_project
from provenance.compare import (
    DEFAULT_DRIFT_THRESHOLD,
    DEFAULT_SUPPORT_THRESHOLD,
    Scorer,
    best_support,
    compare_text,
    find_quote,
)
from provenance.config import Settings
from provenance.errors import DocumentError, InputError, UsageError
from provenance.evidence import EvidenceOptions, FetchMode, gather_evidence, result_from_snapshot
from provenance.fetch.models import FetchResult
from provenance.fetch.urls import normalize_url
from provenance.models import (
    AuditSummary,
    DriftReport,
    QuoteReport,
    ReplacementReport,
    Report,
    RotCheck,
    SourceAudit,
    SourceReport,
    Support,
)
from provenance.rules import RuleId
from provenance.sources import SourceCatalog, SourceRecord
from provenance.verdicts import rule_for, source_message

if TYPE_CHECKING:
    from provenance.archive import AuditCheck, Snapshot, SnapshotStore
    from provenance.check import _Draft, _Run, _Usage
    from provenance.fetch import FetchRun

__all__ = ["AuditOptions", "AuditResult", "run_audit"]

_PASSAGE_CHARS = 300
_SUMMARY_ITEMS = 2


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class AuditOptions:
    """What an audit judges by, and what it may do besides reporting.

    ``due_days``: only sources whose last audit is older than this are fetched
    (None: all). ``scorer``: the support scorer (None: ``provenance.compare``'s
    default, BM25). ``wayback_lookup`` asks the Web Archive's availability API
    (at ``wayback_api``) for the capture nearest each as-cited date;
    ``write_archive_urls`` records replacements in sources.toml.
    """

    policy: RotPolicy = field(default_factory=RotPolicy)
    due_days: float | None = None
    drift_threshold: float = DEFAULT_DRIFT_THRESHOLD
    support_threshold: float = DEFAULT_SUPPORT_THRESHOLD
    scorer: Scorer | None = None
    wayback_lookup: bool = False
    wayback_api: str = DEFAULT_WAYBACK_API
    write_archive_urls: bool = False


@dataclass(slots=True)
class AuditResult:
    """The report (with its audit section), input errors, and what was written back."""

    report: Report
    errors: list[InputError]
    catalog: SourceCatalog
    write_back: WriteBack | None = None


@dataclass(slots=True)
class _Judged:
    """One source as the audit judged it."""

    record: SourceRecord
    audit: SourceAudit
    copy: ArchiveCopy | None = None


class _AuditChecker(Checker):
    """The check pipeline with the audit's evidence gathering and source findings."""

    def __init__(
        self,
        settings: Settings,
        catalog: SourceCatalog,
        *,
        root: Path,
        clock: Callable[[], dt.datetime],
        on_event: Callable[[CheckEvent], None] | None,
        evidence: EvidenceOptions,
        options: AuditOptions,
    ) -> None:
        super().__init__(
            settings, catalog, root=root, clock=clock, on_event=on_event, evidence=evidence
        )
        self.audit_options = options
        self.now = clock()
        self.judged: dict[str, _Judged] = {}
        self.support: dict[tuple[str, int], list[Support]] = {}
        self.checked: set[str] = set()
        self._state: _Run | None = None
        self._texts: dict[str, str | None] = {}
        assert evidence.archive_dir is not None  # run_audit insists
        self.archive_dir = evidence.archive_dir

    # -- the pipeline's hooks ----------------------------------------------------------

    def _one(self, item: Path | DocumentError, state: _Run, usage: _Usage) -> None:
        self._state = state  # the documents read so far: their dates and claims
        super()._one(item, state, usage)

    def _gather(self, usage: _Usage) -> FetchRun | None:
        """Fetch the due sources fresh; answer for the others from the archive."""
        from provenance.archive import SnapshotStore
        from provenance.fetch import FetchRun

        urls = list(
            dict.fromkeys(r.url for r in usage.records.values() if r.valid and r.url is not None)
        )
        with SnapshotStore(self.archive_dir) as store:
            due, remembered = self._split_due(store, urls)
        fetched = gather_evidence(due, self.evidence, now=self.now)
        results = dict(remembered)
        results.update(fetched.results)
        self.checked = set(fetched.results) if self.evidence.mode is FetchMode.LIVE else set()
        run = FetchRun(
            results={normalize_url(u): results[normalize_url(u)] for u in urls},
            offline=fetched.offline,
            requests=fetched.requests,
            cache_hits=fetched.cache_hits,
        )
        with SnapshotStore(self.archive_dir) as store:
            if self.checked:
                store.record_audit([_observation(run.results[k], self.now) for k in self.checked])
            self._judge_all(store, usage, run)
        return run

    def _split_due(
        self, store: SnapshotStore, urls: list[str]
    ) -> tuple[list[str], dict[str, FetchResult]]:
        days = self.audit_options.due_days
        if days is None or self.evidence.mode is not FetchMode.LIVE:
            return urls, {}
        due: list[str] = []
        remembered: dict[str, FetchResult] = {}
        for url in urls:
            checks = [c for c in store.audits(url) if not c.offline]
            latest = store.latest(url)
            fresh = checks and self.now - checks[-1].checked_at < dt.timedelta(days=days)
            if fresh and latest is not None:
                remembered[normalize_url(url)] = result_from_snapshot(url, latest)
            else:
                due.append(url)
        return due, remembered

    def _source_findings(self, usage: _Usage, run: FetchRun) -> list[_Draft]:
        """Findings at every marker of a failing, moved or drifted source, and the rest."""
        findings: list[_Draft] = []
        for record in usage.records.values():
            judged = self.judged.get(record.id)
            result = run.result_for(record.url) if record.url else None
            for rule, message in self._marker_findings(record, judged, result):
                for path, line, column, marker in usage.places.get(record.id, []):
                    finding = self._finding(
                        rule, path, line, column, f"{marker} {message}", record.url, record.id
                    )
                    if self._apply_ignores([finding], usage.ignores.get(path, []), path):
                        findings.append(finding)
            if judged is not None:
                findings.extend(self._quote_findings(record, judged.audit))
        findings.extend(self._support_findings(usage))
        return findings

    def _source_reports(self, usage: _Usage, run: FetchRun | None) -> list[SourceReport]:
        reports = super()._source_reports(usage, run)
        return [
            report.model_copy(update={"audit": self.judged[report.id].audit})
            if report.id in self.judged
            else report
            for report in reports
        ]

    # -- judging -----------------------------------------------------------------------

    def _judge_all(self, store: SnapshotStore, usage: _Usage, run: FetchRun) -> None:
        assert self._state is not None or not usage.records
        # sources.toml's [documents."x"] date, said on purpose, wins over a date read from
        # the document itself.
        documents = self._state.documents if self._state else []
        dates = {d.path: self.catalog.dates.get(d.path, d.date) for d in documents}
        for record in usage.records.values():
            if not record.valid or record.url is None:
                continue
            history = store.history(record.url)
            checks = store.audits(record.url)
            rot = assess_rot(checks, self.audit_options.policy)
            citing = {p for p, *_ in usage.places.get(record.id, [])}
            as_cited = self._as_cited(record, history, [dates.get(p) for p in sorted(citing)])
            latest = history[-1] if history else None
            checked = normalize_url(record.url) in self.checked
            audit = self._source_audit(store, record, rot, checks, as_cited, latest, checked)
            self.judged[record.id] = _Judged(record, audit)
        self._score_support(store, usage, dates)
        self._replace(usage)

    def _as_cited(
        self,
        record: SourceRecord,
        history: list[Snapshot],
        document_dates: Iterable[dt.date | None],
    ) -> AsCited | None:
        """The as-cited snapshot for the earliest citation of ``record``."""
        known = [d for d in document_dates if d is not None]
        date, basis = citation_date(record.fields.accessed, min(known) if known else None)
        return select_as_cited(history, date, basis)

    def _text(self, store: SnapshotStore, snapshot: Snapshot | None) -> str | None:
        if snapshot is None or snapshot.text_path is None or not snapshot.verdict.is_alive:
            return None
        key = snapshot.digest or snapshot.text_path
        if key not in self._texts:
            self._texts[key] = store.text(snapshot)
        return self._texts[key]

    def _source_audit(
        self,
        store: SnapshotStore,
        record: SourceRecord,
        rot: RotAssessment,
        checks: list[AuditCheck],
        as_cited: AsCited | None,
        latest: Snapshot | None,
        checked: bool,
    ) -> SourceAudit:
        before = self._text(store, as_cited.snapshot if as_cited else None)
        after = self._text(store, latest)
        drift = None
        if before is not None and after is not None:
            if (
                as_cited is not None
                and latest is not None
                and as_cited.snapshot.digest == (latest.digest)
            ):
                drift = DriftReport(similarity=1.0, drifted=False)
            else:
                compared = compare_text(before, after)
                drift = DriftReport(
                    similarity=compared.similarity,
                    drifted=compared.drifted(self.audit_options.drift_threshold),
                    removed=list(compared.removed[:_SUMMARY_ITEMS]),
                    added=list(compared.added[:_SUMMARY_ITEMS]),
                )
        return SourceAudit(
            state=rot.state,
            checked=checked,
            history=[
                RotCheck(
                    checked_at=c.checked_at,
                    verdict=c.verdict,
                    reason=c.reason,
                    http_status=c.http_status,
                    offline=c.offline,
                )
                for c in checks
            ],
            failures=len(rot.counted),
            failures_needed=rot.needed,
            failing_since=rot.failing_since,
            last_alive=rot.last_alive,
            as_cited_at=as_cited.snapshot.captured_at if as_cited else None,
            as_cited_digest=as_cited.snapshot.digest if as_cited else None,
            as_cited_basis=as_cited.basis if as_cited else None,
            as_cited_date=as_cited.date if as_cited else None,
            latest_at=latest.captured_at if latest else None,
            latest_digest=latest.digest if latest and latest.verdict.is_alive else None,
            drift=drift,
            quotes=[_quote_report(q, before, after) for q in _quotes(record)],
        )

    def _score_support(
        self, store: SnapshotStore, usage: _Usage, dates: dict[str, dt.date | None]
    ) -> None:
        """The best passage of each cited source for each claim citing it."""
        if self._state is None:
            return
        scores: dict[str, list[float]] = {}
        weak: Counter[str] = Counter()
        history_of: dict[str, list[Snapshot]] = {}
        for document in self._state.documents:
            for index, claim in enumerate(document.claims):
                supports = []
                for source_id in claim.sources:
                    record = usage.records.get(source_id)
                    if record is None or not record.valid or record.url is None:
                        continue
                    if record.url not in history_of:
                        history_of[record.url] = store.history(record.url)
                    date, basis = citation_date(record.fields.accessed, dates.get(document.path))
                    chosen = select_as_cited(history_of[record.url], date, basis)
                    text = self._text(store, chosen.snapshot if chosen else None)
                    if text is None:
                        continue
                    match = best_support(claim.text, text, self.audit_options.scorer)
                    if match is None:
                        continue
                    is_weak = match.score < self.audit_options.support_threshold
                    supports.append(
                        Support(
                            source=source_id,
                            score=round(match.score, 4),
                            weak=is_weak,
                            passage=_clip(match.passage.text),
                            scorer=match.scorer,
                            snapshot=chosen.snapshot.digest if chosen else None,
                        )
                    )
                    scores.setdefault(source_id, []).append(round(match.score, 4))
                    weak[source_id] += is_weak
                if supports:
                    self.support[(document.path, index)] = supports
        for source_id, judged in self.judged.items():
            judged.audit = judged.audit.model_copy(
                update={"support": scores.get(source_id, []), "weak_claims": weak[source_id]}
            )

    def _replace(self, usage: _Usage) -> None:
        """A replacement for every dead or drifted source (looked up when asked).

        A record with its own ``archived_url`` keeps it; the others get a Web Archive
        URL for the as-cited moment, or the nearest capture the lookup API knows.
        """
        wanted: list[tuple[str, dt.datetime]] = []
        for judged in self.judged.values():
            audit, record = judged.audit, judged.record
            drifted = audit.drift is not None and audit.drift.drifted
            removed = any(_removed(q) for q in audit.quotes)
            if record.url is None or not (audit.state.is_dead or drifted or removed):
                continue
            moment = _moment(audit, self.now)
            chosen = _chosen_copy(record, moment)
            if chosen is not None:  # the record names its archived copy: that one stands
                judged.copy = chosen
                continue
            wanted.append((record.url, moment))
            judged.copy = ArchiveCopy(wayback_url(record.url, moment), moment)
        found: dict[str, ArchiveCopy | None] = {}
        if self.audit_options.wayback_lookup and wanted:
            found = lookup_wayback(
                wanted,
                self.evidence.fetch,
                api=self.audit_options.wayback_api,
                transport=self.evidence.transport,
            )
        for judged in self.judged.values():
            if judged.copy is None or judged.record.url is None:
                continue
            judged.copy = found.get(judged.record.url) or judged.copy
            digest = judged.audit.as_cited_digest
            judged.audit = judged.audit.model_copy(
                update={
                    "replacement": ReplacementReport(
                        snapshot=digest,
                        snapshot_at=judged.audit.as_cited_at,
                        show=f"provenance show {digest}" if digest else None,
                        archive_url=judged.copy.url,
                        archive_at=judged.copy.captured_at,
                        confirmed=judged.copy.confirmed,
                    )
                }
            )

    # -- findings ----------------------------------------------------------------------

    def _marker_findings(
        self, record: SourceRecord, judged: _Judged | None, result: FetchResult | None
    ) -> list[tuple[RuleId, str]]:
        found: list[tuple[RuleId, str]] = []
        rule = rule_for(result) if result is not None else None
        if judged is None:
            if result is not None and rule is not None:
                found.append((rule, source_message(record, result)))
            return found
        audit = judged.audit
        if audit.state.is_failing:
            found.append(_rot_finding(record, audit, result))
        elif result is not None and rule in (RuleId.MOVED_SOURCE, RuleId.UNVERIFIABLE_SOURCE):
            found.append((rule, source_message(record, result)))
        if audit.drift is not None and audit.drift.drifted:
            found.append((RuleId.DRIFTED_SOURCE, _drift_message(record, audit)))
        return found

    def _quote_findings(self, record: SourceRecord, audit: SourceAudit) -> list[_Draft]:
        findings = []
        for quote in audit.quotes:
            rule: RuleId | None = None
            if quote.as_cited is not None and not quote.as_cited.present:
                rule = RuleId.QUOTE_NOT_FOUND
                message = f"source {record.id!r}: the quote is not in the as-cited snapshot"
            elif _removed(quote):
                rule = RuleId.QUOTE_REMOVED
                message = f"source {record.id!r}: the quote was in the source as cited, not now"
            if rule is None:
                continue
            if quote.passage:
                message += f"; closest passage ({quote.similarity or 0:.0%}): {quote.passage!r}"
            path = record.origin_path or self.catalog.display
            finding = self._finding(
                rule, path, record.origin_line, 1, message, quote.quote, record.id
            )
            findings += self._apply_ignores([finding], [], path)  # [[ignore]] in the config
        return findings

    def _support_findings(self, usage: _Usage) -> list[_Draft]:
        if self._state is None:
            return []
        findings = []
        threshold = self.audit_options.support_threshold
        for document in self._state.documents:
            for index, claim in enumerate(document.claims):
                for support in self.support.get((document.path, index), []):
                    if not support.weak:
                        continue
                    finding = self._finding(
                        RuleId.WEAK_SUPPORT,
                        document.path,
                        claim.line,
                        claim.column,
                        f"the best passage of source {support.source!r} scores"
                        f" {support.score:.2f} (under {threshold:.2f}): {support.passage!r}",
                        claim.text,
                        support.source,
                    )
                    ignores = usage.ignores.get(document.path, [])
                    if self._apply_ignores([finding], ignores, document.path):
                        findings.append(finding)
        return findings


def _observation(result: FetchResult, now: dt.datetime) -> AuditCheck:
    from provenance.archive import AuditCheck

    return AuditCheck(
        url=result.url,
        normalized_url=result.normalized_url,
        checked_at=now,
        verdict=result.verdict,
        reason=result.reason,
        http_status=result.http_status,
        digest=result.digest,
    )


def _removed(quote: QuoteReport) -> bool:
    """The quote was in the as-cited snapshot and is not in the latest one."""
    cited, latest = quote.as_cited, quote.latest
    return cited is not None and cited.present and latest is not None and not latest.present


def _quotes(record: SourceRecord) -> list[str]:
    quote = record.fields.quote
    if quote is None:
        return []
    return [quote] if isinstance(quote, str) else list(quote)


def _quote_report(quote: str, before: str | None, after: str | None) -> QuoteReport:
    cited = find_quote(quote, before) if before is not None else None
    now = find_quote(quote, after) if after is not None else None
    shown = now if now is not None and not now.status.present else cited
    passage = None
    if shown is not None and not shown.status.present and shown.passage is not None:
        passage = _clip(shown.passage.text)
    return QuoteReport(
        quote=quote,
        as_cited=cited.status if cited else None,
        latest=now.status if now else None,
        similarity=round(shown.similarity, 4) if shown else None,
        passage=passage,
    )


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _PASSAGE_CHARS else text[: _PASSAGE_CHARS - 1].rstrip() + "…"


def _chosen_copy(record: SourceRecord, moment: dt.datetime) -> ArchiveCopy | None:
    """The archived copy the record itself names (``archived_url``), if any."""
    url, at = record.fields.archived_url, record.fields.archived_at
    if url is None:
        return None
    if at is None:
        at = moment
    elif not isinstance(at, dt.datetime):
        at = dt.datetime(at.year, at.month, at.day, tzinfo=dt.UTC)
    elif at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return ArchiveCopy(url, at)


def _moment(audit: SourceAudit, now: dt.datetime) -> dt.datetime:
    """The as-cited moment: the citation's date, else the as-cited snapshot's time."""
    if audit.as_cited_date is not None:
        day = audit.as_cited_date
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return audit.as_cited_at or audit.failing_since or now


def _rot_finding(
    record: SourceRecord, audit: SourceAudit, result: FetchResult | None
) -> tuple[RuleId, str]:
    latest = next((c for c in reversed(audit.history) if not c.offline), None)
    what = latest.reason.value if latest else "failing"
    if latest is not None and latest.http_status:
        what += f" (HTTP {latest.http_status})"
    since = f"{audit.failing_since:%Y-%m-%d}" if audit.failing_since else "?"
    if audit.state.is_dead:
        return (
            RuleId.DEAD_SOURCE,
            f"cites {record.url}, which is dead: {what}, failing since {since},"
            f" {audit.failures} failed audits",
        )
    evidence = f"; {result.evidence}" if result is not None and result.evidence else ""
    return (
        RuleId.SUSPECT_SOURCE,
        f"cites {record.url}, which failed: {what}{evidence}; suspect since {since}"
        f" ({audit.failures} of {audit.failures_needed} failures needed to call it dead)",
    )


def _drift_message(record: SourceRecord, audit: SourceAudit) -> str:
    assert audit.drift is not None
    when = f"{audit.as_cited_at:%Y-%m-%d}" if audit.as_cited_at else "as cited"
    message = (
        f"cites {record.url}, whose text changed since {when}: {audit.drift.similarity:.0%} similar"
    )
    if audit.drift.removed:
        message += f"; removed {audit.drift.removed[0]!r}"
    if audit.drift.added:
        message += f"; added {audit.drift.added[0]!r}"
    return message


def _summary(report: Report, judged: dict[str, _Judged], checker: _AuditChecker) -> AuditSummary:
    audits = [j.audit for j in judged.values()]
    states = Counter(a.state.value for a in audits)
    cited_by = {s.id: s.cited_by for s in report.sources}
    citations = sum(cited_by.get(i, 0) for i in judged)
    dead = sum(cited_by.get(i, 0) for i, j in judged.items() if j.audit.state.is_dead)
    drifted = sum(
        cited_by.get(i, 0)
        for i, j in judged.items()
        if j.audit.drift is not None and j.audit.drift.drifted
    )
    pairs = [s for supports in checker.support.values() for s in supports]
    weak = sum(1 for s in pairs if s.weak)
    options = checker.audit_options
    return AuditSummary(
        audited_at=checker.now,
        sources=len(audits),
        checked=sum(1 for a in audits if a.checked),
        states=dict(sorted(states.items())),
        drifted=sum(1 for a in audits if a.drift is not None and a.drift.drifted),
        quotes_missing=sum(
            1
            for a in audits
            for q in a.quotes
            if (q.as_cited is not None and not q.as_cited.present)
            or (q.latest is not None and not q.latest.present)
        ),
        weak_support=weak,
        citations=citations,
        dead_share=dead / citations if citations else None,
        drifted_share=drifted / citations if citations else None,
        weak_share=weak / len(pairs) if pairs else None,
        offline=report.fetch.offline,
        dead_after=options.policy.failures,
        dead_spacing_days=options.policy.spacing.total_seconds() / 86400,
        drift_threshold=options.drift_threshold,
        support_threshold=options.support_threshold,
    )


def _with_support(report: Report, checker: _AuditChecker) -> Report:
    documents = [
        document.model_copy(
            update={
                "claims": [
                    claim.model_copy(update={"support": checker.support[(document.path, i)]})
                    if (document.path, i) in checker.support
                    else claim
                    for i, claim in enumerate(document.claims)
                ]
            }
        )
        for document in report.documents
    ]
    return report.model_copy(update={"documents": documents})


def _write_back(
    report: Report, checker: _AuditChecker, catalog: SourceCatalog, root: Path
) -> tuple[Report, WriteBack]:
    chosen = [(j.record, j.copy) for j in checker.judged.values() if j.copy is not None]
    if catalog.path is None or not catalog.path.exists():
        outcome = WriteBack(
            refused={r.id: "there is no sources.toml to write to" for r, _ in chosen}
        )
    else:
        outcome = write_archive_urls(
            catalog.path, display_path(catalog.path, root), [(r, c) for r, c in chosen]
        )
    sources = []
    for source in report.sources:
        replacement = source.audit.replacement if source.audit else None
        if source.audit is None or replacement is None:
            sources.append(source)
            continue
        written = source.id in outcome.written
        note = outcome.refused.get(source.id)
        if source.id in outcome.kept:
            note = "sources.toml already has an archived_url for it: kept"
        updated = replacement.model_copy(update={"written": written, "note": note})
        audit = source.audit.model_copy(update={"replacement": updated})
        sources.append(source.model_copy(update={"audit": audit}))
    return report.model_copy(update={"sources": sources}), outcome


def run_audit(
    specs: list[str],
    *,
    root: Path,
    settings: Settings,
    evidence: EvidenceOptions,
    options: AuditOptions | None = None,
    sources: Path | None = None,
    now: Callable[[], dt.datetime] = _utcnow,
    on_event: Callable[[CheckEvent], None] | None = None,
) -> AuditResult:
    """Audit the sources cited by ``specs`` (or the whole project) and return the report.

    ``evidence`` must name an archive (the audit history lives in its index) and
    fetch live or offline; a live audit fetches every due source afresh (the
    fetch cache is bypassed). ``now`` is the audit's clock: the time of its
    observations and of its fetches.
    """
    options = options or AuditOptions()
    if evidence.mode is FetchMode.NONE:
        raise UsageError("an audit needs the sources: --no-fetch does not go with audit")
    if evidence.archive_dir is None:
        raise UsageError("an audit needs an archive directory (--archive-dir)")
    evidence = replace(
        evidence,
        fetch=evidence.fetch.model_copy(update={"refresh": True}),
        clock=evidence.clock or now,
    )
    catalog, specs, whole_project = load_project(specs, root, settings, sources, verb="audit")
    checker = _AuditChecker(
        settings,
        catalog,
        root=root,
        clock=now,
        on_event=on_event,
        evidence=evidence,
        options=options,
    )
    result = checker.run(specs, whole_project=whole_project)
    report = _with_support(result.report, checker)
    write_back = None
    if options.write_archive_urls:
        report, write_back = _write_back(report, checker, catalog, root)
    report = report.model_copy(update={"audit": _summary(report, checker.judged, checker)})
    return AuditResult(report=report, errors=result.errors, catalog=catalog, write_back=write_back)
