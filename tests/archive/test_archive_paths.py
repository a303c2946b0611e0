"""Archive paths cannot be steered by what a URL, a header or a lookup argument says.

Every file the archive writes is named by the run (WARC files) or by a sha256 digest it
computed itself (text files), never by a URL or a source id; the index's paths are
checked on the way back in. These tests feed it hostile URLs and hostile lookups and
check that nothing lands, or is read, outside the archive directory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from provenance.archive import SnapshotStore
from provenance.cli import ExitCode
from tests.archive.factory import HTML, exchange, read_records, result, warc_files, warcio_check
from tests.conftest import CliResult

HOSTILE_URLS = [
    "https://e.org/../../../../etc/passwd",
    "https://e.org/%2e%2e/%2e%2e/%2e%2e/tmp/owned",
    "https://e.org/..%2f..%2f..%2fetc%2fpasswd",
    "https://e.org/a%00b/../../x",
    "https://e.org/" + "long-" * 2000,
    "https://e.org/path\r\nWARC-Type: resource\r\nWARC-Target-URI: https://evil.example/",
    "https://e.org/C:\\Windows\\System32",
    "https://e.org//etc/passwd",
]


def _files(under: Path) -> set[Path]:
    return {path for path in under.rglob("*") if path.is_file()}


def test_hostile_urls_are_archived_inside_the_archive_and_read_back(tmp_path: Path) -> None:
    root = tmp_path / "nested" / "archive"
    with SnapshotStore(root, run_id="hostile") as store:
        for url in HOSTILE_URLS:
            store.record(result(url), [exchange(url, HTML + url.encode())])
        for url in HOSTILE_URLS:
            (snapshot,) = store.history(url)
            assert store.read_payload(snapshot) == HTML + url.encode()
        report = store.verify()
    assert report.ok, report.problems
    assert _files(tmp_path) == _files(root)  # nothing written beside or above the archive
    assert all(path.name.isascii() and len(path.name) < 100 for path in _files(root))
    (warc,) = warc_files(root)
    uris = [r.uri for r in read_records(warc) if r.type == "response"]
    assert "https://evil.example/" not in uris
    assert len(uris) == len(HOSTILE_URLS)
    assert warcio_check([warc]) == (0, "")


@pytest.mark.parametrize(
    "target",
    [
        "../../../../etc/passwd",
        "/etc/passwd",
        "sha256:../../../etc/passwd",
        "sha256:" + "0" * 64 + "/../../etc/passwd",
        "sha256:" + "z" * 64,
        "text/../../index.sqlite3",
        "a\x00b",
        "x" * 10_000,
    ],
    ids=["dotdot", "absolute", "digest-dotdot", "digest-suffix", "digest-not-hex", "text-dir",
         "nul", "long"],
)  # fmt: skip
def test_show_with_a_hostile_argument_is_a_one_line_error(
    project: Path, cli: Callable[..., CliResult], target: str
) -> None:
    root = project / ".provenance" / "archive"
    with SnapshotStore(root, run_id="owner") as store:
        store.record(result("https://kept.example/"), [exchange("https://kept.example/")])
    result_ = cli("show", target)
    assert result_.code == ExitCode.INPUT_ERROR
    assert result_.out == ""
    (line,) = result_.err.strip().splitlines()
    assert line.startswith("provenance: error: nothing in the archive matches")
    assert "root:" not in result_.err and "Traceback" not in result_.err
