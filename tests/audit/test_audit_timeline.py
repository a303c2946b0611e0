"""An audit history on real pages: edits, rewrites, a removed quote, death, a soft 404, a move.

The pages are served from loopback and change between audits; the audit's clock
is set for each run, so "3 failures at least 3 days apart" plays out in a few
calls without waiting.
"""

from __future__ import annotations

import pytest

from provenance.audit import RotState
from provenance.models import Report
from provenance.quotestatus import QuoteStatus
from provenance.rules import RuleId
from tests.audit.conftest import AuditAt, day
from tests.support.scenario import Scenario

pytestmark = pytest.mark.integration

DOC = "articles/health.md"


def _rules(report: Report) -> dict[str, set[str]]:
    """Finding rule ids per source id."""
    found: dict[str, set[str]] = {}
    for finding in report.findings:
        found.setdefault(finding.source or "-", set()).add(finding.rule.value)
    return found


def _state(report: Report, source: str) -> RotState:
    [entry] = [s for s in report.sources if s.id == source]
    assert entry.audit is not None
    return entry.audit.state


def _audit_of(report: Report, source: str):
    [entry] = [s for s in report.sources if s.id == source]
    assert entry.audit is not None
    return entry.audit


def test_a_first_audit_sees_everything_alive_and_judges_quotes_and_support(
    scenario: Scenario, audit_at: AuditAt
) -> None:
    report = audit_at(day(1)).report
    assert {s.id: s.audit.state for s in report.sources if s.audit} == {
        f"{DOC}#1": RotState.ALIVE,
        f"{DOC}#2": RotState.ALIVE,
        f"{DOC}#3": RotState.ALIVE,
        "vaccine-trial": RotState.ALIVE,
        f"{DOC}#5": RotState.ALIVE,
        f"{DOC}#6": RotState.ALIVE,
        f"{DOC}#7": RotState.ALIVE,
    }
    rules = _rules(report)
    # The record's quote was never on the page; the moon claim is not what [1] says.
    assert rules[f"{DOC}#2"] == {"quote-not-found"}
    assert rules[f"{DOC}#1"] == {"weak-support"}
    assert "vaccine-trial" not in rules
    [weak] = [f for f in report.findings if f.rule is RuleId.WEAK_SUPPORT]
    assert weak.line == 22 and "moon landing" in (weak.text or "")
    # Every cited claim has its best passage; the supported ones are not weak.
    claims = report.documents[0].claims
    supported = claims[0].support
    assert supported is not None and not supported[0].weak
    assert "249 million malaria cases" in (supported[0].passage or "")
    assert report.audit is not None
    assert report.audit.states == {"alive": 7}
    assert report.audit.weak_support == 1 and report.audit.dead_share == 0.0


def test_changes_between_audits_give_drift_removed_quotes_and_suspects(
    scenario: Scenario, audit_at: AuditAt
) -> None:
    audit_at(day(1))
    scenario.page("/stable", "stable-redated")  # new navigation, date and footer only
    scenario.page("/edited", "edited-2")  # one word changed
    scenario.page("/rewritten", "rewritten-2")  # rewritten
    scenario.page("/quoted", "quoted-2")  # the quoted sentence removed
    scenario.status("/dying", 404)
    scenario.page("/flaky", "soft-404")
    scenario.status("/moved", 301, [("location", "/museum/new")])

    report = audit_at(day(5)).report
    rules = _rules(report)
    assert rules[f"{DOC}#3"] == {"drifted-source"}
    assert rules["vaccine-trial"] == {"quote-removed", "drifted-source"} or rules[
        "vaccine-trial"
    ] == {"quote-removed"}
    assert rules[f"{DOC}#5"] == {"suspect-source"}
    assert rules[f"{DOC}#6"] == {"suspect-source"}
    assert rules[f"{DOC}#7"] == {"moved-source"}
    assert "drifted-source" not in rules.get(f"{DOC}#2", set())  # a small edit is not drift
    assert "dead-source" not in {r for found in rules.values() for r in found}

    redated = _audit_of(report, f"{DOC}#1")
    assert redated.drift is not None and redated.drift.similarity == 1.0  # boilerplate only
    assert redated.as_cited_digest != redated.latest_digest
    small, rewrite = _audit_of(report, f"{DOC}#2"), _audit_of(report, f"{DOC}#3")
    assert small.drift is not None and not small.drift.drifted and small.drift.similarity > 0.8
    assert rewrite.drift is not None and rewrite.drift.drifted and rewrite.drift.removed
    # The as-cited snapshot is the one from before the article's date (January 2).
    assert rewrite.as_cited_at == day(1) and rewrite.as_cited_basis == "document"
    [quote] = _audit_of(report, "vaccine-trial").quotes
    assert (quote.as_cited, quote.latest) == (QuoteStatus.FOUND, QuoteStatus.MISSING)
    # The drifted source points to its copies: the local snapshot and the Web Archive.
    assert rewrite.replacement is not None
    assert rewrite.replacement.show == f"provenance show {rewrite.as_cited_digest}"
    assert rewrite.replacement.archive_url == (
        f"https://web.archive.org/web/20260102000000/{scenario.url('/rewritten')}"
    )


