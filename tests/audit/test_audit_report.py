"""The audit's report in every format, after a history of changes: golden files.

The support scorer is a small word-overlap scorer defined here (the scorer is
pluggable), so the golden files follow the audit's logic, not the tuning of
``provenance.compare``'s BM25 scorer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from provenance.compare import Passage
from provenance.formats import FORMATS
from provenance.models import Report
from tests.audit.conftest import AuditAt, day
from tests.support.scenario import Scenario

pytestmark = pytest.mark.integration

_WORD = re.compile(r"[a-z0-9]+")


class Overlap:
    """Share of the claim's words (4+ letters) found in the passage."""

    name = "overlap"

    def score(self, claim: str, passages: Sequence[Passage]) -> list[float]:
        wanted = {w for w in _WORD.findall(claim.lower()) if len(w) >= 4}
        return [
            len(wanted & set(_WORD.findall(p.text.lower()))) / len(wanted) if wanted else 0.0
            for p in passages
        ]


@pytest.fixture
def history(scenario: Scenario, audit_at: AuditAt) -> Report:
    options = {"scorer": Overlap(), "support_threshold": 0.5, "drift_threshold": 0.8}
    audit_at(day(1), **options)
    scenario.page("/rewritten", "rewritten-2")
    scenario.page("/quoted", "quoted-2")
    scenario.status("/dying", 404)
    scenario.page("/flaky", "soft-404")
    scenario.status("/moved", 301, [("location", "/museum/new")])
    audit_at(day(5), **options)
    scenario.page("/flaky", "flaky")  # back
    audit_at(day(8), **options)
    scenario.status("/edited", 503)
    return audit_at(day(11), **options).report


@pytest.mark.parametrize(("name", "file"), [("text", "report.txt"), ("markdown", "report.md"),
                                             ("json", "report.json")])  # fmt: skip
def test_the_audit_report_in_each_format(
    history: Report, scenario: Scenario, golden, name: str, file: str
) -> None:
    golden(f"audit/{file}", scenario.unfill("".join(FORMATS[name](history))))


@pytest.mark.parametrize(("name", "file"), [("html", "report.html"), ("summary", "summary.md"),
                                             ("sarif", "report.sarif"),
                                             ("junit", "report.junit.xml")])  # fmt: skip
def test_the_audit_report_for_readers_and_ci(
    history: Report, scenario: Scenario, golden, name: str, file: str
) -> None:
    # These formats link URLs and fingerprint findings (whose messages name URLs): render
    # with the loopback hosts as fixed http URLs, and the version that several places show
    # fixed, so the golden files are the same on every run.
    text = "".join(FORMATS["json"](history))
    for host, base in scenario.bases.items():
        text = text.replace(base, f"http://{host}.example.org")
    stable = Report.model_validate_json(text).model_copy(update={"tool_version": "<version>"})
    golden(f"audit/{file}", "".join(FORMATS[name](stable)))


def test_the_json_report_round_trips_through_the_models(history: Report) -> None:
    text = "".join(FORMATS["json"](history))
    # A run's report reads its parts from the spool; the loaded one holds them in lists.
    parts = {name: list(getattr(history, name)) for name in ("documents", "sources", "findings")}
    assert Report.model_validate_json(text) == history.model_copy(update=parts)
    assert history.audit is not None
    assert history.audit.states == {"alive": 5, "dead": 1, "suspect": 1}
    [claim] = [c for c in history.documents[0].claims if c.line == 22]
    assert claim.support is not None and claim.support[0].scorer == "overlap"
