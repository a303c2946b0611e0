"""The HTML report in a real browser: headless Chromium renders it without console errors,
nothing injected runs, and a screenshot is saved.

Chromium is Debian's ``/usr/bin/chromium`` (CI installs it: see the README's "Browser
test" note). ``pytest --update-golden`` also refreshes ``docs/report.png`` for the README.
"""

from __future__ import annotations

import shutil
import struct

import pytest

from provenance.formats import html
from tests.conftest import REPO
from tests.formats.hostile import hostile_audit, hostile_audit_run, hostile_report
from tests.support.chromium import CHROMIUM, Browser

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian chromium at /usr/bin/chromium (apt-get install -y chromium)",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with Browser(tmp_path_factory.mktemp("chromium-profile")) as running:
        yield running


def _png_size(path):
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_report_renders_without_console_errors(browser, mixed_report, tmp_path, request):
    target = tmp_path / "coverage.html"
    target.write_text("".join(html.render(mixed_report)), encoding="utf-8")
    page = browser.open(target.as_uri())
    assert page.console_errors == [] and page.exceptions == []
    assert page.evaluate("document.documentElement.lang") == "en"
    claims = page.evaluate("document.querySelectorAll('li.claim').length")
    assert claims == mixed_report.summary.claims
    # Laid out, styled and visible: the claims have the coloured border the CSS gives them.
    border = page.evaluate(
        "getComputedStyle(document.querySelector('li.claim.stripped')).borderLeftColor"
    )
    assert border == "rgb(179, 38, 30)"
    # A marker is reachable by keyboard and leads to its card.
    page.evaluate("document.querySelector('a.marker').focus()")
    assert page.evaluate("document.activeElement.className") == "marker"
    shot = tmp_path / "report.png"
    page.screenshot(shot)
    width, height = _png_size(shot)
    assert width >= 1000 and height > 1000
    if request.config.getoption("--update-golden"):
        shutil.copy(shot, REPO / "docs" / "report.png")


def test_probe_sees_a_script_that_runs(browser, tmp_path):
    # The control for the next test: without the report's protections, the probe fires.
    control = tmp_path / "control.html"
    control.write_text(
        "<!DOCTYPE html><html><body><script>document.body.dataset.pwned='control'</script>"
        "</body></html>",
        encoding="utf-8",
    )
    assert browser.open(control.as_uri()).evaluate("document.body.dataset.pwned") == "control"


def test_no_injected_script_runs(browser, tmp_path):
    report = hostile_report(tmp_path)
    page = browser.open(report.as_uri())
    assert page.evaluate("document.body.dataset.pwned ?? null") is None
    assert page.dialogs == [] and page.exceptions == []
    # An injected inline script or handler would also be refused by the CSP, with an error.
    assert page.console_errors == []
    assert page.evaluate("document.querySelectorAll('script, iframe, img').length") == 0
    page.screenshot(tmp_path / "hostile.png")


def test_audit_report_renders_without_console_errors(browser, audit_report, tmp_path):
    target = tmp_path / "audit.html"
    target.write_text("".join(html.render(audit_report)), encoding="utf-8")
    page = browser.open(target.as_uri())
    assert page.console_errors == [] and page.exceptions == []
    # Support is collapsed: a reader opens it (no script needed) and sees the passage.
    weak = "document.querySelector('details.support.weak')"
    assert page.evaluate(f"{weak}.open") is False
    passage = f"{weak}.querySelector('blockquote')"
    assert page.evaluate(f"{passage}.checkVisibility()") is False
    page.evaluate(f"{weak}.querySelector('summary').click()")
    assert page.evaluate(f"{passage}.checkVisibility()") is True
    assert page.evaluate(f"{passage}.textContent") == "Malaria fact sheet"
    # The dead source's card is laid out with its history table, one row per audit.
    rows = page.evaluate(
        "Array.from(document.querySelectorAll('article.source table.history'))"
        ".map(t => t.tBodies[0].rows.length)"
    )
    assert rows and set(rows) == {4}
    page.screenshot(tmp_path / "audit.png")


def test_no_injected_script_runs_from_audit_passages(browser, audit_report, tmp_path):
    target = tmp_path / "hostile-audit.html"
    target.write_text("".join(html.render(hostile_audit(audit_report))), encoding="utf-8")
    page = browser.open(target.as_uri())
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert page.evaluate("document.body.dataset.pwned ?? null") is None
    assert page.dialogs == [] and page.exceptions == [] and page.console_errors == []
    assert page.evaluate("document.querySelectorAll('script, iframe, img').length") == 0


def test_no_script_runs_from_a_real_audit_of_hostile_pages(browser, tmp_path):
    page = browser.open(hostile_audit_run(tmp_path).as_uri())
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert page.evaluate("document.body.dataset.pwned ?? null") is None
    assert page.dialogs == [] and page.exceptions == [] and page.console_errors == []
    assert page.evaluate("document.querySelectorAll('blockquote').length") >= 3
