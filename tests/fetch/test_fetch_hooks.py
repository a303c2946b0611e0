"""The hooks the CLI and the archive use: progress events and per-URL exchanges."""

from __future__ import annotations

import gzip
from collections.abc import Sequence

import pytest
from pytest_httpx import HTTPXMock

from provenance.errors import ArchiveError, FetchError
from provenance.fetch import (
    FetchPhase,
    FetchProgress,
    FetchResult,
    FetchSettings,
    HttpExchange,
    Reason,
    fetch_urls,
)
from tests.fetch.conftest import T0, FakeResolver, Run

PAGE = b"<html><title>Doc</title><p>" + b"text " * 100 + b"</p></html>"


def test_progress_reports_each_url_once_with_running_count(run: Run, httpx_mock: HTTPXMock) -> None:
    urls = [f"https://example.com/{n}" for n in range(4)]
    for url in urls:
        httpx_mock.add_response(url=url, content=PAGE)
    events: list[FetchProgress] = []
    run([*urls, urls[0]], on_progress=events.append)
    assert sorted(event.done for event in events) == [1, 2, 3, 4]
    assert {event.total for event in events} == {4}
    assert sorted(event.url for event in events) == urls
    assert all(event.phase is FetchPhase.FETCH for event in events)
    assert all(event.result.reason is Reason.OK for event in events)


def test_archive_hook_gets_every_hop_as_sent_and_received(run: Run, httpx_mock: HTTPXMock) -> None:
    compressed = gzip.compress(PAGE)
    httpx_mock.add_response(
        url="https://example.com/old", status_code=301, headers={"location": "/new"}, text="moved"
    )
    httpx_mock.add_response(
        url="https://example.com/new",
        content=compressed,
        headers={"content-encoding": "gzip", "content-type": "text/html"},
        http_version="HTTP/2",
    )
    seen: list[tuple[FetchResult, Sequence[HttpExchange]]] = []

    def archive(result: FetchResult, exchanges: Sequence[HttpExchange]) -> FetchResult:
        seen.append((result, exchanges))
        return result.model_copy(update={"evidence": "archived"})

    fetch_run = run(["https://example.com/old"], on_fetched=archive)
    ((result, exchanges),) = seen
    assert result.reason is Reason.MOVED
    assert [(x.url, x.status_code) for x in exchanges] == [
        ("https://example.com/old", 301),
        ("https://example.com/new", 200),
    ]
    first, final = exchanges
    assert first.body == b"moved"
    assert final.body == compressed  # as received: content-encoding left intact
    assert final.http_version == "HTTP/2"
    assert final.reason_phrase == "OK"
    assert ("content-encoding", "gzip") in final.response_headers
    assert dict(final.request_headers)["user-agent"].startswith("provenance/")
    assert (final.method, final.truncated, final.started_at) == ("GET", False, T0)
    # What the hook returns is what the run reports.
    assert fetch_run.results["https://example.com/old"].evidence == "archived"


def test_archive_hook_sees_truncation(run: Run, httpx_mock: HTTPXMock) -> None:
    from tests.fetch.test_fetch_status import _Chunks

    httpx_mock.add_response(url="https://example.com/big", stream=_Chunks([b"x" * 700] * 3))
    exchanges_seen: list[HttpExchange] = []

    def archive(result: FetchResult, exchanges: Sequence[HttpExchange]) -> FetchResult:
        exchanges_seen.extend(exchanges)
        return result

    run(["https://example.com/big"], on_fetched=archive, max_body_bytes=1000)
    (exchange,) = exchanges_seen
    assert exchange.truncated
    assert len(exchange.body) == 1000


def test_archive_errors_stop_the_run(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url="https://example.com/a", content=PAGE)

    def broken_archive(result: FetchResult, exchanges: Sequence[HttpExchange]) -> FetchResult:
        raise ArchiveError("disk full")

    with pytest.raises(ArchiveError, match="disk full"):
        run(["https://example.com/a"], on_fetched=broken_archive)


def test_unexpected_errors_become_fetch_errors(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url="https://example.com/a", content=PAGE)

    def buggy(result: FetchResult, exchanges: Sequence[HttpExchange]) -> FetchResult:
        raise KeyError("oops")

    with pytest.raises(FetchError, match="KeyError"):
        run(["https://example.com/a"], on_fetched=buggy)


def test_sync_wrapper_fetches(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url="https://example.com/a", content=PAGE)
    fetch_run = fetch_urls(
        ["https://example.com/a"], FetchSettings(trust_env=False), resolver=FakeResolver()
    )
    assert fetch_run.results["https://example.com/a"].reason is Reason.OK


def test_sync_wrapper_refuses_to_nest_in_a_loop() -> None:
    import asyncio

    async def nested() -> None:
        fetch_urls([], FetchSettings())

    with pytest.raises(FetchError, match="inside an event loop"):
        asyncio.run(nested())


def test_empty_input_is_an_empty_run(run: Run) -> None:
    fetch_run = run([])
    assert (fetch_run.results, fetch_run.offline, fetch_run.requests) == ({}, False, 0)


def test_settings_reject_unknown_and_invalid_knobs() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        FetchSettings(concurency=4)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        FetchSettings(host_concurrency=0)
