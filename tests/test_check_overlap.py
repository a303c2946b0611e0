"""A fetching `check` overlaps its fixed costs with its work, and reports the same.

Documents may be read while the first URLs are fetched (``FETCH_WHILE_READING``), and
the report's parts for final results are built while the run waits for its last
re-checks; neither may change a byte of the report. Sources are served by
``tests.support.loopback`` on 127.0.0.1 and 127.0.0.2; waits are injected.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from provenance import evidence
from provenance.check import Checker, run_check
from provenance.config import Settings
from provenance.evidence import EvidenceOptions, FetchMode
from provenance.fetch import FetchSettings
from provenance.formats import FORMATS
from tests.support.loopback import LoopbackServer, respond

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 1, 13, 12, 0, tzinfo=dt.UTC)
HTML = [("content-type", "text/html; charset=utf-8")]


async def _no_wait(seconds: float) -> None:
    return None


@pytest.fixture
def server():
    with LoopbackServer(["127.0.0.1", "127.0.0.2"]) as running:
        for n in range(12):
            page = f"<html><title>Page {n}</title><p>Text {n}.</p></html>"
            running.route(f"/page/{n}", respond(200, page, HTML))
        running.route("/moved", respond(301, b"", [("location", "/page/0")]))
        running.route("/gone", respond(410, b"gone"))
        running.route("/missing", respond(404, b"no"))
        yield running


def _write_corpus(root: Path, server: LoopbackServer) -> None:
    """Six documents citing overlapping URLs (alive, moved, gone, missing), one that
    cannot be read, and one with an invalid reference."""
    urls = [server.url(f"/page/{n}", host=f"127.0.0.{1 + n % 2}") for n in range(12)]
    urls += [server.url("/moved"), server.url("/gone", host="127.0.0.2"), server.url("/missing")]
    docs = root / "docs"
    docs.mkdir()
    for d in range(6):
        cited = [urls[(d * 3 + k) % len(urls)] for k in range(5)]
        claims = " ".join(f"Claim {k} of document {d} holds [{k + 1}]." for k in range(5))
        refs = "\n".join(f"[{k + 1}]: {url}" for k, url in enumerate(cited))
        (docs / f"doc{d}.md").write_text(f"# Doc {d}\n\n{claims}\n\n## References\n\n{refs}\n")
    (docs / "doc6.md").write_bytes(b"# Broken\n\n\x00 binary [1].\n")
    (docs / "doc7.md").write_text(
        f"# Odd\n\nA claim [1]. Another [2].\n\n## References\n\n[1]: {urls[0]}\n[2]: not-a-url\n"
    )


def _check(root: Path, **changes: object):
    settings = Settings(fetch=FetchSettings(allow_private=True, recheck_delay_s=0))
    options = EvidenceOptions(
        mode=FetchMode.LIVE,
        fetch=settings.fetch,
        archive_dir=root / ".provenance/archive",
        cache_dir=root / ".provenance/cache",
        sleep=_no_wait,
        clock=lambda: NOW,
        **changes,  # type: ignore[arg-type]
    )
    return run_check(["docs"], root=root, settings=settings, clock=lambda: NOW, evidence=options)


def _json(result) -> str:  # type: ignore[no-untyped-def]
    return "".join(FORMATS["json"](result.report))


def test_reading_while_fetching_and_building_the_report_ahead_change_nothing_in_it(
    tmp_path: Path, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = {}
    for way in ("as before", "read first", "fetch while reading"):
        root = tmp_path / way.replace(" ", "-")
        root.mkdir()
        _write_corpus(root, server)
        with monkeypatch.context() as patched:
            if way == "as before":  # read everything, fetch, then build the whole report
                patched.setattr(Checker, "_plain_evidence", lambda self: False)
            patched.setattr(evidence, "FETCH_WHILE_READING", way == "fetch while reading")
            hits_before = dict(server.hits)
            result = _check(root)
            hits = {k: v - hits_before.get(k, 0) for k, v in server.hits.items()}
        reports[way] = _json(result)
        # Every distinct URL fetched once: the 410 and the 404 re-checked once more, and
        # /page/0 is where /moved leads too.
        twice = {path: n for path, n in hits.items() if n != 1}
        assert twice == {"/gone": 2, "/missing": 2, "/page/0": 2}, way
        assert result.report.fetch.urls == 15
    assert reports["read first"] == reports["as before"]
    assert reports["fetch while reading"] == reports["as before"]
    report = json.loads(reports["as before"])
    assert report["summary"]["errors"] == 1  # doc6.md, reported as before
    assert any(
        f["rule"] == "unreadable-document" and f["path"] == "docs/doc6.md"
        for f in report["findings"]
    )
    assert {s["reason"] for s in report["sources"] if "verdict" in s} >= {"ok", "moved", "gone"}
    verdicts = [v for d in report["documents"] for c in d["claims"] for v in c["verdicts"].values()]
    assert {"alive", "dead"} <= set(verdicts)


def test_an_error_while_reading_ends_a_fetching_run_as_it_is_and_keeps_what_was_fetched(
    tmp_path: Path, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_corpus(tmp_path, server)
    monkeypatch.setattr(evidence, "FETCH_WHILE_READING", True)
    read = Checker._one

    def one(self, item, state, usage):  # type: ignore[no-untyped-def]
        if str(item).endswith("doc4.md"):
            raise RuntimeError("a bug in reading doc4.md")
        read(self, item, state, usage)

    monkeypatch.setattr(Checker, "_one", one)
    with pytest.raises(RuntimeError, match=r"a bug in reading doc4\.md"):
        _check(tmp_path)
    from provenance.archive import SnapshotStore

    with SnapshotStore(tmp_path / ".provenance/archive") as store:
        assert store.verify().ok  # whatever was fetched before the error reads back whole


def test_settled_results_are_told_once_each_and_are_the_final_ones(
    tmp_path: Path, server: LoopbackServer
) -> None:
    _write_corpus(tmp_path, server)
    told: list[tuple[str, object]] = []
    result = _check(tmp_path, on_settled=told.extend)
    assert result.fetch is not None
    assert sorted(url for url, _ in told) == sorted(result.fetch.results)
    assert dict(told) == result.fetch.results
    again: list[tuple[str, object]] = []
    cached = _check(tmp_path, on_settled=again.extend)  # the cache answers the alive ones
    assert cached.fetch is not None and cached.fetch.cache_hits > 0
    assert dict(again) == cached.fetch.results
