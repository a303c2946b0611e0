"""`provenance check` end to end with fetching: a real loopback server, a real archive.

Every source is served by ``tests.support.loopback`` on 127.0.0.1 and 127.0.0.2; the
archive and cache are real files; waits are injected (nothing sleeps).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from provenance.check import run_check
from provenance.cli import ExitCode
from provenance.config import Settings
from provenance.evidence import EvidenceOptions, FetchMode
from provenance.fetch import FetchSettings
from provenance.models import Report
from tests.support.loopback import LoopbackServer, respond

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 1, 13, 12, 0, tzinfo=dt.UTC)
PAGE = "<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
NOT_FOUND = "<html><head><title>Page not found</title></head><body>Sorry.</body></html>"


async def _no_wait(seconds: float) -> None:
    return None


@pytest.fixture
def server():
    with LoopbackServer(["127.0.0.1", "127.0.0.2"]) as running:
        html = [("content-type", "text/html; charset=utf-8")]
        running.route("/ok", respond(200, PAGE.format(title="Report", text="Cases rose."), html))
        running.route("/new", respond(200, PAGE.format(title="New home", text="Moved."), html))
        running.route("/moved", respond(301, b"", [("location", "/new")]))
        running.route("/gone", respond(410, b"gone"))
        running.route("/missing", respond(404, b"no"))
        running.route("/deep/article", respond(200, NOT_FOUND, html))
        running.route("/paywall", respond(402, b"pay"))
        yield running


def _project(root: Path, server: LoopbackServer, paths: dict[str, str]) -> None:
    lines = []
    for key, (path, host) in enumerate(paths.items(), start=1):
        lines += [
            f'[documents."doc.md".sources.{key}]',
            f'url = "{server.url(path, host=host)}"',
            "",
        ]
    (root / "sources.toml").write_text("\n".join(lines))
    claims = " ".join(f"Claim number {k} is supported [{k}]." for k in range(1, len(paths) + 1))
    (root / "doc.md").write_text(f"# Doc\n\n{claims}\n\nAgain the first [1].\n")
    (root / "provenance.toml").write_text(
        "[fetch]\nrecheck_delay_s = 0\nbackoff_base_s = 0\nallow_private = true\n"
    )


def _run(root: Path, mode: FetchMode = FetchMode.LIVE, **fetch: object):
    settings = Settings(fetch=FetchSettings(allow_private=True, **fetch))  # type: ignore[arg-type]
    evidence = EvidenceOptions(
        mode=mode,
        fetch=settings.fetch,
        archive_dir=root / ".provenance/archive",
        cache_dir=root / ".provenance/cache",
        sleep=_no_wait,
    )
    return run_check(["doc.md"], root=root, settings=settings, clock=lambda: NOW, evidence=evidence)


ROUTES = {
    "/ok": "127.0.0.1",
    "/moved": "127.0.0.2",
    "/gone": "127.0.0.1",
    "/missing": "127.0.0.2",
    "/deep/article": "127.0.0.1",
    "/paywall": "127.0.0.2",
}


def test_every_source_gets_its_verdict_and_findings_point_at_the_markers(project, server):
    _project(project, server, ROUTES)
    result = _run(project)
    sources = {s.id.split("#")[1]: s for s in result.report.sources}
    assert (sources["1"].verdict, sources["1"].reason, sources["1"].http_status) == (
        "alive",
        "ok",
        200,
    )
    assert sources["2"].reason == "moved"
    assert sources["2"].final_url == server.url("/new", host="127.0.0.2")
    assert [r.status for r in sources["2"].redirects] == [301]
    assert (sources["3"].verdict, sources["3"].reason) == ("dead", "gone")
    assert (sources["4"].verdict, sources["4"].reason) == ("dead", "not-found")
    assert (sources["5"].verdict, sources["5"].reason) == ("dead", "soft-404")
    assert "not found" in (sources["5"].evidence or "").lower()
    assert (sources["6"].verdict, sources["6"].reason) == ("unverifiable", "paywall")
    assert sources["1"].digest is not None and sources["1"].digest.startswith("sha256:")
    rules = {(f.rule.value, f.line, f.column) for f in result.report.findings}
    line = 3
    columns = _marker_columns(project / "doc.md", line)
    assert ("moved-source", line, columns[2]) in rules
    assert ("dead-source", line, columns[3]) in rules
    assert ("dead-source", line, columns[4]) in rules
    assert ("soft-404", line, columns[5]) in rules
    assert ("unverifiable-source", line, columns[6]) in rules
    claims = result.report.documents[0].claims
    assert list(claims[2].verdicts.values()) == ["dead"]
    assert result.report.fetch.verdicts == {"alive": 2, "dead": 3, "unverifiable": 1}
    assert not result.report.fetch.offline


def _marker_columns(path: Path, line: int) -> dict[int, int]:
    text = path.read_text().split("\n")[line - 1]
    return {k: text.index(f"[{k}]") + 1 for k in range(1, 7)}


def test_each_distinct_url_is_fetched_once_and_archived_as_warc(project, server):
    _project(project, server, {"/ok": "127.0.0.1", "/gone": "127.0.0.2"})
    (project / "doc.md").write_text("A claim [1]. Another [1]. A third [2]. Fourth [1].\n")
    _run(project)
    assert server.hits["/ok"] == 1
    warcs = sorted((project / ".provenance/archive/warc").glob("*.warc.gz"))
    assert warcs
    records = []
    for warc in warcs:
        with warc.open("rb") as stream:
            records += [
                (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
                for r in ArchiveIterator(stream)
            ]
    ok_url = server.url("/ok", host="127.0.0.1")
    assert ("request", ok_url) in records
    assert ("response", ok_url) in records


def test_second_run_within_the_ttl_sends_no_request(project, server):
    _project(project, server, {"/ok": "127.0.0.1", "/new": "127.0.0.2"})
    first = _run(project)
    assert first.report.fetch.requests == 2
    second = _run(project)
    assert second.report.fetch.requests == 0
    assert all(s.from_cache for s in second.report.sources)
    assert server.hits["/ok"] == 1


def test_offline_answers_from_the_archive_alone(project, server):
    _project(project, server, {"/ok": "127.0.0.1", "/gone": "127.0.0.2"})
    _run(project)
    hits = dict(server.hits)
    offline = _run(project, FetchMode.OFFLINE)
    assert dict(server.hits) == hits  # not one request
    verdicts = {s.id.split("#")[1]: (s.verdict, s.from_cache) for s in offline.report.sources}
    assert verdicts == {"1": ("alive", True), "2": ("dead", True)}


def test_private_addresses_are_refused_without_allow_private(project, server):
    _project(project, server, {"/ok": "127.0.0.1"})
    settings = Settings()
    evidence = EvidenceOptions(
        fetch=settings.fetch, archive_dir=None, cache_dir=None, sleep=_no_wait
    )
    result = run_check(["doc.md"], root=project, settings=settings, evidence=evidence)
    (source,) = result.report.sources
    assert (source.verdict, source.reason) == ("unverifiable", "blocked-by-policy")
    assert server.hits.get("/ok", 0) == 0


def test_cli_check_snapshots_show_and_verify(project, server, cli):
    _project(project, server, {"/ok": "127.0.0.1", "/gone": "127.0.0.2"})
    result = cli("check", "--allow-private", "--format", "json", "-o", "-", "doc.md")
    assert result.code == ExitCode.GATE_FAILED  # dead-source is an error
    report = json.loads(result.out)
    assert [s["verdict"] for s in report["sources"]] == ["alive", "dead"]
    # Streamed from the report's spool, it is what the models serialise, verdicts and all.
    assert Report.model_validate_json(result.out).model_dump_json(indent=2) + "\n" == result.out
    ok_url = server.url("/ok", host="127.0.0.1")
    history = cli("snapshots", ok_url)
    assert history.code == ExitCode.OK
    assert " 200  alive" in history.out
    shown = cli("show", ok_url)
    assert "Cases rose." in shown.out
    digest = report["sources"][0]["digest"]
    assert "Cases rose." in cli("show", digest).out
    verified = cli("archive", "verify")
    assert verified.code == ExitCode.OK
    assert "ok" in verified.err
    assert cli("check", "--no-fetch", "--offline", "doc.md").code == ExitCode.INPUT_ERROR


def test_network_down_is_not_rot(project, cli):
    # Nothing listens on port 9 of either loopback host: every host fails to connect.
    (project / "sources.toml").write_text(
        '[documents."doc.md".sources.1]\nurl = "http://127.0.0.1:9/a"\n\n'
        '[documents."doc.md".sources.2]\nurl = "http://127.0.0.2:9/b"\n'
    )
    (project / "doc.md").write_text("A claim [1]. Another claim [2].\n")
    (project / "provenance.toml").write_text(
        "[fetch]\nrecheck_delay_s = 0\nbackoff_base_s = 0\nmax_retries = 0\n"
    )
    result = cli("check", "--allow-private", "--format", "json", "-o", "-", "doc.md")
    report = json.loads(result.out)
    assert report["fetch"]["offline"] is True
    assert [s["reason"] for s in report["sources"]] == ["offline", "offline"]
    assert report["findings"] == []  # nothing dead, nothing even "unverifiable"
    assert "the network looks down" in result.err
    assert result.code == ExitCode.OK
