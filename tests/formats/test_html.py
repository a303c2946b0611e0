"""The HTML report: structure a reader relies on, source cards, and escaping of hostile input."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from bs4 import BeautifulSoup

from provenance.formats import html
from tests.formats.hostile import (
    EVIL_PASSAGE,
    HOSTILE_QUOTE,
    hostile_audit,
    hostile_audit_run,
    hostile_report,
)


def _soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


@pytest.mark.parametrize("which", ["mixed_report", "audit_report"])
def test_page_is_self_contained_and_accessible(which, request):
    page = "".join(html.render(request.getfixturevalue(which)))
    soup = _soup(page)
    assert soup.html["lang"] == "en"
    assert soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"].startswith(
        "default-src 'none'"
    )
    assert soup.find_all("script") == []
    for landmark in ("header", "nav", "main", "footer"):
        assert soup.find(landmark) is not None, landmark
    assert soup.find("a", class_="skip")["href"] == "#main"
    levels = [int(h.name[1]) for h in soup.find_all(re.compile(r"^h[1-6]$"))]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), "no skipped level"
    assert ":focus-visible" in page and "@media print" in page
    # Nothing is loaded from elsewhere: no src, no stylesheet link, no @import.
    assert not soup.find_all(src=True) and not soup.find_all("link") and "@import" not in page
    ids = {tag["id"] for tag in soup.find_all(id=True)}
    for link in soup.find_all("a", href=re.compile("^#")):
        assert link["href"][1:] in ids, link
    for svg in soup.find_all("svg"):
        assert svg["role"] == "img" and svg.find("title").text


def test_every_claim_is_marked(mixed_report):
    soup = _soup("".join(html.render(mixed_report)))
    claims = soup.find_all("li", class_="claim")
    assert len(claims) == mixed_report.summary.claims
    kinds = {
        re.sub(r"\s+", " ", li.get_text(" ", strip=True))[:60]: li["class"][1] for li in claims
    }
    by_start = {text.split(" ", 4)[-1][:30]: kind for text, kind in kinds.items()}
    assert any(k == "needed" for k in kinds.values())
    assert any(k == "stripped" for k in kinds.values())
    assert any(k == "uncited" for k in kinds.values())
    assert sum(1 for k in kinds.values() if k == "cited") >= 4
    assert by_start, kinds
    stripped = soup.find("li", class_="stripped")
    assert "Bed nets" in stripped.get_text() and stripped.find("ins", class_="gap")


def test_markers_link_to_source_cards(mixed_report):
    soup = _soup("".join(html.render(mixed_report)))
    marker = soup.find("a", class_="marker", attrs={"aria-label": re.compile("who-2023")})
    card = soup.find(id=marker["href"][1:])
    assert card.name == "article" and "who-2023" in card.get_text()
    rows = {dt.get_text(): dt.find_next_sibling("dd").get_text() for dt in card.find_all("dt")}
    assert rows["Verdict"] == "dead" and rows["HTTP status"] == "404"
    assert rows["Snapshot taken"] == "2026-01-13 11:58:00 UTC"
    assert "dead-source" in card.get_text()


def test_source_rows_show_present_fields_only(mixed_report):
    by_id = {s.id: s for s in mixed_report.sources}
    alive = dict(html.source_rows(by_id["docs/page.html#1"]))
    assert isinstance(alive["Snapshot digest"], html.Code)
    assert alive["Snapshot digest"].text.startswith("sha256:3b4c")
    assert alive["URL"] == html.Link("https://www.cdc.gov/measles/vaccines/")
    unfetched = dict(html.source_rows(by_id["who-2023"].model_copy(update={"verdict": None})))
    assert "Snapshot digest" not in dict(html.source_rows(by_id["who-2023"]))
    assert "Verdict" not in unfetched
    moved = dict(html.source_rows(by_id["docs/page.html#2"]))
    assert moved["Moved to"] == html.Link("https://www.unicef.org/immunization/")


def test_an_audited_source_card_shows_rot_history_drift_quotes_and_support(audit_report):
    soup = _soup("".join(html.render(audit_report)))
    card = soup.find(id=soup.find("a", class_="marker", string="3")["href"][1:])
    rows = {dt.get_text(): dt.find_next_sibling("dd") for dt in card.find_all("dt")}
    assert rows["Rot state"].get_text() == "alive"
    history = rows["History"].find("table")
    assert [td.get_text() for td in history.find("tbody").find_all("tr")[0].find_all("td")] == [
        "2026-01-01 09:00",
        "alive: ok",
        "200",
    ]
    assert "date from document" in rows["As cited"].get_text()
    assert rows["As cited"].find("code").get_text().startswith("sha256:d4df0046")
    drift = rows["Drift"]
    assert drift.get_text().startswith("17% similar to the as-cited text: drifted")
    removed = [q.get_text() for q in drift.find_all("blockquote")]
    assert "The company reported record revenue of 4.2 billion dollars for the fiscal year." in (
        removed
    )
    archive = rows["Replacement"].find("a")
    assert (
        archive["href"]
        == "https://web.archive.org/web/20260102000000/http://a.example.org/rewritten"
    )
    assert rows["Replacement"].find("code").get_text().startswith("provenance show sha256:")
    support = rows["Support"].find("details")
    assert support.summary.get_text() == "articles/health.md:12: score 1.00, supported (overlap)"


def test_a_dead_source_card_says_since_when_and_how_many_failures(audit_report):
    by_id = {s.id: s for s in audit_report.sources}
    rows = dict(html.source_rows(by_id["articles/health.md#5"]))
    assert rows["Rot state"] == "dead: 3/3 failures, failing since 2026-01-05"
    assert isinstance(rows["History"], html.Table)
    assert [r[1] for r in rows["History"].rows] == ["alive: ok"] + ["dead: not-found"] * 3
    suspect = dict(html.source_rows(by_id["articles/health.md#2"]))
    assert suspect["Rot state"] == "suspect: 1/3 failures, failing since 2026-01-11"
    # Without audit data, a card has none of the audit's rows.
    plain = dict(html.source_rows(by_id["articles/health.md#5"].model_copy(update={"audit": None})))
    assert not {"Rot state", "History", "As cited", "Drift", "Quote", "Support"} & set(plain)


def test_quotes_show_their_state_and_the_closest_passage_when_missing(audit_report):
    soup = _soup("".join(html.render(audit_report)))
    quotes = [dt.find_next_sibling("dd") for dt in soup.find_all("dt", string="Quote")]
    texts = [q.get_text(" ", strip=True) for q in quotes]
    missing = next(t for t in texts if "the mayor resigned over the plan" in t)
    assert "as cited: missing; latest: no snapshot" in missing
    assert "Closest passage (51% similar):" in missing and "Construction is expected" in missing
    assert any(t.startswith("reduced hospital admissions by sixty percent") for t in texts)
    assert "reduced hospital admissions by sixty percent as cited: found; latest: missing" in texts


def test_a_weakly_supported_claim_shows_its_best_passage(audit_report):
    soup = _soup("".join(html.render(audit_report)))
    claim = next(li for li in soup.find_all("li", class_="claim") if "line 22" in li.get_text())
    details = claim.find("details", class_="support")
    assert "weak" in details["class"]
    assert details.summary.get_text() == "Support: 0.00 (1 weak)"
    assert details.find("blockquote").get_text() == "Malaria fact sheet"
    assert details.find("a")["href"].startswith("#source-")
    # Claims without support data (a check, not an audit) have no support block.
    plain = audit_report.model_copy(
        update={
            "documents": [
                d.model_copy(
                    update={"claims": [c.model_copy(update={"support": None}) for c in d.claims]}
                )
                for d in audit_report.documents
            ]
        }
    )
    assert _soup("".join(html.render(plain))).find("details", class_="support") is None


def test_the_audit_summary_counts_states_and_shares(audit_report):
    soup = _soup("".join(html.render(audit_report)))
    section = soup.find(id="rot").parent
    assert soup.find("nav").find("a", href="#rot") is not None
    text = section.get_text(" ", strip=True)
    assert "7 sources (7 fetched now): 5 alive, 1 dead, 1 suspect" in text
    shares = {
        tr.find("td").get_text(): tr.find_all("td")[1].get_text()
        for tr in section.find("table").find("tbody").find_all("tr")
    }
    assert shares == {
        "Citations to dead sources": "12.5%",
        "Citations to drifted sources": "25.0%",
        "Weakly supported claim-source pairs": "12.5%",
    }
    labels = [svg.find("title").get_text() for svg in section.find_all("svg")]
    assert labels == ["Sources by rot state", "Shares that rotted"]


def test_a_check_report_has_no_audit_section(mixed_report):
    soup = _soup("".join(html.render(mixed_report)))
    assert soup.find(id="rot") is None and soup.find("details") is None


_EVENT_ATTR = re.compile(r"^on", re.I)


def _assert_inert(soup: BeautifulSoup) -> None:
    """No script, event handler, javascript: URL, or element that loads or submits anything."""
    assert soup.find_all("script") == []
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            assert not _EVENT_ATTR.match(name), f"event handler {name} on <{tag.name}>"
            values = value if isinstance(value, list) else [value]
            for v in values:
                assert not v.strip().lower().startswith("javascript:"), (tag.name, name, v)
    for tag in ("img", "iframe", "object", "embed", "base", "textarea", "form", "input"):
        assert soup.find_all(tag) == [], tag


def test_hostile_audit_passages_are_shown_as_text(audit_report):
    page = "".join(html.render(hostile_audit(audit_report)))
    soup = _soup(page)
    _assert_inert(soup)
    # Each hostile passage is there for the reader, whole, as the text of a quote.
    quoted = [q.get_text() for q in soup.find_all("blockquote")]
    assert quoted.count(EVIL_PASSAGE) >= 10
    assert all(d.summary is not None for d in soup.find_all("details"))
    assert len(soup.find_all("article", class_="source")) == len(audit_report.sources)


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory):
    return hostile_report(tmp_path_factory.mktemp("hostile"))


def test_hostile_input_is_shown_as_text_and_nothing_can_run(hostile_page):
    page = hostile_page.read_text(encoding="utf-8")
    report = json.loads((hostile_page.parent / "coverage.json").read_text(encoding="utf-8"))
    soup = _soup(page)
    _assert_inert(soup)
    assert [t.parent.name for t in soup.find_all("title")] == ["head", "svg", "svg"]
    assert len(soup.find_all("style")) == 1 and soup.style.parent.name == "head"
    assert {svg.get("role") for svg in soup.find_all("svg")} == {"img"}
    text = soup.get_text()
    # The hostile text is there for the reader, as text.
    assert '<script>document.body.dataset.pwned = "doc"</script>' in text
    assert "</style><script>document.body.dataset.pwned='title'</script>" in text
    assert "javascript:document.body.dataset.pwned='record'" in text
    assert "[click me](javascript:document.body.dataset.pwned='link')" in text
    for claim in report["documents"][0]["claims"]:
        assert claim["text"][:60] in text
    # What the fetched page said reached the report (evidence), escaped like the rest.
    evidence = [s["evidence"] for s in report["sources"] if s["evidence"]]
    assert evidence and all(e in text for e in evidence)


def test_a_real_audit_of_hostile_pages_quotes_them_as_text(tmp_path):
    page = hostile_audit_run(tmp_path)
    soup = _soup(page.read_text(encoding="utf-8"))
    _assert_inert(soup)
    report = json.loads((page.parent / "audit.json").read_text(encoding="utf-8"))
    [claim] = [c for d in report["documents"] for c in d["claims"] if c.get("support")]
    passage = claim["support"][0]["passage"]
    assert "<script>" in passage  # the page's hostile title, as text the scorer matched
    quoted = [q.get_text() for q in soup.find_all("blockquote")]
    assert passage in quoted  # in the claim's support and in the source's card
    assert HOSTILE_QUOTE in quoted  # the record's quote, missing from the page
    [audited] = [s for s in report["sources"] if s["id"] == "notes.txt#1"]
    closest = audited["audit"]["quotes"][0]["passage"]
    assert "<script>" in closest and closest in quoted
