"""For people: the report as one self-contained HTML page (``reports/coverage.html``).

A summary (coverage per document, sources by verdict, findings by rule, with
small inline-SVG charts), then every document's claims in reading order, each
marked cited, uncited, stripped marker or empty/needed citation, with its
markers linked to a card for the source. No script, no network: CSS is
inline, and a Content-Security-Policy forbids scripts and remote loads, so
even a mistake in escaping could not run anything.

The page is built from the report alone (a pure function): claims carry their
text and positions, citations their markers and positions, findings their
positions. Text between claims (headings, code, reference lists) is not in the
report and is not shown; the JSON report stays small.

A source card is a list of (label, value) rows made by ``source_rows``, the
one place that lists what a card shows: one entry per field, and a field that
is absent (``None``) is simply not shown. After ``provenance audit`` the card
also shows the source's rot state and history, the as-cited and latest
snapshots, drift, quotes, the replacement, and the support it gives each claim
citing it; each claim shows its support per source, and an audit summary
follows the summary. Passages quoted from sources are escaped like all text.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from provenance.audit.rot import RotState
from provenance.formats._shared import count, location, percent, worst_first
from provenance.models import (
    AuditSummary,
    CitationReport,
    ClaimReport,
    DocumentReport,
    DriftReport,
    Finding,
    QuoteReport,
    ReplacementReport,
    Report,
    SourceAudit,
    SourceReport,
    Support,
)
from provenance.quotestatus import QuoteStatus
from provenance.rules import RULES, RuleId

__all__ = [
    "Cell",
    "ClaimSupport",
    "Code",
    "Details",
    "Link",
    "Parts",
    "Passage",
    "Table",
    "render",
    "source_rows",
]


@dataclass(frozen=True, slots=True)
class Link:
    """A card value that is a URL: linked when it is http(s), shown as text otherwise."""

    url: str


@dataclass(frozen=True, slots=True)
class Passage:
    """Text quoted from a source (a supporting passage, a quote, drifted text): a block quote."""

    text: str


@dataclass(frozen=True, slots=True)
class Code:
    """A digest or a command: shown in monospace."""

    text: str


@dataclass(frozen=True, slots=True)
class Table:
    """A small table in a card (the rot history): column heads, then rows of text."""

    caption: str
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Parts:
    """Several values in one card row, each on its own line."""

    items: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Details:
    """A value collapsed under a one-line summary (``<details>``; opens without script)."""

    summary: str
    body: tuple[Cell, ...]


Cell = str | Link | Passage | Code | Table | Parts | Details


@dataclass(frozen=True, slots=True)
class ClaimSupport:
    """One claim citing a source, and how well the source supports it (for the source's card)."""

    path: str
    line: int
    text: str
    support: Support


# The fields of a source card, in order: (label, attribute). ``source_rows`` adds
# the audit's rows (from ``SourceReport.audit``) before "Defined at".
_SOURCE_FIELDS: tuple[tuple[str, str], ...] = (
    ("URL", "url"),
    ("Title", "title"),
    ("Verdict", "verdict"),
    ("Reason", "reason"),
    ("HTTP status", "http_status"),
    ("Moved to", "final_url"),
    ("Snapshot taken", "fetched_at"),
    ("Snapshot digest", "digest"),
    ("Evidence", "evidence"),
    ("Defined at", "origin"),
    ("Cited", "cited_by"),
)
_LINK_FIELDS = frozenset({"url", "final_url"})

_STRIPPED = frozenset({RuleId.STRIPPED_MARKER})
_NEEDED = frozenset({RuleId.EMPTY_CITATION, RuleId.CITATION_NEEDED})
_VERDICT_COLOURS = {
    "alive": "#1e7b34",
    "unverifiable": "#5a5a5a",
    "dead": "#b3261e",
    "invalid": "#b3261e",
}


def _value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, float):
        return f"{value:.2f}"
    text = getattr(value, "value", value)
    return str(text) if str(text) != "" else None


