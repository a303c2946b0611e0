"""Retries, backoff, Retry-After, per-host slow-down and the final re-check pass.

Every wait goes through the injected ``sleep``; the tests read what was asked for.
"""

from __future__ import annotations

import asyncio
import email.utils
import socket
from datetime import timedelta

import httpx
import pytest
from pytest_httpx import HTTPXMock

from provenance.fetch import FetchPhase, FetchProgress, Reason
from tests.fetch.conftest import T0, FakeResolver, FixedRandom, Run, SleepRecorder

URL = "https://example.com/page"
PAGE = "<html><title>Fine</title><p>" + "text " * 100 + "</p></html>"


@pytest.mark.parametrize("status", [408, 429, 502, 503, 504])
def test_transient_statuses_are_retried_with_exponential_backoff(
    run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder, status: int
) -> None:
    httpx_mock.add_response(url=URL, status_code=status)
    httpx_mock.add_response(url=URL, status_code=status)
    httpx_mock.add_response(url=URL, html=PAGE)
    result = run([URL]).results[URL]
    assert (result.reason, result.attempts) == (Reason.OK, 3)
    # 0.5 s then 1 s: base 0.5 doubled, no jitter in this test.
    assert sleep.calls == [0.5, 1.0]


def test_retries_stop_after_max_retries(
    run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder
) -> None:
    for _ in range(3):
        httpx_mock.add_response(url=URL, status_code=503)
    result = run([URL], max_retries=2).results[URL]
    assert (result.reason, result.attempts) == (Reason.SERVER_ERROR, 3)
    assert sleep.calls == [0.5, 1.0]


def test_backoff_is_capped(run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder) -> None:
    for _ in range(4):
        httpx_mock.add_response(url=URL, status_code=502)
    run([URL], max_retries=3, backoff_base_s=2.0, backoff_max_s=5.0)
    assert sleep.calls == [2.0, 4.0, 5.0]


def test_jitter_shortens_the_wait_by_the_drawn_fraction(
    run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder
) -> None:
    httpx_mock.add_response(url=URL, status_code=503)
    httpx_mock.add_response(url=URL, status_code=503)
    httpx_mock.add_response(url=URL, html=PAGE)
    run([URL], backoff_jitter=0.5, rng=FixedRandom(0.5))
    assert sleep.calls == [0.375, 0.75]


@pytest.mark.parametrize("status", [500, 501, 404, 403])
def test_other_statuses_are_not_retried(
    run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder, status: int
) -> None:
    httpx_mock.add_response(url=URL, status_code=status)
    result = run([URL]).results[URL]
    assert result.attempts == 1
    assert sleep.calls == []


@pytest.mark.parametrize(
    "exception", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")], ids=str
)
def test_network_errors_are_retried(
    run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder, exception: Exception
) -> None:
    httpx_mock.add_exception(exception, url=URL)
    httpx_mock.add_response(url=URL, html=PAGE)
    result = run([URL]).results[URL]
    assert (result.reason, result.attempts) == (Reason.OK, 2)
    assert sleep.calls == [0.5]


def test_total_timeout_bounds_one_attempt(run: Run, httpx_mock: HTTPXMock) -> None:
    async def never_answers(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(200)

    httpx_mock.add_callback(never_answers, url=URL)
    result = run([URL], total_timeout_s=0.05, max_retries=0).results[URL]
    assert result.reason is Reason.TIMEOUT
    assert result.error == "total timeout"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        (email.utils.format_datetime(T0 + timedelta(seconds=42), usegmt=True), 42.0),
        ("3600", 60.0),  # capped at retry_after_max_s
    ],
    ids=["seconds", "http-date", "capped"],
)
def test_retry_after_is_honoured_up_to_the_cap(
    run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder, header: str, expected: float
) -> None:
    httpx_mock.add_response(url=URL, status_code=429, headers={"retry-after": header})
    httpx_mock.add_response(url=URL, html=PAGE)
    result = run([URL]).results[URL]
    assert (result.reason, result.attempts) == (Reason.OK, 2)
    assert sleep.calls == [expected]


def test_retry_after_on_503_is_honoured(
    run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder
) -> None:
    httpx_mock.add_response(url=URL, status_code=503, headers={"retry-after": "3"})
    httpx_mock.add_response(url=URL, html=PAGE)
    run([URL])
    assert sleep.calls == [3.0]


