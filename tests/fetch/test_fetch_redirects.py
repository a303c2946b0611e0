"""Redirects are followed by hand: chains recorded, loops caught, moves told from detours."""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from provenance.fetch import Reason, Redirect, Verdict
from tests.fetch.conftest import Run

A = "https://a.example/start"
BODY = "<html><title>The article</title><p>" + "text " * 100 + "</p></html>"


def test_permanent_redirect_to_a_new_url_is_moved(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=A, status_code=301, headers={"location": "https://b.example/new"})
    httpx_mock.add_response(
        url="https://b.example/new", status_code=308, headers={"location": "/newer"}
    )
    httpx_mock.add_response(url="https://b.example/newer", html=BODY)
    result = run([A]).results[A]
    assert result.reason is Reason.MOVED
    assert result.verdict is Verdict.ALIVE
    assert result.final_url == "https://b.example/newer"
    assert result.redirects == (
        Redirect(url=A, status=301),
        Redirect(url="https://b.example/new", status=308),
    )
    assert result.http_status == 200


@pytest.mark.parametrize("status", [302, 303, 307])
def test_temporary_redirect_is_redirected(run: Run, httpx_mock: HTTPXMock, status: int) -> None:
    httpx_mock.add_response(url=A, status_code=status, headers={"location": "/elsewhere"})
    httpx_mock.add_response(url="https://a.example/elsewhere", html=BODY)
    result = run([A]).results[A]
    assert result.reason is Reason.REDIRECTED
    assert result.final_url == "https://a.example/elsewhere"


def test_mixed_chain_is_only_redirected(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=A, status_code=301, headers={"location": "/b"})
    httpx_mock.add_response(url="https://a.example/b", status_code=302, headers={"location": "/c"})
    httpx_mock.add_response(url="https://a.example/c", html=BODY)
    assert run([A]).results[A].reason is Reason.REDIRECTED


def test_redirect_ending_in_404_is_not_found_with_its_chain(
    run: Run, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=A, status_code=301, headers={"location": "/gone"})
    httpx_mock.add_response(url="https://a.example/gone", status_code=404)
    result = run([A]).results[A]
    assert result.reason is Reason.NOT_FOUND
    assert result.redirects == (Redirect(url=A, status=301),)


def test_redirect_loop_is_detected(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=A, status_code=302, headers={"location": "/b"})
    httpx_mock.add_response(url="https://a.example/b", status_code=302, headers={"location": A})
    fetch_run = run([A])
    result = fetch_run.results[A]
    assert result.reason is Reason.REDIRECT_LOOP
    assert result.verdict is Verdict.DEAD
    assert [hop.url for hop in result.redirects] == [A, "https://a.example/b"]
    assert fetch_run.requests == 2


def test_self_redirect_is_a_loop(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=A, status_code=301, headers={"location": A + "#again"})
    assert run([A]).results[A].reason is Reason.REDIRECT_LOOP


def test_cookie_setting_bounce_is_not_a_loop(run: Run, httpx_mock: HTTPXMock) -> None:
    """Sites that set a cookie and send you back to the same URL work in a browser."""
    httpx_mock.add_response(
        url=A, status_code=302, headers={"location": "/consent", "set-cookie": "seen=1; Path=/"}
    )
    httpx_mock.add_response(
        url="https://a.example/consent",
        status_code=302,
        headers={"location": A, "set-cookie": "consent=yes; Path=/"},
    )
    httpx_mock.add_response(url=A, html=BODY)
    result = run([A]).results[A]
    assert result.reason is Reason.REDIRECTED
    assert len(result.redirects) == 2
    cookies = [request.headers.get("cookie") for request in httpx_mock.get_requests()]
    assert cookies[0] is None
    assert cookies[1] == "seen=1"
    assert sorted((cookies[2] or "").split("; ")) == ["consent=yes", "seen=1"]


def test_too_many_redirects(run: Run, httpx_mock: HTTPXMock) -> None:
    for hop in range(4):
        httpx_mock.add_response(
            url=f"https://a.example/{hop}", status_code=302, headers={"location": f"/{hop + 1}"}
        )
    result = run(["https://a.example/0"], max_redirects=3).results["https://a.example/0"]
    assert result.reason is Reason.TOO_MANY_REDIRECTS
    assert len(result.redirects) == 4


def test_redirect_to_another_scheme_is_unsupported(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=A, status_code=302, headers={"location": "ftp://a.example/f"})
    result = run([A]).results[A]
    assert result.reason is Reason.UNSUPPORTED_SCHEME
    assert result.final_url == "ftp://a.example/f"


def test_cookies_do_not_leak_between_urls(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=A, html=BODY, headers={"set-cookie": "session=secret; Path=/"})
    httpx_mock.add_response(url="https://a.example/other", html=BODY)
    run([A, "https://a.example/other"], concurrency=1)
    assert all("cookie" not in request.headers for request in httpx_mock.get_requests())