def test_a_source_is_dead_only_after_three_failures_three_days_apart(
    scenario: Scenario, audit_at: AuditAt
) -> None:
    audit_at(day(1))
    scenario.status("/dying", 404)
    scenario.page("/flaky", "soft-404")
    dying = f"{DOC}#5"

    assert _state(audit_at(day(5)).report, dying) is RotState.SUSPECT
    assert _state(audit_at(day(6)).report, dying) is RotState.SUSPECT  # 1 day later: not counted
    scenario.page("/flaky", "flaky")  # back
    report = audit_at(day(8)).report
    assert _state(report, dying) is RotState.SUSPECT
    assert _state(report, f"{DOC}#6") is RotState.ALIVE
    assert _audit_of(report, dying).failures == 2

    report = audit_at(day(11)).report
    assert _state(report, dying) is RotState.DEAD
    dead = [f for f in report.findings if f.rule is RuleId.DEAD_SOURCE]
    assert [(f.path, f.line, f.source) for f in dead] == [(DOC, 16, dying)]
    assert "failing since 2026-01-05" in dead[0].message
    history = _audit_of(report, dying).history
    assert [c.checked_at.day for c in history] == [1, 5, 6, 8, 11]
    assert [c.reason.value for c in history] == ["ok"] + ["not-found"] * 4
    assert report.audit is not None and report.audit.states["dead"] == 1
    assert report.audit.dead_share == pytest.approx(1 / 8)


def test_audits_while_the_network_is_down_count_no_failure(
    scenario: Scenario, audit_at: AuditAt
) -> None:
    audit_at(day(1))
    scenario.server.stop()  # every host refuses connections: offline
    for n in (4, 8, 12):
        result = audit_at(day(n))
        assert result.report.fetch.offline
    report = result.report
    assert {s.audit.state for s in report.sources if s.audit} == {RotState.ALIVE}
    assert not [f for f in report.findings if f.rule.value in ("dead-source", "suspect-source")]
    history = _audit_of(report, f"{DOC}#1").history
    assert [c.offline for c in history] == [False, True, True, True]


def test_due_fetches_only_sources_not_audited_lately(scenario: Scenario, audit_at: AuditAt) -> None:
    audit_at(day(1))
    hits = sum(scenario.server.hits.values())
    report = audit_at(day(3), due_days=7).report
    assert sum(scenario.server.hits.values()) == hits  # nothing was due
    assert report.audit is not None and report.audit.checked == 0
    assert {s.audit.state for s in report.sources if s.audit} == {RotState.ALIVE}
    report = audit_at(day(9), due_days=7).report
    assert report.audit is not None and report.audit.checked == 7


def test_the_wayback_lookup_replaces_the_built_url_with_the_nearest_capture(
    scenario: Scenario, audit_at: AuditAt
) -> None:
    import json

    from tests.support.loopback import respond

    capture = "http://web.archive.org/web/20251231235959/http://example.org/annual-results"
    answer = {"archived_snapshots": {"closest": {"available": True, "url": capture,
                                                 "timestamp": "20251231235959"}}}  # fmt: skip
    scenario.server.route("/wayback/available", respond(200, json.dumps(answer)))
    api = scenario.url("/wayback/available")
    audit_at(day(1), wayback_lookup=True, wayback_api=api)
    assert not scenario.server.hits.get("/wayback/available")  # nothing to replace yet
    scenario.page("/rewritten", "rewritten-2")
    report = audit_at(day(5), wayback_lookup=True, wayback_api=api).report
    replacement = _audit_of(report, f"{DOC}#3").replacement
    assert replacement is not None and replacement.confirmed
    assert replacement.archive_url == capture.replace("http://", "https://", 1)
    assert scenario.server.hits["/wayback/available"] == 1
