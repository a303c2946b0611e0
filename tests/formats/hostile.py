"""A project whose document, source records and fetched page are all hostile HTML."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from provenance.cli import run
from provenance.models import Report
from tests.conftest import DATA
from tests.support.loopback import LoopbackServer, respond

HOSTILE = DATA / "projects" / "hostile"


def hostile_report(root: Path) -> Path:
    """Check the hostile project in ``root`` with live fetching; return its coverage.html."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        _check(root)
    return root / "reports" / "coverage.html"


def hostile_audit_run(root: Path) -> Path:
    """Audit the hostile project in ``root``; return its audit.html.

    The first source's page is alive (so its hostile text is scored and quoted as passages)
    and its record quotes hostile HTML that the page does not hold.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        _check(root, audit=True)
    return root / "reports" / "audit.html"


HOSTILE_QUOTE = "<script>document.body.dataset.pwned='quote'</script><b onerror=x>gone</b>"


def _check(root: Path, audit: bool = False) -> None:
    html = [("content-type", "text/html; charset=utf-8")]
    page = (HOSTILE / "evil.html").read_bytes()
    if audit:  # a page that is alive, so the audit quotes its hostile text as passages
        page = page.replace(b"Page not found", b"The attacker wrote this sentence about tags")
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
        if audit:  # the first record quotes hostile HTML that its page does not hold
            lines = text.splitlines()
            lines.insert(3, f"quote = {json.dumps(HOSTILE_QUOTE)}")
            text = "\n".join(lines) + "\n"
            (root / "sources.toml").write_text(text.replace("{server}", base), encoding="utf-8")
        command = "audit" if audit else "check"
        code = run(
            [command, "--allow-private", "-q", "--format", "html", "--format", "json", "notes.txt"]
        )
        assert code == 2, "findings, and an invalid (javascript:) record"


EVIL_PASSAGE = (
    '<script>document.body.dataset.pwned = "passage"</script>'
    "<img src=x onerror=\"document.body.dataset.pwned='img'\">"
    "</blockquote></details><a href=\"javascript:document.body.dataset.pwned='a'\">x</a>"
)


def hostile_audit(report: Report) -> Report:
    """``report`` (an audit's) with every passage, quote, drift excerpt and note made hostile."""
    sources = []
    for source in report.sources:
        audit = source.audit
        if audit is not None:
            drift = audit.drift
            if drift is not None:
                drift = drift.model_copy(
                    update={"removed": [EVIL_PASSAGE], "added": [EVIL_PASSAGE]}
                )
            quotes = [
                q.model_copy(update={"quote": EVIL_PASSAGE, "passage": EVIL_PASSAGE})
                for q in audit.quotes
            ]
            replacement = audit.replacement
            if replacement is not None:
                replacement = replacement.model_copy(
                    update={"show": EVIL_PASSAGE, "note": EVIL_PASSAGE, "written": False}
                )
            audit = audit.model_copy(
                update={"drift": drift, "quotes": quotes, "replacement": replacement}
            )
        sources.append(source.model_copy(update={"audit": audit, "title": EVIL_PASSAGE}))
    documents = [
        doc.model_copy(
            update={
                "claims": [
                    claim.model_copy(
                        update={
                            "support": [
                                s.model_copy(
                                    update={"passage": EVIL_PASSAGE, "scorer": EVIL_PASSAGE}
                                )
                                for s in claim.support or []
                            ]
                        }
                    )
                    for claim in doc.claims
                ]
            }
        )
        for doc in report.documents
    ]
    return report.model_copy(update={"sources": sources, "documents": documents})
