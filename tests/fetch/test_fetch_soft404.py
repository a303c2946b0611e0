"""Soft 404s and bot walls: answers whose status lies about what they are."""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from provenance.fetch import Reason, Verdict
from tests.fetch.conftest import Run

URL = "https://news.example/2019/05/a-story"
FILLER = "<p>" + "Plenty of ordinary article text. " * 20 + "</p>"


def _page(title: str = "A story", h1: str = "A story", body: str = FILLER) -> str:
    return f"<html><head><title>{title}</title></head><body><h1>{h1}</h1>{body}</body></html>"


@pytest.mark.parametrize(
    ("html", "evidence"),
    [
        (_page(title="Page not found | News"), "title says 'Page not found | News'"),
        (_page(title="404 - Page Not Found"), "title says '404 - Page Not Found'"),
        (_page(title="Not Found"), "title says 'Not Found'"),
        (_page(title="Error 404"), "title says 'Error 404'"),
        (_page(title="News", h1="Sorry, we can't find that page"), "h1 says"),
        (_page(title="News", h1="This page doesn't exist"), "h1 says"),
        (_page(title="News", h1="Oops! That page can’t be found."), "h1 says"),
        ("<html><body>The requested URL was not found on this server.</body></html>", "short"),
        ("<html><body><p>404</p></body></html>", "short page says '404'"),
    ],
)
def test_not_found_pages_served_with_200_are_soft_404s(
    run: Run, httpx_mock: HTTPXMock, html: str, evidence: str
) -> None:
    httpx_mock.add_response(url=URL, html=html)
    result = run([URL]).results[URL]
    assert result.reason is Reason.SOFT_404
    assert result.verdict is Verdict.DEAD
    assert result.evidence is not None
    assert result.evidence.startswith(evidence)


@pytest.mark.parametrize(
    "html",
    [
        _page(title="How to fix 404 Not Found errors in nginx"),
        _page(title="The 404 error explained", h1="What does 404 mean?"),
        _page(title="Lost and found: a memoir"),
        _page(title="Contact us", body=FILLER + '<div class="g-recaptcha"></div>'),
    ],
)
def test_ordinary_pages_about_errors_are_alive(run: Run, httpx_mock: HTTPXMock, html: str) -> None:
    httpx_mock.add_response(url=URL, html=html)
    result = run([URL]).results[URL]
    assert result.reason is Reason.OK
    assert result.evidence is None


def test_redirect_from_deep_link_to_home_page_is_a_soft_404(
    run: Run, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=URL, status_code=301, headers={"location": "/"})
    httpx_mock.add_response(url="https://news.example/", html=_page(title="News front page"))
    result = run([URL]).results[URL]
    assert result.reason is Reason.SOFT_404
    assert result.evidence == "redirected to the site's home page /"
    assert result.final_url == "https://news.example/"


def test_redirect_to_localised_home_page_is_a_soft_404(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=302, headers={"location": "/en-us/"})
    httpx_mock.add_response(url="https://news.example/en-us/", html=_page(title="Welcome"))
    assert run([URL]).results[URL].reason is Reason.SOFT_404


def test_home_page_redirecting_to_itself_with_slash_is_alive(
    run: Run, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url="https://news.example/?ref=x", status_code=302, headers={"location": "/"}
    )
    httpx_mock.add_response(url="https://news.example/", html=_page(title="News"))
    result = run(["https://news.example/?ref=x"]).results["https://news.example/?ref=x"]
    # Dropping a tracking query from the home page is not evidence of anything.
    assert result.reason is Reason.REDIRECTED
    httpx_mock.reset()
    httpx_mock.add_response(
        url="https://news.example/index.html", status_code=301, headers={"location": "/"}
    )
    httpx_mock.add_response(url="https://news.example/", html=_page(title="News"))
    result = run(["https://news.example/index.html"]).results["https://news.example/index.html"]
    assert result.reason is Reason.MOVED


def test_index_page_with_an_id_dropped_to_home_is_a_soft_404(
    run: Run, httpx_mock: HTTPXMock
) -> None:
    url = "https://news.example/index.php?p=1234"
    httpx_mock.add_response(url=url, status_code=301, headers={"location": "/"})
    httpx_mock.add_response(url="https://news.example/", html=_page(title="News"))
    assert run([url]).results[url].reason is Reason.SOFT_404


@pytest.mark.parametrize(
    "error_path", ["/404", "/404.html", "/errors/not-found", "/notfound?from=x", "/page_not_found"]
)
def test_redirect_to_an_error_path_is_a_soft_404(
    run: Run, httpx_mock: HTTPXMock, error_path: str
) -> None:
    httpx_mock.add_response(url=URL, status_code=302, headers={"location": error_path})
    httpx_mock.add_response(url=f"https://news.example{error_path}", html=_page(title="News"))
    result = run([URL]).results[URL]
    assert result.reason is Reason.SOFT_404
    assert result.evidence is not None
    assert result.evidence.startswith("redirected to an error page")


def test_error_path_in_the_cited_url_itself_is_not_evidence(
    run: Run, httpx_mock: HTTPXMock
) -> None:
    url = "https://blog.example/why-404-pages-matter"
    httpx_mock.add_response(url=url, html=_page(title="Why 404 pages matter"))
    assert run([url]).results[url].reason is Reason.OK


@pytest.mark.parametrize(
    ("status", "headers", "html", "evidence"),
    [
        (403, {"cf-mitigated": "challenge"}, _page(), "cf-mitigated: challenge header"),
        (503, {}, _page(title="Just a moment..."), "title says 'Just a moment...'"),
        (403, {}, _page(title="Attention Required! | Cloudflare"), "title says"),
        (200, {}, _page(title="Checking your browser"), "title says"),
        (200, {}, _page(body='<script src="/cdn-cgi/challenge-platform/h/b/x.js">'), "body"),
        (403, {}, _page(body='<script src="https://ct.captcha-delivery.com/c.js">'), "body"),
        (403, {}, _page(title="Blocked", body='<div class="g-recaptcha"></div>'), "403 page"),
        (429, {}, _page(title="Hold on", body='<div class="h-captcha"></div>'), "429 page"),
    ],
)
def test_bot_walls_are_unverifiable_not_dead(
    run: Run,
    httpx_mock: HTTPXMock,
    status: int,
    headers: dict[str, str],
    html: str,
    evidence: str,
) -> None:
    httpx_mock.add_response(url=URL, status_code=status, headers=headers, html=html)
    fetch_run = run([URL])
    result = fetch_run.results[URL]
    assert result.reason is Reason.BOT_CHALLENGE
    assert result.verdict is Verdict.UNVERIFIABLE
    assert result.evidence is not None
    assert result.evidence.startswith(evidence)
    # A challenge is not retried: asking again only annoys the wall.
    assert fetch_run.requests == 1


def test_plain_text_short_not_found_is_a_soft_404(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, text="Not Found")
    assert run([URL]).results[URL].reason is Reason.SOFT_404


def test_binary_content_is_never_sniffed(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=URL, content=b"%PDF-1.7 404 not found", headers={"content-type": "application/pdf"}
    )
    assert run([URL]).results[URL].reason is Reason.OK