def test_rate_limit_slows_only_that_host(
    run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder
) -> None:
    httpx_mock.add_response(
        url="https://slow.example/1", status_code=429, headers={"retry-after": "7"}
    )
    httpx_mock.add_response(url="https://slow.example/1", html=PAGE)
    for page in range(3):
        httpx_mock.add_response(url=f"https://fast.example/{page}", html=PAGE)
    urls = ["https://slow.example/1"] + [f"https://fast.example/{page}" for page in range(3)]
    fetch_run = run(urls)
    assert all(result.reason is Reason.OK for result in fetch_run.results.values())
    # One wait in the whole run: the slowed host's retry. The other host never waited.
    assert sleep.calls == [7.0]


def test_rate_limit_pauses_every_request_to_that_host_and_spaces_them(
    run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder
) -> None:
    httpx_mock.add_response(
        url="https://slow.example/1", status_code=429, headers={"retry-after": "7"}
    )
    httpx_mock.add_response(url="https://slow.example/1", html=PAGE)
    httpx_mock.add_response(url="https://slow.example/2", html=PAGE)
    httpx_mock.add_response(url="https://fast.example/1", html=PAGE)
    run(
        ["https://slow.example/1", "https://slow.example/2", "https://fast.example/1"],
        host_concurrency=1,
        rate_limited_interval_ms=1000,
    )
    # The first request to that host waits out the pause (7 s), the next one the slowed
    # interval (1 s) after it; the other host's request never waited.
    assert sorted(sleep.calls) == [1.0, 7.0]


def test_429_without_retry_after_backs_off_the_host(
    run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder
) -> None:
    httpx_mock.add_response(url=URL, status_code=429)
    httpx_mock.add_response(url=URL, html=PAGE)
    run([URL])
    assert sleep.calls == [0.5]


def test_failures_are_checked_again_before_being_reported(
    run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder
) -> None:
    httpx_mock.add_response(url=URL, status_code=500)
    httpx_mock.add_response(url=URL, html=PAGE)
    events: list[FetchProgress] = []
    fetch_run = run([URL], recheck=True, recheck_delay_s=2.0, on_progress=events.append)
    result = fetch_run.results[URL]
    assert (result.reason, result.attempts) == (Reason.OK, 2)
    assert sleep.calls == [2.0]
    assert [(event.phase, event.result.reason) for event in events] == [
        (FetchPhase.FETCH, Reason.SERVER_ERROR),
        (FetchPhase.RECHECK, Reason.OK),
    ]


def test_failures_are_rechecked_during_the_pass_once_a_host_has_answered(
    run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder, resolver: FakeResolver
) -> None:
    # example.com answers 500 and then the page: its second look needs no end-of-pass
    # pause. other.example refuses twice, then answers: since example.com answered, the
    # run is not offline, so its second look needs no end-of-pass pause either, and it
    # gets a fresh DNS answer.
    other = "https://other.example/page"
    httpx_mock.add_response(url=URL, status_code=500)
    httpx_mock.add_response(url=URL, html=PAGE)
    httpx_mock.add_exception(httpx.ConnectError("refused"), url=other)
    httpx_mock.add_exception(httpx.ConnectError("refused"), url=other)
    httpx_mock.add_response(url=other, html=PAGE)
    events: list[FetchProgress] = []
    fetch_run = run(
        [URL, other], recheck=True, recheck_delay_s=2.0, max_retries=1, on_progress=events.append
    )
    assert {url: result.reason for url, result in fetch_run.results.items()} == {
        URL: Reason.OK,
        other: Reason.OK,
    }
    rechecks = [(event.url, event.done, event.total) for event in events if event.phase.is_recheck]
    assert rechecks == [(URL, 1, 1), (other, 2, 2)]
    assert resolver.lookups.count("example.com") == 1
    assert resolver.lookups.count("other.example") == 2


def test_a_confirmed_404_is_reported_after_two_looks(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=404, is_reusable=True)
    fetch_run = run([URL], recheck=True)
    assert fetch_run.results[URL].reason is Reason.NOT_FOUND
    assert fetch_run.results[URL].attempts == 2
    assert fetch_run.requests == 2


def test_deterministic_refusals_are_not_checked_again(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=403)
    fetch_run = run([URL, "ftp://example.com/x", "http://127.0.0.1/"], recheck=True)
    assert fetch_run.requests == 1
    assert fetch_run.results[URL].reason is Reason.FORBIDDEN


def test_recheck_asks_dns_again(run: Run, httpx_mock: HTTPXMock) -> None:
    calls: list[str] = []

    async def flaky_resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        if len(calls) == 1:
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return ["93.184.216.34"]

    httpx_mock.add_response(url=URL, html=PAGE)
    result = run([URL], recheck=True, resolver=flaky_resolver).results[URL]
    assert result.reason is Reason.OK
    assert calls == ["example.com", "example.com"]