def source_rows(
    source: SourceReport, claims: Sequence[ClaimSupport] = ()
) -> list[tuple[str, Cell]]:
    """The rows of a source's card: (label, value), leaving out fields that are absent.

    This is the one place that lists what a card shows: the record and its fetch,
    then, for an audited source, its rot state, history, snapshots, drift, quotes,
    replacement, and the support it gives to ``claims`` (the claims citing it).
    """
    rows: list[tuple[str, Cell]] = []
    for label, attribute in _SOURCE_FIELDS:
        raw = getattr(source, attribute, None)
        if attribute == "final_url" and raw == source.url:
            continue
        if attribute == "origin" and source.audit is not None:
            rows += _audit_rows(source.audit, claims)
        if attribute == "cited_by":
            rows.append((label, f"{raw} time{'' if raw == 1 else 's'}"))
            continue
        shown = _value(raw)
        if shown is not None:
            if attribute in _LINK_FIELDS:
                rows.append((label, Link(shown)))
            elif attribute == "digest":
                rows.append((label, Code(shown)))
            else:
                rows.append((label, shown))
    if not source.valid:
        rows.append(("Record", "invalid (see the findings)"))
    return rows


def _day(moment: dt.datetime | None) -> str:
    return "?" if moment is None else moment.strftime("%Y-%m-%d")


def _audit_rows(audit: SourceAudit, claims: Sequence[ClaimSupport]) -> list[tuple[str, Cell]]:
    """The audit's rows of a source card."""
    state = audit.state.value
    if audit.state.is_failing:
        state += (
            f": {audit.failures}/{audit.failures_needed} failures,"
            f" failing since {_day(audit.failing_since)}"
        )
    elif audit.last_alive is not None and audit.state is not RotState.ALIVE:
        state += f": last alive {_day(audit.last_alive)}"
    if not audit.checked:
        state += " (not due: not fetched by this audit)"
    rows: list[tuple[str, Cell]] = [("Rot state", state)]
    if audit.history:
        rows.append(
            (
                "History",
                Table(
                    "Audits of this source, oldest first",
                    ("Date", "Verdict", "HTTP"),
                    tuple(
                        (
                            check.checked_at.strftime("%Y-%m-%d %H:%M"),
                            "offline (not counted)"
                            if check.offline
                            else f"{check.verdict.value}: {check.reason.value}",
                            str(check.http_status) if check.http_status is not None else "-",
                        )
                        for check in audit.history
                    ),
                ),
            )
        )
    if audit.as_cited_at is not None or audit.as_cited_digest is not None:
        when = _value(audit.as_cited_at) or "?"
        if audit.as_cited_basis is not None:
            cited_on = f" {audit.as_cited_date.isoformat()}" if audit.as_cited_date else ""
            when += f" (cited{cited_on}; date from {audit.as_cited_basis.value})"
        rows.append(("As cited", _snapshot(when, audit.as_cited_digest)))
    if audit.latest_at is not None or audit.latest_digest is not None:
        rows.append(
            ("Latest snapshot", _snapshot(_value(audit.latest_at) or "?", audit.latest_digest))
        )
    if audit.drift is not None:
        rows.append(("Drift", _drift(audit.drift)))
    for quote in audit.quotes:
        rows.append(("Quote", _quote(quote)))
    if audit.replacement is not None:
        rows.append(("Replacement", _replacement(audit.replacement)))
    if claims:
        rows.append(("Support", Parts(tuple(_claim_support(c) for c in claims))))
    elif audit.support:
        scores = ", ".join(f"{score:.2f}" for score in audit.support)
        rows.append(("Support", f"{scores} ({audit.weak_claims} weak)"))
    return rows


def _snapshot(when: str, digest: str | None) -> Cell:
    return Parts((when, Code(digest))) if digest else when


def _drift(drift: DriftReport) -> Cell:
    verdict = "drifted" if drift.drifted else "not drifted"
    items: list[Cell] = [f"{drift.similarity:.0%} similar to the as-cited text: {verdict}"]
    if drift.removed:
        items += ["Removed:", *(Passage(text) for text in drift.removed)]
    if drift.added:
        items += ["Added:", *(Passage(text) for text in drift.added)]
    return Parts(tuple(items)) if len(items) > 1 else items[0]


def _quote_state(state: QuoteStatus | None) -> str:
    return "no snapshot" if state is None else state.value


