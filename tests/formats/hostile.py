"""A project whose document, source records and fetched page are all hostile HTML."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from provenance.cli import run
from tests.conftest import DATA
from tests.support.loopback import LoopbackServer, respond

HOSTILE = DATA / "projects" / "hostile"


def hostile_report(root: Path) -> Path:
    """Check the hostile project in ``root`` with live fetching; return its coverage.html."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        _check(root)
    return root / "reports" / "coverage.html"


def _check(root: Path) -> None:
    html = [("content-type", "text/html; charset=utf-8")]
    page = (HOSTILE / "evil.html").read_bytes()
    with LoopbackServer(["127.0.0.1"]) as server:
        server.route("/evil", respond(200, page, html))
        server.route("/evil-404", respond(404, page, html))
        shutil.copy(HOSTILE / "notes.txt", root / "notes.txt")
        base = server.url("").rstrip("/")
        text = (HOSTILE / "sources.toml.in").read_text(encoding="utf-8")
        (root / "sources.toml").write_text(text.replace("{server}", base), encoding="utf-8")
        (root / "provenance.toml").write_text(
            "[fetch]\nrecheck_delay_s = 0\nbackoff_base_s = 0\nmax_retries = 0\n", encoding="utf-8"
        )
        code = run(
            ["check", "--allow-private", "-q", "--format", "html", "--format", "json", "notes.txt"]
        )
        assert code == 2, "findings, and an invalid (javascript:) record"
