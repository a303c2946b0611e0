"""The audit's pure parts: the rot state machine, the as-cited choice, replacements."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from provenance.archive import AuditCheck, Snapshot, SnapshotStore
from provenance.archive.models import TextStatus
from provenance.audit import (
    DateBasis,
    RotPolicy,
    RotState,
    assess_rot,
    citation_date,
    select_as_cited,
    wayback_url,
    write_archive_urls,
)
from provenance.audit.replacements import ArchiveCopy, lookup_wayback
from provenance.fetch import FetchSettings, Reason, Verdict
from provenance.sources import SourceRecord, load_sources
from tests.archive.factory import exchange, result
from tests.audit.conftest import day
from tests.support.loopback import LoopbackServer, respond

URL = "https://example.org/page"


def _check(when: dt.datetime, reason: Reason) -> AuditCheck:
    return AuditCheck(
        url=URL, normalized_url=URL, checked_at=when, verdict=reason.verdict, reason=reason
    )


OK, GONE, TIMEOUT, OFFLINE = Reason.OK, Reason.NOT_FOUND, Reason.TIMEOUT, Reason.OFFLINE


@pytest.mark.parametrize(
    ("checks", "state", "counted"),
    [
        ([], RotState.UNKNOWN, 0),
        ([(1, OFFLINE)], RotState.UNKNOWN, 0),
        ([(1, OK)], RotState.ALIVE, 0),
        ([(1, OK), (2, GONE)], RotState.SUSPECT, 1),
        # Three failures, but the 2nd is only a day after the 1st: two count.
        ([(1, OK), (2, GONE), (3, GONE), (5, GONE)], RotState.SUSPECT, 2),
        ([(1, OK), (2, GONE), (5, GONE), (8, GONE)], RotState.DEAD, 3),
        # Offline checks count neither way; unverifiable ones do not break the streak.
        ([(1, OK), (2, GONE), (4, OFFLINE), (5, TIMEOUT), (5, GONE), (8, GONE)], RotState.DEAD, 3),
        # Back alive: the streak starts again.
        ([(1, GONE), (4, GONE), (7, OK), (8, GONE), (11, GONE)], RotState.SUSPECT, 2),
        ([(1, OK), (2, TIMEOUT)], RotState.UNVERIFIABLE, 0),
        # Never seen alive: the failures alone decide.
        ([(1, GONE), (4, GONE), (7, GONE)], RotState.DEAD, 3),
    ],
)
def test_rot_is_confirmed_over_time(
    checks: list[tuple[int, Reason]], state: RotState, counted: int
) -> None:
    assessment = assess_rot([_check(day(n), r) for n, r in checks], RotPolicy())
    assert assessment.state is state
    assert len(assessment.counted) == counted


def test_a_failure_after_alive_is_never_dead_alone_whatever_the_policy() -> None:
    history = [_check(day(1), OK), _check(day(2), GONE)]
    assert assess_rot(history, RotPolicy(failures=1)).state is RotState.SUSPECT
    assert assess_rot(history[1:], RotPolicy(failures=1)).state is RotState.DEAD
    spaced = RotPolicy(failures=2, spacing=dt.timedelta(0))
    assert assess_rot([*history, _check(day(2), GONE)], spaced).state is RotState.DEAD


def _snapshot(when: dt.datetime, *, alive: bool = True, text: bool = True) -> Snapshot:
    return Snapshot(
        url=URL,
        normalized_url=URL,
        captured_at=when,
        verdict=Verdict.ALIVE if alive else Verdict.DEAD,
        reason=Reason.OK if alive else Reason.NOT_FOUND,
        digest=f"sha256:{when.day:064x}",
        text_path=f"text/{when.day}.txt" if text else None,
        text_status=TextStatus.EXTRACTED if text else TextStatus.NO_PAYLOAD,
    )


HISTORY = [
    _snapshot(day(3)),
    _snapshot(day(5), text=False),  # an image: no text to compare
    _snapshot(day(7)),
    _snapshot(day(9), alive=False),
    _snapshot(day(12)),
]


@pytest.mark.parametrize(
    ("accessed", "document", "taken", "basis", "after"),
    [
        (dt.date(2026, 1, 8), dt.date(2026, 1, 20), 7, DateBasis.ACCESSED, False),
        (None, dt.date(2026, 1, 10), 7, DateBasis.DOCUMENT, False),  # 9 is dead: skipped
        (None, dt.date(2026, 1, 7), 7, DateBasis.DOCUMENT, False),  # the same day counts
        (None, dt.date(2026, 1, 1), 3, DateBasis.DOCUMENT, True),  # none by then: the first
        (None, None, 3, DateBasis.FIRST_SNAPSHOT, False),
    ],
)
def test_the_as_cited_snapshot_is_the_last_readable_one_by_the_citation_date(
    accessed: dt.date | None,
    document: dt.date | None,
    taken: int,
    basis: DateBasis,
    after: bool,
) -> None:
    date, why = citation_date(accessed, document)
    chosen = select_as_cited(HISTORY, date, why)
    assert chosen is not None
    assert (chosen.snapshot.captured_at, chosen.basis, chosen.after_date) == (
        day(taken),
        basis,
        after,
    )


def test_there_is_no_as_cited_snapshot_without_a_readable_one() -> None:
    assert select_as_cited([_snapshot(day(1), alive=False)], None, DateBasis.FIRST_SNAPSHOT) is None


def test_wayback_urls_are_built_for_the_as_cited_moment() -> None:
    assert wayback_url(URL, dt.date(2026, 1, 13)) == (
        "https://web.archive.org/web/20260113000000/https://example.org/page"
    )
    moment = dt.datetime(2026, 1, 13, 10, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert wayback_url(URL, moment).startswith("https://web.archive.org/web/20260113083005/")


def test_write_back_keeps_everything_else_byte_for_byte(tmp_path: Path, data, golden) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(data("sources/write-back.toml").read_bytes())
    catalog = load_sources(path, display="sources.toml")
    own = SourceRecord(
        "articles/putin.md#9", "https://example.org/own", "articles/putin.md:40",
        origin_path="articles/putin.md", origin_line=40,
    )  # fmt: skip
    identifier = SourceRecord("doi:10.1/x", "https://doi.org/10.1/x", "identifier")
    copy = ArchiveCopy("https://web.archive.org/web/20260102000000/x", day(2))
    outcome = write_archive_urls(
        path,
        "sources.toml",
        [
            (catalog.shared["mueller-report"], copy),
            (catalog.shared["already-archived"], copy),
            (catalog.documents["articles/putin.md"]["1"], copy),
            (own, copy),
            (identifier, copy),
        ],
    )
    assert outcome.written == ["mueller-report", "articles/putin.md#1"]
    assert outcome.kept == ["already-archived"]
    assert "articles/putin.md's own reference list" in outcome.refused["articles/putin.md#9"]
    assert "self-naming identifier" in outcome.refused["doi:10.1/x"]
    golden("audit/write-back.toml", path.read_text(encoding="utf-8"))
    assert [p.name for p in tmp_path.iterdir()] == ["sources.toml"]  # no temporary file left
    reloaded = load_sources(path, display="sources.toml")
    assert not reloaded.errors
    assert reloaded.shared["mueller-report"].fields.archived_url == copy.url


def test_the_wayback_lookup_takes_the_nearest_capture_and_tolerates_failures() -> None:
    answer = {
        "archived_snapshots": {
            "closest": {
                "available": True,
                "url": "http://web.archive.org/web/20251230101010/https://example.org/page",
                "timestamp": "20251230101010",
                "status": "200",
            }
        }
    }
    with LoopbackServer() as server:
        server.route("/wayback/available", respond(200, json.dumps(answer)))
        server.route("/broken/available", respond(500, b"oops"))
        settings = FetchSettings(allow_private=True)
        wanted = [(URL, day(2))]
        found = lookup_wayback(wanted, settings, api=server.url("/wayback/available"))
        broken = lookup_wayback(wanted, settings, api=server.url("/broken/available"))
        [request] = [r for r in server.requests if r.path == "/wayback/available"]
    copy = found[URL]
    assert copy is not None and copy.confirmed
    assert copy.url == "https://web.archive.org/web/20251230101010/https://example.org/page"
    assert copy.captured_at == dt.datetime(2025, 12, 30, 10, 10, 10, tzinfo=dt.UTC)
    assert "timestamp=20260102090000" in request.target
    assert broken == {URL: None}


def test_an_archive_from_before_audits_is_migrated_with_its_snapshots(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    with SnapshotStore(root) as store:
        store.record(result(URL), [exchange(URL)])
    db = sqlite3.connect(root / "index.sqlite3")
    with db:  # back to schema 2, as the previous provenance left it
        db.execute("DROP TABLE audits")
        db.execute("UPDATE schema_version SET version = 2")
    db.close()
    with SnapshotStore(root) as store:
        assert len(store.history(URL)) == 1
        assert store.audits(URL) == []
        store.record_audit([_check(day(1), OK)])
        assert [c.checked_at for c in store.audits(URL)] == [day(1)]
        assert store.verify().ok


def test_sources_toml_can_date_a_document(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[documents."a.md"]\ndate = 2026-01-13\n\n[documents."./b.md"]\ndate = "2025-12-01"\n\n'
        '[documents."c.md"]\ndate = "last week"\n'
    )
    catalog = load_sources(path, display="sources.toml")
    assert catalog.dates == {"a.md": dt.date(2026, 1, 13), "b.md": dt.date(2025, 12, 1)}
    [error] = catalog.errors
    assert error.one_line() == (
        "sources.toml:8: document 'c.md': date 'last week' is not a date; write 2026-01-13"
    )