def _quote(quote: QuoteReport) -> Cell:
    items: list[Cell] = [
        Passage(quote.quote),
        f"as cited: {_quote_state(quote.as_cited)}; latest: {_quote_state(quote.latest)}",
    ]
    if quote.passage:
        similar = f" ({quote.similarity:.0%} similar)" if quote.similarity is not None else ""
        items += [f"Closest passage{similar}:", Passage(quote.passage)]
    return Parts(tuple(items))


def _replacement(replacement: ReplacementReport) -> Cell:
    archived = "Web Archive copy" + (
        " (confirmed)" if replacement.confirmed else " (not confirmed)"
    )
    items: list[Cell] = [
        f"{archived} for {replacement.archive_at:%Y-%m-%d}:",
        Link(replacement.archive_url),
    ]
    if replacement.show:
        items += ["Local snapshot:", Code(replacement.show)]
    if replacement.written:
        items.append("recorded in sources.toml")
    elif replacement.note:
        items.append(f"not recorded in sources.toml: {replacement.note}")
    return Parts(tuple(items))


def _claim_support(claim: ClaimSupport) -> Cell:
    support = claim.support
    weak = "weak" if support.weak else "supported"
    items: list[Cell] = ["Claim:", Passage(claim.text)]
    items += ["Best passage:", Passage(support.passage)] if support.passage else ["No passage."]
    return Details(
        f"{claim.path}:{claim.line}: score {support.score:.2f}, {weak} ({support.scorer})",
        tuple(items),
    )


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _cell(value: Cell) -> str:
    if isinstance(value, str):
        return _e(value)
    if isinstance(value, Link):
        if urlsplit(value.url).scheme.lower() in ("http", "https"):
            return f'<a href="{_e(value.url)}" rel="noreferrer noopener">{_e(value.url)}</a>'
        return f"<code>{_e(value.url)}</code>"
    if isinstance(value, Passage):
        return f"<blockquote>{_e(value.text)}</blockquote>"
    if isinstance(value, Code):
        return f"<code>{_e(value.text)}</code>"
    if isinstance(value, Table):
        head = "".join(f'<th scope="col">{_e(h)}</th>' for h in value.head)
        body = "".join(
            "<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>" for row in value.rows
        )
        return (
            f'<table class="history"><caption class="sr-only">{_e(value.caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
    if isinstance(value, Details):
        body = "".join(f"<div>{_cell(item)}</div>" for item in value.body)
        return f"<details><summary>{_e(value.summary)}</summary>{body}</details>"
    return "".join(f"<div>{_cell(item)}</div>" for item in value.items)


_CSS = """
:root { color-scheme: light; --ink: #1b1b1b; --muted: #4a4a4a; --line: #c8c8c8;
  --cited: #1e7b34; --uncited: #8a5a00; --bad: #b3261e; --focus: #1a5fb4; }
* { box-sizing: border-box; }
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
  background: #fff; margin: 0; }
header, main, footer, nav { max-width: 62rem; margin: 0 auto; padding: 0 1rem; }
h1 { font-size: 1.7rem; margin: 1.2rem 0 .2rem; }
h2 { font-size: 1.35rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem;
  margin-top: 2rem; }
h3 { font-size: 1.1rem; margin: .2rem 0 .4rem; overflow-wrap: anywhere; }
a { color: var(--focus); }
a:focus-visible, [tabindex]:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999rem; }
.skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .3rem .6rem; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.meta, .muted { color: var(--muted); }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
caption { text-align: left; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left;
  vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 2rem; }
.charts figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
.legend { display: flex; flex-wrap: wrap; gap: .4rem 1rem; padding: 0; list-style: none; }
ol.claims { list-style: none; padding: 0; }
li.claim { border-left: 6px solid var(--line); padding: .35rem .7rem; margin: .5rem 0;
  background: #f7f7f7; }
li.claim.cited { border-color: var(--cited); }
li.claim.uncited { border-color: var(--uncited); background: #fff8e6; }
li.claim.stripped, li.claim.needed { border-color: var(--bad); background: #fdeceb; }
.badge { display: inline-block; font-size: .8rem; font-weight: 700; padding: 0 .4rem;
  border-radius: .3rem; color: #fff; margin-right: .4rem; }
.badge.cited { background: var(--cited); } .badge.uncited { background: var(--uncited); }
.badge.stripped, .badge.needed { background: var(--bad); }
.where { font-size: .8rem; color: var(--muted); margin-right: .4rem; }
a.marker { font-weight: 700; text-decoration: underline; }
ins.gap { text-decoration: none; background: var(--bad); color: #fff; padding: 0 .2rem;
  border-radius: .2rem; }
ul.findings { margin: .3rem 0 0; padding-left: 1.2rem; font-size: .92rem; }
.sev-error { color: var(--bad); font-weight: 700; } .sev-warning { color: var(--uncited);
  font-weight: 700; } .sev-note { color: var(--muted); font-weight: 700; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr));
  gap: 1rem; }
.cards.audited { grid-template-columns: 1fr; }
article.source { border: 1px solid var(--line); border-radius: .4rem; padding: .6rem .8rem; }
article.source:target { outline: 3px solid var(--focus); }
article.source dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .6rem;
  margin: 0; font-size: .92rem; }
article.source dt { font-weight: 600; } article.source dd { margin: 0;
  overflow-wrap: anywhere; }
blockquote { margin: .2rem 0 .4rem; padding: .1rem .6rem; border-left: 3px solid var(--line);
  color: var(--muted); font-style: italic; overflow-wrap: anywhere; }
details summary { cursor: pointer; }
details.support { margin-top: .3rem; font-size: .92rem; }
details.support ul { margin: .2rem 0; padding-left: 1.2rem; }
details.support.weak > summary, strong.weak { color: var(--bad); }
table.history { margin: 0; font-size: .85rem; }
table.history th, table.history td { padding: .1rem .3rem; }
@media print {
  .skip, nav { display: none; }
  body { font-size: 11pt; }
  li.claim, article.source, figure, table { break-inside: avoid; }
  li.claim { background: none; }
  a { color: inherit; }
  .cards { display: block; } article.source { margin-bottom: .6rem; }
}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


def render(report: Report) -> Iterator[str]:
    """The whole report as one HTML page."""
    anchors = {source.id: f"source-{i}" for i, source in enumerate(report.sources, start=1)}
    titles = {source.id: source.title or source.url or source.id for source in report.sources}
    when = report.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    by_path: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_path.setdefault(finding.path, []).append(finding)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        "<title>Citation coverage: provenance report</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        '<a class="skip" href="#main">Skip to the report</a>',
        "<header>",
        "<h1>Citation coverage</h1>",
        f'<p class="meta">Generated by {_e(report.tool)} {_e(report.tool_version)} at {when}.</p>',
        "</header>",
        _nav(report),
        '<main id="main">',
        *_summary(report),
        *_audit_summary(report.audit),
        *(
            _document(i, doc, by_path.get(doc.path, []), anchors, titles)
            for i, doc in enumerate(report.documents, start=1)
        ),
        *_loose_findings(report),
        *_sources(report, anchors, _supports(report)),
        "</main>",
        "<footer>",
        f'<p class="meta">provenance {_e(report.tool_version)}; report schema version'
        f" {report.schema_version}.</p>",
        "</footer>",
        "</body>",
        "</html>",
    ]
    yield "\n".join(parts) + "\n"


def _nav(report: Report) -> str:
    items = ['<li><a href="#summary">Summary</a></li>']
    if report.audit is not None:
        items.append('<li><a href="#rot">Source rot</a></li>')
    items += [
        f'<li><a href="#document-{i}">{_e(doc.path)}</a></li>'
        for i, doc in enumerate(report.documents, start=1)
    ]
    if report.sources:
        items.append('<li><a href="#sources">Sources</a></li>')
    return f'<nav aria-label="Contents"><ul>{"".join(items)}</ul></nav>'


def _bars(label: str, rows: list[tuple[str, float, str, str]], unit_max: float) -> str:
    """A small horizontal bar chart (inline SVG); rows are (label, value, shown, colour)."""
    height = 22 * len(rows) + 4
    body = []
    for i, (name, value, shown, colour) in enumerate(rows):
        y = 22 * i + 2
        width = 0 if unit_max <= 0 else round(150 * value / unit_max, 1)
        short = name if len(name) <= 30 else "…" + name[-29:]
        body.append(
            f'<text x="0" y="{y + 14}" font-size="12" fill="#1b1b1b">{_e(short)}</text>'
            f'<rect x="210" y="{y + 3}" width="{width}" height="14" fill="{colour}"></rect>'
            f'<text x="{210 + width + 4}" y="{y + 14}" font-size="12" fill="#1b1b1b">'
            f"{_e(shown)}</text>"
        )
    return (
        f'<svg role="img" aria-label="{_e(label)}" width="420" height="{height}"'
        f' viewBox="0 0 420 {height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{_e(label)}</title>{''.join(body)}</svg>"
    )


def _summary(report: Report) -> list[str]:
    s = report.summary
    new = sum(1 for f in report.findings if not f.baselined)
    baselined = len(report.findings) - new
    out = [
        '<section aria-labelledby="summary">',
        '<h2 id="summary">Summary</h2>',
        f"<p><strong>{s.cited_claims} of {s.claims} claims cited"
        f" ({percent(s.coverage)})</strong> in {count(s.documents, 'document')};"
        f" {count(s.citations, 'citation')} to {count(s.sources, 'source')};"
        f" {count(new, 'finding')}"
        + (f" ({baselined} more baselined)" if baselined else "")
        + ".</p>",
        '<div class="charts">',
    ]
    coverage_rows = [
        (doc.path, doc.coverage or 0.0, percent(doc.coverage), "#1e7b34")
        for doc in report.documents
    ]
    if coverage_rows:
        out.append(
            "<figure><figcaption>Coverage per document</figcaption>"
            + _bars("Coverage per document", coverage_rows, 1.0)
            + "</figure>"
        )
    verdicts = Counter(
        src.verdict.value if src.verdict else ("invalid" if not src.valid else "not fetched")
        for src in report.sources
    )
    if verdicts:
        rows = [
            (name, float(n), str(n), _VERDICT_COLOURS.get(name, "#5a5a5a"))
            for name, n in sorted(verdicts.items())
        ]
        out.append(
            "<figure><figcaption>Sources by verdict</figcaption>"
            + _bars("Sources by verdict", rows, float(max(verdicts.values())))
            + "</figure>"
        )
    out.append("</div>")
    out += [
        '<table><caption class="muted">Coverage per document</caption>',
        '<thead><tr><th scope="col">Document</th><th scope="col" class="num">Claims</th>'
        '<th scope="col" class="num">Cited</th><th scope="col" class="num">Coverage</th></tr>'
        "</thead><tbody>",
    ]
    for i, doc in enumerate(report.documents, start=1):
        cited = sum(1 for c in doc.claims if c.cited)
        out.append(
            f'<tr><td><a href="#document-{i}">{_e(doc.path)}</a></td>'
            f'<td class="num">{len(doc.claims)}</td><td class="num">{cited}</td>'
            f'<td class="num">{percent(doc.coverage)}</td></tr>'
        )
    out.append("</tbody></table>")
    if report.findings:
        per_rule = Counter(f.rule for f in report.findings)
        out += [
            '<table><caption class="muted">Findings by rule</caption>',
            '<thead><tr><th scope="col">Rule</th><th scope="col">Severity</th>'
            '<th scope="col" class="num">Findings</th><th scope="col">Meaning</th></tr></thead>'
            "<tbody>",
        ]
        severities = {f.rule: f.severity for f in report.findings}
        for rule, n in sorted(per_rule.items(), key=lambda item: (-item[1], item[0].value)):
            severity = severities[rule]
            out.append(
                f"<tr><td><code>{_e(rule.value)}</code></td>"
                f'<td class="sev-{severity.label}">{severity.label}</td>'
                f'<td class="num">{n}</td><td>{_e(RULES[rule].summary)}</td></tr>'
            )
        out.append("</tbody></table>")
    out.append("</section>")
    return out


_ROT_COLOURS = {
    "alive": "#1e7b34",
    "suspect": "#8a5a00",
    "dead": "#b3261e",
    "unverifiable": "#5a5a5a",
    "unknown": "#5a5a5a",
}


def _audit_summary(audit: AuditSummary | None) -> list[str]:
    """The audit's figures: sources per rot state, and the shares of citations that rotted."""
    if audit is None:
        return []
    states = ", ".join(f"{n} {state}" for state, n in audit.states.items()) or "none"
    out = [
        '<section aria-labelledby="rot">',
        '<h2 id="rot">Source rot</h2>',
        f"<p>Audited {audit.audited_at:%Y-%m-%d %H:%M} UTC:"
        f" <strong>{count(audit.sources, 'source')}</strong> ({audit.checked} fetched now):"
        f" {_e(states)}; {audit.drifted} drifted, {count(audit.quotes_missing, 'quote')}"
        f" missing, {audit.weak_support} weakly supported claim-source"
        f" pair{'' if audit.weak_support == 1 else 's'}.</p>",
    ]
    if audit.offline:
        out.append("<p><strong>The network was down: this audit counted no failure.</strong></p>")
    shares = [
        ("dead (of citations)", audit.dead_share, "#b3261e"),
        ("drifted (of citations)", audit.drifted_share, "#8a5a00"),
        ("weak support (of claim-sources)", audit.weak_share, "#5a5a5a"),
    ]
    out.append('<div class="charts">')
    if audit.states:
        rows = [
            (state, float(n), str(n), _ROT_COLOURS.get(state, "#5a5a5a"))
            for state, n in audit.states.items()
        ]
        out.append(
            "<figure><figcaption>Sources by rot state</figcaption>"
            + _bars("Sources by rot state", rows, float(max(audit.states.values())))
            + "</figure>"
        )
    out.append(
        "<figure><figcaption>Shares that rotted</figcaption>"
        + _bars(
            "Shares that rotted",
            [(name, share or 0.0, percent(share), colour) for name, share, colour in shares],
            1.0,
        )
        + "</figure>"
    )
    out += [
        "</div>",
        '<table><caption class="muted">What the audit found</caption>',
        '<thead><tr><th scope="col">Figure</th><th scope="col" class="num">Share</th></tr>'
        "</thead><tbody>",
        *(
            f'<tr><td>{_e(name)}</td><td class="num">{percent(share)}</td></tr>'
            for name, share in (
                ("Citations to dead sources", audit.dead_share),
                ("Citations to drifted sources", audit.drifted_share),
                ("Weakly supported claim-source pairs", audit.weak_share),
            )
        ),
        "</tbody></table>",
        f'<p class="muted">Of {count(audit.citations, "citation")} to audited sources.'
        f" Dead means {audit.dead_after} failed audits at least {audit.dead_spacing_days:g}"
        f" days apart; drifted, under {audit.drift_threshold:.0%} similar to the as-cited"
        f" snapshot; weak support, a best passage scoring under"
        f" {audit.support_threshold:.2f}.</p>",
        "</section>",
    ]
    return out


def _within(claim: ClaimReport, line: int | None, column: int | None) -> bool:
    if line is None:
        return False
    start = (claim.line, claim.column)
    end = (claim.end_line, claim.end_column)
    return start <= (line, column or 0) <= end


def _claim_class(findings: Iterable[Finding], cited: bool) -> tuple[str, str]:
    rules = {f.rule for f in findings}
    if rules & _STRIPPED:
        return "stripped", "stripped marker"
    if rules & _NEEDED:
        return "needed", "citation needed"
    return ("cited", "cited") if cited else ("uncited", "uncited")


def _document(
    index: int,
    doc: DocumentReport,
    mine: list[Finding],
    anchors: dict[str, str],
    titles: dict[str, str],
) -> str:
    """One document's section; ``mine`` are the findings in it."""
    placed: set[int] = set()
    cited = sum(1 for c in doc.claims if c.cited)
    out = [
        f'<section aria-labelledby="document-{index}">',
        f'<h2 id="document-{index}" tabindex="-1">{_e(doc.path)}</h2>',
        f"<p>{cited} of {len(doc.claims)} claims cited ({percent(doc.coverage)});"
        f" {len(doc.citations)} citations"
        + (f"; dated {doc.date.isoformat()}" if doc.date else "")
        + ".</p>",
    ]
    if doc.claims:
        out += [
            '<ul class="legend" aria-label="Legend">'
            '<li><span class="badge cited">cited</span>cites a source</li>'
            '<li><span class="badge uncited">uncited</span>cites nothing</li>'
            '<li><span class="badge stripped">stripped marker</span>a citation was lost</li>'
            '<li><span class="badge needed">citation needed</span>empty or asks for one</li>'
            "</ul>",
            '<ol class="claims">',
        ]
    for n, claim in enumerate(doc.claims, start=1):
        about = [
            (i, f)
            for i, f in enumerate(mine)
            if i not in placed and _within(claim, f.line, f.column)
        ]
        placed.update(i for i, _ in about)
        claim_findings = [f for _, f in about]
        css, label = _claim_class(claim_findings, claim.cited)
        citations = [c for c in doc.citations if _within(claim, c.line, c.column)]
        text = _marked_text(claim, citations, claim_findings, anchors, titles)
        out.append(
            f'<li class="claim {css}" id="document-{index}-claim-{n}">'
            f'<span class="badge {css}">{label}</span>'
            f'<span class="where">line {claim.line}</span>{text}'
            + _finding_list(claim_findings)
            + _support_details(claim, anchors, titles)
            + "</li>"
        )
    if doc.claims:
        out.append("</ol>")
    else:
        out.append('<p class="muted">No claims found.</p>')
    rest = [f for i, f in enumerate(mine) if i not in placed]
    if rest:
        out += ["<h3>Other findings in this document</h3>", _finding_list(rest)]
    out.append("</section>")
    return "\n".join(out)


def _marked_text(
    claim: ClaimReport,
    citations: list[CitationReport],
    findings: list[Finding],
    anchors: dict[str, str],
    titles: dict[str, str],
) -> str:
    """The claim's text, escaped, with its markers linked and lost markers shown."""
    text = claim.text
    # Group the ids cited by one marker at one place ("[1, 2]" cites two).
    groups: dict[tuple[int, int], list[CitationReport]] = {}
    for citation in citations:
        groups.setdefault((citation.line, citation.column), []).append(citation)
    pieces: list[str] = []
    cursor = 0
    for (_line, _column), group in sorted(groups.items()):
        marker = group[0].marker
        at = text.find(marker, cursor)
        if at < 0:
            continue
        pieces.append(_with_gaps(text[cursor:at], findings))
        links = []
        for citation in group:
            label = _e(citation.id)
            if citation.source in anchors:
                title = _e(f"Source {citation.id}: {titles[citation.source]}")
                links.append(
                    f'<a class="marker" href="#{anchors[citation.source]}"'
                    f' aria-label="{title}">{label}</a>'
                )
            else:
                links.append(f'<span class="marker unknown" title="no such source">{label}</span>')
        pieces.append("[" + ", ".join(links) + "]")
        cursor = at + len(marker)
    pieces.append(_with_gaps(text[cursor:], findings))
    return "".join(pieces)


def _with_gaps(text: str, findings: list[Finding]) -> str:
    """Escape ``text``, showing where a stripped marker's gap (`` .``) is."""
    if not any(f.rule in _STRIPPED for f in findings):
        return _e(text)
    out = []
    for chunk in _split_gaps(text):
        if chunk in (" .", " ,", " ;", " :", " !", " ?"):
            out.append(
                '<ins class="gap" title="a citation marker was lost here">'
                '<span aria-hidden="true">␣</span><span class="sr-only">lost marker</span></ins>'
                + _e(chunk[1:])
            )
        else:
            out.append(_e(chunk))
    return "".join(out)


def _split_gaps(text: str) -> list[str]:
    chunks: list[str] = []
    start = 0
    for i in range(len(text) - 1):
        if (
            text[i] == " "
            and text[i + 1] in ".,;:!?"
            and (i + 2 == len(text) or text[i + 2] == " ")
        ):
            chunks += [text[start:i], text[i : i + 2]]
            start = i + 2
    chunks.append(text[start:])
    return chunks


def _support_details(claim: ClaimReport, anchors: dict[str, str], titles: dict[str, str]) -> str:
    """Per cited source, the support score and best passage (collapsed)."""
    if not claim.support:
        return ""
    weak = sum(1 for s in claim.support if s.weak)
    scores = ", ".join(f"{s.score:.2f}" for s in claim.support)
    heading = f"Support: {scores}" + (f" ({weak} weak)" if weak else "")
    items = []
    for support in claim.support:
        name = _e(titles.get(support.source, support.source))
        if support.source in anchors:
            name = f'<a href="#{anchors[support.source]}">{name}</a>'
        verdict = '<strong class="weak">weak</strong>' if support.weak else "supported"
        passage = (
            f"<blockquote>{_e(support.passage)}</blockquote>"
            if support.passage
            else '<p class="muted">No passage.</p>'
        )
        items.append(
            f"<li>{name}: score {support.score:.2f}, {verdict}"
            f' <span class="where">({_e(support.scorer)})</span>{passage}</li>'
        )
    css = "support weak" if weak else "support"
    return (
        f'<details class="{css}"><summary>{_e(heading)}</summary>'
        f"<ul>{''.join(items)}</ul></details>"
    )


def _supports(report: Report) -> dict[str, list[ClaimSupport]]:
    """Per source id, the claims citing it with their support (for the source cards)."""
    out: dict[str, list[ClaimSupport]] = {}
    for doc in report.documents:
        for claim in doc.claims:
            for support in claim.support or []:
                out.setdefault(support.source, []).append(
                    ClaimSupport(doc.path, claim.line, claim.text, support)
                )
    return out


def _finding_list(findings: list[Finding]) -> str:
    if not findings:
        return ""
    items = [
        f'<li><span class="sev-{f.severity.label}">{f.severity.label}</span>'
        f" <code>{_e(f.rule.value)}</code>"
        + (" <em>(baselined)</em>" if f.baselined else "")
        + f': {_e(f.message)} <span class="where">{_e(location(f))}</span></li>'
        for f in worst_first(findings)
    ]
    return f'<ul class="findings">{"".join(items)}</ul>'


def _loose_findings(report: Report) -> list[str]:
    """Findings about no shown document and no source: unreadable documents, config."""
    shown = {doc.path for doc in report.documents}
    loose = [f for f in report.findings if f.path not in shown and f.source is None]
    if not loose:
        return []
    return [
        '<section aria-labelledby="other-findings">',
        '<h2 id="other-findings">Other findings</h2>',
        _finding_list(loose),
        "</section>",
    ]


def _sources(
    report: Report, anchors: dict[str, str], supports: dict[str, list[ClaimSupport]]
) -> list[str]:
    if not report.sources:
        return []
    by_source: dict[str, list[Finding]] = {}
    for finding in report.findings:
        if finding.source is not None:
            by_source.setdefault(finding.source, []).append(finding)
    fetched = (
        "Sources were not fetched (--no-fetch)."
        if report.fetch.mode == "none"
        else f"{report.fetch.urls} URLs checked ({report.fetch.mode}),"
        f" {report.fetch.from_cache} answered from the cache or archive."
    )
    out = [
        '<section aria-labelledby="sources">',
        '<h2 id="sources">Sources</h2>',
        f"<p>{_e(fetched)}</p>",
        '<div class="cards audited">' if report.audit is not None else '<div class="cards">',
    ]
    for source in report.sources:
        rows = "".join(
            f"<dt>{_e(label)}</dt><dd>{_cell(value)}</dd>"
            for label, value in source_rows(source, supports.get(source.id, ()))
        )
        heading = source.title or source.id
        out.append(
            f'<article class="source" id="{anchors[source.id]}" tabindex="-1"'
            f' aria-labelledby="{anchors[source.id]}-h">'
            f'<h3 id="{anchors[source.id]}-h">{_e(heading)}</h3>'
            f'<p class="where">{_e(source.id)}</p><dl>{rows}</dl>'
            + _finding_list(by_source.get(source.id, []))
            + "</article>"
        )
    out += ["</div>", "</section>"]
    return out
