"""Fixtures of the audit tests: the changing-pages scenario and a run at a given moment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from provenance.audit import AuditOptions, AuditResult, run_audit
from provenance.config import load_settings
from provenance.evidence import EvidenceOptions, FetchMode
from tests.conftest import DATA
from tests.support.loopback import LoopbackServer
from tests.support.scenario import Scenario

JAN = [dt.datetime(2026, 1, day, 9, 0, tzinfo=dt.UTC) for day in range(1, 32)]


def day(n: int) -> dt.datetime:
    """9:00 UTC on January ``n``, 2026."""
    return JAN[n - 1]


async def no_wait(seconds: float) -> None:
    return None


@pytest.fixture
def scenario(project: Path) -> Iterator[Scenario]:
    """The audit project in the sandbox, every page in its first version."""
    with LoopbackServer(["127.0.0.1", "127.0.0.2"]) as server:
        made = Scenario(DATA / "projects" / "audit", project, server)
        made.page("/stable", "stable")
        made.page("/edited", "edited-1")
        made.page("/rewritten", "rewritten-1")
        made.page("/quoted", "quoted-1")
        made.page("/dying", "dying")
        made.page("/flaky", "flaky")
        made.page("/moved", "museum")
        made.page("/museum/new", "museum")
        yield made


AuditAt = Callable[..., AuditResult]


@pytest.fixture
def audit_at(project: Path) -> AuditAt:
    """``audit_at(day(5), due_days=...)``: run an audit of the project at that moment."""

    def run(
        moment: dt.datetime, mode: FetchMode = FetchMode.LIVE, **options: object
    ) -> AuditResult:
        settings, _ = load_settings(project)
        evidence = EvidenceOptions(
            mode=mode,
            fetch=settings.fetch,
            archive_dir=project / ".provenance/archive",
            cache_dir=project / ".provenance/cache",
            sleep=no_wait,
        )
        return run_audit(
            [],
            root=project,
            settings=settings,
            evidence=evidence,
            options=AuditOptions(**options),  # type: ignore[arg-type]
            now=lambda: moment,
        )

    return run
